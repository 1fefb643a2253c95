//! The rules, one file each, grouped by practice family.

pub mod credentials;
pub mod exec_role;
pub mod node;

use crate::registry::Rule;

/// Every rule. Add one line per new rule.
pub(crate) fn registry() -> Vec<&'static dyn Rule> {
    vec![
        &credentials::kube2iam_or_kiam_present::Kube2iamOrKiamPresent,
        &exec_role::job_template_parametric_execution_role::JobTemplateParametricExecutionRole,
        &node::host_network_pod_in_emr_namespace::HostNetworkPodInEmrNamespace,
    ]
}
