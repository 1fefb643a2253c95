//! RBAC007: a job submitter holds an RBAC escalation right.

use emrguard_model::inventory::area;
#[allow(unused_imports)]
use emrguard_rbac::{CapabilityKind, EscalationKind};

use crate::context::CheckContext;
use crate::finding::Finding;
use crate::registry::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Flags tenants that hold a right which leads to any other right: `bind` or `escalate` on roles, creating or updating (cluster) role bindings, `impersonate` on users, groups or service accounts, `nodes/proxy`, or approving certificate signing requests.
    ///
    /// ## Why is this bad?
    /// Each of these lets the subject give itself configmap writes, exec, pod creation, token creation, webhook writes or secret reads (RBAC001–RBAC006) whenever it likes, so it is as dangerous as holding them.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ClusterRole
    /// metadata: {name: platform-tools}
    /// rules:
    /// - apiGroups: ["certificates.k8s.io"]
    ///   resources: ["certificatesigningrequests/approval"]
    ///   verbs: ["update"]
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
    pub struct TenantCanEscalateRbac {
        code: "RBAC007",
        name: "tenant-can-escalate-rbac",
        summary: "a job submitter holds an RBAC escalation right",
        practice: RbacPermissions,
        severity: Critical,
        requires: [area::RBAC, area::VIRTUAL_CLUSTERS],
    }
}

impl Rule for TenantCanEscalateRbac {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        super::report(
            cx,
            &Self::META,
            out,
            "escalate (bind, escalate, write role bindings, impersonate, nodes/proxy or approve CSRs)",
            |tc: &super::TenantCapability| matches!(tc.capability.kind, CapabilityKind::Escalate(_)).then(|| tc.capability.clone()),
            |subject, scopes| super::standard_remediation("bind, escalate, role-binding writes, impersonate, nodes/proxy and CSR approval", subject, scopes),
        );
    }
}
