//! Practice 2: access control for managed endpoints (subnets, load balancers, security groups).

pub mod endpoint_default_or_missing_security_group;
pub mod endpoint_internet_facing_load_balancer;
pub mod endpoint_security_group_open_ingress;
pub mod endpoint_without_private_subnet;

use emrguard_model::aws::{LoadBalancer, ManagedEndpoint, SecurityGroup, VirtualCluster};
use emrguard_model::Inventory;

use crate::finding::ResourceRef;

/// Whether an endpoint still exists (not `TERMINATED` or `TERMINATED_WITH_ERRORS`).
pub(crate) fn is_live(endpoint: &ManagedEndpoint) -> bool {
    !endpoint
        .state
        .as_deref()
        .is_some_and(|s| s.starts_with("TERMINATED"))
}

/// `managed endpoint `studio` (`abc`)`, for messages.
pub(crate) fn describe(endpoint: &ManagedEndpoint) -> String {
    match endpoint
        .name
        .as_deref()
        .filter(|n| !n.is_empty() && *n != endpoint.id)
    {
        Some(name) => format!("managed endpoint `{name}` (`{}`)", endpoint.id),
        None => format!("managed endpoint `{}`", endpoint.id),
    }
}

/// The finding resource of an endpoint.
pub(crate) fn endpoint_ref(endpoint: &ManagedEndpoint) -> ResourceRef {
    let name = endpoint.name.as_deref().unwrap_or(&endpoint.id);
    match endpoint.arn.as_deref().filter(|a| !a.is_empty()) {
        Some(arn) => ResourceRef::aws("ManagedEndpoint", arn, Some(name)),
        None => ResourceRef::aws_named("ManagedEndpoint", &endpoint.id),
    }
    .at(&endpoint.source)
}

/// The finding resource of a security group.
pub(crate) fn security_group_ref(sg: &SecurityGroup) -> ResourceRef {
    ResourceRef::aws_named("SecurityGroup", &sg.group_id).at(&sg.source)
}

/// The finding resource of a load balancer.
pub(crate) fn load_balancer_ref(lb: &LoadBalancer) -> ResourceRef {
    ResourceRef::aws(
        "LoadBalancer",
        &lb.load_balancer_arn,
        lb.load_balancer_name.as_deref(),
    )
    .at(&lb.source)
}

/// The virtual cluster of an endpoint.
pub(crate) fn virtual_cluster<'a>(
    inventory: &'a Inventory,
    endpoint: &ManagedEndpoint,
) -> Option<&'a VirtualCluster> {
    inventory
        .virtual_clusters
        .iter()
        .find(|vc| vc.id == endpoint.virtual_cluster_id)
}

/// How a load balancer was tied to an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LoadBalancerLink {
    /// The endpoint's `securityGroup` is one of the load balancer's security groups.
    SecurityGroup(String),
    /// The AWS Load Balancer Controller's stack tag names the endpoint's namespace.
    Tag { key: String, value: String },
    /// The host of the endpoint's `serverUrl` is the load balancer's DNS name.
    DnsName(String),
}

impl std::fmt::Display for LoadBalancerLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SecurityGroup(sg) => write!(
                f,
                "the endpoint's security group `{sg}` is attached to the load balancer"
            ),
            Self::Tag { key, value } => write!(
                f,
                "the load balancer's tag `{key}={value}` names the endpoint's namespace"
            ),
            Self::DnsName(host) => write!(
                f,
                "the endpoint's `serverUrl` host `{host}` is the load balancer's DNS name"
            ),
        }
    }
}

/// The host of a URL (`https://host:port/path` gives `host`).
fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', ':', '?']).next()?;
    (!host.is_empty()).then_some(host)
}

/// The load balancers that serve an endpoint, with every link found, in inventory order.
pub(crate) fn linked_load_balancers<'a>(
    inventory: &'a Inventory,
    endpoint: &ManagedEndpoint,
) -> Vec<(&'a LoadBalancer, Vec<LoadBalancerLink>)> {
    let vc = virtual_cluster(inventory, endpoint);
    let namespace = vc.and_then(VirtualCluster::namespace);
    let cluster = vc.and_then(|v| v.container_provider.id.as_deref());
    let host = endpoint.server_url.as_deref().and_then(url_host);
    let mut out = Vec::new();
    for lb in &inventory.load_balancers {
        let mut links = Vec::new();
        if let Some(sg) = endpoint
            .security_group
            .as_deref()
            .filter(|sg| lb.security_groups.iter().any(|s| s == sg))
        {
            links.push(LoadBalancerLink::SecurityGroup(sg.to_owned()));
        }
        let tag = |key: &str| {
            lb.tags
                .iter()
                .find(|t| t.key == key)
                .map(|t| t.value.as_str())
        };
        // A load balancer of another cluster cannot serve this endpoint.
        let same_cluster = match (tag("elbv2.k8s.aws/cluster"), cluster) {
            (Some(tagged), Some(c)) => tagged == c,
            _ => true,
        };
        if let Some(ns) = namespace.filter(|_| same_cluster) {
            for key in ["ingress.k8s.aws/stack", "service.k8s.aws/stack"] {
                if let Some(value) = tag(key) {
                    let names_ns = value == ns
                        || value
                            .split_once('/')
                            .is_some_and(|(stack_ns, _)| stack_ns == ns);
                    if names_ns {
                        links.push(LoadBalancerLink::Tag {
                            key: key.to_owned(),
                            value: value.to_owned(),
                        });
                    }
                }
            }
        }
        if let (Some(host), Some(dns)) = (host, lb.dns_name.as_deref()) {
            if host.eq_ignore_ascii_case(dns.trim_end_matches('.')) {
                links.push(LoadBalancerLink::DnsName(host.to_owned()));
            }
        }
        if !links.is_empty() {
            out.push((lb, links));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_hosts() {
        assert_eq!(
            url_host("https://internal-k8s-abc.us-west-2.elb.amazonaws.com:18888/gateway"),
            Some("internal-k8s-abc.us-west-2.elb.amazonaws.com")
        );
        assert_eq!(url_host("host.example"), Some("host.example"));
        assert_eq!(url_host("https://"), None);
    }
}
