//! The `Condition` element: every documented operator, the `IfExists` suffix and the
//! `ForAllValues:` / `ForAnyValue:` set qualifiers.
//!
//! Semantics, from AWS's "IAM JSON policy elements: Condition operators" and "Single-valued
//! vs. multivalued context keys":
//! - Several operators in one `Condition`, or several keys under one operator, must all be
//!   true (AND). Several values for one key are alternatives (OR), except that for a negated
//!   operator (`StringNotEquals`, `ArnNotLike`, `NotIpAddress`, ...) the key must match
//!   none of them.
//! - "If the key that you specify in a policy condition is not present in the request
//!   context, the values do not match and the condition is false. If the policy condition
//!   requires that the key is not matched, such as `StringNotLike` or `ArnNotLike`, and the
//!   right key is not present, the condition is true. This logic applies to all condition
//!   operators except `...IfExists` and `Null`."
//! - `...IfExists`: true when the key is absent; otherwise the operator decides.
//! - `Null`: `"true"` holds when the key is absent, `"false"` when it is present.
//! - `ForAllValues:` holds when every request value matches at least one policy value, and
//!   also when the key is absent or empty. `ForAnyValue:` holds when at least one request
//!   value matches, and is false when the key is absent.
//! - Without a qualifier, a key that carries several values in the request (which AWS
//!   reserves for multivalued keys) matches when any of its values matches; a negated
//!   operator then holds only when none does. (AWS documents qualifiers as required for
//!   multivalued keys and does not spell this case out; this is the reading that agrees
//!   with the single-value rules above.)
//! - String and ARN values are case-sensitive except `StringEqualsIgnoreCase`; condition
//!   key names are case-insensitive. `ArnEquals` and `ArnLike` both accept `*` and `?` and
//!   compare each of the six colon-separated ARN parts separately.
//! - `Date*` values are ISO 8601 date-times or epoch seconds; `Numeric*` values are integers
//!   or decimals; `IpAddress` values are IPv4/IPv6 addresses or CIDR ranges.

use std::net::IpAddr;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use ipnet::IpNet;
use serde::Serialize;

use crate::pattern::{context_get, glob_match, tokenize, Atom, ContextValues, Matcher, Syntax};

/// The comparison an operator makes, before negation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Comparison {
    /// `StringEquals`, `StringNotEquals`.
    StringEquals,
    /// `StringEqualsIgnoreCase`, `StringNotEqualsIgnoreCase`.
    StringEqualsIgnoreCase,
    /// `StringLike`, `StringNotLike`.
    StringLike,
    /// `NumericEquals`, `NumericNotEquals`.
    NumericEquals,
    /// `NumericLessThan`.
    NumericLessThan,
    /// `NumericLessThanEquals`.
    NumericLessThanEquals,
    /// `NumericGreaterThan`.
    NumericGreaterThan,
    /// `NumericGreaterThanEquals`.
    NumericGreaterThanEquals,
    /// `DateEquals`, `DateNotEquals`.
    DateEquals,
    /// `DateLessThan`.
    DateLessThan,
    /// `DateLessThanEquals`.
    DateLessThanEquals,
    /// `DateGreaterThan`.
    DateGreaterThan,
    /// `DateGreaterThanEquals`.
    DateGreaterThanEquals,
    /// `Bool`.
    Bool,
    /// `BinaryEquals`.
    BinaryEquals,
    /// `IpAddress`, `NotIpAddress`.
    IpAddress,
    /// `ArnEquals`, `ArnLike`, `ArnNotEquals`, `ArnNotLike`.
    ArnLike,
    /// `Null`.
    Null,
}

/// A set qualifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Qualifier {
    /// No qualifier.
    None,
    /// `ForAllValues:`.
    ForAllValues,
    /// `ForAnyValue:`.
    ForAnyValue,
}

/// A parsed condition operator, e.g. `ForAnyValue:StringNotLikeIfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Operator {
    /// What is compared.
    pub comparison: Comparison,
    /// `Not` form (`StringNotEquals`, `NotIpAddress`, ...).
    pub negated: bool,
    /// `...IfExists` suffix.
    pub if_exists: bool,
    /// Set qualifier.
    pub qualifier: Qualifier,
}

const OPERATORS: &[(&str, Comparison, bool)] = &[
    ("StringEquals", Comparison::StringEquals, false),
    ("StringNotEquals", Comparison::StringEquals, true),
    (
        "StringEqualsIgnoreCase",
        Comparison::StringEqualsIgnoreCase,
        false,
    ),
    (
        "StringNotEqualsIgnoreCase",
        Comparison::StringEqualsIgnoreCase,
        true,
    ),
    ("StringLike", Comparison::StringLike, false),
    ("StringNotLike", Comparison::StringLike, true),
    ("NumericEquals", Comparison::NumericEquals, false),
    ("NumericNotEquals", Comparison::NumericEquals, true),
    ("NumericLessThan", Comparison::NumericLessThan, false),
    (
        "NumericLessThanEquals",
        Comparison::NumericLessThanEquals,
        false,
    ),
    ("NumericGreaterThan", Comparison::NumericGreaterThan, false),
    (
        "NumericGreaterThanEquals",
        Comparison::NumericGreaterThanEquals,
        false,
    ),
    ("DateEquals", Comparison::DateEquals, false),
    ("DateNotEquals", Comparison::DateEquals, true),
    ("DateLessThan", Comparison::DateLessThan, false),
    ("DateLessThanEquals", Comparison::DateLessThanEquals, false),
    ("DateGreaterThan", Comparison::DateGreaterThan, false),
    (
        "DateGreaterThanEquals",
        Comparison::DateGreaterThanEquals,
        false,
    ),
    ("Bool", Comparison::Bool, false),
    ("BinaryEquals", Comparison::BinaryEquals, false),
    ("IpAddress", Comparison::IpAddress, false),
    ("NotIpAddress", Comparison::IpAddress, true),
    ("ArnEquals", Comparison::ArnLike, false),
    ("ArnLike", Comparison::ArnLike, false),
    ("ArnNotEquals", Comparison::ArnLike, true),
    ("ArnNotLike", Comparison::ArnLike, true),
    ("Null", Comparison::Null, false),
];

impl Operator {
    /// Parses an operator as written in a policy. Operator names are matched exactly, as
    /// AWS documents them.
    ///
    /// # Errors
    /// A message naming the unknown operator.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (qualifier, rest) = if let Some(r) = text.strip_prefix("ForAllValues:") {
            (Qualifier::ForAllValues, r)
        } else if let Some(r) = text.strip_prefix("ForAnyValue:") {
            (Qualifier::ForAnyValue, r)
        } else {
            (Qualifier::None, text)
        };
        let (if_exists, name) = match rest.strip_suffix("IfExists") {
            Some(n) => (true, n),
            None => (false, rest),
        };
        let Some(&(_, comparison, negated)) = OPERATORS.iter().find(|(n, _, _)| *n == name) else {
            return Err(format!(
                "unknown condition operator `{text}` (expected e.g. StringEquals, StringLike, ArnLike, NumericLessThan, DateGreaterThan, Bool, IpAddress, Null, optionally with the IfExists suffix and a ForAllValues:/ForAnyValue: prefix)"
            ));
        };
        if comparison == Comparison::Null && if_exists {
            return Err(format!("`{text}`: the Null operator has no IfExists form"));
        }
        Ok(Self {
            comparison,
            negated,
            if_exists,
            qualifier,
        })
    }

    /// Whether this operator only reads the key's presence or value without value variables.
    fn supports_variables(self) -> bool {
        matches!(
            self.comparison,
            Comparison::StringEquals
                | Comparison::StringEqualsIgnoreCase
                | Comparison::StringLike
                | Comparison::ArnLike
                | Comparison::Bool
        )
    }
}

/// Parses an IAM date value: ISO 8601 (`2024-01-31T12:00:00Z`, with optional fraction or
/// offset, or a bare date) or epoch seconds. Returns epoch milliseconds.
pub fn parse_date(text: &str) -> Option<i64> {
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse::<i64>().ok().and_then(|s| s.checked_mul(1000));
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt.timestamp_millis());
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        let trimmed = t.strip_suffix('Z').unwrap_or(t);
        if let Ok(n) = NaiveDateTime::parse_from_str(trimmed, fmt) {
            return Some(n.and_utc().timestamp_millis());
        }
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| n.and_utc().timestamp_millis())
}

fn parse_number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Parses an address or CIDR range (a bare address is a single-host range).
pub fn parse_ip_range(text: &str) -> Option<IpNet> {
    let t = text.trim();
    if let Ok(net) = t.parse::<IpNet>() {
        return Some(net);
    }
    t.parse::<IpAddr>().ok().map(IpNet::from)
}

/// ARN matching for the `Arn*` operators: six colon-separated parts, each a glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArnPattern {
    /// Parts compiled ahead (no variables).
    Static(Vec<Vec<Atom>>),
    /// A pattern with variables, split after substitution.
    Dynamic(Matcher),
}

fn arn_parts(text: &str) -> Vec<&str> {
    text.splitn(6, ':').collect()
}

fn glob_atoms(text: &str) -> Vec<Atom> {
    let mut atoms = Vec::new();
    for t in tokenize(
        text,
        Syntax {
            wildcards: true,
            variables: false,
        },
    ) {
        match t {
            crate::pattern::Token::Lit(s) => atoms.extend(s.bytes().map(Atom::Byte)),
            crate::pattern::Token::Star => atoms.push(Atom::Star),
            crate::pattern::Token::One => atoms.push(Atom::One),
            crate::pattern::Token::Var { .. } => {}
        }
    }
    atoms
}

/// Whether `value` matches the ARN pattern `pattern`, part by part. `*` alone matches
/// anything.
pub fn arn_like(pattern: &str, value: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let (p, v) = (arn_parts(pattern), arn_parts(value));
    p.len() == v.len()
        && p.iter()
            .zip(v.iter())
            .all(|(pp, vv)| glob_match(&glob_atoms(pp), vv.as_bytes()))
}

impl ArnPattern {
    fn new(text: &str, variables: bool) -> Self {
        let m = Matcher::new(
            text,
            Syntax {
                wildcards: true,
                variables,
            },
            false,
        );
        if matches!(m, Matcher::Dynamic { .. }) {
            return Self::Dynamic(m);
        }
        if text == "*" {
            return Self::Static(Vec::new());
        }
        Self::Static(arn_parts(text).into_iter().map(glob_atoms).collect())
    }

    fn matches(&self, value: &str, context: &ContextValues) -> bool {
        match self {
            Self::Static(parts) if parts.is_empty() => true,
            Self::Static(parts) => {
                let v = arn_parts(value);
                parts.len() == v.len()
                    && parts
                        .iter()
                        .zip(v.iter())
                        .all(|(p, vv)| glob_match(p, vv.as_bytes()))
            }
            Self::Dynamic(m) => m
                .resolve_literal(context)
                .is_some_and(|text| arn_like(&text, value)),
        }
    }
}

/// The policy values of one condition, compiled for their operator.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Values {
    /// `StringEquals`, `StringLike`, `BinaryEquals`: matchers (no wildcards unless
    /// `StringLike`).
    Text(Vec<Matcher>),
    /// `StringEqualsIgnoreCase` and `Bool`: matchers over the original text, compared
    /// case-folded.
    Folded(Vec<Matcher>),
    /// Numbers.
    Numbers(Vec<f64>),
    /// Epoch milliseconds.
    Dates(Vec<i64>),
    /// Address ranges.
    Ranges(Vec<IpNet>),
    /// ARN patterns.
    Arns(Vec<ArnPattern>),
    /// `Null`: `true` means "must be absent".
    Null(Vec<bool>),
}

/// One compiled `operator: { key: values }` entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Condition {
    /// The operator as written.
    pub operator_text: String,
    /// The parsed operator.
    pub operator: Operator,
    /// The key as written.
    pub key_text: String,
    /// The lower-cased key.
    pub key: String,
    /// The values as written.
    pub raw_values: Vec<String>,
    /// Compiled values.
    pub values: Values,
}

impl Condition {
    /// Compiles one entry.
    ///
    /// # Errors
    /// A message for an unknown operator or a value the operator cannot read; the caller
    /// adds the JSON path.
    pub(crate) fn compile(
        operator_text: &str,
        key_text: &str,
        raw_values: &[String],
        variables: bool,
    ) -> Result<Self, (Option<usize>, String)> {
        let operator = Operator::parse(operator_text).map_err(|m| (None, m))?;
        let vars = variables && operator.supports_variables();
        let text_syntax = Syntax {
            wildcards: false,
            variables: vars,
        };
        let bad = |i: usize, what: &str, v: &str| {
            Err((
                Some(i),
                format!("`{operator_text}` needs {what}, found {v:?}"),
            ))
        };
        let values = match operator.comparison {
            Comparison::StringEquals | Comparison::BinaryEquals => Values::Text(
                raw_values
                    .iter()
                    .map(|v| Matcher::new(v, text_syntax, false))
                    .collect(),
            ),
            Comparison::Bool => {
                let mut out = Vec::new();
                for (i, v) in raw_values.iter().enumerate() {
                    let lower = v.to_ascii_lowercase();
                    if (!vars || !v.contains("${")) && lower != "true" && lower != "false" {
                        return bad(i, "\"true\" or \"false\"", v);
                    }
                    out.push(Matcher::new(v, text_syntax, false));
                }
                // Compared case-folded: `true`, `True` and `TRUE` are the same boolean.
                Values::Folded(out)
            }
            Comparison::StringEqualsIgnoreCase => Values::Folded(
                raw_values
                    .iter()
                    .map(|v| Matcher::new(v, text_syntax, false))
                    .collect(),
            ),
            Comparison::StringLike => Values::Text(
                raw_values
                    .iter()
                    .map(|v| {
                        Matcher::new(
                            v,
                            Syntax {
                                wildcards: true,
                                variables: vars,
                            },
                            false,
                        )
                    })
                    .collect(),
            ),
            Comparison::NumericEquals
            | Comparison::NumericLessThan
            | Comparison::NumericLessThanEquals
            | Comparison::NumericGreaterThan
            | Comparison::NumericGreaterThanEquals => {
                let mut out = Vec::new();
                for (i, v) in raw_values.iter().enumerate() {
                    match parse_number(v) {
                        Some(n) => out.push(n),
                        None => return bad(i, "a number", v),
                    }
                }
                Values::Numbers(out)
            }
            Comparison::DateEquals
            | Comparison::DateLessThan
            | Comparison::DateLessThanEquals
            | Comparison::DateGreaterThan
            | Comparison::DateGreaterThanEquals => {
                let mut out = Vec::new();
                for (i, v) in raw_values.iter().enumerate() {
                    match parse_date(v) {
                        Some(n) => out.push(n),
                        None => return bad(
                            i,
                            "an ISO 8601 date-time (e.g. 2024-01-31T00:00:00Z) or epoch seconds",
                            v,
                        ),
                    }
                }
                Values::Dates(out)
            }
            Comparison::IpAddress => {
                let mut out = Vec::new();
                for (i, v) in raw_values.iter().enumerate() {
                    match parse_ip_range(v) {
                        Some(n) => out.push(n),
                        None => return bad(i, "an IP address or CIDR range", v),
                    }
                }
                Values::Ranges(out)
            }
            Comparison::ArnLike => Values::Arns(
                raw_values
                    .iter()
                    .map(|v| ArnPattern::new(v, vars))
                    .collect(),
            ),
            Comparison::Null => {
                let mut out = Vec::new();
                for (i, v) in raw_values.iter().enumerate() {
                    match v.to_ascii_lowercase().as_str() {
                        "true" => out.push(true),
                        "false" => out.push(false),
                        _ => return bad(i, "\"true\" or \"false\"", v),
                    }
                }
                Values::Null(out)
            }
        };
        Ok(Self {
            operator_text: operator_text.to_owned(),
            operator,
            key_text: key_text.to_owned(),
            key: key_text.to_ascii_lowercase(),
            raw_values: raw_values.to_vec(),
            values,
        })
    }

    /// Variable keys (without defaults) the values need.
    pub(crate) fn variables(&self) -> Vec<(&str, Option<&str>)> {
        match &self.values {
            Values::Text(ms) | Values::Folded(ms) => {
                ms.iter().flat_map(Matcher::variables).collect()
            }
            Values::Arns(ps) => ps
                .iter()
                .flat_map(|p| match p {
                    ArnPattern::Dynamic(m) => m.variables(),
                    ArnPattern::Static(_) => Vec::new(),
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Whether one request value matches at least one policy value (the positive form).
    fn any_policy_value_matches(&self, value: &str, context: &ContextValues) -> bool {
        use Comparison as C;
        match &self.values {
            Values::Text(ms) => ms.iter().any(|m| m.matches(value, context)),
            Values::Folded(ms) => {
                let folded = value.to_lowercase();
                ms.iter().any(|m| {
                    m.resolve_literal(context)
                        .is_some_and(|p| p.to_lowercase() == folded)
                })
            }
            Values::Numbers(ns) => parse_number(value).is_some_and(|v| {
                ns.iter().any(|&p| match self.operator.comparison {
                    C::NumericLessThan => v < p,
                    C::NumericLessThanEquals => v <= p,
                    C::NumericGreaterThan => v > p,
                    C::NumericGreaterThanEquals => v >= p,
                    _ => v == p,
                })
            }),
            Values::Dates(ds) => parse_date(value).is_some_and(|v| {
                ds.iter().any(|&p| match self.operator.comparison {
                    C::DateLessThan => v < p,
                    C::DateLessThanEquals => v <= p,
                    C::DateGreaterThan => v > p,
                    C::DateGreaterThanEquals => v >= p,
                    _ => v == p,
                })
            }),
            Values::Ranges(rs) => match parse_ip_range(value) {
                Some(net) => rs.iter().any(|r| r.contains(&net)),
                None => false,
            },
            Values::Arns(ps) => ps.iter().any(|p| p.matches(value, context)),
            Values::Null(_) => false,
        }
    }

    /// One request value against the operator, negation included.
    fn single(&self, value: &str, context: &ContextValues) -> bool {
        self.any_policy_value_matches(value, context) != self.operator.negated
    }

    /// Evaluates this condition against the request context (keys lower-cased).
    pub(crate) fn evaluate(&self, context: &ContextValues) -> bool {
        let present = context_get(context, &self.key);
        if let Values::Null(wants_absent) = &self.values {
            return wants_absent.iter().any(|&a| a == present.is_none());
        }
        let op = self.operator;
        match (op.qualifier, present) {
            (Qualifier::ForAllValues, None) => true,
            (Qualifier::ForAnyValue, None) => op.if_exists,
            (Qualifier::None, None) => op.if_exists || op.negated,
            (Qualifier::ForAllValues, Some(values)) => {
                values.iter().all(|v| self.single(v, context))
            }
            (Qualifier::ForAnyValue, Some(values)) => {
                values.iter().any(|v| self.single(v, context))
            }
            (Qualifier::None, Some(values)) => {
                let any = values
                    .iter()
                    .any(|v| self.any_policy_value_matches(v, context));
                any != op.negated
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(pairs: &[(&str, &[&str])]) -> ContextValues {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    k.to_ascii_lowercase(),
                    v.iter().map(|s| (*s).to_owned()).collect(),
                )
            })
            .collect()
    }

    fn cond(op: &str, key: &str, values: &[&str]) -> Condition {
        let values: Vec<String> = values.iter().map(|s| (*s).to_owned()).collect();
        Condition::compile(op, key, &values, true).unwrap()
    }

    #[test]
    fn parses_every_operator_form() {
        for (name, _, _) in OPERATORS {
            for prefix in ["", "ForAllValues:", "ForAnyValue:"] {
                let with = format!("{prefix}{name}");
                assert!(Operator::parse(&with).is_ok(), "{with}");
                if *name != "Null" {
                    assert!(
                        Operator::parse(&format!("{with}IfExists"))
                            .unwrap()
                            .if_exists
                    );
                }
            }
        }
        assert!(Operator::parse("StringEqual").is_err());
        assert!(Operator::parse("NullIfExists").is_err());
        assert!(Operator::parse("stringequals").is_err());
    }

    #[test]
    fn missing_key_rules() {
        let empty = ContextValues::new();
        assert!(!cond("StringEquals", "k", &["a"]).evaluate(&empty));
        assert!(cond("StringNotEquals", "k", &["a"]).evaluate(&empty));
        assert!(cond("StringEqualsIfExists", "k", &["a"]).evaluate(&empty));
        assert!(cond("ForAllValues:StringEquals", "k", &["a"]).evaluate(&empty));
        assert!(!cond("ForAnyValue:StringEquals", "k", &["a"]).evaluate(&empty));
        assert!(cond("Null", "k", &["true"]).evaluate(&empty));
        assert!(!cond("Null", "k", &["false"]).evaluate(&empty));
    }

    #[test]
    fn negated_operators_need_no_value_to_match() {
        let c = cond("StringNotEquals", "k", &["a", "b"]);
        assert!(!c.evaluate(&ctx(&[("k", &["a"])])));
        assert!(!c.evaluate(&ctx(&[("k", &["b"])])));
        assert!(c.evaluate(&ctx(&[("k", &["c"])])));
    }

    #[test]
    fn set_qualifiers() {
        let all = cond("ForAllValues:StringLike", "aws:TagKeys", &["team", "env*"]);
        assert!(all.evaluate(&ctx(&[("aws:tagkeys", &["team", "env-x"])])));
        assert!(!all.evaluate(&ctx(&[("aws:tagkeys", &["team", "owner"])])));
        let any = cond("ForAnyValue:StringEquals", "aws:TagKeys", &["team"]);
        assert!(any.evaluate(&ctx(&[("aws:tagkeys", &["x", "team"])])));
        assert!(!any.evaluate(&ctx(&[("aws:tagkeys", &["x"])])));
        let all_not = cond("ForAllValues:StringNotLike", "aws:TagKeys", &["key1*"]);
        assert!(!all_not.evaluate(&ctx(&[("aws:tagkeys", &["key1:legal"])])));
        assert!(all_not.evaluate(&ctx(&[("aws:tagkeys", &["key2:audit"])])));
    }

    #[test]
    fn typed_operators() {
        let c = ctx(&[
            ("n", &["10"]),
            ("d", &["2024-06-01T12:00:00Z"]),
            ("ip", &["10.1.2.3"]),
            ("b", &["True"]),
            ("arn", &["arn:aws:iam::111122223333:role/app/x"]),
        ]);
        assert!(cond("NumericLessThan", "n", &["11"]).evaluate(&c));
        assert!(!cond("NumericGreaterThan", "n", &["10"]).evaluate(&c));
        assert!(cond("NumericGreaterThanEquals", "n", &["10.0"]).evaluate(&c));
        assert!(cond("DateGreaterThan", "d", &["2024-01-01"]).evaluate(&c));
        assert!(cond("DateLessThan", "d", &["1717243201"]).evaluate(&c));
        assert!(cond("IpAddress", "ip", &["10.0.0.0/8"]).evaluate(&c));
        assert!(cond("NotIpAddress", "ip", &["192.168.0.0/16"]).evaluate(&c));
        assert!(cond("Bool", "b", &["true"]).evaluate(&c));
        assert!(cond("ArnLike", "arn", &["arn:aws:iam::*:role/app/*"]).evaluate(&c));
        assert!(cond("ArnEquals", "arn", &["arn:aws:iam::111122223333:role/*"]).evaluate(&c));
        // Per-part matching: `*` in the account part does not swallow the resource part.
        assert!(!cond("ArnLike", "arn", &["arn:aws:iam::*"]).evaluate(&c));
        assert!(cond("StringLike", "arn", &["arn:aws:iam::*"]).evaluate(&c));
        assert!(cond("StringEqualsIgnoreCase", "b", &["TRUE"]).evaluate(&c));
        assert!(!cond("StringEquals", "b", &["true"]).evaluate(&c));
        assert!(Condition::compile("NumericEquals", "n", &["x".into()], true).is_err());
        assert!(Condition::compile("DateEquals", "n", &["x".into()], true).is_err());
        assert!(Condition::compile("IpAddress", "n", &["x".into()], true).is_err());
        assert!(Condition::compile("Bool", "n", &["yes".into()], true).is_err());
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(parse_date("1970-01-02"), Some(86_400_000));
        assert_eq!(parse_date("10"), Some(10_000));
        assert_eq!(parse_date("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_date("1970-01-01T00:00:00.5Z"), Some(500));
        assert_eq!(parse_date("soon"), None);
    }
}
