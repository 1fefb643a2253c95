//! JUnit XML for CI systems that show test results (GitLab, Jenkins, Azure DevOps, ...).
//!
//! One `<testsuite>` per practice. Inside it, one `<testcase>` per rule and resource:
//! - a finding is a failing test case named `CODE resource-keys`, with the message in
//!   `failure/@message`, the severity in `failure/@type` and the evidence and fix in the
//!   failure text;
//! - a rule that ran and found nothing is one passing test case named `CODE name`;
//! - a rule that did not run, and a suppressed finding, are skipped test cases with the reason.
//!
//! Every finding is a failure whatever `--fail-on` says: the exit code carries the threshold.

use std::io::Cursor;

use emrguard_rules::{Finding, Practice, ResourceRef};
use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;

use crate::util::{primary_source, resource_with_source};
use crate::Report;

struct Case {
    name: String,
    classname: String,
    file: Option<String>,
    outcome: Outcome,
}

enum Outcome {
    Passed,
    Failed {
        message: String,
        kind: String,
        body: String,
    },
    Skipped(String),
}

/// Characters XML 1.0 cannot carry, even escaped, are dropped.
fn xml_safe(s: &str) -> String {
    s.chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r')
                || ('\u{20}'..='\u{D7FF}').contains(&c)
                || ('\u{E000}'..='\u{FFFD}').contains(&c)
                || c >= '\u{10000}'
        })
        .collect()
}

fn one_line(s: &str) -> String {
    xml_safe(&s.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn case_name(f: &Finding) -> String {
    let keys: Vec<String> = f.resources.iter().map(ResourceRef::key).collect();
    format!("{} {}", f.code, keys.join(", "))
}

fn failure_body(f: &Finding) -> String {
    let mut body = format!("{}\n", f.message);
    for r in &f.resources {
        body.push_str(&format!("resource: {}\n", resource_with_source(r)));
    }
    if !f.evidence.is_empty() {
        body.push_str("evidence:\n");
        for (i, e) in f.evidence.iter().enumerate() {
            body.push_str(&format!("  {}. {}\n", i + 1, e.text));
            if let Some(r) = &e.resource {
                body.push_str(&format!("     at {}\n", resource_with_source(r)));
            }
            if let Some(d) = &e.detail {
                body.push_str(&format!("     {d}\n"));
            }
        }
    }
    if !f.remediation.summary.is_empty() {
        body.push_str(&format!("fix: {}\n", f.remediation.summary));
    }
    for fix in &f.remediation.fixes {
        body.push_str(&format!(
            "--- {} ({})\n{}\n",
            fix.description,
            fix.language,
            fix.content.trim_end()
        ));
    }
    body
}

fn cases_of(report: &Report, practice: Practice) -> Vec<Case> {
    let classname = format!("emrguard.{}", practice.as_str());
    let mut cases = Vec::new();
    for rule in report.rules.iter() {
        let findings: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.code == rule.code && f.practice == practice)
            .collect();
        for f in &findings {
            cases.push(Case {
                name: case_name(f),
                classname: format!("{classname}.{}", f.code),
                file: primary_source(f).map(|s| s.file.to_string()),
                outcome: Outcome::Failed {
                    message: format!("{}: {}", f.severity, f.message),
                    kind: f.severity.as_str().to_owned(),
                    body: failure_body(f),
                },
            });
        }
        for s in report
            .suppressed
            .iter()
            .filter(|s| s.finding.code == rule.code && s.finding.practice == practice)
        {
            cases.push(Case {
                name: case_name(&s.finding),
                classname: format!("{classname}.{}", rule.code),
                file: primary_source(&s.finding).map(|s| s.file.to_string()),
                outcome: Outcome::Skipped(format!("suppressed until {}: {}", s.expires, s.reason)),
            });
        }
        if rule.practice != practice {
            continue;
        }
        if let Some(skip) = report.skipped_rules.iter().find(|s| s.code == rule.code) {
            cases.push(Case {
                name: format!("{} {}", rule.code, rule.name),
                classname: format!("{classname}.{}", rule.code),
                file: None,
                outcome: Outcome::Skipped(format!("did not run: {}", skip.reason)),
            });
        } else if findings.is_empty() && report.rules_run.contains(&rule.code) {
            let any_suppressed = report
                .suppressed
                .iter()
                .any(|s| s.finding.code == rule.code);
            if !any_suppressed {
                cases.push(Case {
                    name: format!("{} {}", rule.code, rule.name),
                    classname: format!("{classname}.{}", rule.code),
                    file: None,
                    outcome: Outcome::Passed,
                });
            }
        }
    }
    cases
}

/// Renders the report as JUnit XML.
///
/// # Errors
/// Write errors (none in practice: the output is in memory).
pub fn render(report: &Report) -> std::io::Result<String> {
    let suites: Vec<(Practice, Vec<Case>)> = Practice::ALL
        .into_iter()
        .map(|p| (p, cases_of(report, p)))
        .collect();
    let count = |cases: &[Case], pred: fn(&Outcome) -> bool| {
        cases.iter().filter(|c| pred(&c.outcome)).count()
    };
    let is_failed = |o: &Outcome| matches!(o, Outcome::Failed { .. });
    let is_skipped = |o: &Outcome| matches!(o, Outcome::Skipped(_));
    let all: Vec<&Case> = suites.iter().flat_map(|(_, c)| c.iter()).collect();
    let total_failed = all.iter().filter(|c| is_failed(&c.outcome)).count();
    let total_skipped = all.iter().filter(|c| is_skipped(&c.outcome)).count();

    let mut w = Writer::new_with_indent(Cursor::new(Vec::new()), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let tests = all.len().to_string();
    let failures = total_failed.to_string();
    let skipped = total_skipped.to_string();
    w.create_element("testsuites")
        .with_attributes([
            ("name", "emrguard"),
            ("tests", tests.as_str()),
            ("failures", failures.as_str()),
            ("errors", "0"),
            ("skipped", skipped.as_str()),
        ])
        .write_inner_content(|w| {
            for (practice, cases) in &suites {
                let name = format!("{}. {}", practice.number(), practice.title());
                let tests = cases.len().to_string();
                let failures = count(cases, is_failed).to_string();
                let skipped = count(cases, is_skipped).to_string();
                let id = practice.as_str();
                let element = w.create_element("testsuite").with_attributes([
                    ("name", name.as_str()),
                    ("id", id),
                    ("tests", tests.as_str()),
                    ("failures", failures.as_str()),
                    ("errors", "0"),
                    ("skipped", skipped.as_str()),
                ]);
                if cases.is_empty() {
                    element.write_empty()?;
                    continue;
                }
                element.write_inner_content(|w| {
                    for case in cases {
                        write_case(w, case)?;
                    }
                    Ok(())
                })?;
            }
            Ok(())
        })?;
    let bytes = w.into_inner().into_inner();
    let mut s = String::from_utf8_lossy(&bytes).into_owned();
    s.push('\n');
    Ok(s)
}

fn write_case(w: &mut Writer<Cursor<Vec<u8>>>, case: &Case) -> std::io::Result<()> {
    let name = one_line(&case.name);
    let mut attributes = vec![
        ("name", name.as_str()),
        ("classname", case.classname.as_str()),
    ];
    if let Some(file) = &case.file {
        attributes.push(("file", file.as_str()));
    }
    let element = w.create_element("testcase").with_attributes(attributes);
    match &case.outcome {
        Outcome::Passed => {
            element.write_empty()?;
        }
        Outcome::Skipped(reason) => {
            let reason = one_line(reason);
            element.write_inner_content(|w| {
                w.create_element("skipped")
                    .with_attribute(("message", reason.as_str()))
                    .write_empty()?;
                Ok(())
            })?;
        }
        Outcome::Failed {
            message,
            kind,
            body,
        } => {
            let message = one_line(message);
            let body = xml_safe(body);
            element.write_inner_content(|w| {
                w.create_element("failure")
                    .with_attributes([("message", message.as_str()), ("type", kind.as_str())])
                    .write_text_content(BytesText::from_escaped(
                        quick_xml::escape::partial_escape(&body),
                    ))?;
                Ok(())
            })?;
        }
    }
    Ok(())
}
