//! Indexes built once per graph: who is bound where, which roles trust which namespaces, which
//! roles an IAM principal could name in `sts:AssumeRole`, EMR objects, node-group exposure.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, PoisonError};

use emrguard_iam::trust::ClusterTrustContext;
use emrguard_model::aws::AccessEntry;
use emrguard_model::emr::parse_emr_service_account;
use emrguard_model::hash::{HashMap, HashSet};
use emrguard_model::inventory::{normalise_principal_arn, AwsAuthMapping};
use emrguard_model::k8s::{ObjectRef, PolicyRule, RoleBinding};
use emrguard_model::policy::{Effect, Principal};
use emrguard_model::{Inventory, Source};
use emrguard_rbac::identity::SYSTEM_MASTERS;
use emrguard_rbac::RbacIndex;

use crate::graph::{OutEdge, Pending};
use crate::imds::{node_group_exposure, ImdsExposure};
use crate::model::NodeKey;

/// Where a subject is bound, counting only bindings to roles with a rule the graph follows.
#[derive(Debug, Clone, Default)]
pub(crate) struct SubjectBindings {
    /// Its RoleBindings (ids), by namespace.
    pub namespaces: BTreeMap<String, Vec<u32>>,
    /// Its ClusterRoleBindings (ids).
    pub cluster: Vec<u32>,
    /// Whether it holds rights in every namespace (a ClusterRoleBinding, or `system:masters`).
    pub cluster_wide: bool,
    /// Whether a ClusterRole bound to it cluster-wide limits rules by `resourceNames`: then
    /// its rights differ between namespaces and are computed in each.
    pub named_cluster_rules: bool,
}

/// One `sub` value a web-identity trust statement of this cluster's provider admits.
#[derive(Debug, Clone)]
pub(crate) struct SubValue {
    /// The value as written (`system:serviceaccount:NS:NAME`, wildcards allowed).
    pub value: String,
    /// Whether `*` and `?` are wildcards (`StringLike`).
    pub wildcards: bool,
}

/// The web-identity trust of the cluster's service accounts, by namespace.
#[derive(Debug, Default)]
pub(crate) struct TrustIndex {
    /// Roles (indexes into `Inventory::iam_roles`) with a statement naming the namespace.
    pub by_namespace: HashMap<String, Vec<usize>>,
    /// Roles trusting service accounts of any namespace (no `sub` condition, or a wildcard
    /// namespace).
    pub anywhere: Vec<usize>,
    /// Service-account names trust statements name exactly, by namespace.
    pub named: HashMap<String, BTreeSet<String>>,
    /// Each role's `sub` values (empty for a statement without a `sub` condition).
    pub subs: HashMap<usize, Vec<SubValue>>,
}

/// A role whose trust policy names AWS principals (candidates for `sts:AssumeRole`).
#[derive(Debug)]
pub(crate) struct AwsTrust {
    /// Index into `Inventory::iam_roles`.
    pub role: usize,
    /// `AWS` principal values of `Allow` statements.
    pub principals: Vec<String>,
    /// Whether some statement admits everyone (`*` or `NotPrincipal`).
    pub everyone: bool,
}

/// A live virtual cluster.
#[derive(Debug, Clone)]
pub(crate) struct VirtualClusterInfo {
    pub id: String,
    pub name: Option<String>,
    pub namespace: String,
    pub arn: String,
    pub source: Source,
}

/// A managed endpoint with its execution role.
#[derive(Debug, Clone)]
pub(crate) struct EndpointInfo {
    pub id: String,
    pub name: Option<String>,
    pub arn: String,
    pub role_arn: String,
    pub namespace: Option<String>,
    pub source: Source,
}

/// The aws-auth entries and access entries that name one IAM principal.
#[derive(Debug, Clone, Default)]
pub(crate) struct MappingSources {
    pub map_roles: Vec<AwsAuthMapping>,
    pub map_users: Vec<AwsAuthMapping>,
    pub access_entries: Vec<AccessEntry>,
}

/// Normalised ARNs of EMR execution roles: named by job runs, managed endpoints and job
/// templates, trusted through EMR's service-account names, or encoded in an EMR service
/// account's name (the same sources as `Inventory::emr_view`).
fn execution_roles(inventory: &Inventory) -> HashSet<String> {
    let mut out: HashSet<String> = HashSet::default();
    out.extend(
        inventory
            .job_runs
            .iter()
            .filter_map(|j| j.execution_role_arn.as_deref())
            .chain(
                inventory
                    .managed_endpoints
                    .iter()
                    .filter_map(|e| e.execution_role_arn.as_deref()),
            )
            .chain(
                inventory
                    .job_templates
                    .iter()
                    .filter_map(|t| t.job_template_data.as_ref())
                    .filter_map(|d| d.execution_role_arn.as_deref())
                    .filter(|a| !a.contains("${")),
            )
            .map(normalise_principal_arn),
    );
    for role in &inventory.iam_roles {
        let Some(trust) = &role.assume_role_policy_document else {
            continue;
        };
        let emr_subject = trust
            .statements
            .iter()
            .flat_map(|st| st.condition.values())
            .flat_map(|keys| keys.values())
            .flatten()
            .filter_map(|v| v.strip_prefix("system:serviceaccount:"))
            .filter_map(|rest| rest.split_once(':'))
            .any(|(_, sa)| sa.starts_with("emr-containers-sa-"));
        if emr_subject {
            out.insert(normalise_principal_arn(&role.arn));
        }
    }
    let partition = inventory.partition();
    for sa in &inventory.service_accounts {
        if let Some(arn) = parse_emr_service_account(&sa.metadata.name)
            .and_then(|parsed| parsed.role_arn(partition))
        {
            out.insert(normalise_principal_arn(&arn));
        }
    }
    out
}

/// What a graph computes from its inventory before the first node is expanded: trust and
/// binding indexes, namespaces, service accounts, mappings. Built once per inventory
/// ([`Prepared::new`]) and shared by every graph built with [`AccessGraph::with_prepared`]
/// (graphs searching on several threads need not repeat it).
///
/// [`AccessGraph::with_prepared`]: crate::AccessGraph::with_prepared
#[derive(Debug)]
pub struct Prepared {
    pub(crate) issuer: Option<String>,
    /// The cluster's account, for EMR trust patterns.
    pub(crate) cluster_account: Option<String>,
    pub(crate) trust: TrustIndex,
    pub(crate) bindings: HashMap<NodeKey, SubjectBindings>,
    /// Every namespace the snapshot names, sorted.
    pub(crate) namespaces: Vec<String>,
    /// Existing service accounts by namespace, sorted.
    pub(crate) service_accounts: HashMap<String, Vec<String>>,
    /// Pod Identity associations (indexes) by (namespace, service account).
    pub(crate) pod_identity: HashMap<(String, String), Vec<usize>>,
    /// Service accounts Pod Identity associations name, by namespace.
    pub(crate) pod_identity_names: HashMap<String, BTreeSet<String>>,
    pub(crate) aws_trust: Vec<AwsTrust>,
    pub(crate) virtual_clusters: Vec<VirtualClusterInfo>,
    pub(crate) endpoints: Vec<EndpointInfo>,
    /// Node groups (indexes) with what their instances expose; `None` when the launch template
    /// version is not in the snapshot.
    pub(crate) exposure: Vec<(usize, Option<ImdsExposure>)>,
    /// Sources of RBAC objects by reference.
    pub(crate) rbac_sources: HashMap<ObjectRef, Source>,
    /// Normalised ARNs of EMR execution roles.
    pub(crate) execution_roles: HashSet<String>,
    /// The aws-auth entries and access entries of each mapped IAM principal (normalised ARN).
    pub(crate) mapped: HashMap<String, MappingSources>,
    /// Accounts aws-auth `mapAccounts` maps.
    pub(crate) mapped_accounts: HashSet<String>,
    /// Expansion work that graphs sharing this preparation do once for all of them.
    pub(crate) shared: SharedWork,
}

/// Results of expensive expansion steps, the same for every graph of one inventory and RBAC
/// index: computed by whichever graph needs one first (outside the lock; two graphs racing
/// for the same key compute the same value, and the first stored is kept).
#[derive(Debug, Default)]
pub(crate) struct SharedWork {
    /// RBAC edges by (namespace, bindings): identities bound alike share them.
    capabilities: Mutex<HashMap<CapabilityKey, Vec<Pending>>>,
    /// Every node's out-edges, once a graph has expanded it, for the graphs that share this
    /// preparation (a standalone graph keeps its own).
    expansions: Mutex<HashMap<NodeKey, Arc<[OutEdge]>>>,
}

/// A namespace (or the any-namespace probe) and the bindings (ids) an identity holds there.
pub(crate) type CapabilityKey = (String, Vec<u32>);

impl SharedWork {
    /// The RBAC edges memoised for a (namespace, bindings) key.
    pub(crate) fn capabilities(&self, key: &CapabilityKey) -> Option<Vec<Pending>> {
        lock(&self.capabilities).get(key).cloned()
    }

    /// The out-edges of a node some graph has expanded.
    pub(crate) fn expansion(&self, key: &NodeKey) -> Option<Arc<[OutEdge]>> {
        lock(&self.expansions).get(key).cloned()
    }

    /// Keeps the out-edges of an expanded node; gives back those kept first.
    pub(crate) fn remember_expansion(&self, key: NodeKey, edges: Arc<[OutEdge]>) -> Arc<[OutEdge]> {
        Arc::clone(lock(&self.expansions).entry(key).or_insert(edges))
    }

    /// Memoises the RBAC edges of a (namespace, bindings) key.
    pub(crate) fn remember_capabilities(&self, key: CapabilityKey, edges: Vec<Pending>) {
        lock(&self.capabilities).entry(key).or_insert(edges);
    }
}

/// A lock whose data stays usable if a holder panicked (no holder leaves it half-written).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn subject_key(kind: &str, namespace: Option<&str>, name: &str) -> Option<NodeKey> {
    match kind {
        "User" => Some(NodeKey::User(name.to_owned())),
        "Group" => Some(NodeKey::Group(name.to_owned())),
        "ServiceAccount" => namespace
            .filter(|n| !n.is_empty())
            .map(|ns| NodeKey::service_account(ns, name)),
        _ => None,
    }
}

/// What a rule must allow for a subject's rights to lead anywhere in the graph: run or
/// rewrite pods, get service-account tokens (token requests, token secrets, exec, attach),
/// impersonate, bind or escalate roles, write bindings, use the kubelet API, approve
/// certificates. Wildcards count; API groups are not checked (a superset is fine: the RBAC
/// engine decides exactly afterwards).
const RISKY: &[(&str, &[&str])] = &[
    ("pods", &["create", "update", "patch"]),
    ("deployments", &["create", "update", "patch"]),
    ("replicasets", &["create", "update", "patch"]),
    ("statefulsets", &["create", "update", "patch"]),
    ("daemonsets", &["create", "update", "patch"]),
    ("jobs", &["create", "update", "patch"]),
    ("cronjobs", &["create", "update", "patch"]),
    ("replicationcontrollers", &["create", "update", "patch"]),
    ("pods/exec", &["create", "get"]),
    ("pods/attach", &["create", "get"]),
    ("serviceaccounts/token", &["create"]),
    ("secrets", &["get", "list", "watch", "create"]),
    (
        "mutatingwebhookconfigurations",
        &["create", "update", "patch", "delete", "deletecollection"],
    ),
    ("users", &["impersonate"]),
    ("groups", &["impersonate"]),
    ("serviceaccounts", &["impersonate"]),
    ("roles", &["bind", "escalate"]),
    ("clusterroles", &["bind", "escalate"]),
    ("rolebindings", &["create", "update", "patch"]),
    ("clusterrolebindings", &["create", "update", "patch"]),
    ("nodes/proxy", &["get", "create", "update", "patch"]),
    ("certificatesigningrequests/approval", &["update", "patch"]),
    ("signers", &["approve"]),
];

/// Whether a rule may give a right the graph follows (see [`RISKY`]).
pub(crate) fn risky_rule(rule: &PolicyRule) -> bool {
    let verb = |wanted: &[&str]| {
        rule.verbs
            .iter()
            .any(|v| v == "*" || wanted.contains(&v.as_str()))
    };
    let resource = |wanted: &str| {
        rule.resources.iter().any(|r| {
            r == "*"
                || r == wanted
                || wanted
                    .split_once('/')
                    .is_some_and(|(_, sub)| r.strip_prefix("*/") == Some(sub))
        })
    };
    RISKY
        .iter()
        .any(|(res, verbs)| resource(res) && verb(verbs))
}

fn binding_index(inventory: &Inventory, rbac: &RbacIndex) -> HashMap<NodeKey, SubjectBindings> {
    // Which roles may give a followed right, and which ClusterRoles limit rules by name.
    let role_flags = |object: ObjectRef, role: &emrguard_model::k8s::Role| -> (bool, bool) {
        let aggregated;
        let rules: Vec<&PolicyRule> = if role.aggregation_rule.is_some() {
            aggregated = rbac
                .role_rules(&object)
                .map(<[_]>::to_vec)
                .unwrap_or_default();
            aggregated.iter().map(AsRef::as_ref).collect()
        } else {
            role.rules.iter().collect()
        };
        (
            rules.iter().any(|r| risky_rule(r)),
            rules.iter().any(|r| !r.resource_names.is_empty()),
        )
    };
    let mut roles: HashMap<(&str, &str), (bool, bool)> = HashMap::default();
    for r in &inventory.roles {
        let ns = r.metadata.namespace.as_deref().unwrap_or_default();
        roles.insert(
            (ns, r.metadata.name.as_str()),
            role_flags(ObjectRef::new("Role", Some(ns), &r.metadata.name), r),
        );
    }
    let mut cluster_roles: HashMap<&str, (bool, bool)> = HashMap::default();
    for r in &inventory.cluster_roles {
        cluster_roles.insert(
            r.metadata.name.as_str(),
            role_flags(ObjectRef::new("ClusterRole", None, &r.metadata.name), r),
        );
    }

    let mut out: HashMap<NodeKey, SubjectBindings> = HashMap::default();
    let mut add = |id: u32, b: &RoleBinding, cluster: bool| {
        let ns = b.metadata.namespace.as_deref().filter(|_| !cluster);
        let flags = match (b.role_ref.kind.as_str(), ns) {
            ("Role", Some(ns)) => roles.get(&(ns, b.role_ref.name.as_str())).copied(),
            ("ClusterRole", _) => cluster_roles.get(b.role_ref.name.as_str()).copied(),
            _ => None,
        };
        let Some((risky, named)) = flags else {
            return;
        };
        if !risky {
            return;
        }
        for s in &b.subjects {
            let Some(key) = subject_key(&s.kind, s.namespace.as_deref().or(ns), &s.name) else {
                continue;
            };
            let entry = out.entry(key).or_default();
            match ns {
                Some(ns) => entry.namespaces.entry(ns.to_owned()).or_default().push(id),
                None => {
                    entry.cluster.push(id);
                    entry.cluster_wide = true;
                    entry.named_cluster_rules |= named;
                }
            }
        }
    };
    let count = u32::try_from(inventory.role_bindings.len()).unwrap_or(u32::MAX);
    for (i, b) in inventory.role_bindings.iter().enumerate() {
        add(u32::try_from(i).unwrap_or(u32::MAX), b, false);
    }
    for (i, b) in inventory.cluster_role_bindings.iter().enumerate() {
        add(
            count.saturating_add(u32::try_from(i).unwrap_or(u32::MAX)),
            b,
            true,
        );
    }
    out.entry(NodeKey::Group(SYSTEM_MASTERS.to_owned()))
        .or_default()
        .cluster_wide = true;
    out
}

/// The positive string operators a `sub` condition narrows the admitted subjects with, and
/// whether their values are patterns.
fn sub_operator(op: &str) -> Option<bool> {
    let op = op.strip_prefix("ForAnyValue:").unwrap_or(op);
    let op = op.strip_suffix("IfExists").unwrap_or(op);
    match op {
        "StringEquals" | "StringEqualsIgnoreCase" => Some(false),
        "StringLike" => Some(true),
        _ => None,
    }
}

fn trust_index(inventory: &Inventory, cluster: Option<&ClusterTrustContext>) -> TrustIndex {
    let mut index = TrustIndex::default();
    let Some(cluster) = cluster else {
        return index;
    };
    let provider = cluster.provider_arn();
    let sub_key = format!("{}:sub", cluster.oidc_provider);
    for (i, role) in inventory.iam_roles.iter().enumerate() {
        let Some(doc) = &role.assume_role_policy_document else {
            continue;
        };
        let mut subs = Vec::new();
        let mut trusted = false;
        for st in &doc.statements {
            let names_provider = st.effect == Effect::Allow
                && st
                    .principal
                    .as_ref()
                    .is_some_and(|p| p.values("Federated").contains(&provider));
            if !names_provider {
                continue;
            }
            trusted = true;
            let mut narrowed = false;
            for (op, keys) in &st.condition {
                let Some(wildcards) = sub_operator(op) else {
                    continue;
                };
                for (key, values) in keys {
                    if !key.eq_ignore_ascii_case(&sub_key) {
                        continue;
                    }
                    narrowed = true;
                    for v in values {
                        subs.push(SubValue {
                            value: v.clone(),
                            wildcards,
                        });
                        let is_pattern = |x: &str| wildcards && x.contains(['*', '?']);
                        match v
                            .strip_prefix("system:serviceaccount:")
                            .and_then(|rest| rest.split_once(':'))
                        {
                            Some((ns, _)) if is_pattern(ns) => index.anywhere.push(i),
                            Some((ns, name)) => {
                                index.by_namespace.entry(ns.to_owned()).or_default().push(i);
                                if !is_pattern(name) {
                                    index
                                        .named
                                        .entry(ns.to_owned())
                                        .or_default()
                                        .insert(name.to_owned());
                                }
                            }
                            None if is_pattern(v) => index.anywhere.push(i),
                            None => {}
                        }
                    }
                }
            }
            if !narrowed {
                index.anywhere.push(i);
            }
        }
        if trusted {
            index.subs.insert(i, subs);
        }
    }
    for roles in index.by_namespace.values_mut() {
        roles.sort_unstable();
        roles.dedup();
    }
    index.anywhere.sort_unstable();
    index.anywhere.dedup();
    index
}

fn aws_trust(inventory: &Inventory) -> Vec<AwsTrust> {
    let mut out = Vec::new();
    for (i, role) in inventory.iam_roles.iter().enumerate() {
        let Some(doc) = &role.assume_role_policy_document else {
            continue;
        };
        let mut principals = Vec::new();
        let mut everyone = false;
        for st in doc.statements.iter().filter(|s| s.effect == Effect::Allow) {
            if st.not_principal.is_some() {
                everyone = true;
            }
            match &st.principal {
                Some(Principal::Any) => everyone = true,
                Some(p) => principals.extend(p.values("AWS").iter().cloned()),
                None => {}
            }
        }
        if everyone || !principals.is_empty() {
            out.push(AwsTrust {
                role: i,
                principals,
                everyone,
            });
        }
    }
    out
}

impl AwsTrust {
    /// Whether the trust policy may admit `caller` (checked exactly later).
    pub fn may_admit(&self, caller_arn: &str) -> bool {
        if self.everyone {
            return true;
        }
        let account = caller_arn.split(':').nth(4).unwrap_or_default();
        let caller = normalise_principal_arn(caller_arn);
        self.principals.iter().any(|p| {
            p == "*"
                || (!account.is_empty()
                    && (p == account || p.ends_with(&format!(":{account}:root"))))
                || normalise_principal_arn(p) == caller
                || p == caller_arn
        })
    }
}

fn virtual_clusters(inventory: &Inventory) -> Vec<VirtualClusterInfo> {
    let cluster = inventory.cluster();
    let partition = inventory.partition().to_owned();
    let region = cluster.and_then(|c| c.region()).map(str::to_owned);
    let account = inventory.account_id().map(str::to_owned);
    let mut out = Vec::new();
    for vc in inventory.virtual_clusters.iter().filter(|v| v.is_active()) {
        let Some(ns) = vc.namespace() else {
            continue;
        };
        let arn = match (&vc.arn, &region, &account) {
            (Some(arn), _, _) => arn.clone(),
            (None, Some(region), Some(account)) => format!(
                "arn:{partition}:emr-containers:{region}:{account}:/virtualclusters/{}",
                vc.id
            ),
            _ => continue,
        };
        out.push(VirtualClusterInfo {
            id: vc.id.clone(),
            name: vc.name.clone(),
            namespace: ns.to_owned(),
            arn,
            source: vc.source.clone(),
        });
    }
    out
}

fn endpoints(inventory: &Inventory, vcs: &[VirtualClusterInfo]) -> Vec<EndpointInfo> {
    let mut out = Vec::new();
    for ep in &inventory.managed_endpoints {
        let Some(role_arn) = &ep.execution_role_arn else {
            continue;
        };
        let vc = vcs.iter().find(|v| v.id == ep.virtual_cluster_id);
        let arn = match (&ep.arn, vc) {
            (Some(arn), _) => arn.clone(),
            (None, Some(vc)) => format!("{}/endpoints/{}", vc.arn, ep.id),
            (None, None) => continue,
        };
        out.push(EndpointInfo {
            id: ep.id.clone(),
            name: ep.name.clone(),
            arn,
            role_arn: role_arn.clone(),
            namespace: vc.map(|v| v.namespace.clone()),
            source: ep.source.clone(),
        });
    }
    out
}

impl Prepared {
    /// Prepares the graphs of an inventory, with the RBAC index built from the same inventory.
    pub fn new(inventory: &Inventory, rbac: &RbacIndex) -> Self {
        let cluster = ClusterTrustContext::from_inventory(inventory);
        let issuer = inventory
            .cluster()
            .and_then(|c| c.oidc_issuer())
            .map(str::to_owned);
        let trust = trust_index(inventory, cluster.as_ref());
        let bindings = binding_index(inventory, rbac);

        let mut service_accounts: HashMap<String, Vec<String>> = HashMap::default();
        for sa in &inventory.service_accounts {
            if let Some(ns) = &sa.metadata.namespace {
                service_accounts
                    .entry(ns.to_string())
                    .or_default()
                    .push(sa.metadata.name.to_string());
            }
        }
        for names in service_accounts.values_mut() {
            names.sort();
            names.dedup();
        }

        let mut pod_identity: HashMap<(String, String), Vec<usize>> = HashMap::default();
        let mut pod_identity_names: HashMap<String, BTreeSet<String>> = HashMap::default();
        for (i, a) in inventory.pod_identity_associations.iter().enumerate() {
            pod_identity
                .entry((a.namespace.clone(), a.service_account.clone()))
                .or_default()
                .push(i);
            pod_identity_names
                .entry(a.namespace.clone())
                .or_default()
                .insert(a.service_account.clone());
        }
        let vcs = virtual_clusters(inventory);
        let endpoints = endpoints(inventory, &vcs);

        let mut namespaces: BTreeSet<String> = BTreeSet::new();
        namespaces.extend(
            inventory
                .namespaces
                .iter()
                .map(|n| n.metadata.name.to_string()),
        );
        namespaces.extend(service_accounts.keys().cloned());
        namespaces.extend(trust.by_namespace.keys().cloned());
        namespaces.extend(pod_identity_names.keys().cloned());
        namespaces.extend(vcs.iter().map(|v| v.namespace.clone()));
        namespaces.extend(rbac.namespaces());
        namespaces.retain(|n| !n.is_empty() && n != crate::model::EVERY_NAMESPACE);
        let exposure = inventory
            .nodegroups
            .iter()
            .enumerate()
            .map(|(i, ng)| (i, node_group_exposure(inventory, ng)))
            .collect();

        let mut rbac_sources = HashMap::default();
        for (kind, list) in [
            ("Role", &inventory.roles),
            ("ClusterRole", &inventory.cluster_roles),
        ] {
            for r in list {
                let ns = r.metadata.namespace.as_deref().filter(|_| kind == "Role");
                rbac_sources.insert(ObjectRef::new(kind, ns, &r.metadata.name), r.source.clone());
            }
        }
        for (kind, list) in [
            ("RoleBinding", &inventory.role_bindings),
            ("ClusterRoleBinding", &inventory.cluster_role_bindings),
        ] {
            for b in list {
                let ns = b
                    .metadata
                    .namespace
                    .as_deref()
                    .filter(|_| kind == "RoleBinding");
                rbac_sources.insert(ObjectRef::new(kind, ns, &b.metadata.name), b.source.clone());
            }
        }
        let execution_roles = execution_roles(inventory);

        let mut mapped: HashMap<String, MappingSources> = HashMap::default();
        for e in &inventory.access_entries {
            mapped
                .entry(normalise_principal_arn(&e.principal_arn))
                .or_default()
                .access_entries
                .push(e.clone());
        }
        let mut mapped_accounts = HashSet::default();
        if let Some(auth) = &inventory.aws_auth {
            for m in &auth.map_roles {
                mapped
                    .entry(normalise_principal_arn(&m.arn))
                    .or_default()
                    .map_roles
                    .push(m.clone());
            }
            for m in &auth.map_users {
                mapped
                    .entry(normalise_principal_arn(&m.arn))
                    .or_default()
                    .map_users
                    .push(m.clone());
            }
            mapped_accounts.extend(auth.map_accounts.iter().cloned());
        }

        Self {
            mapped,
            mapped_accounts,
            shared: SharedWork::default(),
            cluster_account: cluster.as_ref().map(|c| c.account_id.clone()),
            issuer,
            trust,
            bindings,
            namespaces: namespaces.into_iter().collect(),
            service_accounts,
            pod_identity,
            pod_identity_names,
            aws_trust: aws_trust(inventory),
            virtual_clusters: vcs,
            endpoints,
            exposure,
            rbac_sources,
            execution_roles,
        }
    }

    /// Virtual clusters by namespace, for node details.
    pub(crate) fn virtual_clusters_in(&self, namespace: &str) -> Vec<&VirtualClusterInfo> {
        self.virtual_clusters
            .iter()
            .filter(|v| v.namespace == namespace)
            .collect()
    }

    /// The names a pod of `namespace` could usefully run as: existing service accounts,
    /// `default`, names trust policies and Pod Identity associations name, and for each role
    /// trusted there the EMR driver service-account name encoded for it (EMR's trust pattern
    /// admits it whether or not it exists yet).
    pub(crate) fn candidate_service_accounts(
        &self,
        inventory: &Inventory,
        namespace: &str,
    ) -> BTreeMap<String, Option<String>> {
        let mut out: BTreeMap<String, Option<String>> = BTreeMap::new();
        out.insert("default".to_owned(), None);
        for name in self.service_accounts.get(namespace).into_iter().flatten() {
            out.insert(name.clone(), None);
        }
        for name in self.trust.named.get(namespace).into_iter().flatten() {
            out.entry(name.clone()).or_insert(None);
        }
        for name in self.pod_identity_names.get(namespace).into_iter().flatten() {
            out.entry(name.clone()).or_insert(None);
        }
        for &i in self.trust.by_namespace.get(namespace).into_iter().flatten() {
            let Some(role) = inventory.iam_roles.get(i) else {
                continue;
            };
            let name = emr_driver_service_account(&role.arn);
            out.entry(name).or_insert_with(|| Some(role.arn.clone()));
        }
        out
    }
}

/// The driver service-account name EMR on EKS uses for jobs with `role_arn`:
/// `emr-containers-sa-spark-driver-<account>-<base36(role name)>`.
pub fn emr_driver_service_account(role_arn: &str) -> String {
    emr_service_account(role_arn, "driver")
}

/// The EMR service-account name for a component (`driver`, `jeg`, ...) of jobs with `role_arn`.
pub fn emr_service_account(role_arn: &str, component: &str) -> String {
    let account = role_arn.split(':').nth(4).unwrap_or_default();
    let name = emrguard_model::emr::role_name_from_arn(role_arn);
    format!(
        "emr-containers-sa-spark-{component}-{account}-{}",
        emrguard_model::emr::base36_encode(name)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(verbs: &[&str], resources: &[&str]) -> PolicyRule {
        PolicyRule {
            verbs: verbs.iter().map(|s| (*s).into()).collect(),
            resources: resources.iter().map(|s| (*s).into()).collect(),
            ..PolicyRule::default()
        }
    }

    #[test]
    fn risky_rules_are_those_the_graph_follows() {
        assert!(risky_rule(&rule(&["create"], &["pods"])));
        assert!(risky_rule(&rule(&["patch"], &["deployments"])));
        assert!(risky_rule(&rule(&["get"], &["pods/exec"])));
        assert!(risky_rule(&rule(&["get"], &["*/exec"])));
        assert!(risky_rule(&rule(&["*"], &["configmaps", "pods"])));
        assert!(risky_rule(&rule(&["list"], &["*"])));
        assert!(risky_rule(&rule(&["impersonate"], &["serviceaccounts"])));
        assert!(risky_rule(&rule(&["approve"], &["signers"])));
        assert!(!risky_rule(&rule(
            &["get", "list", "watch"],
            &["pods", "pods/log"]
        )));
        assert!(!risky_rule(&rule(&["create", "update"], &["configmaps"])));
        assert!(!risky_rule(&rule(
            &["create"],
            &["validatingwebhookconfigurations"]
        )));
        assert!(!risky_rule(&rule(&["get"], &["*/log"])));
    }

    #[test]
    fn sub_operators() {
        assert_eq!(sub_operator("StringEquals"), Some(false));
        assert_eq!(sub_operator("StringLike"), Some(true));
        assert_eq!(sub_operator("ForAnyValue:StringLikeIfExists"), Some(true));
        assert_eq!(sub_operator("StringNotLike"), None);
        assert_eq!(sub_operator("ArnLike"), None);
    }

    #[test]
    fn emr_service_account_names() {
        // The reference's vector: `myrole` encodes to `16o0gwny3p`.
        assert_eq!(
            emr_driver_service_account("arn:aws:iam::111122223333:role/myrole"),
            "emr-containers-sa-spark-driver-111122223333-16o0gwny3p"
        );
        assert_eq!(
            emr_service_account("arn:aws:iam::111122223333:role/team/myrole", "jeg"),
            "emr-containers-sa-spark-jeg-111122223333-16o0gwny3p"
        );
    }
}
