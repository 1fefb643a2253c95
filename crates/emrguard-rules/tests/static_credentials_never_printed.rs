//! Static credentials found by the audit are named, never reproduced: no finding of any rule,
//! in any form a report can take, carries a secret value from the CRED004 fixture.

use std::path::Path;

use emrguard_config::Config;
use emrguard_load::{load_snapshot, LoadOptions};
use emrguard_rules::{audit, ReleaseCatalog};

/// Values planted in `tests/fixtures/CRED004/positive` (AWS's documented example keys).
const PLANTED: [&str; 4] = [
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "EXAMPLEKEY",
    "IQoJb3JpZ2luX2VjEXAMPLETOKEN",
];

#[test]
fn no_rule_prints_a_planted_secret() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/CRED004/positive");
    let inventory = load_snapshot(&dir, &LoadOptions::default()).expect("fixture loads");
    let result = audit(&inventory, &Config::default(), &ReleaseCatalog::builtin());
    let cred004 = result
        .findings
        .iter()
        .filter(|f| f.code == "CRED004")
        .count();
    assert!(
        cred004 >= 6,
        "the fixture should yield the CRED004 findings, got {cred004}"
    );
    let json = serde_json::to_string(&result.findings).expect("findings serialize");
    let debug = format!("{:?}", result.findings);
    for secret in PLANTED {
        assert!(
            !json.contains(secret),
            "a finding's JSON contains `{secret}`"
        );
        assert!(
            !debug.contains(secret),
            "a finding's Debug output contains `{secret}`"
        );
    }
    // The access key id is shown by its first four characters only.
    assert!(json.contains("AKIA…"), "the key id prefix should be shown");
}
