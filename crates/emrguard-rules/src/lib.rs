//! The audit: one file per rule, a registry, and the driver that runs the rules over an
//! inventory, applies the configuration and reports what could not be checked.
//!
//! **Architecture invariant:** rules do no IO and never panic; every finding names a rule
//! code, a practice and at least one resource.
#![deny(missing_docs)]

pub mod context;
pub mod docs;
pub mod finding;
pub mod registry;
pub mod releases;
pub mod rules;
pub mod suppress;

use std::collections::BTreeSet;

use emrguard_config::Config;
use emrguard_model::{CoverageGap, Inventory};
use serde::{Deserialize, Serialize};

pub use context::{CheckContext, SubjectClass};
pub use finding::{Evidence, Finding, Fix, Practice, Remediation, ResourceRef, Severity};
pub use registry::{Rule, RuleMeta};
pub use releases::ReleaseCatalog;

/// A rule that did not run, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SkippedRule {
    /// Rule code.
    pub code: String,
    /// Why: missing data areas, or disabled by configuration.
    pub reason: String,
}

/// The outcome of an audit.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditResult {
    /// Findings, sorted by practice, severity (highest first), code and resources.
    pub findings: Vec<Finding>,
    /// Codes of the rules that ran.
    pub rules_run: Vec<String>,
    /// Rules that did not run.
    pub skipped_rules: Vec<SkippedRule>,
    /// What the snapshot lacks.
    pub coverage_gaps: Vec<CoverageGap>,
}

/// Every rule, in code order.
pub fn all_rules() -> Vec<&'static dyn Rule> {
    let mut rules = rules::registry();
    rules.sort_by_key(|r| r.meta().code);
    rules
}

/// Finds a rule by code or name.
pub fn find_rule(code_or_name: &str) -> Option<&'static dyn Rule> {
    all_rules()
        .into_iter()
        .find(|r| r.meta().code.eq_ignore_ascii_case(code_or_name) || r.meta().name == code_or_name)
}

fn selected(meta: &RuleMeta, config: &Config) -> Result<(), String> {
    let named = |list: &[String]| {
        list.iter()
            .any(|x| x.eq_ignore_ascii_case(meta.code) || x == meta.name)
    };
    if named(&config.rules.disable) {
        return Err("disabled in the configuration".into());
    }
    if !config.rules.enable.is_empty() && !named(&config.rules.enable) {
        return Err("not in the configuration's enable list".into());
    }
    Ok(())
}

/// Runs every selected rule over the inventory.
pub fn audit(inventory: &Inventory, config: &Config, releases: &ReleaseCatalog) -> AuditResult {
    let cx = CheckContext::new(inventory, config, releases);
    let mut findings = Vec::new();
    let mut rules_run = Vec::new();
    let mut skipped_rules = Vec::new();
    for rule in all_rules() {
        let meta = rule.meta();
        if let Err(reason) = selected(meta, config) {
            skipped_rules.push(SkippedRule {
                code: meta.code.to_owned(),
                reason,
            });
            continue;
        }
        let missing: Vec<&str> = meta
            .requires
            .iter()
            .copied()
            .filter(|area| !inventory.has(area))
            .collect();
        if !missing.is_empty() {
            skipped_rules.push(SkippedRule {
                code: meta.code.to_owned(),
                reason: format!("the snapshot has no {} data", missing.join(", ")),
            });
            continue;
        }
        let mut out = Vec::new();
        rule.check(&cx, &mut out);
        if let Some(sev) = config
            .rules
            .severity
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(meta.code) || *k == meta.name)
            .and_then(|(_, v)| Severity::parse(v))
        {
            for f in &mut out {
                f.severity = sev;
            }
        }
        findings.extend(out);
        rules_run.push(meta.code.to_owned());
    }
    let mut seen = BTreeSet::new();
    findings.retain(|f| seen.insert(f.fingerprint.clone()));
    sort_findings(&mut findings);
    AuditResult {
        findings,
        rules_run,
        skipped_rules,
        coverage_gaps: inventory.coverage_gaps(),
    }
}

/// Sorts findings deterministically: practice, severity (highest first), code, resources.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (
            a.practice,
            std::cmp::Reverse(a.severity),
            &a.code,
            &a.resources,
            &a.message,
        )
            .cmp(&(
                b.practice,
                std::cmp::Reverse(b.severity),
                &b.code,
                &b.resources,
                &b.message,
            ))
    });
}
