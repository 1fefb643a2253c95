//! `emrguard paths`: formats, sources and targets, exit codes. Runs the real binary on the
//! bundled insecure lab and on PATH001's fixtures.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn lab() -> PathBuf {
    repo().join("examples/insecure-lab")
}

fn fixture(kind: &str) -> PathBuf {
    repo()
        .join("crates/emrguard-rules/tests/fixtures/PATH001")
        .join(kind)
}

fn paths(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_emrguard"))
        .arg("paths")
        .arg("--snapshot")
        .arg(dir)
        .args(args)
        .output()
        .expect("run emrguard");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(dir: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let (code, stdout, stderr) = paths(dir, &all);
    let value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    (code, value)
}

fn node_names(path: &Value) -> Vec<String> {
    path["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            format!(
                "{} {}",
                n["kind"].as_str().unwrap(),
                n["name"].as_str().unwrap()
            )
        })
        .collect()
}

const TEAM_A: &str = "arn:aws:iam::111122223333:role/team-a-data-engineer";
const MAINTENANCE: &str = "arn:aws:iam::111122223333:role/emr-platform-maintenance-execution";

#[test]
fn json_paths_list_nodes_in_order_and_edges_with_evidence() {
    let (code, out) = json(&lab(), &["--from", TEAM_A, "--to", "privilege-escalation"]);
    assert_eq!(code, 1, "paths were printed: exit 1");
    let list = out["paths"].as_array().expect("a paths array");
    assert_eq!(list.len(), 1, "{out:#}");
    let path = &list[0];
    let nodes = node_names(path);
    assert_eq!(nodes.first().unwrap(), &format!("IAMRole {TEAM_A}"));
    assert_eq!(nodes[1], "Group Group:team-a");
    assert!(
        nodes[2].starts_with("ServiceAccount ServiceAccount:emr-team-a/emr-containers-sa-spark-")
    );
    assert_eq!(nodes[nodes.len() - 2], format!("IAMRole {MAINTENANCE}"));
    assert_eq!(nodes.last().unwrap(), "PrivilegeClass privilege-escalation");
    let edges = path["edges"].as_array().unwrap();
    assert_eq!(edges.len(), nodes.len() - 1);
    assert_eq!(edges[0]["kind"], "mapped-identity");
    for e in edges {
        let evidence = e["evidence"].as_array().unwrap();
        assert!(!evidence.is_empty(), "an edge without evidence: {e:#}");
        for ev in evidence {
            assert!(ev["object"]["kind"].is_string(), "{ev:#}");
        }
    }
    let first = &edges[0]["evidence"][0];
    assert_eq!(first["object"]["name"], "aws-auth");
    assert_eq!(first["source"]["file"], "k8s/kube-system/aws-auth.yaml");
}

#[test]
fn the_long_path_of_the_fixture_goes_through_rbac_emr_and_assume_role() {
    let (code, out) = json(
        &fixture("positive"),
        &[
            "--from",
            "arn:aws:iam::111122223333:user/analyst",
            "--to",
            "admin",
        ],
    );
    assert_eq!(code, 1);
    let list = out["paths"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{out:#}");
    let kinds: Vec<&str> = list[0]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "mapped-identity",
            "create-pods",
            "pod-service-account",
            "web-identity",
            "assume-role",
            "privilege"
        ]
    );
    let nodes = node_names(&list[0]);
    assert_eq!(nodes[1], "Group Group:analysts");
    assert_eq!(nodes[2], "Namespace emr-analytics");
    assert_eq!(
        nodes[3],
        "ServiceAccount ServiceAccount:emr-analytics/emr-containers-sa-spark-driver-111122223333-3acf5tno5mg0kh80ew81prbe5gjcdprvunvy"
    );
    assert_eq!(
        nodes[5],
        "IAMRole arn:aws:iam::111122223333:role/platform-admin-hub"
    );

    // The near-miss: the same right in another namespace reaches no role.
    let (code, out) = json(
        &fixture("negative"),
        &["--from", "arn:aws:iam::111122223333:user/analyst"],
    );
    assert_eq!(code, 0, "no path: exit 0");
    assert_eq!(out["paths"], Value::Array(Vec::new()));
}

#[test]
fn without_from_every_tenant_is_a_source_and_admins_are_not() {
    let (code, out) = json(&lab(), &[]);
    assert_eq!(code, 1);
    let sources: Vec<&str> = out["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    for tenant in [
        TEAM_A,
        "arn:aws:iam::111122223333:user/ci-team-b",
        "arn:aws:iam::111122223333:role/ds-analyst",
    ] {
        assert!(
            sources.contains(&tenant),
            "{tenant} missing from {sources:?}"
        );
    }
    for admin in [
        "arn:aws:iam::111122223333:role/PlatformAdmin",
        "arn:aws:iam::111122223333:user/ops-breakglass",
        "Group:platform-admins",
    ] {
        assert!(!sources.contains(&admin), "{admin} is a source");
    }
    // Shortest first.
    let hops: Vec<u64> = out["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["hops"].as_u64().unwrap())
        .collect();
    assert!(hops.windows(2).all(|w| w[0] <= w[1]), "{hops:?}");
}

#[test]
fn action_targets_and_the_hop_limit() {
    let (code, out) = json(&lab(), &["--from", TEAM_A, "--to", "iam:PutRolePolicy"]);
    assert_eq!(code, 1);
    let ends: Vec<String> = out["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| node_names(p).last().cloned().unwrap())
        .collect();
    assert!(ends.contains(&format!("IAMRole {MAINTENANCE}")), "{ends:?}");

    let (code, out) = json(
        &lab(),
        &[
            "--from",
            TEAM_A,
            "--to",
            "privilege-escalation",
            "--max-depth",
            "2",
        ],
    );
    assert_eq!(code, 0, "{out:#}");
}

#[test]
fn text_and_dot_formats() {
    let (code, text, _) = paths(&lab(), &["--from", TEAM_A, "--to", "privilege-escalation"]);
    assert_eq!(code, 1);
    assert!(
        text.starts_with(
            "path 1 (4 hops) from arn:aws:iam::111122223333:role/team-a-data-engineer"
        ),
        "{text}"
    );
    assert!(
        text.contains("-> mapped-identity: aws-auth maps it to Kubernetes group `team-a`"),
        "{text}"
    );
    assert!(text.trim_end().ends_with("1 path"), "{text}");

    let (code, dot, _) = paths(&lab(), &["--from", TEAM_A, "--format", "dot"]);
    assert_eq!(code, 1);
    assert!(dot.starts_with("digraph paths {"), "{dot}");
    assert!(dot.contains("[label=\"web-identity\"]"), "{dot}");
    assert!(dot.trim_end().ends_with('}'));
}

#[test]
fn bad_sources_targets_and_formats_are_errors() {
    for args in [
        vec!["--from", "team-a"],
        vec!["--to", "root"],
        vec!["--format", "sarif"],
    ] {
        let (code, _, stderr) = paths(&lab(), &args);
        assert_eq!(code, 2, "{args:?}");
        assert!(stderr.starts_with("emrguard: error: "), "{stderr}");
    }
}

#[test]
fn help_documents_the_exit_codes() {
    let out = Command::new(env!("CARGO_BIN_EXE_emrguard"))
        .args(["paths", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains(
            "Exit codes: 1 when at least one path is printed, 0 when there is none, 2 on error."
        ),
        "{help}"
    );
}
