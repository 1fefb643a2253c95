//! PATH001: a tenant reaches, hop by hop, an IAM role whose privileges are above what the
//! tenant is meant to hold.

use std::collections::BTreeMap;

use emrguard_model::hash::HashSet;

use emrguard_graph::{
    class_name, class_tier, AccessGraph, EdgeKind, NodeId, NodeKey, PathIds, Prepared, Target,
    DEFAULT_MAX_DEPTH, EVERY_NAMESPACE,
};
use emrguard_iam::{PrivilegeKind, Tier};
use emrguard_model::inventory::area;
use emrguard_rbac::{SubjectKind, SubjectRef};

use super::{tenant_sources, PathSource};
use crate::context::{CheckContext, SubjectClass};
use crate::finding::{Evidence, Finding, Practice, Remediation, ResourceRef, Severity};
use crate::registry::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Follows every path from each tenant identity (an IAM principal mapped into the cluster,
    /// allowed to submit EMR jobs, or listed under a tenant; or a Kubernetes subject no IAM
    /// principal maps to) through the access graph: aws-auth and access entries, the RBAC
    /// rights that let it run as a service account (create pods or workloads, obtain tokens,
    /// exec, write mutating webhooks, impersonate, escalate), EMR job submission with an
    /// execution role, IRSA trust and Pod Identity, `sts:AssumeRole`, and IMDS. It reports each
    /// IAM role the tenant reaches through an EMR execution role whose privilege class (from
    /// the IAM engine) is above the tenant's `max-tier` in `emrguard.toml` (without one:
    /// `privilege-escalation` and `admin` are reported). The evidence is the whole shortest
    /// path, one link per hop, each with the objects that prove it.
    ///
    /// One finding per tenant and role; a role reached only through another reported role is
    /// not reported again. The finding's practice is that of the path's first broken link:
    /// an RBAC right (`rbac-permissions`), an IMDS exposure (`node-credential-access`), or a
    /// trust policy, submission grant, role chain or over-privileged role
    /// (`execution-role-least-privilege`).
    ///
    /// ## Why is this bad?
    /// Each link can look harmless on its own: a submitter may create pods in its namespace;
    /// an execution role trusts EMR's service-account pattern there; that role may assume
    /// another one. Joined, they let a tenant run code with an administrator's or an
    /// escalation-capable role's credentials. A pod may name any service account of its
    /// namespace, including EMR service-account names that do not exist yet, so the trust
    /// pattern of every execution role trusted in the namespace is reachable.
    ///
    /// ## Example
    /// ```text
    /// IAM user ci-team-b -> access entry -> Group team-b
    ///   -> ClusterRoleBinding team-b-platform-tools: create mutatingwebhookconfigurations
    ///   -> any pod of emr-ds -> ServiceAccount emr-ds/emr-containers-sa-spark-driver-...-4m8gk...
    ///   -> IAM role emr-ds-notebook-execution (trust: EMR pattern for emr-ds) -> admin
    /// ```
    ///
    /// ## Remediation
    /// Break the first broken link: remove the RBAC right from the tenant (give submitters a
    /// read-only role and let them submit with `StartJobRun`), scope the trust policy to EMR's
    /// pattern, pin `emr-containers:ExecutionRoleArn`, require IMDSv2 with a hop limit of 1, or
    /// reduce the role's permissions to what its jobs need. `emrguard paths --from SOURCE` shows
    /// every path after the change.
    ///
    /// ## Known limitations
    /// Paths that end at a node role through IMDS, or at a controller's IRSA role, are shown by
    /// `emrguard paths` and reported by NODE001/NODE003, not here. Rights that need two grants
    /// from different subjects of one identity (for example a user's and a group's) are not
    /// combined. Cluster-wide token and exec rights are taken as running as any service
    /// account of every namespace. Condition keys other than the execution role are not known
    /// when job submission is evaluated.
    ///
    /// ## References
    /// - Amazon EMR on EKS security best practices: "Role-based access control (RBAC) permissions", "Apply principle of least privilege", "Restrict access to nodegroup IAM role or instance profile credentials"
    /// - Amazon EMR on EKS Development Guide: "Using job execution roles with Amazon EMR on EKS"
    /// - Amazon EKS User Guide: "IAM roles for service accounts" and "EKS Pod Identity"
    pub struct TenantPathToPrivilegedRole {
        code: "PATH001",
        name: "tenant-path-to-privileged-role",
        summary: "a tenant can reach, through Kubernetes and IAM, an execution role's privileges above its tier",
        practice: RbacPermissions,
        severity: Critical,
        requires: [area::IAM],
    }
}

/// A path worth reporting.
struct Reach {
    path: PathIds,
    holder: NodeId,
    class: PrivilegeKind,
}

/// The resource a node stands for in findings.
pub(crate) fn node_resource(cx: &CheckContext<'_>, key: &NodeKey) -> ResourceRef {
    match key {
        NodeKey::IamRole(arn) => {
            let role = cx.inventory.role_by_arn(arn);
            let name = emrguard_model::emr::role_name_from_arn(arn);
            let r = ResourceRef::aws("IAMRole", arn, Some(name));
            match role {
                Some(role) => r.at(&role.source),
                None => r,
            }
        }
        NodeKey::IamUser(arn) => {
            let name = arn.rsplit('/').next().unwrap_or(arn);
            let r = ResourceRef::aws("IAMUser", arn, Some(name));
            match cx.inventory.user_by_arn(arn) {
                Some(u) => r.at(&u.source),
                None => r,
            }
        }
        NodeKey::User(name) => ResourceRef::k8s("User", None, name),
        NodeKey::Group(name) => ResourceRef::k8s("Group", None, name),
        NodeKey::ServiceAccount { namespace, name } => {
            let r = ResourceRef::k8s("ServiceAccount", Some(namespace), name);
            match cx.inventory.service_account(namespace, name) {
                Some(sa) => r.at(&sa.source),
                None => r,
            }
        }
        NodeKey::Namespace(ns) => {
            let r = ResourceRef::k8s("Namespace", None, ns);
            match cx.inventory.namespace(ns) {
                Some(n) => r.at(&n.source),
                None => r,
            }
        }
        NodeKey::Nodegroup(name) => {
            match cx
                .inventory
                .nodegroups
                .iter()
                .find(|n| n.nodegroup_name == *name)
            {
                Some(ng) => match &ng.nodegroup_arn {
                    Some(arn) => ResourceRef::aws("Nodegroup", arn, Some(name)),
                    None => ResourceRef::aws_named("Nodegroup", name),
                }
                .at(&ng.source),
                None => ResourceRef::aws_named("Nodegroup", name),
            }
        }
        NodeKey::PrivilegeClass(kind) => {
            ResourceRef::aws_named("PrivilegeClass", class_name(*kind))
        }
    }
}

/// The subject class of a Kubernetes node (EMR's own identities hold their rights by design).
fn node_class(cx: &CheckContext<'_>, key: &NodeKey) -> Option<SubjectClass> {
    match key {
        NodeKey::User(name) => Some(cx.classify_subject("User", None, name)),
        NodeKey::Group(name) => Some(cx.classify_subject("Group", None, name)),
        NodeKey::ServiceAccount { namespace, name } => {
            Some(cx.classify_subject("ServiceAccount", Some(namespace), name))
        }
        _ => None,
    }
}

/// The first link of a path that a best practice forbids, with its practice.
fn first_broken_link(
    cx: &CheckContext<'_>,
    graph: &AccessGraph<'_>,
    path: &PathIds,
) -> Option<(usize, Practice)> {
    for (i, e) in path.edges.iter().enumerate() {
        let Some(edge) = graph.edge(*e) else {
            continue;
        };
        let from_class = graph.key(edge.from).and_then(|k| node_class(cx, k));
        let practice = match edge.kind {
            k if k.is_rbac() => {
                let by_design = matches!(
                    from_class,
                    Some(SubjectClass::Emr | SubjectClass::ControlPlane | SubjectClass::Admin)
                );
                (!by_design).then_some(Practice::RbacPermissions)
            }
            EdgeKind::InstanceMetadata | EdgeKind::HostNetwork => {
                Some(Practice::NodeCredentialAccess)
            }
            EdgeKind::WebIdentity | EdgeKind::SubmitJob if edge.broad => {
                Some(Practice::ExecutionRoleLeastPrivilege)
            }
            EdgeKind::AssumeRole | EdgeKind::Privilege => {
                Some(Practice::ExecutionRoleLeastPrivilege)
            }
            _ => None,
        };
        if let Some(p) = practice {
            return Some((i, p));
        }
    }
    None
}

/// The short name of a node for messages.
fn short(key: &NodeKey) -> String {
    match key {
        NodeKey::IamRole(arn) | NodeKey::IamUser(arn) => {
            arn.rsplit('/').next().unwrap_or(arn).to_owned()
        }
        other => other.name(),
    }
}

fn remediation(
    cx: &CheckContext<'_>,
    graph: &AccessGraph<'_>,
    path: &PathIds,
    broken: Option<usize>,
    holder: &NodeKey,
) -> Remediation {
    let edge = broken
        .and_then(|i| path.edges.get(i))
        .and_then(|e| graph.edge(*e));
    let from = edge.and_then(|e| graph.key(e.from));
    let to = edge.and_then(|e| graph.key(e.to));
    let holder_name = short(holder);
    match (edge.map(|e| e.kind), from, to) {
        (Some(kind), Some(from), to) if kind.is_rbac() => {
            let subject = match from {
                NodeKey::User(n) => Some(SubjectRef::new(SubjectKind::User, n, None)),
                NodeKey::Group(n) => Some(SubjectRef::new(SubjectKind::Group, n, None)),
                NodeKey::ServiceAccount { namespace, name } => Some(SubjectRef::new(
                    SubjectKind::ServiceAccount,
                    name,
                    Some(namespace),
                )),
                NodeKey::IamRole(arn) | NodeKey::IamUser(arn) => {
                    Some(SubjectRef::new(SubjectKind::AccessEntry, arn, None))
                }
                _ => None,
            };
            let scope = match to {
                Some(NodeKey::Namespace(ns)) if ns != EVERY_NAMESPACE => ns.clone(),
                Some(NodeKey::ServiceAccount { namespace, .. }) => namespace.clone(),
                _ => "cluster-wide".to_owned(),
            };
            let what = format!("the right behind `{kind}`");
            match subject {
                Some(s) => {
                    let mut r = crate::rules::rbac::standard_remediation(&what, &s, &[scope]);
                    r.summary = format!(
                        "{} This cuts the path to `{holder_name}`.",
                        r.summary
                    );
                    r
                }
                None => Remediation::summary(format!(
                    "Remove {what} from the tenant; this cuts the path to `{holder_name}`."
                )),
            }
        }
        (Some(EdgeKind::InstanceMetadata | EdgeKind::HostNetwork), _, Some(NodeKey::Nodegroup(ng))) => {
            Remediation::summary(format!(
                "Require IMDSv2 with a hop limit of 1 on node group `{ng}` and enforce the Pod Security `baseline` level in the namespace (no `hostNetwork`), so pods cannot reach the node role's credentials (see NODE001)."
            ))
        }
        (Some(EdgeKind::WebIdentity), Some(NodeKey::ServiceAccount { namespace, .. }), Some(NodeKey::IamRole(arn))) => {
            let role = emrguard_model::emr::role_name_from_arn(arn);
            let cluster = cx.inventory.cluster().map_or("CLUSTER", |c| c.name.as_str());
            Remediation::summary(format!(
                "Scope the trust policy of `{role}` to EMR's service-account pattern in the namespace its jobs run in, instead of a pattern that admits other service accounts."
            ))
            .fix(
                "Rewrite the trust statement the way EMR on EKS writes it",
                "shell",
                format!("aws emr-containers update-role-trust-policy --cluster-name {cluster} --namespace {namespace} --role-name {role}"),
            )
        }
        (Some(EdgeKind::SubmitJob), Some(from), _) => Remediation::summary(format!(
            "Pin the execution roles `{}` may submit with: add an `emr-containers:ExecutionRoleArn` condition (`ArnEquals`) listing only roles at or below the tenant's tier.",
            short(from)
        )),
        (Some(EdgeKind::AssumeRole), Some(from), Some(to)) => Remediation::summary(format!(
            "Remove `sts:AssumeRole` on `{}` from the policies of `{}`, or drop `{}` from its trust policy.",
            short(to),
            short(from),
            short(from)
        )),
        _ => Remediation::summary(format!(
            "Reduce the permissions of `{holder_name}` to what its jobs need (its own bucket prefixes and log group), or keep tenants from reaching it: see EXR001/EXR002 for the role and the path for each link."
        )),
    }
}

fn hop_detail(e: &emrguard_graph::Edge) -> String {
    let mut parts: Vec<String> = e
        .evidence
        .iter()
        .take(4)
        .map(|ev| {
            let mut s = format!("{} ({}", ev.text, ev.object);
            if let Some(src) = &ev.source {
                s.push_str(&format!(", {src}"));
            }
            s.push(')');
            if let Some(d) = &ev.detail {
                s.push_str(&format!(": {d}"));
            }
            s
        })
        .collect();
    if e.evidence.len() > 4 {
        parts.push(format!("and {} more", e.evidence.len() - 4));
    }
    parts.join("; ")
}

/// Below this many sources per thread, a second graph costs more than it saves.
const SOURCES_PER_WORKER: usize = 200;

/// Runs of sources per thread: fewer leave one thread alone at the end; more spread
/// neighbouring sources, which reach much the same nodes, over both graphs.
const RUNS_PER_WORKER: usize = 8;

impl TenantPathToPrivilegedRole {
    fn report(
        cx: &CheckContext<'_>,
        graph: &mut AccessGraph<'_>,
        source: &PathSource,
        out: &mut Vec<Finding>,
    ) {
        let start = graph.node(source.node.clone());
        let paths = graph.paths_from(start, &Target::AnyClass, DEFAULT_MAX_DEPTH);
        let mut reaches: Vec<Reach> = Vec::new();
        for path in paths {
            let n = path.nodes.len();
            let (Some(&holder), Some(&class_node)) =
                (path.nodes.get(n.wrapping_sub(2)), path.nodes.last())
            else {
                continue;
            };
            let Some(NodeKey::PrivilegeClass(class)) = graph.key(class_node).cloned() else {
                continue;
            };
            if holder == start || class_tier(class) <= source.max_tier {
                continue;
            }
            if !matches!(graph.key(holder), Some(NodeKey::IamRole(_))) {
                continue;
            }
            let through_execution_role = path.nodes.iter().take(n.saturating_sub(1)).any(|id| {
                matches!(graph.key(*id), Some(NodeKey::IamRole(arn)) if graph.is_execution_role(arn))
            });
            if !through_execution_role {
                continue;
            }
            reaches.push(Reach {
                path,
                holder,
                class,
            });
        }
        // A role reached only through another reported role adds nothing.
        let reported: HashSet<NodeId> = reaches.iter().map(|r| r.holder).collect();
        reaches.retain(|r| {
            let n = r.path.nodes.len();
            !r.path
                .nodes
                .iter()
                .take(n.saturating_sub(2))
                .skip(1)
                .any(|id| reported.contains(id))
        });

        let source_ref = node_resource(cx, &source.node);
        let tenant_words = match (&source.tenant, source.configured) {
            (Some(t), true) => format!("tenant `{t}`'s `max-tier` `{}`", source.max_tier.as_str()),
            _ => format!("`{}` (no `max-tier` configured)", source.max_tier.as_str()),
        };
        let mut by_holder: BTreeMap<NodeKey, Reach> = BTreeMap::new();
        for r in reaches {
            if let Some(k) = graph.key(r.holder).cloned() {
                by_holder.entry(k).or_insert(r);
            }
        }
        for (holder_key, reach) in by_holder {
            let hops = reach.path.edges.len().saturating_sub(1);
            let class = class_name(reach.class);
            let mut builder = Self::META
                .finding(format!(
                    "{} can reach the privileges of role `{}` (`{class}`, above {tenant_words}) in {hops} hop{}",
                    source.node.describe(),
                    short(&holder_key),
                    if hops == 1 { "" } else { "s" }
                ))
                .resource(source_ref.clone())
                .resource(node_resource(cx, &holder_key));
            builder = builder.evidence(Evidence::about(
                format!(
                    "start: {}{}",
                    source.node.describe(),
                    source
                        .tenant
                        .as_ref()
                        .map_or_else(String::new, |t| format!(" of tenant `{t}`"))
                ),
                source_ref.clone(),
            ));
            for (i, e) in reach.path.edges.iter().enumerate() {
                let (Some(edge), Some(to)) = (
                    graph.edge(*e),
                    reach.path.nodes.get(i + 1).and_then(|n| graph.key(*n)),
                ) else {
                    continue;
                };
                builder = builder.evidence(
                    Evidence::about(edge.text.clone(), node_resource(cx, to))
                        .with_detail(hop_detail(edge)),
                );
            }
            let broken = first_broken_link(cx, graph, &reach.path);
            let practice = broken.map_or(Practice::ExecutionRoleLeastPrivilege, |(_, p)| p);
            let remediation =
                remediation(cx, graph, &reach.path, broken.map(|(i, _)| i), &holder_key);
            let mut finding = builder.remediation(remediation).build();
            finding.practice = practice;
            if class_tier(reach.class) < Tier::PrivilegeEscalation {
                finding.severity = Severity::High;
            }
            out.push(finding);
        }
    }
}

impl Rule for TenantPathToPrivilegedRole {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let sources = tenant_sources(cx);
        // On large snapshots this rule is the audit's critical path (the other rules finish
        // long before it), so its sources are searched on two threads.
        let workers = if sources.len() >= SOURCES_PER_WORKER * 2 {
            emrguard_model::parallel::threads().min(2)
        } else {
            1
        };
        let run = sources.len().div_ceil(workers * RUNS_PER_WORKER);
        Self::search(cx, &sources, workers, run, out);
    }
}

impl TenantPathToPrivilegedRole {
    /// Reports the sources' paths on `workers` threads, each with its own graph over one
    /// shared preparation, taking runs of `run` neighbouring sources (which reach much the
    /// same nodes) until none are left. Each source's findings depend only on the graph's
    /// content, never on which sources a graph searched before, so the split does not change
    /// the result.
    fn search(
        cx: &CheckContext<'_>,
        sources: &[PathSource],
        workers: usize,
        run: usize,
        out: &mut Vec<Finding>,
    ) {
        if sources.is_empty() {
            return;
        }
        let prepared = Prepared::new(cx.inventory, cx.rbac());
        let outputs = emrguard_model::parallel::par_map_with_state(
            sources,
            workers,
            run,
            || AccessGraph::with_prepared(cx.inventory, cx.rbac(), &prepared),
            |graph, _, source| {
                let mut found = Vec::new();
                Self::report(cx, graph, source, &mut found);
                found
            },
            // Freeing a large graph takes a noticeable share of the rule: it goes with the
            // context, whose owner decides when (the CLI exits without freeing it).
            |graph| cx.free_with_context(graph.into_storage()),
        );
        cx.free_with_context(prepared);
        for found in outputs {
            out.extend(found);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use emrguard_config::Config;
    use emrguard_load::{load_snapshot, LoadOptions};

    use super::*;
    use crate::releases::ReleaseCatalog;

    /// The findings of the lab's sources searched on `workers` graphs taking runs of `run`.
    fn findings(lab: &str, workers: usize, run: usize) -> Vec<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples")
            .join(lab);
        let inventory = load_snapshot(&dir, &LoadOptions::default()).unwrap();
        let config = Config::load(&dir.join("emrguard.toml")).unwrap();
        let releases = ReleaseCatalog::builtin();
        let cx = CheckContext::new(&inventory, &config, &releases);
        let sources = tenant_sources(&cx);
        let mut out = Vec::new();
        TenantPathToPrivilegedRole::search(&cx, &sources, workers, run, &mut out);
        out.iter()
            .map(|f| serde_json::to_string(f).unwrap())
            .collect()
    }

    #[test]
    fn split_searches_find_what_one_graph_finds() {
        // The labs have too few sources for the rule to split them itself.
        let one = findings("insecure-lab", 1, usize::MAX);
        assert!(one.len() >= 4, "{one:#?}");
        for (workers, run) in [(2, 1), (2, 3), (3, 2), (2, usize::MAX)] {
            assert_eq!(
                findings("insecure-lab", workers, run),
                one,
                "{workers} graphs, runs of {run}"
            );
        }
        assert_eq!(
            findings("hardened-lab", 2, 1),
            findings("hardened-lab", 1, 1000)
        );
    }
}
