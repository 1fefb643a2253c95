//! `emrguard paths`: cross-layer attack paths, shortest first, every hop with its evidence.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use emrguard_config::Config;
use emrguard_graph::{parse_source, AccessGraph, PathView, Target, DEFAULT_MAX_DEPTH};
use emrguard_rbac::RbacIndex;
use emrguard_rules::{CheckContext, ReleaseCatalog};
use serde::Serialize;

use crate::common::{
    to_json, CliError, CmdResult, Format, OutputArgs, SnapshotArgs, EXIT_FINDINGS, EXIT_OK,
};

/// Schema version of the JSON output.
const SCHEMA_VERSION: &str = "1.0";

/// Arguments of `emrguard paths`.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Exit codes: 1 when at least one path is printed, 0 when there is none, 2 on error.
Sources: User:NAME, Group:NAME, ServiceAccount:NAMESPACE/NAME or an IAM principal ARN. Without
--from, every tenant identity (not EMR's own, not the control plane, not a configured admin).
Targets: a privilege class (admin, privilege-escalation, resource-exposure, infra-change,
data-write, data-read) or an IAM action (s3:GetObject, iam:*). Without --to, each IAM
principal reached ends a path at its worst privilege class.
JSON: a top-level `paths` array; each path has `nodes` (kind, name) in order and `edges`
(kind, text, evidence), edges[i] leading from nodes[i] to nodes[i+1].")]
pub struct PathsArgs {
    #[command(flatten)]
    pub snapshot: SnapshotArgs,
    /// Where paths start (repeatable): User:NAME, Group:NAME, ServiceAccount:NS/NAME or an IAM
    /// principal ARN. Default: every tenant identity.
    #[arg(long = "from", value_name = "SUBJECT_OR_ARN")]
    pub from: Vec<String>,
    /// Where paths end: a privilege class name or an IAM action (wildcards allowed).
    #[arg(long = "to", value_name = "CLASS_OR_ACTION")]
    pub to: Option<String>,
    /// The most hops a path may have.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_DEPTH)]
    pub max_depth: usize,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Configuration file (admins and tenants decide the default sources). Defaults to
    /// `emrguard.toml` in the snapshot directory when present.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PathOut {
    source: String,
    hops: usize,
    #[serde(flatten)]
    view: PathView,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PathsOutput<'a> {
    schema_version: &'static str,
    sources: Vec<String>,
    to: Option<&'a str>,
    max_depth: usize,
    paths: Vec<PathOut>,
}

fn load_config(args: &PathsArgs) -> Result<Config, CliError> {
    if let Some(path) = &args.config {
        return Ok(Config::load(path)?);
    }
    if let Some(dir) = &args.snapshot.snapshot {
        let default = dir.join("emrguard.toml");
        if default.is_file() {
            return Ok(Config::load(&default)?);
        }
    }
    Ok(Config::default())
}

fn render_text(paths: &[PathOut]) -> String {
    let mut out = String::new();
    if paths.is_empty() {
        out.push_str("no path found\n");
        return out;
    }
    for (i, p) in paths.iter().enumerate() {
        let _ = writeln!(
            out,
            "path {} ({} hop{}) from {}",
            i + 1,
            p.hops,
            if p.hops == 1 { "" } else { "s" },
            p.source
        );
        for (j, node) in p.view.nodes.iter().enumerate() {
            let detail = node
                .detail
                .as_deref()
                .map_or_else(String::new, |d| format!("  ({d})"));
            let _ = writeln!(out, "  {} {}{detail}", node.kind, node.name);
            let Some(edge) = p.view.edges.get(j) else {
                continue;
            };
            let broad = if edge.broad {
                " [broader than needed]"
            } else {
                ""
            };
            let _ = writeln!(out, "    -> {}: {}{broad}", edge.kind, edge.text);
            for ev in edge.evidence.iter() {
                let at = ev
                    .source
                    .as_ref()
                    .map_or_else(String::new, |s| format!(" ({s})"));
                let detail = ev
                    .detail
                    .as_deref()
                    .map_or_else(String::new, |d| format!(" [{d}]"));
                let _ = writeln!(out, "       {}{at}: {}{detail}", ev.object, ev.text);
            }
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "{} path{}",
        paths.len(),
        if paths.len() == 1 { "" } else { "s" }
    );
    out
}

/// A DOT string literal.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn render_dot(paths: &[PathOut]) -> String {
    let mut ids: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut nodes: Vec<String> = Vec::new();
    let mut edges: Vec<(usize, usize, String)> = Vec::new();
    for p in paths {
        let mut previous: Option<usize> = None;
        for (j, node) in p.view.nodes.iter().enumerate() {
            let key = (node.kind.as_str().to_owned(), node.name.clone());
            let next = ids.len();
            let id = *ids.entry(key).or_insert_with(|| {
                nodes.push(format!(
                    "  n{next} [label={}];",
                    quote(&format!("{}\n{}", node.kind, node.name))
                ));
                next
            });
            if let (Some(from), Some(edge)) =
                (previous, j.checked_sub(1).and_then(|k| p.view.edges.get(k)))
            {
                let e = (from, id, edge.kind.as_str().to_owned());
                if !edges.contains(&e) {
                    edges.push(e);
                }
            }
            previous = Some(id);
        }
    }
    let mut out = String::from(
        "digraph paths {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n",
    );
    for n in nodes {
        out.push_str(&n);
        out.push('\n');
    }
    for (from, to, label) in edges {
        let _ = writeln!(out, "  n{from} -> n{to} [label={}];", quote(&label));
    }
    out.push_str("}\n");
    out
}

/// Runs `emrguard paths`.
pub fn run(args: &PathsArgs) -> CmdResult {
    args.output
        .require(&[Format::Text, Format::Json, Format::Dot])?;
    let target = match &args.to {
        Some(t) => Target::parse(t).map_err(CliError)?,
        None => Target::AnyClass,
    };
    let inventory = args.snapshot.load(None)?;
    let config = load_config(args)?;
    let rbac = RbacIndex::build(&inventory);
    let sources = if args.from.is_empty() {
        let releases = ReleaseCatalog::builtin();
        let cx = CheckContext::new(&inventory, &config, &releases);
        emrguard_rules::rules::paths::tenant_sources(&cx)
            .into_iter()
            .map(|s| s.node)
            .collect()
    } else {
        args.from
            .iter()
            .map(|f| parse_source(&inventory, f))
            .collect::<Result<Vec<_>, _>>()
            .map_err(CliError)?
    };
    let mut graph = AccessGraph::new(&inventory, &rbac);
    let ids: Vec<_> = sources.iter().map(|s| graph.node(s.clone())).collect();
    if !args.from.is_empty() {
        for (id, source) in ids.iter().zip(&sources) {
            if graph.out_edges(*id).is_empty() {
                eprintln!(
                    "emrguard: note: {} leads nowhere in this snapshot (no mapping, binding, trust or grant that the graph follows)",
                    source.describe()
                );
            }
        }
    }
    let found = graph.paths(&ids, &target, args.max_depth);
    let paths: Vec<PathOut> = found
        .iter()
        .map(|p| PathOut {
            source: p
                .source()
                .and_then(|s| graph.key(s))
                .map(emrguard_graph::NodeKey::name)
                .unwrap_or_default(),
            hops: p.len(),
            view: graph.view(p),
        })
        .collect();
    let text = match args.output.format {
        Format::Json => to_json(&PathsOutput {
            schema_version: SCHEMA_VERSION,
            sources: sources.iter().map(emrguard_graph::NodeKey::name).collect(),
            to: args.to.as_deref(),
            max_depth: args.max_depth,
            paths,
        })?,
        Format::Dot => render_dot(&paths),
        _ => render_text(&paths),
    };
    args.output.emit(&text)?;
    Ok(ExitCode::from(if found.is_empty() {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    }))
}
