//! Loads a snapshot and prints how long loading and each rule take (wall and CPU seconds), for
//! profiling the audit, then the whole audit on one and on two threads. Rules share the
//! context's lazily built caches, so a rule's time includes the caches it builds first. CPU
//! times come from `/proc` (Linux); elsewhere they read 0.
//! Usage: `cargo run --release -p emrguard-rules --example rule_times -- DIR [CODE...]`.

use std::path::PathBuf;
use std::time::Instant;

use emrguard_config::Config;
use emrguard_rules::{CheckContext, ReleaseCatalog};

/// CPU seconds of the calling thread.
fn thread_cpu() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |ns| ns / 1e9)
}

/// User plus system CPU seconds of the whole process (all threads), in clock ticks of 10 ms.
fn process_cpu() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the command name, which is in parentheses.
            let rest = s.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let utime: f64 = fields.get(11)?.parse().ok()?;
            let stime: f64 = fields.get(12)?.parse().ok()?;
            Some((utime + stime) / 100.0)
        })
        .unwrap_or(0.0)
}

fn main() {
    let Some(dir) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: rule_times SNAPSHOT_DIR [RULE_CODE...]");
        std::process::exit(2);
    };
    let started = Instant::now();
    let inventory = match emrguard_load::load_snapshot(&dir, &emrguard_load::LoadOptions::default())
    {
        Ok(inventory) => inventory,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    println!("load {:>8.3}s", started.elapsed().as_secs_f64());
    let config_path = dir.join("emrguard.toml");
    let config = if config_path.is_file() {
        match Config::load(&config_path) {
            Ok(config) => config,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(2);
            }
        }
    } else {
        Config::default()
    };
    let only: Vec<String> = std::env::args().skip(2).collect();
    let releases = ReleaseCatalog::builtin();
    let started = Instant::now();
    let cx = CheckContext::new(&inventory, &config, &releases);
    println!("context {:>8.3}s", started.elapsed().as_secs_f64());
    let mut total = 0.0;
    let mut total_cpu = 0.0;
    for rule in emrguard_rules::all_rules() {
        let meta = rule.meta();
        if meta.requires.iter().any(|area| !inventory.has(area))
            || (!only.is_empty() && !only.iter().any(|c| c.eq_ignore_ascii_case(meta.code)))
        {
            continue;
        }
        let started = Instant::now();
        let cpu = thread_cpu();
        let mut out = Vec::new();
        rule.check(&cx, &mut out);
        let secs = started.elapsed().as_secs_f64();
        let cpu = thread_cpu() - cpu;
        total += secs;
        total_cpu += cpu;
        println!(
            "{:<8} {secs:>8.3}s {cpu:>8.3}s cpu {:>5} findings",
            meta.code,
            out.len()
        );
    }
    println!("rules {total:>8.3}s {total_cpu:>8.3}s cpu");
    for threads in [1, 2] {
        let started = Instant::now();
        let cpu = process_cpu();
        let result = emrguard_rules::audit_with_threads(&inventory, &config, &releases, threads);
        println!(
            "audit on {threads} thread(s) {:>8.3}s {:>8.3}s cpu {} findings",
            started.elapsed().as_secs_f64(),
            process_cpu() - cpu,
            result.findings.len()
        );
    }
}
