//! ISO002: two or more live virtual clusters on one namespace.

use std::collections::BTreeMap;

use emrguard_model::aws::VirtualCluster;
use emrguard_model::inventory::area;

use crate::context::CheckContext;
use crate::finding::{Evidence, Finding, Remediation, ResourceRef};
use crate::registry::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Flags namespaces of an EKS cluster that two or more live (not `TERMINATED`) virtual
    /// clusters are registered on.
    ///
    /// ## Why is this bad?
    /// Execution-role trust, RBAC and job history are scoped by namespace, not by virtual
    /// cluster. Virtual clusters on one namespace share every execution role trusted there and
    /// every service account, ConfigMap and pod of the namespace, so whoever may submit to one
    /// can reach the other's roles and data: they are one isolation boundary that looks like
    /// two.
    ///
    /// ## Example
    /// ```json
    /// {"virtualClusters": [
    ///   {"id": "vc-a", "state": "RUNNING", "containerProvider": {"id": "analytics", "info": {"eksInfo": {"namespace": "emr"}}}},
    ///   {"id": "vc-b", "state": "RUNNING", "containerProvider": {"id": "analytics", "info": {"eksInfo": {"namespace": "emr"}}}}]}
    /// ```
    ///
    /// ## Remediation
    /// Give each virtual cluster its own namespace (with its own RBAC and execution-role
    /// trust), move the workloads, and delete the extra virtual clusters.
    ///
    /// ## References
    /// - Amazon EMR on EKS security best practices: "Isolate untrusted application code"
    /// - Amazon EMR on EKS Development Guide: Setting up cluster access (one namespace per virtual cluster)
    pub struct VirtualClustersShareNamespace {
        code: "ISO002",
        name: "virtual-clusters-share-namespace",
        summary: "two or more live virtual clusters use the same namespace",
        practice: UntrustedCodeIsolation,
        severity: Medium,
        requires: [area::VIRTUAL_CLUSTERS],
    }
}

fn vc_ref(vc: &VirtualCluster) -> ResourceRef {
    match vc.arn.as_deref().filter(|a| !a.is_empty()) {
        Some(arn) => ResourceRef::aws("VirtualCluster", arn, vc.name.as_deref()),
        None => ResourceRef::aws_named("VirtualCluster", &vc.id),
    }
    .at(&vc.source)
}

impl Rule for VirtualClustersShareNamespace {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let mut by_ns: BTreeMap<(&str, &str), Vec<&VirtualCluster>> = BTreeMap::new();
        for vc in cx
            .inventory
            .virtual_clusters
            .iter()
            .filter(|v| v.is_active())
        {
            let Some(ns) = vc.namespace() else { continue };
            let cluster = vc.container_provider.id.as_deref().unwrap_or_default();
            by_ns.entry((cluster, ns)).or_default().push(vc);
        }
        for ((cluster, ns), vcs) in by_ns {
            if vcs.len() < 2 {
                continue;
            }
            let ids: Vec<&str> = vcs.iter().map(|v| v.id.as_str()).collect();
            let on = if cluster.is_empty() {
                String::new()
            } else {
                format!(" of EKS cluster `{cluster}`")
            };
            let ns_ref = cx.inventory.namespace(ns).map_or_else(
                || ResourceRef::k8s("Namespace", None, ns),
                |n| ResourceRef::k8s("Namespace", None, ns).at(&n.source),
            );
            let mut finding = Self::META
                .finding(format!(
                    "{} live virtual clusters (`{}`) share namespace `{ns}`{on}",
                    vcs.len(),
                    ids.join("`, `")
                ))
                .resource(ns_ref);
            for vc in &vcs {
                let r = vc_ref(vc);
                finding = finding.resource(r.clone()).evidence(
                    Evidence::about(
                        format!(
                            "virtual cluster `{}`{} is {} on namespace `{ns}`",
                            vc.id,
                            vc.name
                                .as_deref()
                                .map_or_else(String::new, |n| format!(" (`{n}`)")),
                            vc.state.as_deref().unwrap_or("live")
                        ),
                        r,
                    )
                    .with_detail("containerProvider.info.eksInfo.namespace"),
                );
            }
            let keep = ids.first().copied().unwrap_or("VIRTUAL_CLUSTER_ID");
            let mut commands = Vec::new();
            for vc in vcs.iter().skip(1) {
                let new_ns = format!("{ns}-{}", vc.name.as_deref().unwrap_or(&vc.id));
                let provider = format!(
                    "{{\"id\":\"{}\",\"type\":\"EKS\",\"info\":{{\"eksInfo\":{{\"namespace\":\"{new_ns}\"}}}}}}",
                    if cluster.is_empty() { "CLUSTER" } else { cluster }
                );
                commands.push(format!(
                    "kubectl create namespace {new_ns}\n\
                     eksctl create iamidentitymapping --cluster {c} --namespace {new_ns} --service-name emr-containers\n\
                     aws emr-containers create-virtual-cluster --name {name} --container-provider '{provider}'\n\
                     aws emr-containers update-role-trust-policy --cluster-name {c} --namespace {new_ns} --role-name EXECUTION_ROLE\n\
                     aws emr-containers delete-virtual-cluster --id {id}",
                    c = if cluster.is_empty() { "CLUSTER" } else { cluster },
                    name = vc.name.as_deref().unwrap_or(&vc.id),
                    id = vc.id,
                ));
            }
            finding
                .evidence(Evidence::text(format!(
                    "execution-role trust, RBAC and job pods are scoped by namespace, so these virtual clusters share every role trusted in `{ns}` and every object in it"
                )))
                .remediation(
                    Remediation::summary(format!(
                        "Keep `{keep}` on `{ns}` and move each other virtual cluster to a namespace of its own, with its own RBAC and execution-role trust."
                    ))
                    .fix("Recreate the other virtual clusters on their own namespaces", "shell", commands.join("\n")),
                )
                .push(out);
        }
    }
}
