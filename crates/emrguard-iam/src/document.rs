//! Reading policy documents with errors that name the JSON path of the problem.
//!
//! The grammar follows AWS's "IAM JSON policy element reference" and "Grammar of the IAM
//! JSON policy language": `Version` (`2012-10-17` or `2008-10-17`), `Id`, and `Statement`
//! (one statement object or a list); each statement has `Sid`, `Effect` (`Allow` or `Deny`),
//! exactly one of `Action` / `NotAction`, at most one of `Resource` / `NotResource`, at most
//! one of `Principal` / `NotPrincipal` (`"*"` or an object of `AWS`, `Federated`, `Service`,
//! `CanonicalUser` to a string or list), and `Condition` (operator to key to a value or list
//! of values). Element names are case-sensitive.

use std::fmt;

use emrguard_model::policy::PolicyDocument;
use serde_json::Value;

use crate::condition::Operator;

/// A policy document that is not valid, with where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    /// JSON path of the offending element, e.g. `$.Statement[1].Condition.StringLikes`.
    pub path: String,
    /// What is wrong, and what was expected.
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for PolicyError {}

/// Appends an object key to a JSON path, quoting keys that are not plain names.
pub(crate) fn path_key(base: &str, key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        format!("{base}.{key}")
    } else {
        format!("{base}[{}]", serde_json::Value::String(key.to_owned()))
    }
}

fn err<T>(path: impl Into<String>, message: impl Into<String>) -> Result<T, PolicyError> {
    Err(PolicyError {
        path: path.into(),
        message: message.into(),
    })
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Parses and validates a policy document: a JSON object, or the URL-encoded JSON string
/// that the raw IAM API returns.
///
/// # Errors
/// [`PolicyError`] with the JSON path of the first problem.
pub fn parse_policy(text: &str) -> Result<PolicyDocument, PolicyError> {
    let value: Value = serde_json::from_str(text).map_err(|e| PolicyError {
        path: format!("line {} column {}", e.line(), e.column()),
        message: format!("not valid JSON: {e}"),
    })?;
    parse_policy_value(&value)
}

/// Validates a JSON value as a policy document and converts it.
///
/// # Errors
/// [`PolicyError`] with the JSON path of the first problem.
pub fn parse_policy_value(value: &Value) -> Result<PolicyDocument, PolicyError> {
    if let Value::String(encoded) = value {
        // The raw IAM API returns documents URL-encoded; decode, then validate the JSON.
        let decoded = percent_decode(encoded).ok_or_else(|| PolicyError {
            path: "$".into(),
            message: "a policy document string must be URL-encoded JSON".into(),
        })?;
        let inner: Value = serde_json::from_str(&decoded).map_err(|e| PolicyError {
            path: "$".into(),
            message: format!("URL-encoded policy document is not valid JSON: {e}"),
        })?;
        if inner.is_string() {
            return err(
                "$",
                "a URL-encoded policy document must decode to an object",
            );
        }
        return parse_policy_value(&inner);
    }
    validate_document(value)?;
    serde_json::from_value(value.clone()).map_err(|e| PolicyError {
        path: "$".into(),
        message: e.to_string(),
    })
}

/// Decodes `%XX` escapes and `+`, as the IAM API encodes documents.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn validate_document(value: &Value) -> Result<(), PolicyError> {
    let Value::Object(map) = value else {
        return err(
            "$",
            format!(
                "expected a policy document (an object with `Statement`), found {}",
                type_name(value)
            ),
        );
    };
    for (k, v) in map {
        let path = path_key("$", k);
        match k.as_str() {
            "Version" => match v.as_str() {
                Some("2012-10-17" | "2008-10-17") => {}
                Some(other) => {
                    return err(
                        path,
                        format!("unknown policy language version {other:?} (expected \"2012-10-17\" or \"2008-10-17\")"),
                    )
                }
                None => return err(path, format!("expected a string, found {}", type_name(v))),
            },
            "Id" => {
                if !v.is_string() {
                    return err(path, format!("expected a string, found {}", type_name(v)));
                }
            }
            "Statement" => match v {
                Value::Object(_) => validate_statement(&path, v)?,
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        validate_statement(&format!("{path}[{i}]"), item)?;
                    }
                }
                other => {
                    return err(
                        path,
                        format!(
                            "expected a statement object or a list of statements, found {}",
                            type_name(other)
                        ),
                    )
                }
            },
            other => {
                return err(
                    path,
                    format!("unknown element `{other}` (expected Version, Id or Statement)"),
                )
            }
        }
    }
    if !map.contains_key("Statement") {
        return err("$", "missing `Statement`");
    }
    Ok(())
}

fn string_or_list(path: &str, v: &Value) -> Result<Vec<String>, PolicyError> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok(s.clone()),
                other => err(
                    format!("{path}[{i}]"),
                    format!("expected a string, found {}", type_name(other)),
                ),
            })
            .collect(),
        other => err(
            path,
            format!(
                "expected a string or a list of strings, found {}",
                type_name(other)
            ),
        ),
    }
}

fn validate_action(path: &str, action: &str) -> Result<(), PolicyError> {
    if action == "*" {
        return Ok(());
    }
    match action.split_once(':') {
        Some((service, name))
            if !service.is_empty()
                && !name.is_empty()
                && service
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '*' || c == '?') =>
        {
            Ok(())
        }
        _ => err(
            path,
            format!("action {action:?} is not of the form `service:Action` (or `*`)"),
        ),
    }
}

fn validate_statement(path: &str, v: &Value) -> Result<(), PolicyError> {
    let Value::Object(map) = v else {
        return err(
            path,
            format!("expected a statement object, found {}", type_name(v)),
        );
    };
    for (k, value) in map {
        let p = path_key(path, k);
        match k.as_str() {
            "Sid" => {
                if !value.is_string() {
                    return err(p, format!("expected a string, found {}", type_name(value)));
                }
            }
            "Effect" => match value.as_str() {
                Some("Allow" | "Deny") => {}
                Some(other) => {
                    return err(
                        p,
                        format!("expected \"Allow\" or \"Deny\", found {other:?} (case matters)"),
                    )
                }
                None => return err(p, format!("expected a string, found {}", type_name(value))),
            },
            "Action" | "NotAction" => {
                for (i, a) in string_or_list(&p, value)?.iter().enumerate() {
                    let ap = if value.is_array() {
                        format!("{p}[{i}]")
                    } else {
                        p.clone()
                    };
                    validate_action(&ap, a)?;
                }
            }
            "Resource" | "NotResource" => {
                string_or_list(&p, value)?;
            }
            "Principal" | "NotPrincipal" => validate_principal(&p, value)?,
            "Condition" => validate_condition(&p, value)?,
            other => {
                return err(
                    p,
                    format!("unknown statement element `{other}` (expected Sid, Effect, Principal, NotPrincipal, Action, NotAction, Resource, NotResource or Condition)"),
                )
            }
        }
    }
    if !map.contains_key("Effect") {
        return err(path, "missing `Effect` (\"Allow\" or \"Deny\")");
    }
    for (a, b) in [
        ("Action", "NotAction"),
        ("Resource", "NotResource"),
        ("Principal", "NotPrincipal"),
    ] {
        if map.contains_key(a) && map.contains_key(b) {
            return err(path, format!("a statement has `{a}` or `{b}`, not both"));
        }
    }
    if !map.contains_key("Action") && !map.contains_key("NotAction") {
        return err(path, "missing `Action` or `NotAction`");
    }
    Ok(())
}

fn validate_principal(path: &str, v: &Value) -> Result<(), PolicyError> {
    match v {
        Value::String(s) if s == "*" => Ok(()),
        Value::String(s) => err(
            path,
            format!("a principal string must be \"*\", found {s:?}; use an object such as {{\"AWS\": \"{s}\"}}"),
        ),
        Value::Object(map) => {
            for (k, value) in map {
                let p = path_key(path, k);
                match k.as_str() {
                    "AWS" | "Federated" | "Service" | "CanonicalUser" => {
                        string_or_list(&p, value)?;
                    }
                    other => {
                        return err(
                            p,
                            format!("unknown principal type `{other}` (expected AWS, Federated, Service or CanonicalUser)"),
                        )
                    }
                }
            }
            Ok(())
        }
        other => err(
            path,
            format!(
                "expected \"*\" or an object of principal types, found {}",
                type_name(other)
            ),
        ),
    }
}

fn validate_condition(path: &str, v: &Value) -> Result<(), PolicyError> {
    let Value::Object(ops) = v else {
        return err(
            path,
            format!(
                "expected an object of condition operators, found {}",
                type_name(v)
            ),
        );
    };
    for (op, keys) in ops {
        let op_path = path_key(path, op);
        Operator::parse(op).map_err(|message| PolicyError {
            path: op_path.clone(),
            message,
        })?;
        let Value::Object(keys) = keys else {
            return err(
                op_path,
                format!(
                    "expected an object of condition keys to values, found {}",
                    type_name(keys)
                ),
            );
        };
        for (key, values) in keys {
            let key_path = path_key(&op_path, key);
            let check_scalar = |p: &str, item: &Value| match item {
                Value::String(_) | Value::Number(_) | Value::Bool(_) => Ok(()),
                other => err(
                    p,
                    format!(
                        "expected a string, number or boolean, found {}",
                        type_name(other)
                    ),
                ),
            };
            match values {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        check_scalar(&format!("{key_path}[{i}]"), item)?;
                    }
                }
                other => check_scalar(&key_path, other)?,
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> PolicyError {
        parse_policy(text).unwrap_err()
    }

    #[test]
    fn accepts_valid_forms() {
        let doc = parse_policy(
            r#"{"Version":"2012-10-17","Id":"x","Statement":{"Sid":"A","Effect":"Allow","NotAction":["iam:*"],"NotResource":"arn:aws:s3:::b","Condition":{"ForAnyValue:StringLikeIfExists":{"aws:TagKeys":["a*",1,true]}}}}"#,
        )
        .unwrap();
        assert_eq!(doc.statements.len(), 1);
        let encoded = parse_policy(
            r#""%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Deny%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D""#,
        )
        .unwrap();
        assert_eq!(encoded.statements.len(), 1);
    }

    #[test]
    fn errors_name_the_json_path() {
        let e = error(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject"},{"Effect":"allow","Action":"*"}]}"#,
        );
        assert_eq!(e.path, "$.Statement[1].Effect");
        assert!(e.message.contains("case matters"), "{e}");
        let e = error(
            r#"{"Statement":{"Effect":"Allow","Action":"*","Condition":{"StringEqualz":{"k":"v"}}}}"#,
        );
        assert_eq!(e.path, "$.Statement.Condition.StringEqualz");
        let e =
            error(r#"{"Statement":[{"Effect":"Allow","Action":["s3:GetObject","GetObject"]}]}"#);
        assert_eq!(e.path, "$.Statement[0].Action[1]");
        let e = error(
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Condition":{"StringEquals":{"aws:username":[{"a":1}]}}}]}"#,
        );
        assert_eq!(
            e.path,
            "$.Statement[0].Condition.StringEquals[\"aws:username\"][0]"
        );
        let e = error(r#"{"Statement":[{"Effect":"Allow","Action":"*","Principal":{"Aws":"1"}}]}"#);
        assert_eq!(e.path, "$.Statement[0].Principal.Aws");
        let e = error(r#"{"Statement":[{"Effect":"Allow","Action":"*","Actions":"x"}]}"#);
        assert_eq!(e.path, "$.Statement[0].Actions");
        let e = error(r#"{"Statement":[{"Effect":"Allow","Action":"*","NotAction":"x:y"}]}"#);
        assert_eq!(e.path, "$.Statement[0]");
        let e = error(r#"{"Version":"2012-10-18","Statement":[]}"#);
        assert_eq!(e.path, "$.Version");
        let e = error(r#"{"Statement":[{"Effect":"Allow"}]}"#);
        assert!(e.message.contains("missing `Action`"));
        let e = error("{");
        assert!(e.path.starts_with("line 1"));
        // URL-encoded documents are validated after decoding: `"Effect":"allow"`.
        let e = error(
            r#""%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22allow%22%2C%22Action%22%3A%22*%22%7D%5D%7D""#,
        );
        assert_eq!(e.path, "$.Statement[0].Effect");
    }
}
