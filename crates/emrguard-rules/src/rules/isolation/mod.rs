//! Practice 5: isolation of untrusted application code.

pub mod virtual_clusters_share_namespace;
