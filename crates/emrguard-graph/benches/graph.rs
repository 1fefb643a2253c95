//! Benchmarks of the path analysis.
//!
//! - `graph/insecure-lab`: every path from every tenant identity of the bundled insecure lab
//!   (target: milliseconds).
//! - `graph/generated-full`: every path from every subject and every mapped IAM principal of a
//!   generated cluster of 1,000 namespaces (each an EMR virtual cluster with its execution
//!   role), 5,000 subjects and 20,000 RBAC roles, given the RBAC index (target: at most 2 s).
//! - `graph/generated-full-with-rbac-index`: the same, building the RBAC index too.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use emrguard_graph::{AccessGraph, NodeKey, Target, DEFAULT_MAX_DEPTH};
use emrguard_model::aws::{
    AccessEntry, ClusterIdentity, ContainerInfo, ContainerProvider, EksCluster, EksInfo, IamRole,
    InlinePolicy, LaunchTemplateData, LaunchTemplateSpec, LaunchTemplateVersion, MetadataOptions,
    Nodegroup, OidcIdentity, VirtualCluster,
};
use emrguard_model::emr::emr_trust_sub_pattern;
use emrguard_model::k8s::{
    Namespace, ObjectMeta, Pod, PodSpec, PolicyRule, Role, RoleBinding, RoleRef, ServiceAccount,
    Subject,
};
use emrguard_model::policy::PolicyDocument;
use emrguard_model::Inventory;
use emrguard_rbac::{RbacIndex, SubjectKind};
use serde_json::json;

const ACCOUNT: &str = "111122223333";
const PROVIDER: &str = "oidc.eks.us-west-2.amazonaws.com/id/0A1B2C3D4E5F60718293A4B5C6D7E8F9";
const NAMESPACES: usize = 1_000;
const CLUSTER_ROLES: usize = 1_000;
const ROLES_PER_NAMESPACE: usize = 19;
const ROLE_BINDINGS_PER_NAMESPACE: usize = 10;
const CLUSTER_ROLE_BINDINGS: usize = 500;
const USERS: usize = 2_500;
const GROUPS: usize = 1_000;
const SERVICE_ACCOUNTS_PER_NAMESPACE: usize = 5;
/// Service accounts named as binding subjects (two per namespace, minus a few).
const SERVICE_ACCOUNT_SUBJECTS: usize = 1_500;
const TENANT_PRINCIPALS: usize = 1_000;

/// A small deterministic generator (64-bit LCG), so every run sees the same cluster.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from((self.0 >> 33) % (bound as u64)).unwrap_or(0)
    }
}

fn rule(verbs: &[&str], group: &str, resources: &[&str]) -> PolicyRule {
    PolicyRule {
        verbs: verbs.iter().map(|s| (*s).into()).collect(),
        api_groups: vec![group.into()],
        resources: resources.iter().map(|s| (*s).into()).collect(),
        ..PolicyRule::default()
    }
}

/// Rules as tenants get them: mostly reads, some edits, a few dangerous rights.
fn namespace_rules(rng: &mut Lcg) -> Vec<PolicyRule> {
    let mut rules = vec![rule(
        &["get", "list", "watch"],
        "",
        &["pods", "pods/log", "services", "events"],
    )];
    match rng.next(100) {
        0..=14 => rules.push(rule(
            &["create", "update", "patch"],
            "",
            &["configmaps", "services"],
        )),
        15..=22 => rules.push(rule(&["create"], "", &["pods"])),
        23..=26 => rules.push(rule(&["create", "update"], "apps", &["deployments"])),
        27..=31 => rules.push(rule(&["create", "get"], "", &["pods/exec"])),
        32..=33 => rules.push(rule(&["create"], "", &["serviceaccounts/token"])),
        _ => {}
    }
    rules
}

fn cluster_rules(rng: &mut Lcg) -> Vec<PolicyRule> {
    let mut rules = vec![rule(
        &["get", "list", "watch"],
        "",
        &["namespaces", "nodes"],
    )];
    match rng.next(100) {
        0..=2 => rules.push(rule(&["create"], "", &["pods"])),
        3 => rules.push(rule(
            &["create", "update"],
            "admissionregistration.k8s.io",
            &["mutatingwebhookconfigurations"],
        )),
        4 => rules.push(rule(&["create", "get"], "", &["pods/exec"])),
        _ => {}
    }
    rules
}

fn meta(name: String, namespace: Option<String>) -> ObjectMeta {
    ObjectMeta {
        name: name.into(),
        namespace: namespace.map(Into::into),
        ..ObjectMeta::default()
    }
}

fn subject(rng: &mut Lcg, ns: usize) -> Subject {
    match rng.next(10) {
        0..=4 => Subject {
            kind: "User".into(),
            name: format!("user-{}", rng.next(USERS)).into(),
            ..Subject::default()
        },
        5..=7 => Subject {
            kind: "Group".into(),
            name: format!("group-{}", rng.next(GROUPS)).into(),
            ..Subject::default()
        },
        _ => Subject {
            kind: "ServiceAccount".into(),
            name: format!("sa-{}", rng.next(2)).into(),
            namespace: Some(format!("ns-{ns}").into()),
            ..Subject::default()
        },
    }
}

fn doc(value: serde_json::Value) -> PolicyDocument {
    serde_json::from_value(value).unwrap_or_default()
}

fn iam_role(name: &str, trust: serde_json::Value, policy: serde_json::Value) -> IamRole {
    IamRole {
        role_name: name.to_owned(),
        arn: format!("arn:aws:iam::{ACCOUNT}:role/{name}"),
        assume_role_policy_document: Some(doc(trust)),
        role_policy_list: vec![InlinePolicy {
            policy_name: format!("{name}-access"),
            policy_document: doc(policy),
        }],
        ..IamRole::default()
    }
}

/// The generated cluster.
fn generate() -> Inventory {
    let mut rng = Lcg(7);
    let mut inv = Inventory::default();
    inv.clusters.push(EksCluster {
        name: "bench".into(),
        arn: format!("arn:aws:eks:us-west-2:{ACCOUNT}:cluster/bench"),
        identity: Some(ClusterIdentity {
            oidc: Some(OidcIdentity {
                issuer: Some(format!("https://{PROVIDER}")),
            }),
        }),
        ..EksCluster::default()
    });
    for i in 0..CLUSTER_ROLES {
        inv.cluster_roles.push(Role {
            metadata: meta(format!("cluster-role-{i}"), None),
            rules: cluster_rules(&mut rng),
            ..Role::default()
        });
    }
    let hub = format!("arn:aws:iam::{ACCOUNT}:role/admin-hub");
    let mut hub_trusts = Vec::new();
    for ns in 0..NAMESPACES {
        let name = format!("ns-{ns}");
        inv.namespaces.push(Namespace {
            metadata: meta(name.clone(), None),
            ..Namespace::default()
        });
        inv.virtual_clusters.push(VirtualCluster {
            id: format!("vc{ns:05}"),
            arn: Some(format!(
                "arn:aws:emr-containers:us-west-2:{ACCOUNT}:/virtualclusters/vc{ns:05}"
            )),
            state: Some("RUNNING".into()),
            container_provider: ContainerProvider {
                provider_type: Some("EKS".into()),
                id: Some("bench".into()),
                info: Some(ContainerInfo {
                    eks_info: Some(EksInfo {
                        namespace: Some(name.clone()),
                        node_label: None,
                    }),
                }),
            },
            ..VirtualCluster::default()
        });
        for s in 0..SERVICE_ACCOUNTS_PER_NAMESPACE {
            inv.service_accounts.push(ServiceAccount {
                metadata: meta(format!("sa-{s}"), Some(name.clone())),
                ..ServiceAccount::default()
            });
        }
        inv.pods.push(Pod {
            metadata: meta(format!("worker-{ns}"), Some(name.clone())),
            spec: PodSpec {
                service_account_name: Some("sa-0".into()),
                ..PodSpec::default()
            },
            ..Pod::default()
        });
        for r in 0..ROLES_PER_NAMESPACE {
            inv.roles.push(Role {
                metadata: meta(format!("role-{r}"), Some(name.clone())),
                rules: namespace_rules(&mut rng),
                ..Role::default()
            });
        }
        for b in 0..ROLE_BINDINGS_PER_NAMESPACE {
            let (kind, role) = if rng.next(3) == 0 {
                (
                    "ClusterRole",
                    format!("cluster-role-{}", rng.next(CLUSTER_ROLES)),
                )
            } else {
                ("Role", format!("role-{}", rng.next(ROLES_PER_NAMESPACE)))
            };
            inv.role_bindings.push(RoleBinding {
                metadata: meta(format!("binding-{b}"), Some(name.clone())),
                role_ref: RoleRef {
                    api_group: "rbac.authorization.k8s.io".into(),
                    kind: kind.into(),
                    name: emrguard_model::k8s::Text::from(role),
                },
                subjects: (0..1 + rng.next(3))
                    .map(|_| subject(&mut rng, ns))
                    .collect(),
                ..RoleBinding::default()
            });
        }
        // The namespace's execution role: EMR's trust pattern; a few are admins, and a few
        // may assume the admin hub.
        let exec = format!("exec-{ns}");
        let mut statements = vec![
            json!({"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": format!("arn:aws:s3:::data-{ns}/*")}),
        ];
        if ns % 50 == 0 {
            statements.push(json!({"Effect": "Allow", "Action": "*", "Resource": "*"}));
        }
        if ns % 97 == 0 {
            statements
                .push(json!({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": hub}));
            hub_trusts.push(format!("arn:aws:iam::{ACCOUNT}:role/{exec}"));
        }
        inv.iam_roles.push(iam_role(
            &exec,
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Federated": format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{PROVIDER}")},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringLike": {format!("{PROVIDER}:sub"): emr_trust_sub_pattern(&name, ACCOUNT, &exec)}}}]}),
            json!({"Version": "2012-10-17", "Statement": statements}),
        ));
    }
    inv.iam_roles.push(iam_role(
        "admin-hub",
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": hub_trusts}, "Action": "sts:AssumeRole"}]}),
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    ));
    // Cluster-wide bindings, and one binding per user, group and service-account subject so
    // that 5,000 distinct subjects appear.
    for i in 0..CLUSTER_ROLE_BINDINGS {
        let mut subjects: Vec<Subject> = (0..1 + rng.next(2))
            .map(|_| {
                let ns = rng.next(NAMESPACES);
                subject(&mut rng, ns)
            })
            .collect();
        subjects.push(Subject {
            kind: "User".into(),
            name: format!("user-{i}").into(),
            ..Subject::default()
        });
        inv.cluster_role_bindings.push(RoleBinding {
            metadata: meta(format!("cluster-binding-{i}"), None),
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io".into(),
                kind: "ClusterRole".into(),
                name: format!("cluster-role-{}", rng.next(CLUSTER_ROLES)).into(),
            },
            subjects,
            ..RoleBinding::default()
        });
    }
    let viewers: Vec<Subject> = (0..USERS)
        .map(|i| Subject {
            kind: "User".into(),
            name: format!("user-{i}").into(),
            ..Subject::default()
        })
        .chain((0..GROUPS).map(|i| Subject {
            kind: "Group".into(),
            name: format!("group-{i}").into(),
            ..Subject::default()
        }))
        .chain((0..SERVICE_ACCOUNT_SUBJECTS).map(|i| Subject {
            kind: "ServiceAccount".into(),
            name: format!("sa-{}", i % 2).into(),
            namespace: Some(format!("ns-{}", i / 2).into()),
            ..Subject::default()
        }))
        .collect();
    for (i, chunk) in viewers.chunks(100).enumerate() {
        let ns = format!("ns-{}", i * 37 % NAMESPACES);
        inv.role_bindings.push(RoleBinding {
            metadata: meta(format!("viewers-{i}"), Some(ns)),
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io".into(),
                kind: "Role".into(),
                name: "role-0".into(),
            },
            subjects: chunk.to_vec(),
            ..RoleBinding::default()
        });
    }
    // Tenant IAM roles, mapped to groups through access entries, each allowed to submit to
    // its namespace's virtual cluster with its execution role.
    for t in 0..TENANT_PRINCIPALS {
        let ns = t % NAMESPACES;
        let name = format!("tenant-{t}");
        let arn = format!("arn:aws:iam::{ACCOUNT}:role/{name}");
        inv.iam_roles.push(iam_role(
            &name,
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Federated": format!("arn:aws:iam::{ACCOUNT}:saml-provider/Corp")},
                "Action": "sts:AssumeRoleWithSAML"}]}),
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Action": "emr-containers:StartJobRun",
                "Resource": format!("arn:aws:emr-containers:us-west-2:{ACCOUNT}:/virtualclusters/vc{ns:05}"),
                "Condition": {"ArnEquals": {"emr-containers:ExecutionRoleArn": format!("arn:aws:iam::{ACCOUNT}:role/exec-{ns}")}}}]}),
        ));
        inv.access_entries.push(AccessEntry {
            principal_arn: arn,
            kubernetes_groups: vec![format!("group-{}", t % GROUPS)],
            entry_type: Some("STANDARD".into()),
            described: true,
            ..AccessEntry::default()
        });
    }
    for (i, (tokens, hop)) in [("required", 1), ("required", 1), ("optional", 2)]
        .into_iter()
        .enumerate()
    {
        let lt = format!("lt-{i}");
        inv.nodegroups.push(Nodegroup {
            nodegroup_name: format!("ng-{i}"),
            node_role: Some(format!("arn:aws:iam::{ACCOUNT}:role/node-{i}")),
            launch_template: Some(LaunchTemplateSpec {
                id: Some(lt.clone()),
                version: Some("1".into()),
                name: None,
            }),
            ..Nodegroup::default()
        });
        inv.launch_template_versions.push(LaunchTemplateVersion {
            launch_template_id: Some(lt),
            version_number: Some(1),
            default_version: Some(true),
            launch_template_data: LaunchTemplateData {
                metadata_options: Some(MetadataOptions {
                    http_tokens: Some(tokens.into()),
                    http_put_response_hop_limit: Some(hop),
                    http_endpoint: Some("enabled".into()),
                }),
                ..LaunchTemplateData::default()
            },
            ..LaunchTemplateVersion::default()
        });
        inv.iam_roles.push(iam_role(
            &format!("node-{i}"),
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Action": ["ec2:DescribeInstances", "ecr:GetAuthorizationToken"], "Resource": "*"}]}),
        ));
    }
    inv.finalize();
    inv
}

/// Every subject of the RBAC index and every IAM principal with an access entry.
fn sources(inv: &Inventory, rbac: &RbacIndex) -> Vec<NodeKey> {
    let mut out: Vec<NodeKey> = rbac
        .subjects()
        .iter()
        .filter_map(|s| match s.kind {
            SubjectKind::User => Some(NodeKey::User(s.name.clone())),
            SubjectKind::Group => Some(NodeKey::Group(s.name.clone())),
            SubjectKind::ServiceAccount => Some(NodeKey::service_account(
                s.namespace.as_deref().unwrap_or_default(),
                &s.name,
            )),
            SubjectKind::AccessEntry => None,
        })
        .collect();
    out.extend(
        inv.access_entries
            .iter()
            .map(|e| emrguard_graph::principal_key(inv, &e.principal_arn)),
    );
    out
}

/// The whole analysis: every path from every source to the worst class of each role reached.
fn analyse(inv: &Inventory, rbac: &RbacIndex, sources: &[NodeKey]) -> usize {
    let mut graph = AccessGraph::new(inv, rbac);
    let ids: Vec<_> = sources.iter().map(|s| graph.node(s.clone())).collect();
    graph
        .paths(&ids, &Target::AnyClass, DEFAULT_MAX_DEPTH)
        .len()
}

fn lab(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/insecure-lab");
    let Ok(inv) = emrguard_load::load_snapshot(&dir, &emrguard_load::LoadOptions::default()) else {
        return;
    };
    let rbac = RbacIndex::build(&inv);
    let sources: Vec<NodeKey> = [
        "arn:aws:iam::111122223333:role/team-a-data-engineer",
        "arn:aws:iam::111122223333:user/ci-team-b",
        "arn:aws:iam::111122223333:role/ds-analyst",
    ]
    .iter()
    .map(|a| emrguard_graph::principal_key(&inv, a))
    .chain([NodeKey::service_account("emr-team-b", "report-scheduler")])
    .collect();
    let mut group = c.benchmark_group("graph");
    group.sample_size(20);
    group.bench_function("insecure-lab", |b| {
        b.iter(|| black_box(analyse(&inv, &rbac, &sources)))
    });
    group.finish();
}

/// With `EMRGUARD_GRAPH_PROFILE` set: where the time goes, by node kind, then exit.
fn profile(inv: &Inventory, rbac: &RbacIndex, sources: &[NodeKey]) {
    use std::collections::BTreeMap;
    use std::time::Instant;
    let t = Instant::now();
    let mut graph = AccessGraph::new(inv, rbac);
    eprintln!("prepare: {:?}", t.elapsed());
    let ids: Vec<_> = sources.iter().map(|s| graph.node(s.clone())).collect();
    let mut by_kind: BTreeMap<String, (usize, Duration)> = BTreeMap::new();
    let mut stack = ids.clone();
    let mut seen = std::collections::HashSet::new();
    while let Some(n) = stack.pop() {
        if !seen.insert(n) {
            continue;
        }
        let kind = graph
            .key(n)
            .map(|k| k.kind().as_str().to_owned())
            .unwrap_or_default();
        let t = Instant::now();
        let edges = graph.out_edges(n);
        let e = by_kind.entry(kind).or_default();
        e.0 += 1;
        e.1 += t.elapsed();
        for id in edges {
            if let Some(edge) = graph.edge(id) {
                stack.push(edge.to);
            }
        }
    }
    for (k, (n, d)) in &by_kind {
        eprintln!("expand {k}: {n} nodes, {d:?}");
    }
    let t = Instant::now();
    let found = graph
        .paths(&ids, &Target::AnyClass, DEFAULT_MAX_DEPTH)
        .len();
    eprintln!(
        "search: {found} paths from {} sources, {:?}; graph {:?}",
        ids.len(),
        t.elapsed(),
        graph.size()
    );
}

fn generated(c: &mut Criterion) {
    let inv = generate();
    let rbac = RbacIndex::build(&inv);
    let sources = sources(&inv, &rbac);
    if std::env::var_os("EMRGUARD_GRAPH_PROFILE").is_some() {
        profile(&inv, &rbac, &sources);
        return;
    }
    assert!(sources.len() >= 5_000, "{} sources", sources.len());
    let mut group = c.benchmark_group("graph");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("generated-full", |b| {
        b.iter(|| black_box(analyse(&inv, &rbac, &sources)))
    });
    group.bench_function("generated-full-with-rbac-index", |b| {
        b.iter(|| {
            let rbac = RbacIndex::build(&inv);
            black_box(analyse(&inv, &rbac, &sources))
        })
    });
    group.finish();
}

criterion_group!(benches, lab, generated);
criterion_main!(benches);
