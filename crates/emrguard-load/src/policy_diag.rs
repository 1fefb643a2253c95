//! Pinpoints what is wrong in an IAM policy document that failed to parse.
//!
//! The model's policy grammar accepts several forms (a statement or a list of statements, a
//! string or a list of strings), so its parse errors stop at the document. This walks the
//! failing document to name the exact field (`Statement[0].Effect`) and what it should be.

use serde_json::Value;

use crate::error::join_path;

/// Fields of aws CLI output that hold a policy document.
const POLICY_FIELDS: &[&str] = &["AssumeRolePolicyDocument", "PolicyDocument", "Document"];

/// For an error at `path` inside the JSON value `element_text`: when `path` is a policy
/// document field, the path of the first problem in the document and a message.
pub(crate) fn refine(element_text: &str, path: &str) -> Option<(String, String)> {
    // The error may have been raised inside the document (`...PolicyDocument.Statement[0]`):
    // the document's own walk below names the first problem either way. The path is cut
    // after its last policy document field.
    let mut end = None;
    let mut at = 0;
    for segment in path.split('.') {
        at += segment.len();
        if POLICY_FIELDS.contains(&segment) {
            end = Some(at);
        }
        at += 1;
    }
    let path = path.get(..end?)?;
    let value: Value = serde_json::from_str(element_text).ok()?;
    let document = navigate(&value, path)?;
    let (sub_path, message) = check_document(document)?;
    Some((join_path(path, &sub_path), message))
}

/// Follows a path like `RolePolicyList[0].PolicyDocument` into a value.
fn navigate<'v>(mut value: &'v Value, path: &str) -> Option<&'v Value> {
    for part in path.split('.') {
        let (key, mut indexes) = match part.find('[') {
            Some(i) => (part.get(..i)?, part.get(i..)?),
            None => (part, ""),
        };
        if !key.is_empty() {
            value = value.get(key)?;
        }
        while let Some(rest) = indexes.strip_prefix('[') {
            let (index, tail) = rest.split_once(']')?;
            value = value.get(index.parse::<usize>().ok()?)?;
            indexes = tail;
        }
    }
    Some(value)
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn check_document(document: &Value) -> Option<(String, String)> {
    let object = match document {
        // URL-encoded documents: the model's own message says what is wrong.
        Value::String(_) => return None,
        Value::Object(object) => object,
        other => {
            return Some((
                String::new(),
                format!(
                    "expected a policy document (an object with `Statement`), found {}",
                    type_name(other)
                ),
            ))
        }
    };
    for key in ["Version", "Id"] {
        match object.get(key) {
            None | Some(Value::Null | Value::String(_)) => {}
            Some(other) => {
                return Some((
                    key.to_owned(),
                    format!("expected a string, found {}", type_name(other)),
                ))
            }
        }
    }
    match object.get("Statement") {
        None | Some(Value::Null) => None,
        Some(statement @ Value::Object(_)) => check_statement(statement, "Statement"),
        Some(Value::Array(statements)) => statements
            .iter()
            .enumerate()
            .find_map(|(i, s)| check_statement(s, &format!("Statement[{i}]"))),
        Some(other) => Some((
            "Statement".to_owned(),
            format!(
                "expected a statement object or a list of statements, found {}",
                type_name(other)
            ),
        )),
    }
}

fn check_statement(statement: &Value, path: &str) -> Option<(String, String)> {
    let Value::Object(object) = statement else {
        return Some((
            path.to_owned(),
            format!(
                "expected a statement object, found {}",
                type_name(statement)
            ),
        ));
    };
    let at = |key: &str| join_path(path, key);
    match object.get("Effect") {
        Some(Value::String(effect)) if effect == "Allow" || effect == "Deny" => {}
        Some(Value::String(effect)) => {
            return Some((
                at("Effect"),
                format!("expected \"Allow\" or \"Deny\", found {effect:?}"),
            ))
        }
        Some(other) => {
            return Some((
                at("Effect"),
                format!("expected \"Allow\" or \"Deny\", found {}", type_name(other)),
            ))
        }
        None => {
            return Some((
                path.to_owned(),
                "missing `Effect` (\"Allow\" or \"Deny\")".to_owned(),
            ))
        }
    }
    if let Some(sid) = object.get("Sid") {
        if !matches!(sid, Value::Null | Value::String(_)) {
            return Some((
                at("Sid"),
                format!("expected a string, found {}", type_name(sid)),
            ));
        }
    }
    for key in ["Principal", "NotPrincipal"] {
        if let Some(problem) = object.get(key).and_then(|p| check_principal(p, &at(key))) {
            return Some(problem);
        }
    }
    for key in ["Action", "NotAction", "Resource", "NotResource"] {
        if let Some(problem) = object.get(key).and_then(|v| check_strings(v, &at(key))) {
            return Some(problem);
        }
    }
    object
        .get("Condition")
        .and_then(|c| check_condition(c, &at("Condition")))
}

fn check_principal(principal: &Value, path: &str) -> Option<(String, String)> {
    match principal {
        Value::Null => None,
        Value::String(s) if s == "*" => None,
        Value::String(s) => Some((
            path.to_owned(),
            format!(
                "expected \"*\" or an object such as {{\"AWS\": \"arn:...\"}}, found the string {s:?}"
            ),
        )),
        Value::Object(types) => types
            .iter()
            .find_map(|(kind, values)| check_strings(values, &join_path(path, kind))),
        other => Some((
            path.to_owned(),
            format!(
                "expected \"*\" or an object of principal types (AWS, Service, Federated, CanonicalUser), found {}",
                type_name(other)
            ),
        )),
    }
}

fn check_strings(value: &Value, path: &str) -> Option<(String, String)> {
    match value {
        Value::Null | Value::String(_) => None,
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            (!item.is_string()).then(|| {
                (
                    format!("{path}[{i}]"),
                    format!("expected a string, found {}", type_name(item)),
                )
            })
        }),
        other => Some((
            path.to_owned(),
            format!(
                "expected a string or a list of strings, found {}",
                type_name(other)
            ),
        )),
    }
}

fn check_condition(condition: &Value, path: &str) -> Option<(String, String)> {
    let scalar = |v: &Value| matches!(v, Value::String(_) | Value::Bool(_) | Value::Number(_));
    let operators = match condition {
        Value::Null => return None,
        Value::Object(operators) => operators,
        other => {
            return Some((
                path.to_owned(),
                format!(
                    "expected an object of condition operators, found {}",
                    type_name(other)
                ),
            ))
        }
    };
    for (operator, keys) in operators {
        let op_path = join_path(path, operator);
        let Value::Object(keys) = keys else {
            return Some((
                op_path,
                format!(
                    "expected an object of condition keys to values, found {}",
                    type_name(keys)
                ),
            ));
        };
        for (key, values) in keys {
            let ok =
                scalar(values) || matches!(values, Value::Array(items) if items.iter().all(scalar));
            if !ok {
                return Some((
                    join_path(&op_path, key),
                    format!(
                        "expected a string, number, boolean or a list of them, found {}",
                        type_name(values)
                    ),
                ));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_bad_field() {
        let role = r#"{"RoleName": "r", "AssumeRolePolicyDocument": {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}, {"Effect": "allow"}]}}"#;
        assert_eq!(
            refine(role, "AssumeRolePolicyDocument"),
            Some((
                "AssumeRolePolicyDocument.Statement[1].Effect".to_owned(),
                "expected \"Allow\" or \"Deny\", found \"allow\"".to_owned()
            ))
        );
        // An error raised inside the document is refined the same way.
        assert_eq!(
            refine(role, "AssumeRolePolicyDocument.Statement[1].Effect").map(|r| r.0),
            Some("AssumeRolePolicyDocument.Statement[1].Effect".to_owned())
        );
        assert_eq!(
            refine(role, "AssumeRolePolicyDocument.Statement[1]").map(|r| r.0),
            Some("AssumeRolePolicyDocument.Statement[1].Effect".to_owned())
        );
        let inline = r#"{"RolePolicyList": [{"PolicyName": "p", "PolicyDocument":
            {"Statement": {"Effect": "Allow", "Action": ["s3:GetObject", 5]}}}]}"#;
        assert_eq!(
            refine(inline, "RolePolicyList[0].PolicyDocument").map(|r| r.0),
            Some("RolePolicyList[0].PolicyDocument.Statement.Action[1]".to_owned())
        );
        let principal = r#"{"Document": {"Statement": [{"Effect": "Deny", "Principal": "me"}]}}"#;
        assert_eq!(
            refine(principal, "Document").map(|r| r.0),
            Some("Document.Statement[0].Principal".to_owned())
        );
        let condition = r#"{"Document": {"Statement": [{"Effect": "Deny",
            "Condition": {"StringEquals": {"k": {"nested": 1}}}}]}}"#;
        assert_eq!(
            refine(condition, "Document").map(|r| r.0),
            Some("Document.Statement[0].Condition.StringEquals.k".to_owned())
        );
    }

    #[test]
    fn other_paths_and_valid_documents_are_left_alone() {
        assert_eq!(refine(r#"{"Arn": 5}"#, "Arn"), None);
        let valid =
            r#"{"Document": {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}"#;
        assert_eq!(refine(valid, "Document"), None);
    }
}
