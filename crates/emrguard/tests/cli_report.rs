//! `emrguard audit` output options end to end: formats and files, exit codes, suppressions,
//! baselines, and a closed pipe.
//!
//! An expired suppression is itself a finding (CFG001, low), which gives these tests a finding
//! that does not depend on any snapshot content.

use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn emrguard() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_emrguard"));
    cmd.env_remove("NO_COLOR").env_remove("COLUMNS");
    cmd
}

/// An empty snapshot directory with an `emrguard.toml`.
fn snapshot(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("emrguard.toml"), config).unwrap();
    dir
}

const EXPIRED: &str = r#"
[[suppressions]]
rule = "NODE002"
reason = "debug pods were allowed during the migration"
expires = "2001-01-31"
"#;

const UNUSED: &str = r#"
[[suppressions]]
rule = "NODE002"
resource = "Pod/emr-team-a/never-there"
reason = "accepted for now"
expires = "2999-12-31"
"#;

fn audit(dir: &Path, extra: &[&str]) -> Output {
    emrguard()
        .arg("audit")
        .arg(dir)
        .args(extra)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json_file(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn exit_code_follows_fail_on() {
    let dir = snapshot(EXPIRED);
    let o = audit(dir.path(), &[]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "low finding with the default --fail-on low\n{}",
        stderr(&o)
    );
    assert!(stdout(&o).contains("CFG001"), "{}", stdout(&o));
    assert_eq!(
        audit(dir.path(), &["--fail-on", "info"]).status.code(),
        Some(1)
    );
    assert_eq!(
        audit(dir.path(), &["--fail-on", "medium"]).status.code(),
        Some(0)
    );
    assert_eq!(
        audit(dir.path(), &["--fail-on", "never"]).status.code(),
        Some(0)
    );
}

#[test]
fn clean_audit_exits_zero_and_says_so() {
    let dir = snapshot("");
    let o = audit(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("no findings"), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("Coverage gaps"),
        "missing data is never silent"
    );
}

#[test]
fn errors_exit_two() {
    let dir = snapshot(EXPIRED);
    let missing = dir.path().join("nope.json");
    let o = audit(dir.path(), &["--baseline", missing.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nope.json"), "{}", stderr(&o));
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"version": 9, "fingerprints": []}"#).unwrap();
    let o = audit(dir.path(), &["--baseline", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("version 9"), "{}", stderr(&o));
    let o = audit(dir.path(), &["--format", "dot"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--format dot is not available"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn several_reports_in_one_run() {
    let dir = snapshot(EXPIRED);
    let out = tempfile::tempdir().unwrap();
    let file = |name: &str| out.path().join(name);
    let (json, sarif, junit, md, html) = (
        file("r.json"),
        file("r.sarif"),
        file("r.xml"),
        file("r.md"),
        file("r.html"),
    );
    let mut args: Vec<String> = Vec::new();
    for (format, path) in [
        ("json", &json),
        ("sarif", &sarif),
        ("junit", &junit),
        ("markdown", &md),
        ("html", &html),
    ] {
        args.extend([
            "--format".into(),
            format.into(),
            "--output".into(),
            path.display().to_string(),
        ]);
    }
    args.extend([
        "--format".into(),
        "text".into(),
        "--output".into(),
        "-".into(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = audit(dir.path(), &args);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("CFG001"),
        "text went to standard output"
    );

    let report = json_file(&json);
    assert_eq!(report["schema_version"], "1.0");
    assert_eq!(report["findings"][0]["code"], "CFG001");
    let log = json_file(&sarif);
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(log["runs"][0]["results"][0]["ruleId"], "CFG001");
    assert_eq!(
        log["runs"][0]["results"][0]["partialFingerprints"]["emrguardFingerprint/v1"],
        report["findings"][0]["fingerprint"]
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.starts_with("<?xml") && xml.contains("<failure"),
        "{xml}"
    );
    assert!(std::fs::read_to_string(&md)
        .unwrap()
        .starts_with("## emrguard: 1 finding"));
    assert!(std::fs::read_to_string(&html)
        .unwrap()
        .starts_with("<!DOCTYPE html>"));
}

#[test]
fn format_and_output_must_pair_up() {
    let dir = snapshot(EXPIRED);
    let out = tempfile::tempdir().unwrap();
    let a = out.path().join("a.json");
    let o = audit(
        dir.path(),
        &[
            "--format",
            "json",
            "--format",
            "sarif",
            "--output",
            a.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("one --output per --format"),
        "{}",
        stderr(&o)
    );
    assert!(
        !a.exists(),
        "nothing is written when the arguments are wrong"
    );

    let o = audit(
        dir.path(),
        &["--format", "json", "-o", "-", "--format", "text", "-o", "-"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("standard output"), "{}", stderr(&o));

    let o = audit(
        dir.path(),
        &[
            "--format",
            "json",
            "-o",
            a.to_str().unwrap(),
            "--format",
            "sarif",
            "-o",
            a.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("twice"), "{}", stderr(&o));

    // One --format without --output: standard output.
    let o = audit(dir.path(), &["--format", "json"]);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["summary"]["by_severity"]["low"], 1);
}

#[test]
fn baseline_reports_only_new_findings() {
    let dir = snapshot(EXPIRED);
    let out = tempfile::tempdir().unwrap();
    let baseline = out.path().join("baseline.json");
    let o = audit(
        dir.path(),
        &["--write-baseline", baseline.to_str().unwrap()],
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "writing a baseline still reports: {}",
        stderr(&o)
    );
    let b = json_file(&baseline);
    assert_eq!(b["version"], 1);
    assert_eq!(b["fingerprints"].as_array().unwrap().len(), 1);
    assert_eq!(b["findings"][0]["code"], "CFG001");
    assert_eq!(b["findings"][0]["resources"][0], "Suppression/NODE002");

    let o = audit(
        dir.path(),
        &["--baseline", baseline.to_str().unwrap(), "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 0);
    assert_eq!(v["summary"]["in_baseline"], 1);
    assert_eq!(v["baseline"]["matched"], 1);

    // A reworded reason or a new date does not make the finding new; another rule does.
    let dir2 = snapshot(
        &EXPIRED
            .replace("migration", "move")
            .replace("2001-01-31", "2002-02-02"),
    );
    let o = audit(dir2.path(), &["--baseline", baseline.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let dir3 = snapshot(&EXPIRED.replace("NODE002", "CRED001"));
    let o = audit(dir3.path(), &["--baseline", baseline.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
}

#[test]
fn unused_suppression_is_a_warning_not_a_finding() {
    let dir = snapshot(UNUSED);
    let o = audit(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("Warnings"), "{}", stdout(&o));
    assert!(stdout(&o).contains("matched nothing"), "{}", stdout(&o));
    let o = audit(dir.path(), &["--format", "json"]);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["warnings"].as_array().unwrap().len(), 1);
}

#[test]
fn text_has_no_colour_off_a_terminal_and_follows_columns() {
    let dir = snapshot(EXPIRED);
    let o = audit(dir.path(), &[]);
    assert!(!stdout(&o).contains('\x1b'), "colour in piped output");
    let o = emrguard()
        .env("COLUMNS", "60")
        .arg("audit")
        .arg(dir.path())
        .output()
        .unwrap();
    let text = stdout(&o);
    let first = text.lines().next().unwrap();
    assert!(first.chars().count() <= 60, "{first:?}");
    let summary = text
        .lines()
        .find(|l| l.contains("practice") && l.contains("crit"))
        .unwrap_or_else(|| panic!("no narrow summary header in\n{text}"));
    assert!(summary.chars().count() <= 60, "{summary:?}");
}

#[test]
fn quiet_prints_one_line_per_finding() {
    let dir = snapshot(EXPIRED);
    let quiet = stdout(&audit(dir.path(), &["--quiet"]));
    assert_eq!(
        quiet.lines().filter(|l| l.contains("CFG001")).count(),
        1,
        "{quiet}"
    );
    assert!(!quiet.contains("evidence"));
    let verbose = stdout(&audit(dir.path(), &["--verbose"]));
    assert!(
        verbose.contains("Rules not run") || verbose.contains("rules ran, 0 did not"),
        "{verbose}"
    );
}

#[test]
fn closed_pipe_is_not_an_error() {
    let dir = snapshot(EXPIRED);
    let mut child = emrguard()
        .arg("audit")
        .arg(dir.path())
        .args(["--verbose", "--format", "html"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the reading end before the report is written.
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert_ne!(status.code(), Some(2), "{err}");
    assert!(!err.contains("error"), "{err}");
}

#[test]
fn help_documents_exit_codes_and_pairing() {
    let o = emrguard().args(["audit", "--help"]).output().unwrap();
    let help = stdout(&o);
    for needle in [
        "--fail-on",
        "--baseline",
        "--write-baseline",
        "Exit codes",
        "--format json --output a.json",
    ] {
        assert!(help.contains(needle), "{needle} missing from\n{help}");
    }
}

#[test]
fn explain_prints_a_rule_page_by_code_or_name_and_the_expired_suppression_check() {
    let by_code = emrguard().args(["explain", "rbac003"]).output().unwrap();
    assert_eq!(by_code.status.code(), Some(0));
    let page = stdout(&by_code);
    assert!(page.starts_with("# RBAC003 "), "{page}");
    assert!(page.contains("## Remediation"), "{page}");
    let name = page
        .lines()
        .next()
        .and_then(|l| l.split(' ').nth(2))
        .unwrap()
        .to_owned();
    let by_name = emrguard().args(["explain", &name]).output().unwrap();
    assert_eq!(stdout(&by_name), page);

    // CFG001 is reported like a rule, so it is explained like one.
    let cfg = emrguard().args(["explain", "CFG001"]).output().unwrap();
    assert_eq!(cfg.status.code(), Some(0), "{}", stdout(&cfg));
    let text = stdout(&cfg);
    assert!(text.starts_with("# CFG001 expired-suppression"), "{text}");
    assert!(text.contains("## Remediation"), "{text}");
    let json = emrguard()
        .args(["explain", "expired-suppression", "--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(v["code"], "CFG001");
    assert_eq!(v["severity"], "low");
    assert!(v["doc"].as_str().unwrap().contains("## Why is this bad?"));

    let unknown = emrguard().args(["explain", "NOPE001"]).output().unwrap();
    assert_eq!(unknown.status.code(), Some(2));
}
