//! SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.
//!
//! What goes where, following GitHub's documented SARIF subset:
//! - `tool.driver.rules[]`: every rule that ran or has a finding, one per code (rules that did
//!   not run are only named in notifications), with
//!   `shortDescription` (the summary), `fullDescription` (the doc's "What it does"), `help`
//!   (`text` and `markdown`: the rule documentation), `helpUri`, and `properties.tags`
//!   (`security`, the practice) and `properties.security-severity` (a number as a string).
//!   Declaring rules that found nothing lets code scanning close fixed alerts.
//! - `results[]`: `ruleId` is the rule code, `level` follows the severity, `message.text` is
//!   the finding's message, and `partialFingerprints.emrguardFingerprint/v1` is the finding's
//!   fingerprint (rule and resources, not text), so alerts survive rewording.
//! - Locations are `physicalLocation`s relative to the repository, with
//!   `uriBaseId: "%SRCROOT%"`: the snapshot directory (as given, or as set by
//!   [`SarifOptions::uri_prefix`]) joined with the object's file and line. A finding whose
//!   resources carry no file (e.g. only known by ARN) points at the first file any of its
//!   evidence names, else at the snapshot directory itself, line 1; the resources are always
//!   listed as `logicalLocations` too.
//! - A finding whose evidence passes through two or more resources (a cross-layer path such
//!   as IAM principal -> access entry -> Group -> RoleBinding -> ServiceAccount -> IAM role)
//!   carries one `codeFlow` with one `threadFlow` whose locations are the path's steps.
//! - Suppressed findings are left out: code scanning does not honour SARIF `suppressions`
//!   and would open alerts for them. Baseline-matched findings are left out too.
//!
//! The structures are written out here rather than taken from a generated SARIF crate: the
//! report uses a small part of the format, and a test validates every field against the
//! official schema.

use std::collections::BTreeMap;

use emrguard_model::Source;
use emrguard_rules::{Finding, ResourceRef, Severity};
use serde::Serialize;

use crate::util::{path_links, primary_source};
use crate::{Report, RuleInfo};

/// The `partialFingerprints` key of emrguard's fingerprint.
pub const FINGERPRINT_KEY: &str = "emrguardFingerprint/v1";
/// The URI base every location is relative to.
pub const URI_BASE_ID: &str = "%SRCROOT%";
/// GitHub shows at most this many code flows per result.
const MAX_CODE_FLOWS: usize = 10;

/// Options for the SARIF renderer.
#[derive(Debug, Clone, Default)]
pub struct SarifOptions {
    /// Path of the snapshot directory relative to the repository root, with `/` separators
    /// (e.g. `snapshots/prod`); locations are this joined with each object's file. `None`:
    /// the report's snapshot path as given.
    pub uri_prefix: Option<String>,
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    invocations: Vec<Invocation>,
    results: Vec<SarifResult>,
    column_kind: &'static str,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'a str,
    version: &'a str,
    semantic_version: &'a str,
    information_uri: &'a str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Help,
    help_uri: String,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<String>,
    precision: &'static str,
    #[serde(rename = "security-severity")]
    security_severity: String,
    #[serde(rename = "problem.severity")]
    problem_severity: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    associated_rule: Option<Reference>,
}

#[derive(Serialize)]
struct Reference {
    id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    code_flows: Vec<CodeFlow>,
    properties: ResultProperties,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties {
    severity: Severity,
    practice: String,
    resources: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_location: Option<PhysicalLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<LogicalLocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    uri_base_id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    name: String,
    fully_qualified_name: String,
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CodeFlow {
    message: Text,
    thread_flows: Vec<ThreadFlow>,
}

#[derive(Serialize)]
struct ThreadFlow {
    locations: Vec<ThreadFlowLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ThreadFlowLocation {
    location: Location,
    nesting_level: u32,
    execution_order: usize,
}

/// The SARIF `level` of a severity.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity` score of a severity (GitHub maps over 9.0 to critical,
/// 7.0-8.9 to high, 4.0-6.9 to medium and 0.1-3.9 to low).
pub fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

/// Renders the report as a SARIF 2.1.0 log with one run.
///
/// # Errors
/// Serialisation errors (none in practice).
pub fn render(report: &Report, opts: &SarifOptions) -> Result<String, serde_json::Error> {
    let prefix = normalise_prefix(opts.uri_prefix.as_deref().unwrap_or(&report.snapshot));
    // Rules that did not run are not declared: they say nothing about the snapshot.
    let declared: Vec<&RuleInfo> = report
        .rules
        .iter()
        .filter(|r| {
            report.rules_run.contains(&r.code) || report.findings.iter().any(|f| f.code == r.code)
        })
        .collect();
    let rules: Vec<Rule> = declared.iter().map(|r| rule(report, r)).collect();
    let results = report
        .findings
        .iter()
        .map(|f| result(&declared, f, &prefix))
        .collect();
    let mut notifications: Vec<Notification> = report
        .coverage_gaps
        .iter()
        .map(|g| Notification {
            level: "warning",
            message: Text {
                text: format!("coverage gap ({}): {}", g.area, g.message),
            },
            associated_rule: None,
        })
        .collect();
    notifications.extend(report.skipped_rules.iter().map(|r| Notification {
        level: "note",
        message: Text {
            text: format!("{} did not run: {}", r.code, r.reason),
        },
        associated_rule: Some(Reference { id: r.code.clone() }),
    }));
    notifications.extend(report.warnings.iter().map(|w| Notification {
        level: "warning",
        message: Text { text: w.clone() },
        associated_rule: None,
    }));
    let log = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: &report.tool.name,
                    version: &report.tool.version,
                    semantic_version: &report.tool.version,
                    information_uri: &report.tool.information_uri,
                    rules,
                },
            },
            invocations: vec![Invocation {
                execution_successful: true,
                tool_execution_notifications: notifications,
            }],
            results,
            column_kind: "unicodeCodePoints",
        }],
    };
    let mut s = serde_json::to_string_pretty(&log)?;
    s.push('\n');
    Ok(s)
}

fn normalise_prefix(p: &str) -> String {
    let p = p.replace('\\', "/");
    let p = p.trim_start_matches("./").trim_end_matches('/');
    if p == "." {
        String::new()
    } else {
        p.to_owned()
    }
}

fn join(prefix: &str, file: &str) -> String {
    let file = file.trim_start_matches("./");
    match (prefix.is_empty(), file.is_empty()) {
        (true, _) => file.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) => format!("{prefix}/{file}"),
    }
}

fn rule(report: &Report, r: &RuleInfo) -> Rule {
    // Severity overrides change the severity of a rule's findings; GitHub reads the score
    // from the rule, so it takes the highest severity the rule reported.
    let severity = report
        .findings
        .iter()
        .filter(|f| f.code == r.code)
        .map(|f| f.severity)
        .max()
        .unwrap_or(r.severity);
    let what = what_it_does(&r.doc).unwrap_or_else(|| r.summary.clone());
    let markdown = if r.doc.trim().is_empty() {
        format!("{}\n\nSee {}.", r.summary, r.help_uri)
    } else {
        r.doc.trim().to_owned()
    };
    Rule {
        id: r.code.clone(),
        name: pascal_case(&r.name),
        short_description: Text {
            text: r.summary.clone(),
        },
        full_description: Text { text: what },
        help: Help {
            text: markdown_to_text(&markdown),
            markdown,
        },
        help_uri: r.help_uri.clone(),
        default_configuration: Configuration {
            level: level(r.severity),
        },
        properties: RuleProperties {
            tags: vec![
                "security".to_owned(),
                format!("emr-on-eks/{}", r.practice.as_str()),
            ],
            precision: "high",
            security_severity: security_severity(severity).to_owned(),
            problem_severity: match level(severity) {
                "error" => "error",
                "warning" => "warning",
                _ => "recommendation",
            },
        },
    }
}

/// The paragraph under `## What it does`, joined into one line.
fn what_it_does(doc: &str) -> Option<String> {
    let mut lines = doc
        .lines()
        .skip_while(|l| l.trim() != "## What it does")
        .skip(1);
    let mut out = Vec::new();
    for line in lines.by_ref() {
        let t = line.trim();
        if t.starts_with("## ") {
            break;
        }
        if t.is_empty() && !out.is_empty() {
            break;
        }
        if !t.is_empty() {
            out.push(t);
        }
    }
    (!out.is_empty()).then(|| out.join(" "))
}

/// Plain text for `help.text`: the Markdown with headings' `#` marks removed.
fn markdown_to_text(md: &str) -> String {
    md.lines()
        .map(|l| l.trim_start_matches('#').trim_start())
        .collect::<Vec<_>>()
        .join("\n")
}

/// `tenant-can-create-pods` -> `TenantCanCreatePods` (SARIF names are identifiers).
fn pascal_case(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

fn physical(prefix: &str, src: &Source) -> PhysicalLocation {
    PhysicalLocation {
        artifact_location: ArtifactLocation {
            uri: join(prefix, &src.file),
            uri_base_id: URI_BASE_ID,
        },
        region: Region {
            start_line: src.line.unwrap_or(1).max(1),
        },
    }
}

fn logical(r: &ResourceRef) -> LogicalLocation {
    LogicalLocation {
        name: r.name.clone().unwrap_or_else(|| r.kind.clone()),
        fully_qualified_name: r.key(),
        kind: "resource",
    }
}

fn result(declared: &[&RuleInfo], f: &Finding, prefix: &str) -> SarifResult {
    let rule_index = declared.iter().position(|r| r.code == f.code).unwrap_or(0);
    let physical_location = Some(match primary_source(f) {
        Some(src) => physical(prefix, src),
        None => PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: if prefix.is_empty() {
                    ".".to_owned()
                } else {
                    prefix.to_owned()
                },
                uri_base_id: URI_BASE_ID,
            },
            region: Region { start_line: 1 },
        },
    });
    let location = Location {
        physical_location,
        logical_locations: f.resources.iter().map(logical).collect(),
        message: None,
    };
    let links = path_links(f);
    let code_flows = if links.len() >= 2 {
        let steps = links
            .iter()
            .enumerate()
            .map(|(i, (e, r))| ThreadFlowLocation {
                location: Location {
                    physical_location: r.source.as_ref().map(|src| physical(prefix, src)),
                    logical_locations: vec![logical(r)],
                    message: Some(Text {
                        text: format!("{}: {}", r, e.text),
                    }),
                },
                nesting_level: 0,
                execution_order: i + 1,
            })
            .collect();
        vec![CodeFlow {
            message: Text {
                text: format!("path through {} resources", links.len()),
            },
            thread_flows: vec![ThreadFlow { locations: steps }],
        }]
    } else {
        Vec::new()
    };
    let mut partial = BTreeMap::new();
    partial.insert(FINGERPRINT_KEY, f.fingerprint.clone());
    SarifResult {
        rule_id: f.code.clone(),
        rule_index,
        level: level(f.severity),
        message: Text {
            text: message_text(f),
        },
        locations: vec![location],
        partial_fingerprints: partial,
        code_flows: code_flows.into_iter().take(MAX_CODE_FLOWS).collect(),
        properties: ResultProperties {
            severity: f.severity,
            practice: f.practice.as_str().to_owned(),
            resources: f.resources.iter().map(ResourceRef::key).collect(),
        },
    }
}

/// The message, the primary resource, and the fix summary: code scanning shows only this text
/// next to the code.
fn message_text(f: &Finding) -> String {
    let mut text = f.message.clone();
    if let Some(r) = f.resources.first() {
        text.push_str(&format!(" [{r}]"));
    }
    if !f.remediation.summary.is_empty() {
        text.push_str(&format!(" Fix: {}", f.remediation.summary));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_prefixes() {
        assert_eq!(pascal_case("tenant-can-create-pods"), "TenantCanCreatePods");
        assert_eq!(normalise_prefix("./snap/prod/"), "snap/prod");
        assert_eq!(normalise_prefix("."), "");
        assert_eq!(join("", "a.json"), "a.json");
        assert_eq!(join("snap", "./k8s/a.yaml"), "snap/k8s/a.yaml");
    }

    #[test]
    fn what_it_does_takes_the_first_paragraph() {
        let doc = "## What it does\nFlags a\nthing.\n\nMore.\n## Why is this bad?\nx\n";
        assert_eq!(what_it_does(doc).as_deref(), Some("Flags a thing."));
        assert_eq!(what_it_does("no sections"), None);
    }
}
