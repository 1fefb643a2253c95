//! EPA004: a managed endpoint without a security group, or with the VPC's default group.

use emrguard_model::inventory::area;

use crate::context::CheckContext;
use crate::finding::{Evidence, Finding, Remediation};
use crate::registry::Rule;
use crate::rules::endpoint::{describe, endpoint_ref, is_live, security_group_ref};

crate::declare_rule! {
    /// ## What it does
    /// Flags active managed endpoints that have no `securityGroup`, and live endpoints whose
    /// security group is the VPC's `default` group. Endpoints still `CREATING` are not judged
    /// on a missing group, since EMR creates it during creation.
    ///
    /// ## Why is this bad?
    /// EMR on EKS creates a dedicated security group to "limit inbound traffic to the load
    /// balancer of your interactive endpoint". Without one nothing restricts who reaches the
    /// gateway; the VPC `default` group admits every member of the group and is shared by
    /// anything launched without an explicit group, so its rules cannot be tightened for the
    /// endpoint alone.
    ///
    /// ## Example
    /// ```json
    /// {"endpoint": {"id": "abc", "state": "ACTIVE", "securityGroup": "sg-0default"}}
    /// ```
    /// where `sg-0default` has `GroupName: default`.
    ///
    /// ## Remediation
    /// Recreate the endpoint with a principal that holds the EC2 security-group permissions
    /// EMR needs, so that EMR creates the endpoint's own group; then restrict that group to the
    /// networks EMR Studio uses.
    ///
    /// ## References
    /// - Amazon EMR on EKS security best practices: "Access control list for endpoints"
    /// - Amazon EMR on EKS Development Guide: Prerequisites for interactive endpoints (security group permissions)
    pub struct EndpointDefaultOrMissingSecurityGroup {
        code: "EPA004",
        name: "endpoint-default-or-missing-security-group",
        summary: "a managed endpoint has no security group of its own",
        practice: EndpointAccessControl,
        severity: Medium,
        requires: [area::MANAGED_ENDPOINTS, area::SECURITY_GROUPS],
    }
}

impl Rule for EndpointDefaultOrMissingSecurityGroup {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        for endpoint in cx.inventory.managed_endpoints.iter().filter(|e| is_live(e)) {
            let recreate = Remediation::summary(
                "Recreate the endpoint so that EMR creates its own security group, then restrict that group to EMR Studio's networks.",
            )
            .fix(
                "Recreate the endpoint (the creating principal needs ec2:CreateSecurityGroup, ec2:AuthorizeSecurityGroupIngress and related actions)",
                "shell",
                format!(
                    "aws emr-containers delete-managed-endpoint --id {id} --virtual-cluster-id {vc}\n\
                     aws emr-containers create-managed-endpoint --type JUPYTER_ENTERPRISE_GATEWAY --virtual-cluster-id {vc} \\\n  --name {name} --execution-role-arn {role} --release-label {label}",
                    id = endpoint.id,
                    vc = endpoint.virtual_cluster_id,
                    name = endpoint.name.as_deref().unwrap_or(&endpoint.id),
                    role = endpoint.execution_role_arn.as_deref().unwrap_or("EXECUTION_ROLE_ARN"),
                    label = endpoint.release_label.as_deref().unwrap_or("RELEASE_LABEL"),
                ),
            );
            match endpoint.security_group.as_deref().filter(|s| !s.is_empty()) {
                None => {
                    // EMR attaches the group while creating the endpoint.
                    if endpoint.state.as_deref().is_some_and(|s| s != "ACTIVE") {
                        continue;
                    }
                    Self::META
                        .finding(format!("{} has no security group", describe(endpoint)))
                        .resource(endpoint_ref(endpoint))
                        .evidence(
                            Evidence::about(
                                format!(
                                    "{} is {} and its `securityGroup` is empty",
                                    describe(endpoint),
                                    endpoint.state.as_deref().unwrap_or("in an unknown state")
                                ),
                                endpoint_ref(endpoint),
                            )
                            .with_detail("securityGroup"),
                        )
                        .evidence(Evidence::text(
                            "nothing restricts which networks reach the endpoint's load balancer",
                        ))
                        .remediation(recreate)
                        .push(out);
                }
                Some(sg_id) => {
                    let Some(sg) = cx.inventory.security_group(sg_id) else {
                        continue;
                    };
                    if sg.group_name.as_deref() != Some("default") {
                        continue;
                    }
                    let vpc = sg.vpc_id.as_deref().unwrap_or("its VPC");
                    Self::META
                        .finding(format!(
                            "{} uses `{sg_id}`, the default security group of `{vpc}`",
                            describe(endpoint)
                        ))
                        .resource(endpoint_ref(endpoint))
                        .resource(security_group_ref(sg))
                        .evidence(
                            Evidence::about(
                                format!("the endpoint's `securityGroup` is `{sg_id}`"),
                                endpoint_ref(endpoint),
                            )
                            .with_detail("securityGroup"),
                        )
                        .evidence(
                            Evidence::about(
                                format!("`{sg_id}` is named `default`: the default group of `{vpc}`, shared by everything launched without a group"),
                                security_group_ref(sg),
                            )
                            .with_detail("GroupName"),
                        )
                        .remediation(recreate)
                        .push(out);
                }
            }
        }
    }
}
