//! Practice 5: isolation of untrusted application code.

pub mod execution_role_shared_across_tenants;
pub mod mixed_privilege_execution_roles;
pub mod virtual_clusters_share_namespace;
