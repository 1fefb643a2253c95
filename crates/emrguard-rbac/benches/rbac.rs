//! Benchmarks on a generated cluster of 20,000 RBAC objects and 5,000 subjects: index build,
//! can-i (authorize) and who-can. Targets: build at most 1 s, a query at most 1 ms.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use emrguard_model::k8s::{
    AggregationRule, LabelSelector, ObjectMeta, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};
use emrguard_model::Inventory;
use emrguard_rbac::{Identity, RbacIndex, Request};

const NAMESPACES: usize = 200;
const CLUSTER_ROLES: usize = 1_000;
const ROLES_PER_NAMESPACE: usize = 30;
const ROLE_BINDINGS_PER_NAMESPACE: usize = 50;
const CLUSTER_ROLE_BINDINGS: usize = 3_000;
const USERS: usize = 3_000;
const GROUPS: usize = 1_000;
const SERVICE_ACCOUNTS_PER_NAMESPACE: usize = 5;

const VERBS: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
];
const RESOURCES: &[(&str, &str)] = &[
    ("", "pods"),
    ("", "pods/exec"),
    ("", "pods/log"),
    ("", "configmaps"),
    ("", "secrets"),
    ("", "services"),
    ("", "serviceaccounts"),
    ("", "events"),
    ("apps", "deployments"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
    ("networking.k8s.io", "ingresses"),
    ("rbac.authorization.k8s.io", "rolebindings"),
    ("sparkoperator.k8s.io", "sparkapplications"),
];

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

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.next(xs.len())]
    }
}

fn rules(rng: &mut Lcg) -> Vec<PolicyRule> {
    (0..3 + rng.next(4))
        .map(|_| {
            let (group, resource) = *rng.pick(RESOURCES);
            let verbs: Vec<_> = (0..1 + rng.next(3))
                .map(|_| (*rng.pick(VERBS)).into())
                .collect();
            let names = if rng.next(10) == 0 {
                vec![format!("obj-{}", rng.next(20)).into()]
            } else {
                Vec::new()
            };
            PolicyRule {
                verbs,
                api_groups: vec![group.into()],
                resources: vec![resource.into()],
                resource_names: names,
                non_resource_urls: Vec::new(),
            }
        })
        .collect()
}

fn subject(rng: &mut Lcg) -> Subject {
    match rng.next(10) {
        0..=5 => Subject {
            kind: "User".into(),
            name: format!("user-{}", rng.next(USERS)).into(),
            ..Subject::default()
        },
        6..=8 => Subject {
            kind: "Group".into(),
            name: format!("group-{}", rng.next(GROUPS)).into(),
            ..Subject::default()
        },
        _ => Subject {
            kind: "ServiceAccount".into(),
            name: format!("sa-{}", rng.next(SERVICE_ACCOUNTS_PER_NAMESPACE)).into(),
            namespace: Some(format!("ns-{}", rng.next(NAMESPACES)).into()),
            ..Subject::default()
        },
    }
}

fn meta(name: String, namespace: Option<String>) -> ObjectMeta {
    ObjectMeta {
        name: name.into(),
        namespace: namespace.map(Into::into),
        ..ObjectMeta::default()
    }
}

/// 1,000 ClusterRoles (20 of them aggregated), 6,000 Roles, 10,000 RoleBindings and 3,000
/// ClusterRoleBindings: 20,000 RBAC objects naming 5,000 distinct subjects.
fn generate() -> Inventory {
    let mut rng = Lcg(42);
    let mut inv = Inventory::default();
    for i in 0..CLUSTER_ROLES {
        let mut role = Role {
            metadata: meta(format!("cluster-role-{i}"), None),
            rules: rules(&mut rng),
            ..Role::default()
        };
        role.metadata
            .labels
            .insert("aggregate-to".into(), format!("agg-{}", i % 20).into());
        if i < 20 {
            role.rules.clear();
            role.metadata.labels.clear();
            role.aggregation_rule = Some(AggregationRule {
                cluster_role_selectors: vec![LabelSelector {
                    match_labels: [("aggregate-to", format!("agg-{i}"))].into(),
                    ..LabelSelector::default()
                }],
            });
        }
        inv.cluster_roles.push(role);
    }
    for ns in 0..NAMESPACES {
        for r in 0..ROLES_PER_NAMESPACE {
            inv.roles.push(Role {
                metadata: meta(format!("role-{r}"), Some(format!("ns-{ns}"))),
                rules: rules(&mut rng),
                ..Role::default()
            });
        }
        for b in 0..ROLE_BINDINGS_PER_NAMESPACE {
            let (kind, name) = if rng.next(2) == 0 {
                ("Role", format!("role-{}", rng.next(ROLES_PER_NAMESPACE)))
            } else {
                (
                    "ClusterRole",
                    format!("cluster-role-{}", rng.next(CLUSTER_ROLES)),
                )
            };
            inv.role_bindings.push(RoleBinding {
                metadata: meta(format!("binding-{b}"), Some(format!("ns-{ns}"))),
                role_ref: RoleRef {
                    api_group: "rbac.authorization.k8s.io".into(),
                    kind: kind.into(),
                    name: name.into(),
                },
                subjects: (0..1 + rng.next(4)).map(|_| subject(&mut rng)).collect(),
                ..RoleBinding::default()
            });
        }
    }
    // Every user, group and service account appears in at least one binding.
    for i in 0..CLUSTER_ROLE_BINDINGS {
        let mut subjects: Vec<Subject> = (0..1 + rng.next(3)).map(|_| subject(&mut rng)).collect();
        subjects.push(Subject {
            kind: "User".into(),
            name: format!("user-{i}").into(),
            ..Subject::default()
        });
        if i < GROUPS {
            subjects.push(Subject {
                kind: "Group".into(),
                name: format!("group-{i}").into(),
                ..Subject::default()
            });
        }
        if i < NAMESPACES * SERVICE_ACCOUNTS_PER_NAMESPACE {
            subjects.push(Subject {
                kind: "ServiceAccount".into(),
                name: format!("sa-{}", i % SERVICE_ACCOUNTS_PER_NAMESPACE).into(),
                namespace: Some(format!("ns-{}", i / SERVICE_ACCOUNTS_PER_NAMESPACE).into()),
                ..Subject::default()
            });
        }
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
    inv.finalize();
    inv
}

fn benches(c: &mut Criterion) {
    let inv = generate();
    let rbac_objects = inv.roles.len()
        + inv.cluster_roles.len()
        + inv.role_bindings.len()
        + inv.cluster_role_bindings.len();
    assert_eq!(rbac_objects, 20_000);
    let index = RbacIndex::build(&inv);
    assert_eq!(
        index.subjects().len(),
        USERS + GROUPS + NAMESPACES * SERVICE_ACCOUNTS_PER_NAMESPACE
    );

    let mut group = c.benchmark_group("rbac/build");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("20k-objects", |b| {
        b.iter(|| RbacIndex::build(black_box(&inv)))
    });
    group.finish();

    let identity = Identity::impersonate(
        "user-17",
        &[
            "group-3".to_owned(),
            "group-400".to_owned(),
            "group-999".to_owned(),
        ],
    );
    let sa = Identity::service_account("ns-7", "sa-2");
    let exec = Request::resource("create", "", "pods", "exec", "ns-7", "driver-0");
    let secrets = Request::resource("list", "", "secrets", "", "ns-7", "");
    let cluster_secrets = Request::resource("list", "", "secrets", "", "", "");
    let mut group = c.benchmark_group("rbac/query");
    group.bench_function("can-i/user-with-groups", |b| {
        b.iter(|| index.authorize(black_box(&identity), black_box(&exec)))
    });
    group.bench_function("can-i/service-account", |b| {
        b.iter(|| index.authorize(black_box(&sa), black_box(&secrets)))
    });
    group.bench_function("who-can/namespace", |b| {
        b.iter(|| index.who_can(black_box(&exec)))
    });
    group.bench_function("who-can/cluster-wide", |b| {
        b.iter(|| index.who_can(black_box(&cluster_secrets)))
    });
    group.bench_function("who-can/any-namespace", |b| {
        b.iter(|| index.who_can_any_namespace(black_box(&secrets)))
    });
    group.finish();
}

criterion_group!(rbac, benches);
criterion_main!(rbac);
