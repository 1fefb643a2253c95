//! Matching an audit report (`emrguard audit --format json`) against an expected-findings list
//! (the labs' format): which planted violations were found, which were missed, and which
//! findings were not planted.

use serde_json::Value;

fn get(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_owned)
}

/// Whether a finding's resource is the expected resource: same kind, and the same ARN, id
/// (the name, or the last segment of the ARN) or namespace and name.
pub fn resource_matches(actual: &Value, expected: &Value) -> bool {
    if get(actual, "kind") != get(expected, "kind") {
        return false;
    }
    if let Some(arn) = get(expected, "arn") {
        return get(actual, "arn").as_deref() == Some(arn.as_str());
    }
    if let Some(id) = get(expected, "id") {
        return get(actual, "name").as_deref() == Some(id.as_str())
            || get(actual, "arn")
                .is_some_and(|a| a.rsplit(['/', ':']).next() == Some(id.as_str()));
    }
    get(actual, "name") == get(expected, "name")
        && get(actual, "namespace") == get(expected, "namespace")
}

/// Whether `finding` reports the expected violation: same code and practice, and one of its
/// resources is the expected resource.
pub fn finding_matches(finding: &Value, expected: &Value) -> bool {
    finding.get("code") == expected.get("code")
        && finding.get("practice") == expected.get("practice")
        && finding
            .get("resources")
            .and_then(Value::as_array)
            .is_some_and(|rs| {
                expected
                    .get("resource")
                    .is_some_and(|e| rs.iter().any(|r| resource_matches(r, e)))
            })
}

/// The outcome of [`compare`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Comparison {
    /// Expected findings the report has.
    pub found: Vec<Value>,
    /// Expected findings the report lacks.
    pub missing: Vec<Value>,
    /// Findings of the report that match no expected finding.
    pub unexpected: Vec<Value>,
}

/// Compares a report's `findings` with an expected list.
pub fn compare(expected: &[Value], report: &Value) -> Comparison {
    let findings: &[Value] = report
        .get("findings")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    let mut c = Comparison::default();
    for e in expected {
        if findings.iter().any(|f| finding_matches(f, e)) {
            c.found.push(e.clone());
        } else {
            c.missing.push(e.clone());
        }
    }
    c.unexpected = findings
        .iter()
        .filter(|f| !expected.iter().any(|e| finding_matches(f, e)))
        .cloned()
        .collect();
    c
}

/// One line for an expected finding: `CODE kind ns/name|arn|id`.
pub fn describe(expected: &Value) -> String {
    let r = expected.get("resource").unwrap_or(&Value::Null);
    let what = get(r, "arn")
        .or_else(|| get(r, "id"))
        .or_else(|| {
            get(r, "name").map(|n| match get(r, "namespace") {
                Some(ns) => format!("{ns}/{n}"),
                None => n,
            })
        })
        .unwrap_or_default();
    format!(
        "{} {} {what}",
        get(expected, "code").unwrap_or_default(),
        get(r, "kind").unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn matches_by_arn_id_and_name() {
        let role = json!({"kind": "IAMRole", "arn": "arn:aws:iam::1:role/r"});
        assert!(resource_matches(
            &json!({"kind": "IAMRole", "name": "r", "arn": "arn:aws:iam::1:role/r"}),
            &role
        ));
        assert!(!resource_matches(
            &json!({"kind": "IAMUser", "arn": "arn:aws:iam::1:role/r"}),
            &role
        ));
        let job = json!({"kind": "JobRun", "id": "00000003abc"});
        assert!(resource_matches(
            &json!({"kind": "JobRun", "name": "x", "arn": "arn:aws:emr-containers:r:1:/virtualclusters/v/jobruns/00000003abc"}),
            &job
        ));
        assert!(!resource_matches(
            &json!({"kind": "JobRun", "name": "x", "arn": "arn:.../jobruns/00000003abd"}),
            &job
        ));
        let pod = json!({"kind": "Pod", "namespace": "a", "name": "p"});
        assert!(resource_matches(
            &json!({"kind": "Pod", "namespace": "a", "name": "p"}),
            &pod
        ));
        assert!(!resource_matches(
            &json!({"kind": "Pod", "namespace": "b", "name": "p"}),
            &pod
        ));
    }

    #[test]
    fn compare_splits_found_missing_and_unexpected() {
        let expected = vec![
            json!({"code": "NODE002", "practice": "node-credential-access", "resource": {"kind": "Pod", "namespace": "a", "name": "p"}}),
            json!({"code": "NODE002", "practice": "node-credential-access", "resource": {"kind": "Pod", "namespace": "a", "name": "q"}}),
        ];
        let report = json!({"findings": [
            {"code": "NODE002", "practice": "node-credential-access", "resources": [{"kind": "Pod", "namespace": "a", "name": "p"}]},
            {"code": "RBAC001", "practice": "rbac-permissions", "resources": [{"kind": "Group", "name": "g"}]},
        ]});
        let c = compare(&expected, &report);
        assert_eq!(c.found.len(), 1);
        assert_eq!(c.missing.len(), 1);
        assert_eq!(describe(&c.missing[0]), "NODE002 Pod a/q");
        assert_eq!(c.unexpected.len(), 1);
    }
}
