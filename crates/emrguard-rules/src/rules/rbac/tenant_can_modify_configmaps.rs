//! RBAC001: a job submitter can write ConfigMaps in an EMR namespace.

use emrguard_model::inventory::area;
#[allow(unused_imports)]
use emrguard_rbac::{CapabilityKind, EscalationKind};

use crate::context::CheckContext;
use crate::finding::Finding;
use crate::registry::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Flags tenants (subjects that are neither EMR's own identities, the control plane nor admins) that may create, update, patch or delete ConfigMaps in an EMR namespace or cluster-wide.
    ///
    /// ## Why is this bad?
    /// EMR on EKS generates the managed pod templates (which carry the managed service-account name) from ConfigMaps in the job's namespace. A submitter who can rewrite them can change what a job's driver and executors run as and what they run.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Role
    /// metadata: {name: team-b-operator, namespace: emr-team-b}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["configmaps"]
    ///   verbs: ["create", "update", "patch", "delete"]
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
    pub struct TenantCanModifyConfigmaps {
        code: "RBAC001",
        name: "tenant-can-modify-configmaps",
        summary: "a job submitter can write ConfigMaps in an EMR namespace",
        practice: RbacPermissions,
        severity: High,
        requires: [area::RBAC, area::VIRTUAL_CLUSTERS],
    }
}

impl Rule for TenantCanModifyConfigmaps {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        super::report(
            cx,
            &Self::META,
            out,
            "create, update, patch or delete ConfigMaps",
            super::of_kind(CapabilityKind::ModifyConfigMaps),
            |subject, scopes| super::standard_remediation("ConfigMap writes", subject, scopes),
        );
    }
}
