//! `emrguard-parse-floor [--documents] DIR`: reads and deserialises every file of a snapshot and
//! nothing more, the floor under `emrguard audit DIR` (see `scripts/bench.sh`). With
//! `--documents`, each document is deserialised into the parsers' generic values.

use std::process::ExitCode;

use emrguard_synth::floor::Depth;

// The audit's allocator, so that the floor and the audit differ only in the work they do.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let depth = match args.iter().position(|a| a == "--documents") {
        Some(i) => {
            args.remove(i);
            Depth::Documents
        }
        None => Depth::Skip,
    };
    let [dir] = args.as_slice() else {
        eprintln!("usage: emrguard-parse-floor [--documents] SNAPSHOT_DIR");
        return ExitCode::from(2);
    };
    match emrguard_synth::floor::parse_to(std::path::Path::new(dir), depth) {
        Ok(stats) => {
            println!(
                "{} files, {} bytes, {} documents",
                stats.files, stats.bytes, stats.documents
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("emrguard-parse-floor: {e}");
            ExitCode::from(2)
        }
    }
}
