//! The audit gives the same result on any number of threads: rules share the context's lazily
//! built caches, and findings are merged in code order and sorted.

use std::path::Path;

use emrguard_config::Config;
use emrguard_load::{load_snapshot, LoadOptions};
use emrguard_rules::{audit_with_threads, ReleaseCatalog};

fn same_result_on_any_number_of_threads(lab: &str) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(lab);
    let inventory = load_snapshot(&dir, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{lab} does not load: {e}"));
    let config = Config::load(&dir.join("emrguard.toml")).unwrap();
    let releases = ReleaseCatalog::builtin();
    let one = audit_with_threads(&inventory, &config, &releases, 1);
    let expected = serde_json::to_string(&one).unwrap();
    for threads in [2, 3, 8] {
        let many = audit_with_threads(&inventory, &config, &releases, threads);
        assert_eq!(
            serde_json::to_string(&many).unwrap(),
            expected,
            "{lab} on {threads} threads"
        );
    }
    one.findings.len()
}

#[test]
fn insecure_lab_audit_does_not_depend_on_threads() {
    assert!(same_result_on_any_number_of_threads("insecure-lab") > 10);
}

#[test]
fn hardened_lab_audit_does_not_depend_on_threads() {
    same_result_on_any_number_of_threads("hardened-lab");
}
