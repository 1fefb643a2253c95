//! Practice 7: node instance-profile credentials.

pub mod aws_node_without_irsa;
pub mod host_network_pod_in_emr_namespace;
pub mod node_imds_reachable;
pub mod node_role_beyond_worker_baseline;
