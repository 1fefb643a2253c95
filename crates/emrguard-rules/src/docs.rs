//! Rule documentation generated from the rules' doc comments: `docs/rules/<CODE>.md` and the
//! text of `emrguard rules` / `emrguard explain`.

use std::fmt::Write as _;

use crate::registry::RuleMeta;

/// The sections every rule's documentation must have, in order.
pub const REQUIRED_SECTIONS: [&str; 5] = [
    "## What it does",
    "## Why is this bad?",
    "## Example",
    "## Remediation",
    "## References",
];

/// The Markdown page of one rule.
pub fn rule_page(meta: &RuleMeta) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {} {}\n", meta.code, meta.name);
    let _ = writeln!(s, "{}\n", meta.summary);
    let _ = writeln!(s, "| Practice | Default severity | Needs |");
    let _ = writeln!(s, "|---|---|---|");
    let needs = if meta.requires.is_empty() {
        "-".to_owned()
    } else {
        meta.requires.join(", ")
    };
    let _ = writeln!(
        s,
        "| {}. {} (`{}`) | {} | {} |\n",
        meta.practice.number(),
        meta.practice.title(),
        meta.practice.as_str(),
        meta.severity,
        needs
    );
    s.push_str(meta.doc_markdown().trim());
    s.push('\n');
    s
}

/// The index page listing every rule.
pub fn index_page(rules: &[&RuleMeta]) -> String {
    let mut s =
        String::from("# Rules\n\nGenerated from the rules' source; do not edit by hand.\n\n");
    let _ = writeln!(s, "| Code | Name | Practice | Severity | Summary |");
    let _ = writeln!(s, "|---|---|---|---|---|");
    for m in rules {
        let _ = writeln!(
            s,
            "| [{code}]({code}.md) | {} | {} | {} | {} |",
            m.name,
            m.practice.as_str(),
            m.severity,
            m.summary,
            code = m.code
        );
    }
    s
}

/// Which required sections a rule's documentation lacks.
pub fn missing_sections(meta: &RuleMeta) -> Vec<&'static str> {
    let doc = meta.doc_markdown();
    REQUIRED_SECTIONS
        .iter()
        .copied()
        .filter(|h| !doc.lines().any(|l| l.trim_end() == *h))
        .collect()
}
