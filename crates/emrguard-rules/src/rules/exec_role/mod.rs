//! Practice 1: least-privilege execution roles.
//!
//! The IAM rules share the helpers below: which roles are execution roles, how a policy
//! statement is cited, which grants make a role an administrator, which IAM principals may
//! call an action at all (a cheap scan of the raw documents before any policy is compiled),
//! and which execution roles each EMR namespace can use.

pub mod execution_role_admin;
pub mod execution_role_data_access_all_resources;
pub mod execution_role_privilege_escalation;
pub mod execution_role_trust_not_scoped;
pub mod execution_role_unused_permissions;
pub mod job_submitter_not_pinned;
pub mod job_template_parametric_execution_role;
pub mod passrole_without_passed_to_service;
pub(crate) mod raw_grants;

use std::collections::{BTreeMap, BTreeSet};

use emrguard_model::hash::HashMap;
use std::sync::Arc;

use emrguard_iam::privilege::PrivilegeKind;
use emrguard_iam::trust::{
    analyze_emr_trust, can_assume_service, can_assume_web_identity, ClusterTrustContext, TrustScope,
};
use emrguard_iam::{Catalog, StatementRef};
use emrguard_model::aws::{IamRole, IamUser, ManagedPolicy};
use emrguard_model::emr::{is_emr_service_linked_role, IRSA_ANNOTATION, POD_IDENTITY_PRINCIPAL};
use emrguard_model::inventory::ExecutionRoleUse;
use emrguard_model::policy::Principal as PolicyPrincipal;
use emrguard_model::Inventory;

use crate::context::{CheckContext, IamAnalysis};
use crate::finding::{Evidence, ResourceRef};

/// The finding resource for an IAM role.
pub(crate) fn role_ref(role: &IamRole) -> ResourceRef {
    ResourceRef::aws("IAMRole", &role.arn, Some(&role.role_name)).at(&role.source)
}

/// The finding resource for a managed policy.
fn policy_ref(policy: &ManagedPolicy) -> ResourceRef {
    ResourceRef::aws("IAMPolicy", &policy.arn, policy.policy_name.as_deref()).at(&policy.source)
}

/// An execution role found in the snapshot, with the evidence that EMR uses it.
#[derive(Debug, Clone)]
pub(crate) struct ExecutionRole<'i> {
    pub(crate) role: &'i IamRole,
    pub(crate) uses: BTreeSet<ExecutionRoleUse>,
}

/// The execution roles of the EMR view that the snapshot's IAM data holds, by role ARN. Uses
/// recorded under a role's path-less ARN are merged into the role.
pub(crate) fn execution_roles<'i>(cx: &CheckContext<'i>) -> Vec<ExecutionRole<'i>> {
    let mut by_arn: BTreeMap<&'i str, ExecutionRole<'i>> = BTreeMap::new();
    for (arn, uses) in &cx.emr.execution_roles {
        let Some(role) = cx.inventory.role_by_arn(arn) else {
            continue;
        };
        by_arn
            .entry(role.arn.as_str())
            .or_insert_with(|| ExecutionRole {
                role,
                uses: BTreeSet::new(),
            })
            .uses
            .extend(uses.iter().cloned());
    }
    by_arn.into_values().collect()
}

/// "used by job run `x`, managed endpoint `y`; trusted in `ns`", for evidence.
pub(crate) fn describe_uses(uses: &BTreeSet<ExecutionRoleUse>) -> String {
    let mut by_via: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for u in uses {
        let what = match (u.via.as_str(), &u.namespace) {
            ("trust-policy", Some(ns)) => format!("`{ns}`"),
            ("service-account-name", Some(ns)) => format!("`{ns}/{}`", u.object),
            (_, _) => format!("`{}`", u.object),
        };
        by_via.entry(u.via.as_str()).or_default().insert(what);
    }
    fn label(via: &str) -> &str {
        match via {
            "job-run" => "job runs",
            "managed-endpoint" => "managed endpoints",
            "job-template" => "job templates",
            "trust-policy" => "EMR trust statements for namespaces",
            "service-account-name" => "EMR service accounts",
            other => other,
        }
    }
    by_via
        .iter()
        .map(|(via, objects)| {
            format!(
                "{} {}",
                label(via),
                list(&objects.iter().cloned().collect::<Vec<_>>(), 6)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Joins already-formatted items, naming at most `max` and counting the rest.
pub(crate) fn list(items: &[String], max: usize) -> String {
    let shown: Vec<&str> = items.iter().take(max).map(String::as_str).collect();
    let rest = items.len().saturating_sub(max);
    if rest == 0 {
        shown.join(", ")
    } else {
        format!("{} and {rest} more", shown.join(", "))
    }
}

/// Joins names in backticks, naming at most `max`.
pub(crate) fn ticked<S: AsRef<str>>(names: &[S], max: usize) -> String {
    let items: Vec<String> = names.iter().map(|n| format!("`{}`", n.as_ref())).collect();
    list(&items, max)
}

/// The `Resource` (or `NotResource`) values of a statement as written.
pub(crate) fn statement_resources(analysis: &IamAnalysis, st: &StatementRef) -> Vec<String> {
    let Some(raw) = analysis.policies.statement(st) else {
        return Vec::new();
    };
    match (&raw.resource, &raw.not_resource) {
        (Some(r), _) => r.clone(),
        (None, Some(r)) => r.iter().map(|x| format!("not {x}")).collect(),
        (None, None) => Vec::new(),
    }
}

/// One link citing a policy statement: "`<statement>` allows `<what>` on `<resources>`",
/// pointing at the managed policy when there is one.
pub(crate) fn statement_evidence(
    cx: &CheckContext<'_>,
    analysis: &IamAnalysis,
    st: &StatementRef,
    what: &str,
) -> Evidence {
    let resources = statement_resources(analysis, st);
    let on = if resources.is_empty() {
        String::new()
    } else {
        format!(" on {}", ticked(&resources, 4))
    };
    let conditional = analysis
        .policies
        .statement(st)
        .is_some_and(|raw| !raw.condition.is_empty());
    let text = format!(
        "{st} allows {what}{on}{}",
        if conditional {
            " (under a condition)"
        } else {
            ""
        }
    );
    let detail = analysis
        .policies
        .statement(st)
        .and_then(|raw| serde_json::to_string(raw).ok())
        .unwrap_or_default();
    let evidence = match cx.inventory.policy_by_arn(&st.policy.name) {
        Some(p) => Evidence::about(text, policy_ref(p)),
        None => Evidence::text(text),
    };
    if detail.is_empty() {
        evidence
    } else {
        evidence.with_detail(detail)
    }
}

/// Grants that give a principal every action of a service (or of every service) on all
/// resources.
#[derive(Debug, Clone, Default)]
pub(crate) struct AdminCoverage {
    /// Every action on every resource without a condition.
    pub(crate) full: bool,
    /// Services every action of which is granted on all resources (lower-case prefixes).
    pub(crate) services: BTreeSet<&'static str>,
    /// The statements behind it, with the services each covers (`*` for every service).
    pub(crate) grants: Vec<(StatementRef, Vec<String>, bool)>,
}

impl AdminCoverage {
    /// Whether the principal is an administrator of anything.
    pub(crate) fn is_admin(&self) -> bool {
        self.full || !self.services.is_empty()
    }

    /// Whether the admin grants already imply `action` (`service:Name`).
    pub(crate) fn covers(&self, action: &str) -> bool {
        self.full
            || action.split_once(':').is_some_and(|(svc, _)| {
                // Catalog names are lower-case already; only others need a lower-case copy.
                if svc.bytes().any(|b| b.is_ascii_uppercase()) {
                    self.services.contains(svc.to_ascii_lowercase().as_str())
                } else {
                    self.services.contains(svc)
                }
            })
    }
}

/// Which grants make a principal an administrator: the full-admin class, or a statement whose
/// `Action` is `*` or `service:*` (or that uses `NotAction`) on all resources and still grants
/// every action of the service after denies and the permissions boundary. Enumerated lists of
/// a small service's actions do not count: only a wildcard says "everything, now and later".
pub(crate) fn admin_coverage(analysis: &IamAnalysis) -> AdminCoverage {
    let catalog = Catalog::get();
    let mut out = AdminCoverage {
        full: analysis.privilege.has(PrivilegeKind::FullAdmin),
        ..AdminCoverage::default()
    };
    let total = catalog.services().len();
    for g in analysis
        .privilege
        .effective
        .grants
        .iter()
        .filter(|g| g.all_resources)
    {
        let Some(raw) = analysis.policies.statement(&g.statement) else {
            continue;
        };
        let candidates: Vec<_> = match (&raw.action, &raw.not_action) {
            (None, Some(_)) => catalog.services().iter().collect(),
            (Some(actions), _) if actions.iter().any(|a| a == "*") => {
                catalog.services().iter().collect()
            }
            (Some(actions), _) => actions
                .iter()
                .filter_map(|a| a.strip_suffix(":*"))
                .filter_map(|svc| catalog.service(svc))
                .collect(),
            (None, None) => Vec::new(),
        };
        // A grant of every action covers every service without looking at each action.
        let every_action = g.actions.is_full();
        let covered: Vec<&'static str> = candidates
            .into_iter()
            .filter(|svc| {
                !svc.range.is_empty()
                    && (every_action || svc.range.clone().all(|i| g.actions.contains(i)))
            })
            .map(|svc| svc.prefix)
            .collect();
        if covered.is_empty() {
            continue;
        }
        out.services.extend(covered.iter().copied());
        let label = if covered.len() == total {
            vec!["*".to_owned()]
        } else {
            covered.iter().map(|s| (*s).to_owned()).collect()
        };
        out.grants.push((g.statement.clone(), label, g.conditional));
    }
    if out.full {
        out.services = catalog.services().iter().map(|s| s.prefix).collect();
    }
    out.grants.sort();
    out.grants.dedup();
    out
}

/// An IAM user or role that may be a job submitter.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Principal<'i> {
    /// An IAM user.
    User(&'i IamUser),
    /// An IAM role.
    Role(&'i IamRole),
}

impl<'i> Principal<'i> {
    pub(crate) fn arn(&self) -> &'i str {
        match self {
            Self::User(u) => &u.arn,
            Self::Role(r) => &r.arn,
        }
    }

    pub(crate) fn name(&self) -> &'i str {
        match self {
            Self::User(u) => &u.user_name,
            Self::Role(r) => &r.role_name,
        }
    }

    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::User(_) => "IAMUser",
            Self::Role(_) => "IAMRole",
        }
    }

    pub(crate) fn resource(&self) -> ResourceRef {
        match self {
            Self::User(u) => ResourceRef::aws("IAMUser", &u.arn, Some(&u.user_name)).at(&u.source),
            Self::Role(r) => role_ref(r),
        }
    }

    /// The principal's analysis, shared through the context's cache.
    pub(crate) fn analysis(&self, cx: &CheckContext<'_>) -> Arc<IamAnalysis> {
        match self {
            Self::User(u) => cx.iam_user_summary(u),
            Self::Role(r) => cx.iam_summary(r),
        }
    }
}

/// IAM users and roles whose policies may allow one of `actions`, found by scanning the raw
/// documents (each managed policy once) before anything is compiled. Configured admins and
/// break-glass principals, EMR's service-linked role and other AWS service-linked roles are
/// left out: they are not job submitters.
pub(crate) fn principals_that_may_allow<'i>(
    cx: &CheckContext<'i>,
    actions: &[&str],
) -> Vec<Principal<'i>> {
    let inventory: &'i Inventory = cx.inventory;
    let (grants, wanted) = cx.raw_grants().for_actions(inventory, actions);
    let mut out = Vec::new();
    for (i, user) in inventory.iam_users.iter().enumerate() {
        if cx.config.is_admin_principal(&user.arn) {
            continue;
        }
        if grants.user(i).is_some_and(|g| g.may_allow(wanted)) {
            out.push(Principal::User(user));
        }
    }
    for (i, role) in inventory.iam_roles.iter().enumerate() {
        let service_linked = role
            .path
            .as_deref()
            .is_some_and(|p| p.starts_with("/aws-service-role/"));
        if service_linked
            || is_emr_service_linked_role(&role.arn)
            || cx.config.is_admin_principal(&role.arn)
        {
            continue;
        }
        if grants.role(i).is_some_and(|g| g.may_allow(wanted)) {
            out.push(Principal::Role(role));
        }
    }
    out
}

/// How a role became usable in a namespace.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum UseKind {
    /// A trust statement admits service accounts of the namespace (or of every namespace).
    Trust,
    /// A job run in a virtual cluster on the namespace used it.
    JobRun,
    /// A managed endpoint in a virtual cluster on the namespace uses it.
    ManagedEndpoint,
    /// A Pod Identity association for a service account of the namespace names it.
    PodIdentity,
    /// A service account of the namespace carries it in its IRSA annotation.
    Annotation,
}

/// One reason a role is usable in a namespace.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct RoleUse {
    pub(crate) kind: UseKind,
    /// What, in words (for evidence).
    pub(crate) detail: String,
}

/// Live EMR namespace → execution role ARN (as in the inventory) → why it is usable there:
/// IRSA trust statements admitting the namespace's service accounts, job runs and managed
/// endpoints of its virtual clusters, Pod Identity associations of its service accounts (when
/// the role trusts `pods.eks.amazonaws.com`), and IRSA annotations on its service accounts
/// (when the trust admits them). Roles the snapshot's IAM data lacks are left out.
pub(crate) fn usable_roles<'c>(cx: &'c CheckContext<'_>) -> &'c UsableRoles {
    cx.usable_roles()
}

/// Live EMR namespace → execution role ARN → why the role is usable there.
pub(crate) type UsableRoles = BTreeMap<String, BTreeMap<String, BTreeSet<RoleUse>>>;

/// Computes [`usable_roles`] (the context caches it).
pub(crate) fn compute_usable_roles(cx: &CheckContext<'_>) -> UsableRoles {
    let inventory = cx.inventory;
    let emr_namespaces = &cx.emr.namespaces;
    let mut out: UsableRoles = BTreeMap::new();
    let add = |out: &mut UsableRoles, ns: &str, role: &IamRole, kind: UseKind, detail: String| {
        if emr_namespaces.contains(ns) {
            out.entry(ns.to_owned())
                .or_default()
                .entry(role.arn.clone())
                .or_default()
                .insert(RoleUse { kind, detail });
        }
    };

    if let Some(trust_cx) = ClusterTrustContext::from_inventory(inventory) {
        let provider = trust_cx.provider_arn();
        let names_provider = |role: &IamRole| {
            role.assume_role_policy_document.as_ref().is_some_and(|d| {
                d.statements.iter().any(|st| match &st.principal {
                    Some(PolicyPrincipal::Typed(map)) => {
                        map.get("Federated").is_some_and(|v| v.contains(&provider))
                    }
                    _ => false,
                })
            })
        };
        for role in inventory.iam_roles.iter().filter(|r| names_provider(r)) {
            for st in analyze_emr_trust(role, &trust_cx) {
                let web_identity = st.scopes.iter().any(|s| {
                    s.is_emr_scoped()
                        || s.is_broader_web_identity()
                        || matches!(s, TrustScope::EmrPattern { .. })
                });
                if !web_identity {
                    continue;
                }
                for ns in &st.namespaces {
                    let detail = format!(
                        "{} admits service accounts of `{}`",
                        st.statement,
                        if ns == "*" { "every namespace" } else { ns }
                    );
                    if ns == "*" {
                        for emr_ns in emr_namespaces {
                            add(&mut out, emr_ns, role, UseKind::Trust, detail.clone());
                        }
                    } else {
                        add(&mut out, ns, role, UseKind::Trust, detail);
                    }
                }
            }
        }
        if let Some(issuer) = inventory.cluster().and_then(|c| c.oidc_issuer()) {
            for sa in &inventory.service_accounts {
                let ns = sa.metadata.namespace.as_deref().unwrap_or_default();
                if !emr_namespaces.contains(ns) {
                    continue;
                }
                let Some(role) = sa
                    .metadata
                    .annotations
                    .get(IRSA_ANNOTATION)
                    .and_then(|arn| inventory.role_by_arn(arn.trim()))
                else {
                    continue;
                };
                // A role its trust already makes usable here needs no second evaluation.
                let by_trust = out
                    .get(ns)
                    .and_then(|m| m.get(&role.arn))
                    .is_some_and(|uses| uses.iter().any(|u| u.kind == UseKind::Trust));
                if by_trust {
                    continue;
                }
                let sub = format!("system:serviceaccount:{ns}:{}", sa.metadata.name);
                if can_assume_web_identity(role, issuer, &sub, "sts.amazonaws.com").allowed {
                    add(
                        &mut out,
                        ns,
                        role,
                        UseKind::Annotation,
                        format!(
                            "service account `{ns}/{}` is annotated with it and its trust admits it",
                            sa.metadata.name
                        ),
                    );
                }
            }
        }
    }

    let vc_ns: HashMap<&str, &str> = inventory
        .virtual_clusters
        .iter()
        .filter(|vc| vc.is_active())
        .filter_map(|vc| vc.namespace().map(|ns| (vc.id.as_str(), ns)))
        .collect();
    for jr in &inventory.job_runs {
        let (Some(ns), Some(role)) = (
            vc_ns.get(jr.virtual_cluster_id.as_str()),
            jr.execution_role_arn
                .as_deref()
                .and_then(|a| inventory.role_by_arn(a)),
        ) else {
            continue;
        };
        let name = jr
            .name
            .as_deref()
            .map_or_else(String::new, |n| format!(" ({n})"));
        add(
            &mut out,
            ns,
            role,
            UseKind::JobRun,
            format!(
                "job run `{}`{name} of virtual cluster `{}` ran with it",
                jr.id, jr.virtual_cluster_id
            ),
        );
    }
    for ep in &inventory.managed_endpoints {
        let (Some(ns), Some(role)) = (
            vc_ns.get(ep.virtual_cluster_id.as_str()),
            ep.execution_role_arn
                .as_deref()
                .and_then(|a| inventory.role_by_arn(a)),
        ) else {
            continue;
        };
        let name = ep
            .name
            .as_deref()
            .map_or_else(String::new, |n| format!(" ({n})"));
        add(
            &mut out,
            ns,
            role,
            UseKind::ManagedEndpoint,
            format!(
                "managed endpoint `{}`{name} of virtual cluster `{}` uses it",
                ep.id, ep.virtual_cluster_id
            ),
        );
    }
    for assoc in &inventory.pod_identity_associations {
        let Some(role) = assoc
            .role_arn
            .as_deref()
            .and_then(|a| inventory.role_by_arn(a))
        else {
            continue;
        };
        if !emr_namespaces.contains(&assoc.namespace)
            || !can_assume_service(role, POD_IDENTITY_PRINCIPAL).allowed
        {
            continue;
        }
        add(
            &mut out,
            &assoc.namespace,
            role,
            UseKind::PodIdentity,
            format!(
                "Pod Identity association `{}` maps service account `{}/{}` to it",
                assoc.association_id.as_deref().unwrap_or("?"),
                assoc.namespace,
                assoc.service_account
            ),
        );
    }
    out
}

/// The namespaces each role is usable in (the inverse of [`usable_roles`]).
pub(crate) fn namespaces_by_role(
    usable: &BTreeMap<String, BTreeMap<String, BTreeSet<RoleUse>>>,
) -> BTreeMap<String, BTreeMap<String, BTreeSet<RoleUse>>> {
    let mut out: BTreeMap<String, BTreeMap<String, BTreeSet<RoleUse>>> = BTreeMap::new();
    for (ns, roles) in usable {
        for (role, uses) in roles {
            out.entry(role.clone())
                .or_default()
                .insert(ns.clone(), uses.clone());
        }
    }
    out
}

/// The statement `aws emr-containers update-role-trust-policy` writes for a role in a
/// namespace, as a JSON value.
pub(crate) fn emr_trust_statement(
    trust_cx: &ClusterTrustContext,
    namespace: &str,
    role_name: &str,
) -> serde_json::Value {
    serde_json::json!({
        "Effect": "Allow",
        "Principal": {"Federated": trust_cx.provider_arn()},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringLike": {
            format!("{}:sub", trust_cx.oidc_provider):
                emrguard_model::emr::emr_trust_sub_pattern(namespace, &trust_cx.account_id, role_name)
        }}
    })
}

/// Pretty JSON, or the compact form should pretty printing fail.
pub(crate) fn pretty(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_cut_with_a_count() {
        let names: Vec<String> = ["a", "b", "c"].iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(ticked(&names, 2), "`a`, `b` and 1 more");
        assert_eq!(ticked(&names, 3), "`a`, `b`, `c`");
    }
}
