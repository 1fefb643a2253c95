//! Suppressions from `emrguard.toml`: accepted findings, each with a reason and an expiry date.
//!
//! [`apply`] runs after the audit. A finding matched by a live suppression moves to
//! [`Applied::suppressed`] with the reason; a suppression past its date no longer hides
//! anything and is itself reported as a finding ([`EXPIRED_SUPPRESSION_CODE`]), so accepted
//! risk cannot go stale silently. Suppressions that matched nothing become warnings.

use chrono::NaiveDate;
use emrguard_config::{Config, Suppression};
use serde::{Deserialize, Serialize};

use crate::finding::{Evidence, Finding, Practice, Remediation, ResourceRef, Severity};
use crate::{find_rule, sort_findings, AuditResult};

/// Code of the finding reported for an expired suppression.
pub const EXPIRED_SUPPRESSION_CODE: &str = "CFG001";
/// Name of the finding reported for an expired suppression.
pub const EXPIRED_SUPPRESSION_NAME: &str = "expired-suppression";
/// One-line summary of the expired-suppression check.
pub const EXPIRED_SUPPRESSION_SUMMARY: &str =
    "a suppression in emrguard.toml is past its expiry date";
/// Documentation of the expired-suppression check (Markdown, same sections as a rule's).
pub const EXPIRED_SUPPRESSION_DOC: &str = "## What it does
Reports every `[[suppressions]]` entry of `emrguard.toml` whose `expires` date has passed. The
finding is filed under the practice of the suppressed rule, with severity low (a
`[rules] severity` override for `CFG001` applies; `[rules] disable = [\"CFG001\"]` turns it off).

## Why is this bad?
A suppression records a risk someone accepted for a while. Once the date passes the
suppression stops hiding the original finding, and this finding asks the owner to either fix
the problem or review the decision and set a new date.

## Example
```toml
[[suppressions]]
rule = \"RBAC003\"
resource = \"Group/team-a\"
reason = \"CI needs pod creation until the migration\"
expires = \"2025-01-31\"
```

## Remediation
Fix the underlying finding and delete the suppression, or review the accepted risk and set a
new `expires` date with an up-to-date `reason`.

## References
- `docs/configuration.md` and `docs/reports.md` (suppressions)
";

/// A finding hidden by a live suppression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuppressedFinding {
    /// The finding, unchanged.
    pub finding: Finding,
    /// The suppression's `rule`, as written.
    pub rule: String,
    /// The suppression's `resource`, as written (empty: every finding of the rule).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub resource: String,
    /// Why the finding is accepted.
    pub reason: String,
    /// The last day the suppression applies (`YYYY-MM-DD`).
    pub expires: String,
}

/// The audit after suppressions.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The audit without suppressed findings and with one finding per expired suppression,
    /// sorted again.
    pub result: AuditResult,
    /// Findings hidden by a live suppression, in the audit's order.
    pub suppressed: Vec<SuppressedFinding>,
    /// Live suppressions that matched no finding, as sentences for the report.
    pub warnings: Vec<String>,
}

/// Whether a suppression names this finding: its rule by code (any case) or name, and, when
/// `resource` is set, one of the finding's resources by key (`Kind/namespace/name`,
/// `Kind/name` or ARN).
pub fn matches(suppression: &Suppression, finding: &Finding) -> bool {
    let rule = suppression.rule.trim();
    let rule_matches = finding.code.eq_ignore_ascii_case(rule) || finding.name == rule;
    let resource = suppression.resource.trim();
    rule_matches && (resource.is_empty() || finding.resources.iter().any(|r| r.key() == resource))
}

/// Applies the configuration's suppressions to an audit result. `today` comes from the caller
/// (the CLI passes the current UTC date) so the outcome is reproducible.
///
/// A suppression applies up to and including its `expires` day. An `expires` that is not a
/// calendar date (e.g. `2027-02-30`) is treated as expired, so a typo never hides a finding
/// for good.
pub fn apply(result: AuditResult, config: &Config, today: NaiveDate) -> Applied {
    let AuditResult {
        findings,
        rules_run,
        skipped_rules,
        coverage_gaps,
    } = result;
    let live: Vec<bool> = config
        .suppressions
        .iter()
        .map(|s| expiry(s).is_some_and(|date| today <= date))
        .collect();
    let mut used = vec![false; config.suppressions.len()];
    let mut hits_of_expired = vec![0usize; config.suppressions.len()];
    let mut kept = Vec::new();
    let mut suppressed = Vec::new();
    for finding in findings {
        for (i, s) in config.suppressions.iter().enumerate() {
            if !live.get(i).copied().unwrap_or(false) && matches(s, &finding) {
                if let Some(n) = hits_of_expired.get_mut(i) {
                    *n += 1;
                }
            }
        }
        let by = config
            .suppressions
            .iter()
            .enumerate()
            .find(|(i, s)| live.get(*i).copied().unwrap_or(false) && matches(s, &finding));
        match by {
            Some((i, s)) => {
                if let Some(u) = used.get_mut(i) {
                    *u = true;
                }
                suppressed.push(SuppressedFinding {
                    finding,
                    rule: s.rule.clone(),
                    resource: s.resource.clone(),
                    reason: s.reason.clone(),
                    expires: s.expires.clone(),
                });
            }
            None => kept.push(finding),
        }
    }

    let mut warnings = Vec::new();
    let expired_enabled =
        !config.rules.disable.iter().any(|d| {
            d.eq_ignore_ascii_case(EXPIRED_SUPPRESSION_CODE) || d == EXPIRED_SUPPRESSION_NAME
        });
    let severity = config
        .rules
        .severity
        .iter()
        .find(|(k, _)| {
            k.eq_ignore_ascii_case(EXPIRED_SUPPRESSION_CODE) || *k == EXPIRED_SUPPRESSION_NAME
        })
        .and_then(|(_, v)| Severity::parse(v))
        .unwrap_or(Severity::Low);
    for (i, s) in config.suppressions.iter().enumerate() {
        let is_live = live.get(i).copied().unwrap_or(false);
        if is_live {
            if !used.get(i).copied().unwrap_or(false) {
                warnings.push(unused_warning(s, &rules_run));
            }
            continue;
        }
        if expiry(s).is_none() {
            warnings.push(format!(
                "suppression of {} has expires = {:?}, which is not a calendar date: it is treated as expired",
                describe(s),
                s.expires
            ));
        }
        if expired_enabled {
            let practice = practice_of(s, &kept);
            let hits = hits_of_expired.get(i).copied().unwrap_or(0);
            kept.push(expired_finding(s, practice, severity, today, hits));
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    kept.retain(|f| seen.insert(f.fingerprint.clone()));
    sort_findings(&mut kept);
    Applied {
        result: AuditResult {
            findings: kept,
            rules_run,
            skipped_rules,
            coverage_gaps,
        },
        suppressed,
        warnings,
    }
}

fn expiry(s: &Suppression) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.expires.trim(), "%Y-%m-%d").ok()
}

fn describe(s: &Suppression) -> String {
    if s.resource.trim().is_empty() {
        format!("rule {}", s.rule)
    } else {
        format!("rule {} on {}", s.rule, s.resource)
    }
}

fn unused_warning(s: &Suppression, rules_run: &[String]) -> String {
    let rule = s.rule.trim();
    let known = find_rule(rule);
    let ran = rules_run.iter().any(|c| {
        c.eq_ignore_ascii_case(rule) || known.is_some_and(|r| r.meta().code == c.as_str())
    });
    let why = match known {
        _ if ran => "no finding matches it",
        None => "no rule has this code or name",
        Some(_) => "the rule did not run",
    };
    format!(
        "suppression of {} (expires {}) matched nothing: {why}",
        describe(s),
        s.expires
    )
}

/// The practice an expired suppression is filed under: the suppressed rule's, else that of a
/// finding with that code, else practice 1 (the rule is unknown, which the configuration
/// author has to sort out anyway).
fn practice_of(s: &Suppression, findings: &[Finding]) -> Practice {
    let rule = s.rule.trim();
    if let Some(r) = find_rule(rule) {
        return r.meta().practice;
    }
    findings
        .iter()
        .find(|f| f.code.eq_ignore_ascii_case(rule) || f.name == rule)
        .map_or(Practice::ExecutionRoleLeastPrivilege, |f| f.practice)
}

fn expired_finding(
    s: &Suppression,
    practice: Practice,
    severity: Severity,
    today: NaiveDate,
    hits: usize,
) -> Finding {
    let rule = s.rule.trim();
    let resource_text = s.resource.trim();
    let name = if resource_text.is_empty() {
        rule.to_owned()
    } else {
        format!("{rule}:{resource_text}")
    };
    let resource = ResourceRef::aws_named("Suppression", &name);
    let resources = vec![resource.clone()];
    let mut evidence = vec![Evidence::about(
        format!(
            "emrguard.toml suppresses {} until {}",
            describe(s),
            s.expires
        ),
        resource,
    )
    .with_detail(format!("reason: {}", s.reason))];
    evidence.push(Evidence::text(format!(
        "today is {}, after the expiry date, so the suppression no longer applies",
        today.format("%Y-%m-%d")
    )));
    evidence.push(Evidence::text(match hits {
        0 => "it matches no current finding: the problem may be fixed, and the entry can go"
            .to_owned(),
        1 => "the 1 finding it matched is reported again".to_owned(),
        n => format!("the {n} findings it matched are reported again"),
    }));
    let mut renewed = format!("[[suppressions]]\nrule = {:?}\n", s.rule);
    if !resource_text.is_empty() {
        renewed.push_str(&format!("resource = {:?}\n", s.resource));
    }
    renewed.push_str(&format!(
        "reason = {:?}\nexpires = \"YYYY-MM-DD\"  # a new date, after review\n",
        s.reason
    ));
    let fingerprint = Finding::compute_fingerprint(EXPIRED_SUPPRESSION_CODE, &resources);
    Finding {
        code: EXPIRED_SUPPRESSION_CODE.to_owned(),
        name: EXPIRED_SUPPRESSION_NAME.to_owned(),
        practice,
        severity,
        message: format!(
            "the suppression of {} expired on {}",
            describe(s),
            s.expires
        ),
        resources,
        evidence,
        remediation: Remediation::summary(
            "Fix the underlying finding and delete the suppression, or review the accepted risk and renew it with a new date.",
        )
        .fix("Renew the suppression in emrguard.toml after review", "toml", renewed),
        fingerprint,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(code: &str, practice: Practice, resources: Vec<ResourceRef>) -> Finding {
        let fingerprint = Finding::compute_fingerprint(code, &resources);
        Finding {
            code: code.to_owned(),
            name: format!("{}-name", code.to_lowercase()),
            practice,
            severity: Severity::High,
            message: format!("{code} message"),
            resources,
            evidence: Vec::new(),
            remediation: Remediation::default(),
            fingerprint,
        }
    }

    fn result(findings: Vec<Finding>) -> AuditResult {
        AuditResult {
            findings,
            rules_run: vec!["RBAC003".into(), "EXR001".into()],
            skipped_rules: Vec::new(),
            coverage_gaps: Vec::new(),
        }
    }

    fn suppression(rule: &str, resource: &str, expires: &str) -> Suppression {
        Suppression {
            rule: rule.into(),
            resource: resource.into(),
            reason: "accepted by the platform team".into(),
            expires: expires.into(),
        }
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn two_findings() -> Vec<Finding> {
        vec![
            finding(
                "RBAC003",
                Practice::RbacPermissions,
                vec![ResourceRef::k8s("Group", None, "team-a")],
            ),
            finding(
                "RBAC003",
                Practice::RbacPermissions,
                vec![ResourceRef::k8s("Group", None, "team-b")],
            ),
        ]
    }

    #[test]
    fn live_suppression_moves_the_matching_finding_only() {
        let config = Config {
            suppressions: vec![suppression("rbac003", "Group/team-a", "2027-01-31")],
            ..Config::default()
        };
        let applied = apply(result(two_findings()), &config, day("2026-06-01"));
        assert_eq!(applied.suppressed.len(), 1);
        assert_eq!(
            applied.suppressed[0].finding.resources[0].key(),
            "Group/team-a"
        );
        assert_eq!(
            applied.suppressed[0].reason,
            "accepted by the platform team"
        );
        let left: Vec<String> = applied
            .result
            .findings
            .iter()
            .map(|f| f.resources[0].key())
            .collect();
        assert_eq!(left, ["Group/team-b"]);
        assert!(applied.warnings.is_empty(), "{:?}", applied.warnings);
    }

    #[test]
    fn suppression_without_resource_covers_every_finding_of_the_rule_and_applies_on_its_last_day() {
        let config = Config {
            suppressions: vec![suppression("RBAC003", "", "2026-06-01")],
            ..Config::default()
        };
        let applied = apply(result(two_findings()), &config, day("2026-06-01"));
        assert_eq!(applied.suppressed.len(), 2);
        assert!(applied.result.findings.is_empty());
    }

    #[test]
    fn expired_suppression_hides_nothing_and_is_reported_under_the_rules_practice() {
        let config = Config {
            suppressions: vec![suppression("RBAC003", "Group/team-a", "2026-05-31")],
            ..Config::default()
        };
        let applied = apply(result(two_findings()), &config, day("2026-06-01"));
        assert!(applied.suppressed.is_empty());
        let expired: Vec<&Finding> = applied
            .result
            .findings
            .iter()
            .filter(|f| f.code == EXPIRED_SUPPRESSION_CODE)
            .collect();
        assert_eq!(expired.len(), 1);
        let f = expired[0];
        assert_eq!(f.name, "expired-suppression");
        assert_eq!(f.severity, Severity::Low);
        assert_eq!(f.practice, Practice::RbacPermissions);
        assert!(f.message.contains("2026-05-31"), "{}", f.message);
        assert!(f
            .evidence
            .iter()
            .any(|e| e.text.contains("1 finding it matched")));
        assert_eq!(applied.result.findings.len(), 3);
    }

    #[test]
    fn invalid_calendar_date_is_treated_as_expired_with_a_warning() {
        let config = Config {
            suppressions: vec![suppression("RBAC003", "", "2027-02-30")],
            ..Config::default()
        };
        let applied = apply(result(two_findings()), &config, day("2026-06-01"));
        assert!(applied.suppressed.is_empty());
        assert!(applied
            .result
            .findings
            .iter()
            .any(|f| f.code == EXPIRED_SUPPRESSION_CODE));
        assert!(applied
            .warnings
            .iter()
            .any(|w| w.contains("not a calendar date")));
    }

    #[test]
    fn unused_live_suppression_is_a_warning_not_a_finding() {
        let config = Config {
            suppressions: vec![suppression("RBAC003", "Group/nobody", "2027-01-31")],
            ..Config::default()
        };
        let applied = apply(result(two_findings()), &config, day("2026-06-01"));
        assert_eq!(applied.result.findings.len(), 2);
        assert_eq!(applied.warnings.len(), 1);
        assert!(
            applied.warnings[0].contains("matched nothing"),
            "{}",
            applied.warnings[0]
        );
    }

    #[test]
    fn expired_finding_honours_severity_override_and_disable() {
        let mut config = Config {
            suppressions: vec![suppression("RBAC003", "", "2020-01-01")],
            ..Config::default()
        };
        config
            .rules
            .severity
            .insert("CFG001".into(), "medium".into());
        let applied = apply(result(Vec::new()), &config, day("2026-06-01"));
        assert_eq!(applied.result.findings.len(), 1);
        assert_eq!(applied.result.findings[0].severity, Severity::Medium);
        assert!(applied.result.findings[0]
            .evidence
            .iter()
            .any(|e| e.text.contains("matches no current finding")));

        config.rules.disable.push("expired-suppression".into());
        let applied = apply(result(Vec::new()), &config, day("2026-06-01"));
        assert!(applied.result.findings.is_empty());
    }

    #[test]
    fn expired_finding_fingerprint_ignores_the_date_and_reason() {
        let a = Config {
            suppressions: vec![suppression("RBAC003", "Group/team-a", "2020-01-01")],
            ..Config::default()
        };
        let mut b = a.clone();
        b.suppressions[0].expires = "2021-02-02".into();
        b.suppressions[0].reason = "another reason".into();
        let fa = apply(result(Vec::new()), &a, day("2026-06-01"))
            .result
            .findings;
        let fb = apply(result(Vec::new()), &b, day("2026-06-01"))
            .result
            .findings;
        assert_eq!(fa[0].fingerprint, fb[0].fingerprint);
        assert_ne!(fa[0].message, fb[0].message);
    }
}
