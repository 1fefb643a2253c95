//! Arguments and helpers every command shares: the snapshot, `--format`, `--output`, exit codes.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use emrguard_load::{load_snapshot, LoadOptions};
use emrguard_model::Inventory;

/// Exit code for "clean" / "allowed" / "yes".
pub const EXIT_OK: u8 = 0;
/// Exit code for "findings" / "denied" / "no".
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code for errors.
pub const EXIT_ERROR: u8 = 2;

/// A user-facing error: printed as `emrguard: error: ...` and exit code 2.
#[derive(Debug)]
pub struct CliError(pub String);

impl<E: std::fmt::Display> From<E> for CliError {
    fn from(e: E) -> Self {
        CliError(e.to_string())
    }
}

/// The result of a command: an exit code, or an error.
pub type CmdResult = Result<ExitCode, CliError>;

/// `--snapshot DIR` and `--keep-going`, shared by every command that reads a snapshot.
#[derive(Debug, Clone, Args)]
pub struct SnapshotArgs {
    /// Snapshot directory: files printed by `kubectl get -o json|yaml` and the aws CLI, read recursively.
    #[arg(long = "snapshot", value_name = "DIR")]
    pub snapshot: Option<PathBuf>,
    /// Skip malformed files with a warning instead of stopping with exit code 2.
    #[arg(long)]
    pub keep_going: bool,
}

impl SnapshotArgs {
    /// Loads the snapshot named by `--snapshot` or, for commands that take it, the positional
    /// argument. Warnings (skipped files) go to stderr.
    pub fn load(&self, positional: Option<&PathBuf>) -> Result<Inventory, CliError> {
        let dir = match (positional, &self.snapshot) {
            (Some(p), Some(s)) if p != s => {
                return Err(CliError(format!(
                    "two different snapshots given: {} and --snapshot {}",
                    p.display(),
                    s.display()
                )))
            }
            (Some(p), _) => p.clone(),
            (None, Some(s)) => s.clone(),
            (None, None) => {
                return Err(CliError(
                    "no snapshot given: pass --snapshot DIR (a directory of kubectl and aws CLI output)".into(),
                ))
            }
        };
        let inventory = load_snapshot(
            &dir,
            &LoadOptions {
                keep_going: self.keep_going,
            },
        )?;
        for warning in &inventory.warnings {
            eprintln!("emrguard: warning: {warning}");
        }
        Ok(inventory)
    }
}

/// Output formats. Each command accepts the subset that makes sense for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Text for people.
    Text,
    /// Versioned JSON for machines.
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// JUnit XML.
    Junit,
    /// Markdown (pull-request comments).
    Markdown,
    /// A self-contained HTML report.
    Html,
    /// Graphviz DOT.
    Dot,
}

impl Format {
    /// The `--format` spelling.
    pub fn name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Json => "json",
            Self::Sarif => "sarif",
            Self::Junit => "junit",
            Self::Markdown => "markdown",
            Self::Html => "html",
            Self::Dot => "dot",
        }
    }
}

/// `--format` and `--output`, with the same meaning in every command.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Write the output to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

impl OutputArgs {
    /// Rejects formats the command does not support.
    pub fn require(&self, supported: &[Format]) -> Result<(), CliError> {
        if supported.contains(&self.format) {
            Ok(())
        } else {
            let names: Vec<&str> = supported.iter().map(|f| f.name()).collect();
            Err(CliError(format!(
                "--format {} is not available for this command (expected one of: {})",
                self.format.name(),
                names.join(", ")
            )))
        }
    }

    /// Writes `text` to `--output` or standard output. A closed pipe is not an error.
    pub fn emit(&self, text: &str) -> Result<(), CliError> {
        emit_to(self.output.as_ref(), text)
    }
}

/// Writes `text` to `path` or standard output. A closed pipe is not an error.
pub fn emit_to(path: Option<&PathBuf>, text: &str) -> Result<(), CliError> {
    match path {
        Some(p) => std::fs::write(p, text)
            .map_err(|e| CliError(format!("cannot write {}: {e}", p.display()))),
        None => {
            let mut out = io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
                    Err(CliError(format!("cannot write to standard output: {e}")))
                }
                _ => Ok(()),
            }
        }
    }
}

/// Repeatable `--format`/`--output` pairs, for commands that write several reports in one run:
/// `--format json --output a.json --format sarif --output b.sarif`.
///
/// Pairing: the n-th `--format` goes to the n-th `--output`. A single `--format` (or none:
/// text) without `--output` goes to standard output, and `--output -` names standard output
/// explicitly. Any other mismatch in counts is an error, as are two reports to one file.
#[derive(Debug, Clone, Args)]
pub struct MultiOutputArgs {
    /// Output format (default text). Repeat with one --output each to write several reports.
    #[arg(long = "format", value_enum, value_name = "FORMAT")]
    pub formats: Vec<Format>,
    /// Write the report to FILE ("-": standard output); pairs in order with --format.
    #[arg(long = "output", short = 'o', value_name = "FILE")]
    pub outputs: Vec<PathBuf>,
}

/// One report to write: a format and a file, or standard output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputTarget {
    /// The format.
    pub format: Format,
    /// The file; `None` for standard output.
    pub path: Option<PathBuf>,
}

impl MultiOutputArgs {
    /// Pairs formats with outputs, rejecting formats the command does not support and
    /// ambiguous combinations.
    pub fn targets(&self, supported: &[Format]) -> Result<Vec<OutputTarget>, CliError> {
        let formats = if self.formats.is_empty() {
            vec![Format::Text]
        } else {
            self.formats.clone()
        };
        if let Some(bad) = formats.iter().find(|f| !supported.contains(f)) {
            let names: Vec<&str> = supported.iter().map(|f| f.name()).collect();
            return Err(CliError(format!(
                "--format {} is not available for this command (expected one of: {})",
                bad.name(),
                names.join(", ")
            )));
        }
        let paths: Vec<Option<PathBuf>> = match (formats.len(), self.outputs.len()) {
            (1, 0) => vec![None],
            (n, m) if n == m => self
                .outputs
                .iter()
                .map(|p| (p.as_os_str() != "-").then(|| p.clone()))
                .collect(),
            (n, m) => {
                return Err(CliError(format!(
                "{n} --format value(s) but {m} --output value(s): give one --output per --format \
                     (in the same order; \"-\" for standard output), or a single --format without \
                     --output to write to standard output"
            )))
            }
        };
        if paths.iter().filter(|p| p.is_none()).count() > 1 {
            return Err(CliError(
                "more than one report would go to standard output: give the others an --output file".into(),
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for p in paths.iter().flatten() {
            if !seen.insert(p) {
                return Err(CliError(format!(
                    "--output {} is given twice: each report needs its own file",
                    p.display()
                )));
            }
        }
        Ok(formats
            .into_iter()
            .zip(paths)
            .map(|(format, path)| OutputTarget { format, path })
            .collect())
    }
}

/// Serialises `value` as pretty JSON with a trailing newline.
pub fn to_json<T: serde::Serialize>(value: &T) -> Result<String, CliError> {
    let mut s = serde_json::to_string_pretty(value)?;
    s.push('\n');
    Ok(s)
}
