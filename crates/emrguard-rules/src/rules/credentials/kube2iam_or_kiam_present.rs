//! CRED001: kube2iam or kiam in the cluster.

use emrguard_model::emr::KUBE2IAM_ANNOTATION;
use emrguard_model::k8s::PodSpec;

use crate::context::CheckContext;
use crate::finding::{Evidence, Finding, Remediation, ResourceRef};
use crate::registry::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Finds kube2iam and kiam: their DaemonSets and Deployments (by name or image), pods and
    /// pod templates annotated with `iam.amazonaws.com/role`, and namespaces annotated with
    /// `iam.amazonaws.com/allowed-roles` or `iam.amazonaws.com/permitted`.
    ///
    /// ## Why is this bad?
    /// EMR on EKS supports IRSA (and EKS Pod Identity) only; kube2iam and kiam are "not
    /// supported". They intercept IMDS traffic and hand out role credentials by annotation, so
    /// anyone who can create or annotate a pod can ask for any role the agent's node role can
    /// assume, outside the execution-role model.
    ///
    /// ## Example
    /// ```yaml
    /// kind: DaemonSet
    /// metadata: {name: kube2iam, namespace: kube-system}
    /// spec: {template: {spec: {hostNetwork: true, containers: [{image: jtblin/kube2iam:0.10.9}]}}}
    /// ```
    ///
    /// ## Remediation
    /// Move the workloads to IRSA (`eks.amazonaws.com/role-arn` on their service accounts),
    /// remove the `iam.amazonaws.com/*` annotations, and delete the kube2iam/kiam DaemonSets.
    ///
    /// ## References
    /// - Amazon EMR on EKS security best practices: "Limit pod credential access"
    /// - jtblin/kube2iam and uswitch/kiam READMEs
    pub struct Kube2iamOrKiamPresent {
        code: "CRED001",
        name: "kube2iam-or-kiam-present",
        summary: "kube2iam or kiam hands out IAM credentials outside IRSA",
        practice: PodCredentialAccess,
        severity: High,
        requires: [],
    }
}

fn agent_image(spec: &PodSpec) -> Option<&str> {
    spec.all_containers()
        .filter_map(|c| c.image.as_deref())
        .find(|i| i.contains("kube2iam") || i.contains("uswitch/kiam") || i.contains("/kiam:"))
}

impl Rule for Kube2iamOrKiamPresent {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let fix = || {
            Remediation::summary("Replace kube2iam/kiam with IRSA and remove the agent.")
                .fix(
                    "Give the workload's service account an IRSA role instead of a pod annotation",
                    "shell",
                    "kubectl annotate serviceaccount -n NAMESPACE SERVICE_ACCOUNT eks.amazonaws.com/role-arn=arn:aws:iam::ACCOUNT_ID:role/ROLE",
                )
        };
        for w in &cx.inventory.workloads {
            let name = w.metadata.name.as_str();
            let by_name = matches!(name, "kube2iam" | "kiam-agent" | "kiam-server" | "kiam");
            let image = agent_image(&w.template.spec);
            if !by_name && image.is_none() {
                continue;
            }
            let ns = w.metadata.namespace.as_deref();
            let r = ResourceRef::k8s(w.kind.as_str(), ns, name).at(&w.source);
            Self::META
                .finding(format!(
                    "{} `{}` runs {} in the cluster",
                    w.kind.as_str(),
                    name,
                    if name.contains("kiam") || image.is_some_and(|i| i.contains("kiam")) {
                        "kiam"
                    } else {
                        "kube2iam"
                    }
                ))
                .resource(r.clone())
                .evidence(Evidence::about(
                    match image {
                        Some(i) => format!("it runs the image `{i}`"),
                        None => format!("it is named `{name}`"),
                    },
                    r,
                ))
                .remediation(fix().fix(
                    "Delete the agent once no workload relies on it",
                    "shell",
                    format!(
                        "kubectl delete {} -n {} {name}",
                        w.kind.as_str().to_lowercase(),
                        ns.unwrap_or("kube-system")
                    ),
                ))
                .push(out);
        }
        for pod in &cx.inventory.pods {
            let Some(role) = pod.metadata.annotations.get(KUBE2IAM_ANNOTATION) else {
                continue;
            };
            if pod
                .metadata
                .owner_references
                .iter()
                .any(|o| o.controller == Some(true))
                && cx.inventory.workloads.iter().any(|w| {
                    w.metadata.namespace == pod.metadata.namespace
                        && w.template
                            .metadata
                            .annotations
                            .contains_key(KUBE2IAM_ANNOTATION)
                })
            {
                continue;
            }
            let ns = pod.metadata.namespace.as_deref();
            let r = ResourceRef::k8s("Pod", ns, &pod.metadata.name).at(&pod.source);
            Self::META
                .finding(format!(
                    "pod `{}/{}` asks kube2iam/kiam for role `{role}`",
                    ns.unwrap_or_default(),
                    pod.metadata.name
                ))
                .resource(r.clone())
                .evidence(Evidence::about(
                    format!("annotation `{KUBE2IAM_ANNOTATION}: {role}`"),
                    r,
                ))
                .remediation(fix())
                .push(out);
        }
        for w in &cx.inventory.workloads {
            let Some(role) = w.template.metadata.annotations.get(KUBE2IAM_ANNOTATION) else {
                continue;
            };
            let ns = w.metadata.namespace.as_deref();
            let r = ResourceRef::k8s(w.kind.as_str(), ns, &w.metadata.name).at(&w.source);
            Self::META
                .finding(format!(
                    "{} `{}/{}` asks kube2iam/kiam for role `{role}`",
                    w.kind.as_str(),
                    ns.unwrap_or_default(),
                    w.metadata.name
                ))
                .resource(r.clone())
                .evidence(Evidence::about(
                    format!("pod template annotation `{KUBE2IAM_ANNOTATION}: {role}`"),
                    r,
                ))
                .remediation(fix())
                .push(out);
        }
        for ns in &cx.inventory.namespaces {
            let keys: Vec<&emrguard_model::k8s::Text> = ns
                .metadata
                .annotations
                .keys()
                .filter(|k| {
                    *k == "iam.amazonaws.com/allowed-roles" || *k == "iam.amazonaws.com/permitted"
                })
                .collect();
            if keys.is_empty() {
                continue;
            }
            let r = ResourceRef::k8s("Namespace", None, &ns.metadata.name).at(&ns.source);
            Self::META
                .finding(format!(
                    "namespace `{}` is configured for kube2iam/kiam role assignment",
                    ns.metadata.name
                ))
                .resource(r.clone())
                .evidence(Evidence::about(
                    format!(
                        "annotation `{}`",
                        keys.iter()
                            .map(|k| k.as_str())
                            .collect::<Vec<_>>()
                            .join("`, `")
                    ),
                    r,
                ))
                .remediation(fix())
                .push(out);
        }
    }
}
