//! NODE004: the VPC CNI (`kube-system/aws-node`) runs on the node role's credentials.

use emrguard_model::emr::IRSA_ANNOTATION;
use emrguard_model::inventory::area;
use emrguard_model::k8s::WorkloadKind;

use crate::context::CheckContext;
use crate::finding::{Evidence, Finding, Remediation, ResourceRef};
use crate::registry::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Flags clusters whose VPC CNI service account `kube-system/aws-node` (or, without it in
    /// the snapshot, the `aws-node` DaemonSet) has neither an `eks.amazonaws.com/role-arn`
    /// annotation nor an EKS Pod Identity association.
    ///
    /// ## Why is this bad?
    /// Without its own role the CNI uses the node instance profile, so the node role must keep
    /// `AmazonEKS_CNI_Policy` (network-interface management in the whole VPC). Every pod that
    /// reaches IMDS then gets those rights too, and the node role cannot be cut down to the
    /// worker baseline. EMR's guidance is to move the CNI to IRSA before blocking IMDS.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ServiceAccount
    /// metadata: {name: aws-node, namespace: kube-system}   # no eks.amazonaws.com/role-arn
    /// ```
    ///
    /// ## Remediation
    /// Create a role with `AmazonEKS_CNI_Policy` trusted by the cluster's OIDC provider for
    /// `system:serviceaccount:kube-system:aws-node` (or a Pod Identity association), annotate
    /// the service account, restart the DaemonSet, then remove `AmazonEKS_CNI_Policy` from the
    /// node role.
    ///
    /// ## References
    /// - Amazon EMR on EKS security best practices: "Restrict access to nodegroup IAM role or instance profile credentials"
    /// - Amazon EKS User Guide: Configure the Amazon VPC CNI plugin to use IRSA
    pub struct AwsNodeWithoutIrsa {
        code: "NODE004",
        name: "aws-node-without-irsa",
        summary: "the VPC CNI uses the node role's credentials instead of its own role",
        practice: NodeCredentialAccess,
        severity: Medium,
        requires: [area::SERVICE_ACCOUNTS, area::POD_IDENTITY],
    }
}

impl Rule for AwsNodeWithoutIrsa {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let inventory = cx.inventory;
        let sa = inventory.service_account("kube-system", "aws-node");
        let daemonset = inventory.workloads.iter().find(|w| {
            w.kind == WorkloadKind::DaemonSet
                && w.metadata.name == "aws-node"
                && w.metadata.namespace.as_deref() == Some("kube-system")
        });
        if sa.is_none() && daemonset.is_none() {
            return;
        }
        if sa.is_some_and(|s| {
            s.metadata
                .annotations
                .get(IRSA_ANNOTATION)
                .is_some_and(|a| !a.trim().is_empty())
        }) {
            return;
        }
        if inventory
            .pod_identity_associations
            .iter()
            .any(|a| a.namespace == "kube-system" && a.service_account == "aws-node")
        {
            return;
        }
        let mut finding = Self::META.finding(
            "the VPC CNI `kube-system/aws-node` has no IRSA role or Pod Identity association and uses the node role",
        );
        match sa {
            Some(sa) => {
                let r = ResourceRef::k8s("ServiceAccount", Some("kube-system"), "aws-node")
                    .at(&sa.source);
                finding = finding.resource(r.clone()).evidence(
                    Evidence::about(format!("service account `kube-system/aws-node` has no `{IRSA_ANNOTATION}` annotation"), r)
                        .with_detail(IRSA_ANNOTATION),
                );
            }
            None => {
                finding = finding.resource(ResourceRef::k8s(
                    "ServiceAccount",
                    Some("kube-system"),
                    "aws-node",
                ));
            }
        }
        if let Some(ds) = daemonset {
            let r = ResourceRef::k8s("DaemonSet", Some("kube-system"), "aws-node").at(&ds.source);
            finding = finding.resource(r.clone()).evidence(Evidence::about(
                format!(
                    "DaemonSet `kube-system/aws-node` runs the CNI as service account `{}`",
                    ds.template.spec.service_account()
                ),
                r,
            ));
        }
        let account = cx.account_id();
        let cluster = inventory.cluster().map_or("CLUSTER", |c| c.name.as_str());
        finding
            .evidence(Evidence::text(
                "no Pod Identity association exists for `kube-system/aws-node`",
            ))
            .evidence(Evidence::text(
                "the CNI then needs `AmazonEKS_CNI_Policy` on the node role, which every pod that reaches IMDS also gets",
            ))
            .remediation(
                Remediation::summary(
                    "Give the CNI its own role (IRSA or Pod Identity), restart it, then remove AmazonEKS_CNI_Policy from the node role.",
                )
                .fix(
                    "Create the CNI role with IRSA and restart the CNI",
                    "shell",
                    format!(
                        "eksctl create iamserviceaccount --name aws-node --namespace kube-system --cluster {cluster} \\\n  --role-name AmazonEKSVPCCNIRole --attach-policy-arn arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy \\\n  --override-existing-serviceaccounts --approve\n\
                         kubectl annotate serviceaccount -n kube-system aws-node {IRSA_ANNOTATION}=arn:aws:iam::{account}:role/AmazonEKSVPCCNIRole --overwrite\n\
                         kubectl rollout restart daemonset -n kube-system aws-node"
                    ),
                )
                .fix(
                    "Or use EKS Pod Identity (VPC CNI v1.15.5 or later)",
                    "shell",
                    format!(
                        "aws eks create-pod-identity-association --cluster-name {cluster} --namespace kube-system \\\n  --service-account aws-node --role-arn arn:aws:iam::{account}:role/AmazonEKSVPCCNIRole"
                    ),
                ),
            )
            .push(out);
    }
}
