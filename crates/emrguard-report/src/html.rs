//! One self-contained HTML page: summary by practice and severity, a filterable findings
//! table with each finding's evidence and fix, and the attack paths drawn as inline SVG.
//!
//! Everything is inline (CSS, script, SVG) and a Content-Security-Policy of
//! `default-src 'none'` forbids the page from fetching anything, so it can be mailed,
//! archived as a CI artifact and opened offline. The content is rendered on the server side;
//! the script only filters rows, so the page still reads well with scripts off.

use std::fmt::Write as _;

use emrguard_rules::{Finding, Practice, ResourceRef};

use crate::util::{
    escape, has_path, path_links, plural, resource_with_source, summary_notes, truncate,
    WORST_FIRST,
};
use crate::Report;

const STYLE: &str = r#"
:root{--fg:#1d2330;--muted:#5b6475;--bg:#fff;--panel:#f5f7fa;--line:#d9dee7;
--critical:#8e1b1b;--high:#c0392b;--medium:#b7791f;--low:#2b6cb0;--info:#718096;
--aws:#fff4e5;--aws-line:#dd8a1f;--k8s:#e8f1fd;--k8s-line:#3b73c4;--other:#f1f1f1}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",sans-serif;color:var(--fg);background:var(--bg)}
header{padding:20px 28px;background:#1d2330;color:#fff}
header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;color:#c9d1de}
main{padding:8px 28px 40px;max-width:1400px}
h2{font-size:18px;margin:28px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--panel);font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.n button{all:unset;cursor:pointer;min-width:2em;display:inline-block;text-align:right}
td.n button:hover,td.n button:focus{text-decoration:underline}
td.zero{color:#a0a8b5}
.sev{display:inline-block;min-width:5.5em;padding:1px 6px;border-radius:3px;color:#fff;font-size:12px;font-weight:600;text-transform:uppercase;text-align:center}
.sev-critical{background:var(--critical)}.sev-high{background:var(--high)}.sev-medium{background:var(--medium)}
.sev-low{background:var(--low)}.sev-info{background:var(--info)}
code,pre{font-family:ui-monospace,"DejaVu Sans Mono","Liberation Mono",monospace;font-size:12.5px}
pre{background:var(--panel);border:1px solid var(--line);padding:8px 10px;overflow:auto;max-height:28em}
#filters{display:flex;gap:12px;flex-wrap:wrap;align-items:end;margin:8px 0 12px}
#filters label{display:flex;flex-direction:column;font-size:12px;color:var(--muted)}
#filters select,#filters input{font:inherit;padding:4px 6px;min-width:14em}
#shown-count{color:var(--muted);margin:6px 0}
tr.finding td{border-bottom:none}
tr.detail td{padding-top:0}
details summary{cursor:pointer;color:var(--low)}
.evidence{margin:6px 0 6px 0;padding-left:22px}
.evidence li{margin:3px 0}
.where,.detail-text{color:var(--muted);font-size:12.5px}
.path{margin:8px 0;overflow-x:auto}
.path svg{max-width:100%;height:auto;background:#fff;border:1px solid var(--line)}
.path-card{border:1px solid var(--line);border-radius:4px;padding:8px 12px;margin:10px 0}
.muted{color:var(--muted)}
ul.plain{padding-left:20px}
"#;

const SCRIPT: &str = r#"
(function () {
  var rows = Array.prototype.slice.call(document.querySelectorAll('tr.finding'));
  var practice = document.getElementById('f-practice');
  var severity = document.getElementById('f-severity');
  var text = document.getElementById('f-text');
  var count = document.getElementById('shown-count');
  function apply() {
    var p = practice.value, s = severity.value, t = text.value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (row) {
      var ok = (!p || row.getAttribute('data-practice') === p) &&
               (!s || row.getAttribute('data-severity') === s) &&
               (!t || row.getAttribute('data-text').indexOf(t) >= 0);
      row.hidden = !ok;
      var detail = document.getElementById('detail-' + row.getAttribute('data-id'));
      if (detail) { detail.hidden = !ok; }
      if (ok) { shown += 1; }
    });
    count.textContent = 'Showing ' + shown + ' of ' + rows.length + ' findings' +
      (p || s || t ? ' (filtered)' : '');
  }
  practice.addEventListener('change', apply);
  severity.addEventListener('change', apply);
  text.addEventListener('input', apply);
  Array.prototype.forEach.call(document.querySelectorAll('button[data-filter-practice]'), function (b) {
    b.addEventListener('click', function () {
      practice.value = b.getAttribute('data-filter-practice');
      severity.value = b.getAttribute('data-filter-severity');
      apply();
      document.getElementById('findings').scrollIntoView();
    });
  });
  // A link such as report.html#severity=critical&practice=rbac-permissions&q=team-a opens
  // the page filtered.
  location.hash.replace(/^#/, '').split('&').forEach(function (pair) {
    var kv = pair.split('='), value = kv[1] || '';
    try { value = decodeURIComponent(value); } catch (e) { /* keep it as written */ }
    if (kv[0] === 'practice') { practice.value = value; }
    if (kv[0] === 'severity') { severity.value = value; }
    if (kv[0] === 'q') { text.value = value; }
  });
  apply();
  document.body.setAttribute('data-rendered', 'true');
})();
"#;

/// Renders the report as one HTML page.
pub fn render(report: &Report) -> String {
    let mut s = String::new();
    let title = if report.snapshot.is_empty() {
        "emrguard audit".to_owned()
    } else {
        format!("emrguard audit of {}", report.snapshot)
    };
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n\
         <meta name=\"generator\" content=\"{} {}\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n\
         <body data-rendered=\"false\">\n",
        escape(&report.tool.name),
        escape(&report.tool.version),
        escape(&title)
    );
    let counts: Vec<String> = WORST_FIRST
        .into_iter()
        .filter(|sev| report.summary.by_severity.get(*sev) > 0)
        .map(|sev| format!("{} {sev}", report.summary.by_severity.get(sev)))
        .collect();
    let _ = writeln!(
        s,
        "<header><h1>{}</h1><p id=\"headline\">{}{}</p></header>\n<main>",
        escape(&title),
        plural(report.summary.total(), "finding", "findings"),
        if counts.is_empty() {
            String::new()
        } else {
            format!(" ({})", counts.join(", "))
        }
    );
    summary(&mut s, report);
    findings(&mut s, report);
    paths(&mut s, report);
    coverage(&mut s, report);
    let _ = writeln!(
        s,
        "<p class=\"muted\">Generated by {} {}.</p>\n</main>\n<script>{SCRIPT}</script>\n</body>\n</html>",
        escape(&report.tool.name),
        escape(&report.tool.version)
    );
    s
}

fn summary(s: &mut String, report: &Report) {
    let _ = writeln!(
        s,
        "<section id=\"summary\"><h2>Summary by practice and severity</h2>\n<table class=\"summary\">\n<thead><tr><th>Practice</th>"
    );
    for sev in WORST_FIRST {
        let _ = write!(s, "<th class=\"n\">{sev}</th>");
    }
    let _ = writeln!(s, "<th class=\"n\">total</th></tr></thead>\n<tbody>");
    for practice in Practice::ALL {
        let counts = report
            .summary
            .by_practice
            .get(&practice)
            .copied()
            .unwrap_or_default();
        let _ = write!(
            s,
            "<tr data-practice=\"{}\"><td>{}. {}</td>",
            practice.as_str(),
            practice.number(),
            escape(practice.title())
        );
        for sev in WORST_FIRST {
            let n = counts.get(sev);
            if n == 0 {
                let _ = write!(s, "<td class=\"n zero\">0</td>");
            } else {
                let _ = write!(
                    s,
                    "<td class=\"n\"><button type=\"button\" data-filter-practice=\"{}\" data-filter-severity=\"{sev}\" title=\"Show these findings\"><span class=\"sev sev-{sev}\">{n}</span></button></td>",
                    practice.as_str()
                );
            }
        }
        let _ = writeln!(s, "<td class=\"n\">{}</td></tr>", counts.total);
    }
    let all = report.summary.by_severity;
    let _ = write!(s, "<tr class=\"total\"><th>All practices</th>");
    for sev in WORST_FIRST {
        let _ = write!(s, "<th class=\"n\">{}</th>", all.get(sev));
    }
    let _ = writeln!(
        s,
        "<th class=\"n\">{}</th></tr>\n</tbody></table>",
        all.total
    );
    let notes = summary_notes(report);
    let _ = writeln!(
        s,
        "<p class=\"muted\">{}.</p></section>",
        escape(&notes.join("; "))
    );
}

fn search_text(f: &Finding) -> String {
    let mut parts = vec![
        f.code.clone(),
        f.name.clone(),
        f.message.clone(),
        f.practice.as_str().to_owned(),
    ];
    parts.extend(f.resources.iter().map(|r| r.to_string()));
    parts.extend(f.evidence.iter().map(|e| e.text.clone()));
    parts.join(" ").to_lowercase()
}

fn findings(s: &mut String, report: &Report) {
    let _ = writeln!(s, "<section id=\"findings\"><h2>Findings</h2>");
    let _ = writeln!(s, "<form id=\"filters\" onsubmit=\"return false\">");
    let _ = write!(
        s,
        "<label>Practice<select id=\"f-practice\"><option value=\"\">All practices</option>"
    );
    for p in Practice::ALL {
        let _ = write!(
            s,
            "<option value=\"{}\">{}. {}</option>",
            p.as_str(),
            p.number(),
            escape(p.title())
        );
    }
    let _ = write!(
        s,
        "</select></label>\n<label>Severity<select id=\"f-severity\"><option value=\"\">All severities</option>"
    );
    for sev in WORST_FIRST {
        let _ = write!(s, "<option value=\"{sev}\">{sev}</option>");
    }
    let _ = writeln!(
        s,
        "</select></label>\n<label>Text<input id=\"f-text\" type=\"search\" placeholder=\"code, resource, words\"></label>\n</form>"
    );
    let _ = writeln!(
        s,
        "<p id=\"shown-count\">{} (filters need scripts)</p>",
        plural(report.findings.len(), "finding", "findings")
    );
    if report.findings.is_empty() {
        let _ = writeln!(s, "<p>No findings.</p></section>");
        return;
    }
    let _ = writeln!(
        s,
        "<table id=\"findings-table\"><thead><tr><th>Severity</th><th>Rule</th><th>Practice</th><th>Resource</th><th>Finding</th></tr></thead>\n<tbody>"
    );
    for (i, f) in report.findings.iter().enumerate() {
        let id = format!("f{}", i + 1);
        let primary = f
            .resources
            .first()
            .map(|r| escape(&r.to_string()))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "<tr class=\"finding\" id=\"{id}\" data-id=\"{id}\" data-practice=\"{}\" data-severity=\"{}\" data-text=\"{}\">\
             <td><span class=\"sev sev-{sev}\">{sev}</span></td><td><code>{}</code><br><span class=\"muted\">{}</span></td>\
             <td>{}. {}</td><td><code>{primary}</code></td><td>{}</td></tr>",
            f.practice.as_str(),
            f.severity,
            escape(&search_text(f)),
            escape(&f.code),
            escape(&f.name),
            f.practice.number(),
            escape(f.practice.title()),
            escape(&f.message),
            sev = f.severity,
        );
        let _ = writeln!(
            s,
            "<tr class=\"detail\" id=\"detail-{id}\"><td colspan=\"5\"><details{}><summary>Evidence and fix</summary>\n{}</details></td></tr>",
            if has_path(f) { " open" } else { "" },
            detail(report, f, &id)
        );
    }
    let _ = writeln!(s, "</tbody></table></section>");
}

fn detail(report: &Report, f: &Finding, id: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "<p><b>Resources</b></p><ul class=\"plain\">");
    for r in &f.resources {
        let _ = writeln!(s, "<li>{}</li>", resource_html(r));
    }
    let _ = writeln!(s, "</ul>");
    if !f.evidence.is_empty() {
        let _ = writeln!(s, "<p><b>Evidence</b></p><ol class=\"evidence\">");
        for e in &f.evidence {
            let _ = write!(s, "<li>{}", escape(&e.text));
            if let Some(r) = &e.resource {
                let _ = write!(s, "<br><span class=\"where\">{}</span>", resource_html(r));
            }
            if let Some(d) = &e.detail {
                let _ = write!(s, "<br><span class=\"detail-text\">{}</span>", escape(d));
            }
            let _ = writeln!(s, "</li>");
        }
        let _ = writeln!(s, "</ol>");
    }
    if has_path(f) {
        let _ = writeln!(
            s,
            "<div class=\"path\">{}</div>",
            path_svg(f, &format!("{id}-inline"))
        );
    }
    if !f.remediation.summary.is_empty() {
        let _ = writeln!(s, "<p><b>Fix:</b> {}</p>", escape(&f.remediation.summary));
    }
    for fix in &f.remediation.fixes {
        let _ = writeln!(
            s,
            "<p>{} <span class=\"muted\">({})</span></p><pre><code class=\"language-{}\">{}</code></pre>",
            escape(&fix.description),
            escape(&fix.language),
            escape(&fix.language),
            escape(fix.content.trim_end())
        );
    }
    if let Some(rule) = report.rule(&f.code) {
        let _ = writeln!(
            s,
            "<p class=\"muted\">Rule {} {}: {}. Documentation: <a href=\"{}\">{}</a>. Fingerprint <code>{}</code>.</p>",
            escape(&rule.code),
            escape(&rule.name),
            escape(&rule.summary),
            escape(&rule.help_uri),
            escape(&rule.help_uri),
            escape(&f.fingerprint)
        );
    }
    s
}

fn resource_html(r: &ResourceRef) -> String {
    match &r.source {
        Some(src) => format!(
            "<code>{}</code> <span class=\"where\">{}</span>",
            escape(&r.to_string()),
            escape(&src.to_string())
        ),
        None => format!("<code>{}</code>", escape(&r.to_string())),
    }
}

fn paths(s: &mut String, report: &Report) {
    let with_paths: Vec<(usize, &Finding)> = report
        .findings
        .iter()
        .enumerate()
        .filter(|(_, f)| has_path(f))
        .collect();
    let _ = writeln!(s, "<section id=\"attack-paths\"><h2>Attack paths</h2>");
    if with_paths.is_empty() {
        let _ = writeln!(
            s,
            "<p class=\"muted\">No finding has a multi-step path.</p></section>"
        );
        return;
    }
    let _ = writeln!(
        s,
        "<p class=\"muted\">Each picture follows one finding's evidence from the first resource to the last; orange boxes are AWS resources, blue boxes Kubernetes objects.</p>"
    );
    for (i, f) in with_paths {
        let id = format!("f{}", i + 1);
        let _ = writeln!(
            s,
            "<div class=\"path-card\" data-finding=\"{id}\"><p><span class=\"sev sev-{sev}\">{sev}</span> <a href=\"#{id}\"><code>{}</code></a> {}</p><div class=\"path\">{}</div></div>",
            escape(&f.code),
            escape(&f.message),
            path_svg(f, &format!("{id}-path")),
            sev = f.severity,
        );
    }
    let _ = writeln!(s, "</section>");
}

/// Which layer a resource belongs to, for colouring.
fn layer(r: &ResourceRef) -> &'static str {
    const AWS_KINDS: [&str; 12] = [
        "AccessEntry",
        "Nodegroup",
        "SecurityGroup",
        "Subnet",
        "LaunchTemplate",
        "LoadBalancer",
        "VirtualCluster",
        "ManagedEndpoint",
        "JobTemplate",
        "JobRun",
        "EKSCluster",
        "InstanceProfile",
    ];
    if r.arn.is_some() || r.kind.starts_with("IAM") || AWS_KINDS.contains(&r.kind.as_str()) {
        "aws"
    } else if r.kind == "Suppression" {
        "other"
    } else {
        "k8s"
    }
}

/// The finding's path as a vertical chain of boxes, one per evidence resource, with the
/// evidence text beside each box and arrows between them.
pub(crate) fn path_svg(f: &Finding, id: &str) -> String {
    const NODE_W: usize = 340;
    const NODE_H: usize = 48;
    const GAP: usize = 34;
    const LEFT: usize = 10;
    const TEXT_X: usize = LEFT + NODE_W + 16;
    const WIDTH: usize = 900;
    let links = path_links(f);
    let height = 20 + links.len() * NODE_H + links.len().saturating_sub(1) * GAP;
    let mut s = String::new();
    let labels: Vec<String> = links
        .iter()
        .map(|(_, r)| {
            format!(
                "{} {}",
                r.kind,
                r.name.as_deref().or(r.arn.as_deref()).unwrap_or("")
            )
        })
        .collect();
    let _ = write!(
        s,
        "<svg viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" role=\"img\" aria-label=\"{}\">",
        escape(&format!("Path: {}", labels.join(" to ")))
    );
    let _ = write!(
        s,
        "<defs><marker id=\"arrow-{id}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#4a5568\"/></marker></defs>"
    );
    for (i, (e, r)) in links.iter().enumerate() {
        let y = 10 + i * (NODE_H + GAP);
        let (fill, stroke) = match layer(r) {
            "aws" => ("#fff4e5", "#dd8a1f"),
            "k8s" => ("#e8f1fd", "#3b73c4"),
            _ => ("#f1f1f1", "#888"),
        };
        let name = r
            .namespace
            .as_deref()
            .map(|ns| format!("{ns}/{}", r.name.as_deref().unwrap_or("")))
            .or_else(|| r.name.clone())
            .or_else(|| r.arn.clone())
            .unwrap_or_default();
        let _ = write!(
            s,
            "<g class=\"node\" data-kind=\"{}\"><title>{}</title><rect x=\"{LEFT}\" y=\"{y}\" width=\"{NODE_W}\" height=\"{NODE_H}\" rx=\"6\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"1.5\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"12\" font-weight=\"700\" font-family=\"sans-serif\" fill=\"#1d2330\">{}</text>\
             <text x=\"{}\" y=\"{}\" font-size=\"11.5\" font-family=\"monospace\" fill=\"#1d2330\">{}</text></g>",
            escape(&r.kind),
            escape(&resource_with_source(r)),
            LEFT + 10,
            y + 19,
            escape(&truncate(&r.kind, 44)),
            LEFT + 10,
            y + 37,
            escape(&truncate(&name, 50)),
        );
        let lines = textwrap::wrap(&e.text, 78);
        for (j, line) in lines.iter().take(3).enumerate() {
            let text = if j == 2 && lines.len() > 3 {
                truncate(&format!("{line} \u{2026}"), 80)
            } else {
                line.to_string()
            };
            let _ = write!(
                s,
                "<text x=\"{TEXT_X}\" y=\"{}\" font-size=\"12\" font-family=\"sans-serif\" fill=\"#3d4556\">{}</text>",
                y + 16 + j * 15,
                escape(&text)
            );
        }
        if i + 1 < links.len() {
            let x = LEFT + NODE_W / 2;
            let _ = write!(
                s,
                "<line class=\"edge\" x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"#4a5568\" stroke-width=\"1.6\" marker-end=\"url(#arrow-{id})\"/>",
                y + NODE_H,
                y + NODE_H + GAP - 2
            );
        }
    }
    s.push_str("</svg>");
    s
}

fn coverage(s: &mut String, report: &Report) {
    let _ = writeln!(
        s,
        "<section id=\"coverage\"><h2>What this audit could not see</h2>"
    );
    if report.coverage_gaps.is_empty() {
        let _ = writeln!(s, "<p class=\"muted\">No coverage gaps: the snapshot has every kind of data the rules use.</p>");
    } else {
        let _ = writeln!(s, "<ul class=\"plain\" id=\"coverage-gaps\">");
        for g in &report.coverage_gaps {
            let _ = writeln!(
                s,
                "<li><b>{}</b>: {}</li>",
                escape(&g.area),
                escape(&g.message)
            );
        }
        let _ = writeln!(s, "</ul>");
    }
    if !report.skipped_rules.is_empty() {
        let _ = writeln!(
            s,
            "<details><summary>{} did not run</summary><ul class=\"plain\">",
            plural(report.skipped_rules.len(), "rule", "rules")
        );
        for r in &report.skipped_rules {
            let _ = writeln!(
                s,
                "<li><code>{}</code>: {}</li>",
                escape(&r.code),
                escape(&r.reason)
            );
        }
        let _ = writeln!(s, "</ul></details>");
    }
    if !report.suppressed.is_empty() {
        let _ = writeln!(
            s,
            "<details><summary>{}</summary><table><thead><tr><th>Rule</th><th>Resource</th><th>Reason</th><th>Until</th></tr></thead><tbody>",
            plural(report.suppressed.len(), "suppressed finding", "suppressed findings")
        );
        for sup in &report.suppressed {
            let primary = sup
                .finding
                .resources
                .first()
                .map(|r| escape(&r.to_string()))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "<tr><td><code>{}</code></td><td><code>{primary}</code></td><td>{}</td><td>{}</td></tr>",
                escape(&sup.finding.code),
                escape(&sup.reason),
                escape(&sup.expires)
            );
        }
        let _ = writeln!(s, "</tbody></table></details>");
    }
    if !report.warnings.is_empty() {
        let _ = writeln!(
            s,
            "<p><b>Warnings</b></p><ul class=\"plain\" id=\"warnings\">"
        );
        for w in &report.warnings {
            let _ = writeln!(s, "<li>{}</li>", escape(w));
        }
        let _ = writeln!(s, "</ul>");
    }
    let _ = writeln!(s, "</section>");
}
