//! Practice 6: RBAC rights that job submitters must not hold in EMR namespaces.
//!
//! All seven rules share one computation: the capabilities (from the RBAC engine) of every
//! tenant subject in every EMR namespace and cluster-wide, attributed to the subject written in
//! the binding or access entry that grants them, so a right granted to a group is reported once,
//! for the group.

pub mod tenant_can_create_pods;
pub mod tenant_can_create_service_account_tokens;
pub mod tenant_can_escalate_rbac;
pub mod tenant_can_exec_into_pods;
pub mod tenant_can_modify_configmaps;
pub mod tenant_can_read_secrets;
pub mod tenant_can_write_admission_webhooks;

use std::collections::{BTreeMap, BTreeSet};

use emrguard_model::k8s::ObjectRef;
use emrguard_rbac::{Capability, CapabilityKind, GrantSource, SubjectKind, SubjectRef};

use crate::context::{grant_is_own, CheckContext, SubjectClass};
use crate::finding::{Evidence, Finding, Remediation, ResourceRef};
use crate::registry::RuleMeta;

/// A capability of a tenant subject, with only the grants that are the subject's own.
#[derive(Debug, Clone)]
pub struct TenantCapability {
    /// The subject as written in bindings (or an access entry).
    pub subject: SubjectRef,
    /// The capability, evidence filtered to the subject's own grants.
    pub capability: Capability,
}

pub(crate) fn compute_tenant_capabilities(cx: &CheckContext<'_>) -> Vec<TenantCapability> {
    let index = cx.rbac();
    let emr_namespaces: Vec<&String> = cx.emr.namespaces.iter().collect();
    if emr_namespaces.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for subject in index.subjects() {
        if cx.classify_rbac_subject(subject) != SubjectClass::Tenant {
            continue;
        }
        // Only namespaces where the subject can hold rights: its RoleBindings' namespaces, or
        // every EMR namespace when it has cluster-wide grants or is an access entry.
        let bindings = index.bindings_of(subject);
        // An access entry's own grants are its access policies; one without any holds nothing
        // of its own (its Kubernetes groups are judged as their own subjects), so probing it
        // in every EMR namespace would find nothing at a cost of namespaces x probes.
        let access_entry_with_policies = subject.kind == SubjectKind::AccessEntry
            && cx
                .inventory
                .access_entries
                .iter()
                .any(|e| e.principal_arn == subject.name && !e.access_policies.is_empty());
        if subject.kind == SubjectKind::AccessEntry && !access_entry_with_policies {
            continue;
        }
        let cluster_wide =
            access_entry_with_policies || bindings.iter().any(|(b, _)| b.namespace.is_none());
        let bound: BTreeSet<&str> = bindings
            .iter()
            .filter_map(|(b, _)| b.namespace.as_deref())
            .collect();
        let mut seen_cluster: BTreeSet<CapabilityKind> = BTreeSet::new();
        for ns in &emr_namespaces {
            if !cluster_wide && !bound.contains(ns.as_str()) {
                continue;
            }
            for mut cap in index.capabilities_of(subject, ns) {
                for e in &mut cap.evidence {
                    e.grants.retain(|g| grant_is_own(g, subject));
                }
                cap.evidence.retain(|e| !e.grants.is_empty());
                if cap.evidence.is_empty() {
                    continue;
                }
                if cap.namespace.is_none() && !seen_cluster.insert(cap.kind) {
                    continue;
                }
                out.push(TenantCapability {
                    subject: subject.clone(),
                    capability: cap,
                });
            }
        }
    }
    out
}

/// The finding resource for a subject.
pub(crate) fn subject_resource(subject: &SubjectRef) -> ResourceRef {
    match subject.kind {
        SubjectKind::AccessEntry => ResourceRef::aws("AccessEntry", &subject.name, None),
        kind => ResourceRef::k8s(kind.as_str(), subject.namespace.as_deref(), &subject.name),
    }
}

fn object_resource(cx: &CheckContext<'_>, obj: &ObjectRef) -> ResourceRef {
    let inv = cx.inventory;
    let matches = |m: &emrguard_model::k8s::ObjectMeta| {
        m.name == obj.name && m.namespace.as_deref() == obj.namespace.as_deref()
    };
    let source = match obj.kind.as_str() {
        "RoleBinding" => inv
            .role_bindings
            .iter()
            .find(|b| matches(&b.metadata))
            .map(|b| &b.source),
        "ClusterRoleBinding" => inv
            .cluster_role_bindings
            .iter()
            .find(|b| matches(&b.metadata))
            .map(|b| &b.source),
        "Role" => inv
            .roles
            .iter()
            .find(|r| matches(&r.metadata))
            .map(|r| &r.source),
        "ClusterRole" => inv
            .cluster_roles
            .iter()
            .find(|r| matches(&r.metadata))
            .map(|r| &r.source),
        _ => None,
    };
    let r = ResourceRef::k8s(&obj.kind, obj.namespace.as_deref(), &obj.name);
    match source {
        Some(s) => r.at(s),
        None => r,
    }
}

/// A namespace in a request's description.
fn in_namespace(ns: &str) -> String {
    format!("in `{ns}`")
}

/// Reports one finding per (subject) for the capabilities selected by `select`, joining
/// namespaces. `what` completes "`Group team-a` can ...".
pub(crate) fn report(
    cx: &CheckContext<'_>,
    meta: &'static RuleMeta,
    out: &mut Vec<Finding>,
    what: &str,
    select: impl Fn(&TenantCapability) -> Option<Capability>,
    remediation: impl Fn(&SubjectRef, &[String]) -> Remediation,
) {
    let mut by_subject: BTreeMap<SubjectRef, Vec<Capability>> = BTreeMap::new();
    for tc in cx.tenant_capabilities() {
        if let Some(cap) = select(tc) {
            by_subject.entry(tc.subject.clone()).or_default().push(cap);
        }
    }
    for (subject, caps) in by_subject {
        let mut scopes: Vec<String> = caps
            .iter()
            .map(|c| {
                c.namespace
                    .clone()
                    .unwrap_or_else(|| "cluster-wide".to_owned())
            })
            .collect();
        scopes.sort();
        scopes.dedup();
        let where_ = if scopes.iter().any(|s| s == "cluster-wide") {
            "cluster-wide".to_owned()
        } else {
            format!(
                "in EMR namespace{} {}",
                if scopes.len() > 1 { "s" } else { "" },
                scopes
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let subject_ref = subject_resource(&subject);
        let mut builder = meta
            .finding(format!(
                "{} `{}` can {what} {where_}",
                subject.kind.as_str(),
                subject.name
            ))
            .resource(subject_ref.clone());
        let mut seen = BTreeSet::new();
        for cap in &caps {
            for ev in &cap.evidence {
                for g in &ev.grants {
                    let rule_text = g.rule.as_ref().map(|r| {
                        format!(
                            "rule {}: verbs [{}] on [{}]{}",
                            g.rule_index.unwrap_or(0),
                            r.verbs.join(", "),
                            r.resources.join(", "),
                            if r.resource_names.is_empty() {
                                String::new()
                            } else {
                                format!(" named [{}]", r.resource_names.join(", "))
                            }
                        )
                    });
                    let key = format!("{:?}{:?}", g.source, ev.request);
                    if !seen.insert(key) {
                        continue;
                    }
                    match &g.source {
                        GrantSource::Binding { binding, role, .. } => {
                            let b = object_resource(cx, binding);
                            let r = object_resource(cx, role);
                            builder = builder.resource(b.clone()).resource(r.clone()).evidence(
                                Evidence::about(
                                    format!(
                                        "{} `{}` binds {} `{}` to {} `{}`, which allows {}",
                                        binding.kind,
                                        binding.namespace.as_ref().map_or(
                                            binding.name.clone(),
                                            |ns| format!("{ns}/{}", binding.name)
                                        ),
                                        subject.kind.as_str(),
                                        subject.name,
                                        role.kind,
                                        role.namespace.as_ref().map_or(
                                            role.name.clone(),
                                            |ns| format!("{ns}/{}", role.name)
                                        ),
                                        ev.request.describe(in_namespace)
                                    ),
                                    b,
                                )
                                .with_detail(rule_text.unwrap_or_default()),
                            );
                        }
                        GrantSource::AccessPolicy {
                            policy_arn,
                            access_scope,
                            ..
                        } => {
                            builder = builder.evidence(
                                Evidence::about(
                                    format!(
                                        "the access entry is associated with `{policy_arn}` ({} scope), which allows {}",
                                        access_scope.scope_type,
                                        ev.request.describe(in_namespace)
                                    ),
                                    subject_ref.clone(),
                                )
                                .with_detail(rule_text.unwrap_or_default()),
                            );
                        }
                        GrantSource::PrivilegedGroup { group, .. } => {
                            builder = builder.evidence(Evidence::text(format!(
                                "member of `{group}`, which kube-apiserver allows everything"
                            )));
                        }
                    }
                }
            }
        }
        let targets: Vec<String> = caps
            .iter()
            .flat_map(|c| c.targets.iter().cloned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if !targets.is_empty()
            && targets
                .iter()
                .all(|t| t != emrguard_rbac::capability::EVERY)
        {
            builder = builder.evidence(Evidence::text(format!("reaches {}", targets.join(", "))));
        }
        builder
            .remediation(remediation(&subject, &scopes))
            .push(out);
    }
}

/// A least-privilege Role for job submitters in an EMR namespace: read-only on what they need
/// to follow their jobs.
pub(crate) fn submitter_role_yaml(namespace: &str) -> String {
    format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: emr-job-submitter-readonly\n  namespace: {namespace}\nrules:\n- apiGroups: [\"\"]\n  resources: [\"pods\", \"pods/log\", \"events\"]\n  verbs: [\"get\", \"list\", \"watch\"]\n"
    )
}

/// The standard remediation: remove the rights from the subject's bindings and give it the
/// read-only submitter role instead.
pub(crate) fn standard_remediation(
    what: &str,
    subject: &SubjectRef,
    scopes: &[String],
) -> Remediation {
    let ns = scopes
        .iter()
        .find(|s| *s != "cluster-wide")
        .cloned()
        .unwrap_or_else(|| "EMR_NAMESPACE".to_owned());
    let subject_yaml = match subject.kind {
        SubjectKind::ServiceAccount => format!(
            "- kind: ServiceAccount\n  name: {}\n  namespace: {}\n",
            subject.name,
            subject.namespace.as_deref().unwrap_or(&ns)
        ),
        SubjectKind::AccessEntry => String::new(),
        kind => format!(
            "- apiGroup: rbac.authorization.k8s.io\n  kind: {}\n  name: {}\n",
            kind.as_str(),
            subject.name
        ),
    };
    let mut r = Remediation::summary(format!(
        "Remove {what} from the roles bound to this subject (or unbind them) and let job submitters use StartJobRun instead; grant only read access in EMR namespaces."
    ));
    if subject.kind == SubjectKind::AccessEntry {
        r = r.fix(
            "Replace the access policy association with a namespace-scoped view policy",
            "shell",
            format!(
                "aws eks disassociate-access-policy --cluster-name CLUSTER --principal-arn {} --policy-arn POLICY_ARN\naws eks associate-access-policy --cluster-name CLUSTER --principal-arn {} --policy-arn arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy --access-scope type=namespace,namespaces={ns}",
                subject.name, subject.name
            ),
        );
    } else {
        r = r.fix(
            "A read-only role for job submitters, bound instead of the current role",
            "yaml",
            format!(
                "{}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: emr-job-submitter-readonly\n  namespace: {ns}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: emr-job-submitter-readonly\nsubjects:\n{subject_yaml}",
                submitter_role_yaml(&ns)
            ),
        );
    }
    r
}

/// Keeps a capability of the given kind.
pub(crate) fn of_kind(kind: CapabilityKind) -> impl Fn(&TenantCapability) -> Option<Capability> {
    move |tc| (tc.capability.kind == kind).then(|| tc.capability.clone())
}
