//! `emrguard-parse-floor DIR`: reads and deserialises every file of a snapshot and nothing
//! more, the floor under `emrguard audit DIR` (see `scripts/bench.sh`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: emrguard-parse-floor SNAPSHOT_DIR");
        return ExitCode::from(2);
    };
    match emrguard_synth::floor::parse_only(std::path::Path::new(&dir)) {
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
