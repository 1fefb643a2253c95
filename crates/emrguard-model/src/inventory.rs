//! The inventory: every loaded object, sorted, with indexes and the derived EMR view.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::aws::{
    AccessEntry, CloudTrailEvent, EksCluster, IamGroup, IamRole, IamUser, Instance, JobRun,
    JobTemplate, LaunchTemplateSpec, LaunchTemplateVersion, LoadBalancer, ManagedEndpoint,
    ManagedPolicy, Nodegroup, PodIdentityAssociation, RouteTable, SecurityGroup, Subnet,
    VirtualCluster,
};
use crate::emr::{
    is_emr_operator_service_account, is_emr_service_linked_role, parse_emr_service_account,
    EmrServiceAccountName,
};
use crate::k8s::{
    ConfigMap, Namespace, NetworkPolicy, Node, Pod, Role, RoleBinding, Secret, Service,
    ServiceAccount, WebhookConfiguration, Workload,
};
use crate::source::Source;

/// One `mapRoles` / `mapUsers` entry of `kube-system/aws-auth`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwsAuthMapping {
    /// `rolearn` or `userarn`.
    pub arn: String,
    /// `username` (may contain `{{SessionName}}`, `{{EC2PrivateDNSName}}`, `{{AccountID}}`).
    pub username: Option<String>,
    /// `groups`.
    pub groups: Vec<String>,
}

/// The parsed `kube-system/aws-auth` ConfigMap.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwsAuth {
    /// `mapRoles`.
    pub map_roles: Vec<AwsAuthMapping>,
    /// `mapUsers`.
    pub map_users: Vec<AwsAuthMapping>,
    /// `mapAccounts`.
    pub map_accounts: Vec<String>,
    /// Where it was read from.
    pub source: Source,
}

/// A file the loader did not use, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SkippedFile {
    /// Path relative to the snapshot root.
    pub file: String,
    /// Why it was skipped.
    pub reason: String,
}

/// A part of the deployment the snapshot says nothing about, and what that costs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CoverageGap {
    /// Short area name, e.g. `iam`.
    pub area: String,
    /// What is missing and which checks are skipped.
    pub message: String,
}

/// Names of the kinds of data a snapshot can contain (values of [`Inventory::present`]).
pub mod area {
    /// Namespaces.
    pub const NAMESPACES: &str = "namespaces";
    /// Roles, ClusterRoles and their bindings.
    pub const RBAC: &str = "rbac";
    /// ServiceAccounts.
    pub const SERVICE_ACCOUNTS: &str = "service-accounts";
    /// ConfigMaps.
    pub const CONFIG_MAPS: &str = "configmaps";
    /// Secrets (metadata only).
    pub const SECRETS: &str = "secrets";
    /// Pods.
    pub const PODS: &str = "pods";
    /// Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs.
    pub const WORKLOADS: &str = "workloads";
    /// Mutating and validating webhook configurations.
    pub const WEBHOOKS: &str = "webhooks";
    /// Services.
    pub const SERVICES: &str = "services";
    /// NetworkPolicies.
    pub const NETWORK_POLICIES: &str = "network-policies";
    /// Nodes.
    pub const NODES: &str = "nodes";
    /// `kube-system/aws-auth`.
    pub const AWS_AUTH: &str = "aws-auth";
    /// `iam get-account-authorization-details`.
    pub const IAM: &str = "iam";
    /// `eks describe-cluster`.
    pub const EKS_CLUSTER: &str = "eks-cluster";
    /// `eks describe-nodegroup`.
    pub const NODEGROUPS: &str = "nodegroups";
    /// EKS access entries.
    pub const ACCESS_ENTRIES: &str = "access-entries";
    /// EKS Pod Identity associations.
    pub const POD_IDENTITY: &str = "pod-identity";
    /// EMR virtual clusters.
    pub const VIRTUAL_CLUSTERS: &str = "virtual-clusters";
    /// EMR managed endpoints.
    pub const MANAGED_ENDPOINTS: &str = "managed-endpoints";
    /// EMR job runs.
    pub const JOB_RUNS: &str = "job-runs";
    /// EMR job templates.
    pub const JOB_TEMPLATES: &str = "job-templates";
    /// EC2 subnets.
    pub const SUBNETS: &str = "subnets";
    /// EC2 route tables.
    pub const ROUTE_TABLES: &str = "route-tables";
    /// EC2 security groups.
    pub const SECURITY_GROUPS: &str = "security-groups";
    /// EC2 launch template versions.
    pub const LAUNCH_TEMPLATES: &str = "launch-templates";
    /// EC2 instances.
    pub const INSTANCES: &str = "instances";
    /// ELBv2 load balancers.
    pub const LOAD_BALANCERS: &str = "load-balancers";
    /// CloudTrail events.
    pub const CLOUDTRAIL: &str = "cloudtrail";
}

/// Everything loaded from one snapshot (or live), sorted deterministically.
#[derive(Debug, Clone, Default)]
#[allow(missing_docs)]
pub struct Inventory {
    // Kubernetes
    pub namespaces: Vec<Namespace>,
    pub service_accounts: Vec<ServiceAccount>,
    pub roles: Vec<Role>,
    pub cluster_roles: Vec<Role>,
    pub role_bindings: Vec<RoleBinding>,
    pub cluster_role_bindings: Vec<RoleBinding>,
    pub config_maps: Vec<ConfigMap>,
    pub secrets: Vec<Secret>,
    pub pods: Vec<Pod>,
    pub workloads: Vec<Workload>,
    pub webhook_configurations: Vec<WebhookConfiguration>,
    pub services: Vec<Service>,
    pub network_policies: Vec<NetworkPolicy>,
    pub nodes: Vec<Node>,
    pub aws_auth: Option<AwsAuth>,
    // IAM
    pub iam_users: Vec<IamUser>,
    pub iam_groups: Vec<IamGroup>,
    pub iam_roles: Vec<IamRole>,
    pub managed_policies: Vec<ManagedPolicy>,
    // EKS
    pub clusters: Vec<EksCluster>,
    pub nodegroups: Vec<Nodegroup>,
    pub access_entries: Vec<AccessEntry>,
    pub pod_identity_associations: Vec<PodIdentityAssociation>,
    // EMR
    pub virtual_clusters: Vec<VirtualCluster>,
    pub managed_endpoints: Vec<ManagedEndpoint>,
    pub job_runs: Vec<JobRun>,
    pub job_templates: Vec<JobTemplate>,
    // EC2 / ELB
    pub subnets: Vec<Subnet>,
    pub route_tables: Vec<RouteTable>,
    pub security_groups: Vec<SecurityGroup>,
    pub launch_template_versions: Vec<LaunchTemplateVersion>,
    pub instances: Vec<Instance>,
    pub load_balancers: Vec<LoadBalancer>,
    // CloudTrail
    pub cloudtrail_events: Vec<CloudTrailEvent>,
    /// Which kinds of data the snapshot contained (e.g. `iam`, `eks-cluster`, `rbac`).
    pub present: BTreeSet<String>,
    /// Files not used.
    pub skipped: Vec<SkippedFile>,
    /// Non-fatal problems met while loading.
    pub warnings: Vec<String>,
    index: Index,
}

use crate::hash::HashMap as FastMap;

#[derive(Debug, Clone, Default)]
struct Index {
    role_by_arn: FastMap<String, usize>,
    role_by_name: FastMap<String, usize>,
    user_by_arn: FastMap<String, usize>,
    group_by_name: FastMap<String, usize>,
    policy_by_arn: FastMap<String, usize>,
    service_account: FastMap<(String, String), usize>,
    namespace: FastMap<String, usize>,
    security_group: FastMap<String, usize>,
    subnet: FastMap<String, usize>,
    /// Normalised principal ARN to its mappings, in [`Inventory::kubernetes_identities`]
    /// order; `None` until [`Inventory::finalize`] runs.
    identities: Option<FastMap<String, Vec<MappingRef>>>,
}

/// Where an identity mapping is: aws-auth `mapRoles`, `mapUsers`, or an access entry.
#[derive(Debug, Clone, Copy)]
enum MappingRef {
    MapRole(usize),
    MapUser(usize),
    AccessEntry(usize),
}

/// A stable sort that sorts indexes, then puts the elements in place with at most one swap per
/// element: the lists hold large structs, which a comparison sort would move many times, and
/// a sorted copy would touch as much new memory again. Already sorted lists are left as they
/// are.
fn sort_stable<T>(items: &mut [T], cmp: impl Fn(&T, &T) -> std::cmp::Ordering) {
    if items.is_sorted_by(|a, b| cmp(a, b).is_le()) {
        return;
    }
    // order[k]: the index of the element that belongs at k.
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| match (items.get(a), items.get(b)) {
        (Some(a), Some(b)) => cmp(a, b),
        _ => std::cmp::Ordering::Equal,
    });
    permute(items, &mut order);
}

/// Puts the element at `order[k]` at `k` for every `k`, following each cycle of the
/// permutation with swaps. `order` is left as the identity.
fn permute<T>(items: &mut [T], order: &mut [usize]) {
    for start in 0..order.len() {
        let mut at = start;
        while let Some(from) = order.get_mut(at).map(|slot| std::mem::replace(slot, at)) {
            // Back at the start of the cycle (or an element already in place): the element
            // that belongs here is here.
            if from == start || from == at {
                break;
            }
            if from < items.len() && at < items.len() {
                items.swap(at, from);
            }
            at = from;
        }
    }
}

/// A borrowed sort key: namespace (empty for cluster-scoped objects), then name.
fn meta_key(meta: &crate::k8s::ObjectMeta) -> (&str, &str) {
    (
        meta.namespace.as_deref().unwrap_or_default(),
        meta.name.as_str(),
    )
}

fn ns_name(meta: &crate::k8s::ObjectMeta) -> (String, String) {
    (
        meta.namespace.as_deref().unwrap_or_default().to_owned(),
        meta.name.to_string(),
    )
}

impl Inventory {
    /// Sorts every list deterministically and builds the indexes. Loaders call this once
    /// after the last object is added; call it again after any change.
    pub fn finalize(&mut self) {
        let sort_pods = |pods: &mut Vec<Pod>| {
            sort_stable(pods, |a, b| {
                meta_key(&a.metadata).cmp(&meta_key(&b.metadata))
            });
        };
        // Pods are by far the longest list (and pod files, one per namespace, are not in
        // namespace order): they are sorted on another thread while the rest are sorted here.
        /// Below this many pods a thread costs more than it saves.
        const PODS_ON_THEIR_OWN_THREAD: usize = 4096;
        let mut pods = std::mem::take(&mut self.pods);
        let pods_sorted = std::thread::scope(|scope| {
            let sorter = (pods.len() >= PODS_ON_THEIR_OWN_THREAD)
                .then(|| {
                    std::thread::Builder::new()
                        .spawn_scoped(scope, || sort_pods(&mut pods))
                        .ok()
                })
                .flatten();
            self.sort_lists_but_pods();
            sorter.is_some_and(|h| h.join().is_ok())
        });
        if !pods_sorted {
            sort_pods(&mut pods);
        }
        self.pods = pods;
        self.build_indexes();
    }

    fn sort_lists_but_pods(&mut self) {
        macro_rules! sort_meta {
            ($($field:ident),*) => {$(
                sort_stable(&mut self.$field, |a, b| meta_key(&a.metadata).cmp(&meta_key(&b.metadata)));
            )*};
        }
        sort_meta!(
            namespaces,
            service_accounts,
            roles,
            cluster_roles,
            role_bindings,
            cluster_role_bindings,
            config_maps,
            secrets,
            webhook_configurations,
            services,
            network_policies,
            nodes
        );
        sort_stable(&mut self.workloads, |a, b| {
            (meta_key(&a.metadata), a.kind).cmp(&(meta_key(&b.metadata), b.kind))
        });
        sort_stable(&mut self.webhook_configurations, |a, b| {
            (a.kind, &a.metadata.name).cmp(&(b.kind, &b.metadata.name))
        });
        sort_stable(&mut self.iam_users, |a, b| a.arn.cmp(&b.arn));
        sort_stable(&mut self.iam_groups, |a, b| a.arn.cmp(&b.arn));
        sort_stable(&mut self.iam_roles, |a, b| a.arn.cmp(&b.arn));
        sort_stable(&mut self.managed_policies, |a, b| a.arn.cmp(&b.arn));
        sort_stable(&mut self.clusters, |a, b| a.name.cmp(&b.name));
        sort_stable(&mut self.nodegroups, |a, b| {
            a.nodegroup_name.cmp(&b.nodegroup_name)
        });
        sort_stable(&mut self.access_entries, |a, b| {
            a.principal_arn.cmp(&b.principal_arn)
        });
        sort_stable(&mut self.pod_identity_associations, |a, b| {
            (&a.namespace, &a.service_account, &a.association_id).cmp(&(
                &b.namespace,
                &b.service_account,
                &b.association_id,
            ))
        });
        sort_stable(&mut self.virtual_clusters, |a, b| a.id.cmp(&b.id));
        sort_stable(&mut self.managed_endpoints, |a, b| a.id.cmp(&b.id));
        sort_stable(&mut self.job_runs, |a, b| {
            (&a.virtual_cluster_id, &a.id).cmp(&(&b.virtual_cluster_id, &b.id))
        });
        sort_stable(&mut self.job_templates, |a, b| a.id.cmp(&b.id));
        sort_stable(&mut self.subnets, |a, b| a.subnet_id.cmp(&b.subnet_id));
        sort_stable(&mut self.route_tables, |a, b| {
            a.route_table_id.cmp(&b.route_table_id)
        });
        sort_stable(&mut self.security_groups, |a, b| {
            a.group_id.cmp(&b.group_id)
        });
        sort_stable(&mut self.launch_template_versions, |a, b| {
            (&a.launch_template_id, a.version_number)
                .cmp(&(&b.launch_template_id, b.version_number))
        });
        sort_stable(&mut self.instances, |a, b| {
            a.instance_id.cmp(&b.instance_id)
        });
        sort_stable(&mut self.load_balancers, |a, b| {
            a.load_balancer_arn.cmp(&b.load_balancer_arn)
        });
        sort_stable(&mut self.cloudtrail_events, |a, b| {
            (
                &a.event_time,
                &a.principal_arn,
                &a.event_source,
                &a.event_name,
            )
                .cmp(&(
                    &b.event_time,
                    &b.principal_arn,
                    &b.event_source,
                    &b.event_name,
                ))
        });
        self.skipped.sort();
        self.warnings.sort();
        self.warnings.dedup();
    }

    fn build_indexes(&mut self) {
        let mut index = Index::default();
        for (i, r) in self.iam_roles.iter().enumerate() {
            index.role_by_arn.insert(r.arn.clone(), i);
            index.role_by_name.insert(r.role_name.clone(), i);
        }
        for (i, u) in self.iam_users.iter().enumerate() {
            index.user_by_arn.insert(u.arn.clone(), i);
        }
        for (i, g) in self.iam_groups.iter().enumerate() {
            index.group_by_name.insert(g.group_name.clone(), i);
        }
        for (i, p) in self.managed_policies.iter().enumerate() {
            index.policy_by_arn.insert(p.arn.clone(), i);
        }
        for (i, sa) in self.service_accounts.iter().enumerate() {
            index.service_account.insert(ns_name(&sa.metadata), i);
        }
        for (i, ns) in self.namespaces.iter().enumerate() {
            index.namespace.insert(ns.metadata.name.to_string(), i);
        }
        for (i, sg) in self.security_groups.iter().enumerate() {
            index.security_group.insert(sg.group_id.clone(), i);
        }
        for (i, s) in self.subnets.iter().enumerate() {
            index.subnet.insert(s.subnet_id.clone(), i);
        }
        let mut identities: FastMap<String, Vec<MappingRef>> = FastMap::default();
        if let Some(auth) = &self.aws_auth {
            for (i, m) in auth.map_roles.iter().enumerate() {
                let key = normalise_principal_arn(&m.arn);
                identities
                    .entry(key)
                    .or_default()
                    .push(MappingRef::MapRole(i));
            }
            for (i, m) in auth.map_users.iter().enumerate() {
                let key = normalise_principal_arn(&m.arn);
                identities
                    .entry(key)
                    .or_default()
                    .push(MappingRef::MapUser(i));
            }
        }
        for (i, e) in self.access_entries.iter().enumerate() {
            let key = normalise_principal_arn(&e.principal_arn);
            identities
                .entry(key)
                .or_default()
                .push(MappingRef::AccessEntry(i));
        }
        index.identities = Some(identities);
        self.index = index;
    }

    /// An IAM role by ARN. Also accepts the path-less form of a pathed role's ARN, as aws-auth
    /// and EKS write them.
    pub fn role_by_arn(&self, arn: &str) -> Option<&IamRole> {
        if let Some(&i) = self.index.role_by_arn.get(arn) {
            return self.iam_roles.get(i);
        }
        let name = crate::emr::role_name_from_arn(arn);
        let role = self.role_by_name(name)?;
        let account = |a: &str| a.split(':').nth(4).map(str::to_owned);
        (account(&role.arn) == account(arn) && arn.contains(":role/")).then_some(role)
    }

    /// An IAM role by name.
    pub fn role_by_name(&self, name: &str) -> Option<&IamRole> {
        self.index
            .role_by_name
            .get(name)
            .and_then(|&i| self.iam_roles.get(i))
    }

    /// An IAM user by ARN.
    pub fn user_by_arn(&self, arn: &str) -> Option<&IamUser> {
        self.index
            .user_by_arn
            .get(arn)
            .and_then(|&i| self.iam_users.get(i))
    }

    /// An IAM group by name.
    pub fn group_by_name(&self, name: &str) -> Option<&IamGroup> {
        self.index
            .group_by_name
            .get(name)
            .and_then(|&i| self.iam_groups.get(i))
    }

    /// A managed policy by ARN.
    pub fn policy_by_arn(&self, arn: &str) -> Option<&ManagedPolicy> {
        self.index
            .policy_by_arn
            .get(arn)
            .and_then(|&i| self.managed_policies.get(i))
    }

    /// The launch template version a node group's `launchTemplate` names (`$Default`, or no
    /// version, and `$Latest` resolved); `None` when that version is not in the snapshot.
    pub fn launch_template_version(
        &self,
        spec: &LaunchTemplateSpec,
    ) -> Option<&LaunchTemplateVersion> {
        let of_template = |v: &&LaunchTemplateVersion| {
            (spec.id.is_some() && v.launch_template_id == spec.id)
                || (spec.name.is_some() && v.launch_template_name == spec.name)
        };
        let mut versions = self.launch_template_versions.iter().filter(of_template);
        match spec.version.as_deref().map(str::trim) {
            None | Some("$Default") => versions.find(|v| v.default_version == Some(true)),
            Some("$Latest") => versions.max_by_key(|v| v.version_number),
            Some(n) => {
                let n: i64 = n.parse().ok()?;
                versions.find(|v| v.version_number == Some(n))
            }
        }
    }

    /// A service account by namespace and name.
    pub fn service_account(&self, namespace: &str, name: &str) -> Option<&ServiceAccount> {
        self.index
            .service_account
            .get(&(namespace.to_owned(), name.to_owned()))
            .and_then(|&i| self.service_accounts.get(i))
    }

    /// A namespace by name.
    pub fn namespace(&self, name: &str) -> Option<&Namespace> {
        self.index
            .namespace
            .get(name)
            .and_then(|&i| self.namespaces.get(i))
    }

    /// A security group by id.
    pub fn security_group(&self, id: &str) -> Option<&SecurityGroup> {
        self.index
            .security_group
            .get(id)
            .and_then(|&i| self.security_groups.get(i))
    }

    /// A subnet by id.
    pub fn subnet(&self, id: &str) -> Option<&Subnet> {
        self.index.subnet.get(id).and_then(|&i| self.subnets.get(i))
    }

    /// The EKS cluster the snapshot is about (the first, when there are several).
    pub fn cluster(&self) -> Option<&EksCluster> {
        self.clusters.first()
    }

    /// The AWS account id, from the cluster ARN or, failing that, any IAM role ARN.
    pub fn account_id(&self) -> Option<&str> {
        self.cluster().and_then(EksCluster::account_id).or_else(|| {
            self.iam_roles
                .first()
                .and_then(|r| r.arn.split(':').nth(4))
                .filter(|a| !a.is_empty())
        })
    }

    /// The partition (`aws` unless the cluster ARN says otherwise).
    pub fn partition(&self) -> &str {
        self.cluster().map_or("aws", EksCluster::partition)
    }

    /// Whether the snapshot contained a kind of data (`iam`, `rbac`, `eks-cluster`, ...).
    pub fn has(&self, area: &str) -> bool {
        self.present.contains(area)
    }

    /// What the snapshot lacks, and which checks that silences. Empty for a complete snapshot.
    pub fn coverage_gaps(&self) -> Vec<CoverageGap> {
        use area::*;
        let gaps: &[(&str, &str)] = &[
            (RBAC, "no Roles, ClusterRoles or bindings: RBAC checks (practice 6), who-can and the Kubernetes half of attack paths are skipped"),
            (IAM, "no IAM data (iam get-account-authorization-details): execution-role, trust-policy, submitter and node-role checks are skipped"),
            (EKS_CLUSTER, "no EKS cluster (eks describe-cluster): the OIDC issuer, account and subnets are unknown; trust-policy scoping and endpoint subnet checks are skipped"),
            (VIRTUAL_CLUSTERS, "no EMR virtual clusters (emr-containers list-virtual-clusters): EMR namespaces are unknown, so namespace-scoped checks cannot tell EMR namespaces apart"),
            (PODS, "no pods: hostNetwork, static-key and kube2iam/kiam pod checks are skipped"),
            (WORKLOADS, "no workloads (Deployments, DaemonSets, ...): kube2iam/kiam and aws-node checks are limited"),
            (SERVICE_ACCOUNTS, "no service accounts: IRSA annotation checks are skipped"),
            (CONFIG_MAPS, "no ConfigMaps: static-key checks on ConfigMaps are skipped"),
            (WEBHOOKS, "no webhook configurations: admission-webhook reachability is unknown"),
            (NODEGROUPS, "no node groups (eks describe-nodegroup): node-role and IMDS checks are skipped"),
            (LAUNCH_TEMPLATES, "no launch template versions (ec2 describe-launch-template-versions): IMDS hop-limit and IMDSv1 checks are skipped"),
            (ACCESS_ENTRIES, "no EKS access entries (eks list-access-entries): principals mapped by access entries are unknown to can-i, who-can and attack paths"),
            (POD_IDENTITY, "no Pod Identity associations (eks list-pod-identity-associations): Pod Identity role checks are skipped"),
            (JOB_RUNS, "no job runs (emr-containers list-job-runs): image currency, static-key and job-history isolation checks are limited"),
            (MANAGED_ENDPOINTS, "no managed endpoints (emr-containers list-managed-endpoints): endpoint access checks (practice 2) are skipped"),
            (JOB_TEMPLATES, "no job templates (emr-containers list-job-templates): job-template execution-role checks are skipped"),
            (SECURITY_GROUPS, "no security groups (ec2 describe-security-groups): endpoint ingress checks are skipped"),
            (SUBNETS, "no subnets (ec2 describe-subnets): private-subnet checks are skipped"),
            (ROUTE_TABLES, "no route tables (ec2 describe-route-tables): subnets cannot be classified public or private"),
            (LOAD_BALANCERS, "no load balancers (elbv2 describe-load-balancers): endpoint load-balancer exposure checks are skipped"),
            (CLOUDTRAIL, "no CloudTrail events: unused-permission analysis of execution roles is skipped"),
        ];
        // Access entries do not exist in CONFIG_MAP mode, nor endpoints without virtual clusters.
        let config_map_only = self
            .cluster()
            .and_then(|c| c.access_config.as_ref())
            .and_then(|a| a.authentication_mode.as_deref())
            == Some("CONFIG_MAP");
        let no_virtual_clusters = self.has(VIRTUAL_CLUSTERS) && self.virtual_clusters.is_empty();
        gaps.iter()
            .filter(|(a, _)| !self.has(a))
            .filter(|(a, _)| !(*a == ACCESS_ENTRIES && config_map_only))
            .filter(|(a, _)| !(*a == MANAGED_ENDPOINTS && no_virtual_clusters))
            .map(|(a, m)| CoverageGap {
                area: (*a).to_owned(),
                message: (*m).to_owned(),
            })
            .collect()
    }

    /// Every Kubernetes identity an IAM principal ARN is mapped to, through aws-auth
    /// (`mapRoles`, `mapUsers`) and EKS access entries. `arn` may be a role, user or
    /// assumed-role ARN.
    pub fn kubernetes_identities(&self, arn: &str) -> Vec<MappedIdentity> {
        let wanted = normalise_principal_arn(arn);
        match &self.index.identities {
            Some(index) => index
                .get(&wanted)
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .filter_map(|&r| self.mapped_identity(r))
                .collect(),
            // Not finalized: look through every mapping.
            None => self
                .mapping_refs()
                .filter(|&r| {
                    self.mapping_arn(r)
                        .is_some_and(|a| normalise_principal_arn(a) == wanted)
                })
                .filter_map(|r| self.mapped_identity(r))
                .collect(),
        }
    }

    /// Every mapping, in aws-auth `mapRoles`, `mapUsers`, access entries order.
    fn mapping_refs(&self) -> impl Iterator<Item = MappingRef> + '_ {
        let (roles, users) = self
            .aws_auth
            .as_ref()
            .map_or((0, 0), |a| (a.map_roles.len(), a.map_users.len()));
        (0..roles)
            .map(MappingRef::MapRole)
            .chain((0..users).map(MappingRef::MapUser))
            .chain((0..self.access_entries.len()).map(MappingRef::AccessEntry))
    }

    fn mapping_arn(&self, r: MappingRef) -> Option<&str> {
        match r {
            MappingRef::MapRole(i) => self
                .aws_auth
                .as_ref()?
                .map_roles
                .get(i)
                .map(|m| m.arn.as_str()),
            MappingRef::MapUser(i) => self
                .aws_auth
                .as_ref()?
                .map_users
                .get(i)
                .map(|m| m.arn.as_str()),
            MappingRef::AccessEntry(i) => {
                self.access_entries.get(i).map(|e| e.principal_arn.as_str())
            }
        }
    }

    fn mapped_identity(&self, r: MappingRef) -> Option<MappedIdentity> {
        let from_auth = |auth: &AwsAuth, m: &AwsAuthMapping| MappedIdentity {
            principal_arn: m.arn.clone(),
            username: m.username.clone().unwrap_or_else(|| m.arn.clone()),
            groups: m.groups.clone(),
            via: MappingSource::AwsAuth,
            source: auth.source.clone(),
        };
        match r {
            MappingRef::MapRole(i) => {
                let auth = self.aws_auth.as_ref()?;
                auth.map_roles.get(i).map(|m| from_auth(auth, m))
            }
            MappingRef::MapUser(i) => {
                let auth = self.aws_auth.as_ref()?;
                auth.map_users.get(i).map(|m| from_auth(auth, m))
            }
            MappingRef::AccessEntry(i) => self.access_entries.get(i).map(|e| MappedIdentity {
                principal_arn: e.principal_arn.clone(),
                username: e
                    .username
                    .clone()
                    .unwrap_or_else(|| default_access_entry_username(&e.principal_arn)),
                groups: e.kubernetes_groups.clone(),
                via: MappingSource::AccessEntry,
                source: e.source.clone(),
            }),
        }
    }

    /// Every IAM-to-Kubernetes identity mapping in the snapshot.
    pub fn identity_mappings(&self) -> Vec<MappedIdentity> {
        // Each mapping's own ARN is among those looked up, so the union over every mapped
        // ARN of its identities is every mapping once.
        let mut out: Vec<MappedIdentity> = self
            .mapping_refs()
            .filter_map(|r| self.mapped_identity(r))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Derives the EMR view: virtual clusters, their namespaces, execution roles, EMR-managed
    /// service accounts and EMR's own identities.
    pub fn emr_view(&self) -> EmrView {
        let mut view = EmrView::default();
        for vc in &self.virtual_clusters {
            let ns = vc.namespace().map(str::to_owned);
            if vc.is_active() {
                if let Some(ns) = &ns {
                    view.namespaces.insert(ns.clone());
                }
            }
            view.virtual_clusters.push(VirtualClusterView {
                id: vc.id.clone(),
                name: vc.name.clone(),
                namespace: ns,
                state: vc.state.clone(),
                eks_cluster: vc.container_provider.id.clone(),
            });
        }
        let vc_ns: HashMap<&str, &str> = self
            .virtual_clusters
            .iter()
            .filter_map(|vc| vc.namespace().map(|ns| (vc.id.as_str(), ns)))
            .collect();
        let mut add = |arn: &str, use_: ExecutionRoleUse| {
            view.execution_roles
                .entry(arn.to_owned())
                .or_default()
                .insert(use_);
        };
        for jr in &self.job_runs {
            if let Some(arn) = &jr.execution_role_arn {
                add(
                    arn,
                    ExecutionRoleUse {
                        via: "job-run".into(),
                        namespace: vc_ns
                            .get(jr.virtual_cluster_id.as_str())
                            .map(|s| (*s).to_owned()),
                        object: jr.id.clone(),
                    },
                );
            }
        }
        for ep in &self.managed_endpoints {
            if let Some(arn) = &ep.execution_role_arn {
                add(
                    arn,
                    ExecutionRoleUse {
                        via: "managed-endpoint".into(),
                        namespace: vc_ns
                            .get(ep.virtual_cluster_id.as_str())
                            .map(|s| (*s).to_owned()),
                        object: ep.id.clone(),
                    },
                );
            }
        }
        for jt in &self.job_templates {
            if let Some(arn) = jt
                .job_template_data
                .as_ref()
                .and_then(|d| d.execution_role_arn.as_ref())
                .filter(|a| !a.contains("${"))
            {
                add(
                    arn,
                    ExecutionRoleUse {
                        via: "job-template".into(),
                        namespace: None,
                        object: jt.id.clone(),
                    },
                );
            }
        }
        for role in &self.iam_roles {
            let Some(trust) = &role.assume_role_policy_document else {
                continue;
            };
            for st in &trust.statements {
                for values in st.condition.values().flat_map(BTreeMap::values) {
                    for v in values {
                        if let Some(rest) = v.strip_prefix("system:serviceaccount:") {
                            if let Some((ns, sa)) = rest.split_once(':') {
                                if sa.starts_with("emr-containers-sa-") {
                                    add(
                                        &role.arn,
                                        ExecutionRoleUse {
                                            via: "trust-policy".into(),
                                            namespace: Some(ns.to_owned()),
                                            object: role.role_name.clone(),
                                        },
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
        let partition = self.partition().to_owned();
        for sa in &self.service_accounts {
            let ns = sa.metadata.namespace.clone().unwrap_or_default();
            if let Some(parsed) = parse_emr_service_account(&sa.metadata.name) {
                if let Some(arn) = parsed.role_arn(&partition) {
                    let arn = self.role_by_arn(&arn).map_or(arn, |r| r.arn.clone());
                    add(
                        &arn,
                        ExecutionRoleUse {
                            via: "service-account-name".into(),
                            namespace: Some(ns.to_string()),
                            object: sa.metadata.name.to_string(),
                        },
                    );
                }
                view.service_accounts.push(EmrServiceAccountView {
                    namespace: ns.to_string(),
                    name: sa.metadata.name.to_string(),
                    parsed: Some(parsed),
                });
            } else if is_emr_operator_service_account(&sa.metadata.name) {
                view.service_accounts.push(EmrServiceAccountView {
                    namespace: ns.to_string(),
                    name: sa.metadata.name.to_string(),
                    parsed: None,
                });
            }
        }
        view.emr_principal_arns = self
            .identity_mappings()
            .into_iter()
            .filter(|m| is_emr_service_linked_role(&m.principal_arn))
            .map(|m| m.principal_arn)
            .collect();
        view
    }
}

/// How an IAM principal got a Kubernetes identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MappingSource {
    /// `kube-system/aws-auth`.
    AwsAuth,
    /// An EKS access entry.
    AccessEntry,
}

/// An IAM principal's Kubernetes identity.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MappedIdentity {
    /// The IAM principal ARN as written in the mapping.
    pub principal_arn: String,
    /// Kubernetes username (templates such as `{{SessionName}}` left as written).
    pub username: String,
    /// Kubernetes groups.
    pub groups: Vec<String>,
    /// Which mechanism.
    pub via: MappingSource,
    /// Where the mapping was read from.
    pub source: Source,
}

/// EKS's default username for an access entry without one.
pub fn default_access_entry_username(principal_arn: &str) -> String {
    // Roles: arn:aws:sts::ACCT:assumed-role/NAME/{{SessionName}}; users: the user ARN.
    let parts: Vec<&str> = principal_arn.splitn(6, ':').collect();
    if let [_, partition, _, _, account, resource] = parts.as_slice() {
        if let Some(role_path) = resource.strip_prefix("role/") {
            let name = role_path.rsplit('/').next().unwrap_or(role_path);
            return format!(
                "arn:{partition}:sts::{account}:assumed-role/{name}/{{{{SessionName}}}}"
            );
        }
    }
    principal_arn.to_owned()
}

/// Reduces a principal ARN to a comparable form: assumed-role session ARNs become the role,
/// and role paths are dropped (aws-auth and access entries match on the path-less ARN).
pub fn normalise_principal_arn(arn: &str) -> String {
    // Split as `splitn(6, ':')` would, without collecting.
    let mut parts = arn.splitn(6, ':');
    let (Some(_), Some(partition), Some(service), Some(_), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return arn.to_owned();
    };
    let (kind, name) = if let Some(rest) = resource
        .strip_prefix("assumed-role/")
        .filter(|_| service == "sts")
    {
        ("role", rest.split('/').next().unwrap_or(rest))
    } else if let Some(role_path) = resource.strip_prefix("role/") {
        ("role", role_path.rsplit('/').next().unwrap_or(role_path))
    } else if let Some(user_path) = resource.strip_prefix("user/") {
        ("user", user_path.rsplit('/').next().unwrap_or(user_path))
    } else {
        return arn.to_owned();
    };
    let mut out = String::with_capacity(partition.len() + account.len() + name.len() + 16);
    for piece in ["arn:", partition, ":iam::", account, ":", kind, "/", name] {
        out.push_str(piece);
    }
    out
}

/// A virtual cluster as the EMR view shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VirtualClusterView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: Option<String>,
    /// Namespace.
    pub namespace: Option<String>,
    /// State.
    pub state: Option<String>,
    /// EKS cluster name.
    pub eks_cluster: Option<String>,
}

/// Evidence that a role is used as an execution role.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ExecutionRoleUse {
    /// `job-run`, `managed-endpoint`, `job-template`, `trust-policy` or `service-account-name`.
    pub via: String,
    /// The namespace it is used in, where known.
    pub namespace: Option<String>,
    /// The job run id, endpoint id, template id, role name or service-account name.
    pub object: String,
}

/// An EMR-managed service account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmrServiceAccountView {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// The parsed job SA name; `None` for fixed operator names.
    #[serde(skip)]
    pub parsed: Option<EmrServiceAccountName>,
}

/// The EMR on EKS view of an inventory.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EmrView {
    /// All virtual clusters.
    pub virtual_clusters: Vec<VirtualClusterView>,
    /// Namespaces of virtual clusters that are not terminated.
    pub namespaces: BTreeSet<String>,
    /// Execution role ARN to the evidence of its use.
    pub execution_roles: BTreeMap<String, BTreeSet<ExecutionRoleUse>>,
    /// EMR-managed service accounts present in the cluster.
    pub service_accounts: Vec<EmrServiceAccountView>,
    /// IAM principals (the EMR service-linked role) mapped into Kubernetes.
    pub emr_principal_arns: BTreeSet<String>,
}

impl EmrView {
    /// Whether `namespace` belongs to a live virtual cluster.
    pub fn is_emr_namespace(&self, namespace: &str) -> bool {
        self.namespaces.contains(namespace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The in-place sort gives what std's stable sort gives: keys in order, equal keys in
        /// their first order (checked on the original positions carried with each key).
        #[test]
        fn in_place_sort_is_a_stable_sort(keys in proptest::collection::vec(0u8..8, 0..200)) {
            let mut items: Vec<(u8, usize)> = keys.iter().copied().zip(0..).collect();
            let mut expected = items.clone();
            expected.sort_by_key(|&(key, _)| key);
            sort_stable(&mut items, |a, b| a.0.cmp(&b.0));
            proptest::prop_assert_eq!(items, expected);
        }
    }

    /// The quadratic definition the indexed methods must agree with.
    fn identities_by_scan(inv: &Inventory, arn: &str) -> Vec<MappedIdentity> {
        let wanted = normalise_principal_arn(arn);
        inv.mapping_refs()
            .filter(|&r| {
                inv.mapping_arn(r)
                    .is_some_and(|a| normalise_principal_arn(a) == wanted)
            })
            .filter_map(|r| inv.mapped_identity(r))
            .collect()
    }

    fn mapping_inventory() -> Inventory {
        let mapping = |arn: &str, user: Option<&str>, group: &str| AwsAuthMapping {
            arn: arn.to_owned(),
            username: user.map(str::to_owned),
            groups: vec![group.to_owned()],
        };
        let entry = |arn: &str, group: &str| AccessEntry {
            principal_arn: arn.to_owned(),
            kubernetes_groups: vec![group.to_owned()],
            ..AccessEntry::default()
        };
        let mut inv = Inventory {
            aws_auth: Some(AwsAuth {
                map_roles: vec![
                    mapping("arn:aws:iam::111122223333:role/team/dev", None, "a"),
                    mapping("arn:aws:iam::111122223333:role/ops", Some("ops"), "b"),
                    mapping("arn:aws:iam::111122223333:role/dev", Some("d2"), "c"),
                ],
                map_users: vec![mapping("arn:aws:iam::111122223333:user/x/alice", None, "d")],
                map_accounts: vec![],
                source: Source::new("aws-auth.yaml", Some(1)),
            }),
            access_entries: vec![
                entry("arn:aws:iam::111122223333:role/dev", "e"),
                entry("arn:aws:iam::111122223333:user/alice", "f"),
                entry("not-an-arn", "g"),
                entry("arn:aws:iam::111122223333:role/dev", "e"),
            ],
            ..Inventory::default()
        };
        inv.finalize();
        inv
    }

    #[test]
    fn identity_lookups_match_a_full_scan() {
        let inv = mapping_inventory();
        let mut unfinalized = inv.clone();
        unfinalized.index = Index::default();
        for arn in [
            "arn:aws:iam::111122223333:role/dev",
            "arn:aws:sts::111122223333:assumed-role/dev/session",
            "arn:aws:iam::111122223333:role/ops",
            "arn:aws:iam::111122223333:user/alice",
            "not-an-arn",
            "arn:aws:iam::999999999999:role/dev",
        ] {
            let expected = identities_by_scan(&inv, arn);
            assert_eq!(inv.kubernetes_identities(arn), expected, "{arn}");
            assert_eq!(unfinalized.kubernetes_identities(arn), expected, "{arn}");
        }
        let dev = inv.kubernetes_identities("arn:aws:iam::111122223333:role/dev");
        let groups: Vec<&str> = dev
            .iter()
            .flat_map(|m| m.groups.iter().map(String::as_str))
            .collect();
        assert_eq!(
            groups,
            ["a", "c", "e", "e"],
            "aws-auth first, then access entries"
        );

        // The former definition: every mapped ARN's identities, sorted and de-duplicated.
        let mut arns: BTreeSet<&str> = BTreeSet::new();
        if let Some(auth) = &inv.aws_auth {
            arns.extend(
                auth.map_roles
                    .iter()
                    .chain(&auth.map_users)
                    .map(|m| m.arn.as_str()),
            );
        }
        arns.extend(inv.access_entries.iter().map(|e| e.principal_arn.as_str()));
        let mut expected: Vec<MappedIdentity> = arns
            .into_iter()
            .flat_map(|a| identities_by_scan(&inv, a))
            .collect();
        expected.sort();
        expected.dedup();
        assert_eq!(inv.identity_mappings(), expected);
        assert_eq!(expected.len(), 7);
    }

    #[test]
    fn finalize_sorts_stably() {
        let ns = |name: &str, uid: &str| Namespace {
            metadata: crate::k8s::ObjectMeta {
                name: name.into(),
                uid: Some(uid.into()),
                ..Default::default()
            },
            ..Namespace::default()
        };
        let mut inv = Inventory {
            namespaces: vec![
                ns("b", "1"),
                ns("", "2"),
                ns("a", "3"),
                ns("", "4"),
                ns("b", "5"),
            ],
            ..Inventory::default()
        };
        inv.finalize();
        let uids: Vec<&str> = inv
            .namespaces
            .iter()
            .filter_map(|n| n.metadata.uid.as_deref())
            .collect();
        assert_eq!(uids, ["2", "4", "3", "1", "5"]);
    }

    #[test]
    fn principal_normalisation() {
        assert_eq!(
            normalise_principal_arn("arn:aws:sts::111122223333:assumed-role/dev/alice"),
            "arn:aws:iam::111122223333:role/dev"
        );
        assert_eq!(
            normalise_principal_arn("arn:aws:iam::111122223333:role/team/dev"),
            "arn:aws:iam::111122223333:role/dev"
        );
        assert_eq!(
            normalise_principal_arn("arn:aws:iam::111122223333:user/a/b/carol"),
            "arn:aws:iam::111122223333:user/carol"
        );
        assert_eq!(
            normalise_principal_arn("arn:aws:s3:::bucket/role/x"),
            "arn:aws:s3:::bucket/role/x"
        );
        assert_eq!(
            normalise_principal_arn("arn:aws:iam::1:assumed-role/x"),
            "arn:aws:iam::1:assumed-role/x",
            "assumed-role only in sts ARNs"
        );
        assert_eq!(normalise_principal_arn("arn:aws:iam::1"), "arn:aws:iam::1");
        assert_eq!(
            default_access_entry_username("arn:aws:iam::111122223333:role/dev"),
            "arn:aws:sts::111122223333:assumed-role/dev/{{SessionName}}"
        );
    }
}
