//! Acceptance: the bundled insecure lab yields a finding for every planted problem its
//! `expected-findings.json` lists (with the right practice), and the hardened lab yields no
//! finding of severity low or above. Runs the real binary on the real files.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn audit_json(lab: &str) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_emrguard"))
        .args(["audit", "--format", "json"])
        .arg(repo().join("examples").join(lab))
        .output()
        .expect("run emrguard");
    let code = out.status.code().unwrap_or(-1);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{lab}: audit output is not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, json)
}

#[test]
fn insecure_lab_yields_every_planted_finding() {
    let (code, report) = audit_json("insecure-lab");
    assert_eq!(code, 1, "an audit with findings exits 1");
    let expected: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(repo().join("examples/insecure-lab/expected-findings.json"))
            .unwrap(),
    )
    .unwrap();
    let comparison = emrguard_synth::check::compare(&expected, &report);
    let missing: Vec<String> = comparison
        .missing
        .iter()
        .map(emrguard_synth::check::describe)
        .collect();
    assert!(
        missing.is_empty(),
        "planted problems not found:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_finding_has_the_documented_json_fields() {
    let (_, report) = audit_json("insecure-lab");
    let practices = [
        "execution-role-least-privilege",
        "endpoint-access-control",
        "custom-image-updates",
        "pod-credential-access",
        "untrusted-code-isolation",
        "rbac-permissions",
        "node-credential-access",
    ];
    for f in report["findings"].as_array().unwrap() {
        for key in [
            "code",
            "name",
            "practice",
            "severity",
            "message",
            "resources",
            "evidence",
            "remediation",
        ] {
            assert!(f.get(key).is_some(), "finding without `{key}`: {f}");
        }
        assert!(practices.contains(&f["practice"].as_str().unwrap()), "{f}");
        assert!(!f["resources"].as_array().unwrap().is_empty(), "{f}");
        for r in f["resources"].as_array().unwrap() {
            assert!(r.get("kind").is_some(), "resource without kind: {r}");
        }
    }
}

#[test]
fn hardened_lab_has_no_finding_of_low_or_above() {
    let (code, report) = audit_json("hardened-lab");
    let serious: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info")
        .map(|f| format!("{} {}", f["code"], f["message"]))
        .collect();
    assert!(
        serious.is_empty(),
        "hardened lab findings:\n{}",
        serious.join("\n")
    );
    assert_eq!(code, 0);
}

#[test]
fn audit_output_is_deterministic() {
    let (_, a) = audit_json("insecure-lab");
    let (_, b) = audit_json("insecure-lab");
    assert_eq!(a, b);
}

#[test]
fn secret_canary_never_appears_in_any_output() {
    let canary = "EMRGUARD-CANARY-SECRET-VALUE";
    let canary_b64 = "RU1SR1VBUkQtQ0FOQVJZLVNFQ1JFVC1WQUxVRQ";
    for args in [
        vec!["audit", "--format", "json"],
        vec!["audit"],
        vec!["inventory", "--format", "json"],
        vec!["inventory"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_emrguard"))
            .args(&args)
            .arg(repo().join("examples/insecure-lab"))
            .output()
            .unwrap();
        for stream in [&out.stdout, &out.stderr] {
            let text = String::from_utf8_lossy(stream);
            assert!(
                !text.contains(canary) && !text.contains(canary_b64),
                "canary leaked by {args:?}"
            );
        }
    }
}
