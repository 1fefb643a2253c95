//! Markdown for pull-request comments (GitHub-flavoured): a headline, the summary table by
//! practice and severity, then each finding folded in a `<details>` block with its resources,
//! evidence chain and fix.
//!
//! GitHub rejects comments over 65,536 characters, so past [`MarkdownOptions::max_chars`] the
//! remaining findings are listed one line each, and past that only counted.

use std::fmt::Write as _;

use emrguard_rules::{Finding, Practice, Severity};

use crate::util::{plural, WORST_FIRST};
use crate::Report;

/// Options for the Markdown renderer.
#[derive(Debug, Clone, Copy)]
pub struct MarkdownOptions {
    /// Size budget in characters; `None` for no limit.
    pub max_chars: Option<usize>,
}

impl Default for MarkdownOptions {
    fn default() -> Self {
        Self {
            max_chars: Some(60_000),
        }
    }
}

fn icon(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "\u{1f534}",
        Severity::High => "\u{1f7e0}",
        Severity::Medium => "\u{1f7e1}",
        Severity::Low => "\u{1f535}",
        Severity::Info => "\u{26aa}",
    }
}

/// Escapes text for Markdown prose and table cells.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// An inline code span that survives backticks in the content.
fn code(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ");
    let longest = longest_run(&s, '`');
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

fn longest_run(s: &str, ch: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in s.chars() {
        run = if c == ch { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

/// A fenced block whose fence is longer than any backtick run inside.
fn fenced(language: &str, content: &str) -> String {
    let fence = "`".repeat((longest_run(content, '`') + 1).max(3));
    let lang: String = language
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    format!("{fence}{lang}\n{}\n{fence}\n", content.trim_end())
}

fn html(s: &str) -> String {
    crate::util::escape(s)
}

fn summary_table(s: &mut String, report: &Report) {
    let _ = writeln!(
        s,
        "| Practice | Critical | High | Medium | Low | Info | Total |"
    );
    let _ = writeln!(s, "|---|--:|--:|--:|--:|--:|--:|");
    for practice in Practice::ALL {
        let c = report
            .summary
            .by_practice
            .get(&practice)
            .copied()
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "| {}. {} | {} | {} | {} | {} | {} | {} |",
            practice.number(),
            esc(practice.title()),
            c.critical,
            c.high,
            c.medium,
            c.low,
            c.info,
            c.total
        );
    }
    let c = report.summary.by_severity;
    let _ = writeln!(
        s,
        "| **All practices** | **{}** | **{}** | **{}** | **{}** | **{}** | **{}** |",
        c.critical, c.high, c.medium, c.low, c.info, c.total
    );
}

fn resource_line(r: &emrguard_rules::ResourceRef) -> String {
    match &r.source {
        Some(src) => format!("{} ({})", code(&r.to_string()), code(&src.to_string())),
        None => code(&r.to_string()),
    }
}

fn finding_details(report: &Report, f: &Finding) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<details><summary>{} <b>{}</b> <code>{}</code> {}</summary>\n",
        icon(f.severity),
        f.severity,
        html(&f.code),
        html(&f.message)
    );
    let doc = report
        .rule(&f.code)
        .map(|r| format!(" · [{}]({})", esc(&r.name), r.help_uri))
        .unwrap_or_default();
    let _ = writeln!(s, "Rule {}{doc}\n", code(&format!("{} {}", f.code, f.name)));
    let _ = writeln!(s, "**Resources**\n");
    for r in &f.resources {
        let _ = writeln!(s, "- {}", resource_line(r));
    }
    if !f.evidence.is_empty() {
        let title = if crate::util::has_path(f) {
            "Path"
        } else {
            "Evidence"
        };
        let _ = writeln!(s, "\n**{title}**\n");
        for (i, e) in f.evidence.iter().enumerate() {
            let _ = write!(s, "{}. {}", i + 1, esc(&e.text));
            if let Some(r) = &e.resource {
                let _ = write!(s, " — {}", resource_line(r));
            }
            let _ = writeln!(s);
            if let Some(d) = &e.detail {
                let _ = writeln!(s, "   <br>{}", esc(d));
            }
        }
    }
    if !f.remediation.summary.is_empty() {
        let _ = writeln!(s, "\n**Fix:** {}", esc(&f.remediation.summary));
    }
    for fix in &f.remediation.fixes {
        let _ = writeln!(s, "\n{}:\n", esc(&fix.description));
        s.push_str(&fenced(&fix.language, &fix.content));
    }
    let _ = writeln!(s, "\n</details>\n");
    s
}

fn one_line(f: &Finding) -> String {
    let primary = f
        .resources
        .first()
        .map(|r| code(&r.to_string()))
        .unwrap_or_default();
    format!(
        "| {} {} | {} | {} | {} |\n",
        icon(f.severity),
        f.severity,
        code(&f.code),
        primary,
        esc(&f.message)
    )
}

/// Renders the report as GitHub-flavoured Markdown.
pub fn render(report: &Report, opts: MarkdownOptions) -> String {
    let budget = opts.max_chars.unwrap_or(usize::MAX);
    let mut s = String::new();
    let counts: Vec<String> = WORST_FIRST
        .into_iter()
        .filter(|sev| report.summary.by_severity.get(*sev) > 0)
        .map(|sev| format!("{} {sev}", report.summary.by_severity.get(sev)))
        .collect();
    let target = if report.snapshot.is_empty() {
        String::new()
    } else {
        format!(" in {}", code(&report.snapshot))
    };
    if counts.is_empty() {
        let _ = writeln!(s, "## emrguard: no findings{target}\n");
    } else {
        let _ = writeln!(
            s,
            "## emrguard: {}{target}\n\n{}\n",
            plural(report.summary.total(), "finding", "findings"),
            counts.join(" · ")
        );
    }
    summary_table(&mut s, report);
    let mut notes = Vec::new();
    if report.summary.suppressed > 0 {
        notes.push(format!(
            "{} suppressed in `emrguard.toml`",
            plural(report.summary.suppressed, "finding", "findings")
        ));
    }
    if let Some(b) = &report.baseline {
        notes.push(format!(
            "{} already in the baseline and not shown",
            plural(b.matched, "finding", "findings")
        ));
    }
    notes.push(format!(
        "{} ran, {} did not",
        plural(report.summary.rules_run, "rule", "rules"),
        report.summary.rules_skipped
    ));
    let _ = writeln!(s, "\n{}.\n", notes.join("; "));

    let mut brief: Vec<&Finding> = Vec::new();
    for practice in Practice::ALL {
        let findings: Vec<&Finding> = report.findings_of(practice).collect();
        if findings.is_empty() {
            continue;
        }
        let heading = format!("### {}. {}\n\n", practice.number(), esc(practice.title()));
        let mut started = false;
        for f in findings {
            let block = finding_details(report, f);
            // Keep room for the tail (gaps, warnings, the brief table).
            if brief.is_empty() && s.len() + heading.len() + block.len() + 4_000 <= budget {
                if !started {
                    s.push_str(&heading);
                    started = true;
                }
                s.push_str(&block);
            } else {
                brief.push(f);
            }
        }
    }
    if !brief.is_empty() {
        let _ = writeln!(
            s,
            "### {} more\n\nShown one line each to fit a comment; the full report has the evidence and fixes.\n",
            plural(brief.len(), "finding", "findings")
        );
        let _ = writeln!(
            s,
            "| Severity | Rule | Resource | Message |\n|---|---|---|---|"
        );
        let mut listed = 0usize;
        for f in &brief {
            let line = one_line(f);
            if s.len() + line.len() + 2_000 > budget {
                break;
            }
            s.push_str(&line);
            listed += 1;
        }
        if listed < brief.len() {
            let _ = writeln!(
                s,
                "\n… and {} not listed here.",
                plural(brief.len() - listed, "finding", "findings")
            );
        }
        let _ = writeln!(s);
    }
    if !report.warnings.is_empty() {
        let _ = writeln!(s, "**Warnings**\n");
        for w in &report.warnings {
            let _ = writeln!(s, "- {}", esc(w));
        }
        let _ = writeln!(s);
    }
    if !report.coverage_gaps.is_empty() {
        let _ = writeln!(
            s,
            "<details><summary>{} (what this audit could not see)</summary>\n",
            plural(report.coverage_gaps.len(), "coverage gap", "coverage gaps")
        );
        for g in &report.coverage_gaps {
            let _ = writeln!(s, "- **{}**: {}", esc(&g.area), esc(&g.message));
        }
        let _ = writeln!(s, "\n</details>\n");
    }
    if !report.suppressed.is_empty() {
        let _ = writeln!(
            s,
            "<details><summary>{}</summary>\n",
            plural(
                report.suppressed.len(),
                "suppressed finding",
                "suppressed findings"
            )
        );
        let _ = writeln!(s, "| Rule | Resource | Reason | Until |\n|---|---|---|---|");
        for sup in &report.suppressed {
            let primary = sup
                .finding
                .resources
                .first()
                .map(|r| code(&r.to_string()))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                code(&sup.finding.code),
                primary,
                esc(&sup.reason),
                esc(&sup.expires)
            );
        }
        let _ = writeln!(s, "\n</details>\n");
    }
    if !report.skipped_rules.is_empty() {
        let _ = writeln!(
            s,
            "<details><summary>{} did not run</summary>\n",
            plural(report.skipped_rules.len(), "rule", "rules")
        );
        for r in &report.skipped_rules {
            let _ = writeln!(s, "- {}: {}", code(&r.code), esc(&r.reason));
        }
        let _ = writeln!(s, "\n</details>\n");
    }
    let _ = writeln!(
        s,
        "<sub>{} {}</sub>",
        esc(&report.tool.name),
        esc(&report.tool.version)
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_and_fences_survive_backticks() {
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        let block = fenced("shell", "echo ```nested```");
        assert!(block.starts_with("````shell\n"), "{block}");
        assert!(block.ends_with("\n````\n"), "{block}");
    }

    #[test]
    fn escapes_table_and_html_characters() {
        assert_eq!(esc("a|b <x> *y*"), "a\\|b &lt;x&gt; \\*y\\*");
    }
}
