//! CRED002: a Pod Identity association gives an EMR service account another role than the
//! one its name encodes.

use emrguard_model::emr::{parse_emr_service_account, role_name_from_arn};
use emrguard_model::inventory::area;

use crate::context::CheckContext;
use crate::finding::{Evidence, Finding, Remediation, ResourceRef};
use crate::registry::Rule;
use crate::rules::credentials::{arn_matches_encoded_role, shown};

crate::declare_rule! {
    /// ## What it does
    /// Flags EKS Pod Identity associations for EMR-managed service accounts
    /// (`emr-containers-sa-<framework>-<component>-<account>-<base36 role name>`) whose
    /// `roleArn` is not the role the name encodes (compared by account and role name, whatever
    /// the role's path). Associations listed without `describe-pod-identity-association`
    /// output carry no role and are not judged.
    ///
    /// ## Why is this bad?
    /// EMR names each job service account after the execution role the job was submitted
    /// with. An association that maps that name to another role silently swaps the job's
    /// credentials: every job submitted with the encoded role runs with the other one, which
    /// is how a submitter limited to a low-privilege execution role ends up with a
    /// high-privilege one.
    ///
    /// ## Example
    /// ```json
    /// {"association": {"namespace": "emr-team-a",
    ///   "serviceAccount": "emr-containers-sa-spark-driver-111122223333-16o0gwny3p",
    ///   "roleArn": "arn:aws:iam::111122223333:role/admin"}}
    /// ```
    /// `16o0gwny3p` decodes to `myrole`, not `admin`.
    ///
    /// ## Remediation
    /// Delete the association and let `aws emr-containers create-role-associations` (or an
    /// explicit `create-pod-identity-association`) map the name to the role it encodes.
    ///
    /// ## References
    /// - Amazon EMR on EKS Development Guide: Using EKS Pod Identity with job execution roles
    /// - Amazon EKS User Guide: EKS Pod Identity associations
    pub struct PodIdentityRoleMismatch {
        code: "CRED002",
        name: "pod-identity-role-mismatch",
        summary: "a Pod Identity association gives an EMR service account another role than its name encodes",
        practice: PodCredentialAccess,
        severity: High,
        requires: [area::POD_IDENTITY],
    }
}

impl Rule for PodIdentityRoleMismatch {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let partition = cx.inventory.partition();
        for assoc in &cx.inventory.pod_identity_associations {
            let Some(parsed) = parse_emr_service_account(&assoc.service_account) else {
                continue;
            };
            let (Some(expected), Some(encoded_name)) =
                (parsed.role_arn(partition), parsed.role_name.as_deref())
            else {
                continue;
            };
            let Some(actual) = assoc.role_arn.as_deref().filter(|a| !a.is_empty()) else {
                continue;
            };
            if arn_matches_encoded_role(actual, &parsed) {
                continue;
            }
            let ns = assoc.namespace.as_str();
            let sa = assoc.service_account.as_str();
            let id = assoc.association_id.as_deref().unwrap_or("ASSOCIATION_ID");
            let assoc_ref = match assoc.association_arn.as_deref() {
                Some(arn) => ResourceRef::aws("PodIdentityAssociation", arn, Some(id)),
                None => {
                    ResourceRef::aws_named("PodIdentityAssociation", &format!("{ns}/{sa}/{id}"))
                }
            }
            .at(&assoc.source);
            let sa_ref = cx.inventory.service_account(ns, sa).map_or_else(
                || ResourceRef::k8s("ServiceAccount", Some(ns), sa),
                |s| ResourceRef::k8s("ServiceAccount", Some(ns), sa).at(&s.source),
            );
            let mut finding = Self::META
                .finding(format!(
                    "pod identity association `{id}` gives EMR service account `{ns}/{sa}` role `{}`, but the name encodes `{}`",
                    shown(actual, &expected).0,
                    shown(actual, &expected).1
                ))
                .resource(assoc_ref.clone())
                .resource(sa_ref.clone())
                .evidence(
                    Evidence::about(
                        format!(
                            "`{sa}` is an EMR-managed {} service account name: its segment `{}` decodes to role `{encoded_name}` in account `{}`",
                            parsed.component, parsed.encoded_role, parsed.account_id
                        ),
                        sa_ref,
                    )
                    .with_detail(format!("expected role: {expected}")),
                )
                .evidence(
                    Evidence::about(format!("association `{id}` maps it to `{actual}`"), assoc_ref)
                        .with_detail("roleArn"),
                );
            if let Some(role) = cx.inventory.role_by_arn(actual) {
                let role_ref =
                    ResourceRef::aws("IAMRole", &role.arn, Some(&role.role_name)).at(&role.source);
                finding = finding.resource(role_ref.clone()).evidence(Evidence::about(
                    format!("role `{}` exists in the account", role.role_name),
                    role_ref,
                ));
            }
            let cluster = assoc
                .cluster_name
                .as_deref()
                .or(cx.inventory.cluster().map(|c| c.name.as_str()))
                .unwrap_or("CLUSTER");
            finding
                .evidence(Evidence::text(format!(
                    "pods of jobs submitted with `{encoded_name}` in `{ns}` run with `{}` instead",
                    role_name_from_arn(actual)
                )))
                .remediation(
                    Remediation::summary("Map the service account to the role its name encodes, or delete the association.")
                        .fix(
                            "Replace the association",
                            "shell",
                            format!(
                                "aws eks delete-pod-identity-association --cluster-name {cluster} --association-id {id}\n\
                                 aws eks create-pod-identity-association --cluster-name {cluster} --namespace {ns} \\\n  --service-account {sa} --role-arn {expected}"
                            ),
                        ),
                )
                .push(out);
        }
    }
}
