//! `emrguard iam simulate | can-assume | describe` end to end. `--policy` tests need only
//! policy files; `--snapshot` tests use a snapshot in the aws CLI's real output formats
//! (`iam get-account-authorization-details`, `eks describe-cluster`,
//! `eks describe-pod-identity-association`) and `kubectl get serviceaccounts -o json`.

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

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(out), stderr(out)))
}

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    }
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"))
}

const POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "ReadData", "Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::data/*"},
    {"Sid": "OwnPrefix", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::data/${aws:username}/*"},
    {"Sid": "NoSecrets", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::data/secret/*"},
    {"Sid": "Tags", "Effect": "Allow", "Action": "s3:PutObjectTagging", "Resource": "*",
     "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]}}}
  ]
}"#;

fn policy_file(dir: &Path) -> String {
    write(dir, "policy.json", POLICY);
    dir.join("policy.json").display().to_string()
}

#[test]
fn simulate_policy_file_allowed() {
    let dir = tempdir();
    let policy = policy_file(dir.path());
    let out = emrguard(&[
        "iam",
        "simulate",
        "--policy",
        &policy,
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::data/report.csv",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().next(), Some("allowed"));
    assert!(text.contains("Sid `ReadData`"), "{text}");
}

#[test]
fn simulate_policy_file_explicit_deny_json() {
    let dir = tempdir();
    let policy = policy_file(dir.path());
    let out = emrguard(&[
        "iam",
        "simulate",
        "--policy",
        &policy,
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::data/secret/key",
        "--format",
        "json",
    ]);
    assert_eq!(code(&out), 1);
    let v = json(&out);
    assert_eq!(v["decision"], "explicit_deny");
    assert_eq!(v["deciding"][0]["sid"], "NoSecrets");
    assert_eq!(v["deciding"][0]["statement"]["Effect"], "Deny");
}

#[test]
fn simulate_implicit_deny_and_variables() {
    let dir = tempdir();
    let policy = policy_file(dir.path());
    let put = |user: &str| {
        emrguard(&[
            "iam",
            "simulate",
            "--policy",
            &policy,
            "--action",
            "s3:PutObject",
            "--resource",
            "arn:aws:s3:::data/alice/x",
            "--context",
            &format!("aws:username={user}"),
            "--format",
            "json",
        ])
    };
    let alice = put("alice");
    assert_eq!(code(&alice), 0);
    assert_eq!(json(&alice)["decision"], "allowed");
    let bob = put("bob");
    assert_eq!(code(&bob), 1);
    assert_eq!(json(&bob)["decision"], "implicit_deny");
}

#[test]
fn simulate_repeated_context_gives_several_values() {
    let dir = tempdir();
    let policy = policy_file(dir.path());
    let run = |tags: &[&str]| {
        let mut args = vec![
            "iam",
            "simulate",
            "--policy",
            &policy,
            "--action",
            "s3:PutObjectTagging",
            "--resource",
            "arn:aws:s3:::other/x",
            "--format",
            "json",
        ];
        for t in tags {
            args.push("--context");
            args.push(t);
        }
        json(&emrguard(&args))["decision"].clone()
    };
    assert_eq!(run(&["aws:TagKeys=team", "aws:TagKeys=env"]), "allowed");
    assert_eq!(
        run(&["aws:TagKeys=team", "aws:TagKeys=owner"]),
        "implicit_deny"
    );
    assert_eq!(run(&[]), "allowed", "ForAllValues holds for a missing key");
}

#[test]
fn simulate_invalid_policy_names_the_json_path() {
    let dir = tempdir();
    write(
        dir.path(),
        "bad.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}, {"Effect": "allow", "Action": "*", "Resource": "*"}]}"#,
    );
    let bad = dir.path().join("bad.json").display().to_string();
    let out = emrguard(&[
        "iam",
        "simulate",
        "--policy",
        &bad,
        "--action",
        "s3:GetObject",
    ]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("$.Statement[1].Effect"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn simulate_argument_errors() {
    let out = emrguard(&["iam", "simulate", "--action", "s3:GetObject"]);
    assert_eq!(code(&out), 2, "needs --principal or --policy");
    let dir = tempdir();
    let policy = policy_file(dir.path());
    let out = emrguard(&[
        "iam",
        "simulate",
        "--policy",
        &policy,
        "--action",
        "s3:GetObject",
        "--context",
        "novalue",
    ]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("KEY=VALUE"));
    let out = emrguard(&[
        "iam",
        "simulate",
        "--principal",
        "arn:aws:iam::1:user/x",
        "--action",
        "s3:GetObject",
    ]);
    assert_eq!(code(&out), 2, "--principal needs --snapshot");
}

// ---------------------------------------------------------------------------------------
// Snapshot tests (need the snapshot loader).
// ---------------------------------------------------------------------------------------

const ACCOUNT_AUTH: &str = r#"{
  "UserDetailList": [
    {"Path": "/", "UserName": "ci", "UserId": "AIDAEXAMPLECI", "Arn": "arn:aws:iam::111122223333:user/ci", "CreateDate": "2024-01-01T00:00:00Z",
     "UserPolicyList": [{"PolicyName": "submit", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
        {"Sid": "Submit", "Effect": "Allow", "Action": "emr-containers:StartJobRun", "Resource": "*"},
        {"Sid": "Pass", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::111122223333:role/job-role"},
        {"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]}}],
     "GroupList": ["readers"], "AttachedManagedPolicies": [], "Tags": [{"Key": "team", "Value": "data"}]},
    {"Path": "/", "UserName": "dev", "UserId": "AIDAEXAMPLEDEV", "Arn": "arn:aws:iam::111122223333:user/dev", "CreateDate": "2024-01-01T00:00:00Z",
     "UserPolicyList": [], "GroupList": [], "AttachedManagedPolicies": [], "Tags": []}
  ],
  "GroupDetailList": [
    {"Path": "/", "GroupName": "readers", "GroupId": "AGPAEXAMPLE", "Arn": "arn:aws:iam::111122223333:group/readers", "CreateDate": "2024-01-01T00:00:00Z",
     "GroupPolicyList": [{"PolicyName": "read", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::${aws:PrincipalTag/team}/*"}]}}],
     "AttachedManagedPolicies": []}
  ],
  "RoleDetailList": [
    {"Path": "/", "RoleName": "job-role", "RoleId": "AROAEXAMPLEJOB", "Arn": "arn:aws:iam::111122223333:role/job-role", "CreateDate": "2024-01-01T00:00:00Z",
     "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringLike": {"oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE:sub": "system:serviceaccount:emr:emr-containers-sa-*-*-111122223333-1m9ojh7ogwq5h"}}}]},
     "InstanceProfileList": [],
     "RolePolicyList": [{"PolicyName": "data", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::data/*"}]}}],
     "AttachedManagedPolicies": [], "Tags": [], "RoleLastUsed": {}},
    {"Path": "/", "RoleName": "pod-role", "RoleId": "AROAEXAMPLEPOD", "Arn": "arn:aws:iam::111122223333:role/pod-role", "CreateDate": "2024-01-01T00:00:00Z",
     "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}}]},
     "InstanceProfileList": [], "RolePolicyList": [],
     "AttachedManagedPolicies": [], "Tags": [], "RoleLastUsed": {}},
    {"Path": "/", "RoleName": "admin", "RoleId": "AROAEXAMPLEADMIN", "Arn": "arn:aws:iam::111122223333:role/admin", "CreateDate": "2024-01-01T00:00:00Z",
     "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/ci"}, "Action": "sts:AssumeRole"}]},
     "InstanceProfileList": [], "RolePolicyList": [],
     "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}], "Tags": [], "RoleLastUsed": {}}
  ],
  "Policies": [
    {"PolicyName": "AdministratorAccess", "PolicyId": "ANPAEXAMPLE", "Arn": "arn:aws:iam::aws:policy/AdministratorAccess", "Path": "/", "DefaultVersionId": "v1",
     "AttachmentCount": 1, "PermissionsBoundaryUsageCount": 0, "IsAttachable": true, "CreateDate": "2015-02-06T18:39:46Z", "UpdateDate": "2015-02-06T18:39:46Z",
     "PolicyVersionList": [{"Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}, "VersionId": "v1", "IsDefaultVersion": true, "CreateDate": "2015-02-06T18:39:46Z"}]}
  ]
}"#;

const CLUSTER: &str = r#"{"cluster": {"name": "prod", "arn": "arn:aws:eks:us-west-2:111122223333:cluster/prod", "version": "1.29",
  "roleArn": "arn:aws:iam::111122223333:role/eks-cluster",
  "identity": {"oidc": {"issuer": "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"}},
  "resourcesVpcConfig": {"subnetIds": [], "securityGroupIds": [], "endpointPublicAccess": false, "endpointPrivateAccess": true}}}"#;

const POD_IDENTITY: &str = r#"{"association": {"clusterName": "prod", "namespace": "emr", "serviceAccount": "app",
  "roleArn": "arn:aws:iam::111122223333:role/pod-role",
  "associationArn": "arn:aws:eks:us-west-2:111122223333:podidentityassociation/prod/a-1234567890abcdef0",
  "associationId": "a-1234567890abcdef0", "tags": {}, "createdAt": "2024-01-01T00:00:00Z", "modifiedAt": "2024-01-01T00:00:00Z"}}"#;

const SERVICE_ACCOUNTS: &str = r#"{"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "emr-containers-sa-spark-driver-111122223333-1m9ojh7ogwq5h", "namespace": "emr"}},
  {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "emr"}},
  {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "app", "namespace": "emr"}}
]}"#;

fn snapshot() -> tempfile::TempDir {
    let dir = tempdir();
    let root = dir.path();
    write(
        root,
        "aws/iam-get-account-authorization-details.json",
        ACCOUNT_AUTH,
    );
    write(root, "aws/eks-describe-cluster.json", CLUSTER);
    write(
        root,
        "aws/eks-describe-pod-identity-association.json",
        POD_IDENTITY,
    );
    write(root, "k8s/serviceaccounts.json", SERVICE_ACCOUNTS);
    dir
}

fn snap_arg(dir: &tempfile::TempDir) -> String {
    dir.path().display().to_string()
}

#[test]
fn simulate_principal_from_snapshot() {
    let dir = snapshot();
    let snap = snap_arg(&dir);
    let run = |action: &str, resource: &str| {
        emrguard(&[
            "iam",
            "simulate",
            "--snapshot",
            &snap,
            "--principal",
            "arn:aws:iam::111122223333:user/ci",
            "--action",
            action,
            "--resource",
            resource,
            "--format",
            "json",
        ])
    };
    let submit = run(
        "emr-containers:StartJobRun",
        "arn:aws:emr-containers:us-west-2:111122223333:/virtualclusters/abc",
    );
    assert_eq!(code(&submit), 0, "{}", stderr(&submit));
    assert_eq!(json(&submit)["deciding"][0]["sid"], "Submit");
    let delete = run("s3:DeleteObject", "arn:aws:s3:::data/x");
    assert_eq!(code(&delete), 1);
    assert_eq!(json(&delete)["decision"], "explicit_deny");
    // The group policy uses ${aws:PrincipalTag/team}, filled in from the user's tags.
    let read = run("s3:GetObject", "arn:aws:s3:::data/x");
    assert_eq!(json(&read)["decision"], "allowed");
    let other = run("s3:GetObject", "arn:aws:s3:::web/x");
    assert_eq!(json(&other)["decision"], "implicit_deny");
}

#[test]
fn simulate_assume_role_counts_the_trust_policy() {
    let dir = snapshot();
    let snap = snap_arg(&dir);
    let run = |who: &str| {
        let out = emrguard(&[
            "iam",
            "simulate",
            "--snapshot",
            &snap,
            "--principal",
            who,
            "--action",
            "sts:AssumeRole",
            "--resource",
            "arn:aws:iam::111122223333:role/admin",
            "--format",
            "json",
        ]);
        json(&out)["decision"].clone()
    };
    assert_eq!(run("arn:aws:iam::111122223333:user/ci"), "allowed");
    assert_eq!(run("arn:aws:iam::111122223333:user/dev"), "implicit_deny");
}

#[test]
fn can_assume_service_account_via_irsa() {
    let dir = snapshot();
    let snap = snap_arg(&dir);
    let out = emrguard(&[
        "iam",
        "can-assume",
        "--snapshot",
        &snap,
        "--role",
        "arn:aws:iam::111122223333:role/job-role",
        "--service-account",
        "emr/emr-containers-sa-spark-driver-111122223333-1m9ojh7ogwq5h",
    ]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().next(), Some("yes"));
    assert!(
        text.contains(
            "encodes the execution role arn:aws:iam::111122223333:role/job-role (this role)"
        ),
        "{text}"
    );
    let no = emrguard(&[
        "iam",
        "can-assume",
        "--snapshot",
        &snap,
        "--role",
        "job-role",
        "--service-account",
        "emr/default",
        "--format",
        "json",
    ]);
    assert_eq!(code(&no), 1);
    assert_eq!(json(&no)["answer"], "no");
}

#[test]
fn can_assume_service_account_via_pod_identity() {
    let dir = snapshot();
    let snap = snap_arg(&dir);
    let out = emrguard(&[
        "iam",
        "can-assume",
        "--snapshot",
        &snap,
        "--role",
        "pod-role",
        "--service-account",
        "emr/app",
        "--format",
        "json",
    ]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    let v = json(&out);
    assert_eq!(v["answer"], "yes");
    let routes = v["routes"].as_array().cloned().unwrap_or_default();
    assert!(
        routes.iter().any(|r| r["via"]
            .as_str()
            .unwrap_or("")
            .contains("a-1234567890abcdef0")
            && r["allowed"] == true),
        "{v}"
    );
}

#[test]
fn can_assume_principal_and_service() {
    let dir = snapshot();
    let snap = snap_arg(&dir);
    let yes = emrguard(&[
        "iam",
        "can-assume",
        "--snapshot",
        &snap,
        "--role",
        "admin",
        "--principal",
        "arn:aws:iam::111122223333:user/ci",
    ]);
    assert_eq!(code(&yes), 0, "{}{}", stdout(&yes), stderr(&yes));
    let no = emrguard(&[
        "iam",
        "can-assume",
        "--snapshot",
        &snap,
        "--role",
        "admin",
        "--principal",
        "arn:aws:iam::111122223333:user/dev",
    ]);
    assert_eq!(code(&no), 1);
    let svc = emrguard(&[
        "iam",
        "can-assume",
        "--snapshot",
        &snap,
        "--role",
        "pod-role",
        "--service",
        "pods.eks.amazonaws.com",
    ]);
    assert_eq!(code(&svc), 0, "{}{}", stdout(&svc), stderr(&svc));
    let ec2 = emrguard(&[
        "iam",
        "can-assume",
        "--snapshot",
        &snap,
        "--role",
        "pod-role",
        "--service",
        "ec2.amazonaws.com",
    ]);
    assert_eq!(code(&ec2), 1);
    let missing = emrguard(&[
        "iam",
        "can-assume",
        "--snapshot",
        &snap,
        "--role",
        "nope",
        "--service",
        "ec2.amazonaws.com",
    ]);
    assert_eq!(code(&missing), 2);
}

#[test]
fn describe_role() {
    let dir = snapshot();
    let snap = snap_arg(&dir);
    let out = emrguard(&[
        "iam",
        "describe",
        "--snapshot",
        &snap,
        "--role",
        "admin",
        "--format",
        "json",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["tier"], "admin");
    assert_eq!(v["classes"][0]["kind"], "full-admin");
    let assumers: Vec<String> = v["assumable_by"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|a| a["principal"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(assumers, vec!["arn:aws:iam::111122223333:user/ci"]);

    let job = emrguard(&[
        "iam",
        "describe",
        "--snapshot",
        &snap,
        "--role",
        "job-role",
        "--format",
        "json",
    ]);
    let v = json(&job);
    assert_eq!(v["tier"], "limited-write");
    assert_eq!(v["trust"][0]["scopes"][0]["kind"], "emr-pattern");
    let assumers = v["assumable_by"].to_string();
    assert!(
        assumers.contains("emr/emr-containers-sa-spark-driver-111122223333-1m9ojh7ogwq5h"),
        "{assumers}"
    );
    assert!(!assumers.contains("emr/default"), "{assumers}");

    let pod = emrguard(&["iam", "describe", "--snapshot", &snap, "--role", "pod-role"]);
    let text = stdout(&pod);
    assert!(text.contains("tier: none"), "{text}");
    assert!(
        text.contains("service-account emr/app (Pod Identity association)"),
        "{text}"
    );
}
