//! ISO001: a virtual cluster whose namespace offers execution roles of different privilege to
//! untrusted submitters.

use std::collections::{BTreeMap, BTreeSet};

use emrguard_iam::privilege::PrivilegeKind;
use emrguard_iam::Tier;
use emrguard_model::inventory::area;
use emrguard_rbac::CapabilityKind;

use crate::context::{CheckContext, SubjectClass};
use crate::finding::{Evidence, Finding, Remediation, ResourceRef, Severity};
use crate::registry::Rule;
use crate::rules::exec_role::job_submitter_not_pinned::virtual_cluster_arn;
use crate::rules::exec_role::{principals_that_may_allow, role_ref, ticked, usable_roles, UseKind};

crate::declare_rule! {
    /// ## What it does
    /// For each live virtual cluster, collects the execution roles usable in its namespace:
    /// roles whose IRSA trust admits the namespace's service accounts, roles its job runs and
    /// managed endpoints used, roles of Pod Identity associations for its service accounts
    /// (when the role trusts `pods.eks.amazonaws.com`) and of IRSA annotations on them (when
    /// the trust admits the account). It ranks each role with the IAM engine's privilege tier
    /// (`read-only`, `limited-write`, `data-read`, `data-write`, `infra-change`,
    /// `resource-exposure`, `privilege-escalation`, `admin`) and flags the virtual cluster when
    /// the roles have different tiers and untrusted code can run there: a configured tenant of
    /// the namespace that is not `trusted`, or, without tenants in the configuration, a tenant
    /// subject the RBAC engine lets create pods in the namespace; in both cases also an IAM
    /// principal allowed `emr-containers:StartJobRun` on the virtual cluster that is not an
    /// admin or a trusted tenant's. Severity: high when the most privileged role can escalate
    /// or is above the tenant's `max-tier`, medium from `data-read` up, low below that.
    ///
    /// ## Why is this bad?
    /// EMR: "If you are running a multi-tenanted virtual cluster that is configured using
    /// multiple execution roles that can be used to submit jobs by untrusted tenants running
    /// arbitrary code, there is a risk of a malicious application escalating its privileges."
    /// A job's code can reach the other roles of its namespace (any pod whose service account
    /// fits EMR's pattern can assume them), so the namespace is as privileged as its most
    /// privileged role.
    ///
    /// ## Example
    /// Namespace `emr-team-a` trusts `emr-team-a-etl-execution` (`data-read`) and
    /// `emr-platform-maintenance-execution` (`privilege-escalation`), and tenant `team-a`
    /// (untrusted) submits jobs there.
    ///
    /// ## Remediation
    /// Move the more privileged roles to a virtual cluster of their own, on a namespace only
    /// trusted submitters can use, and remove their trust statements for this namespace.
    ///
    /// ## References
    /// - Amazon EMR on EKS security best practices: "Isolate untrusted application code"
    pub struct MixedPrivilegeExecutionRoles {
        code: "ISO001",
        name: "mixed-privilege-execution-roles",
        summary: "untrusted submitters share a namespace with execution roles of different privilege",
        practice: UntrustedCodeIsolation,
        severity: High,
        requires: [area::IAM, area::VIRTUAL_CLUSTERS],
    }
}

fn use_label(kind: &UseKind) -> &'static str {
    match kind {
        UseKind::Trust => "trust",
        UseKind::JobRun => "job history",
        UseKind::ManagedEndpoint => "managed endpoint",
        UseKind::PodIdentity => "Pod Identity",
        UseKind::Annotation => "IRSA annotation",
    }
}

/// Who may run untrusted code in a namespace, as evidence lines (empty when nobody).
fn untrusted_submitters(
    cx: &CheckContext<'_>,
    namespace: &str,
    vc_arn: &str,
    startjobrun: &[crate::rules::exec_role::Principal<'_>],
) -> (Vec<String>, Option<Tier>) {
    let mut out = Vec::new();
    let mut max_tier: Option<Tier> = None;
    let configured = !cx.config.tenants.is_empty();
    for (name, tenant) in &cx.config.tenants {
        if tenant.trusted || !tenant.namespaces.iter().any(|n| n == namespace) {
            continue;
        }
        out.push(format!(
            "tenant `{name}` submits to `{namespace}` and is not trusted"
        ));
        let tier = tenant.max_tier.as_deref().and_then(parse_tier);
        max_tier = match (max_tier, tier) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    if !configured {
        let mut subjects: BTreeSet<String> = BTreeSet::new();
        for tc in cx.tenant_capabilities() {
            if tc.capability.kind == CapabilityKind::RunAsAnyServiceAccount
                && tc
                    .capability
                    .namespace
                    .as_deref()
                    .is_none_or(|ns| ns == namespace)
            {
                subjects.insert(format!(
                    "{} `{}`",
                    tc.subject.kind.as_str(),
                    tc.subject.name
                ));
            }
        }
        for s in subjects {
            out.push(format!("{s} can create pods in `{namespace}`"));
        }
    }
    for p in startjobrun {
        let trusted_tenant = cx
            .config
            .tenants
            .values()
            .any(|t| t.trusted && t.iam_principals.iter().any(|a| a == p.arn()));
        if trusted_tenant
            || matches!(
                cx.classify_principal(p.arn()),
                SubjectClass::Admin | SubjectClass::Emr | SubjectClass::ControlPlane
            )
        {
            continue;
        }
        let analysis = p.analysis(cx);
        // Administrators can do anything anyway; they are not tenants.
        if crate::rules::exec_role::admin_coverage(&analysis).full {
            continue;
        }
        let allowed = analysis
            .privilege
            .effective
            .grants_for("emr-containers:StartJobRun")
            .iter()
            .any(|g| {
                g.resources
                    .iter()
                    .any(|pat| match pat.strip_prefix("not ") {
                        Some(not) => !emrguard_iam::glob_matches(not, vc_arn),
                        None => emrguard_iam::glob_matches(pat, vc_arn),
                    })
            });
        if allowed {
            out.push(format!(
                "{} `{}` is allowed `emr-containers:StartJobRun` on the virtual cluster",
                if p.kind() == "IAMUser" {
                    "user"
                } else {
                    "role"
                },
                p.name()
            ));
        }
    }
    out.sort();
    out.dedup();
    (out, max_tier)
}

/// A tier from its kebab-case name.
pub(crate) fn parse_tier(name: &str) -> Option<Tier> {
    [
        Tier::None,
        Tier::ReadOnly,
        Tier::LimitedWrite,
        Tier::DataRead,
        Tier::DataWrite,
        Tier::InfraChange,
        Tier::ResourceExposure,
        Tier::PrivilegeEscalation,
        Tier::Admin,
    ]
    .into_iter()
    .find(|t| t.as_str() == name)
}

impl Rule for MixedPrivilegeExecutionRoles {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let usable = usable_roles(cx);
        if usable.is_empty() {
            return;
        }
        let startjobrun = principals_that_may_allow(cx, &["emr-containers:StartJobRun"]);
        for vc in cx
            .inventory
            .virtual_clusters
            .iter()
            .filter(|v| v.is_active())
        {
            let Some(ns) = vc.namespace() else { continue };
            let Some(roles) = usable.get(ns) else {
                continue;
            };
            let mut tiers: BTreeMap<String, Tier> = BTreeMap::new();
            for arn in roles.keys() {
                if let Some(role) = cx.inventory.role_by_arn(arn) {
                    tiers.insert(arn.clone(), cx.iam_summary(role).privilege.tier);
                }
            }
            let distinct: BTreeSet<Tier> = tiers.values().copied().collect();
            if distinct.len() < 2 {
                continue;
            }
            let vc_arn = virtual_cluster_arn(cx, vc);
            let (submitters, allowed_tier) = untrusted_submitters(cx, ns, &vc_arn, &startjobrun);
            if submitters.is_empty() {
                continue;
            }
            let highest = distinct.iter().next_back().copied().unwrap_or(Tier::None);
            let lowest = distinct.iter().next().copied().unwrap_or(Tier::None);
            let vc_name = vc.name.as_deref().unwrap_or(&vc.id);
            let vc_ref = ResourceRef::aws("VirtualCluster", &vc_arn, Some(&vc.id)).at(&vc.source);
            let ns_ref = cx.inventory.namespace(ns).map_or_else(
                || ResourceRef::k8s("Namespace", None, ns),
                |n| ResourceRef::k8s("Namespace", None, ns).at(&n.source),
            );
            // Most privileged first.
            let mut ordered: Vec<(&String, Tier)> = tiers.iter().map(|(a, t)| (a, *t)).collect();
            ordered.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let summary: Vec<String> = ordered
                .iter()
                .map(|(arn, t)| {
                    format!(
                        "`{}` ({})",
                        emrguard_model::emr::role_name_from_arn(arn),
                        t.as_str()
                    )
                })
                .collect();
            let mut finding = Self::META
                .finding(format!(
                    "namespace `{ns}` of virtual cluster `{vc_name}` offers execution roles from `{}` to `{}` to untrusted submitters: {}",
                    lowest.as_str(),
                    highest.as_str(),
                    summary.join(", ")
                ))
                .resource(vc_ref.clone())
                .resource(ns_ref);
            for (arn, tier) in &ordered {
                let Some(role) = cx.inventory.role_by_arn(arn) else {
                    continue;
                };
                finding = finding.resource(role_ref(role));
                let uses = roles.get(*arn).cloned().unwrap_or_default();
                let kinds: BTreeSet<&'static str> =
                    uses.iter().map(|u| use_label(&u.kind)).collect();
                let details: Vec<String> = uses.iter().map(|u| u.detail.clone()).collect();
                let analysis = cx.iam_summary(role);
                let worst_kind = analysis.privilege.classes.iter().map(|c| c.kind).max();
                let class_details: Vec<String> = analysis
                    .privilege
                    .classes
                    .iter()
                    .filter(|c| Some(c.kind) == worst_kind)
                    .map(|c| c.detail.clone())
                    .collect();
                let worst: Vec<String> = match worst_kind {
                    Some(PrivilegeKind::PrivilegeEscalation) => {
                        vec![format!("escalation by {}", ticked(&class_details, 3))]
                    }
                    _ => class_details.into_iter().take(1).collect(),
                };
                finding = finding.evidence(
                    Evidence::about(
                        format!(
                            "`{}` is `{}`{} and usable in `{ns}` by {}",
                            role.role_name,
                            tier.as_str(),
                            if worst.is_empty() {
                                String::new()
                            } else {
                                format!(" ({})", worst.join("; "))
                            },
                            kinds.into_iter().collect::<Vec<_>>().join(", ")
                        ),
                        role_ref(role),
                    )
                    .with_detail(details.join("; ")),
                );
            }
            for s in submitters.iter().take(8) {
                finding = finding.evidence(Evidence::about(s.clone(), vc_ref.clone()));
            }
            if submitters.len() > 8 {
                finding = finding.evidence(Evidence::text(format!(
                    "and {} more untrusted submitters",
                    submitters.len() - 8
                )));
            }
            let exceeds = allowed_tier.is_some_and(|t| highest > t);
            if let Some(t) = allowed_tier.filter(|_| exceeds) {
                finding = finding.evidence(Evidence::text(format!(
                    "the tenant's `max-tier` is `{}`, below `{}`",
                    t.as_str(),
                    highest.as_str()
                )));
            }
            let high_roles: Vec<String> = ordered
                .iter()
                .filter(|(_, t)| *t == highest)
                .map(|(arn, _)| emrguard_model::emr::role_name_from_arn(arn).to_owned())
                .collect();
            let cluster = cx
                .inventory
                .cluster()
                .map_or("CLUSTER", |c| c.name.as_str());
            let commands: Vec<String> = high_roles
                .iter()
                .map(|r| {
                    format!(
                        "aws emr-containers update-role-trust-policy --cluster-name {cluster} --namespace {ns}-privileged --role-name {r}\n# then remove the statement for `{ns}` from {r}'s trust policy (aws iam update-assume-role-policy)"
                    )
                })
                .collect();
            let mut built = finding
                .remediation(
                    Remediation::summary(format!(
                        "Give {} a namespace and virtual cluster of its own that only trusted submitters can use, and stop trusting it in `{ns}`.",
                        ticked(&high_roles, 4)
                    ))
                    .fix(
                        "Move the most privileged roles to their own namespace",
                        "shell",
                        format!(
                            "kubectl create namespace {ns}-privileged\n\
                             eksctl create iamidentitymapping --cluster {cluster} --namespace {ns}-privileged --service-name emr-containers\n\
                             aws emr-containers create-virtual-cluster --name {vc_name}-privileged --container-provider '{{\"id\":\"{cluster}\",\"type\":\"EKS\",\"info\":{{\"eksInfo\":{{\"namespace\":\"{ns}-privileged\"}}}}}}'\n{}",
                            commands.join("\n")
                        ),
                    ),
                )
                .build();
            built.severity = if exceeds || highest >= Tier::PrivilegeEscalation {
                Severity::High
            } else if highest >= Tier::DataRead {
                Severity::Medium
            } else {
                Severity::Low
            };
            out.push(built);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tier_name_parses_back() {
        for tier in [
            Tier::None,
            Tier::ReadOnly,
            Tier::LimitedWrite,
            Tier::DataRead,
            Tier::DataWrite,
            Tier::InfraChange,
            Tier::ResourceExposure,
            Tier::PrivilegeEscalation,
            Tier::Admin,
        ] {
            assert_eq!(parse_tier(tier.as_str()), Some(tier));
        }
        assert_eq!(parse_tier("data_write"), None);
    }
}
