//! Helpers the renderers share.

use emrguard_model::Source;
use emrguard_rules::{Evidence, Finding, ResourceRef, Severity};

/// The first source location of a finding: its resources first, then its evidence.
pub(crate) fn primary_source(f: &Finding) -> Option<&Source> {
    f.resources
        .iter()
        .chain(f.evidence.iter().filter_map(|e| e.resource.as_ref()))
        .find_map(|r| r.source.as_ref())
}

/// The evidence links that name a resource, in order: the nodes of the finding's path.
pub(crate) fn path_links(f: &Finding) -> Vec<(&Evidence, &ResourceRef)> {
    f.evidence
        .iter()
        .filter_map(|e| e.resource.as_ref().map(|r| (e, r)))
        .collect()
}

/// Whether the finding's evidence is a path through two or more resources.
pub(crate) fn has_path(f: &Finding) -> bool {
    path_links(f).len() >= 2
}

/// `Kind name (file:line)`.
pub(crate) fn resource_with_source(r: &ResourceRef) -> String {
    match &r.source {
        Some(src) => format!("{r} ({src})"),
        None => r.to_string(),
    }
}

/// Upper-case severity label.
pub(crate) fn severity_label(s: Severity) -> String {
    s.as_str().to_uppercase()
}

/// Severities from the worst down.
pub(crate) const WORST_FIRST: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Info,
];

/// `n thing` / `n things`.
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Truncates to `max` characters, ending with an ellipsis when cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('\u{2026}');
    out
}

/// Escapes text for XML and HTML content and attribute values.
pub(crate) fn escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

/// The notes under the summary: suppressed findings, the baseline, and how many rules ran.
pub(crate) fn summary_notes(report: &crate::Report) -> Vec<String> {
    let sm = &report.summary;
    let mut notes = Vec::new();
    if sm.suppressed > 0 {
        notes.push(format!(
            "{} suppressed in emrguard.toml",
            plural(sm.suppressed, "finding", "findings")
        ));
    }
    if let Some(b) = &report.baseline {
        notes.push(format!(
            "{} already in the baseline {} and not shown",
            plural(b.matched, "finding", "findings"),
            b.file
        ));
    }
    notes.push(format!(
        "{} ran, {} did not",
        plural(sm.rules_run, "rule", "rules"),
        sm.rules_skipped
    ));
    notes
}
