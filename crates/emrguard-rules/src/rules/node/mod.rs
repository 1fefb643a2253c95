//! Practice 7: node instance-profile credentials.

pub mod host_network_pod_in_emr_namespace;
