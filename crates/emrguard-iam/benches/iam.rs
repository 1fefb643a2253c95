//! Benchmarks of the IAM engine.
//!
//! - `iam/eval/*`: one request against a typical execution-role policy set (target: at least
//!   1,000,000 simple evaluations per second on one core, i.e. under 1 µs each).
//! - `iam/privilege/10k-roles`: effective-permission summaries (classes and tier) for 10,000
//!   roles sharing a few managed policies (target: at most 2 s).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use emrguard_iam::privilege::Analyzer;
use emrguard_iam::{
    parse_policy, CompiledPolicy, DocumentUse, PolicyKind, PolicySet, PolicySource, Request,
};
use emrguard_model::aws::{IamRole, ManagedPolicy};
use emrguard_model::Inventory;
use serde_json::json;

fn execution_role_policies() -> PolicySet {
    let doc = parse_policy(
        &json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "Data", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                 "Resource": ["arn:aws:s3:::analytics-data", "arn:aws:s3:::analytics-data/*"]},
                {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:PutLogEvents", "logs:CreateLogStream", "logs:DescribeLogGroups"],
                 "Resource": "arn:aws:logs:*:*:*"},
                {"Sid": "Glue", "Effect": "Allow", "Action": "glue:Get*", "Resource": "*"},
                {"Sid": "NoSecrets", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::analytics-data/secret/*"}
            ]
        })
        .to_string(),
    )
    .unwrap_or_default();
    let compiled = CompiledPolicy::compile(
        PolicySource::new(PolicyKind::Inline, "job", Some("bench".into())),
        &doc,
        DocumentUse::Identity,
    );
    PolicySet::from_policies(compiled.into_iter().collect())
}

fn eval(c: &mut Criterion) {
    let set = execution_role_policies();
    let allowed = Request::new(
        "s3:GetObject",
        "arn:aws:s3:::analytics-data/2024/01/part-0000.parquet",
    );
    let denied = Request::new(
        "s3:DeleteObject",
        "arn:aws:s3:::analytics-data/2024/01/part-0000.parquet",
    );
    let conditional = Request::new("s3:GetObject", "arn:aws:s3:::analytics-data/secret/key")
        .with("aws:SourceIp", "10.1.2.3");
    let mut group = c.benchmark_group("iam/eval");
    group.throughput(Throughput::Elements(1));
    group.bench_function("allowed", |b| b.iter(|| set.evaluate(black_box(&allowed))));
    group.bench_function("implicit-deny", |b| {
        b.iter(|| set.evaluate(black_box(&denied)))
    });
    group.bench_function("explicit-deny", |b| {
        b.iter(|| set.evaluate(black_box(&conditional)))
    });
    group.finish();
}

fn managed(arn: &str, statements: serde_json::Value) -> ManagedPolicy {
    serde_json::from_value(json!({
        "Arn": arn,
        "DefaultVersionId": "v1",
        "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true,
            "Document": {"Version": "2012-10-17", "Statement": statements}}]
    }))
    .unwrap_or_default()
}

fn inventory(roles: usize) -> Inventory {
    let mut inv = Inventory::default();
    let shared = [
        (
            "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
            json!([{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"}]),
        ),
        (
            "arn:aws:iam::aws:policy/CloudWatchLogsFullAccess",
            json!([{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]),
        ),
        (
            "arn:aws:iam::111122223333:policy/submit",
            json!([
            {"Effect": "Allow", "Action": "emr-containers:StartJobRun", "Resource": "*"},
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::111122223333:role/job-*"}]),
        ),
        (
            "arn:aws:iam::aws:policy/PowerUserAccess",
            json!([
            {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"}]),
        ),
    ];
    for (arn, st) in &shared {
        inv.managed_policies.push(managed(arn, st.clone()));
    }
    for i in 0..roles {
        let attached: Vec<serde_json::Value> = shared
            .iter()
            .enumerate()
            .filter(|(k, _)| (i + k) % 3 == 0)
            .map(|(_, (arn, _))| json!({"PolicyArn": arn}))
            .collect();
        let role: IamRole = serde_json::from_value(json!({
            "RoleName": format!("job-{i}"),
            "Arn": format!("arn:aws:iam::111122223333:role/job-{i}"),
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []},
            "RolePolicyList": [{"PolicyName": "inline", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": format!("arn:aws:s3:::bucket-{i}/*")},
                {"Effect": "Allow", "Action": format!("dynamodb:{}*", ["Get", "Put", "Query"][i % 3]), "Resource": "*"},
                {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}
            ]}}],
            "AttachedManagedPolicies": attached,
        }))
        .unwrap_or_default();
        inv.iam_roles.push(role);
    }
    inv.finalize();
    inv
}

fn privilege(c: &mut Criterion) {
    let inv = inventory(10_000);
    let mut group = c.benchmark_group("iam/privilege");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(inv.iam_roles.len() as u64));
    group.bench_function("10k-roles", |b| {
        b.iter(|| {
            let mut analyzer = Analyzer::new(&inv);
            let mut worst = emrguard_iam::Tier::None;
            for role in &inv.iam_roles {
                worst = worst.max(analyzer.analyze_role(role).tier);
            }
            black_box(worst)
        })
    });
    group.finish();
}

criterion_group!(benches, eval, privilege);
criterion_main!(benches);
