//! EPA002: a managed endpoint served by an internet-facing load balancer.

use emrguard_model::inventory::area;

use crate::context::CheckContext;
use crate::finding::{Evidence, Finding, Remediation};
use crate::registry::Rule;
use crate::rules::endpoint::{
    describe, endpoint_ref, is_live, linked_load_balancers, load_balancer_ref,
};

crate::declare_rule! {
    /// ## What it does
    /// Flags live managed endpoints served by a load balancer with `Scheme: internet-facing`.
    /// A load balancer serves an endpoint when the endpoint's `securityGroup` is one of its
    /// `SecurityGroups`, when the AWS Load Balancer Controller's `ingress.k8s.aws/stack` or
    /// `service.k8s.aws/stack` tag names the endpoint's namespace (and `elbv2.k8s.aws/cluster`,
    /// if present, names its EKS cluster), or when the host of the endpoint's `serverUrl` is
    /// the load balancer's `DNSName`. The evidence says which link was used.
    ///
    /// ## Why is this bad?
    /// A managed endpoint is a Jupyter Enterprise Gateway: whoever reaches it can start kernels
    /// that run code with the endpoint's execution role. An internet-facing load balancer puts
    /// that gateway on the internet, guarded only by its security group.
    ///
    /// ## Example
    /// ```json
    /// {"LoadBalancers": [{"LoadBalancerName": "k8s-emrstudio-abc", "Scheme": "internet-facing",
    ///   "SecurityGroups": ["sg-0endpoint"]}]}
    /// ```
    ///
    /// ## Remediation
    /// Run the endpoint's load balancer in private mode: give the cluster private subnets
    /// (EPA001) and recreate the endpoint, so that it is served by an `internal` load balancer
    /// reachable only from EMR Studio's VPC. Until then, restrict its security group (EPA003).
    ///
    /// ## Known limitations
    /// The tag link ties every load balancer of the endpoint's namespace to the endpoint; an
    /// internet-facing load balancer there is worth a look either way.
    ///
    /// ## References
    /// - Amazon EMR on EKS security best practices: "Access control list for endpoints"
    /// - AWS Load Balancer Controller: resource tags (`elbv2.k8s.aws/cluster`, `ingress.k8s.aws/stack`, `service.k8s.aws/stack`)
    pub struct EndpointInternetFacingLoadBalancer {
        code: "EPA002",
        name: "endpoint-internet-facing-load-balancer",
        summary: "a managed endpoint is served by an internet-facing load balancer",
        practice: EndpointAccessControl,
        severity: High,
        requires: [area::MANAGED_ENDPOINTS, area::LOAD_BALANCERS],
    }
}

impl Rule for EndpointInternetFacingLoadBalancer {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        for endpoint in cx.inventory.managed_endpoints.iter().filter(|e| is_live(e)) {
            for (lb, links) in linked_load_balancers(cx.inventory, endpoint) {
                if lb.scheme.as_deref() != Some("internet-facing") {
                    continue;
                }
                let lb_name = lb
                    .load_balancer_name
                    .as_deref()
                    .unwrap_or(&lb.load_balancer_arn);
                let lb_ref = load_balancer_ref(lb);
                let mut finding = Self::META
                    .finding(format!(
                        "{} is served by internet-facing load balancer `{lb_name}`",
                        describe(endpoint)
                    ))
                    .resource(lb_ref.clone())
                    .resource(endpoint_ref(endpoint));
                for link in &links {
                    finding = finding.evidence(Evidence::about(
                        format!("the load balancer serves the endpoint: {link}"),
                        lb_ref.clone(),
                    ));
                }
                let dns = lb.dns_name.as_deref().unwrap_or("its DNS name");
                finding
                    .evidence(
                        Evidence::about(
                            format!(
                                "load balancer `{lb_name}` has `Scheme: internet-facing`, so `{dns}` resolves to public addresses"
                            ),
                            lb_ref,
                        )
                        .with_detail("Scheme"),
                    )
                    .evidence(Evidence::text(
                        "whoever reaches the endpoint can start kernels that run code with its execution role",
                    ))
                    .remediation(
                        Remediation::summary(
                            "Recreate the endpoint on a cluster with private subnets so that its load balancer is internal; meanwhile restrict its security group to known CIDRs.",
                        )
                        .fix(
                            "Confirm the scheme, then recreate the endpoint once the cluster has a private subnet",
                            "shell",
                            format!(
                                "aws elbv2 describe-load-balancers --load-balancer-arns {} --query 'LoadBalancers[0].Scheme'\n\
                                 aws emr-containers delete-managed-endpoint --id {id} --virtual-cluster-id {vc}\n\
                                 aws emr-containers create-managed-endpoint --type JUPYTER_ENTERPRISE_GATEWAY --virtual-cluster-id {vc} \\\n  --name {name} --execution-role-arn {role} --release-label {label}",
                                lb.load_balancer_arn,
                                id = endpoint.id,
                                vc = endpoint.virtual_cluster_id,
                                name = endpoint.name.as_deref().unwrap_or(&endpoint.id),
                                role = endpoint.execution_role_arn.as_deref().unwrap_or("EXECUTION_ROLE_ARN"),
                                label = endpoint.release_label.as_deref().unwrap_or("RELEASE_LABEL"),
                            ),
                        ),
                    )
                    .push(out);
            }
        }
    }
}
