//! `emrguard-parse-floor [--documents | --typed] DIR`: reads and deserialises every file of a
//! snapshot and nothing more, the floor under `emrguard audit DIR` (see `scripts/bench.sh`).
//! With `--documents`, each document is deserialised into the parsers' generic values; with
//! `--typed`, each file is read by the loader into the model's types and its objects dropped.

use std::process::ExitCode;

use emrguard_synth::floor::Depth;

// The audit's allocator, so that the floor and the audit differ only in the work they do.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let (mode, dir) = match args.as_slice() {
        [dir] => (None, dir),
        [mode, dir] => (mode.to_str(), dir),
        _ => return usage(),
    };
    let dir = std::path::Path::new(dir);
    let floor = |depth| {
        emrguard_synth::floor::parse_to(dir, depth).map(|stats| {
            format!(
                "{} files, {} bytes, {} documents",
                stats.files, stats.bytes, stats.documents
            )
        })
    };
    let read = match mode {
        None => floor(Depth::Skip),
        Some("--documents") => floor(Depth::Documents),
        Some("--typed") => emrguard_load::read_only(dir)
            .map(|files| format!("{files} files"))
            .map_err(|e| e.to_string()),
        Some(_) => return usage(),
    };
    match read {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("emrguard-parse-floor: {e}");
            ExitCode::from(2)
        }
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: emrguard-parse-floor [--documents | --typed] SNAPSHOT_DIR");
    ExitCode::from(2)
}
