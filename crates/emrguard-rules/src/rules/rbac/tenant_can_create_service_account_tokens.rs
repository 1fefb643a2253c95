//! RBAC004: a job submitter can mint service-account tokens in an EMR namespace.

use emrguard_model::inventory::area;
#[allow(unused_imports)]
use emrguard_rbac::{CapabilityKind, EscalationKind};

use crate::context::CheckContext;
use crate::finding::Finding;
use crate::registry::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Flags tenants that may `create` `serviceaccounts/token`, or create service-account token Secrets, in an EMR namespace or cluster-wide. (Tokens reached by exec are reported by RBAC002, by reading secrets by RBAC006.)
    ///
    /// ## Why is this bad?
    /// A token for an EMR service account is a web identity for the execution roles trusted in that namespace: `sts:AssumeRoleWithWebIdentity` with it returns the role's credentials outside any job.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Role
    /// metadata: {name: report-scheduler, namespace: emr-team-b}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["serviceaccounts/token"]
    ///   verbs: ["create"]
    /// ```
    ///
    /// ## Remediation
    /// Remove the rights from the roles bound to job submitters (or remove the bindings), and give
    /// submitters a read-only role in EMR namespaces (`get`, `list`, `watch` on `pods`,
    /// `pods/log` and `events`). Jobs are submitted with `emr-containers:StartJobRun`, which
    /// needs no Kubernetes rights at all. The emrguard admission webhook blocks the Kubernetes side
    /// of this at request time.
    ///
    /// ## References
    /// - Amazon EMR on EKS security best practices: "Role-based access control (RBAC) permissions"
    /// - Kubernetes documentation: "Using RBAC Authorization" and "Role Based Access Control Good Practices"
    pub struct TenantCanCreateServiceAccountTokens {
        code: "RBAC004",
        name: "tenant-can-create-service-account-tokens",
        summary: "a job submitter can mint service-account tokens in an EMR namespace",
        practice: RbacPermissions,
        severity: Critical,
        requires: [area::RBAC, area::VIRTUAL_CLUSTERS],
    }
}

impl Rule for TenantCanCreateServiceAccountTokens {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        super::report(
            cx,
            &Self::META,
            out,
            "obtain service-account tokens (serviceaccounts/token, token secrets)",
            |tc: &super::TenantCapability| {
                (tc.capability.kind == CapabilityKind::ObtainServiceAccountToken)
                    .then(|| {
                        let mut c = tc.capability.clone();
                        c.evidence.retain(|e| {
                            e.request.subresource == "token"
                                || (e.request.resource == "secrets" && e.request.verb == "create")
                        });
                        c
                    })
                    .filter(|c| !c.evidence.is_empty())
            },
            |subject, scopes| {
                super::standard_remediation(
                    "serviceaccounts/token creation and token-secret creation",
                    subject,
                    scopes,
                )
            },
        );
    }
}
