//! The `emrguard` command line.

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

// mimalloc: loading a snapshot makes millions of small allocations on two threads, where
// it takes 10-15% less time than the system allocator (bench/README.md, step 10). Built
// without transparent huge pages: zeroing 2 MB pages on first touch cost more than it saved.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cmd;
mod common;

use common::{CliError, EXIT_ERROR};

/// Audits Amazon EMR on EKS deployments against AWS's security best practices, explains each
/// violation as a chain of evidence, generates the fix, and enforces the Kubernetes side at
/// admission time.
#[derive(Debug, Parser)]
#[command(
    name = "emrguard",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run every check on a snapshot and report what is wrong, why, and how to fix it.
    Audit(cmd::audit::AuditArgs),
    /// Summarise what a snapshot contains: counts per kind, the EMR view, coverage gaps.
    Inventory(cmd::inventory::InventoryArgs),
    /// List the rules.
    Rules(cmd::rules::RulesArgs),
    /// Show a rule's documentation.
    Explain(cmd::rules::ExplainArgs),
    /// Whether an identity may make a request: prints yes (exit 0) or no (exit 1), like
    /// `kubectl auth can-i`.
    CanI(cmd::can_i::CanIArgs),
    /// Every subject allowed to make a request, with the bindings and rules that allow it.
    WhoCan(cmd::who_can::WhoCanArgs),
    /// AWS IAM: simulate a request, ask who may assume a role, describe a role.
    Iam(cmd::iam::IamArgs),
    /// Cross-layer attack paths from IAM principals and Kubernetes subjects to IAM roles'
    /// privileges, shortest first, every hop with its evidence.
    Paths(cmd::paths::PathsArgs),
    /// The admission webhook: serve it, render its manifests, make its certificates.
    Webhook(cmd::webhook::WebhookArgs),
    /// Write a synthetic snapshot of a chosen size with planted violations (benchmarks, tests).
    Synth(cmd::synth::SynthArgs),
    /// Print shell completions.
    Completions(cmd::meta::CompletionsArgs),
    /// Print the man page (roff).
    Man(cmd::meta::ManArgs),
}

/// The clap command definition (used for completions and the man page).
pub fn command() -> clap::Command {
    Cli::command()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Audit(args) => cmd::audit::run(&args),
        Command::Inventory(args) => cmd::inventory::run(&args),
        Command::Rules(args) => cmd::rules::list(&args),
        Command::Explain(args) => cmd::rules::explain(&args),
        Command::CanI(args) => cmd::can_i::run(&args),
        Command::WhoCan(args) => cmd::who_can::run(&args),
        Command::Iam(args) => cmd::iam::run(&args),
        Command::Paths(args) => cmd::paths::run(&args),
        Command::Webhook(args) => cmd::webhook::run(&args),
        Command::Synth(args) => cmd::synth::run(&args),
        Command::Completions(args) => cmd::meta::completions(&args),
        Command::Man(args) => cmd::meta::man(&args),
    };
    match result {
        Ok(code) => code,
        Err(CliError(message)) => {
            eprintln!("emrguard: error: {message}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
