//! `scripts/snapshot.sh` end to end, with stand-ins for `kubectl` and `aws` that print
//! canned output: the directory it writes loads, covers every area, keeps going past a
//! failed command, and never holds a Secret value on disk.

use std::path::{Path, PathBuf};
use std::process::Command;

use emrguard_load::{load_snapshot, LoadOptions};
use emrguard_model::inventory::area;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn stubs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/snapshot-script/bin")
}

/// Every file under `dir`, as text.
fn all_text(dir: &Path) -> String {
    let mut out = String::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                out.push_str(&String::from_utf8_lossy(
                    &std::fs::read(&path).unwrap_or_default(),
                ));
            }
        }
    }
    out
}

#[test]
fn snapshot_script_writes_a_loadable_snapshot_without_secret_values() {
    let Ok(tmp) = tempfile::tempdir() else {
        panic!("no temporary directory");
    };
    let out = tmp.path().join("snap");
    let log = tmp.path().join("aws-calls.log");
    // The interpreter itself rather than a version-manager shim, which is slow to start.
    let python = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let fast_bin = tmp.path().join("bin");
    std::fs::create_dir_all(&fast_bin).ok();
    if !python.is_empty() {
        std::os::unix::fs::symlink(&python, fast_bin.join("python3")).ok();
    }
    let path = format!(
        "{}:{}:{}",
        stubs().display(),
        fast_bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = Command::new("bash")
        .arg(repo().join("scripts/snapshot.sh"))
        .args(["--cluster", "analytics", "--region", "us-west-2", "--out"])
        .arg(&out)
        .env("PATH", path)
        .env("AWS_STUB_LOG", &log)
        .output();
    let Ok(run) = run else {
        panic!("bash could not run: {run:?}");
    };
    let stderr = String::from_utf8_lossy(&run.stderr);
    // One command (describe-security-groups) is denied: recorded, and the rest goes on.
    assert_eq!(run.status.code(), Some(3), "{stderr}");
    let errors = std::fs::read_to_string(out.join("errors.log")).unwrap_or_default();
    assert!(errors.contains("describe-security-groups"), "{errors}");
    assert!(errors.contains("UnauthorizedOperation"), "{errors}");

    let on_disk = all_text(&out);
    for canary in ["CANARY", "Q0FOQVJZ"] {
        assert!(!on_disk.contains(canary), "a Secret value reached the disk");
    }

    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        calls.contains("describe-launch-template-versions --launch-template-id lt-1 --versions 2"),
        "{calls}"
    );
    assert!(
        calls.contains("--container-provider-id analytics"),
        "{calls}"
    );

    let inventory = match load_snapshot(&out, &LoadOptions::default()) {
        Ok(inventory) => inventory,
        Err(e) => panic!("the snapshot does not load: {e}"),
    };
    let secret = inventory.secrets.first();
    assert_eq!(
        secret.map(|s| s.keys.clone()),
        Some(vec!["note".to_owned(), "password".to_owned()])
    );
    for area in [
        area::NAMESPACES,
        area::PODS,
        area::RBAC,
        area::SECRETS,
        area::WEBHOOKS,
        area::NODES,
        area::IAM,
        area::EKS_CLUSTER,
        area::NODEGROUPS,
        area::LAUNCH_TEMPLATES,
        area::ACCESS_ENTRIES,
        area::POD_IDENTITY,
        area::VIRTUAL_CLUSTERS,
        area::MANAGED_ENDPOINTS,
        area::JOB_RUNS,
        area::JOB_TEMPLATES,
        area::SUBNETS,
        area::ROUTE_TABLES,
        area::INSTANCES,
        area::LOAD_BALANCERS,
        area::CLOUDTRAIL,
    ] {
        assert!(inventory.has(area), "{area} missing");
    }
    assert!(
        !inventory.has(area::SECURITY_GROUPS),
        "the denied call left no file"
    );
    let entry = inventory.access_entries.first();
    assert_eq!(
        entry.map(|e| (e.described, e.access_policies.len())),
        Some((true, 1))
    );
    assert_eq!(
        inventory.load_balancers.first().map(|b| b.tags.len()),
        Some(1)
    );
    assert_eq!(
        inventory
            .job_runs
            .first()
            .and_then(|j| j.execution_role_arn.as_deref()),
        Some("arn:aws:iam::111122223333:role/r")
    );
    assert!(inventory
        .warnings
        .iter()
        .any(|w| w.starts_with("aws/cloudtrail/lookup-events.json: one page")));
    assert_eq!(
        inventory
            .skipped
            .iter()
            .map(|s| s.file.as_str())
            .collect::<Vec<_>>(),
        ["errors.log"]
    );
}

#[test]
fn snapshot_script_checks_its_arguments() {
    let script = repo().join("scripts/snapshot.sh");
    let syntax = Command::new("bash").arg("-n").arg(&script).status();
    assert!(syntax.is_ok_and(|s| s.success()));
    let help = Command::new("bash").arg(&script).arg("--help").output();
    assert!(help.is_ok_and(
        |h| h.status.success() && String::from_utf8_lossy(&h.stdout).contains("--cluster NAME")
    ));
    let missing = Command::new("bash")
        .arg(&script)
        .args(["--region", "x"])
        .output();
    assert!(missing.is_ok_and(|m| m.status.code() == Some(2)
        && String::from_utf8_lossy(&m.stderr).contains("--cluster is required")));
}
