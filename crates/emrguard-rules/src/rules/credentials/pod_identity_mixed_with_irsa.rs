//! CRED003: EMR service accounts of one namespace get credentials from both Pod Identity and
//! IRSA.

use std::collections::BTreeMap;

use emrguard_model::aws::{IamRole, PodIdentityAssociation};
use emrguard_model::emr::{is_emr_service_account_name, IRSA_ANNOTATION};
use emrguard_model::inventory::area;
use emrguard_model::k8s::ServiceAccount;
use emrguard_model::policy::Effect;

use crate::context::CheckContext;
use crate::finding::{Evidence, Finding, Remediation, ResourceRef};
use crate::registry::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Flags namespaces where EMR service accounts get credentials both from EKS Pod Identity
    /// (associations for `emr-containers-sa-*` names) and from IRSA: a role trust statement
    /// that lets this cluster's OIDC provider assume the role for an `emr-containers-sa-*`
    /// service account of the namespace (`<issuer>:sub` = `system:serviceaccount:<ns>:emr-containers-sa-...`),
    /// or an `eks.amazonaws.com/role-arn` annotation on such a service account.
    ///
    /// ## Why is this bad?
    /// With both mechanisms the credentials a job gets depend on SDK provider order (web
    /// identity is tried before the Pod Identity agent), so removing an association does not
    /// revoke access and reviewing one mechanism misses the other. Least privilege needs one
    /// source of truth per namespace.
    ///
    /// ## Example
    /// An association for `emr-team-a/emr-containers-sa-spark-driver-111122223333-16o0gwny3p`,
    /// and role `myrole` trusting `system:serviceaccount:emr-team-a:emr-containers-sa-*-*-111122223333-16o0gwny3p`.
    ///
    /// ## Remediation
    /// Pick one mechanism for the namespace. To keep Pod Identity, remove the IRSA trust
    /// statements for the namespace and the annotations; to keep IRSA, delete the
    /// associations.
    ///
    /// ## References
    /// - Amazon EMR on EKS Development Guide: Setting up IAM for job execution (Option 1: EKS Pod Identity; Option 2: IRSA)
    /// - Amazon EKS User Guide: EKS Pod Identity and IRSA
    pub struct PodIdentityMixedWithIrsa {
        code: "CRED003",
        name: "pod-identity-mixed-with-irsa",
        summary: "EMR service accounts of one namespace get credentials from both Pod Identity and IRSA",
        practice: PodCredentialAccess,
        severity: Medium,
        requires: [area::POD_IDENTITY, area::IAM],
    }
}

#[derive(Default)]
struct Mechanisms<'a> {
    associations: Vec<&'a PodIdentityAssociation>,
    trusting_roles: Vec<(&'a IamRole, String)>,
    annotated: Vec<&'a ServiceAccount>,
}

/// IAM `StringLike` matching with `*` and `?`.
fn glob(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some((b'*', rest)) => {
                (0..=t.len()).any(|i| t.get(i..).is_some_and(|tail| go(rest, tail)))
            }
            Some((c, rest)) => t
                .split_first()
                .is_some_and(|(tc, t_rest)| (*c == b'?' || c == tc) && go(rest, t_rest)),
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

/// The `sub` values of a role's Allow trust statements for the cluster's OIDC provider.
fn trusted_subjects<'a>(role: &'a IamRole, provider: Option<&str>) -> Vec<&'a str> {
    let Some(trust) = &role.assume_role_policy_document else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for st in trust
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow)
    {
        let federated = st
            .principal
            .as_ref()
            .map(|p| p.values("Federated"))
            .unwrap_or_default();
        let for_cluster = match provider {
            Some(provider) => federated.iter().any(|f| f.ends_with(provider)),
            None => federated.iter().any(|f| f.contains("oidc-provider/")),
        };
        if !for_cluster {
            continue;
        }
        for keys in st.condition.values() {
            for (key, values) in keys {
                if key.ends_with(":sub") {
                    out.extend(values.iter().map(String::as_str));
                }
            }
        }
    }
    out
}

impl Rule for PodIdentityMixedWithIrsa {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let inventory = cx.inventory;
        let mut by_ns: BTreeMap<&str, Mechanisms<'_>> = BTreeMap::new();
        for assoc in &inventory.pod_identity_associations {
            if is_emr_service_account_name(&assoc.service_account) {
                by_ns
                    .entry(assoc.namespace.as_str())
                    .or_default()
                    .associations
                    .push(assoc);
            }
        }
        let provider = inventory.cluster().and_then(|c| c.oidc_provider());
        for role in &inventory.iam_roles {
            for sub in trusted_subjects(role, provider) {
                let Some((ns_pattern, sa_pattern)) = sub
                    .strip_prefix("system:serviceaccount:")
                    .and_then(|r| r.split_once(':'))
                else {
                    continue;
                };
                if !sa_pattern.starts_with("emr-containers-sa-") {
                    continue;
                }
                for (ns, m) in by_ns.iter_mut() {
                    if glob(ns_pattern, ns)
                        && !m.trusting_roles.iter().any(|(r, _)| r.arn == role.arn)
                    {
                        m.trusting_roles.push((role, sub.to_owned()));
                    }
                }
            }
        }
        for sa in &inventory.service_accounts {
            let ns = sa.metadata.namespace.as_deref().unwrap_or("default");
            if is_emr_service_account_name(&sa.metadata.name)
                && sa.metadata.annotations.contains_key(IRSA_ANNOTATION)
            {
                if let Some(m) = by_ns.get_mut(ns) {
                    m.annotated.push(sa);
                }
            }
        }
        let cluster = inventory.cluster().map_or("CLUSTER", |c| c.name.as_str());
        for (ns, m) in &by_ns {
            if m.trusting_roles.is_empty() && m.annotated.is_empty() {
                continue;
            }
            let ns_ref = inventory.namespace(ns).map_or_else(
                || ResourceRef::k8s("Namespace", None, ns),
                |n| ResourceRef::k8s("Namespace", None, ns).at(&n.source),
            );
            let mut irsa_parts = Vec::new();
            if !m.trusting_roles.is_empty() {
                irsa_parts.push(format!(
                    "{} role trust polic{}",
                    m.trusting_roles.len(),
                    if m.trusting_roles.len() == 1 {
                        "y"
                    } else {
                        "ies"
                    }
                ));
            }
            if !m.annotated.is_empty() {
                irsa_parts.push(format!(
                    "{} annotated service account{}",
                    m.annotated.len(),
                    if m.annotated.len() == 1 { "" } else { "s" }
                ));
            }
            let mut finding = Self::META
                .finding(format!(
                    "EMR service accounts in namespace `{ns}` get credentials from both Pod Identity ({} association{}) and IRSA ({})",
                    m.associations.len(),
                    if m.associations.len() == 1 { "" } else { "s" },
                    irsa_parts.join(", ")
                ))
                .resource(ns_ref);
            let mut keep_irsa = Vec::new();
            let mut keep_pod_identity = Vec::new();
            for assoc in &m.associations {
                let id = assoc.association_id.as_deref().unwrap_or("ASSOCIATION_ID");
                let r = match assoc.association_arn.as_deref() {
                    Some(arn) => ResourceRef::aws("PodIdentityAssociation", arn, Some(id)),
                    None => ResourceRef::aws_named(
                        "PodIdentityAssociation",
                        &format!("{ns}/{}/{id}", assoc.service_account),
                    ),
                }
                .at(&assoc.source);
                finding = finding.resource(r.clone()).evidence(Evidence::about(
                    format!(
                        "Pod Identity association `{id}` gives `{}` role `{}`",
                        assoc.service_account,
                        assoc.role_arn.as_deref().unwrap_or("(not described)")
                    ),
                    r,
                ));
                keep_irsa.push(format!(
                    "aws eks delete-pod-identity-association --cluster-name {} --association-id {id}",
                    assoc.cluster_name.as_deref().unwrap_or(cluster)
                ));
            }
            for (role, sub) in &m.trusting_roles {
                let r =
                    ResourceRef::aws("IAMRole", &role.arn, Some(&role.role_name)).at(&role.source);
                finding = finding.resource(r.clone()).evidence(
                    Evidence::about(
                        format!(
                            "role `{}` trusts the cluster's OIDC provider for `{sub}`",
                            role.role_name
                        ),
                        r,
                    )
                    .with_detail("AssumeRolePolicyDocument"),
                );
                keep_pod_identity.push(format!(
                    "aws iam get-role --role-name {name} --query Role.AssumeRolePolicyDocument > {name}-trust.json\n# delete the sts:AssumeRoleWithWebIdentity statement for `{sub}`, then:\naws iam update-assume-role-policy --role-name {name} --policy-document file://{name}-trust.json",
                    name = role.role_name
                ));
            }
            for sa in &m.annotated {
                let name = sa.metadata.name.as_str();
                let r = ResourceRef::k8s("ServiceAccount", Some(ns), name).at(&sa.source);
                finding = finding.resource(r.clone()).evidence(
                    Evidence::about(
                        format!(
                            "service account `{ns}/{name}` has `{IRSA_ANNOTATION}: {}`",
                            sa.metadata
                                .annotations
                                .get(IRSA_ANNOTATION)
                                .map_or("", |s| s.as_str())
                        ),
                        r,
                    )
                    .with_detail(IRSA_ANNOTATION),
                );
                keep_pod_identity.push(format!(
                    "kubectl annotate serviceaccount -n {ns} {name} {IRSA_ANNOTATION}-"
                ));
            }
            finding
                .evidence(Evidence::text(
                    "SDKs try web identity before the Pod Identity agent, so which role a pod gets depends on provider order, and removing one mechanism leaves the other",
                ))
                .remediation(
                    Remediation::summary(format!(
                        "Use one mechanism in `{ns}`: remove either the associations or the IRSA trust statements and annotations."
                    ))
                    .fix("To keep Pod Identity: remove the IRSA trust statements and annotations", "shell", keep_pod_identity.join("\n"))
                    .fix("Or, to keep IRSA: delete the associations", "shell", keep_irsa.join("\n")),
                )
                .push(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs() {
        assert!(glob("emr-*", "emr-team-a"));
        assert!(glob("*", "anything"));
        assert!(glob("emr-team-?", "emr-team-a"));
        assert!(!glob("emr-team-?", "emr-team-ab"));
        assert!(!glob("emr-team-a", "emr-team-b"));
    }
}
