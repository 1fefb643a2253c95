//! EPA003: ingress to a managed endpoint's security group from the internet or a wide CIDR.

use emrguard_model::aws::IpPermission;
use emrguard_model::inventory::area;
use ipnet::{Ipv4Net, Ipv6Net};
use serde_json::{json, Map, Value};

use crate::context::CheckContext;
use crate::finding::{Evidence, Finding, Remediation, Severity};
use crate::registry::Rule;
use crate::rules::endpoint::{
    describe, endpoint_ref, is_live, linked_load_balancers, security_group_ref,
};

crate::declare_rule! {
    /// ## What it does
    /// Flags ingress rules of a live managed endpoint's security group (`endpoint.securityGroup`)
    /// and of the security groups of the load balancers that serve it (see EPA002 for how they
    /// are linked) that admit `0.0.0.0/0`, `::/0`, or a CIDR wider than
    /// `thresholds.max-ingress-prefix-v4` / `max-ingress-prefix-v6` (default /16 and /48).
    /// Rules open to the whole internet are high severity; merely wide ones are medium.
    ///
    /// ## Why is this bad?
    /// "We recommend that you configure security groups with these load balancers so that they
    /// can restrict incoming traffic to a selected set of IP addresses." The endpoint runs
    /// kernels with its execution role for whoever reaches it.
    ///
    /// ## Example
    /// ```json
    /// {"GroupId": "sg-0endpoint", "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
    ///   "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}
    /// ```
    /// A `/24` of the VPC or of the EMR Studio users' network is fine.
    ///
    /// ## Remediation
    /// Revoke the wide rule and authorize only the CIDRs EMR Studio and its users come from
    /// (the finding gives both commands, exactly).
    ///
    /// ## References
    /// - Amazon EMR on EKS security best practices: "Access control list for endpoints"
    /// - Amazon EC2 User Guide: security group rules
    pub struct EndpointSecurityGroupOpenIngress {
        code: "EPA003",
        name: "endpoint-security-group-open-ingress",
        summary: "a managed endpoint's security group admits the internet or a wide CIDR",
        practice: EndpointAccessControl,
        severity: High,
        requires: [area::MANAGED_ENDPOINTS, area::SECURITY_GROUPS],
    }
}

/// One offending source range of an ingress rule.
struct OpenRange<'a> {
    permission: &'a IpPermission,
    cidr: String,
    ipv6: bool,
    prefix: u8,
}

fn ports(p: &IpPermission) -> String {
    let proto = p.ip_protocol.as_deref().unwrap_or("-1");
    match (proto, p.from_port, p.to_port) {
        ("-1", _, _) => "all traffic".to_owned(),
        (proto, Some(from), Some(to)) if from == to => format!("{proto} {from}"),
        (proto, Some(from), Some(to)) if from == -1 && to == -1 => proto.to_owned(),
        (proto, Some(from), Some(to)) => format!("{proto} {from}-{to}"),
        (proto, _, _) => proto.to_owned(),
    }
}

/// The `--ip-permissions` JSON for one rule and one range, as the EC2 CLI takes it.
fn permission_json(p: &IpPermission, cidr: &str, ipv6: bool, description: Option<&str>) -> String {
    let proto = p.ip_protocol.clone().unwrap_or_else(|| "-1".to_owned());
    let mut perm = Map::new();
    perm.insert("IpProtocol".into(), Value::String(proto.clone()));
    if proto != "-1" {
        if let Some(from) = p.from_port {
            perm.insert("FromPort".into(), json!(from));
        }
        if let Some(to) = p.to_port {
            perm.insert("ToPort".into(), json!(to));
        }
    }
    let mut range = Map::new();
    range.insert(
        if ipv6 { "CidrIpv6" } else { "CidrIp" }.into(),
        Value::String(cidr.to_owned()),
    );
    if let Some(d) = description {
        range.insert("Description".into(), Value::String(d.to_owned()));
    }
    perm.insert(
        if ipv6 { "Ipv6Ranges" } else { "IpRanges" }.into(),
        Value::Array(vec![Value::Object(range)]),
    );
    Value::Array(vec![Value::Object(perm)]).to_string()
}

fn open_ranges<'a>(permissions: &'a [IpPermission], max_v4: u8, max_v6: u8) -> Vec<OpenRange<'a>> {
    let mut out = Vec::new();
    for p in permissions {
        for r in &p.ip_ranges {
            if let Ok(net) = r.cidr_ip.trim().parse::<Ipv4Net>() {
                if net.prefix_len() < max_v4 || net.prefix_len() == 0 {
                    out.push(OpenRange {
                        permission: p,
                        cidr: r.cidr_ip.trim().to_owned(),
                        ipv6: false,
                        prefix: net.prefix_len(),
                    });
                }
            }
        }
        for r in &p.ipv6_ranges {
            if let Ok(net) = r.cidr_ipv6.trim().parse::<Ipv6Net>() {
                if net.prefix_len() < max_v6 || net.prefix_len() == 0 {
                    out.push(OpenRange {
                        permission: p,
                        cidr: r.cidr_ipv6.trim().to_owned(),
                        ipv6: true,
                        prefix: net.prefix_len(),
                    });
                }
            }
        }
    }
    out
}

impl Rule for EndpointSecurityGroupOpenIngress {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let max_v4 = cx.config.thresholds.max_ingress_prefix_v4;
        let max_v6 = cx.config.thresholds.max_ingress_prefix_v6;
        for endpoint in cx.inventory.managed_endpoints.iter().filter(|e| is_live(e)) {
            // The endpoint's own group first, then those of the load balancers serving it.
            let mut groups: Vec<(String, String)> = Vec::new();
            if let Some(sg) = endpoint.security_group.as_deref().filter(|s| !s.is_empty()) {
                groups.push((
                    sg.to_owned(),
                    "it is the endpoint's `securityGroup`".to_owned(),
                ));
            }
            for (lb, links) in linked_load_balancers(cx.inventory, endpoint) {
                let lb_name = lb
                    .load_balancer_name
                    .as_deref()
                    .unwrap_or(&lb.load_balancer_arn);
                let how = links
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ");
                for sg in &lb.security_groups {
                    if !groups.iter().any(|(id, _)| id == sg) {
                        groups.push((
                            sg.clone(),
                            format!("it is a security group of load balancer `{lb_name}`, which serves the endpoint ({how})"),
                        ));
                    }
                }
            }
            for (sg_id, why) in &groups {
                let Some(sg) = cx.inventory.security_group(sg_id) else {
                    continue;
                };
                let open = open_ranges(&sg.ip_permissions, max_v4, max_v6);
                let Some(first) = open.first() else { continue };
                let world = open.iter().any(|o| o.prefix == 0);
                let sg_ref = security_group_ref(sg);
                let mut finding = Self::META
                    .finding(format!(
                        "security group `{sg_id}` of {} admits `{}` on {}{}",
                        describe(endpoint),
                        first.cidr,
                        ports(first.permission),
                        if open.len() > 1 {
                            format!(" (and {} more wide ranges)", open.len() - 1)
                        } else {
                            String::new()
                        }
                    ))
                    .resource(sg_ref.clone())
                    .resource(endpoint_ref(endpoint))
                    .evidence(Evidence::about(
                        format!(
                            "security group `{sg_id}` guards {}: {why}",
                            describe(endpoint)
                        ),
                        sg_ref.clone(),
                    ));
                let mut commands = Vec::new();
                for o in &open {
                    let limit = if o.ipv6 { max_v6 } else { max_v4 };
                    let scope = if o.prefix == 0 {
                        "the whole internet".to_owned()
                    } else {
                        format!("a /{} network, wider than the accepted /{limit}", o.prefix)
                    };
                    finding = finding.evidence(
                        Evidence::about(
                            format!(
                                "an ingress rule admits `{}` ({scope}) on {}",
                                o.cidr,
                                ports(o.permission)
                            ),
                            sg_ref.clone(),
                        )
                        .with_detail(if o.ipv6 {
                            "IpPermissions[].Ipv6Ranges"
                        } else {
                            "IpPermissions[].IpRanges"
                        }),
                    );
                    commands.push(format!(
                        "aws ec2 revoke-security-group-ingress --group-id {sg_id} --ip-permissions '{}'",
                        permission_json(o.permission, &o.cidr, o.ipv6, None)
                    ));
                    let allowed = if o.ipv6 {
                        "ALLOWED_IPV6_CIDR"
                    } else {
                        "ALLOWED_CIDR"
                    };
                    commands.push(format!(
                        "aws ec2 authorize-security-group-ingress --group-id {sg_id} --ip-permissions '{}'",
                        permission_json(o.permission, allowed, o.ipv6, Some("EMR Studio users"))
                    ));
                }
                commands.dedup();
                let mut built = finding
                    .remediation(
                        Remediation::summary(
                            "Revoke the wide ingress rules and admit only the networks EMR Studio and its users come from.",
                        )
                        .fix(
                            "Replace each wide rule with one for the allowed network",
                            "shell",
                            commands.join("\n"),
                        ),
                    )
                    .build();
                if !world {
                    built.severity = Severity::Medium;
                }
                out.push(built);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use emrguard_model::aws::IpRange;

    fn rule(cidr: &str) -> IpPermission {
        IpPermission {
            ip_protocol: Some("tcp".into()),
            from_port: Some(443),
            to_port: Some(443),
            ip_ranges: vec![IpRange {
                cidr_ip: cidr.into(),
                description: None,
            }],
            ..IpPermission::default()
        }
    }

    #[test]
    fn width_is_judged_against_the_threshold() {
        let perms = [
            rule("0.0.0.0/0"),
            rule("10.0.0.0/8"),
            rule("10.0.0.0/16"),
            rule("10.0.1.0/24"),
        ];
        let open: Vec<String> = open_ranges(&perms, 16, 48)
            .into_iter()
            .map(|o| o.cidr)
            .collect();
        assert_eq!(open, vec!["0.0.0.0/0", "10.0.0.0/8"]);
        // A threshold of 0 still flags the whole internet.
        let world: Vec<String> = open_ranges(&perms, 0, 0)
            .into_iter()
            .map(|o| o.cidr)
            .collect();
        assert_eq!(world, vec!["0.0.0.0/0"]);
    }

    #[test]
    fn revoke_json_is_exact() {
        let parse = |s: String| serde_json::from_str::<Value>(&s).unwrap();
        assert_eq!(
            parse(permission_json(
                &rule("0.0.0.0/0"),
                "0.0.0.0/0",
                false,
                None
            )),
            json!([{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        );
        let all = IpPermission {
            ip_protocol: Some("-1".into()),
            from_port: Some(-1),
            to_port: Some(-1),
            ..IpPermission::default()
        };
        assert_eq!(
            parse(permission_json(&all, "::/0", true, Some("x"))),
            json!([{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0", "Description": "x"}]}])
        );
        assert_eq!(ports(&all), "all traffic");
    }
}
