//! The report model and one renderer per format: text for terminals, versioned JSON, SARIF 2.1.0
//! for code scanning, JUnit XML for CI, Markdown for pull requests and a self-contained HTML page.
//!
//! A [`Report`] is built once from an [`AuditResult`] (after suppressions, see
//! [`emrguard_rules::suppress`]), optionally filtered by a [`baseline::Baseline`], and then handed
//! to any number of renderers. Renderers are pure functions from the report to a string.
//!
//! **Architecture invariant:** the only crate that knows output formats. No renderer does IO
//! or panics, and every output is deterministic (sorted input, no timestamps).
#![deny(missing_docs)]

pub mod baseline;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod text;

mod util;

use std::collections::{BTreeMap, BTreeSet};

use emrguard_model::CoverageGap;
use emrguard_rules::suppress::{
    SuppressedFinding, EXPIRED_SUPPRESSION_CODE, EXPIRED_SUPPRESSION_DOC, EXPIRED_SUPPRESSION_NAME,
    EXPIRED_SUPPRESSION_SUMMARY,
};
use emrguard_rules::{AuditResult, Finding, Practice, Severity, SkippedRule};
use serde::{Deserialize, Serialize};

/// The JSON report schema version (`docs/report.schema.json`). The major number changes when
/// a field is removed or changes meaning; the minor number when fields are added.
pub const SCHEMA_VERSION: &str = "1.0";

/// Where the project's documentation lives; rule pages are `docs/rules/<CODE>.md` under it.
pub const DOCS_BASE: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/docs");

/// Finding counts per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Critical findings.
    pub critical: usize,
    /// High findings.
    pub high: usize,
    /// Medium findings.
    pub medium: usize,
    /// Low findings.
    pub low: usize,
    /// Informational findings.
    pub info: usize,
    /// All of them.
    pub total: usize,
}

impl Counts {
    /// Counts one finding of severity `s`.
    pub fn add(&mut self, s: Severity) {
        *self.slot(s) += 1;
        self.total += 1;
    }

    /// The count for one severity.
    pub fn get(&self, s: Severity) -> usize {
        match s {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }

    fn slot(&mut self, s: Severity) -> &mut usize {
        match s {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Info => &mut self.info,
        }
    }
}

/// Counts by practice and severity, plus what the report does not show.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Reported findings per severity (and in total).
    pub by_severity: Counts,
    /// Reported findings per practice (every practice, in the page's order), then severity.
    pub by_practice: BTreeMap<Practice, Counts>,
    /// Findings hidden by suppressions.
    pub suppressed: usize,
    /// Findings hidden because the baseline already has them.
    pub in_baseline: usize,
    /// Rules that ran.
    pub rules_run: usize,
    /// Rules that did not run.
    pub rules_skipped: usize,
}

impl Summary {
    /// Total reported findings.
    pub fn total(&self) -> usize {
        self.by_severity.total
    }
}

/// What the report says about a rule: enough for SARIF `rules[]`, JUnit and the HTML help.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleInfo {
    /// Stable code, e.g. `RBAC003`.
    pub code: String,
    /// Kebab-case name.
    pub name: String,
    /// One-line summary.
    pub summary: String,
    /// The practice the rule serves (for `CFG001`, the one most of its findings carry).
    pub practice: Practice,
    /// Default severity.
    pub severity: Severity,
    /// Documentation in Markdown (the rule's doc comment).
    pub doc: String,
    /// Where the documentation is published.
    pub help_uri: String,
}

impl RuleInfo {
    /// The registry's metadata for a code, or the built-in `CFG001`.
    pub fn lookup(code: &str) -> Option<Self> {
        if code.eq_ignore_ascii_case(EXPIRED_SUPPRESSION_CODE) {
            return Some(Self {
                code: EXPIRED_SUPPRESSION_CODE.to_owned(),
                name: EXPIRED_SUPPRESSION_NAME.to_owned(),
                summary: EXPIRED_SUPPRESSION_SUMMARY.to_owned(),
                practice: Practice::ExecutionRoleLeastPrivilege,
                severity: Severity::Low,
                doc: EXPIRED_SUPPRESSION_DOC.to_owned(),
                help_uri: format!("{DOCS_BASE}/reports.md#suppressions"),
            });
        }
        let meta = emrguard_rules::find_rule(code)?.meta();
        Some(Self {
            code: meta.code.to_owned(),
            name: meta.name.to_owned(),
            summary: meta.summary.to_owned(),
            practice: meta.practice,
            severity: meta.severity,
            doc: meta.doc_markdown(),
            help_uri: format!("{DOCS_BASE}/rules/{}.md", meta.code),
        })
    }

    /// Metadata derived from a finding, for codes the registry does not know.
    fn from_finding(f: &Finding) -> Self {
        Self {
            code: f.code.clone(),
            name: f.name.clone(),
            summary: f.name.replace('-', " "),
            practice: f.practice,
            severity: f.severity,
            doc: String::new(),
            help_uri: format!("{DOCS_BASE}/rules/{}.md", f.code),
        }
    }
}

/// Tool identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    /// `emrguard`.
    pub name: String,
    /// Version.
    pub version: String,
    /// The project's home page.
    pub information_uri: String,
}

/// The baseline a report was compared with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineUse {
    /// The baseline file, as given.
    pub file: String,
    /// Fingerprints in the baseline.
    pub fingerprints: usize,
    /// Current findings the baseline already had (not reported).
    pub matched: usize,
}

/// Everything a renderer needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Schema version of the JSON form ([`SCHEMA_VERSION`]).
    pub schema_version: String,
    /// Tool name and version.
    pub tool: Tool,
    /// The snapshot directory, as given.
    pub snapshot: String,
    /// Summary counts.
    pub summary: Summary,
    /// Reported findings: sorted by practice, severity (highest first), code and resources.
    pub findings: Vec<Finding>,
    /// Findings hidden by suppressions, with the reason and expiry.
    pub suppressed: Vec<SuppressedFinding>,
    /// The baseline the findings were compared with, if any.
    pub baseline: Option<BaselineUse>,
    /// Every rule that ran, was skipped, or has a finding, by code.
    pub rules: Vec<RuleInfo>,
    /// Codes of the rules that ran.
    pub rules_run: Vec<String>,
    /// Rules that did not run, and why.
    pub skipped_rules: Vec<SkippedRule>,
    /// What the snapshot lacks.
    pub coverage_gaps: Vec<CoverageGap>,
    /// Remarks that are not findings (e.g. suppressions that matched nothing).
    pub warnings: Vec<String>,
}

impl Report {
    /// Builds a report from an audit result, with rule metadata from the registry.
    pub fn new(result: AuditResult, snapshot: &str, version: &str) -> Self {
        Self::with_rules(result, snapshot, version, &[])
    }

    /// Builds a report; `catalog` supplies rule metadata first, the registry second, and the
    /// findings themselves last.
    pub fn with_rules(
        result: AuditResult,
        snapshot: &str,
        version: &str,
        catalog: &[RuleInfo],
    ) -> Self {
        let mut report = Self {
            schema_version: SCHEMA_VERSION.to_owned(),
            tool: Tool {
                name: "emrguard".to_owned(),
                version: version.to_owned(),
                information_uri: env!("CARGO_PKG_REPOSITORY").to_owned(),
            },
            snapshot: snapshot.to_owned(),
            summary: Summary::default(),
            findings: result.findings,
            suppressed: Vec::new(),
            baseline: None,
            rules: Vec::new(),
            rules_run: result.rules_run,
            skipped_rules: result.skipped_rules,
            coverage_gaps: result.coverage_gaps,
            warnings: Vec::new(),
        };
        report.rules = report.collect_rules(catalog);
        report.recount();
        report
    }

    /// Adds the findings hidden by suppressions and the suppression warnings.
    #[must_use]
    pub fn with_suppressed(
        mut self,
        suppressed: Vec<SuppressedFinding>,
        warnings: Vec<String>,
        catalog: &[RuleInfo],
    ) -> Self {
        self.suppressed = suppressed;
        self.warnings.extend(warnings);
        self.rules = self.collect_rules(catalog);
        self.recount();
        self
    }

    /// Drops the findings whose fingerprint the baseline has, and records how many.
    pub fn apply_baseline(&mut self, baseline: &baseline::Baseline, file: &str) {
        let before = self.findings.len();
        self.findings.retain(|f| !baseline.contains(&f.fingerprint));
        self.baseline = Some(BaselineUse {
            file: file.to_owned(),
            fingerprints: baseline.fingerprints.len(),
            matched: before - self.findings.len(),
        });
        self.recount();
    }

    /// Whether any reported finding is at or above `threshold`.
    pub fn fails(&self, threshold: Severity) -> bool {
        self.findings.iter().any(|f| f.severity >= threshold)
    }

    /// The metadata of a rule in this report.
    pub fn rule(&self, code: &str) -> Option<&RuleInfo> {
        self.rules.iter().find(|r| r.code == code)
    }

    /// Reported findings of one practice, in report order.
    pub fn findings_of(&self, practice: Practice) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.practice == practice)
    }

    fn collect_rules(&self, catalog: &[RuleInfo]) -> Vec<RuleInfo> {
        let mut codes: BTreeSet<&str> = BTreeSet::new();
        codes.extend(self.rules_run.iter().map(String::as_str));
        codes.extend(self.skipped_rules.iter().map(|s| s.code.as_str()));
        codes.extend(self.findings.iter().map(|f| f.code.as_str()));
        codes.extend(self.suppressed.iter().map(|s| s.finding.code.as_str()));
        codes
            .into_iter()
            .filter_map(|code| {
                let first = || {
                    self.findings
                        .iter()
                        .chain(self.suppressed.iter().map(|s| &s.finding))
                        .find(|f| f.code == code)
                };
                catalog
                    .iter()
                    .find(|r| r.code == code)
                    .cloned()
                    .or_else(|| RuleInfo::lookup(code))
                    .or_else(|| first().map(RuleInfo::from_finding))
            })
            .collect()
    }

    fn recount(&mut self) {
        let mut summary = Summary {
            by_practice: Practice::ALL
                .into_iter()
                .map(|p| (p, Counts::default()))
                .collect(),
            suppressed: self.suppressed.len(),
            in_baseline: self.baseline.as_ref().map_or(0, |b| b.matched),
            rules_run: self.rules_run.len(),
            rules_skipped: self.skipped_rules.len(),
            ..Summary::default()
        };
        for f in &self.findings {
            summary.by_severity.add(f.severity);
            summary
                .by_practice
                .entry(f.practice)
                .or_default()
                .add(f.severity);
        }
        self.summary = summary;
    }
}
