use emrguard_config::Config;
use emrguard_load::{load_snapshot, LoadOptions};
use emrguard_rules::{audit, ReleaseCatalog};
use std::path::Path;

#[test]
fn lab() {
    let Ok(lab) = std::env::var("LAB") else {
        return;
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(&lab);
    let inv = load_snapshot(
        &dir,
        &LoadOptions {
            keep_going: true,
            ..Default::default()
        },
    )
    .unwrap();
    let config = Config::load(&dir.join("emrguard.toml")).unwrap_or_default();
    let r = audit(&inv, &config, &ReleaseCatalog::builtin());
    let codes = [
        "EPA", "IMG", "CRED002", "CRED003", "CRED004", "CRED005", "ISO002", "NODE001", "NODE004",
    ];
    for f in &r.findings {
        if codes.iter().any(|c| f.code.starts_with(c)) {
            let res: Vec<String> = f.resources.iter().map(|r| r.key()).collect();
            println!(
                "{} {} [{}] {}",
                f.code,
                f.severity,
                res.join(", "),
                f.message
            );
            if std::env::var("VERBOSE").is_ok() {
                for e in &f.evidence {
                    println!("      - {}", e.text);
                }
            }
        }
    }
    for s in &r.skipped_rules {
        println!("SKIPPED {} {}", s.code, s.reason);
    }
}
