//! The shape of a synthetic deployment: sizes, tenants, applications and where violations are
//! planted. Everything here is decided from the seed before any file is written.

use std::collections::BTreeSet;

use emrguard_model::emr::base36_encode;

use crate::lab::ACCOUNT;
use crate::rng::Rng;
use crate::Size;

/// How big each part of the deployment is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scale {
    /// Synthetic EMR tenants (each with an execution role, a submitter role and a group).
    pub tenants: usize,
    /// Synthetic virtual clusters (one namespace each); tenants beyond one VC get a second.
    pub virtual_clusters: usize,
    /// Namespaces in total (EMR, applications, system and the lab's).
    pub namespaces: usize,
    /// Pods in total.
    pub pods: usize,
    /// RBAC objects in total (Roles, RoleBindings, ClusterRoles, ClusterRoleBindings).
    pub rbac_objects: usize,
    /// IAM roles in total.
    pub iam_roles: usize,
    /// Security groups in total.
    pub security_groups: usize,
    /// Job runs in the history of each synthetic virtual cluster.
    pub job_history: usize,
    /// How many times each scaled violation kind is planted.
    pub plants_per_kind: usize,
    /// CloudTrail uses of each permission of each synthetic execution role.
    pub trail_repeats: usize,
}

impl Scale {
    pub(crate) fn of(size: Size) -> Self {
        match size {
            Size::S => Self {
                tenants: 8,
                virtual_clusters: 10,
                namespaces: 24,
                pods: 600,
                rbac_objects: 500,
                iam_roles: 120,
                security_groups: 40,
                job_history: 4,
                plants_per_kind: 1,
                trail_repeats: 1,
            },
            Size::M => Self {
                tenants: 20,
                virtual_clusters: 30,
                namespaces: 100,
                pods: 10_000,
                rbac_objects: 3_000,
                iam_roles: 2_000,
                security_groups: 500,
                job_history: 6,
                plants_per_kind: 1,
                trail_repeats: 2,
            },
            Size::L => Self {
                tenants: 67,
                virtual_clusters: 100,
                namespaces: 333,
                pods: 33_333,
                rbac_objects: 10_000,
                iam_roles: 6_667,
                security_groups: 1_667,
                job_history: 8,
                plants_per_kind: 2,
                trail_repeats: 2,
            },
            Size::Xl => Self {
                tenants: 200,
                virtual_clusters: 300,
                namespaces: 1_000,
                pods: 100_000,
                rbac_objects: 30_000,
                iam_roles: 20_000,
                security_groups: 5_000,
                job_history: 10,
                plants_per_kind: 3,
                trail_repeats: 3,
            },
        }
    }
}

/// A violation the generator plants in a synthetic tenant. Each kind is local: it yields one
/// finding of one rule and no other (the tenant's roles stay below the tenants' `max-tier`, so
/// no path or isolation finding follows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Plant {
    /// Execution role reads S3 objects on `*`.
    DataOnAllResources,
    /// Execution role trust admits any service account of the namespace.
    TrustAnyServiceAccount,
    /// Submitter may StartJobRun without an `emr-containers:ExecutionRoleArn` condition.
    UnpinnedSubmitter,
    /// Job template whose execution role is a parameter.
    ParametricTemplate,
    /// Submitter may pass the execution role without `iam:PassedToService`.
    PassRoleAnyService,
    /// Execution role holds Glue permissions CloudTrail never shows in use.
    UnusedPermissions,
    /// Managed endpoint behind an internet-facing load balancer.
    InternetFacingEndpoint,
    /// Managed endpoint security group open to the internet.
    OpenEndpointSecurityGroup,
    /// Managed endpoint on the VPC's default security group.
    DefaultEndpointSecurityGroup,
    /// Job run on an older patch of a supported release line.
    OutdatedRelease,
    /// Job run on a release line past end of support.
    EndOfSupportRelease,
    /// Job run with a custom image by tag.
    MutableImageTag,
    /// Namespace annotated for kube2iam.
    Kube2iamAnnotation,
    /// ConfigMap with static S3A keys.
    StaticKeysInConfigMap,
    /// EMR service account annotated with another tenant's role.
    ServiceAccountRoleMismatch,
    /// A second running virtual cluster on the tenant's namespace.
    SharedNamespace,
    /// Tenant group may write ConfigMaps.
    ConfigMapWriter,
    /// Tenant group may exec into pods.
    PodExec,
    /// Tenant group may create pods.
    PodCreator,
    /// Tenant group may create service-account tokens.
    TokenCreator,
    /// Tenant group may read Secrets.
    SecretReader,
    /// A hostNetwork pod in the tenant's namespace.
    HostNetworkPod,
}

impl Plant {
    pub(crate) const ALL: [Plant; 22] = [
        Plant::DataOnAllResources,
        Plant::TrustAnyServiceAccount,
        Plant::UnpinnedSubmitter,
        Plant::ParametricTemplate,
        Plant::PassRoleAnyService,
        Plant::UnusedPermissions,
        Plant::InternetFacingEndpoint,
        Plant::OpenEndpointSecurityGroup,
        Plant::DefaultEndpointSecurityGroup,
        Plant::OutdatedRelease,
        Plant::EndOfSupportRelease,
        Plant::MutableImageTag,
        Plant::Kube2iamAnnotation,
        Plant::StaticKeysInConfigMap,
        Plant::ServiceAccountRoleMismatch,
        Plant::SharedNamespace,
        Plant::ConfigMapWriter,
        Plant::PodExec,
        Plant::PodCreator,
        Plant::TokenCreator,
        Plant::SecretReader,
        Plant::HostNetworkPod,
    ];

    /// The rule code the plant violates.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Plant::DataOnAllResources => "EXR003",
            Plant::TrustAnyServiceAccount => "EXR004",
            Plant::UnpinnedSubmitter => "EXR005",
            Plant::ParametricTemplate => "EXR006",
            Plant::PassRoleAnyService => "EXR007",
            Plant::UnusedPermissions => "EXR008",
            Plant::InternetFacingEndpoint => "EPA002",
            Plant::OpenEndpointSecurityGroup => "EPA003",
            Plant::DefaultEndpointSecurityGroup => "EPA004",
            Plant::OutdatedRelease => "IMG001",
            Plant::EndOfSupportRelease => "IMG002",
            Plant::MutableImageTag => "IMG003",
            Plant::Kube2iamAnnotation => "CRED001",
            Plant::StaticKeysInConfigMap => "CRED004",
            Plant::ServiceAccountRoleMismatch => "CRED005",
            Plant::SharedNamespace => "ISO002",
            Plant::ConfigMapWriter => "RBAC001",
            Plant::PodExec => "RBAC002",
            Plant::PodCreator => "RBAC003",
            Plant::TokenCreator => "RBAC004",
            Plant::SecretReader => "RBAC006",
            Plant::HostNetworkPod => "NODE002",
        }
    }

    /// Whether the plant needs a managed endpoint in the tenant.
    pub(crate) fn needs_endpoint(self) -> bool {
        matches!(
            self,
            Plant::InternetFacingEndpoint
                | Plant::OpenEndpointSecurityGroup
                | Plant::DefaultEndpointSecurityGroup
        )
    }
}

/// One synthetic EMR tenant.
#[derive(Debug, Clone)]
pub(crate) struct Tenant {
    pub index: usize,
    /// `finance-risk`.
    pub name: String,
    /// EMR namespaces (`emr-<name>`, and `emr-<name>-adhoc` for a second virtual cluster).
    pub namespaces: Vec<String>,
    /// One virtual cluster id per namespace.
    pub vc_ids: Vec<String>,
    /// The execution role name.
    pub role: String,
    /// The base36 of the role name.
    pub role_b36: String,
    /// The submitter role (SAML), mapped to the tenant group through an access entry.
    pub submitter: String,
    /// The job data bucket.
    pub bucket: String,
    /// The CloudWatch log group.
    pub log_group: String,
    /// A managed endpoint in the first namespace: (id, security group id, load balancer name).
    pub endpoint: Option<Endpoint>,
    /// Violations planted here.
    pub plants: BTreeSet<Plant>,
    /// The virtual cluster that shares the first namespace (plant `SharedNamespace`).
    pub shared_vc_id: Option<String>,
    /// Job runs of each namespace's virtual cluster, newest first.
    pub jobs: Vec<Vec<Job>>,
    /// The job template (`<name>-nightly`) id, and the parametric one (plant) if any.
    pub template_id: String,
    pub parametric_template_id: Option<String>,
}

/// One job run of a synthetic virtual cluster.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub id: String,
    pub name: String,
    pub running: bool,
    /// Days before the snapshot (2025-11-24) it was created.
    pub days_ago: usize,
    pub second: usize,
    pub release: String,
    /// A custom image by tag (plant `MutableImageTag`).
    pub image_tag: Option<String>,
}

/// The release label of clean job runs.
pub(crate) const CURRENT_RELEASE: &str = "emr-7.12.0-latest";
const JOB_NAMES: &[&str] = &[
    "daily-aggregates",
    "hourly-ingest",
    "weekly-report",
    "feature-build",
    "compaction",
    "backfill",
    "dedupe",
    "export",
    "model-scoring",
    "quality-checks",
];

/// A managed endpoint of a tenant.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub id: String,
    pub name: String,
    pub security_group: String,
    pub load_balancer: String,
    pub load_balancer_suffix: String,
}

impl Tenant {
    pub(crate) fn role_arn(&self) -> String {
        format!("arn:aws:iam::{ACCOUNT}:role/{}", self.role)
    }

    pub(crate) fn submitter_arn(&self) -> String {
        format!("arn:aws:iam::{ACCOUNT}:role/{}", self.submitter)
    }

    pub(crate) fn has(&self, plant: Plant) -> bool {
        self.plants.contains(&plant)
    }

    /// The EMR service-account name of a component for the tenant's role.
    pub(crate) fn service_account(&self, component: &str) -> String {
        format!(
            "emr-containers-sa-spark-{component}-{ACCOUNT}-{}",
            self.role_b36
        )
    }
}

/// One application namespace (not EMR): a few Deployments with their service accounts.
#[derive(Debug, Clone)]
pub(crate) struct AppNamespace {
    pub name: String,
    pub apps: Vec<String>,
    /// Replicas of each app, in `apps` order.
    pub replicas: Vec<usize>,
}

const DEPARTMENTS: &[&str] = &[
    "finance",
    "ads",
    "search",
    "payments",
    "risk",
    "growth",
    "supply",
    "pricing",
    "fraud",
    "billing",
    "catalog",
    "media",
    "travel",
    "health",
    "retail",
    "logistics",
    "marketing",
    "security",
    "support",
    "identity",
];
const FUNCTIONS: &[&str] = &[
    "reporting",
    "forecast",
    "ranking",
    "ledger",
    "scoring",
    "features",
    "audit",
    "insights",
    "metrics",
    "ingest",
    "curation",
    "experiments",
    "planning",
    "quality",
    "exports",
    "models",
    "signals",
    "archive",
    "recon",
    "sessions",
];
const APP_WORDS: &[&str] = &[
    "api",
    "worker",
    "gateway",
    "scheduler",
    "cache",
    "indexer",
    "notifier",
    "sync",
    "router",
    "collector",
    "renderer",
    "validator",
    "exporter",
    "broker",
    "proxy",
    "crawler",
];

/// The whole synthetic deployment.
#[derive(Debug, Clone)]
pub(crate) struct World {
    pub scale: Scale,
    pub seed: u64,
    pub tenants: Vec<Tenant>,
    pub apps: Vec<AppNamespace>,
    /// Worker nodes of the synthetic node groups: (node group, node name, instance id, ip).
    pub nodes: Vec<Node>,
    pub nodegroups: Vec<String>,
}

/// A synthetic worker node.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub nodegroup: usize,
    pub name: String,
    pub instance_id: String,
    pub ip: String,
    pub zone: usize,
}

/// Namespaces, roles and the like that the lab brings (counted against the targets).
const LAB_NAMESPACES: usize = 8;
const LAB_PODS: usize = 9;
/// Pods of one running EMR job: job runner, driver, executors.
pub(crate) const EXECUTORS_PER_JOB: usize = 6;
/// Running jobs per synthetic virtual cluster.
pub(crate) const RUNNING_JOBS: usize = 2;
/// Pods per node (for sizing the node groups).
const PODS_PER_NODE: usize = 50;
/// DaemonSet pods per node (aws-node and kube-proxy).
pub(crate) const DAEMON_PODS_PER_NODE: usize = 2;
/// RBAC objects per application (a Role and a RoleBinding for each of three purposes).
pub(crate) const RBAC_PER_APP: usize = 6;
/// RBAC objects per EMR namespace besides the tenant's own.
const RBAC_PER_EMR_NAMESPACE: usize = 8;

impl World {
    pub(crate) fn new(size: Size, seed: u64) -> Self {
        let scale = Scale::of(size);
        let mut rng = Rng::new(seed, 1);

        // Tenant names: distinct department-function pairs in a seeded order.
        let mut names: Vec<String> = DEPARTMENTS
            .iter()
            .flat_map(|d| FUNCTIONS.iter().map(move |f| format!("{d}-{f}")))
            .collect();
        rng.shuffle(&mut names);
        let second_vc = scale.virtual_clusters.saturating_sub(scale.tenants);
        let mut tenants: Vec<Tenant> = names
            .iter()
            .take(scale.tenants)
            .enumerate()
            .map(|(index, name)| {
                let mut namespaces = vec![format!("emr-{name}")];
                if index < second_vc {
                    namespaces.push(format!("emr-{name}-adhoc"));
                }
                let vc_ids = namespaces.iter().map(|_| rng.base36(25)).collect();
                let role = format!("emr-{name}-execution");
                Tenant {
                    index,
                    name: name.clone(),
                    namespaces,
                    vc_ids,
                    role_b36: base36_encode(&role),
                    role,
                    submitter: format!("{name}-data-engineer"),
                    bucket: format!("analytics-{name}-data"),
                    log_group: format!("/emr-on-eks/{name}"),
                    endpoint: None,
                    plants: BTreeSet::new(),
                    shared_vc_id: None,
                    jobs: Vec::new(),
                    template_id: String::new(),
                    parametric_template_id: None,
                }
            })
            .collect();

        // Plants: each kind `plants_per_kind` times, dealt over the tenants in a seeded
        // order so that kinds land on different tenants while there are enough of them.
        let mut order: Vec<usize> = (0..tenants.len()).collect();
        rng.shuffle(&mut order);
        let mut slot = 0;
        for _ in 0..scale.plants_per_kind {
            for plant in Plant::ALL {
                // Endpoint plants need distinct endpoints: skip tenants that already have one
                // (unless every tenant has).
                let mut tries = 0;
                while let Some(&t) = order.get(slot % order.len().max(1)) {
                    slot += 1;
                    tries += 1;
                    let Some(tenant) = tenants.get_mut(t) else {
                        break;
                    };
                    let taken =
                        plant.needs_endpoint() && tenant.plants.iter().any(|p| p.needs_endpoint());
                    if !taken || tries > order.len() {
                        tenant.plants.insert(plant);
                        break;
                    }
                }
            }
        }

        // Managed endpoints: every tenant with an endpoint plant, and one in fifteen others.
        for tenant in &mut tenants {
            let wants = tenant.plants.iter().any(|p| p.needs_endpoint()) || tenant.index % 15 == 7;
            if wants {
                tenant.endpoint = Some(Endpoint {
                    id: rng.base36(25),
                    name: format!("studio-{}", tenant.name),
                    security_group: format!("sg-0{}", rng.hex(16)),
                    load_balancer: format!(
                        "k8s-emr{}-studio{}-{}",
                        short(&tenant.name, 6),
                        short(&tenant.name, 2),
                        rng.hex(10)
                    ),
                    load_balancer_suffix: rng.hex(16),
                });
            }
            if tenant.has(Plant::SharedNamespace) {
                tenant.shared_vc_id = Some(rng.base36(25));
            }
            tenant.template_id = rng.base36(25);
            if tenant.has(Plant::ParametricTemplate) {
                tenant.parametric_template_id = Some(rng.base36(25));
            }
            for ns_index in 0..tenant.namespaces.len() {
                let mut jobs: Vec<Job> = (0..RUNNING_JOBS + scale.job_history)
                    .map(|k| {
                        // EMR job-run ids: `00000003` and eleven base36 characters.
                        let id = format!("00000003{}", rng.base36(11));
                        let running = k < RUNNING_JOBS;
                        Job {
                            id,
                            name: JOB_NAMES[rng.below(JOB_NAMES.len())].to_owned(),
                            running,
                            days_ago: if running { 0 } else { k },
                            second: rng.below(86_000),
                            release: if k % 2 == 0 {
                                CURRENT_RELEASE.to_owned()
                            } else {
                                "emr-7.12.0-20251111".to_owned()
                            },
                            image_tag: None,
                        }
                    })
                    .collect();
                if ns_index == 0 {
                    // Release and image plants go on completed runs of the first namespace.
                    let planted = [
                        (Plant::OutdatedRelease, RUNNING_JOBS),
                        (Plant::EndOfSupportRelease, RUNNING_JOBS + 1),
                        (Plant::MutableImageTag, RUNNING_JOBS + 2),
                    ];
                    for (plant, at) in planted {
                        let Some(job) = jobs.get_mut(at) else {
                            continue;
                        };
                        match plant {
                            _ if !tenant.plants.contains(&plant) => {}
                            Plant::OutdatedRelease => job.release = "emr-7.10.0-20250620".into(),
                            Plant::EndOfSupportRelease => job.release = "emr-6.15.0-latest".into(),
                            _ => {
                                job.image_tag = Some(format!(
                                    "{ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com/{}/spark-jobs:3.{}.{}",
                                    tenant.name,
                                    rng.below(9),
                                    rng.below(20)
                                ));
                            }
                        }
                    }
                }
                tenant.jobs.push(jobs);
            }
        }

        // Application namespaces fill the namespace, pod and RBAC targets.
        let emr_namespaces: usize = tenants.iter().map(|t| t.namespaces.len()).sum();
        let app_namespaces = scale
            .namespaces
            .saturating_sub(emr_namespaces + LAB_NAMESPACES + 1)
            .max(1);
        let emr_rbac = emr_namespaces * RBAC_PER_EMR_NAMESPACE;
        let apps_per_ns = (scale.rbac_objects.saturating_sub(emr_rbac + 60)
            / (app_namespaces * RBAC_PER_APP))
            .clamp(1, APP_WORDS.len());
        let nodes_count = (scale.pods / PODS_PER_NODE).max(4);
        let emr_pods = emr_namespaces * RUNNING_JOBS * (2 + EXECUTORS_PER_JOB);
        let app_pods = scale
            .pods
            .saturating_sub(emr_pods + LAB_PODS + nodes_count * DAEMON_PODS_PER_NODE);
        let app_slots = app_namespaces * apps_per_ns;
        let base_replicas = (app_pods / app_slots).max(1);
        // The remainder goes one pod each to the first apps, so the pod target is met exactly.
        let extra_replicas = if app_pods / app_slots == 0 {
            0
        } else {
            app_pods % app_slots
        };
        let mut used: BTreeSet<String> =
            tenants.iter().flat_map(|t| t.namespaces.clone()).collect();
        let mut apps = Vec::with_capacity(app_namespaces);
        let mut n = 0usize;
        while apps.len() < app_namespaces {
            let base = format!(
                "{}-{}",
                DEPARTMENTS[rng.below(DEPARTMENTS.len())],
                APP_WORDS[rng.below(APP_WORDS.len())]
            );
            n += 1;
            let name = if used.contains(&base) {
                format!("{base}-{n}")
            } else {
                base
            };
            if !used.insert(name.clone()) {
                continue;
            }
            let mut words: Vec<&str> = APP_WORDS.to_vec();
            rng.shuffle(&mut words);
            let first_slot = apps.len() * apps_per_ns;
            apps.push(AppNamespace {
                name,
                apps: words
                    .iter()
                    .take(apps_per_ns)
                    .map(|w| (*w).to_owned())
                    .collect(),
                replicas: (0..apps_per_ns)
                    .map(|i| base_replicas + usize::from(first_slot + i < extra_replicas))
                    .collect(),
            });
        }

        let nodegroup_count = (nodes_count / 200).clamp(2, 12);
        let nodegroups = (0..nodegroup_count)
            .map(|i| format!("ng-workers-{}", i + 1))
            .collect();
        let nodes = (0..nodes_count)
            .map(|i| {
                let zone = i % 3;
                let ip = format!("10.40.{}.{}", zone * 16 + 1 + (i / 250) % 15, 10 + i % 240);
                Node {
                    nodegroup: i % nodegroup_count,
                    name: format!("ip-{}.us-west-2.compute.internal", ip.replace('.', "-")),
                    instance_id: format!("i-0{}", rng.hex(16)),
                    ip,
                    zone,
                }
            })
            .collect();

        Self {
            scale,
            seed,
            tenants,
            apps,
            nodes,
            nodegroups,
        }
    }

    /// The tenant whose role a mismatched service account of `tenant` names (its neighbour).
    pub(crate) fn other_tenant<'a>(&'a self, tenant: &'a Tenant) -> &'a Tenant {
        let next = (tenant.index + 1) % self.tenants.len().max(1);
        self.tenants.get(next).unwrap_or(tenant)
    }
}

/// The first `n` letters of a name without dashes (load balancer names).
fn short(name: &str, n: usize) -> String {
    name.chars().filter(|c| *c != '-').take(n).collect()
}
