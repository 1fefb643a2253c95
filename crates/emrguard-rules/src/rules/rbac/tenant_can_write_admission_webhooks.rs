//! RBAC005: a job submitter can write mutating or validating webhook configurations.

use emrguard_model::inventory::area;
#[allow(unused_imports)]
use emrguard_rbac::{CapabilityKind, EscalationKind};

use crate::context::CheckContext;
use crate::finding::Finding;
use crate::registry::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Flags tenants that may create, update or patch MutatingWebhookConfigurations or ValidatingWebhookConfigurations.
    ///
    /// ## Why is this bad?
    /// A mutating webhook sees and rewrites every pod EMR creates in every namespace it selects: it can change the service-account name of driver and executor pods, so a submitter gets any execution role trusted in any EMR namespace.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRole
    /// metadata: {name: platform-tools}
    /// rules:
    /// - apiGroups: ["admissionregistration.k8s.io"]
    ///   resources: ["mutatingwebhookconfigurations"]
    ///   verbs: ["create", "update", "patch"]
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
    pub struct TenantCanWriteAdmissionWebhooks {
        code: "RBAC005",
        name: "tenant-can-write-admission-webhooks",
        summary: "a job submitter can write mutating or validating webhook configurations",
        practice: RbacPermissions,
        severity: Critical,
        requires: [area::RBAC, area::VIRTUAL_CLUSTERS],
    }
}

impl Rule for TenantCanWriteAdmissionWebhooks {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        super::report(
            cx,
            &Self::META,
            out,
            "write mutating or validating webhook configurations",
            super::of_kind(CapabilityKind::InterceptAdmission),
            |subject, scopes| {
                super::standard_remediation("webhook configuration writes", subject, scopes)
            },
        );
    }
}
