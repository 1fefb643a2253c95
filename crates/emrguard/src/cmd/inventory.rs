//! `emrguard inventory`: what a snapshot contains.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::common::{CmdResult, OutputArgs, SnapshotArgs};

/// Arguments of `emrguard inventory`.
#[derive(Debug, Args)]
pub struct InventoryArgs {
    /// Snapshot directory (same as --snapshot).
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    #[command(flatten)]
    pub snapshot: SnapshotArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Runs `emrguard inventory`.
pub fn run(args: &InventoryArgs) -> CmdResult {
    let _inventory = args.snapshot.load(args.dir.as_ref())?;
    Ok(ExitCode::SUCCESS)
}
