//! The IAM policy grammar (identity, resource and trust policies), as serde types.
//!
//! Parsing is structural only; the meaning (matching, conditions, evaluation) lives in the
//! `emrguard-iam` engine. A policy document may arrive as a JSON object or as the
//! URL-encoded JSON string that the raw IAM API returns.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::serde_util::{one_or_many, one_or_many_non_null};

/// A whole policy document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PolicyDocument {
    /// `Version`.
    #[serde(rename = "Version", skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `Id`.
    #[serde(rename = "Id", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `Statement`, always as a list.
    #[serde(rename = "Statement")]
    pub statements: Vec<Statement>,
}

#[derive(Deserialize)]
struct RawDocument {
    #[serde(rename = "Version")]
    version: Option<String>,
    #[serde(rename = "Id")]
    id: Option<String>,
    #[serde(rename = "Statement", default, deserialize_with = "one_or_many")]
    statements: Vec<Statement>,
}

const EXPECTED_DOCUMENT: &str = "expected a policy document: an object with `Statement` (an object or a list of statements with `Effect` \"Allow\" or \"Deny\"), or its URL-encoded JSON string";

impl<'de> Deserialize<'de> for PolicyDocument {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A visitor, not an untagged enum: that would buffer the whole document first.
        struct Form;
        impl<'de> Visitor<'de> for Form {
            type Value = RawDocument;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(EXPECTED_DOCUMENT.trim_start_matches("expected "))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<RawDocument, E> {
                let decoded = percent_decode(s).ok_or_else(|| {
                    E::custom("policy document string is not valid URL-encoded UTF-8")
                })?;
                serde_json::from_str::<RawDocument>(&decoded)
                    .map_err(|e| E::custom(format!("URL-encoded policy document: {e}")))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawDocument, A::Error> {
                RawDocument::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map_err(|_| de::Error::custom(EXPECTED_DOCUMENT))
            }
        }
        let raw = deserializer.deserialize_any(Form)?;
        Ok(PolicyDocument {
            version: raw.version,
            id: raw.id,
            statements: raw.statements,
        })
    }
}

/// Parses a policy document from JSON text.
///
/// # Errors
/// A message naming what was wrong when the text is not a valid policy document.
pub fn parse_policy_document(text: &str) -> Result<PolicyDocument, serde_json::Error> {
    serde_json::from_str(text)
}

/// Decodes `%XX` escapes and `+` (as the IAM API encodes documents).
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes.get(i)? {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            &b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// `Effect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Effect {
    /// `Allow`.
    Allow,
    /// `Deny`.
    Deny,
}

/// A `Principal` or `NotPrincipal` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// `"*"`: everyone.
    Any,
    /// `{"AWS": [...], "Service": [...], "Federated": [...], "CanonicalUser": [...]}`.
    Typed(BTreeMap<String, Vec<String>>),
}

impl Principal {
    /// The values given for one principal type (`AWS`, `Service`, `Federated`, `CanonicalUser`).
    pub fn values(&self, principal_type: &str) -> &[String] {
        match self {
            Self::Any => &[],
            Self::Typed(map) => map.get(principal_type).map_or(&[], Vec::as_slice),
        }
    }
}

impl Serialize for Principal {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Any => serializer.serialize_str("*"),
            Self::Typed(map) => map.serialize(serializer),
        }
    }
}

const EXPECTED_PRINCIPAL: &str = "expected \"*\" or an object of principal types (AWS, Service, Federated, CanonicalUser) to a string or list of strings";

impl<'de> Deserialize<'de> for Principal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Raw;
        impl<'de> Visitor<'de> for Raw {
            type Value = Principal;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(EXPECTED_PRINCIPAL.trim_start_matches("expected "))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Principal, E> {
                if s == "*" {
                    Ok(Principal::Any)
                } else {
                    Err(E::custom(format!(
                        "principal string must be \"*\", found {s:?}"
                    )))
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Principal, A::Error> {
                let map = BTreeMap::<String, StringOrList>::deserialize(
                    de::value::MapAccessDeserializer::new(map),
                )
                .map_err(|_| de::Error::custom(EXPECTED_PRINCIPAL))?;
                Ok(Principal::Typed(
                    map.into_iter().map(|(k, v)| (k, v.0)).collect(),
                ))
            }
        }
        deserializer.deserialize_any(Raw)
    }
}

/// A string or a list of strings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct StringOrList(Vec<String>);

impl<'de> Deserialize<'de> for StringOrList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        one_or_many(deserializer).map(StringOrList)
    }
}

/// A condition value: IAM accepts strings, numbers and booleans; all are kept as text.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ConditionValues(Vec<String>);

const EXPECTED_CONDITION_VALUE: &str =
    "a condition value: a string, number, boolean or a list of them";

/// One condition value as text.
struct ConditionScalar(String);

impl<'de> Deserialize<'de> for ConditionScalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Scalar;
        impl Visitor<'_> for Scalar {
            type Value = String;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(EXPECTED_CONDITION_VALUE)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
                Ok(v.to_owned())
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
                Ok(v)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
                Ok(v.to_string())
            }
            // Numbers are written as JSON writes them (`serde_json::Number`'s text).
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
                Ok(serde_json::Number::from(v).to_string())
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
                Ok(serde_json::Number::from(v).to_string())
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
                serde_json::Number::from_f64(v)
                    .map(|n| n.to_string())
                    .ok_or_else(|| E::custom(EXPECTED_CONDITION_VALUE))
            }
        }
        deserializer.deserialize_any(Scalar).map(ConditionScalar)
    }
}

impl<'de> Deserialize<'de> for ConditionValues {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let values: Vec<ConditionScalar> = one_or_many_non_null(deserializer)
            .map_err(|_| de::Error::custom(format!("expected {EXPECTED_CONDITION_VALUE}")))?;
        Ok(ConditionValues(values.into_iter().map(|v| v.0).collect()))
    }
}

/// `Condition`: operator (as written, e.g. `ForAnyValue:StringLikeIfExists`) to condition
/// key to values.
pub type Conditions = BTreeMap<String, BTreeMap<String, Vec<String>>>;

fn deserialize_conditions<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Conditions, D::Error> {
    let raw: Option<BTreeMap<String, BTreeMap<String, ConditionValues>>> =
        Option::deserialize(deserializer)?;
    Ok(raw
        .unwrap_or_default()
        .into_iter()
        .map(|(op, keys)| (op, keys.into_iter().map(|(k, v)| (k, v.0)).collect()))
        .collect())
}

fn opt_one_or_many<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<String>>, D::Error> {
    one_or_many(deserializer).map(Some)
}

/// One statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// `Sid`.
    #[serde(rename = "Sid", default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// `Effect`.
    #[serde(rename = "Effect")]
    pub effect: Effect,
    /// `Principal`.
    #[serde(rename = "Principal", default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<Principal>,
    /// `NotPrincipal`.
    #[serde(
        rename = "NotPrincipal",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub not_principal: Option<Principal>,
    /// `Action`.
    #[serde(
        rename = "Action",
        default,
        deserialize_with = "opt_one_or_many",
        skip_serializing_if = "Option::is_none"
    )]
    pub action: Option<Vec<String>>,
    /// `NotAction`.
    #[serde(
        rename = "NotAction",
        default,
        deserialize_with = "opt_one_or_many",
        skip_serializing_if = "Option::is_none"
    )]
    pub not_action: Option<Vec<String>>,
    /// `Resource`.
    #[serde(
        rename = "Resource",
        default,
        deserialize_with = "opt_one_or_many",
        skip_serializing_if = "Option::is_none"
    )]
    pub resource: Option<Vec<String>>,
    /// `NotResource`.
    #[serde(
        rename = "NotResource",
        default,
        deserialize_with = "opt_one_or_many",
        skip_serializing_if = "Option::is_none"
    )]
    pub not_resource: Option<Vec<String>>,
    /// `Condition`.
    #[serde(
        rename = "Condition",
        default,
        deserialize_with = "deserialize_conditions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub condition: Conditions,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_object_or_list_and_encoded_string() {
        let one: PolicyDocument = serde_json::from_str(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#,
        )
        .unwrap();
        assert_eq!(one.statements.len(), 1);
        assert_eq!(
            one.statements[0].action.as_deref(),
            Some(&["s3:GetObject".to_owned()][..])
        );
        let encoded: PolicyDocument = serde_json::from_str(
            r#""%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Deny%22%2C%22NotAction%22%3A%5B%22iam%3A*%22%5D%2C%22Resource%22%3A%22*%22%7D%5D%7D""#,
        )
        .unwrap();
        assert_eq!(encoded.statements[0].effect, Effect::Deny);
        assert!(encoded.statements[0].action.is_none());
    }

    #[test]
    fn principal_and_condition_forms() {
        let doc: PolicyDocument = serde_json::from_str(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::1:oidc-provider/x","AWS":["a","b"]},
              "Action":"sts:AssumeRoleWithWebIdentity",
              "Condition":{"StringLike":{"x:sub":"system:serviceaccount:ns:*"},"NumericLessThan":{"k":5},"Bool":{"aws:SecureTransport":false}}},
              {"Effect":"Deny","Principal":"*","NotAction":"*"}]}"#,
        )
        .unwrap();
        let s = &doc.statements[0];
        let p = s.principal.as_ref().unwrap();
        assert_eq!(p.values("AWS"), &["a".to_owned(), "b".to_owned()]);
        assert_eq!(s.condition["NumericLessThan"]["k"], vec!["5".to_owned()]);
        assert_eq!(
            s.condition["Bool"]["aws:SecureTransport"],
            vec!["false".to_owned()]
        );
        assert_eq!(doc.statements[1].principal, Some(Principal::Any));
    }

    #[test]
    fn condition_values_are_scalars_or_lists_of_them() {
        let values = |v: &str| {
            serde_json::from_str::<Statement>(&format!(
                r#"{{"Effect": "Allow", "Condition": {{"StringEquals": {{"k": {v}}}}}}}"#
            ))
            .map(|s| s.condition["StringEquals"]["k"].clone())
            .map_err(|e| e.to_string())
        };
        assert_eq!(
            values(r#"["a", 1, 1.5, true]"#).unwrap(),
            ["a", "1", "1.5", "true"]
        );
        assert_eq!(values("-2").unwrap(), ["-2"]);
        for bad in ["null", "[null]", r#"{"nested": 1}"#, "[[1]]"] {
            let error = values(bad).unwrap_err();
            assert!(
                error.starts_with("expected a condition value"),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn bad_effect_is_an_error() {
        assert!(
            serde_json::from_str::<PolicyDocument>(r#"{"Statement":[{"Effect":"allow"}]}"#)
                .is_err()
        );
        assert!(serde_json::from_str::<PolicyDocument>(
            r#"{"Statement":[{"Effect":"Allow","Principal":"me"}]}"#
        )
        .is_err());
    }
}
