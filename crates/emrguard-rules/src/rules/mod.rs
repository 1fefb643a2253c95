//! The rules, one file each, grouped by practice family.

pub mod credentials;
pub mod endpoint;
pub mod exec_role;
pub mod images;
pub mod isolation;
pub(crate) mod job_config;
pub mod node;
pub mod paths;
pub mod rbac;

use crate::registry::Rule;

/// Every rule. Add one line per new rule.
pub(crate) fn registry() -> Vec<&'static dyn Rule> {
    vec![
        &credentials::kube2iam_or_kiam_present::Kube2iamOrKiamPresent,
        &exec_role::job_template_parametric_execution_role::JobTemplateParametricExecutionRole,
        &node::host_network_pod_in_emr_namespace::HostNetworkPodInEmrNamespace,
        &rbac::tenant_can_modify_configmaps::TenantCanModifyConfigmaps,
        &rbac::tenant_can_exec_into_pods::TenantCanExecIntoPods,
        &rbac::tenant_can_create_pods::TenantCanCreatePods,
        &rbac::tenant_can_create_service_account_tokens::TenantCanCreateServiceAccountTokens,
        &rbac::tenant_can_write_admission_webhooks::TenantCanWriteAdmissionWebhooks,
        &rbac::tenant_can_read_secrets::TenantCanReadSecrets,
        &rbac::tenant_can_escalate_rbac::TenantCanEscalateRbac,
        &credentials::pod_identity_role_mismatch::PodIdentityRoleMismatch,
        &credentials::pod_identity_mixed_with_irsa::PodIdentityMixedWithIrsa,
        &credentials::static_aws_credentials::StaticAwsCredentials,
        &credentials::emr_service_account_role_annotation_mismatch::EmrServiceAccountRoleAnnotationMismatch,
        &endpoint::endpoint_without_private_subnet::EndpointWithoutPrivateSubnet,
        &endpoint::endpoint_internet_facing_load_balancer::EndpointInternetFacingLoadBalancer,
        &endpoint::endpoint_security_group_open_ingress::EndpointSecurityGroupOpenIngress,
        &endpoint::endpoint_default_or_missing_security_group::EndpointDefaultOrMissingSecurityGroup,
        &images::release_label_outdated::ReleaseLabelOutdated,
        &images::release_line_end_of_support::ReleaseLineEndOfSupport,
        &images::image_mutable_tag::ImageMutableTag,
        &isolation::virtual_clusters_share_namespace::VirtualClustersShareNamespace,
        &node::node_imds_reachable::NodeImdsReachable,
        &node::aws_node_without_irsa::AwsNodeWithoutIrsa,
        &exec_role::execution_role_admin::ExecutionRoleAdmin,
        &exec_role::execution_role_privilege_escalation::ExecutionRolePrivilegeEscalation,
        &exec_role::execution_role_data_access_all_resources::ExecutionRoleDataAccessAllResources,
        &exec_role::execution_role_trust_not_scoped::ExecutionRoleTrustNotScoped,
        &exec_role::job_submitter_not_pinned::JobSubmitterNotPinned,
        &exec_role::passrole_without_passed_to_service::PassroleWithoutPassedToService,
        &exec_role::execution_role_unused_permissions::ExecutionRoleUnusedPermissions,
        &isolation::mixed_privilege_execution_roles::MixedPrivilegeExecutionRoles,
        &isolation::execution_role_shared_across_tenants::ExecutionRoleSharedAcrossTenants,
        &node::node_role_beyond_worker_baseline::NodeRoleBeyondWorkerBaseline,
        &paths::tenant_path_to_privileged_role::TenantPathToPrivilegedRole,
    ]
}
