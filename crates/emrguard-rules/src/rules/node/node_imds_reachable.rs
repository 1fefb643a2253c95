//! NODE001: node groups where EMR pods can reach the instance metadata service.

use std::collections::BTreeSet;

use emrguard_model::aws::{Instance, MetadataOptions, Nodegroup};
use emrguard_model::inventory::area;
use emrguard_model::k8s::{Pod, StringMap};
use emrguard_model::Inventory;

use crate::context::CheckContext;
use crate::finding::{Evidence, Finding, Remediation, ResourceRef};
use crate::registry::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Flags EKS managed node groups where EMR pods can be scheduled and whose instances let
    /// pods reach IMDS: the node group's launch template version (its `launchTemplate` id or
    /// name and version, `$Default` and `$Latest` resolved against the versions in the
    /// snapshot) has `HttpTokens` other than `required` (or no `MetadataOptions` at all, so EC2
    /// defaults allow IMDSv1), or a `HttpPutResponseHopLimit` above
    /// `thresholds.max-imds-hop-limit` (default 1). A node group without a launch template
    /// uses EKS's default template (IMDSv1 allowed, hop limit 2) and is flagged too.
    /// Instances of the node group (`describe-instances`) whose own `MetadataOptions`
    /// contradict the launch template are reported as well.
    ///
    /// EMR pods are assumed schedulable on a node group unless every live virtual cluster's
    /// `nodeLabel`, or the `nodeSelector` of every pod in EMR namespaces, excludes the node
    /// group's labels; the evidence says which applied.
    ///
    /// ## Why is this bad?
    /// With IMDSv1, or IMDSv2 with a hop limit of 2 or more, a pod reaches
    /// `169.254.169.254` through the node and gets the node instance profile's credentials,
    /// bypassing the job's execution role. IRSA and Pod Identity do not block this; only
    /// IMDSv2 with a hop limit of 1 (or a network block) does.
    ///
    /// ## Example
    /// ```json
    /// {"LaunchTemplateVersions": [{"LaunchTemplateId": "lt-0abc", "VersionNumber": 3,
    ///   "LaunchTemplateData": {"MetadataOptions": {"HttpTokens": "optional", "HttpPutResponseHopLimit": 2}}}]}
    /// ```
    ///
    /// ## Remediation
    /// Create a launch template version with `HttpTokens: required` and
    /// `HttpPutResponseHopLimit: 1` and roll the node group to it (node groups on EKS's default
    /// template need a new node group with a launch template); fix running instances with
    /// `modify-instance-metadata-options`.
    ///
    /// ## Known limitations
    /// Taints and affinities are not evaluated. A virtual cluster's `nodeLabel` is read as
    /// `key=value` (or a bare key that must exist). Nodes outside EKS managed node groups
    /// (self-managed groups, Karpenter) are not covered.
    ///
    /// ## References
    /// - Amazon EMR on EKS security best practices: "Restrict access to nodegroup IAM role or instance profile credentials"
    /// - Amazon EKS Best Practices Guide: restrict access to the instance profile assigned to the worker node
    /// - Amazon EC2 User Guide: Configure the instance metadata options
    pub struct NodeImdsReachable {
        code: "NODE001",
        name: "node-imds-reachable",
        summary: "EMR pods can reach IMDS and the node role's credentials",
        practice: NodeCredentialAccess,
        severity: High,
        requires: [area::NODEGROUPS, area::LAUNCH_TEMPLATES],
    }
}

/// What IMDS allows, as far as pods are concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Imds {
    /// IMDSv1 allowed (`HttpTokens` not `required`).
    v1: bool,
    /// The hop limit, when set.
    hop_limit: Option<i64>,
    /// IMDS turned off.
    disabled: bool,
}

impl Imds {
    fn of(options: Option<&MetadataOptions>) -> Self {
        Self {
            v1: options.and_then(|o| o.http_tokens.as_deref()) != Some("required"),
            hop_limit: options.and_then(|o| o.http_put_response_hop_limit),
            disabled: options.and_then(|o| o.http_endpoint.as_deref()) == Some("disabled"),
        }
    }

    /// EKS's default launch template for managed node groups.
    fn eks_default() -> Self {
        Self {
            v1: true,
            hop_limit: Some(2),
            disabled: false,
        }
    }

    /// What is wrong, in words; empty when pods cannot reach IMDS.
    fn problems(&self, max_hop: i64) -> Vec<String> {
        if self.disabled {
            return Vec::new();
        }
        let mut out = Vec::new();
        if self.v1 {
            out.push("allows IMDSv1".to_owned());
        }
        if let Some(h) = self.hop_limit.filter(|h| *h > max_hop) {
            out.push(format!("has a hop limit of {h}"));
        }
        out
    }

    fn describe(&self) -> String {
        format!(
            "`HttpTokens` {}, `HttpPutResponseHopLimit` {}{}",
            if self.v1 {
                "`optional` (or unset)"
            } else {
                "`required`"
            },
            self.hop_limit
                .map_or_else(|| "unset".to_owned(), |h| h.to_string()),
            if self.disabled {
                ", `HttpEndpoint` `disabled`"
            } else {
                ""
            }
        )
    }
}

/// The labels a node group's nodes carry (its configured labels and EKS's own).
fn node_group_labels(ng: &Nodegroup) -> StringMap {
    let mut labels: StringMap = ng
        .labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    labels.insert(
        "eks.amazonaws.com/nodegroup".into(),
        ng.nodegroup_name.as_str().into(),
    );
    labels
}

/// Whether a virtual cluster's `nodeLabel` (`key=value`, or a bare key) matches the labels.
fn node_label_matches(node_label: &str, labels: &StringMap) -> bool {
    match node_label.split_once(['=', ':']) {
        Some((k, v)) => labels.get(k.trim()).is_some_and(|x| x == v.trim()),
        None => labels.contains_key(node_label.trim()),
    }
}

/// Whether EMR pods can land on the node group, and why (for the evidence).
/// The pods in EMR namespaces (found once, not once per node group).
fn emr_pods<'a>(cx: &CheckContext<'a>) -> Vec<&'a Pod> {
    cx.inventory
        .pods
        .iter()
        .filter(|p| {
            p.metadata
                .namespace
                .as_deref()
                .is_some_and(|ns| cx.is_emr_namespace(ns))
        })
        .collect()
}

/// Whether EMR pods (`emr_pods`) can land on the node group, and why (for the evidence).
fn emr_schedulable(
    cx: &CheckContext<'_>,
    ng: &Nodegroup,
    emr_pods: &[&Pod],
) -> (bool, Vec<String>) {
    let labels = node_group_labels(ng);
    let name = &ng.nodegroup_name;
    let live: Vec<_> = cx
        .inventory
        .virtual_clusters
        .iter()
        .filter(|v| v.is_active())
        .collect();
    let pinned: Vec<(&str, &str)> = live
        .iter()
        .filter_map(|vc| {
            let label = vc
                .container_provider
                .info
                .as_ref()?
                .eks_info
                .as_ref()?
                .node_label
                .as_deref()?;
            (!label.trim().is_empty()).then_some((vc.id.as_str(), label))
        })
        .collect();
    if !live.is_empty()
        && pinned.len() == live.len()
        && !pinned.iter().any(|(_, l)| node_label_matches(l, &labels))
    {
        return (
            false,
            vec![format!("every live virtual cluster pins its pods with a `nodeLabel` that node group `{name}` does not carry")],
        );
    }
    let selects = |selector: &StringMap| selector.iter().all(|(k, v)| labels.get(k) == Some(v));
    if !emr_pods.is_empty()
        && emr_pods
            .iter()
            .all(|p| !p.spec.node_selector.is_empty() && !selects(&p.spec.node_selector))
    {
        return (
            false,
            vec![format!(
                "all {} pods in EMR namespaces have a `nodeSelector` that node group `{name}` does not satisfy",
                emr_pods.len()
            )],
        );
    }
    let mut why = Vec::new();
    if live.is_empty() {
        why.push(
            "no live virtual cluster is in the snapshot, so EMR pods are assumed to run anywhere"
                .to_owned(),
        );
    } else {
        let unpinned: Vec<&str> = live
            .iter()
            .filter(|vc| !pinned.iter().any(|(id, _)| *id == vc.id))
            .map(|vc| vc.id.as_str())
            .collect();
        if !unpinned.is_empty() {
            why.push(format!(
                "virtual cluster `{}` sets no `nodeLabel`",
                unpinned.join("`, `")
            ));
        }
        for (id, label) in pinned
            .iter()
            .filter(|(_, l)| node_label_matches(l, &labels))
        {
            why.push(format!("virtual cluster `{id}` has `nodeLabel` `{label}`, which node group `{name}` carries"));
        }
    }
    let on_group: BTreeSet<&str> = cx
        .inventory
        .nodes
        .iter()
        .filter(|n| {
            n.metadata
                .labels
                .get("eks.amazonaws.com/nodegroup")
                .is_some_and(|v| v == name)
        })
        .map(|n| n.metadata.name.as_str())
        .collect();
    let running: Vec<String> = emr_pods
        .iter()
        .filter(|p| {
            p.spec
                .node_name
                .as_deref()
                .is_some_and(|n| on_group.contains(n))
        })
        .map(|p| {
            format!(
                "{}/{}",
                p.metadata.namespace.as_deref().unwrap_or_default(),
                p.metadata.name
            )
        })
        .collect();
    if !running.is_empty() {
        why.push(format!(
            "EMR pods already run on its nodes: `{}`",
            running.join("`, `")
        ));
    } else if emr_pods.iter().any(|p| p.spec.node_selector.is_empty()) {
        why.push(
            "pods in EMR namespaces without a `nodeSelector` can be scheduled on it".to_owned(),
        );
    }
    (true, why)
}

/// The instances of a node group: tagged with its name, or backing one of its nodes.
fn instances<'a>(inventory: &'a Inventory, ng: &Nodegroup) -> Vec<&'a Instance> {
    let nodes: BTreeSet<&str> = inventory
        .nodes
        .iter()
        .filter(|n| {
            n.metadata
                .labels
                .get("eks.amazonaws.com/nodegroup")
                .is_some_and(|v| *v == ng.nodegroup_name)
        })
        .map(|n| n.metadata.name.as_str())
        .collect();
    inventory
        .instances
        .iter()
        .filter(|i| {
            i.tags
                .iter()
                .any(|t| t.key == "eks:nodegroup-name" && t.value == ng.nodegroup_name)
                || i.private_dns_name
                    .as_deref()
                    .is_some_and(|d| nodes.contains(d))
        })
        .collect()
}

fn metadata_json(max_hop: i64) -> String {
    format!("{{\"MetadataOptions\":{{\"HttpEndpoint\":\"enabled\",\"HttpTokens\":\"required\",\"HttpPutResponseHopLimit\":{max_hop}}}}}")
}

impl Rule for NodeImdsReachable {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let max_hop = i64::from(cx.config.thresholds.max_imds_hop_limit);
        let fixed_hop = max_hop.max(1);
        let cluster_name = cx
            .inventory
            .cluster()
            .map_or("CLUSTER", |c| c.name.as_str());
        let emr_pods = emr_pods(cx);
        for ng in &cx.inventory.nodegroups {
            let name = ng.nodegroup_name.as_str();
            let cluster = ng.cluster_name.as_deref().unwrap_or(cluster_name);
            let ng_ref = match ng.nodegroup_arn.as_deref() {
                Some(arn) => ResourceRef::aws("Nodegroup", arn, Some(name)),
                None => ResourceRef::aws_named("Nodegroup", name),
            }
            .at(&ng.source);
            let (template, imds, template_text) = match &ng.launch_template {
                None => (
                    None,
                    Imds::eks_default(),
                    "EKS's default launch template".to_owned(),
                ),
                Some(spec) => {
                    // A template version missing from the snapshot cannot be judged.
                    let Some(version) = cx.inventory.launch_template_version(spec) else {
                        continue;
                    };
                    let id = version
                        .launch_template_id
                        .as_deref()
                        .or(version.launch_template_name.as_deref())
                        .unwrap_or("launch template");
                    let number = version
                        .version_number
                        .map_or_else(String::new, |n| format!(" version {n}"));
                    let asked = spec
                        .version
                        .as_deref()
                        .filter(|v| v.starts_with('$'))
                        .map_or_else(String::new, |v| format!(" (`{v}`)"));
                    (
                        Some(version),
                        Imds::of(version.launch_template_data.metadata_options.as_ref()),
                        format!("launch template `{id}`{number}{asked}"),
                    )
                }
            };
            let (schedulable, why) = emr_schedulable(cx, ng, &emr_pods);
            if !schedulable {
                continue;
            }
            let group_instances = instances(cx.inventory, ng);
            let problems = imds.problems(max_hop);
            let instance_fix = |id: &str| {
                format!("aws ec2 modify-instance-metadata-options --instance-id {id} --http-tokens required --http-put-response-hop-limit {fixed_hop} --http-endpoint enabled")
            };
            if problems.is_empty() {
                // The template is fine; report instances that were launched or changed otherwise.
                for instance in group_instances {
                    let Some(options) = instance.metadata_options.as_ref() else {
                        continue;
                    };
                    let actual = Imds::of(Some(options));
                    let wrong = actual.problems(max_hop);
                    if wrong.is_empty() {
                        continue;
                    }
                    let i_ref = ResourceRef::aws_named("EC2Instance", &instance.instance_id)
                        .at(&instance.source);
                    Self::META
                        .finding(format!(
                            "instance `{}` of node group `{name}` {} although its {template_text} does not",
                            instance.instance_id,
                            wrong.join(" and ")
                        ))
                        .resource(i_ref.clone())
                        .resource(ng_ref.clone())
                        .evidence(Evidence::about(format!("the node group's {template_text} sets {}", imds.describe()), ng_ref.clone()))
                        .evidence(Evidence::about(format!("instance `{}` runs with {}", instance.instance_id, actual.describe()), i_ref).with_detail("MetadataOptions"))
                        .evidence_all(why.iter().map(|w| Evidence::text(w.clone())))
                        .remediation(
                            Remediation::summary("Require IMDSv2 with a hop limit of 1 on the instance, as its launch template does.")
                                .fix("Fix the running instance", "shell", instance_fix(&instance.instance_id)),
                        )
                        .push(out);
                }
                continue;
            }
            let mut finding = Self::META
                .finding(format!(
                    "node group `{name}` {} where EMR pods can run ({template_text})",
                    problems.join(" and ")
                ))
                .resource(ng_ref.clone());
            match template {
                Some(version) => {
                    let lt_ref = ResourceRef::aws_named(
                        "LaunchTemplate",
                        version
                            .launch_template_id
                            .as_deref()
                            .or(version.launch_template_name.as_deref())
                            .unwrap_or("launch-template"),
                    )
                    .at(&version.source);
                    finding = finding.resource(lt_ref.clone()).evidence(
                        Evidence::about(
                            format!(
                                "node group `{name}` uses {template_text}, which sets {}{}",
                                imds.describe(),
                                if version.launch_template_data.metadata_options.is_none() {
                                    " (no `MetadataOptions`: EC2 defaults allow IMDSv1)"
                                } else {
                                    ""
                                }
                            ),
                            lt_ref,
                        )
                        .with_detail("LaunchTemplateData.MetadataOptions"),
                    );
                }
                None => {
                    finding = finding.evidence(Evidence::about(
                        format!("node group `{name}` has no launch template, so EKS's default template applies: IMDSv1 allowed, hop limit 2"),
                        ng_ref.clone(),
                    ));
                }
            }
            finding = finding.evidence_all(why.iter().map(|w| Evidence::text(w.clone())));
            let mut fixed_in_place = Vec::new();
            let mut instance_commands = Vec::new();
            for instance in &group_instances {
                let Some(options) = instance.metadata_options.as_ref() else {
                    continue;
                };
                let actual = Imds::of(Some(options));
                let i_ref = ResourceRef::aws_named("EC2Instance", &instance.instance_id)
                    .at(&instance.source);
                if actual.problems(max_hop).is_empty() {
                    fixed_in_place.push(instance.instance_id.clone());
                } else {
                    instance_commands.push(instance_fix(&instance.instance_id));
                    finding = finding.resource(i_ref.clone()).evidence(
                        Evidence::about(
                            format!(
                                "instance `{}` runs with {}",
                                instance.instance_id,
                                actual.describe()
                            ),
                            i_ref,
                        )
                        .with_detail("MetadataOptions"),
                    );
                }
            }
            if !fixed_in_place.is_empty() {
                finding = finding.evidence(Evidence::text(format!(
                    "instance `{}` was fixed in place, but nodes the group launches next will not be",
                    fixed_in_place.join("`, `")
                )));
            }
            finding = finding.evidence(Evidence::text(
                "a pod that reaches IMDS gets the node role's credentials instead of the job's execution role",
            ));
            let mut remediation = match template {
                Some(version) => {
                    let id = version.launch_template_id.as_deref().unwrap_or("LAUNCH_TEMPLATE_ID");
                    let source_version = version.version_number.map_or_else(|| "SOURCE_VERSION".to_owned(), |n| n.to_string());
                    Remediation::summary("Require IMDSv2 with a hop limit of 1 in a new launch template version and roll the node group to it.").fix(
                        "Create a compliant launch template version and update the node group",
                        "shell",
                        format!(
                            "aws ec2 create-launch-template-version --launch-template-id {id} --source-version {source_version} \\\n  --launch-template-data '{}'\n\
                             aws eks update-nodegroup-version --cluster-name {cluster} --nodegroup-name {name} --launch-template id={id},version=NEW_VERSION",
                            metadata_json(fixed_hop)
                        ),
                    )
                }
                None => Remediation::summary(
                    "Node groups on EKS's default template cannot change it: create a launch template requiring IMDSv2 with a hop limit of 1, move the workloads to a new node group that uses it, and delete the old group.",
                )
                .fix(
                    "Replace the node group with one on a compliant launch template",
                    "shell",
                    format!(
                        "aws ec2 create-launch-template --launch-template-name {name}-imdsv2 --launch-template-data '{}'\n\
                         aws eks create-nodegroup --cluster-name {cluster} --nodegroup-name {name}-imdsv2 --node-role {} \\\n  --subnets {} --launch-template name={name}-imdsv2,version=1\n\
                         aws eks delete-nodegroup --cluster-name {cluster} --nodegroup-name {name}",
                        metadata_json(fixed_hop),
                        ng.node_role.as_deref().unwrap_or("NODE_ROLE_ARN"),
                        if ng.subnets.is_empty() { "SUBNET_IDS".to_owned() } else { ng.subnets.join(" ") }
                    ),
                ),
            };
            if !instance_commands.is_empty() {
                remediation = remediation.fix(
                    "Fix the running instances now",
                    "shell",
                    instance_commands.join("\n"),
                );
            }
            finding.remediation(remediation).push(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imds_problems() {
        let required = MetadataOptions {
            http_tokens: Some("required".into()),
            http_put_response_hop_limit: Some(1),
            http_endpoint: Some("enabled".into()),
        };
        assert!(Imds::of(Some(&required)).problems(1).is_empty());
        let hop2 = MetadataOptions {
            http_put_response_hop_limit: Some(2),
            ..required.clone()
        };
        assert_eq!(
            Imds::of(Some(&hop2)).problems(1),
            vec!["has a hop limit of 2".to_owned()]
        );
        assert!(Imds::of(Some(&hop2)).problems(2).is_empty());
        assert_eq!(Imds::of(None).problems(1), vec!["allows IMDSv1".to_owned()]);
        let off = MetadataOptions {
            http_endpoint: Some("disabled".into()),
            ..MetadataOptions::default()
        };
        assert!(Imds::of(Some(&off)).problems(1).is_empty());
        assert_eq!(Imds::eks_default().problems(1).len(), 2);
    }

    #[test]
    fn node_labels() {
        let mut labels = StringMap::new();
        labels.insert("team".into(), "a".into());
        assert!(node_label_matches("team=a", &labels));
        assert!(!node_label_matches("team=b", &labels));
        assert!(node_label_matches("team", &labels));
        assert!(!node_label_matches("gpu", &labels));
    }
}
