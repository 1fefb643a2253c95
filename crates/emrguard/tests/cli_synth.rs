//! `emrguard synth`: a generated size-S snapshot is audited by the real binary, every planted
//! violation listed in its `expected-findings.json` is found, the synthetic part adds no
//! finding that was not planted, and generation is deterministic per seed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use emrguard_synth::check;
use serde_json::Value;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_emrguard"))
}

fn synth(dir: &Path, seed: u64) {
    let out = bin()
        .args(["synth", "--size", "s", "--seed", &seed.to_string(), "--out"])
        .arg(dir)
        .output()
        .expect("run emrguard synth");
    assert!(
        out.status.success(),
        "synth failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn audit(dir: &Path) -> Value {
    let out = bin()
        .args(["audit", "--format", "json"])
        .arg(dir)
        .output()
        .expect("run emrguard audit");
    assert_eq!(out.status.code(), Some(1), "an audit with findings exits 1");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "audit output is not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn expected(path: &Path) -> Vec<Value> {
    serde_json::from_slice(&std::fs::read(path).expect("expected-findings.json")).unwrap()
}

fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                out.insert(path.strip_prefix(dir).unwrap().to_path_buf(), bytes);
            }
        }
    }
    out
}

/// A finding's identity for comparing two reports: its code and resources.
fn key(finding: &Value) -> (Value, Value) {
    (finding["code"].clone(), finding["resources"].clone())
}

#[test]
fn synth_s_audit_finds_every_planted_violation_and_adds_no_noise() {
    let dir = tempfile::tempdir().unwrap();
    synth(dir.path(), 1);
    let expected = expected(&dir.path().join("expected-findings.json"));
    assert!(
        expected.len() > 50,
        "too few planted violations: {}",
        expected.len()
    );
    let report = audit(dir.path());
    let comparison = check::compare(&expected, &report);
    let missing: Vec<String> = comparison.missing.iter().map(check::describe).collect();
    assert!(
        missing.is_empty(),
        "planted violations not found:\n{}",
        missing.join("\n")
    );

    // Whatever the synthetic snapshot reports beyond its list must be something the bundled
    // lab reports beyond its own list too: the clean tenants around it add nothing.
    let lab = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/insecure-lab");
    let lab_extra: Vec<(Value, Value)> = check::compare(&expected_lab(&lab), &audit(&lab))
        .unexpected
        .iter()
        .map(key)
        .collect();
    let noise: Vec<String> = comparison
        .unexpected
        .iter()
        .filter(|f| !lab_extra.contains(&key(f)))
        .map(|f| format!("{} {}", f["code"], f["message"]))
        .collect();
    assert!(
        noise.is_empty(),
        "findings nobody planted:\n{}",
        noise.join("\n")
    );
}

fn expected_lab(lab: &Path) -> Vec<Value> {
    expected(&lab.join("expected-findings.json"))
}

#[test]
fn synth_is_deterministic_per_seed() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let c = tempfile::tempdir().unwrap();
    synth(a.path(), 42);
    synth(b.path(), 42);
    synth(c.path(), 43);
    let (fa, fb, fc) = (files(a.path()), files(b.path()), files(c.path()));
    assert!(fa.len() > 50);
    assert_eq!(fa, fb, "the same seed gave different files");
    assert_ne!(fa, fc, "different seeds gave the same files");
}

#[test]
fn synth_refuses_a_non_empty_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep.txt"), b"x").unwrap();
    let out = bin()
        .args(["synth", "--size", "s", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(dir.path().join("keep.txt").exists());
}
