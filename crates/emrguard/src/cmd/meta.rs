//! `completions` and `man`: generated from the one clap definition.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use clap_complete::Shell;

use crate::common::{emit_to, CmdResult};

/// Arguments of `emrguard completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: Shell,
    /// Write to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Arguments of `emrguard man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Prints completions for a shell.
pub fn completions(args: &CompletionsArgs) -> CmdResult {
    let mut cmd = crate::command();
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "emrguard", &mut buf);
    emit_to(args.output.as_ref(), &String::from_utf8_lossy(&buf))?;
    Ok(ExitCode::SUCCESS)
}

/// Prints the man page.
pub fn man(args: &ManArgs) -> CmdResult {
    let mut buf = Vec::new();
    clap_mangen::Man::new(crate::command()).render(&mut buf)?;
    emit_to(args.output.as_ref(), &String::from_utf8_lossy(&buf))?;
    Ok(ExitCode::SUCCESS)
}
