//! Secret values are never kept: every fixture Secret carries a canary (`CANARY...`, or its
//! base64 form `Q0FOQVJZ...`) in `data`, `stringData` or the `last-applied-configuration`
//! annotation, and the canary must not appear anywhere in what the loader returns.

use std::path::{Path, PathBuf};

use emrguard_load::{load_files, load_snapshot, LoadOptions, SnapshotFile};
use emrguard_model::inventory::area;
use emrguard_model::Inventory;

const CANARIES: &[&str] = &["CANARY", "Q0FOQVJZ"];

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// Everything the inventory shows: its debug form and the serialized objects.
fn everything(inventory: &Inventory) -> String {
    let serialized = [
        serde_json::to_string(&inventory.secrets),
        serde_json::to_string(&inventory.config_maps),
        serde_json::to_string(&inventory.skipped),
        serde_json::to_string(&inventory.warnings),
    ]
    .into_iter()
    .map(Result::unwrap_or_default)
    .collect::<Vec<_>>()
    .join("\n");
    format!("{inventory:?}\n{serialized}")
}

fn assert_no_canary(shown: &str) {
    for canary in CANARIES {
        assert!(!shown.contains(canary), "{canary} leaked:\n{shown}");
    }
}

#[test]
fn the_fixtures_do_carry_canaries() {
    // Guards the test itself: if the fixtures lost their canaries, it would prove nothing.
    let mut found = 0;
    for entry in std::fs::read_dir(data("secrets"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        found += CANARIES.iter().filter(|c| text.contains(*c)).count();
    }
    assert!(found >= 8, "{found}");
}

#[test]
fn secrets_keep_metadata_and_key_names_only() {
    let inventory = match load_snapshot(&data("secrets"), &LoadOptions::default()) {
        Ok(inventory) => inventory,
        Err(e) => panic!("does not load: {e}"),
    };
    assert_no_canary(&everything(&inventory));
    let secrets: Vec<(&str, &str, Vec<&str>)> = inventory
        .secrets
        .iter()
        .map(|s| {
            (
                s.metadata.namespace.as_deref().unwrap_or_default(),
                s.metadata.name.as_str(),
                s.keys.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        secrets,
        [
            ("default", "db", vec!["password"]),
            ("default", "first", vec!["config.yaml"]),
            ("default", "registry", vec![".dockerconfigjson"]),
            ("default", "second", vec!["key"]),
            (
                "emr-team-a",
                "aws-creds",
                vec!["aws_access_key_id", "aws_secret_access_key"]
            ),
            ("kube-system", "plain", vec!["api-key"]),
            ("kube-system", "sa-token", vec!["ca.crt", "token"]),
        ]
    );
    // Other annotations and the type survive.
    let db = inventory.secrets.first();
    assert_eq!(
        db.and_then(|s| s.metadata.annotations.get("team"))
            .map(|s| s.as_str()),
        Some("data")
    );
    assert_eq!(
        inventory
            .secrets
            .iter()
            .find(|s| s.metadata.name == "sa-token")
            .and_then(|s| s.secret_type.as_deref()),
        Some("kubernetes.io/service-account-token")
    );
    assert!(inventory.has(area::SECRETS));
}

#[test]
fn a_malformed_secret_is_reported_without_its_values() {
    let error = load_snapshot(&data("secret-malformed"), &LoadOptions::default()).err();
    let shown = format!(
        "{error:?} {}",
        error.as_ref().map(ToString::to_string).unwrap_or_default()
    );
    assert!(shown.contains("stringData"), "{shown}");
    assert_no_canary(&shown);

    let kept = load_snapshot(&data("secret-malformed"), &LoadOptions { keep_going: true });
    let Ok(inventory) = kept else {
        panic!("keep-going failed: {kept:?}");
    };
    assert_eq!(inventory.skipped.len(), 1);
    assert_no_canary(&everything(&inventory));
}

#[test]
fn secrets_of_ignored_or_odd_shapes_do_not_leak() {
    // A Secret inside a raw `SecretList` (items without kind), and a non-string value.
    let files = vec![
        SnapshotFile {
            path: "raw.json".into(),
            bytes: br#"{"apiVersion": "v1", "kind": "SecretList", "items": [
                {"metadata": {"name": "raw", "namespace": "x"}, "data": {"k": "Q0FOQVJZLXJhdw=="}}]}"#
                .to_vec(),
        },
        SnapshotFile {
            path: "odd.yaml".into(),
            bytes: b"apiVersion: v1\nkind: Secret\nmetadata: {name: odd}\ndata:\n  n: 12345\n  m: {CANARY-nested: [1, 2]}\n".to_vec(),
        },
    ];
    let result = load_files(files, &LoadOptions::default());
    let Ok(inventory) = result else {
        panic!("does not load: {result:?}");
    };
    assert_no_canary(&everything(&inventory));
    let keys: Vec<Vec<String>> = inventory.secrets.iter().map(|s| s.keys.clone()).collect();
    assert_eq!(
        keys,
        vec![vec!["m".to_owned(), "n".to_owned()], vec!["k".to_owned()]]
    );
}
