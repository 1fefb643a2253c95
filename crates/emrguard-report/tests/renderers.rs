//! Every renderer over the same fixture report: snapshots for reviewable output, and checks
//! that do not depend on the snapshot (schemas, XML well-formedness, escaping, GitHub's SARIF
//! requirements, width and colour).

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use emrguard_report::baseline::Baseline;
use emrguard_report::markdown::MarkdownOptions;
use emrguard_report::sarif::SarifOptions;
use emrguard_report::text::TextOptions;
use emrguard_report::{html, json, junit, markdown, sarif, text, Report};
use emrguard_rules::{Practice, Severity};
use serde_json::Value;

fn text_plain(report: &Report) -> String {
    text::render(report, TextOptions::default())
}

fn load_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn validate(schema: &Value, instance: &Value) -> Vec<String> {
    let validator = jsonschema::validator_for(schema).expect("the schema compiles");
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

// ---- the fixture itself -------------------------------------------------------------------

#[test]
fn fixture_covers_every_practice_and_severity_and_a_cross_layer_path() {
    let report = common::report();
    let practices: BTreeSet<Practice> = report.findings.iter().map(|f| f.practice).collect();
    let severities: BTreeSet<Severity> = report.findings.iter().map(|f| f.severity).collect();
    assert_eq!(practices.len(), 7, "{practices:?}");
    assert_eq!(severities.len(), 5, "{severities:?}");
    let path = report
        .findings
        .iter()
        .find(|f| f.code == "RBAC010")
        .unwrap();
    let kinds: Vec<&str> = path
        .evidence
        .iter()
        .filter_map(|e| e.resource.as_ref())
        .map(|r| r.kind.as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "IAMUser",
            "AccessEntry",
            "Group",
            "RoleBinding",
            "ServiceAccount",
            "IAMRole"
        ]
    );
    assert!(!report.skipped_rules.is_empty());
    assert!(!report.coverage_gaps.is_empty());
}

#[test]
fn suppressions_move_findings_report_expiry_and_warn_about_unused_entries() {
    let report = common::report();
    assert_eq!(report.suppressed.len(), 1);
    assert_eq!(
        report.suppressed[0].finding.resources[1].key(),
        "Group/team-b"
    );
    assert_eq!(report.summary.suppressed, 1);
    let expired: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.code == "CFG001")
        .collect();
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].practice, Practice::ExecutionRoleLeastPrivilege);
    assert_eq!(expired[0].severity, Severity::Low);
    // The expired suppression no longer hides EXR006.
    assert!(report.findings.iter().any(|f| f.code == "EXR006"));
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert!(report.warnings[0].contains("Group/nobody"));
    assert!(report
        .rule("CFG001")
        .is_some_and(|r| r.doc.contains("## What it does")));
}

#[test]
fn summary_counts_match_the_findings() {
    let report = common::report();
    let total: usize = report.summary.by_practice.values().map(|c| c.total).sum();
    assert_eq!(total, report.findings.len());
    assert_eq!(report.summary.by_severity.total, report.findings.len());
    let critical = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Critical)
        .count();
    assert_eq!(report.summary.by_severity.critical, critical);
    assert_eq!(report.summary.by_practice.len(), 7);
}

#[test]
fn baseline_hides_known_findings_and_fail_threshold_follows_what_is_left() {
    let mut report = common::report();
    let all = report.findings.len();
    let known: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::High)
        .cloned()
        .collect();
    let baseline = Baseline::from_findings(&known);
    assert!(report.fails(Severity::Critical));
    report.apply_baseline(&baseline, "baseline.json");
    assert_eq!(report.findings.len(), all - known.len());
    assert_eq!(report.summary.in_baseline, known.len());
    assert!(!report.fails(Severity::High));
    assert!(report.fails(Severity::Medium));
    let b = report.baseline.as_ref().unwrap();
    assert_eq!((b.matched, b.fingerprints), (known.len(), known.len()));
}

// ---- text ---------------------------------------------------------------------------------

#[test]
fn text_snapshot() {
    insta::assert_snapshot!("text", text_plain(&common::report()));
}

#[test]
fn text_quiet_snapshot() {
    let opts = TextOptions {
        quiet: true,
        ..TextOptions::default()
    };
    insta::assert_snapshot!("text_quiet", text::render(&common::report(), opts));
}

#[test]
fn text_verbose_narrow_snapshot() {
    let opts = TextOptions {
        verbose: true,
        width: 72,
        ..TextOptions::default()
    };
    insta::assert_snapshot!("text_verbose_72", text::render(&common::report(), opts));
}

#[test]
fn text_wraps_prose_to_the_width() {
    let report = common::report();
    for width in [60, 80, 120] {
        let out = text::render(
            &report,
            TextOptions {
                width,
                ..TextOptions::default()
            },
        );
        for line in out.lines() {
            let long = line.chars().count() > width;
            // Fix content and single unbreakable tokens (ARNs) may overflow; prose may not.
            let is_code = line.starts_with("        ");
            let words = line.split_whitespace().count();
            let has_unbreakable = line
                .split_whitespace()
                .any(|w| w.chars().count() > width / 2);
            assert!(
                !long || is_code || has_unbreakable || words <= 2,
                "width {width}: {line:?}"
            );
        }
    }
}

#[test]
fn text_colour_only_when_asked() {
    let report = common::report();
    assert!(!text_plain(&report).contains('\x1b'));
    let coloured = text::render(
        &report,
        TextOptions {
            color: true,
            ..TextOptions::default()
        },
    );
    assert!(coloured.contains("\x1b[1;31mCRITICAL"));
    let stripped = strip_ansi(&coloured);
    assert_eq!(stripped, text_plain(&report));
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn text_quiet_has_one_line_per_finding() {
    let report = common::report();
    let out = text::render(
        &report,
        TextOptions {
            quiet: true,
            ..TextOptions::default()
        },
    );
    for f in &report.findings {
        let lines = out
            .lines()
            .filter(|l| l.contains(&format!(" {} ", f.code)) && l.contains(&f.message[..20]))
            .count();
        assert_eq!(lines, 1, "{} in\n{out}", f.code);
    }
    assert!(!out.contains("evidence:"));
}

// ---- JSON ---------------------------------------------------------------------------------

#[test]
fn json_snapshot() {
    insta::assert_snapshot!("json", json::render(&common::report()).unwrap());
}

#[test]
fn json_validates_against_the_published_schema() {
    let schema =
        load_json(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/report.schema.json"));
    let mut report = common::report();
    let out: Value = serde_json::from_str(&json::render(&report).unwrap()).unwrap();
    let errors = validate(&schema, &out);
    assert!(errors.is_empty(), "{errors:#?}");

    // With a baseline, and with nothing at all.
    report.apply_baseline(&Baseline::from_findings(&report.findings[..2]), "b.json");
    let out: Value = serde_json::from_str(&json::render(&report).unwrap()).unwrap();
    assert!(validate(&schema, &out).is_empty());
    let empty = Report::new(
        emrguard_rules::AuditResult {
            findings: Vec::new(),
            rules_run: Vec::new(),
            skipped_rules: Vec::new(),
            coverage_gaps: Vec::new(),
        },
        "",
        "0.1.0",
    );
    let out: Value = serde_json::from_str(&json::render(&empty).unwrap()).unwrap();
    assert!(validate(&schema, &out).is_empty());

    // The schema is strict enough to catch drift.
    let mut broken = out.clone();
    broken["summary"]["by_severity"]["critical"] = Value::from("one");
    assert!(!validate(&schema, &broken).is_empty());
}

#[test]
fn json_round_trips_into_the_model() {
    let report = common::report();
    let parsed: Report = serde_json::from_str(&json::render(&report).unwrap()).unwrap();
    assert_eq!(parsed, report);
}

// ---- SARIF --------------------------------------------------------------------------------

fn sarif_value(report: &Report) -> Value {
    serde_json::from_str(&sarif::render(report, &SarifOptions::default()).unwrap()).unwrap()
}

#[test]
fn sarif_snapshot() {
    insta::assert_snapshot!(
        "sarif",
        sarif::render(&common::report(), &SarifOptions::default()).unwrap()
    );
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/sarif-schema-2.1.0.json");
    let schema = load_json(&path);
    let errors = validate(&schema, &sarif_value(&common::report()));
    assert!(errors.is_empty(), "{errors:#?}");
    let mut broken = sarif_value(&common::report());
    broken["runs"][0]["results"][0]["level"] = Value::from("severe");
    assert!(
        !validate(&schema, &broken).is_empty(),
        "the schema check can fail"
    );
}

#[test]
fn sarif_meets_githubs_requirements() {
    let report = common::report();
    let log = sarif_value(&report);
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "emrguard");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), unique.len(), "one rule per code");
    for rule in rules {
        for field in ["shortDescription", "fullDescription"] {
            assert!(!rule[field]["text"].as_str().unwrap().is_empty(), "{rule}");
        }
        assert!(!rule["help"]["text"].as_str().unwrap().is_empty());
        assert!(rule["help"]["markdown"].as_str().unwrap().contains("## "));
        let score: f64 = rule["properties"]["security-severity"]
            .as_str()
            .expect("security-severity is a string")
            .parse()
            .unwrap();
        assert!((0.0..=10.0).contains(&score));
        let tags = rule["properties"]["tags"].as_array().unwrap();
        assert!(tags.contains(&Value::from("security")));
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        report.findings.len(),
        "suppressed findings are left out"
    );
    for (result, finding) in results.iter().zip(&report.findings) {
        let id = result["ruleId"].as_str().unwrap();
        assert!(ids.contains(&id));
        let index = usize::try_from(result["ruleIndex"].as_u64().unwrap()).unwrap();
        assert_eq!(ids[index], id);
        assert!(!result["message"]["text"].as_str().unwrap().is_empty());
        let physical = &result["locations"][0]["physicalLocation"];
        let uri = physical["artifactLocation"]["uri"].as_str().unwrap();
        assert!(
            !uri.starts_with('/') && !uri.contains("://"),
            "relative: {uri}"
        );
        assert!(uri.starts_with("snapshots/prod"), "{uri}");
        assert_eq!(physical["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert!(physical["region"]["startLine"].as_u64().unwrap() >= 1);
        assert_eq!(
            result["partialFingerprints"]["emrguardFingerprint/v1"],
            finding.fingerprint.as_str()
        );
        assert!(result["codeFlows"].as_array().map_or(0, Vec::len) <= 10);
    }
}

#[test]
fn sarif_locates_results_at_the_offending_object_and_draws_paths_as_code_flows() {
    let report = common::report();
    let log = sarif_value(&report);
    let results = log["runs"][0]["results"].as_array().unwrap();
    let by_rule = |code: &str| results.iter().find(|r| r["ruleId"] == code).unwrap();
    let kube2iam = &by_rule("CRED001")["locations"][0]["physicalLocation"];
    assert_eq!(
        kube2iam["artifactLocation"]["uri"],
        "snapshots/prod/k8s/workloads.yaml"
    );
    assert_eq!(kube2iam["region"]["startLine"], 112);
    // No file for a security group known only by id: the snapshot directory.
    let open = &by_rule("EPT001")["locations"][0]["physicalLocation"];
    assert_eq!(open["artifactLocation"]["uri"], "snapshots/prod");
    let path = by_rule("RBAC010");
    let steps = path["codeFlows"][0]["threadFlows"][0]["locations"]
        .as_array()
        .unwrap();
    assert_eq!(steps.len(), 6);
    assert_eq!(
        steps[0]["location"]["physicalLocation"]["artifactLocation"]["uri"],
        "snapshots/prod/aws/iam-authorization-details.json"
    );
    assert!(
        steps[2]["location"]["physicalLocation"].is_null(),
        "Group has no file"
    );
    assert_eq!(
        steps[2]["location"]["logicalLocations"][0]["fullyQualifiedName"],
        "Group/team-a"
    );
    assert!(by_rule("CRED001")["codeFlows"].is_null());
}

#[test]
fn sarif_declares_rules_that_ran_and_names_the_others_in_notifications() {
    let log = sarif_value(&common::report());
    let run = &log["runs"][0];
    let ids: BTreeSet<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains("RBAC011"), "ran without findings");
    assert!(ids.contains("CFG001"), "has a finding");
    assert!(
        !ids.contains("IAM004") && !ids.contains("NET002"),
        "did not run"
    );
    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(notes.iter().any(|n| n["associatedRule"]["id"] == "IAM004"
        && n["message"]["text"]
            .as_str()
            .unwrap()
            .contains("cloudtrail")));
    assert!(notes.iter().any(|n| n["message"]["text"]
        .as_str()
        .unwrap()
        .starts_with("coverage gap (cloudtrail)")));
}

#[test]
fn sarif_fingerprints_do_not_depend_on_wording() {
    let mut report = common::report();
    let before = sarif_value(&report)["runs"][0]["results"][0]["partialFingerprints"].clone();
    report.findings[0].message = "reworded".into();
    report.findings[0].evidence.clear();
    let after = sarif_value(&report)["runs"][0]["results"][0]["partialFingerprints"].clone();
    assert_eq!(before, after);
}

// ---- JUnit --------------------------------------------------------------------------------

#[test]
fn junit_snapshot() {
    insta::assert_snapshot!("junit", junit::render(&common::report()).unwrap());
}

#[test]
fn junit_is_well_formed_with_a_testcase_per_rule_and_resource() {
    use quick_xml::events::Event;
    let report = common::report();
    let xml = junit::render(&report).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut cases, mut failures, mut skipped, mut names) = (0, 0, 0, BTreeSet::new());
    let mut failure_messages = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                b"testcase" => {
                    cases += 1;
                    let name = e
                        .try_get_attribute("name")
                        .unwrap()
                        .unwrap()
                        .unescape_value()
                        .unwrap()
                        .into_owned();
                    assert!(names.insert(name.clone()), "duplicate test case {name}");
                }
                b"failure" => {
                    failures += 1;
                    failure_messages.push(
                        e.try_get_attribute("message")
                            .unwrap()
                            .unwrap()
                            .unescape_value()
                            .unwrap()
                            .into_owned(),
                    );
                }
                b"skipped" => skipped += 1,
                _ => {}
            },
            _ => {}
        }
    }
    assert_eq!(failures, report.findings.len());
    // Skipped: the rules that did not run and the suppressed finding.
    assert_eq!(
        skipped,
        report.skipped_rules.len() + report.suppressed.len()
    );
    // Passing: RBAC011 ran and found nothing.
    assert!(names.contains("RBAC011 tenant-can-read-secrets"));
    assert_eq!(cases, failures + skipped + 1);
    // Special characters survive escaping.
    assert!(failure_messages
        .iter()
        .any(|m| m.contains("`create` on pods | pods/exec to Group team-a & CI <in emr-team-a>")));
}

// ---- Markdown -----------------------------------------------------------------------------

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!(
        "markdown",
        markdown::render(&common::report(), MarkdownOptions::default())
    );
}

#[test]
fn markdown_escapes_and_stays_within_a_comment() {
    let report = common::report();
    let md = markdown::render(&report, MarkdownOptions::default());
    assert!(md.contains("&lt;in emr-team-a&gt;"));
    assert!(!md.contains("<in emr-team-a>"));
    assert!(md.contains("```yaml\napiVersion: rbac.authorization.k8s.io/v1"));
    let small = markdown::render(
        &report,
        MarkdownOptions {
            max_chars: Some(9_000),
        },
    );
    assert!(small.len() < 9_000, "{}", small.len());
    assert!(small.contains("more\n\nShown one line each"), "{small}");
    // Every finding is still at least mentioned by code.
    for f in &report.findings {
        assert!(small.contains(&f.code), "{}", f.code);
    }
}

// ---- HTML ---------------------------------------------------------------------------------

#[test]
fn html_is_self_contained_and_structured() {
    let report = common::report();
    let page = html::render(&report);
    assert!(page.starts_with("<!DOCTYPE html>"));
    // Nothing is fetched: no external src, stylesheet, import or CSS url; links are plain
    // anchors only.
    for needle in [
        "src=\"http",
        "<link",
        "@import",
        "url(http",
        "url(\"http",
        "url('http",
    ] {
        assert!(!page.contains(needle), "found {needle}");
    }
    for (i, _) in page.match_indices("href=\"http") {
        let tag_start = page[..i].rfind('<').unwrap();
        assert!(
            page[tag_start..].starts_with("<a "),
            "non-anchor href at {i}"
        );
    }
    assert!(page.contains("default-src 'none'"));
    // One row per finding with its filter attributes, and one detail row each.
    assert_eq!(
        page.matches("<tr class=\"finding\"").count(),
        report.findings.len()
    );
    assert_eq!(
        page.matches("<tr class=\"detail\"").count(),
        report.findings.len()
    );
    for f in &report.findings {
        assert!(page.contains(&format!("data-severity=\"{}\"", f.severity)));
    }
    for id in [
        "f-practice",
        "f-severity",
        "f-text",
        "shown-count",
        "attack-paths",
        "coverage-gaps",
    ] {
        assert!(page.contains(&format!("id=\"{id}\"")), "missing #{id}");
    }
    // The path finding is drawn: 6 nodes, 5 arrows, in the attack-path section and inline.
    let paths = report
        .findings
        .iter()
        .filter(|f| f.evidence.iter().filter(|e| e.resource.is_some()).count() >= 2)
        .count();
    assert_eq!(page.matches("<svg ").count(), 2 * paths);
    let card_start = page.find("<code>RBAC010</code></a>").unwrap();
    let card = &page[card_start..card_start + page[card_start..].find("</svg>").unwrap()];
    assert_eq!(card.matches("<g class=\"node\"").count(), 6);
    assert_eq!(card.matches("<line class=\"edge\"").count(), 5);
    // Escaped text, and every fix language present.
    assert!(page.contains("&lt;in emr-team-a&gt;"));
    assert!(!page.contains("<in emr-team-a>"));
    for lang in ["yaml", "json", "shell"] {
        assert!(
            page.contains(&format!("class=\"language-{lang}\"")),
            "{lang}"
        );
    }
}
