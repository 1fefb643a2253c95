//! RBAC006: a job submitter can read Secrets in an EMR namespace.

use emrguard_model::inventory::area;
#[allow(unused_imports)]
use emrguard_rbac::{CapabilityKind, EscalationKind};

use crate::context::CheckContext;
use crate::finding::Finding;
use crate::registry::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Flags tenants that may `get`, `list` or `watch` Secrets in an EMR namespace or cluster-wide. Admission control cannot stop reads; only RBAC can.
    ///
    /// ## Why is this bad?
    /// Secrets in EMR namespaces hold job data such as the presigned upload credentials of the log sidecar, other tenants' connection strings, and legacy service-account tokens. `list` and `watch` return the values too.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Role
    /// metadata: {name: team-b-operator, namespace: emr-team-b}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["secrets"]
    ///   verbs: ["get", "list"]
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
    pub struct TenantCanReadSecrets {
        code: "RBAC006",
        name: "tenant-can-read-secrets",
        summary: "a job submitter can read Secrets in an EMR namespace",
        practice: RbacPermissions,
        severity: High,
        requires: [area::RBAC, area::VIRTUAL_CLUSTERS],
    }
}

impl Rule for TenantCanReadSecrets {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        super::report(
            cx,
            &Self::META,
            out,
            "read Secrets",
            super::of_kind(CapabilityKind::ReadSecrets),
            |subject, scopes| super::standard_remediation("secret get/list/watch", subject, scopes),
        );
    }
}
