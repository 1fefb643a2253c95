//! `emrguard-check-findings EXPECTED REPORT`: matches an audit report (`--format json`)
//! against an expected-findings list and prints `found/expected`, the missing ones and the
//! number of findings nobody planted. Exits 1 when a planted violation is missing.

use std::io::Write as _;
use std::process::ExitCode;

use emrguard_synth::check;
use serde_json::Value;

fn read(path: &std::ffi::OsStr) -> Result<Value, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.to_string_lossy()))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.to_string_lossy()))
}

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    let [expected, report] = args.as_slice() else {
        eprintln!("usage: emrguard-check-findings EXPECTED_FINDINGS.json REPORT.json");
        return ExitCode::from(2);
    };
    let (expected, report) = match (read(expected), read(report)) {
        (Ok(e), Ok(r)) => (e, r),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("emrguard-check-findings: {e}");
            return ExitCode::from(2);
        }
    };
    let expected = expected.as_array().cloned().unwrap_or_default();
    let c = check::compare(&expected, &report);
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error.
    let _ = writeln!(
        stdout,
        "found {}/{} planted; {} other findings",
        c.found.len(),
        expected.len(),
        c.unexpected.len()
    );
    for m in &c.missing {
        let _ = writeln!(stdout, "missing: {}", check::describe(m));
    }
    if c.missing.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
