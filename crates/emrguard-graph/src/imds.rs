//! Whether pods on a node group reach the instance metadata service (and so the node role).

use emrguard_model::aws::{MetadataOptions, Nodegroup};
use emrguard_model::Inventory;

/// What a node group's instances allow, as far as pods are concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImdsExposure {
    /// IMDSv1 allowed (`HttpTokens` not `required`): a pod reaches it whatever the hop limit.
    pub v1: bool,
    /// The PUT response hop limit, when set (EC2's default is 1).
    pub hop_limit: Option<i64>,
    /// IMDS turned off.
    pub disabled: bool,
    /// Where the options come from, for people.
    pub origin: String,
    /// The launch template version, when one applies.
    pub template: Option<(String, Option<i64>)>,
}

impl ImdsExposure {
    fn of(options: Option<&MetadataOptions>, origin: String) -> Self {
        Self {
            v1: options.and_then(|o| o.http_tokens.as_deref()) != Some("required"),
            hop_limit: options.and_then(|o| o.http_put_response_hop_limit),
            disabled: options.and_then(|o| o.http_endpoint.as_deref()) == Some("disabled"),
            origin,
            template: None,
        }
    }

    /// Whether a pod that does not use the node's network reaches IMDS: IMDSv1 is allowed, or
    /// the IMDSv2 token response survives the extra hop into the pod's network namespace.
    pub fn reachable_from_pods(&self) -> bool {
        !self.disabled && (self.v1 || self.hop_limit.unwrap_or(1) > 1)
    }

    /// Whether a pod on the node's network (`hostNetwork`) reaches IMDS.
    pub fn reachable_from_host_network(&self) -> bool {
        !self.disabled
    }

    /// The options, in words.
    pub fn describe(&self) -> String {
        format!(
            "`HttpTokens` {}, `HttpPutResponseHopLimit` {}{}",
            if self.v1 {
                "`optional` (or unset)"
            } else {
                "`required`"
            },
            self.hop_limit
                .map_or_else(|| "unset (1)".to_owned(), |h| h.to_string()),
            if self.disabled {
                ", `HttpEndpoint` `disabled`"
            } else {
                ""
            }
        )
    }
}

/// What a node group's launch template allows; `None` when its version is not in the
/// snapshot. A node group without a launch template runs on EKS's default one (IMDSv1
/// allowed, hop limit 2). Running instances of the group whose own options expose more are
/// taken into account: the worst one counts.
pub fn node_group_exposure(inventory: &Inventory, ng: &Nodegroup) -> Option<ImdsExposure> {
    let mut exposure = match &ng.launch_template {
        None => ImdsExposure {
            v1: true,
            hop_limit: Some(2),
            disabled: false,
            origin: "EKS's default launch template (IMDSv1 allowed, hop limit 2)".to_owned(),
            template: None,
        },
        Some(spec) => {
            let version = inventory.launch_template_version(spec)?;
            let id = version
                .launch_template_id
                .as_deref()
                .or(version.launch_template_name.as_deref())
                .unwrap_or("launch template")
                .to_owned();
            let number = version
                .version_number
                .map_or_else(String::new, |n| format!(" version {n}"));
            let mut e = ImdsExposure::of(
                version.launch_template_data.metadata_options.as_ref(),
                format!("launch template `{id}`{number}"),
            );
            e.template = Some((id, version.version_number));
            e
        }
    };
    if !exposure.reachable_from_pods() {
        for instance in &inventory.instances {
            let of_group = instance
                .tags
                .iter()
                .any(|t| t.key == "eks:nodegroup-name" && t.value == ng.nodegroup_name);
            if !of_group {
                continue;
            }
            let actual = ImdsExposure::of(
                instance.metadata_options.as_ref(),
                format!("instance `{}`", instance.instance_id),
            );
            if instance.metadata_options.is_some() && actual.reachable_from_pods() {
                exposure = actual;
                break;
            }
        }
    }
    Some(exposure)
}

/// Whether Pod Security Admission forbids `hostNetwork` pods in a namespace (its
/// `pod-security.kubernetes.io/enforce` label is `baseline` or `restricted`).
pub fn host_network_forbidden(inventory: &Inventory, namespace: &str) -> bool {
    inventory.namespace(namespace).is_some_and(|ns| {
        matches!(
            ns.metadata
                .labels
                .get("pod-security.kubernetes.io/enforce")
                .map(|s| s.as_str()),
            Some("baseline" | "restricted")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(tokens: &str, hop: i64) -> MetadataOptions {
        MetadataOptions {
            http_tokens: Some(tokens.into()),
            http_put_response_hop_limit: Some(hop),
            http_endpoint: Some("enabled".into()),
        }
    }

    #[test]
    fn reachability() {
        let ok = ImdsExposure::of(Some(&options("required", 1)), String::new());
        assert!(!ok.reachable_from_pods());
        assert!(ok.reachable_from_host_network());
        assert!(
            ImdsExposure::of(Some(&options("required", 2)), String::new()).reachable_from_pods()
        );
        assert!(
            ImdsExposure::of(Some(&options("optional", 1)), String::new()).reachable_from_pods()
        );
        assert!(ImdsExposure::of(None, String::new()).reachable_from_pods());
        let off = MetadataOptions {
            http_endpoint: Some("disabled".into()),
            ..MetadataOptions::default()
        };
        let off = ImdsExposure::of(Some(&off), String::new());
        assert!(!off.reachable_from_pods() && !off.reachable_from_host_network());
    }
}
