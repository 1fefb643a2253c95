//! Opens the HTML report in headless Chromium (Debian's `chromium` package): the script runs,
//! fills in the summary, filters from the URL, and the page renders. The screenshot is kept in
//! `target/test-artifacts/` for people to look at.
//!
//! Without Chromium the test fails with instructions; `EMRGUARD_SKIP_BROWSER_TEST=1` skips it
//! explicitly.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn artifacts_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    let dir = target.join("test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|p| p.is_file())
}

/// Runs headless Chromium on `url` with extra arguments; returns stdout. Gives up after two
/// minutes so a hung browser cannot hang the suite.
fn run_chromium(browser: &Path, profile: &Path, extra: &[String], url: &str) -> String {
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1280,2000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", browser.display()));
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("chromium did not finish within two minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let output = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn html_report_renders_in_headless_chromium() {
    if std::env::var_os("EMRGUARD_SKIP_BROWSER_TEST").is_some_and(|v| v == "1") {
        eprintln!("EMRGUARD_SKIP_BROWSER_TEST=1: not opening the HTML report in a browser");
        return;
    }
    let Some(browser) = chromium() else {
        panic!(
            "chromium is not installed, so the HTML report cannot be checked in a browser. \
             Install it (apt-get install -y chromium; scripts/test.sh does this) or set \
             EMRGUARD_SKIP_BROWSER_TEST=1 to skip this test explicitly."
        );
    };
    let report = common::report();
    let dir = artifacts_dir();
    let page = dir.join("report.html");
    std::fs::write(&page, emrguard_report::html::render(&report)).unwrap();
    let page = page.canonicalize().unwrap();
    let url = format!("file://{}", page.display());
    let profile = tempfile::tempdir().unwrap();

    let dom = run_chromium(&browser, profile.path(), &["--dump-dom".into()], &url);
    assert!(
        dom.contains("data-rendered=\"true\""),
        "the script did not run:\n{dom}"
    );
    let total = report.findings.len();
    assert!(
        dom.contains(&format!("Showing {total} of {total} findings")),
        "the summary line was not filled in"
    );
    assert!(dom.contains("<svg"), "no attack-path picture");

    // Filters read from the URL hide the other rows.
    let critical = report
        .findings
        .iter()
        .filter(|f| f.severity == emrguard_rules::Severity::Critical)
        .count();
    let filtered = run_chromium(
        &browser,
        profile.path(),
        &["--dump-dom".into()],
        &format!("{url}#severity=critical"),
    );
    assert!(
        filtered.contains(&format!(
            "Showing {critical} of {total} findings (filtered)"
        )),
        "filtering by severity did not work"
    );
    let visible_rows = filtered
        .match_indices("<tr class=\"finding\"")
        .filter(|(i, _)| {
            let tag = &filtered[*i..];
            let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
            !tag.contains(" hidden")
        })
        .count();
    assert_eq!(visible_rows, critical);

    let shot = dir.join("report.png");
    let _ = std::fs::remove_file(&shot);
    run_chromium(
        &browser,
        profile.path(),
        &[format!("--screenshot={}", shot.display())],
        &url,
    );
    let png =
        std::fs::read(&shot).unwrap_or_else(|e| panic!("no screenshot at {}: {e}", shot.display()));
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(
        png.len() > 20_000,
        "suspiciously small screenshot ({} bytes)",
        png.len()
    );
    eprintln!("screenshot: {}", shot.display());
}
