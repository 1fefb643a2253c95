//! `emrguard who-can`: every subject allowed to make a request, with what allows it.

use std::fmt::Write as _;
use std::process::ExitCode;

use clap::Args;
use emrguard_rbac::{RbacIndex, Request, SubjectGrant};
use serde::Serialize;

use crate::cmd::can_i::RequestArgs;
use crate::common::{to_json, CmdResult, Format, OutputArgs, SnapshotArgs};

/// Schema version of the JSON output.
const SCHEMA_VERSION: &str = "1.0";

/// Arguments of `emrguard who-can`.
#[derive(Debug, Args)]
pub struct WhoCanArgs {
    #[command(flatten)]
    pub request: RequestArgs,
    /// Count RoleBindings and namespace-scoped access policies of every namespace (each grant
    /// names its binding, so its namespace shows). Ignores --namespace.
    #[arg(long, short = 'A')]
    pub all_namespaces: bool,
    #[command(flatten)]
    pub snapshot: SnapshotArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WhoCanOutput<'a> {
    schema_version: &'static str,
    request: &'a Request,
    all_namespaces: bool,
    subjects: &'a [SubjectGrant],
}

fn render_text(subjects: &[SubjectGrant]) -> String {
    let mut out = String::new();
    if subjects.is_empty() {
        out.push_str("no subject is allowed\n");
    }
    for s in subjects {
        let _ = writeln!(out, "{}", s.subject);
        for g in &s.grants {
            let _ = writeln!(out, "  {g}");
        }
    }
    out
}

/// Runs `emrguard who-can`. Exit code 0 whether or not anyone is allowed.
pub fn run(args: &WhoCanArgs) -> CmdResult {
    args.output.require(&[Format::Text, Format::Json])?;
    let request = args.request.parse()?;
    let inventory = args.snapshot.load(None)?;
    let index = RbacIndex::build(&inventory);
    for d in index.diagnostics() {
        eprintln!("emrguard: warning: {}", d.message);
    }
    let subjects = if args.all_namespaces {
        index.who_can_any_namespace(&request)
    } else {
        index.who_can(&request)
    };
    let text = match args.output.format {
        Format::Json => to_json(&WhoCanOutput {
            schema_version: SCHEMA_VERSION,
            request: &request,
            all_namespaces: args.all_namespaces,
            subjects: &subjects,
        })?,
        _ => render_text(&subjects),
    };
    args.output.emit(&text)?;
    Ok(ExitCode::SUCCESS)
}
