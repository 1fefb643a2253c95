//! The text report for people: grouped by practice, evidence chains indented.

use std::fmt::Write as _;

use emrguard_rules::{Practice, Severity};

use crate::Report;

/// Options for the text renderer.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    /// Only the summary and one line per finding.
    pub quiet: bool,
    /// Also print fixes in full and skipped rules.
    pub verbose: bool,
    /// Use ANSI colours.
    pub color: bool,
}

fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
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

/// Renders the report as text.
pub fn render(report: &Report, opts: TextOptions) -> String {
    let mut s = String::new();
    for practice in Practice::ALL {
        let findings: Vec<_> = report.findings.iter().filter(|f| f.practice == practice).collect();
        if findings.is_empty() {
            continue;
        }
        let _ = writeln!(
            s,
            "{}",
            paint(opts.color, "1", &format!("{}. {} ({})", practice.number(), practice.title(), practice.as_str()))
        );
        for f in findings {
            let _ = writeln!(
                s,
                "  {} {} {} {}",
                paint(opts.color, severity_color(f.severity), &format!("{:<8}", f.severity.as_str())),
                f.code,
                f.name,
                ""
            );
            let _ = writeln!(s, "    {}", f.message);
            if opts.quiet {
                continue;
            }
            for r in &f.resources {
                match &r.source {
                    Some(src) => {
                        let _ = writeln!(s, "    - {r} ({src})");
                    }
                    None => {
                        let _ = writeln!(s, "    - {r}");
                    }
                }
            }
            if !f.evidence.is_empty() {
                let _ = writeln!(s, "    evidence:");
                for (i, e) in f.evidence.iter().enumerate() {
                    let indent = "  ".repeat(i.min(6));
                    let _ = writeln!(s, "      {indent}{} {}", if i == 0 { "*" } else { "\u{2514}\u{2500}" }, e.text);
                    if let Some(d) = &e.detail {
                        let _ = writeln!(s, "      {indent}    {d}");
                    }
                }
            }
            let _ = writeln!(s, "    fix: {}", f.remediation.summary);
            for fix in &f.remediation.fixes {
                if opts.verbose || fix.content.lines().count() <= 3 {
                    let _ = writeln!(s, "      {}:", fix.description);
                    for line in fix.content.lines() {
                        let _ = writeln!(s, "        {line}");
                    }
                } else {
                    let _ = writeln!(s, "      {} (use --verbose or --format json to see it)", fix.description);
                }
            }
            let _ = writeln!(s);
        }
    }
    let _ = writeln!(s, "{}", paint(opts.color, "1", "Summary"));
    let _ = writeln!(s, "  {:<34} {:>8} {:>6} {:>6} {:>6} {:>6}", "practice", "critical", "high", "medium", "low", "info");
    for practice in Practice::ALL {
        let counts = report.summary.by_practice.get(&practice);
        let n = |sev| counts.and_then(|c| c.get(&sev)).copied().unwrap_or(0);
        let _ = writeln!(
            s,
            "  {:<34} {:>8} {:>6} {:>6} {:>6} {:>6}",
            format!("{}. {}", practice.number(), practice.as_str()),
            n(Severity::Critical),
            n(Severity::High),
            n(Severity::Medium),
            n(Severity::Low),
            n(Severity::Info)
        );
    }
    let _ = writeln!(s, "  {} finding(s)", report.summary.total);
    if !report.coverage_gaps.is_empty() {
        let _ = writeln!(s, "\n{}", paint(opts.color, "1", "Coverage gaps"));
        for g in &report.coverage_gaps {
            let _ = writeln!(s, "  {}: {}", g.area, g.message);
        }
    }
    if !report.skipped_rules.is_empty() && (opts.verbose || !report.coverage_gaps.is_empty()) {
        let _ = writeln!(s, "\n{}", paint(opts.color, "1", "Rules not run"));
        for r in &report.skipped_rules {
            let _ = writeln!(s, "  {}: {}", r.code, r.reason);
        }
    }
    s
}
