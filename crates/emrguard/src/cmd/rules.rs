//! `emrguard rules` and `emrguard explain CODE`: the rule catalog, from the rules' own docs.

use std::fmt::Write as _;
use std::process::ExitCode;

use clap::Args;
use serde::Serialize;

use crate::common::{to_json, CliError, CmdResult, Format, OutputArgs};

/// Arguments of `emrguard rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Arguments of `emrguard explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Rule code (e.g. RBAC003) or name (e.g. tenant-can-create-pods).
    pub rule: String,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Serialize)]
struct RuleJson {
    code: &'static str,
    name: &'static str,
    summary: &'static str,
    practice: &'static str,
    severity: &'static str,
    requires: &'static [&'static str],
    #[serde(skip_serializing_if = "Option::is_none")]
    doc: Option<String>,
}

fn rule_json(m: &emrguard_rules::RuleMeta, with_doc: bool) -> RuleJson {
    RuleJson {
        code: m.code,
        name: m.name,
        summary: m.summary,
        practice: m.practice.as_str(),
        severity: m.severity.as_str(),
        requires: m.requires,
        doc: with_doc.then(|| m.doc_markdown()),
    }
}

/// Runs `emrguard rules`.
pub fn list(args: &RulesArgs) -> CmdResult {
    args.output
        .require(&[Format::Text, Format::Json, Format::Markdown])?;
    let rules = emrguard_rules::all_rules();
    let text = match args.output.format {
        Format::Json => to_json(
            &rules
                .iter()
                .map(|r| rule_json(r.meta(), false))
                .collect::<Vec<_>>(),
        )?,
        Format::Markdown => {
            let metas: Vec<_> = rules.iter().map(|r| r.meta()).collect();
            emrguard_rules::docs::index_page(&metas)
        }
        _ => {
            let mut s = String::new();
            for r in &rules {
                let m = r.meta();
                let _ = writeln!(
                    s,
                    "{:<8} {:<44} {:<8} {}",
                    m.code,
                    m.name,
                    m.severity.as_str(),
                    m.practice.as_str()
                );
            }
            s
        }
    };
    args.output.emit(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// Whether `code_or_name` names the expired-suppression check, which is not a rule of the
/// registry (it runs after the audit, on the configuration) but is reported like one.
fn is_expired_suppression(code_or_name: &str) -> bool {
    use emrguard_rules::suppress::{EXPIRED_SUPPRESSION_CODE, EXPIRED_SUPPRESSION_NAME};
    code_or_name.eq_ignore_ascii_case(EXPIRED_SUPPRESSION_CODE)
        || code_or_name == EXPIRED_SUPPRESSION_NAME
}

/// `explain CFG001`: the expired-suppression check, in the same shape as a rule's page.
fn explain_expired_suppression(format: Format) -> Result<String, CliError> {
    use emrguard_rules::suppress::{
        EXPIRED_SUPPRESSION_CODE as CODE, EXPIRED_SUPPRESSION_DOC as DOC,
        EXPIRED_SUPPRESSION_NAME as NAME, EXPIRED_SUPPRESSION_SUMMARY as SUMMARY,
    };
    const PRACTICE: &str = "the suppressed rule's";
    if format == Format::Json {
        return to_json(&RuleJson {
            code: CODE,
            name: NAME,
            summary: SUMMARY,
            practice: PRACTICE,
            severity: "low",
            requires: &[],
            doc: Some(DOC.to_owned()),
        });
    }
    Ok(format!(
        "# {CODE} {NAME}\n\n{SUMMARY}\n\n| Practice | Default severity | Needs |\n|---|---|---|\n| {PRACTICE} | low | emrguard.toml |\n\n{}\n",
        DOC.trim()
    ))
}

/// Runs `emrguard explain`.
pub fn explain(args: &ExplainArgs) -> CmdResult {
    args.output
        .require(&[Format::Text, Format::Json, Format::Markdown])?;
    if is_expired_suppression(&args.rule) {
        let text = explain_expired_suppression(args.output.format)?;
        args.output.emit(&text)?;
        return Ok(ExitCode::SUCCESS);
    }
    let rule = emrguard_rules::find_rule(&args.rule).ok_or_else(|| {
        CliError(format!(
            "no rule with code or name {:?} (see `emrguard rules`)",
            args.rule
        ))
    })?;
    let text = match args.output.format {
        Format::Json => to_json(&rule_json(rule.meta(), true))?,
        _ => emrguard_rules::docs::rule_page(rule.meta()),
    };
    args.output.emit(&text)?;
    Ok(ExitCode::SUCCESS)
}
