//! The text report for people: findings grouped by practice with their evidence chains as
//! trees, then a summary table by practice and severity, then what the audit could not see.
//!
//! Prose is wrapped to [`TextOptions::width`]; code (fixes) and identifiers (ARNs) are never
//! broken, so they can be copied. Colour is applied after wrapping, so it never changes the
//! layout.

use std::fmt::Write as _;

use emrguard_rules::{Finding, Practice, Severity};

use crate::util::{
    has_path, plural, primary_source, resource_with_source, severity_label, summary_notes,
    truncate, WORST_FIRST,
};
use crate::Report;

/// The width used when nothing better is known.
pub const DEFAULT_WIDTH: usize = 100;
/// Lines of a fix shown without `--verbose`.
const FIX_PREVIEW_LINES: usize = 12;

/// Options for the text renderer.
#[derive(Debug, Clone, Copy)]
pub struct TextOptions {
    /// Only the summary and one line per finding.
    pub quiet: bool,
    /// Also print fixes in full, suppressed findings and skipped rules.
    pub verbose: bool,
    /// Use ANSI colours.
    pub color: bool,
    /// Columns to wrap prose at (at least 40 is used).
    pub width: usize,
}

impl Default for TextOptions {
    fn default() -> Self {
        Self {
            quiet: false,
            verbose: false,
            color: false,
            width: DEFAULT_WIDTH,
        }
    }
}

struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }

    fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }

    fn severity(&self, s: Severity, text: &str) -> String {
        self.paint(severity_color(s), text)
    }
}

fn severity_color(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "1;31",
        Severity::High => "31",
        Severity::Medium => "33",
        Severity::Low => "36",
        Severity::Info => "2",
    }
}

/// Wraps `text` with a first-line prefix and a continuation indent.
fn wrap(out: &mut String, width: usize, first: &str, rest: &str, text: &str) {
    let options = textwrap::Options::new(width)
        .initial_indent(first)
        .subsequent_indent(rest)
        .break_words(false)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    for line in textwrap::wrap(text, options) {
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

/// Wraps like [`wrap`] and dims the text (not the prefixes) of every line.
fn wrap_dim(out: &mut String, p: &Painter, width: usize, first: &str, rest: &str, text: &str) {
    let mut plain = String::new();
    wrap(&mut plain, width, first, rest, text);
    for (i, line) in plain.lines().enumerate() {
        let prefix = if i == 0 { first } else { rest };
        let body = line.strip_prefix(prefix).unwrap_or(line);
        let _ = writeln!(out, "{prefix}{}", p.dim(body));
    }
}

/// Renders the report as text.
pub fn render(report: &Report, opts: TextOptions) -> String {
    let width = opts.width.max(40);
    let p = Painter { color: opts.color };
    let mut s = String::new();
    header(&mut s, report, &p, width);
    if opts.quiet {
        quiet_findings(&mut s, report, &p, width);
    } else {
        for practice in Practice::ALL {
            let findings: Vec<&Finding> = report.findings_of(practice).collect();
            if findings.is_empty() {
                continue;
            }
            let _ = writeln!(s);
            let title = format!(
                "{}. {} ({})",
                practice.number(),
                practice.title(),
                plural(findings.len(), "finding", "findings")
            );
            let mut wrapped = String::new();
            wrap(&mut wrapped, width, "", "   ", &title);
            for line in wrapped.lines() {
                let _ = writeln!(s, "{}", p.bold(line));
            }
            for f in findings {
                finding(&mut s, report, f, &p, width, opts.verbose);
            }
        }
    }
    let _ = writeln!(s);
    summary_table(&mut s, report, &p, width);
    trailer(&mut s, report, &p, width, opts);
    s
}

fn header(s: &mut String, report: &Report, p: &Painter, width: usize) {
    let counts: Vec<String> = WORST_FIRST
        .into_iter()
        .filter(|sev| report.summary.by_severity.get(*sev) > 0)
        .map(|sev| format!("{} {sev}", report.summary.by_severity.get(sev)))
        .collect();
    let total = plural(report.summary.total(), "finding", "findings");
    let target = if report.snapshot.is_empty() {
        String::new()
    } else {
        format!(" of {}", report.snapshot)
    };
    let line = if counts.is_empty() {
        format!(
            "emrguard {} audit{target}: no findings",
            report.tool.version
        )
    } else {
        format!(
            "emrguard {} audit{target}: {total} ({})",
            report.tool.version,
            counts.join(", ")
        )
    };
    let mut wrapped = String::new();
    wrap(&mut wrapped, width, "", "  ", &line);
    for l in wrapped.lines() {
        let _ = writeln!(s, "{}", p.bold(l));
    }
}

fn quiet_findings(s: &mut String, report: &Report, p: &Painter, width: usize) {
    if report.findings.is_empty() {
        return;
    }
    let _ = writeln!(s);
    for f in &report.findings {
        let label = format!("{:<8}", severity_label(f.severity));
        let primary = f
            .resources
            .first()
            .map(|r| r.to_string())
            .unwrap_or_default();
        let rest = format!("{} {} [{primary}]", f.code, f.message);
        // 2 spaces + label + space.
        let room = width.saturating_sub(11);
        let _ = writeln!(
            s,
            "  {} {}",
            p.severity(f.severity, &label),
            truncate(&rest, room)
        );
    }
}

fn finding(s: &mut String, report: &Report, f: &Finding, p: &Painter, width: usize, verbose: bool) {
    let _ = writeln!(s);
    let label = format!("{:<8}", severity_label(f.severity));
    let _ = writeln!(
        s,
        "  {} {} {}",
        p.severity(f.severity, &label),
        p.bold(&f.code),
        f.name
    );
    wrap(s, width, "    ", "    ", &f.message);
    for (i, r) in f.resources.iter().enumerate() {
        let lead = if i == 0 { "    at   " } else { "    also " };
        wrap(s, width, lead, "         ", &resource_with_source(r));
    }
    if !f.evidence.is_empty() {
        let kind = if has_path(f) { "path" } else { "evidence" };
        let _ = writeln!(s, "    {kind}:");
        let last = f.evidence.len() - 1;
        for (i, e) in f.evidence.iter().enumerate() {
            let (branch, stem) = if i == last {
                ("    \u{2514}\u{2500} ", "       ")
            } else {
                ("    \u{251c}\u{2500} ", "    \u{2502}  ")
            };
            wrap(s, width, branch, stem, &e.text);
            if let Some(r) = &e.resource {
                let first = format!("{stem}\u{21b3} ");
                let rest = format!("{stem}  ");
                wrap_dim(s, p, width, &first, &rest, &resource_with_source(r));
            }
            if let Some(d) = &e.detail {
                let indent = format!("{stem}  ");
                for line in d.lines() {
                    wrap_dim(s, p, width, &indent, &indent, line);
                }
            }
        }
    }
    if !f.remediation.summary.is_empty() {
        wrap(s, width, "    fix: ", "         ", &f.remediation.summary);
    }
    for fix in &f.remediation.fixes {
        wrap(
            s,
            width,
            "      ",
            "        ",
            &format!("{} [{}]", fix.description, fix.language),
        );
        let lines: Vec<&str> = fix.content.lines().collect();
        let shown = if verbose {
            lines.len()
        } else {
            lines.len().min(FIX_PREVIEW_LINES)
        };
        for line in lines.iter().take(shown) {
            let _ = writeln!(s, "        {line}");
        }
        if shown < lines.len() {
            let _ = writeln!(
                s,
                "        {}",
                p.dim(&format!(
                    "\u{2026} {} more {} (--verbose shows the whole fix)",
                    lines.len() - shown,
                    if lines.len() - shown == 1 {
                        "line"
                    } else {
                        "lines"
                    }
                ))
            );
        }
    }
    if let Some(rule) = report.rule(&f.code) {
        if verbose {
            let _ = writeln!(s, "    {}", p.dim(&format!("docs: {}", rule.help_uri)));
        }
    }
    if primary_source(f).is_none() && verbose {
        let _ = writeln!(s, "    {}", p.dim("(no source location in the snapshot)"));
    }
}

fn summary_table(s: &mut String, report: &Report, p: &Painter, width: usize) {
    const WIDE: [(&str, usize); 6] = [
        ("critical", 9),
        ("high", 6),
        ("medium", 8),
        ("low", 5),
        ("info", 6),
        ("total", 7),
    ];
    const NARROW: [(&str, usize); 6] = [
        ("crit", 6),
        ("high", 6),
        ("med", 6),
        ("low", 6),
        ("info", 6),
        ("all", 6),
    ];
    let columns = if width >= 80 { WIDE } else { NARROW };
    let numbers_width: usize = columns.iter().map(|(_, w)| w).sum();
    let longest = Practice::ALL
        .iter()
        .map(|pr| format!("{}. {}", pr.number(), pr.title()).chars().count())
        .max()
        .unwrap_or(0);
    let name_width = longest.min(width.saturating_sub(2 + numbers_width)).max(16);
    let use_titles = name_width >= 40;
    let _ = writeln!(s, "{}", p.bold("Summary by practice and severity"));
    let mut head = format!("  {:<name_width$}", "practice");
    for (name, w) in columns {
        let _ = write!(head, "{name:>w$}");
    }
    let _ = writeln!(s, "{}", p.dim(&head));
    let total_width = columns.last().map_or(6, |(_, w)| *w);
    let row = |s: &mut String, name: &str, counts: &crate::Counts| {
        let mut line = format!("  {:<name_width$}", truncate(name, name_width));
        for (sev, (_, w)) in WORST_FIRST.into_iter().zip(columns) {
            let n = counts.get(sev);
            let cell = format!("{n:>w$}");
            line.push_str(&if n > 0 { p.severity(sev, &cell) } else { cell });
        }
        let _ = write!(line, "{:>total_width$}", counts.total);
        let _ = writeln!(s, "{line}");
    };
    for practice in Practice::ALL {
        let counts = report
            .summary
            .by_practice
            .get(&practice)
            .copied()
            .unwrap_or_default();
        let name = if use_titles {
            format!("{}. {}", practice.number(), practice.title())
        } else {
            format!("{}. {}", practice.number(), practice.as_str())
        };
        row(s, &name, &counts);
    }
    row(s, "all practices", &report.summary.by_severity);
}

fn trailer(s: &mut String, report: &Report, p: &Painter, width: usize, opts: TextOptions) {
    let notes = summary_notes(report);
    let _ = writeln!(s);
    wrap(s, width, "  ", "  ", &format!("{}.", notes.join("; ")));

    if opts.verbose && !report.suppressed.is_empty() {
        let _ = writeln!(s, "\n{}", p.bold("Suppressed findings"));
        for sup in &report.suppressed {
            let primary = sup
                .finding
                .resources
                .first()
                .map(|r| r.to_string())
                .unwrap_or_default();
            wrap(
                s,
                width,
                "  ",
                "      ",
                &format!(
                    "{} {primary}: {} (until {})",
                    sup.finding.code, sup.reason, sup.expires
                ),
            );
        }
    }
    if !report.warnings.is_empty() {
        let _ = writeln!(s, "\n{}", p.bold("Warnings"));
        for w in &report.warnings {
            wrap(s, width, "  - ", "    ", w);
        }
    }
    if !report.coverage_gaps.is_empty() {
        let _ = writeln!(
            s,
            "\n{}",
            p.bold("Coverage gaps (what this audit could not see)")
        );
        if opts.quiet {
            let areas: Vec<&str> = report
                .coverage_gaps
                .iter()
                .map(|g| g.area.as_str())
                .collect();
            wrap(
                s,
                width,
                "  ",
                "  ",
                &format!("{} (run without --quiet for details)", areas.join(", ")),
            );
        } else {
            for g in &report.coverage_gaps {
                wrap(s, width, &format!("  - {}: ", g.area), "    ", &g.message);
            }
        }
    }
    if !report.skipped_rules.is_empty() {
        if opts.verbose {
            let _ = writeln!(s, "\n{}", p.bold("Rules not run"));
            for r in &report.skipped_rules {
                wrap(s, width, &format!("  - {}: ", r.code), "    ", &r.reason);
            }
        } else if !opts.quiet {
            let _ = writeln!(
                s,
                "\n  {}",
                p.dim(&format!(
                    "{} did not run; --verbose lists them and why.",
                    plural(report.skipped_rules.len(), "rule", "rules")
                ))
            );
        }
    }
}
