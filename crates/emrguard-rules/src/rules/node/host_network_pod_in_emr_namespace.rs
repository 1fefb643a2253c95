//! NODE002: a pod with `hostNetwork: true` in an EMR namespace.

use emrguard_model::inventory::area;

use crate::context::CheckContext;
use crate::finding::{Evidence, Finding, Remediation, ResourceRef};
use crate::registry::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Flags pods, and pod templates of workloads, that set `hostNetwork: true` in a namespace
    /// of an EMR on EKS virtual cluster.
    ///
    /// ## Why is this bad?
    /// A pod on the host network reaches the instance metadata service (IMDS) like the node
    /// itself: neither an IMDS hop limit of 1 nor the `iptables` rule AWS documents (which
    /// matches only `eni+` pod interfaces) stops it. Code in such a pod gets the node
    /// instance-profile credentials, bypassing the job's execution role.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: debug, namespace: emr-team-a}
    /// spec:
    ///   hostNetwork: true
    ///   containers: [{name: sh, image: busybox}]
    /// ```
    ///
    /// ## Remediation
    /// Remove `hostNetwork: true` (EMR's own pods never need it), and stop it from coming back
    /// with the emrguard admission webhook (policy WH007) or a Pod Security `baseline` label on
    /// the namespace.
    ///
    /// ## References
    /// - Amazon EMR on EKS security best practices: "Restrict access to nodegroup IAM role or instance profile credentials"
    /// - Amazon EKS User Guide: Restricting access to the IMDS and Amazon EC2 instance profile credentials
    pub struct HostNetworkPodInEmrNamespace {
        code: "NODE002",
        name: "host-network-pod-in-emr-namespace",
        summary: "a pod in an EMR namespace shares the node's network and reaches IMDS",
        practice: NodeCredentialAccess,
        severity: High,
        requires: [area::VIRTUAL_CLUSTERS],
    }
}

impl Rule for HostNetworkPodInEmrNamespace {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let label_fix = |ns: &str| {
            Remediation::summary("Remove `hostNetwork: true` from the pod spec and enforce it for the namespace.").fix(
                "Enforce the Pod Security baseline profile, which forbids host networking",
                "shell",
                format!("kubectl label namespace {ns} pod-security.kubernetes.io/enforce=baseline --overwrite"),
            )
        };
        for pod in &cx.inventory.pods {
            let ns = pod.metadata.namespace.as_deref().unwrap_or_default();
            if !cx.is_emr_namespace(ns) || !pod.spec.uses_host_network() {
                continue;
            }
            // Pods owned by a workload are reported through the workload.
            if pod
                .metadata
                .owner_references
                .iter()
                .any(|o| o.controller == Some(true))
                && cx.inventory.workloads.iter().any(|w| {
                    w.metadata.namespace.as_deref() == Some(ns)
                        && w.template.spec.uses_host_network()
                })
            {
                continue;
            }
            let pod_ref = ResourceRef::k8s("Pod", Some(ns), &pod.metadata.name).at(&pod.source);
            Self::META
                .finding(format!(
                    "pod `{ns}/{}` uses the host network in EMR namespace `{ns}`",
                    pod.metadata.name
                ))
                .resource(pod_ref.clone())
                .evidence(Evidence::about(
                    format!("namespace `{ns}` belongs to a virtual cluster"),
                    ResourceRef::k8s("Namespace", None, ns),
                ))
                .evidence(Evidence::about(
                    "the pod sets `spec.hostNetwork: true`",
                    pod_ref,
                ))
                .remediation(label_fix(ns))
                .push(out);
        }
        for w in &cx.inventory.workloads {
            let ns = w.metadata.namespace.as_deref().unwrap_or_default();
            if !cx.is_emr_namespace(ns) || !w.template.spec.uses_host_network() {
                continue;
            }
            let kind = w.kind.as_str();
            let w_ref = ResourceRef::k8s(kind, Some(ns), &w.metadata.name).at(&w.source);
            Self::META
                .finding(format!(
                    "{kind} `{ns}/{}` runs pods on the host network in EMR namespace `{ns}`",
                    w.metadata.name
                ))
                .resource(w_ref.clone())
                .evidence(Evidence::about(
                    format!("namespace `{ns}` belongs to a virtual cluster"),
                    ResourceRef::k8s("Namespace", None, ns),
                ))
                .evidence(Evidence::about(
                    "the pod template sets `hostNetwork: true`",
                    w_ref,
                ))
                .remediation(label_fix(ns))
                .push(out);
        }
    }
}
