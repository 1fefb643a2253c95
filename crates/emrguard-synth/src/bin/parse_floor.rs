//! `emrguard-parse-floor [--documents | --typed] DIR`: reads and deserialises every file of a
//! snapshot and nothing more, the floor under `emrguard audit DIR` (see `scripts/bench.sh`).
//! With `--documents`, each document is deserialised into the parsers' generic values; with
//! `--typed`, each file is read by the loader into the model's types and its objects dropped.

use std::process::ExitCode;

use emrguard_synth::floor::Depth;

// The audit's allocator, so that the floor and the audit differ only in the work they do.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: emrguard-parse-floor [--documents | --typed] SNAPSHOT_DIR";

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let (mode, dir) = match args.as_slice() {
        [dir] => (None, dir),
        [mode, dir] => (mode.to_str(), dir),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let dir = std::path::Path::new(dir);
    let depth = match mode {
        None => Depth::Skip,
        Some("--documents") => Depth::Documents,
        Some("--typed") => {
            return match emrguard_load::read_only(dir) {
                Ok(files) => {
                    println!("{files} files");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("emrguard-parse-floor: {e}");
                    ExitCode::from(2)
                }
            };
        }
        Some(_) => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match emrguard_synth::floor::parse_to(dir, depth) {
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
