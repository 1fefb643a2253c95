//! `emrguard can-i` and `emrguard who-can` end to end, on a snapshot written in kubectl's and
//! the aws CLI's real output formats.

use std::path::Path;
use std::process::{Command, Output};

fn emrguard(args: &[&str]) -> Output {
    match Command::new(env!("CARGO_BIN_EXE_emrguard"))
        .args(args)
        .output()
    {
        Ok(out) => out,
        Err(e) => panic!("cannot run emrguard: {e}"),
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    }
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// `kubectl get roles,rolebindings,clusterroles,clusterrolebindings -A -o yaml`, the
/// `kube-system/aws-auth` ConfigMap, and one EKS access entry with its access policy.
fn snapshot() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let root = dir.path();
    write(
        root,
        "k8s/rbac.yaml",
        r#"apiVersion: v1
kind: List
items:
- apiVersion: rbac.authorization.k8s.io/v1
  kind: Role
  metadata:
    name: submitter
    namespace: spark
  rules:
  - apiGroups: [""]
    resources: ["pods/exec"]
    verbs: ["get"]
  - apiGroups: [""]
    resources: ["configmaps"]
    verbs: ["get", "list"]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: RoleBinding
  metadata:
    name: submitters
    namespace: spark
  roleRef:
    apiGroup: rbac.authorization.k8s.io
    kind: Role
    name: submitter
  subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: Group
    name: data-engineers
  - kind: ServiceAccount
    name: airflow
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRole
  metadata:
    name: pod-creator
  rules:
  - apiGroups: [""]
    resources: ["pods"]
    verbs: ["create"]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata:
    name: ci-pod-creator
  roleRef:
    apiGroup: rbac.authorization.k8s.io
    kind: ClusterRole
    name: pod-creator
  subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: User
    name: ci
metadata:
  resourceVersion: ""
"#,
    );
    write(
        root,
        "k8s/kube-system/aws-auth.yaml",
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: aws-auth
  namespace: kube-system
data:
  mapRoles: |
    - rolearn: arn:aws:iam::111122223333:role/data-engineer
      username: data-engineer:{{SessionName}}
      groups:
      - data-engineers
"#,
    );
    write(
        root,
        "aws/eks/describe-access-entry/viewer.json",
        r#"{
    "accessEntry": {
        "clusterName": "analytics",
        "principalArn": "arn:aws:iam::111122223333:role/viewer",
        "kubernetesGroups": [],
        "username": "arn:aws:sts::111122223333:assumed-role/viewer/{{SessionName}}",
        "type": "STANDARD"
    }
}
"#,
    );
    write(
        root,
        "aws/eks/list-associated-access-policies/viewer.json",
        r#"{
    "clusterName": "analytics",
    "principalArn": "arn:aws:iam::111122223333:role/viewer",
    "associatedAccessPolicies": [
        {
            "policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
            "accessScope": {"type": "namespace", "namespaces": ["spark"]}
        }
    ]
}
"#,
    );
    dir
}

fn snap_arg(dir: &tempfile::TempDir) -> String {
    dir.path().display().to_string()
}

#[test]
fn can_i_needs_a_snapshot() {
    let out = emrguard(&["can-i", "get", "pods", "--as", "alice"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--snapshot"));
}

#[test]
fn can_i_rejects_unsupported_formats_and_bad_requests() {
    let dir = snapshot();
    let snap = snap_arg(&dir);
    let sarif = emrguard(&[
        "can-i",
        "get",
        "pods",
        "--as",
        "alice",
        "--snapshot",
        &snap,
        "--format",
        "sarif",
    ]);
    assert_eq!(sarif.status.code(), Some(2));
    let named_url = emrguard(&[
        "can-i",
        "get",
        "/healthz",
        "--name",
        "x",
        "--as",
        "alice",
        "--snapshot",
        &snap,
    ]);
    assert_eq!(named_url.status.code(), Some(2));
    let two_subresources = emrguard(&[
        "can-i",
        "create",
        "pods/exec",
        "--subresource",
        "attach",
        "--as",
        "alice",
        "--snapshot",
        &snap,
    ]);
    assert_eq!(two_subresources.status.code(), Some(2));
    let arn_with_group = emrguard(&[
        "can-i",
        "get",
        "pods",
        "--as",
        "arn:aws:iam::111122223333:role/viewer",
        "--as-group",
        "x",
        "--snapshot",
        &snap,
    ]);
    assert_eq!(arn_with_group.status.code(), Some(2));
}

#[test]
fn can_i_answers_yes_or_no_like_kubectl() {
    let dir = snapshot();
    let snap = snap_arg(&dir);
    let yes = emrguard(&[
        "can-i",
        "create",
        "pods",
        "-n",
        "spark",
        "--as",
        "ci",
        "--snapshot",
        &snap,
    ]);
    assert_eq!(stdout(&yes), "yes\n");
    assert_eq!(yes.status.code(), Some(0));

    let no = emrguard(&[
        "can-i",
        "delete",
        "pods",
        "-n",
        "spark",
        "--name",
        "p",
        "--as",
        "ci",
        "--snapshot",
        &snap,
    ]);
    assert_eq!(stdout(&no), "no\n");
    assert_eq!(no.status.code(), Some(1));

    // Exec over websockets is a GET on pods/exec; the group comes from --as-group.
    let exec = emrguard(&[
        "can-i",
        "get",
        "pods/exec",
        "-n",
        "spark",
        "--name",
        "driver",
        "--as",
        "bob",
        "--as-group",
        "data-engineers",
        "--snapshot",
        &snap,
    ]);
    assert_eq!(stdout(&exec), "yes\n");
    let other_ns = emrguard(&[
        "can-i",
        "get",
        "pods/exec",
        "-n",
        "default",
        "--name",
        "driver",
        "--as",
        "bob",
        "--as-group",
        "data-engineers",
        "--snapshot",
        &snap,
    ]);
    assert_eq!(stdout(&other_ns), "no\n");
}

#[test]
fn can_i_as_a_service_account_and_as_iam_principals() {
    let dir = snapshot();
    let snap = snap_arg(&dir);
    // The ServiceAccount subject without a namespace takes the RoleBinding's namespace.
    let sa = emrguard(&[
        "can-i",
        "list",
        "configmaps",
        "-n",
        "spark",
        "--as",
        "system:serviceaccount:spark:airflow",
        "--snapshot",
        &snap,
    ]);
    assert_eq!(stdout(&sa), "yes\n");
    // aws-auth maps the role (session ARN) to the group data-engineers.
    let mapped = emrguard(&[
        "can-i",
        "get",
        "pods/exec",
        "-n",
        "spark",
        "--name",
        "driver",
        "--as",
        "arn:aws:sts::111122223333:assumed-role/data-engineer/alice",
        "--snapshot",
        &snap,
    ]);
    assert_eq!(stdout(&mapped), "yes\n");
    // The access entry's view policy is scoped to namespace spark.
    let viewer = |ns: &str| {
        stdout(&emrguard(&[
            "can-i",
            "list",
            "pods",
            "-n",
            ns,
            "--as",
            "arn:aws:iam::111122223333:role/viewer",
            "--snapshot",
            &snap,
        ]))
    };
    assert_eq!(viewer("spark"), "yes\n");
    assert_eq!(viewer("default"), "no\n");
    let unmapped = emrguard(&[
        "can-i",
        "list",
        "pods",
        "-n",
        "spark",
        "--as",
        "arn:aws:iam::111122223333:role/nobody",
        "--snapshot",
        &snap,
    ]);
    assert_eq!(stdout(&unmapped), "no\n");
    assert_eq!(unmapped.status.code(), Some(1));
}

#[test]
fn can_i_json_names_binding_role_and_rule() {
    let dir = snapshot();
    let snap = snap_arg(&dir);
    let out = emrguard(&[
        "can-i",
        "get",
        "pods/exec",
        "-n",
        "spark",
        "--name",
        "driver",
        "--as",
        "bob",
        "--as-group",
        "data-engineers",
        "--snapshot",
        &snap,
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("invalid JSON: {e}: {}", stdout(&out)));
    assert_eq!(json["allowed"], true);
    let grant = &json["grants"][0];
    assert_eq!(grant["type"], "binding");
    assert_eq!(grant["binding"]["kind"], "RoleBinding");
    assert_eq!(grant["binding"]["name"], "submitters");
    assert_eq!(grant["role"]["name"], "submitter");
    assert_eq!(grant["ruleIndex"], 0);
    assert_eq!(grant["subject"]["name"], "data-engineers");
}

#[test]
fn who_can_lists_every_subject_in_order() {
    let dir = snapshot();
    let snap = snap_arg(&dir);
    let out = emrguard(&[
        "who-can",
        "list",
        "pods",
        "-n",
        "spark",
        "--snapshot",
        &snap,
    ]);
    assert_eq!(out.status.code(), Some(0));
    let subjects: Vec<String> = stdout(&out)
        .lines()
        .filter(|l| !l.starts_with(' '))
        .map(str::to_owned)
        .collect();
    assert_eq!(
        subjects,
        vec!["AccessEntry arn:aws:iam::111122223333:role/viewer"]
    );

    let exec = emrguard(&[
        "who-can",
        "get",
        "pods/exec",
        "-n",
        "spark",
        "--name",
        "driver",
        "--snapshot",
        &snap,
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&exec.stdout)
        .unwrap_or_else(|e| panic!("invalid JSON: {e}: {}", stdout(&exec)));
    let names: Vec<String> = json["subjects"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| {
                    format!(
                        "{} {}",
                        s["subject"]["kind"].as_str().unwrap_or_default(),
                        s["subject"]["name"].as_str().unwrap_or_default()
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        names,
        vec!["Group data-engineers", "ServiceAccount airflow"]
    );
    assert_eq!(json["subjects"][1]["subject"]["namespace"], "spark");
}
