//! NODE003: a node role with permissions beyond what EKS worker nodes need.

use std::collections::{BTreeMap, BTreeSet};

use emrguard_iam::privilege::{ActionExpander, DATA_READ_ACTIONS};
use emrguard_iam::{AccessLevel, ActionSet, Catalog, PolicyKind};
use emrguard_model::emr::IRSA_ANNOTATION;
use emrguard_model::inventory::area;
use emrguard_model::policy::{parse_policy_document, Effect, PolicyDocument};

use crate::context::CheckContext;
use crate::finding::{Evidence, Finding, Remediation, Severity};
use crate::registry::Rule;
use crate::rules::exec_role::{role_ref, statement_evidence, ticked};

crate::declare_rule! {
    /// ## What it does
    /// Finds the node roles of the cluster (node groups' `nodeRole`, the roles of the instance
    /// profiles in their launch templates, and roles mapped to `system:nodes` in `aws-auth` or
    /// by `EC2_LINUX`/`EC2_WINDOWS` access entries) and compares their effective permissions
    /// with the worker baseline: `AmazonEKSWorkerNodePolicy` (or its minimal variant),
    /// `AmazonEC2ContainerRegistryReadOnly` (or `...PullOnly`), `AmazonSSMManagedInstanceCore`,
    /// and `AmazonEKS_CNI_Policy` while `kube-system/aws-node` has no IRSA role or Pod Identity
    /// association of its own. Any action another policy grants (an inline policy, another
    /// managed policy) that the baseline policies do not is reported; so is the CNI policy
    /// once the CNI has its own role. Severity: high when an extra action writes, manages
    /// permissions or reads data on all resources, medium otherwise.
    ///
    /// ## Why is this bad?
    /// Every pod that reaches the instance metadata service (IMDSv1, a hop limit above 1,
    /// `hostNetwork`) gets the node role's credentials. EMR's practice is to "restrict access
    /// to nodegroup IAM role or instance profile credentials"; what the node role holds beyond
    /// what kubelet and the CNI need is what every job on the node can take.
    ///
    /// ## Example
    /// ```json
    /// {"RoleName": "analytics-ng-spark-node-role", "AttachedManagedPolicies": [
    ///   {"PolicyName": "AmazonEKSWorkerNodePolicy"}, {"PolicyName": "AmazonS3FullAccess"}]}
    /// ```
    ///
    /// ## Remediation
    /// Detach the extra policies and give the permissions to the pods that need them through
    /// IRSA or Pod Identity (the EMR execution role, for EMR jobs).
    ///
    /// ## References
    /// - Amazon EMR on EKS security best practices: "Restrict access to nodegroup IAM role or instance profile credentials"
    /// - Amazon EKS User Guide: "Amazon EKS node IAM role"
    pub struct NodeRoleBeyondWorkerBaseline {
        code: "NODE003",
        name: "node-role-beyond-worker-baseline",
        summary: "a node role holds permissions beyond the EKS worker baseline",
        practice: NodeCredentialAccess,
        severity: High,
        requires: [area::IAM],
    }
}

/// The baseline AWS managed policies, with their documents for snapshots that lack them.
const BASELINE: &[(&str, &str)] = &[
    (
        "AmazonEKSWorkerNodePolicy",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:DescribeInstances","ec2:DescribeInstanceTypes","ec2:DescribeRouteTables","ec2:DescribeSecurityGroups","ec2:DescribeSubnets","ec2:DescribeVolumes","ec2:DescribeVolumesModifications","ec2:DescribeVpcs","eks:DescribeCluster","eks-auth:AssumeRoleForPodIdentity"],"Resource":"*"}]}"#,
    ),
    (
        "AmazonEKSWorkerNodeMinimalPolicy",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["eks-auth:AssumeRoleForPodIdentity"],"Resource":"*"}]}"#,
    ),
    (
        "AmazonEC2ContainerRegistryReadOnly",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecr:GetAuthorizationToken","ecr:BatchCheckLayerAvailability","ecr:GetDownloadUrlForLayer","ecr:GetRepositoryPolicy","ecr:DescribeRepositories","ecr:ListImages","ecr:DescribeImages","ecr:BatchGetImage","ecr:GetLifecyclePolicy","ecr:GetLifecyclePolicyPreview","ecr:ListTagsForResource","ecr:DescribeImageScanFindings"],"Resource":"*"}]}"#,
    ),
    (
        "AmazonEC2ContainerRegistryPullOnly",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ecr:GetAuthorizationToken","ecr:BatchCheckLayerAvailability","ecr:GetDownloadUrlForLayer","ecr:BatchGetImage"],"Resource":"*"}]}"#,
    ),
    (
        "AmazonSSMManagedInstanceCore",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:DescribeAssociation","ssm:GetDeployablePatchSnapshotForInstance","ssm:GetDocument","ssm:DescribeDocument","ssm:GetManifest","ssm:GetParameter","ssm:GetParameters","ssm:ListAssociations","ssm:ListInstanceAssociations","ssm:PutInventory","ssm:PutComplianceItems","ssm:PutConfigurePackageResult","ssm:UpdateAssociationStatus","ssm:UpdateInstanceAssociationStatus","ssm:UpdateInstanceInformation"],"Resource":"*"},{"Effect":"Allow","Action":["ssmmessages:CreateControlChannel","ssmmessages:CreateDataChannel","ssmmessages:OpenControlChannel","ssmmessages:OpenDataChannel"],"Resource":"*"},{"Effect":"Allow","Action":["ec2messages:AcknowledgeMessage","ec2messages:DeleteMessage","ec2messages:FailMessage","ec2messages:GetEndpoint","ec2messages:GetMessages","ec2messages:SendReply"],"Resource":"*"}]}"#,
    ),
];

/// The CNI's policy: baseline only while `aws-node` has no role of its own.
const CNI: (&str, &str) = (
    "AmazonEKS_CNI_Policy",
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:AssignPrivateIpAddresses","ec2:AttachNetworkInterface","ec2:CreateNetworkInterface","ec2:DeleteNetworkInterface","ec2:DescribeInstances","ec2:DescribeTags","ec2:DescribeNetworkInterfaces","ec2:DescribeInstanceTypes","ec2:DescribeSubnets","ec2:DetachNetworkInterface","ec2:ModifyNetworkInterfaceAttribute","ec2:UnassignPrivateIpAddresses"],"Resource":"*"},{"Effect":"Allow","Action":["ec2:CreateTags"],"Resource":["arn:aws:ec2:*:*:network-interface/*"]}]}"#,
);

fn managed_arn(partition: &str, name: &str) -> String {
    format!("arn:{partition}:iam::aws:policy/{name}")
}

/// The actions a document allows, expanded against the catalog.
fn allowed_actions(doc: &PolicyDocument, expander: &mut ActionExpander, into: &mut ActionSet) {
    for st in doc.statements.iter().filter(|s| s.effect == Effect::Allow) {
        into.union_with(&expander.statement_actions(st));
    }
}

/// Whether `kube-system/aws-node` has credentials of its own, and how.
fn cni_own_role(cx: &CheckContext<'_>) -> Option<String> {
    let inventory = cx.inventory;
    if let Some(arn) = inventory
        .service_account("kube-system", "aws-node")
        .and_then(|sa| sa.metadata.annotations.get(IRSA_ANNOTATION))
        .filter(|a| !a.trim().is_empty())
    {
        return Some(format!(
            "service account `kube-system/aws-node` has the IRSA role `{arn}`"
        ));
    }
    inventory
        .pod_identity_associations
        .iter()
        .find(|a| a.namespace == "kube-system" && a.service_account == "aws-node")
        .map(|a| {
            format!(
                "Pod Identity association `{}` gives `kube-system/aws-node` {}",
                a.association_id.as_deref().unwrap_or("?"),
                a.role_arn
                    .as_deref()
                    .map_or_else(|| "a role".to_owned(), |r| format!("`{r}`"))
            )
        })
}

/// Node roles by ARN, with how each was found.
fn node_roles(cx: &CheckContext<'_>) -> BTreeMap<String, BTreeSet<String>> {
    let inventory = cx.inventory;
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut add = |arn: &str, why: String| {
        if let Some(role) = inventory.role_by_arn(arn) {
            out.entry(role.arn.clone()).or_default().insert(why);
        }
    };
    let role_of_profile = |profile_arn: Option<&str>, profile_name: Option<&str>| {
        inventory.iam_roles.iter().find(|r| {
            r.instance_profile_list.iter().any(|p| {
                profile_arn.is_some_and(|a| a == p.arn)
                    || profile_name.is_some_and(|n| n == p.instance_profile_name)
            })
        })
    };
    for ng in &inventory.nodegroups {
        if let Some(arn) = ng.node_role.as_deref() {
            add(
                arn,
                format!("node role of node group `{}`", ng.nodegroup_name),
            );
        }
        let Some(spec) = &ng.launch_template else {
            continue;
        };
        for lt in inventory.launch_template_versions.iter().filter(|v| {
            (spec.id.is_some() && v.launch_template_id == spec.id)
                || (spec.name.is_some() && v.launch_template_name == spec.name)
        }) {
            let Some(profile) = &lt.launch_template_data.iam_instance_profile else {
                continue;
            };
            if let Some(role) = role_of_profile(profile.arn.as_deref(), profile.name.as_deref()) {
                let arn = role.arn.clone();
                add(
                    &arn,
                    format!(
                        "instance profile of launch template `{}` version {} (node group `{}`)",
                        lt.launch_template_name
                            .as_deref()
                            .or(lt.launch_template_id.as_deref())
                            .unwrap_or("?"),
                        lt.version_number.unwrap_or_default(),
                        ng.nodegroup_name
                    ),
                );
            }
        }
    }
    if let Some(auth) = &inventory.aws_auth {
        for m in auth
            .map_roles
            .iter()
            .filter(|m| m.groups.iter().any(|g| g == "system:nodes"))
        {
            add(
                &m.arn,
                "mapped to `system:nodes` in `kube-system/aws-auth`".to_owned(),
            );
        }
    }
    for e in &inventory.access_entries {
        if matches!(e.entry_type.as_deref(), Some("EC2_LINUX" | "EC2_WINDOWS")) {
            add(
                &e.principal_arn,
                format!(
                    "an `{}` access entry",
                    e.entry_type.as_deref().unwrap_or_default()
                ),
            );
        }
    }
    out
}

impl Rule for NodeRoleBeyondWorkerBaseline {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let roles = node_roles(cx);
        if roles.is_empty() {
            return;
        }
        let catalog = Catalog::get();
        let partition = cx.inventory.partition();
        let cni_role = cni_own_role(cx);
        let mut allowed_policies: Vec<(&str, &str)> = BASELINE.to_vec();
        if cni_role.is_none() {
            allowed_policies.push(CNI);
        }
        let allowed_arns: BTreeSet<String> = allowed_policies
            .iter()
            .map(|(name, _)| managed_arn(partition, name))
            .collect();
        // The baseline's actions: the snapshot's copy of each policy and the embedded one.
        let mut expander = ActionExpander::new();
        let mut baseline = ActionSet::empty(catalog.len());
        for (name, embedded) in &allowed_policies {
            if let Some(doc) = cx
                .inventory
                .policy_by_arn(&managed_arn(partition, name))
                .and_then(|p| p.default_document())
            {
                allowed_actions(doc, &mut expander, &mut baseline);
            }
            if let Ok(doc) = parse_policy_document(embedded) {
                allowed_actions(&doc, &mut expander, &mut baseline);
            }
        }
        let data_read: BTreeSet<&str> = DATA_READ_ACTIONS.iter().copied().collect();
        for (arn, why) in roles {
            let Some(role) = cx.inventory.role_by_arn(&arn) else {
                continue;
            };
            let analysis = cx.iam_summary(role);
            let mut extra_by_statement = Vec::new();
            let mut all_extra: BTreeSet<String> = BTreeSet::new();
            let mut serious = false;
            for grant in &analysis.privilege.effective.grants {
                let policy = &grant.statement.policy;
                if policy.kind == PolicyKind::Managed && allowed_arns.contains(&policy.name) {
                    continue;
                }
                let mut extra = grant.actions.clone();
                extra.subtract(&baseline);
                if extra.is_empty() {
                    continue;
                }
                let names: Vec<String> = extra
                    .iter()
                    .filter_map(|i| catalog.action(i))
                    .map(|a| {
                        if grant.all_resources
                            && (matches!(
                                a.access_level(),
                                AccessLevel::Write | AccessLevel::PermissionsManagement
                            ) || data_read.contains(a.full_name()))
                        {
                            serious = true;
                        }
                        a.full_name().to_owned()
                    })
                    .collect();
                all_extra.extend(names.iter().cloned());
                extra_by_statement.push((grant.statement.clone(), names));
            }
            if extra_by_statement.is_empty() {
                continue;
            }
            let sources: BTreeSet<String> = extra_by_statement
                .iter()
                .map(|(st, _)| match st.policy.kind {
                    PolicyKind::Managed => format!(
                        "`{}`",
                        emrguard_model::emr::role_name_from_arn(&st.policy.name)
                    ),
                    _ => format!("`{}`", st.policy.name),
                })
                .collect();
            let r = role_ref(role);
            let mut finding = Self::META
                .finding(format!(
                    "node role `{}` holds {} action{} beyond the worker node baseline, from {}",
                    role.role_name,
                    all_extra.len(),
                    if all_extra.len() == 1 { "" } else { "s" },
                    sources.into_iter().collect::<Vec<_>>().join(", ")
                ))
                .resource(r.clone())
                .evidence(Evidence::about(
                    format!(
                        "`{}` is a node role: {}",
                        role.role_name,
                        why.into_iter().collect::<Vec<_>>().join("; ")
                    ),
                    r,
                ));
            if let Some(own) = &cni_role {
                finding = finding.evidence(Evidence::text(format!(
                    "{own}, so `AmazonEKS_CNI_Policy` is not needed on the node role"
                )));
            }
            for (st, names) in &extra_by_statement {
                let what = format!(
                    "{} action{} beyond the baseline ({})",
                    names.len(),
                    if names.len() == 1 { "" } else { "s" },
                    ticked(names, 6)
                );
                finding = finding.evidence(statement_evidence(cx, &analysis, st, &what));
            }
            let mut commands: Vec<String> = extra_by_statement
                .iter()
                .map(|(st, _)| match st.policy.kind {
                    PolicyKind::Managed => format!(
                        "aws iam detach-role-policy --role-name {} --policy-arn {}",
                        role.role_name, st.policy.name
                    ),
                    _ => format!(
                        "aws iam delete-role-policy --role-name {} --policy-name {}",
                        role.role_name, st.policy.name
                    ),
                })
                .collect();
            commands.sort();
            commands.dedup();
            let mut built = finding
                .remediation(
                    Remediation::summary(format!(
                        "Remove what `{}` holds beyond the worker baseline and give those permissions to the pods that need them through IRSA or Pod Identity (for EMR jobs, their execution role).",
                        role.role_name
                    ))
                    .fix("Detach or delete the extra policies", "shell", commands.join("\n")),
                )
                .build();
            if !serious {
                built.severity = Severity::Medium;
            }
            out.push(built);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_baseline_documents_parse_and_name_known_actions() {
        let catalog = Catalog::get();
        for (name, json) in BASELINE.iter().chain(std::iter::once(&CNI)) {
            let doc = parse_policy_document(json).unwrap_or_else(|e| panic!("{name}: {e}"));
            for st in &doc.statements {
                for action in st.action.iter().flatten() {
                    assert!(
                        catalog.index_of(action).is_some(),
                        "{name}: {action} is not in the catalog"
                    );
                }
            }
        }
    }
}
