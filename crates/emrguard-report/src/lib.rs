//! The report model and one renderer per format.
//!
//! **Architecture invariant:** the only crate that knows output formats.
#![deny(missing_docs)]

pub mod json;
pub mod text;

use std::collections::BTreeMap;

use emrguard_model::CoverageGap;
use emrguard_rules::{AuditResult, Finding, Practice, Severity, SkippedRule};
use serde::Serialize;

/// The JSON report schema version (`docs/report.schema.json`).
pub const SCHEMA_VERSION: &str = "1.0";

/// Counts by practice and severity.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Total findings.
    pub total: usize,
    /// Findings per severity.
    pub by_severity: BTreeMap<Severity, usize>,
    /// Findings per practice, then severity.
    pub by_practice: BTreeMap<Practice, BTreeMap<Severity, usize>>,
}

/// Everything a renderer needs.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Schema version of the JSON form.
    pub schema_version: &'static str,
    /// Tool name and version.
    pub tool: Tool,
    /// The snapshot directory, as given.
    pub snapshot: String,
    /// Summary counts.
    pub summary: Summary,
    /// Findings.
    pub findings: Vec<Finding>,
    /// Rules that did not run.
    pub skipped_rules: Vec<SkippedRule>,
    /// Missing data.
    pub coverage_gaps: Vec<CoverageGap>,
}

/// Tool identity.
#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    /// `emrguard`.
    pub name: &'static str,
    /// Version.
    pub version: String,
}

impl Report {
    /// Builds a report from an audit result.
    pub fn new(result: AuditResult, snapshot: &str, version: &str) -> Self {
        let mut summary = Summary {
            total: result.findings.len(),
            ..Summary::default()
        };
        for f in &result.findings {
            *summary.by_severity.entry(f.severity).or_default() += 1;
            *summary
                .by_practice
                .entry(f.practice)
                .or_default()
                .entry(f.severity)
                .or_default() += 1;
        }
        Self {
            schema_version: SCHEMA_VERSION,
            tool: Tool {
                name: "emrguard",
                version: version.to_owned(),
            },
            snapshot: snapshot.to_owned(),
            summary,
            findings: result.findings,
            skipped_rules: result.skipped_rules,
            coverage_gaps: result.coverage_gaps,
        }
    }

    /// Whether any finding is at or above `threshold`.
    pub fn fails(&self, threshold: Severity) -> bool {
        self.findings.iter().any(|f| f.severity >= threshold)
    }
}
