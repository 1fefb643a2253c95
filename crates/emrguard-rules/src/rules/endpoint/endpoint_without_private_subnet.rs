//! EPA001: a managed endpoint on an EKS cluster without a private subnet.

use emrguard_model::aws::{EksCluster, RouteTable};
use emrguard_model::inventory::area;
use emrguard_model::Inventory;

use crate::context::CheckContext;
use crate::finding::{Evidence, Finding, Remediation, ResourceRef};
use crate::registry::Rule;
use crate::rules::endpoint::{describe, endpoint_ref, is_live, virtual_cluster};

crate::declare_rule! {
    /// ## What it does
    /// Flags live managed endpoints whose EKS cluster has no private subnet. A subnet is public
    /// when its route table (its explicit association, or else the VPC's main route table)
    /// sends `0.0.0.0/0` or `::/0` to an internet gateway (`igw-...`); every other subnet is
    /// private. `MapPublicIpOnLaunch` is reported as a hint only. The rule stays silent when a
    /// subnet cannot be classified (its route table is not in the snapshot).
    ///
    /// ## Why is this bad?
    /// "Managed endpoints can be created only for those EKS clusters that have been configured
    /// to use at least one private subnet in your VPC." The endpoint's Application Load
    /// Balancer needs a private subnet to run in private mode; with public subnets only, the
    /// endpoint (a Jupyter Enterprise Gateway that runs code with the execution role) is
    /// placed where the internet can reach it.
    ///
    /// ## Example
    /// ```json
    /// {"RouteTables": [{"RouteTableId": "rtb-1", "Associations": [{"Main": true}],
    ///   "Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"}]}]}
    /// ```
    /// Every subnet of the cluster uses this table.
    ///
    /// ## Remediation
    /// Add a private subnet (default route to a NAT gateway, not an internet gateway) in at
    /// least one Availability Zone of the cluster and add it to the cluster's subnets, then
    /// recreate the endpoint.
    ///
    /// ## References
    /// - Amazon EMR on EKS security best practices: "Access control list for endpoints"
    /// - Amazon EMR on EKS Development Guide: Prerequisites for interactive endpoints (EMR Studio)
    pub struct EndpointWithoutPrivateSubnet {
        code: "EPA001",
        name: "endpoint-without-private-subnet",
        summary: "a managed endpoint's EKS cluster has no private subnet",
        practice: EndpointAccessControl,
        severity: High,
        requires: [area::SUBNETS, area::ROUTE_TABLES, area::EKS_CLUSTER, area::MANAGED_ENDPOINTS],
    }
}

/// How a subnet's route table was found.
enum Association {
    Explicit,
    Main,
}

/// A subnet classified public, with why.
struct PublicSubnet<'a> {
    subnet_id: &'a str,
    route_table: &'a RouteTable,
    association: Association,
    destination: &'a str,
    gateway: &'a str,
    maps_public_ip: bool,
}

/// The route table of a subnet: its explicit association, or the main table of its VPC.
fn route_table<'a>(
    inventory: &'a Inventory,
    subnet_id: &str,
    vpc_id: Option<&str>,
) -> Option<(&'a RouteTable, Association)> {
    if let Some(rt) = inventory.route_tables.iter().find(|rt| {
        rt.associations
            .iter()
            .any(|a| a.subnet_id.as_deref() == Some(subnet_id))
    }) {
        return Some((rt, Association::Explicit));
    }
    let vpc_id = vpc_id?;
    inventory
        .route_tables
        .iter()
        .find(|rt| {
            rt.vpc_id.as_deref() == Some(vpc_id)
                && rt.associations.iter().any(|a| a.main == Some(true))
        })
        .map(|rt| (rt, Association::Main))
}

/// `Some(Some(public))`, `Some(None)` for a private subnet, `None` when unknown.
fn classify<'a>(
    inventory: &'a Inventory,
    cluster: &'a EksCluster,
    subnet_id: &'a str,
) -> Option<Option<PublicSubnet<'a>>> {
    let subnet = inventory.subnet(subnet_id);
    let vpc = subnet
        .and_then(|s| s.vpc_id.as_deref())
        .or(cluster.resources_vpc_config.vpc_id.as_deref());
    let (rt, association) = route_table(inventory, subnet_id, vpc)?;
    let internet = rt.routes.iter().find_map(|r| {
        let destination = r
            .destination_cidr_block
            .as_deref()
            .filter(|d| *d == "0.0.0.0/0")
            .or_else(|| {
                r.destination_ipv6_cidr_block
                    .as_deref()
                    .filter(|d| *d == "::/0")
            })?;
        let gateway = r.gateway_id.as_deref().filter(|g| g.starts_with("igw-"))?;
        Some((destination, gateway))
    });
    Some(internet.map(|(destination, gateway)| PublicSubnet {
        subnet_id,
        route_table: rt,
        association,
        destination,
        gateway,
        maps_public_ip: subnet.and_then(|s| s.map_public_ip_on_launch) == Some(true),
    }))
}

impl Rule for EndpointWithoutPrivateSubnet {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let inventory = cx.inventory;
        for endpoint in inventory.managed_endpoints.iter().filter(|e| is_live(e)) {
            let cluster_name = virtual_cluster(inventory, endpoint)
                .and_then(|vc| vc.container_provider.id.as_deref());
            let cluster = match cluster_name {
                Some(name) => inventory.clusters.iter().find(|c| c.name == name),
                None if inventory.clusters.len() == 1 => inventory.cluster(),
                None => None,
            };
            let Some(cluster) = cluster else { continue };
            let subnet_ids = &cluster.resources_vpc_config.subnet_ids;
            if subnet_ids.is_empty() {
                continue;
            }
            let mut public = Vec::new();
            let mut all_public = true;
            for id in subnet_ids {
                match classify(inventory, cluster, id) {
                    Some(Some(p)) => public.push(p),
                    // A private subnet, or one that cannot be classified: no finding.
                    Some(None) | None => all_public = false,
                }
            }
            if !all_public {
                continue;
            }
            let cluster_ref = if cluster.arn.is_empty() {
                ResourceRef::aws_named("EKSCluster", &cluster.name)
            } else {
                ResourceRef::aws("EKSCluster", &cluster.arn, Some(&cluster.name))
            }
            .at(&cluster.source);
            let mut finding = Self::META
                .finding(format!(
                    "{} runs on EKS cluster `{}`, whose {} subnets are all public",
                    describe(endpoint),
                    cluster.name,
                    subnet_ids.len()
                ))
                .resource(endpoint_ref(endpoint))
                .resource(cluster_ref.clone())
                .evidence(Evidence::about(
                    format!(
                        "{} belongs to virtual cluster `{}` on EKS cluster `{}`",
                        describe(endpoint),
                        endpoint.virtual_cluster_id,
                        cluster.name
                    ),
                    endpoint_ref(endpoint),
                ))
                .evidence(
                    Evidence::about(
                        format!("the cluster's subnets are `{}`", subnet_ids.join("`, `")),
                        cluster_ref,
                    )
                    .with_detail("resourcesVpcConfig.subnetIds"),
                );
            for p in &public {
                let subnet_ref = inventory.subnet(p.subnet_id).map_or_else(
                    || ResourceRef::aws_named("Subnet", p.subnet_id),
                    |s| ResourceRef::aws_named("Subnet", p.subnet_id).at(&s.source),
                );
                let how = match p.association {
                    Association::Explicit => "its associated route table",
                    Association::Main => "the VPC's main route table",
                };
                let mut text = format!(
                    "subnet `{}` uses {how} `{}`, which routes `{}` to internet gateway `{}`",
                    p.subnet_id, p.route_table.route_table_id, p.destination, p.gateway
                );
                if p.maps_public_ip {
                    text.push_str(" (and it assigns public IPs at launch)");
                }
                finding = finding.resource(subnet_ref).evidence(Evidence::about(
                    text,
                    ResourceRef::aws_named("RouteTable", &p.route_table.route_table_id)
                        .at(&p.route_table.source),
                ));
            }
            let vpc = cluster
                .resources_vpc_config
                .vpc_id
                .as_deref()
                .unwrap_or("VPC_ID");
            finding
                .evidence(Evidence::text(
                    "managed endpoints need at least one private subnet, so that their load balancer can run in private mode",
                ))
                .remediation(
                    Remediation::summary(
                        "Give the cluster a private subnet (default route to a NAT gateway), then recreate the endpoint.",
                    )
                    .fix(
                        "Create a private subnet and add it to the cluster",
                        "shell",
                        format!(
                            "aws ec2 create-subnet --vpc-id {vpc} --cidr-block PRIVATE_CIDR --availability-zone AZ\n\
                             aws ec2 create-route-table --vpc-id {vpc}\n\
                             aws ec2 create-route --route-table-id NEW_ROUTE_TABLE --destination-cidr-block 0.0.0.0/0 --nat-gateway-id NAT_GATEWAY_ID\n\
                             aws ec2 associate-route-table --route-table-id NEW_ROUTE_TABLE --subnet-id NEW_SUBNET\n\
                             aws eks update-cluster-config --name {} --resources-vpc-config subnetIds={},NEW_SUBNET",
                            cluster.name,
                            subnet_ids.join(",")
                        ),
                    ),
                )
                .push(out);
        }
    }
}
