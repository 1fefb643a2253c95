//! `emrguard audit`: every check on a snapshot.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use emrguard_config::Config;
use emrguard_report::{text::TextOptions, Report};
use emrguard_rules::{ReleaseCatalog, Severity};

use crate::common::{CliError, CmdResult, Format, OutputArgs, SnapshotArgs, EXIT_FINDINGS};

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

/// Arguments of `emrguard audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Snapshot directory (same as --snapshot).
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    #[command(flatten)]
    pub snapshot: SnapshotArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Configuration file (admins, tenants, thresholds, rules, suppressions). Defaults to
    /// `emrguard.toml` in the snapshot directory when present.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Exit with 1 when a finding reaches this severity.
    #[arg(long, value_enum, default_value = "low")]
    pub fail_on: FailOn,
    /// Replace the built-in EMR on EKS release catalog (JSON) used by the image checks.
    #[arg(long, value_name = "FILE")]
    pub release_catalog: Option<PathBuf>,
    /// Print only the summary and one line per finding.
    #[arg(long, short = 'q', conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print fixes in full and the rules that did not run.
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

/// Runs `emrguard audit`.
pub fn run(args: &AuditArgs) -> CmdResult {
    args.output.require(&[Format::Text, Format::Json])?;
    let inventory = args.snapshot.load(args.dir.as_ref())?;
    let dir = args.dir.as_ref().or(args.snapshot.snapshot.as_ref());
    let config = load_config(args, dir)?;
    let releases = match &args.release_catalog {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CliError(format!("{}: {e}", path.display())))?;
            ReleaseCatalog::from_json(&text).map_err(|e| {
                CliError(format!("{}: not a release catalog: {e}", path.display()))
            })?
        }
        None => ReleaseCatalog::builtin(),
    };
    let result = emrguard_rules::audit(&inventory, &config, &releases);
    let snapshot = dir.map(|d| d.display().to_string()).unwrap_or_default();
    let report = Report::new(result, &snapshot, env!("CARGO_PKG_VERSION"));
    let text = match args.output.format {
        Format::Json => emrguard_report::json::render(&report)?,
        _ => emrguard_report::text::render(
            &report,
            TextOptions {
                quiet: args.quiet,
                verbose: args.verbose,
                color: args.output.output.is_none()
                    && std::io::IsTerminal::is_terminal(&std::io::stdout())
                    && std::env::var_os("NO_COLOR").is_none(),
            },
        ),
    };
    args.output.emit(&text)?;
    let threshold = match args.fail_on {
        FailOn::Info => Some(Severity::Info),
        FailOn::Low => Some(Severity::Low),
        FailOn::Medium => Some(Severity::Medium),
        FailOn::High => Some(Severity::High),
        FailOn::Critical => Some(Severity::Critical),
        FailOn::Never => None,
    };
    Ok(match threshold {
        Some(t) if report.fails(t) => ExitCode::from(EXIT_FINDINGS),
        _ => ExitCode::SUCCESS,
    })
}
