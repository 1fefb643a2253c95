//! RBAC002: a job submitter can exec or attach into pods in an EMR namespace.

use emrguard_model::inventory::area;
#[allow(unused_imports)]
use emrguard_rbac::{CapabilityKind, EscalationKind};

use crate::context::CheckContext;
use crate::finding::Finding;
use crate::registry::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Flags tenants that may `create` or `get` `pods/exec` or `pods/attach` in an EMR namespace or cluster-wide (`get` is enough to exec over websockets).
    ///
    /// ## Why is this bad?
    /// Exec into an EMR pod reads the projected service-account token (the web identity token for the execution role) and the managed pod template; with it, a submitter holds the execution role's credentials, whatever role their own jobs may use.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Role
    /// metadata: {name: team-a-developer, namespace: emr-team-a}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["pods/exec"]
    ///   verbs: ["get", "create"]
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
    pub struct TenantCanExecIntoPods {
        code: "RBAC002",
        name: "tenant-can-exec-into-pods",
        summary: "a job submitter can exec or attach into pods in an EMR namespace",
        practice: RbacPermissions,
        severity: High,
        requires: [area::RBAC, area::VIRTUAL_CLUSTERS],
    }
}

impl Rule for TenantCanExecIntoPods {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        super::report(
            cx,
            &Self::META,
            out,
            "exec or attach into pods",
            super::of_kind(CapabilityKind::ExecIntoPods),
            |subject, scopes| {
                super::standard_remediation("pods/exec and pods/attach", subject, scopes)
            },
        );
    }
}
