//! The fixture report every renderer test uses: `fixtures/audit.json` (an audit result with
//! findings of every practice and severity, and a rule catalog) after the suppressions of
//! `fixtures/emrguard.toml` on a fixed date.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use emrguard_config::Config;
use emrguard_report::{Report, RuleInfo};
use emrguard_rules::{suppress, AuditResult, Finding};
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    result: AuditResult,
    rules: Vec<RuleInfo>,
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
}

/// The fixture's audit result (fingerprints computed as the rules compute them) and catalog.
pub fn fixture() -> (AuditResult, Vec<RuleInfo>) {
    let text = std::fs::read_to_string(fixtures().join("audit.json")).unwrap();
    let mut fixture: Fixture = serde_json::from_str(&text).unwrap();
    for f in &mut fixture.result.findings {
        f.fingerprint = Finding::compute_fingerprint(&f.code, &f.resources);
    }
    emrguard_rules::sort_findings(&mut fixture.result.findings);
    (fixture.result, fixture.rules)
}

/// The fixture report: suppressions applied on [`today`], rule metadata from the catalog.
pub fn report() -> Report {
    let (result, catalog) = fixture();
    let config = Config::load(&fixtures().join("emrguard.toml")).unwrap();
    let applied = suppress::apply(result, &config, today());
    Report::with_rules(applied.result, "snapshots/prod", "0.1.0", &catalog).with_suppressed(
        applied.suppressed,
        applied.warnings,
        &catalog,
    )
}
