//! The malformed-input corpus: every directory under `tests/data/malformed/` is a snapshot
//! with one bad file, and must stop the load naming the file, where (line:column or JSON
//! path) and what was expected. With `keep_going` the same files are skipped with a warning.

use std::path::{Path, PathBuf};

use emrguard_load::{load_snapshot, read_only, LoadError, LoadOptions};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/malformed")
}

/// (case directory, file, location, part of the message)
const CASES: &[(&str, &str, &str, &str)] = &[
    ("json-syntax", "pods.json", "8:13", "expected `,` or `}`"),
    ("json-truncated", "iam.json", "3:20", "EOF while parsing an object"),
    (
        "yaml-syntax",
        "rbac.yaml",
        "9:3",
        "did not find expected ',' or ']', while parsing a flow sequence at line 8 column 14",
    ),
    (
        "subjects-not-a-list-json",
        "bindings.json",
        "items[1].subjects",
        "invalid type: string \"alice\", expected a sequence (line 16, column 31)",
    ),
    (
        "subjects-not-a-list-yaml",
        "bindings.yaml",
        "15:11",
        "subjects: invalid type: string \"alice\", expected a sequence",
    ),
    (
        "containers-not-a-list-yaml-list",
        "pods.yaml",
        "15:7",
        "items[1].spec.containers: invalid type: map, expected a sequence",
    ),
    (
        "hop-limit-not-a-number",
        "launch-templates.json",
        "LaunchTemplateVersions[0].LaunchTemplateData.MetadataOptions.HttpPutResponseHopLimit",
        "invalid type: string \"two\", expected i64",
    ),
    (
        "trust-policy-bad-effect",
        "iam.json",
        "RoleDetailList[3].AssumeRolePolicyDocument.Statement[0].Effect",
        "expected \"Allow\" or \"Deny\", found \"allow\"",
    ),
    (
        "managed-policy-bad-action",
        "iam.json",
        "Policies[0].PolicyVersionList[0].Document.Statement[1].Action",
        "expected a string or a list of strings, found an object",
    ),
    (
        "aws-auth-groups-not-a-list",
        "aws-auth.yaml",
        "data.mapRoles",
        "invalid aws-auth mapRoles (line 7, column 11 of its text): [1].groups: invalid type: map, expected a sequence",
    ),
    (
        "aws-auth-in-list-json",
        "configmaps.json",
        "items[1].data.mapUsers",
        "invalid aws-auth mapUsers (line 2, column 13 of its text)",
    ),
    (
        "cloudtrail-event-not-json",
        "lookup.json",
        "Events[0].CloudTrailEvent",
        "not a CloudTrail record in JSON",
    ),
    ("not-utf8", "subnets.json", "2:17", "not valid UTF-8 text"),
    (
        "gzip-corrupt",
        "111122223333_CloudTrail_us-west-2.json.gz",
        "1:1",
        "not a valid gzip file",
    ),
    (
        "items-not-a-list",
        "pods.json",
        "items",
        "expected a list of Kubernetes objects",
    ),
    ("aws-list-not-a-list", "subnets.json", "Subnets", "expected a list"),
    (
        "access-policies-without-principal",
        "policies.json",
        "principalArn",
        "missing",
    ),
    (
        "yaml-aws-output",
        "subnets.yaml",
        "Subnets[1].MapPublicIpOnLaunch",
        "invalid type: string \"sometimes\", expected a boolean (in the YAML document at line 2)",
    ),
    (
        "json-without-extension",
        "describe-cluster",
        "cluster.arn",
        "invalid type: integer `42`, expected a string (line 2, column 10)",
    ),
    (
        "secret-data-not-a-map",
        "secret.yaml",
        "6:7",
        "data: expected a map of key names to values (values are not shown)",
    ),
];

#[test]
fn every_case_has_an_expectation_and_every_expectation_a_case() {
    let mut dirs: Vec<String> = std::fs::read_dir(corpus())
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    let mut cases: Vec<String> = CASES.iter().map(|c| c.0.to_owned()).collect();
    cases.sort();
    assert_eq!(dirs, cases);
}

#[test]
fn each_case_stops_the_load_at_the_right_place() {
    let mut failures = Vec::new();
    for (case, file, location, message) in CASES {
        let result = load_snapshot(&corpus().join(case), &LoadOptions::default());
        match result {
            Err(LoadError::Malformed {
                file: f,
                location: l,
                message: m,
            }) => {
                if f != *file || l != *location || !m.contains(message) {
                    failures.push(format!(
                        "{case}: got {f}:{l}: {m}\n      want {file}:{location}: ...{message}..."
                    ));
                }
            }
            other => failures.push(format!("{case}: expected Malformed, got {other:?}")),
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn reading_without_keeping_fails_as_loading_does() {
    for (case, ..) in CASES {
        let dir = corpus().join(case);
        let loaded = load_snapshot(&dir, &LoadOptions::default()).map(drop);
        let read = read_only(&dir).map(drop);
        assert_eq!(format!("{read:?}"), format!("{loaded:?}"), "{case}");
    }
}

#[test]
fn secret_values_never_appear_in_errors() {
    let result = load_snapshot(
        &corpus().join("secret-data-not-a-map"),
        &LoadOptions::default(),
    );
    let shown = format!(
        "{:?} {}",
        result,
        result
            .as_ref()
            .err()
            .map(ToString::to_string)
            .unwrap_or_default()
    );
    assert!(!shown.contains("c2VjcmV0LXZhbHVl"), "{shown}");
}

#[test]
fn keep_going_skips_each_bad_file_with_a_warning() {
    let options = LoadOptions { keep_going: true };
    for (case, file, location, message) in CASES {
        let inventory = match load_snapshot(&corpus().join(case), &options) {
            Ok(inventory) => inventory,
            Err(e) => panic!("{case}: keep-going still failed: {e}"),
        };
        let skipped = inventory.skipped.iter().find(|s| s.file == *file);
        assert!(
            skipped.is_some_and(|s| s.reason.contains(location) && s.reason.contains(message)),
            "{case}: {:?}",
            inventory.skipped
        );
        assert!(
            inventory
                .warnings
                .iter()
                .any(|w| w.starts_with(&format!("{file}: skipped, malformed at {location}"))),
            "{case}: {:?}",
            inventory.warnings
        );
    }
}

#[test]
fn keep_going_keeps_the_good_objects_of_other_files() {
    // The whole corpus as one snapshot: every bad file is skipped, the good ones are read.
    let options = LoadOptions { keep_going: true };
    let inventory = match load_snapshot(&corpus(), &options) {
        Ok(inventory) => inventory,
        Err(e) => panic!("keep-going still failed: {e}"),
    };
    assert_eq!(inventory.skipped.len(), CASES.len());
    assert!(inventory.namespace("survivor").is_some());
    // Objects from bad files are not half-loaded.
    assert!(inventory.role_bindings.is_empty());
    assert!(inventory.iam_roles.is_empty());
    assert!(inventory.pods.is_empty());
}

#[test]
fn without_keep_going_the_first_bad_file_in_path_order_is_reported() {
    let result = load_snapshot(&corpus(), &LoadOptions::default());
    let Err(LoadError::Malformed { file, .. }) = result else {
        panic!("expected Malformed, got {result:?}");
    };
    let mut first: Vec<String> = CASES
        .iter()
        .map(|(case, file, _, _)| format!("{case}/{file}"))
        .collect();
    first.sort();
    assert_eq!(Some(&file), first.first());
}
