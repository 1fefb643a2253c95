//! The rule trait, rule metadata, and the macro that turns a rule's doc comment into its
//! documentation.

use crate::context::CheckContext;
use crate::finding::{Evidence, Finding, Practice, Remediation, ResourceRef, Severity};

/// Static facts about a rule.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable code, e.g. `RBAC003`. Never reused.
    pub code: &'static str,
    /// Kebab-case name that reads well after "allow", e.g. `tenant-can-create-pods`.
    pub name: &'static str,
    /// One-line summary.
    pub summary: &'static str,
    /// The practice the rule serves.
    pub practice: Practice,
    /// Default severity.
    pub severity: Severity,
    /// Data areas (see `emrguard_model::inventory::area`) the rule needs; when one is missing
    /// the rule is skipped and the report says so.
    pub requires: &'static [&'static str],
    /// The rule's documentation (Markdown, from its doc comment).
    pub doc: &'static str,
}

impl RuleMeta {
    /// The documentation with the one leading space of each doc-comment line removed.
    pub fn doc_markdown(&self) -> String {
        let mut out = String::new();
        for line in self.doc.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out
    }

    /// Starts a finding of this rule.
    pub fn finding(&'static self, message: impl Into<String>) -> FindingBuilder {
        FindingBuilder {
            meta: self,
            message: message.into(),
            resources: Vec::new(),
            evidence: Vec::new(),
            remediation: Remediation::default(),
        }
    }
}

/// A check over the inventory.
pub trait Rule: Send + Sync {
    /// The rule's metadata.
    fn meta(&self) -> &'static RuleMeta;
    /// Adds this rule's findings to `out`.
    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>);
}

/// Builds a [`Finding`] for a rule.
#[derive(Debug)]
pub struct FindingBuilder {
    meta: &'static RuleMeta,
    message: String,
    resources: Vec<ResourceRef>,
    evidence: Vec<Evidence>,
    remediation: Remediation,
}

impl FindingBuilder {
    /// Adds an involved resource (the first one added is the primary one).
    #[must_use]
    pub fn resource(mut self, r: ResourceRef) -> Self {
        if !self.resources.contains(&r) {
            self.resources.push(r);
        }
        self
    }

    /// Adds a link to the evidence chain.
    #[must_use]
    pub fn evidence(mut self, e: Evidence) -> Self {
        self.evidence.push(e);
        self
    }

    /// Adds several links.
    #[must_use]
    pub fn evidence_all(mut self, e: impl IntoIterator<Item = Evidence>) -> Self {
        self.evidence.extend(e);
        self
    }

    /// Sets the remediation.
    #[must_use]
    pub fn remediation(mut self, r: Remediation) -> Self {
        self.remediation = r;
        self
    }

    /// Finishes the finding.
    pub fn build(self) -> Finding {
        let fingerprint = Finding::compute_fingerprint(self.meta.code, &self.resources);
        Finding {
            code: self.meta.code.to_owned(),
            name: self.meta.name.to_owned(),
            practice: self.meta.practice,
            severity: self.meta.severity,
            message: self.message,
            resources: self.resources,
            evidence: self.evidence,
            remediation: self.remediation,
            fingerprint,
        }
    }

    /// Finishes the finding and adds it to `out`.
    pub fn push(self, out: &mut Vec<Finding>) {
        out.push(self.build());
    }
}

/// Declares a rule type with its metadata; the doc comment becomes its documentation.
///
/// The doc comment must have the sections `## What it does`, `## Why is this bad?`,
/// `## Example`, `## Remediation` and `## References` (a test checks this).
#[macro_export]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        $vis:vis struct $name:ident {
            code: $code:literal,
            name: $rname:literal,
            summary: $summary:literal,
            practice: $practice:ident,
            severity: $severity:ident,
            requires: [$($req:expr),* $(,)?] $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Default, Clone, Copy)]
        $vis struct $name;

        impl $name {
            /// The rule's metadata.
            pub const META: $crate::registry::RuleMeta = $crate::registry::RuleMeta {
                code: $code,
                name: $rname,
                summary: $summary,
                practice: $crate::finding::Practice::$practice,
                severity: $crate::finding::Severity::$severity,
                requires: &[$($req),*],
                doc: concat!($($doc, "\n"),*),
            };
        }
    };
}
