//! Cross-layer: paths from tenants to the privileges of EMR execution roles, through
//! Kubernetes RBAC, EMR job submission, IAM trust and IMDS, built by `emrguard-graph`.
//!
//! [`tenant_sources`] is shared with `emrguard paths`: the identities whose paths are judged.

pub mod tenant_path_to_privileged_role;

use std::collections::BTreeSet;

use emrguard_model::hash::HashMap;

use emrguard_graph::{parse_tier, principal_key, NodeKey};
use emrguard_iam::audit::EXECUTION_ROLE_ACTIONS;
use emrguard_iam::Tier;
use emrguard_model::inventory::normalise_principal_arn;
use emrguard_rbac::{SubjectKind, SubjectRef};

use crate::context::{CheckContext, SubjectClass};

/// The tier a tenant without a configured `max-tier` is held to: paths to
/// `privilege-escalation` and `admin` are reported.
pub const DEFAULT_MAX_TIER: Tier = Tier::ResourceExposure;

/// An identity whose paths are judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathSource {
    /// The graph node.
    pub node: NodeKey,
    /// The configured tenant it belongs to, if any.
    pub tenant: Option<String>,
    /// The highest tier it is meant to reach.
    pub max_tier: Tier,
    /// Whether `max_tier` comes from the configuration.
    pub configured: bool,
}

/// The tenant that lists each principal (by normalised ARN) and subject (as written); the
/// first tenant in name order wins, as when the tenants are searched in order.
struct Owners {
    principals: HashMap<String, String>,
    subjects: HashMap<String, String>,
}

impl Owners {
    fn new(cx: &CheckContext<'_>) -> Self {
        let mut principals = HashMap::default();
        let mut subjects = HashMap::default();
        for (name, t) in &cx.config.tenants {
            for p in &t.iam_principals {
                principals
                    .entry(normalise_principal_arn(p))
                    .or_insert_with(|| name.clone());
            }
            for s in &t.subjects {
                subjects.entry(s.clone()).or_insert_with(|| name.clone());
            }
        }
        Self {
            principals,
            subjects,
        }
    }

    fn of_principal(&self, arn: &str) -> Option<String> {
        self.principals.get(&normalise_principal_arn(arn)).cloned()
    }

    fn of_subject(&self, node: &NodeKey) -> Option<String> {
        self.subjects.get(&node.name()).cloned()
    }
}

fn source(cx: &CheckContext<'_>, node: NodeKey, tenant: Option<String>) -> PathSource {
    let configured = tenant
        .as_ref()
        .and_then(|t| cx.config.tenants.get(t))
        .and_then(|t| t.max_tier.as_deref())
        .and_then(parse_tier);
    PathSource {
        node,
        tenant,
        max_tier: configured.unwrap_or(DEFAULT_MAX_TIER),
        configured: configured.is_some(),
    }
}

/// The tenant identities whose paths are judged, sorted:
///
/// - IAM principals that are tenants (not EMR's own, not the control plane, not admins):
///   those a tenant lists, those aws-auth or an access entry maps into the cluster, IAM users,
///   and IAM roles allowed to submit EMR jobs or endpoints (execution roles excluded);
/// - Kubernetes subjects that are tenants and that no IAM principal is mapped to (those are
///   judged through the principal).
pub fn tenant_sources(cx: &CheckContext<'_>) -> Vec<PathSource> {
    let mut arns: BTreeSet<String> = BTreeSet::new();
    for t in cx.config.tenants.values() {
        arns.extend(t.iam_principals.iter().cloned());
    }
    let mappings = cx.inventory.identity_mappings();
    arns.extend(mappings.iter().map(|m| m.principal_arn.clone()));
    arns.extend(cx.inventory.iam_users.iter().map(|u| u.arn.clone()));
    let execution_roles: BTreeSet<String> = cx
        .emr
        .execution_roles
        .keys()
        .map(|a| normalise_principal_arn(a))
        .collect();
    // Roles with an identity statement that allows an EMR submission action (on any resource,
    // under any condition): its `Action` names one, or its `NotAction` (without `Action`)
    // names none of them. Read from the documents as written: no compilation needed.
    let (grants, submit) = cx
        .raw_grants()
        .for_actions(cx.inventory, EXECUTION_ROLE_ACTIONS);
    let may_submit = |i: usize| {
        grants
            .role(i)
            .is_some_and(|g| g.may_allow_one_not_excluded(submit))
    };
    for (i, role) in cx.inventory.iam_roles.iter().enumerate() {
        if !execution_roles.contains(&normalise_principal_arn(&role.arn)) && may_submit(i) {
            arns.insert(role.arn.clone());
        }
    }
    let owners = Owners::new(cx);
    let mut out: Vec<PathSource> = Vec::new();
    let mut seen: BTreeSet<NodeKey> = BTreeSet::new();
    for arn in &arns {
        if cx.classify_principal(arn) != SubjectClass::Tenant {
            continue;
        }
        let key = principal_key(cx.inventory, arn);
        if matches!(&key, NodeKey::IamRole(a) if execution_roles.contains(&normalise_principal_arn(a)))
            && owners.of_principal(arn).is_none()
        {
            continue;
        }
        if seen.insert(key.clone()) {
            out.push(source(cx, key, owners.of_principal(arn)));
        }
    }

    // Subjects an IAM principal is mapped to are judged through the principal.
    let mut mapped: BTreeSet<NodeKey> = BTreeSet::new();
    for m in &mappings {
        mapped.insert(NodeKey::User(m.username.clone()));
        mapped.extend(m.groups.iter().map(|g| NodeKey::Group(g.clone())));
    }
    mapped.insert(NodeKey::Group("system:authenticated".to_owned()));
    let mut subjects: Vec<SubjectRef> = cx
        .rbac()
        .subjects()
        .iter()
        .filter(|s| s.kind != SubjectKind::AccessEntry)
        .cloned()
        .collect();
    for t in cx.config.tenants.values() {
        for s in &t.subjects {
            if let Some((kind, ns, name)) = emrguard_config::parse_subject(s) {
                let kind = match kind {
                    "User" => SubjectKind::User,
                    "Group" => SubjectKind::Group,
                    _ => SubjectKind::ServiceAccount,
                };
                subjects.push(SubjectRef::new(kind, name, ns));
            }
        }
    }
    subjects.sort();
    subjects.dedup();
    for s in subjects {
        let key = match s.kind {
            SubjectKind::User => NodeKey::User(s.name.clone()),
            SubjectKind::Group => NodeKey::Group(s.name.clone()),
            SubjectKind::ServiceAccount => {
                NodeKey::service_account(s.namespace.as_deref().unwrap_or_default(), &s.name)
            }
            SubjectKind::AccessEntry => continue,
        };
        if mapped.contains(&key) || seen.contains(&key) {
            continue;
        }
        if cx.classify_rbac_subject(&s) != SubjectClass::Tenant {
            continue;
        }
        seen.insert(key.clone());
        let tenant = owners.of_subject(&key);
        out.push(source(cx, key, tenant));
    }
    out.sort_by(|a, b| a.node.cmp(&b.node));
    out
}
