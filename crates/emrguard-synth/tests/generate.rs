//! The generator on its own: determinism, the planted list, and that every file parses.

use std::collections::BTreeMap;
use std::path::Path;

use emrguard_synth::{floor, generate, Size};
use serde_json::Value;

fn read_all(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                files.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

#[test]
fn same_seed_gives_identical_files_and_another_seed_does_not() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let c = tempfile::tempdir().unwrap();
    generate(a.path(), Size::S, 7, None).unwrap();
    generate(b.path(), Size::S, 7, None).unwrap();
    generate(c.path(), Size::S, 8, None).unwrap();
    let (fa, fb, fc) = (read_all(a.path()), read_all(b.path()), read_all(c.path()));
    assert!(fa.len() > 50, "only {} files", fa.len());
    assert_eq!(fa, fb, "same seed, different files");
    assert_ne!(fa, fc, "different seeds, same files");
}

#[test]
fn every_file_parses_and_the_expected_list_names_every_practice() {
    let dir = tempfile::tempdir().unwrap();
    let summary = generate(dir.path(), Size::S, 1, None).unwrap();
    let stats = floor::parse_only(dir.path()).unwrap();
    assert!(stats.files + 1 >= summary.files.len(), "{stats:?}");
    // The document reference reads exactly the same files and documents.
    let documents = floor::parse_to(dir.path(), floor::Depth::Documents).unwrap();
    assert_eq!(documents, stats);
    // The typed floor reads every file the audit's loader reads, as the loader does.
    let (_, loaded) =
        emrguard_load::load_snapshot_with_summary(dir.path(), &Default::default()).unwrap();
    assert_eq!(
        emrguard_load::read_only(dir.path()).unwrap(),
        loaded.files_read
    );
    assert!(loaded.files_read + 2 >= stats.files, "{loaded:?} {stats:?}");
    let expected: Vec<Value> =
        serde_json::from_slice(&std::fs::read(dir.path().join("expected-findings.json")).unwrap())
            .unwrap();
    let practices: std::collections::BTreeSet<&str> = expected
        .iter()
        .filter_map(|e| e["practice"].as_str())
        .collect();
    for p in [
        "execution-role-least-privilege",
        "endpoint-access-control",
        "custom-image-updates",
        "pod-credential-access",
        "untrusted-code-isolation",
        "rbac-permissions",
        "node-credential-access",
    ] {
        assert!(practices.contains(p), "no planted violation of {p}");
    }
}

#[test]
fn filtering_by_implemented_rules_keeps_only_those_codes() {
    let dir = tempfile::tempdir().unwrap();
    let only: std::collections::BTreeSet<String> = ["NODE002".to_owned()].into();
    let summary = generate(dir.path(), Size::S, 1, Some(&only)).unwrap();
    assert!(!summary.expected.is_empty());
    assert!(summary.expected.iter().all(|e| e["code"] == "NODE002"));
}

#[test]
fn refuses_a_non_empty_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x"), b"x").unwrap();
    assert!(generate(dir.path(), Size::S, 1, None).is_err());
}

#[test]
fn kubectl_lists_are_in_the_api_servers_order() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), Size::S, 3, None).unwrap();
    let mut lists = 0;
    for (path, bytes) in read_all(dir.path()) {
        if !path.starts_with("k8s") || !path.ends_with(".json") {
            continue;
        }
        let list: Value = serde_json::from_slice(&bytes).unwrap();
        let Some(items) = list["items"].as_array() else {
            continue;
        };
        lists += 1;
        // Each kind's items together, sorted by namespace and name.
        let mut kinds_seen: Vec<&str> = Vec::new();
        let mut previous: Option<(&str, &str, &str)> = None;
        for item in items {
            let key = (
                item["kind"].as_str().unwrap(),
                item["metadata"]["namespace"].as_str().unwrap_or(""),
                item["metadata"]["name"].as_str().unwrap(),
            );
            match previous {
                Some(p) if p.0 == key.0 => assert!(p < key, "{path}: {p:?} before {key:?}"),
                _ => {
                    assert!(!kinds_seen.contains(&key.0), "{path}: {} split", key.0);
                    kinds_seen.push(key.0);
                }
            }
            previous = Some(key);
        }
    }
    assert!(lists > 10, "{lists} lists");
}
