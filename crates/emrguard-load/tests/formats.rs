//! Input variations beyond the realistic snapshot: encodings, concatenated JSON, raw API
//! lists, aws CLI YAML output, empty lists, duplicates, one-file snapshots, hidden files,
//! moto's IAM output, and lists large enough to be parsed on several threads.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use emrguard_load::{load_files, load_snapshot, LoadError, LoadOptions, SnapshotFile};
use emrguard_model::inventory::area;
use emrguard_model::{Inventory, Source};

fn file(path: &str, bytes: impl Into<Vec<u8>>) -> SnapshotFile {
    SnapshotFile {
        path: path.to_owned(),
        bytes: bytes.into(),
    }
}

fn load(files: Vec<SnapshotFile>) -> Inventory {
    match load_files(files, &LoadOptions::default()) {
        Ok(inventory) => inventory,
        Err(e) => panic!("does not load: {e}"),
    }
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

const NAMESPACE: &str = r#"{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}"#;

#[test]
fn utf16_and_byte_order_marks() {
    let utf16: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain(NAMESPACE.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let bom: Vec<u8> = [0xef, 0xbb, 0xbf]
        .into_iter()
        .chain(NAMESPACE.bytes())
        .collect();
    let inv = load(vec![file("ps.json", utf16), file("bom.json", bom)]);
    assert_eq!(
        inv.namespaces.len(),
        1,
        "the same namespace twice is kept once"
    );
    assert!(inv
        .warnings
        .iter()
        .any(|w| w.starts_with("ps.json: 1 object(s) already read")));
}

#[test]
fn concatenated_json_documents() {
    let text = format!(
        "{NAMESPACE}\n{}\n",
        r#"{"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b"}}]}"#
    );
    let inv = load(vec![file("all.json", text)]);
    let sources: Vec<&Source> = inv.namespaces.iter().map(|n| &n.source).collect();
    assert_eq!(
        sources,
        [
            &Source::new("all.json", Some(1)),
            &Source::new("all.json", Some(3))
        ]
    );
}

#[test]
fn raw_api_lists_leave_kind_off_their_items() {
    let inv = load(vec![
        file(
            "pods.json",
            r#"{"apiVersion": "v1", "kind": "PodList", "items": [{"metadata": {"name": "p", "namespace": "n"}, "spec": {"hostNetwork": true}}]}"#,
        ),
        file(
            "rbac.yaml",
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleList\nitems:\n- metadata: {name: admin}\n  rules: [{verbs: ['*'], apiGroups: ['*'], resources: ['*']}]\n",
        ),
    ]);
    assert_eq!(
        inv.pods.first().map(|p| p.spec.uses_host_network()),
        Some(true)
    );
    assert_eq!(
        inv.cluster_roles.first().map(|r| &r.source),
        Some(&Source::new("rbac.yaml", Some(4)))
    );
}

#[test]
fn aws_cli_yaml_output_reads_like_json() {
    let inv = load(vec![file(
        "sgs.yaml",
        "SecurityGroups:\n- GroupId: sg-1\n  IpPermissions:\n  - IpProtocol: tcp\n    FromPort: 443\n    ToPort: 443\n    IpRanges:\n    - CidrIp: 0.0.0.0/0\nNextToken: abc\n",
    )]);
    assert_eq!(
        inv.security_group("sg-1")
            .and_then(|g| g.ip_permissions.first())
            .and_then(|p| p.to_port),
        Some(443)
    );
    assert_eq!(
        inv.security_groups.first().map(|g| &g.source),
        Some(&Source::new("sgs.yaml", Some(1)))
    );
    assert!(inv.has(area::SECURITY_GROUPS));
    assert_eq!(
        inv.warnings,
        ["sgs.yaml: one page of a paged result; the snapshot may be incomplete"]
    );
}

#[test]
fn empty_lists_count_only_when_the_file_name_says_what_they_are() {
    let empty =
        r#"{"apiVersion": "v1", "items": [], "kind": "List", "metadata": {"resourceVersion": ""}}"#;
    let inv = load(vec![
        file("k8s/mutatingwebhookconfigurations.json", empty),
        file(
            "k8s/validatingwebhookconfigurations.yaml",
            "apiVersion: v1\nitems: []\nkind: List\n",
        ),
        file("k8s/things.json", empty),
        file("aws/job-runs.json", r#"{"jobRuns": []}"#),
    ]);
    assert!(inv.has(area::WEBHOOKS));
    assert!(
        inv.has(area::JOB_RUNS),
        "aws lists say what they are even when empty"
    );
    assert_eq!(
        inv.skipped
            .iter()
            .map(|s| (s.file.as_str(), s.reason.as_str()))
            .collect::<Vec<_>>(),
        [(
            "k8s/things.json",
            "an empty Kubernetes List (its kind is unknown)"
        )]
    );
}

#[test]
fn unrecognised_json_and_yaml_are_skipped_not_fatal() {
    let inv = load(vec![
        file(
            "policies.json",
            r#"{"Policies": [{"PolicyName": "p", "Arn": "arn:aws:iam::1:policy/p"}], "IsTruncated": false}"#,
        ),
        file("array.json", "[1, 2, 3]"),
        file("tool.json", r#"{"version": 2, "settings": {"a": 1}}"#),
        file(
            "values.yaml",
            "replicaCount: 1\nimage: {repository: nginx}\n",
        ),
        file("notes", "just some words\n"),
        file("binary", [0u8, 159, 146, 150].to_vec()),
        file(
            "events.json",
            r#"{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e"}}]}"#,
        ),
        file("empty.yaml", "\n# nothing\n"),
        file("broken-yaml-like", "key: [unclosed\n"),
    ]);
    let reasons: Vec<(&str, &str)> = inv
        .skipped
        .iter()
        .map(|s| (s.file.as_str(), s.reason.as_str()))
        .collect();
    let expect = [
        ("array.json", "a JSON array, not kubectl or aws CLI output"),
        ("binary", "not valid UTF-8 text, not read"),
        ("broken-yaml-like", "neither JSON nor YAML ("),
        ("empty.yaml", "nothing recognised"),
        ("events.json", "only Kubernetes kinds the audit does not read: Event (1)"),
        ("notes", "a YAML string, not a Kubernetes object or aws CLI output"),
        ("policies.json", "iam list-policies output: no policy documents"),
        ("tool.json", "no Kubernetes kind and no aws CLI key this tool reads (top-level keys: version, settings)"),
        ("values.yaml", "no Kubernetes kind and no aws CLI key this tool reads (top-level keys: replicaCount, image)"),
    ];
    assert_eq!(reasons.len(), expect.len(), "{reasons:?}");
    for ((file, reason), (want_file, want_reason)) in reasons.iter().zip(expect) {
        assert_eq!(*file, want_file);
        assert!(reason.starts_with(want_reason), "{file}: {reason}");
    }
    assert!(!inv.has(area::IAM), "list-policies output has no documents");
}

#[test]
fn duplicates_keep_the_first_copy_in_path_order() {
    let role = |line: &str| {
        format!(
            r#"{{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {{"name": "r", "namespace": "n"}}, "rules": [{{"verbs": ["{line}"]}}]}}"#
        )
    };
    let inv = load(vec![
        file("b.json", role("list")),
        file("a.json", role("get")),
    ]);
    assert_eq!(inv.roles.len(), 1);
    assert_eq!(
        inv.roles.first().map(|r| r.source.file.as_ref()),
        Some("a.json")
    );
    assert!(inv
        .warnings
        .iter()
        .any(|w| w.starts_with("b.json: 1 object(s) already read")));
}

#[test]
fn a_single_file_is_a_snapshot() {
    let inv = match load_snapshot(&data("snapshot/k8s/pods.yaml"), &LoadOptions::default()) {
        Ok(inv) => inv,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(inv.pods.len(), 2);
    assert_eq!(
        inv.pods.first().map(|p| p.source.file.as_ref()),
        Some("pods.yaml")
    );
}

#[test]
fn hidden_entries_are_listed_not_read() {
    let dir = tempfile::tempdir().ok();
    let Some(dir) = dir else {
        panic!("no temporary directory");
    };
    let root = dir.path();
    let write = |path: &str, text: &str| {
        let full = root.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).ok();
        }
        std::fs::write(full, text).ok();
    };
    write(".git/config", "[core]\n");
    write(".DS_Store", "\0\0");
    write("deep/er/ns.json", NAMESPACE);
    let inv = match load_snapshot(root, &LoadOptions::default()) {
        Ok(inv) => inv,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(
        inv.namespaces.first().map(|n| n.source.file.as_ref()),
        Some("deep/er/ns.json")
    );
    let skipped: Vec<&str> = inv.skipped.iter().map(|s| s.file.as_str()).collect();
    assert_eq!(skipped, [".DS_Store", ".git"]);
}

#[test]
fn a_missing_snapshot_is_an_io_error() {
    let result = load_snapshot(&data("no-such-directory"), &LoadOptions::default());
    assert!(matches!(result, Err(LoadError::Io { .. })), "{result:?}");
}

#[test]
fn moto_iam_without_policy_names() {
    let inv = match load_snapshot(&data("moto-iam"), &LoadOptions::default()) {
        Ok(inv) => inv,
        Err(e) => panic!("{e}"),
    };
    let policy = inv.policy_by_arn("arn:aws:iam::123456789012:policy/etl-data");
    assert_eq!(
        policy.map(|p| p.policy_name.is_none() && p.policy_id.is_none()),
        Some(true)
    );
    assert_eq!(
        policy
            .and_then(|p| p.default_document())
            .and_then(|d| d.statements.first())
            .and_then(|s| s.resource.clone()),
        Some(vec!["arn:aws:s3:::etl/*".to_owned()])
    );
    assert!(inv.has(area::IAM));
}

/// A `kubectl get pods -o json` List of `count` pods, pretty-printed like kubectl.
fn pod_list(count: usize, bad: Option<usize>) -> String {
    let mut text = String::from("{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n");
    for i in 0..count {
        let host_network = if Some(i) == bad { "\"yes\"" } else { "false" };
        let _ = write!(
            text,
            "        {{\n            \"apiVersion\": \"v1\",\n            \"kind\": \"Pod\",\n            \"metadata\": {{\n                \"name\": \"pod-{i:06}\",\n                \"namespace\": \"ns-{}\"\n            }},\n            \"spec\": {{\n                \"hostNetwork\": {host_network},\n                \"containers\": [{{\"name\": \"c\", \"image\": \"busybox\", \"env\": [{{\"name\": \"PADDING\", \"value\": \"{}\"}}]}}]\n            }}\n        }}{}\n",
            i % 7,
            "x".repeat(200),
            if i + 1 == count { "" } else { "," }
        );
    }
    text.push_str("    ],\n    \"kind\": \"List\"\n}\n");
    text
}

#[test]
fn large_lists_parse_in_parallel_in_order_with_lines() {
    let count = 12_000;
    let text = pod_list(count, None);
    assert!(text.len() > 4 << 20, "large enough for the parallel path");
    let inv = load(vec![file("pods.json", text)]);
    assert_eq!(inv.pods.len(), count);
    // Each pod takes 12 lines, the first starting at line 4.
    let first = inv.pods.iter().find(|p| p.metadata.name == "pod-000000");
    assert_eq!(first.and_then(|p| p.source.line), Some(4));
    let last = inv.pods.iter().find(|p| p.metadata.name == "pod-011999");
    assert_eq!(last.and_then(|p| p.source.line), Some(4 + 12 * 11_999));
}

#[test]
fn errors_in_large_lists_name_the_first_bad_item() {
    let text = pod_list(12_000, Some(9_001));
    let result = load_files(vec![file("pods.json", text)], &LoadOptions::default());
    let Err(LoadError::Malformed {
        location, message, ..
    }) = result
    else {
        panic!("expected Malformed, got {result:?}");
    };
    assert_eq!(location, "items[9001].spec.hostNetwork");
    let line = 4 + 12 * 9_001 + 8;
    assert!(
        message.contains(&format!("(line {line}, column")),
        "{message}"
    );
}

#[test]
fn yaml_alias_bombs_and_deep_nesting_fail_quickly() {
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 0..12 {
        let prev = if i == 0 {
            "a".to_owned()
        } else {
            format!("a{}", i - 1)
        };
        let _ = writeln!(bomb, "a{i}: &a{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]");
    }
    let deep = format!("{}1{}", "[".repeat(5_000), "]".repeat(5_000));
    let started = std::time::Instant::now();
    let result = load_files(
        vec![
            file("bomb.yaml", bomb),
            file("deep.json", deep.clone()),
            file("deep.yaml", deep),
        ],
        &LoadOptions { keep_going: true },
    );
    assert!(started.elapsed().as_secs() < 20);
    let Ok(inv) = result else {
        panic!("{result:?}");
    };
    assert_eq!(inv.skipped.len(), 3, "{:?}", inv.skipped);
}
