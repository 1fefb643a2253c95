//! Every rule has a true-positive and a near-miss negative fixture (snapshots in the loader's
//! real input formats), and its documentation is complete and generated into `docs/rules/`.

use std::path::{Path, PathBuf};

use emrguard_config::Config;
use emrguard_load::{load_snapshot, LoadOptions};
use emrguard_rules::{all_rules, docs, CheckContext, ReleaseCatalog, Rule};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn run_rule(rule: &dyn Rule, dir: &Path) -> Vec<emrguard_rules::Finding> {
    let inventory = load_snapshot(dir, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("fixture {} does not load: {e}", dir.display()));
    let config_path = dir.join("emrguard.toml");
    let config = if config_path.exists() {
        Config::load(&config_path).unwrap()
    } else {
        Config::default()
    };
    let releases = ReleaseCatalog::builtin();
    let cx = CheckContext::new(&inventory, &config, &releases);
    let mut out = Vec::new();
    rule.check(&cx, &mut out);
    out
}

/// A compact, reviewable view of findings for snapshots.
fn summary(findings: &[emrguard_rules::Finding]) -> Vec<String> {
    let mut lines: Vec<String> = findings
        .iter()
        .map(|f| {
            let resources: Vec<String> = f.resources.iter().map(|r| r.key()).collect();
            format!(
                "{} {} [{}] {}",
                f.code,
                f.severity,
                resources.join(", "),
                f.message
            )
        })
        .collect();
    lines.sort();
    lines
}

#[test]
fn every_rule_has_positive_and_negative_fixtures() {
    let mut missing = Vec::new();
    for rule in all_rules() {
        let code = rule.meta().code;
        for kind in ["positive", "negative"] {
            if !fixtures().join(code).join(kind).is_dir() {
                missing.push(format!("{code}/{kind}"));
            }
        }
    }
    assert!(missing.is_empty(), "missing fixtures: {missing:?}");
}

#[test]
fn positive_fixtures_find_and_negative_fixtures_do_not() {
    for rule in all_rules() {
        let code = rule.meta().code;
        let dir = fixtures().join(code);
        if !dir.is_dir() {
            continue;
        }
        let positive = run_rule(rule, &dir.join("positive"));
        assert!(
            !positive.is_empty(),
            "{code}: the positive fixture yields no finding"
        );
        for f in &positive {
            assert_eq!(f.code, code);
            assert!(
                !f.resources.is_empty(),
                "{code}: a finding without resources"
            );
            assert!(!f.evidence.is_empty(), "{code}: a finding without evidence");
            assert!(
                !f.remediation.summary.is_empty(),
                "{code}: a finding without remediation"
            );
        }
        insta::assert_yaml_snapshot!(format!("{code}_positive"), summary(&positive));
        let negative = run_rule(rule, &dir.join("negative"));
        assert!(
            negative.is_empty(),
            "{code}: the near-miss fixture yields findings: {:#?}",
            summary(&negative)
        );
    }
}

#[test]
fn rule_docs_have_every_section_and_unique_codes() {
    let mut codes = std::collections::BTreeSet::new();
    let mut names = std::collections::BTreeSet::new();
    for rule in all_rules() {
        let m = rule.meta();
        assert!(codes.insert(m.code), "duplicate code {}", m.code);
        assert!(names.insert(m.name), "duplicate name {}", m.name);
        let code_ok = m.code.len() >= 4
            && m.code.chars().rev().take(3).all(|c| c.is_ascii_digit())
            && m.code
                .chars()
                .take_while(|c| !c.is_ascii_digit())
                .all(|c| c.is_ascii_uppercase());
        assert!(code_ok, "bad code {}", m.code);
        assert!(
            m.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "name {} is not kebab-case",
            m.name
        );
        assert!(
            docs::missing_sections(m).is_empty(),
            "{}: missing {:?}",
            m.code,
            docs::missing_sections(m)
        );
    }
}

/// `docs/rules/` is generated from the rules; this fails when it is stale. Regenerate with
/// `EMRGUARD_UPDATE_DOCS=1 cargo test -p emrguard-rules --test rules`.
#[test]
fn generated_rule_docs_are_fresh() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules");
    let rules = all_rules();
    let mut expected: Vec<(PathBuf, String)> = rules
        .iter()
        .map(|r| {
            (
                dir.join(format!("{}.md", r.meta().code)),
                docs::rule_page(r.meta()),
            )
        })
        .collect();
    let metas: Vec<_> = rules.iter().map(|r| r.meta()).collect();
    expected.push((dir.join("README.md"), docs::index_page(&metas)));
    if std::env::var_os("EMRGUARD_UPDATE_DOCS").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(&dir).unwrap() {
            std::fs::remove_file(entry.unwrap().path()).unwrap();
        }
        for (path, text) in &expected {
            std::fs::write(path, text).unwrap();
        }
        return;
    }
    let mut stale = Vec::new();
    for (path, text) in &expected {
        if std::fs::read_to_string(path).ok().as_deref() != Some(text.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    let on_disk = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
    assert!(
        stale.is_empty() && on_disk == expected.len(),
        "docs/rules is stale ({stale:?}, {on_disk} files on disk, {} expected); run EMRGUARD_UPDATE_DOCS=1 cargo test -p emrguard-rules --test rules",
        expected.len()
    );
}
