//! `emrguard synth`: writes a synthetic snapshot of a chosen size with planted violations.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use emrguard_synth::Size;

use crate::common::{CliError, CmdResult};

/// Snapshot sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SizeArg {
    /// A few tenants (seconds to generate and audit).
    S,
    /// About a tenth of XL.
    M,
    /// About a third of XL.
    L,
    /// 1,000 namespaces, 300 virtual clusters, 100,000 pods, 30,000 RBAC objects, 20,000 IAM
    /// roles, 5,000 security groups.
    Xl,
}

impl From<SizeArg> for Size {
    fn from(s: SizeArg) -> Self {
        match s {
            SizeArg::S => Size::S,
            SizeArg::M => Size::M,
            SizeArg::L => Size::L,
            SizeArg::Xl => Size::Xl,
        }
    }
}

/// Arguments of `emrguard synth`.
#[derive(Debug, Args)]
#[command(after_long_help = "\
The snapshot holds the bundled insecure lab inside a deployment of clean tenants and
applications grown to the chosen size, with more violations planted at places chosen by the
seed. OUT/expected-findings.json lists every planted violation of the rules this build has
(same format as the labs'); OUT/emrguard.toml names the admins and tenants, so
`emrguard audit OUT` picks it up. The same size and seed always give identical files.")]
pub struct SynthArgs {
    /// Snapshot size.
    #[arg(long, value_enum, default_value = "s")]
    pub size: SizeArg,
    /// Seed of the generator.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output directory (created; must be empty if it exists).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Runs `emrguard synth`.
pub fn run(args: &SynthArgs) -> CmdResult {
    let implemented: BTreeSet<String> = emrguard_rules::all_rules()
        .iter()
        .map(|r| r.meta().code.to_owned())
        .collect();
    let started = std::time::Instant::now();
    let summary =
        emrguard_synth::generate(&args.out, args.size.into(), args.seed, Some(&implemented))
            .map_err(|e| CliError(e.to_string()))?;
    let counts: Vec<String> = summary
        .counts
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    eprintln!(
        "emrguard: wrote {} files ({:.1} MB) to {} in {:.1} s: {}; {} expected findings",
        summary.files.len(),
        summary.bytes() as f64 / 1e6,
        args.out.display(),
        started.elapsed().as_secs_f64(),
        counts.join(", "),
        summary.expected.len()
    );
    Ok(ExitCode::SUCCESS)
}
