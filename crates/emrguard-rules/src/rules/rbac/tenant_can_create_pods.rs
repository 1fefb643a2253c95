//! RBAC003: a job submitter can create pods in an EMR namespace, directly or through workloads.

use emrguard_model::inventory::area;
#[allow(unused_imports)]
use emrguard_rbac::{CapabilityKind, EscalationKind};

use crate::context::CheckContext;
use crate::finding::Finding;
use crate::registry::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Flags tenants that may create pods, or create or update a pod-creating workload (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob, ReplicationController), in an EMR namespace or cluster-wide.
    ///
    /// ## Why is this bad?
    /// A pod may name any service account of its namespace. EMR's execution roles trust every service account whose name fits `emr-containers-sa-*-*-ACCOUNT-BASE36ROLE` in the namespace, so a submitter who can create pods can run code as any execution role trusted there, beyond the roles they may pass to StartJobRun.
    ///
    /// ## Example
    /// ```yaml
    /// kind: Role
    /// metadata: {name: team-a-developer, namespace: emr-team-a}
    /// rules:
    /// - apiGroups: ["", "apps"]
    ///   resources: ["pods", "deployments"]
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
    pub struct TenantCanCreatePods {
        code: "RBAC003",
        name: "tenant-can-create-pods",
        summary: "a job submitter can create pods in an EMR namespace, directly or through workloads",
        practice: RbacPermissions,
        severity: Critical,
        requires: [area::RBAC, area::VIRTUAL_CLUSTERS],
    }
}

impl Rule for TenantCanCreatePods {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        super::report(
            cx,
            &Self::META,
            out,
            "create pods (directly or through workloads) and so run as any service account",
            super::of_kind(CapabilityKind::RunAsAnyServiceAccount),
            |subject, scopes| {
                super::standard_remediation("pod and workload creation", subject, scopes)
            },
        );
    }
}
