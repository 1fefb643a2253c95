//! CRED005: an EMR-named service account annotated with another role than its name encodes.

use emrguard_model::emr::{parse_emr_service_account, IRSA_ANNOTATION};
use emrguard_model::inventory::area;

use crate::context::CheckContext;
use crate::finding::{Evidence, Finding, Remediation, ResourceRef};
use crate::registry::Rule;
use crate::rules::credentials::{arn_matches_encoded_role, shown};

crate::declare_rule! {
    /// ## What it does
    /// Flags EMR-managed service accounts
    /// (`emr-containers-sa-<framework>-<component>-<account>-<base36 role name>`) whose
    /// `eks.amazonaws.com/role-arn` annotation names a role other than the one the name
    /// encodes (compared by account and role name, whatever the role's path).
    ///
    /// ## Why is this bad?
    /// The IRSA webhook gives pods the role of their service account's annotation. EMR names
    /// the service account after the job's execution role, so an annotation naming another
    /// role swaps the job's credentials; if that role trusts the account's pattern, jobs
    /// submitted with a low-privilege role run with the other role's permissions.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ServiceAccount
    /// metadata:
    ///   name: emr-containers-sa-spark-driver-111122223333-16o0gwny3p   # encodes "myrole"
    ///   namespace: emr-team-a
    ///   annotations: {eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/admin}
    /// ```
    ///
    /// ## Remediation
    /// Set the annotation to the encoded role (or delete the service account and let EMR
    /// recreate it at the next submission), and find out who changed it.
    ///
    /// ## References
    /// - Amazon EMR on EKS Development Guide: Setting up IAM roles for service accounts (service-account naming)
    /// - Amazon EKS User Guide: IAM roles for service accounts
    pub struct EmrServiceAccountRoleAnnotationMismatch {
        code: "CRED005",
        name: "emr-service-account-role-annotation-mismatch",
        summary: "an EMR service account's IRSA annotation names another role than its name encodes",
        practice: PodCredentialAccess,
        severity: High,
        requires: [area::SERVICE_ACCOUNTS],
    }
}

impl Rule for EmrServiceAccountRoleAnnotationMismatch {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let partition = cx.inventory.partition();
        for sa in &cx.inventory.service_accounts {
            let Some(parsed) = parse_emr_service_account(&sa.metadata.name) else {
                continue;
            };
            let (Some(expected), Some(encoded_name)) =
                (parsed.role_arn(partition), parsed.role_name.as_deref())
            else {
                continue;
            };
            let Some(annotated) = sa
                .metadata
                .annotations
                .get(IRSA_ANNOTATION)
                .map(|a| a.trim())
                .filter(|a| !a.is_empty())
            else {
                continue;
            };
            if arn_matches_encoded_role(annotated, &parsed) {
                continue;
            }
            let ns = sa.metadata.namespace.as_deref().unwrap_or("default");
            let name = sa.metadata.name.as_str();
            let sa_ref = ResourceRef::k8s("ServiceAccount", Some(ns), name).at(&sa.source);
            let mut finding = Self::META
                .finding(format!(
                    "EMR service account `{ns}/{name}` is annotated with role `{}`, but its name encodes `{}`",
                    shown(annotated, &expected).0,
                    shown(annotated, &expected).1
                ))
                .resource(sa_ref.clone())
                .evidence(
                    Evidence::about(
                        format!(
                            "`{name}` is an EMR-managed {} service account name: its segment `{}` decodes to role `{encoded_name}` in account `{}`",
                            parsed.component, parsed.encoded_role, parsed.account_id
                        ),
                        sa_ref.clone(),
                    )
                    .with_detail(format!("expected role: {expected}")),
                )
                .evidence(
                    Evidence::about(format!("its annotation `{IRSA_ANNOTATION}` is `{annotated}`"), sa_ref)
                        .with_detail(IRSA_ANNOTATION),
                );
            if let Some(role) = cx.inventory.role_by_arn(annotated) {
                let role_ref =
                    ResourceRef::aws("IAMRole", &role.arn, Some(&role.role_name)).at(&role.source);
                finding = finding.resource(role_ref.clone()).evidence(Evidence::about(
                    format!("role `{}` exists in the account; pods of this service account are given its credentials", role.role_name),
                    role_ref,
                ));
            }
            finding
                .evidence(Evidence::text(format!(
                    "jobs submitted with `{encoded_name}` in `{ns}` get the annotated role instead"
                )))
                .remediation(
                    Remediation::summary("Annotate the service account with the role its name encodes, or delete it so EMR recreates it.")
                        .fix(
                            "Restore the annotation",
                            "shell",
                            format!("kubectl annotate serviceaccount -n {ns} {name} {IRSA_ANNOTATION}={expected} --overwrite"),
                        ),
                )
                .push(out);
        }
    }
}
