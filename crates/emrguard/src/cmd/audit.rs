//! `emrguard audit`: every check on a snapshot, reported in one or more formats.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use emrguard_config::Config;
use emrguard_report::baseline::Baseline;
use emrguard_report::markdown::MarkdownOptions;
use emrguard_report::sarif::SarifOptions;
use emrguard_report::text::{TextOptions, DEFAULT_WIDTH};
use emrguard_report::Report;
use emrguard_rules::{suppress, ReleaseCatalog, Severity};

use crate::common::{
    emit_to, CliError, CmdResult, Format, MultiOutputArgs, OutputTarget, SnapshotArgs,
    EXIT_FINDINGS,
};

/// The formats `audit` writes.
const FORMATS: [Format; 6] = [
    Format::Text,
    Format::Json,
    Format::Sarif,
    Format::Junit,
    Format::Markdown,
    Format::Html,
];

/// A severity threshold for `--fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Any finding.
    Info,
    /// Low and above.
    Low,
    /// Medium and above.
    Medium,
    /// High and above.
    High,
    /// Critical only.
    Critical,
    /// Never fail on findings.
    Never,
}

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            Self::Info => Some(Severity::Info),
            Self::Low => Some(Severity::Low),
            Self::Medium => Some(Severity::Medium),
            Self::High => Some(Severity::High),
            Self::Critical => Some(Severity::Critical),
            Self::Never => None,
        }
    }
}

/// Arguments of `emrguard audit`.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Exit codes: 0 when no reported finding reaches --fail-on, 1 when one does, 2 on error.
Several reports in one run: --format json --output a.json --format sarif --output b.sarif
Suppressions (with a reason and an expiry date), rule selection and severity overrides come
from emrguard.toml; see docs/reports.md.")]
pub struct AuditArgs {
    /// Snapshot directory (same as --snapshot).
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    #[command(flatten)]
    pub snapshot: SnapshotArgs,
    #[command(flatten)]
    pub outputs: MultiOutputArgs,
    /// Configuration file (admins, tenants, thresholds, rules, suppressions). Defaults to
    /// `emrguard.toml` in the snapshot directory when present.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Exit with 1 when a reported finding reaches this severity.
    #[arg(long, value_enum, default_value = "low")]
    pub fail_on: FailOn,
    /// Report only findings that are not in this baseline file (matched by fingerprint).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write every current finding's fingerprint to FILE, to use later with --baseline.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Replace the built-in EMR on EKS release catalog (JSON) used by the image checks.
    #[arg(long, value_name = "FILE")]
    pub release_catalog: Option<PathBuf>,
    /// Text: print only the summary and one line per finding.
    #[arg(long, short = 'q', conflicts_with = "verbose")]
    pub quiet: bool,
    /// Text: print fixes in full, suppressed findings and the rules that did not run.
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

fn load_config(args: &AuditArgs, snapshot_dir: Option<&PathBuf>) -> Result<Config, CliError> {
    if let Some(path) = &args.config {
        return Ok(Config::load(path)?);
    }
    if let Some(dir) = snapshot_dir {
        let default = dir.join("emrguard.toml");
        if default.is_file() {
            return Ok(Config::load(&default)?);
        }
    }
    Ok(Config::default())
}

fn load_releases(path: Option<&PathBuf>) -> Result<ReleaseCatalog, CliError> {
    let Some(path) = path else {
        return Ok(ReleaseCatalog::builtin());
    };
    let text =
        std::fs::read_to_string(path).map_err(|e| CliError(format!("{}: {e}", path.display())))?;
    ReleaseCatalog::from_json(&text)
        .map_err(|e| CliError(format!("{}: not a release catalog: {e}", path.display())))
}

fn load_baseline(path: &Path) -> Result<Baseline, CliError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| CliError(format!("{}: {e}", path.display())))?;
    Baseline::parse(&text).map_err(|e| CliError(format!("{}: {e}", path.display())))
}

/// Today's date in UTC: suppressions apply up to and including their `expires` day.
fn today() -> chrono::NaiveDate {
    chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()).date_naive()
}

/// The text width: the terminal's when writing to one, else `COLUMNS`, else 100.
fn text_width(to_terminal: bool) -> usize {
    if to_terminal {
        if let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size() {
            return usize::from(w);
        }
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|w| *w > 0)
        .unwrap_or(DEFAULT_WIDTH)
}

/// The snapshot directory as a repository-relative path for SARIF locations: relative paths
/// as given, absolute ones made relative to the current directory when under it.
fn sarif_prefix(snapshot: Option<&PathBuf>) -> Option<String> {
    let dir = snapshot?;
    let relative = if dir.is_absolute() {
        let cwd = std::env::current_dir().ok()?;
        dir.strip_prefix(&cwd).ok()?.to_path_buf()
    } else {
        dir.clone()
    };
    let parts: Vec<String> = relative
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(p) => Some(p.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    Some(parts.join("/"))
}

fn render(
    report: &Report,
    target: &OutputTarget,
    args: &AuditArgs,
    snapshot: Option<&PathBuf>,
) -> Result<String, CliError> {
    Ok(match target.format {
        Format::Json => emrguard_report::json::render(report)?,
        Format::Sarif => emrguard_report::sarif::render(
            report,
            &SarifOptions {
                uri_prefix: sarif_prefix(snapshot),
            },
        )?,
        Format::Junit => emrguard_report::junit::render(report)?,
        Format::Markdown => emrguard_report::markdown::render(report, MarkdownOptions::default()),
        Format::Html => emrguard_report::html::render(report),
        Format::Text | Format::Dot => {
            let to_terminal = target.path.is_none() && std::io::stdout().is_terminal();
            emrguard_report::text::render(
                report,
                TextOptions {
                    quiet: args.quiet,
                    verbose: args.verbose,
                    color: to_terminal && std::env::var_os("NO_COLOR").is_none(),
                    width: text_width(to_terminal),
                },
            )
        }
    })
}

/// Runs `emrguard audit`.
pub fn run(args: &AuditArgs) -> CmdResult {
    let targets = args.outputs.targets(&FORMATS)?;
    // Read the baseline before the audit so a bad file fails fast.
    let baseline = args.baseline.as_deref().map(load_baseline).transpose()?;
    let inventory = args.snapshot.load(args.dir.as_ref())?;
    let dir = args.dir.as_ref().or(args.snapshot.snapshot.as_ref());
    let config = load_config(args, dir)?;
    let releases = load_releases(args.release_catalog.as_ref())?;

    let context = emrguard_rules::CheckContext::new(&inventory, &config, &releases);
    let result = emrguard_rules::audit_in(&context, emrguard_model::parallel::threads());
    let applied = suppress::apply(result, &config, today());
    let snapshot = dir.map(|d| d.display().to_string()).unwrap_or_default();
    let mut report = Report::new(applied.result, &snapshot, env!("CARGO_PKG_VERSION"))
        .with_suppressed(applied.suppressed, applied.warnings, &[]);

    // The new baseline records every current finding, including those an older baseline
    // already had, so writing and reading the same file refreshes it.
    if let Some(path) = &args.write_baseline {
        emit_to(
            Some(path),
            &Baseline::from_findings(&report.findings).to_json(),
        )?;
    }
    if let (Some(baseline), Some(path)) = (&baseline, &args.baseline) {
        report.apply_baseline(baseline, &path.display().to_string());
    }
    for target in &targets {
        let text = render(&report, target, args, dir)?;
        emit_to(target.path.as_ref(), &text)?;
    }
    let code = match args.fail_on.threshold() {
        Some(t) if report.fails(t) => ExitCode::from(EXIT_FINDINGS),
        _ => ExitCode::SUCCESS,
    };
    drop(report);
    // The process ends next: freeing a large inventory and the rules' indexes object by
    // object only costs time.
    std::mem::forget(context);
    std::mem::forget(inventory);
    Ok(code)
}
