//! Baselines: the fingerprints of accepted, known findings, so that a pipeline reports only
//! what is new.
//!
//! The file is JSON: `{"version": 1, "fingerprints": [...], "findings": [...]}`. Only
//! `fingerprints` is used for matching; `findings` repeats each fingerprint with its rule code
//! and resource keys so that people can read (and review) what the baseline accepts. A
//! fingerprint is computed from the rule code and the resource keys only
//! ([`emrguard_rules::Finding::compute_fingerprint`]), so rewording a message or an evidence
//! chain does not turn a known finding into a new one.

use std::collections::BTreeMap;

use emrguard_rules::{Finding, ResourceRef};
use serde::{Deserialize, Serialize};

/// The baseline format version this crate writes and reads.
pub const BASELINE_VERSION: u32 = 1;

/// One accepted finding, for people reading the file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BaselineEntry {
    /// The finding's fingerprint.
    pub fingerprint: String,
    /// Rule code.
    pub code: String,
    /// Resource keys (`Kind/namespace/name`, `Kind/name` or ARN), sorted.
    pub resources: Vec<String>,
}

/// A baseline file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Format version ([`BASELINE_VERSION`]).
    pub version: u32,
    /// Fingerprints, sorted and unique.
    pub fingerprints: Vec<String>,
    /// The same findings with their code and resources, sorted by fingerprint.
    #[serde(default)]
    pub findings: Vec<BaselineEntry>,
}

/// Why a baseline file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// Not JSON of the expected shape.
    #[error("not a baseline file: {0}")]
    Malformed(String),
    /// A version this build does not read.
    #[error("baseline version {found} is not supported (this emrguard reads version {BASELINE_VERSION})")]
    Version {
        /// The version in the file.
        found: u32,
    },
    /// A fingerprint that no emrguard writes.
    #[error("baseline fingerprint {0:?} is not 16 lowercase hex digits")]
    Fingerprint(String),
}

impl Baseline {
    /// A baseline of these findings.
    pub fn from_findings<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Self {
        let mut entries: BTreeMap<String, BaselineEntry> = BTreeMap::new();
        for f in findings {
            let mut resources: Vec<String> = f.resources.iter().map(ResourceRef::key).collect();
            resources.sort();
            entries
                .entry(f.fingerprint.clone())
                .or_insert_with(|| BaselineEntry {
                    fingerprint: f.fingerprint.clone(),
                    code: f.code.clone(),
                    resources,
                });
        }
        Self {
            version: BASELINE_VERSION,
            fingerprints: entries.keys().cloned().collect(),
            findings: entries.into_values().collect(),
        }
    }

    /// Parses a baseline file.
    ///
    /// # Errors
    /// [`BaselineError`] when the text is not a version-1 baseline.
    pub fn parse(text: &str) -> Result<Self, BaselineError> {
        let mut baseline: Baseline =
            serde_json::from_str(text).map_err(|e| BaselineError::Malformed(e.to_string()))?;
        if baseline.version != BASELINE_VERSION {
            return Err(BaselineError::Version {
                found: baseline.version,
            });
        }
        if let Some(bad) = baseline.fingerprints.iter().find(|f| !is_fingerprint(f)) {
            return Err(BaselineError::Fingerprint(bad.clone()));
        }
        // Hand-edited files may be unsorted; `contains` relies on order.
        baseline.fingerprints.sort();
        baseline.fingerprints.dedup();
        Ok(baseline)
    }

    /// The file's text: pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Whether the baseline has this fingerprint.
    pub fn contains(&self, fingerprint: &str) -> bool {
        self.fingerprints
            .binary_search_by(|f| f.as_str().cmp(fingerprint))
            .is_ok()
    }
}

fn is_fingerprint(s: &str) -> bool {
    s.len() == 16 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use emrguard_rules::{Practice, Remediation, Severity};

    fn finding(code: &str, message: &str, resources: Vec<ResourceRef>) -> Finding {
        Finding {
            fingerprint: Finding::compute_fingerprint(code, &resources),
            code: code.to_owned(),
            name: "n".to_owned(),
            practice: Practice::RbacPermissions,
            severity: Severity::High,
            message: message.to_owned(),
            resources,
            evidence: Vec::new(),
            remediation: Remediation::default(),
        }
    }

    #[test]
    fn round_trips_sorted_and_matches_by_rule_and_resources_not_message() {
        let a = finding(
            "RBAC003",
            "old wording",
            vec![ResourceRef::k8s("Group", None, "a")],
        );
        let b = finding("RBAC001", "x", vec![ResourceRef::k8s("Group", None, "b")]);
        let baseline = Baseline::from_findings([&a, &b]);
        let mut sorted = baseline.fingerprints.clone();
        sorted.sort();
        assert_eq!(baseline.fingerprints, sorted);
        let parsed = Baseline::parse(&baseline.to_json()).unwrap();
        assert_eq!(parsed, baseline);
        let reworded = finding(
            "RBAC003",
            "new wording",
            vec![ResourceRef::k8s("Group", None, "a")],
        );
        assert!(parsed.contains(&reworded.fingerprint));
        let other = finding(
            "RBAC003",
            "old wording",
            vec![ResourceRef::k8s("Group", None, "c")],
        );
        assert!(!parsed.contains(&other.fingerprint));
        assert_eq!(parsed.findings[0].resources.len(), 1);
    }

    #[test]
    fn rejects_other_versions_and_bad_fingerprints_and_sorts_hand_edits() {
        let err = Baseline::parse(r#"{"version": 2, "fingerprints": []}"#).unwrap_err();
        assert!(err.to_string().contains("version 2"), "{err}");
        let err = Baseline::parse(r#"{"version": 1, "fingerprints": ["XYZ"]}"#).unwrap_err();
        assert!(err.to_string().contains("XYZ"), "{err}");
        let err = Baseline::parse("[]").unwrap_err();
        assert!(err.to_string().contains("not a baseline"), "{err}");
        let b = Baseline::parse(
            r#"{"version": 1, "fingerprints": ["ffffffffffffffff", "0000000000000000"]}"#,
        )
        .unwrap();
        assert!(b.contains("ffffffffffffffff"));
        assert!(b.contains("0000000000000000"));
    }
}
