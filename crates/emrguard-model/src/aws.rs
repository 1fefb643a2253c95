//! AWS objects as the aws CLI prints them: IAM, EKS, EMR on EKS, EC2, ELBv2, CloudTrail.
//! Field names follow each service's casing (PascalCase for IAM, EC2 and ELB; camelCase for
//! EKS and EMR). Fields that real AWS (or moto) sometimes omits are optional.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::policy::PolicyDocument;
use crate::serde_util::{null_default, null_default_vec};
use crate::source::Source;

// ---------------------------------------------------------------------------------------
// IAM (`aws iam get-account-authorization-details`)
// ---------------------------------------------------------------------------------------

/// A tag.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Tag {
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
}

/// An inline policy (`UserPolicyList[]`, `GroupPolicyList[]`, `RolePolicyList[]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InlinePolicy {
    /// Policy name.
    pub policy_name: String,
    /// The document.
    pub policy_document: PolicyDocument,
}

/// An attached managed policy reference.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AttachedPolicy {
    /// Policy name.
    pub policy_name: Option<String>,
    /// Policy ARN.
    pub policy_arn: String,
}

/// A permissions boundary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PermissionsBoundary {
    /// `PermissionsBoundaryType`.
    pub permissions_boundary_type: Option<String>,
    /// `PermissionsBoundaryArn`.
    pub permissions_boundary_arn: String,
}

/// `UserDetailList[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct IamUser {
    /// Path.
    pub path: Option<String>,
    /// User name.
    pub user_name: String,
    /// User id.
    pub user_id: Option<String>,
    /// ARN.
    pub arn: String,
    /// Inline policies.
    #[serde(deserialize_with = "null_default_vec")]
    pub user_policy_list: Vec<InlinePolicy>,
    /// Group names.
    #[serde(deserialize_with = "null_default_vec")]
    pub group_list: Vec<String>,
    /// Attached managed policies.
    #[serde(deserialize_with = "null_default_vec")]
    pub attached_managed_policies: Vec<AttachedPolicy>,
    /// Permissions boundary.
    pub permissions_boundary: Option<PermissionsBoundary>,
    /// Tags.
    #[serde(deserialize_with = "null_default_vec")]
    pub tags: Vec<Tag>,
    /// Where it was read from.
    #[serde(skip)]
    pub source: Source,
}

/// `GroupDetailList[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct IamGroup {
    /// Path.
    pub path: Option<String>,
    /// Group name.
    pub group_name: String,
    /// Group id.
    pub group_id: Option<String>,
    /// ARN.
    pub arn: String,
    /// Inline policies.
    #[serde(deserialize_with = "null_default_vec")]
    pub group_policy_list: Vec<InlinePolicy>,
    /// Attached managed policies.
    #[serde(deserialize_with = "null_default_vec")]
    pub attached_managed_policies: Vec<AttachedPolicy>,
    /// Where it was read from.
    #[serde(skip)]
    pub source: Source,
}

/// `InstanceProfileList[]` of a role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct InstanceProfileRef {
    /// Name.
    pub instance_profile_name: String,
    /// ARN.
    pub arn: String,
}

/// `RoleDetailList[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct IamRole {
    /// Path (`/`, `/aws-service-role/emr-containers.amazonaws.com/`, ...).
    pub path: Option<String>,
    /// Role name.
    pub role_name: String,
    /// Role id.
    pub role_id: Option<String>,
    /// ARN.
    pub arn: String,
    /// Trust policy.
    pub assume_role_policy_document: Option<PolicyDocument>,
    /// Instance profiles that carry this role.
    #[serde(deserialize_with = "null_default_vec")]
    pub instance_profile_list: Vec<InstanceProfileRef>,
    /// Inline policies.
    #[serde(deserialize_with = "null_default_vec")]
    pub role_policy_list: Vec<InlinePolicy>,
    /// Attached managed policies.
    #[serde(deserialize_with = "null_default_vec")]
    pub attached_managed_policies: Vec<AttachedPolicy>,
    /// Permissions boundary.
    pub permissions_boundary: Option<PermissionsBoundary>,
    /// Tags.
    #[serde(deserialize_with = "null_default_vec")]
    pub tags: Vec<Tag>,
    /// Where it was read from.
    #[serde(skip)]
    pub source: Source,
}

/// `PolicyVersionList[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyVersion {
    /// The document of this version.
    pub document: PolicyDocument,
    /// `v1`, `v2`, ...
    #[serde(default)]
    pub version_id: Option<String>,
    /// Whether this is the default version.
    #[serde(default)]
    pub is_default_version: bool,
}

/// `Policies[]`: a managed policy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ManagedPolicy {
    /// Name (moto omits it).
    pub policy_name: Option<String>,
    /// Id (moto omits it).
    pub policy_id: Option<String>,
    /// ARN.
    pub arn: String,
    /// Path.
    pub path: Option<String>,
    /// Default version id.
    pub default_version_id: Option<String>,
    /// Versions.
    #[serde(deserialize_with = "null_default_vec")]
    pub policy_version_list: Vec<PolicyVersion>,
    /// Where it was read from.
    #[serde(skip)]
    pub source: Source,
}

impl ManagedPolicy {
    /// The default version's document, if present.
    pub fn default_document(&self) -> Option<&PolicyDocument> {
        self.policy_version_list
            .iter()
            .find(|v| v.is_default_version)
            .or_else(|| {
                self.policy_version_list
                    .iter()
                    .find(|v| v.version_id.is_some() && v.version_id == self.default_version_id)
            })
            .or(self.policy_version_list.first())
            .map(|v| &v.document)
    }
}

// ---------------------------------------------------------------------------------------
// EKS
// ---------------------------------------------------------------------------------------

/// `cluster` of `aws eks describe-cluster`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EksCluster {
    /// Name.
    pub name: String,
    /// ARN.
    pub arn: String,
    /// Kubernetes version.
    pub version: Option<String>,
    /// Cluster IAM role.
    pub role_arn: Option<String>,
    /// VPC configuration.
    pub resources_vpc_config: VpcConfig,
    /// OIDC identity.
    pub identity: Option<ClusterIdentity>,
    /// Access configuration (authentication mode).
    pub access_config: Option<AccessConfig>,
    /// Tags.
    #[serde(deserialize_with = "null_default")]
    pub tags: BTreeMap<String, String>,
    /// Where it was read from.
    #[serde(skip)]
    pub source: Source,
}

impl EksCluster {
    /// The OIDC issuer URL, e.g. `https://oidc.eks.us-west-2.amazonaws.com/id/ABC`.
    pub fn oidc_issuer(&self) -> Option<&str> {
        self.identity
            .as_ref()
            .and_then(|i| i.oidc.as_ref())
            .and_then(|o| o.issuer.as_deref())
    }

    /// The issuer without `https://`, as IAM condition keys and provider ARNs use it.
    pub fn oidc_provider(&self) -> Option<&str> {
        self.oidc_issuer()
            .map(|i| i.strip_prefix("https://").unwrap_or(i))
    }

    /// The account id from the cluster ARN.
    pub fn account_id(&self) -> Option<&str> {
        self.arn.split(':').nth(4).filter(|a| !a.is_empty())
    }

    /// The partition from the cluster ARN (`aws` by default).
    pub fn partition(&self) -> &str {
        self.arn
            .split(':')
            .nth(1)
            .filter(|p| !p.is_empty())
            .unwrap_or("aws")
    }

    /// The region from the cluster ARN.
    pub fn region(&self) -> Option<&str> {
        self.arn.split(':').nth(3).filter(|a| !a.is_empty())
    }
}

/// `resourcesVpcConfig`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct VpcConfig {
    /// Subnets.
    #[serde(deserialize_with = "null_default_vec")]
    pub subnet_ids: Vec<String>,
    /// Additional security groups.
    #[serde(deserialize_with = "null_default_vec")]
    pub security_group_ids: Vec<String>,
    /// Cluster security group.
    pub cluster_security_group_id: Option<String>,
    /// VPC.
    pub vpc_id: Option<String>,
    /// Public API endpoint.
    pub endpoint_public_access: Option<bool>,
    /// Private API endpoint.
    pub endpoint_private_access: Option<bool>,
    /// CIDRs allowed to the public endpoint.
    #[serde(deserialize_with = "null_default_vec")]
    pub public_access_cidrs: Vec<String>,
}

/// `identity`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClusterIdentity {
    /// `oidc`.
    pub oidc: Option<OidcIdentity>,
}

/// `identity.oidc`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OidcIdentity {
    /// `issuer`.
    pub issuer: Option<String>,
}

/// `accessConfig`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AccessConfig {
    /// `API`, `API_AND_CONFIG_MAP` or `CONFIG_MAP`.
    pub authentication_mode: Option<String>,
    /// Whether the cluster creator got admin.
    pub bootstrap_cluster_creator_admin_permissions: Option<bool>,
}

/// `nodegroup` of `aws eks describe-nodegroup`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Nodegroup {
    /// Name.
    pub nodegroup_name: String,
    /// ARN.
    pub nodegroup_arn: Option<String>,
    /// Cluster name.
    pub cluster_name: Option<String>,
    /// Node IAM role.
    pub node_role: Option<String>,
    /// Subnets.
    #[serde(deserialize_with = "null_default_vec")]
    pub subnets: Vec<String>,
    /// Launch template.
    pub launch_template: Option<LaunchTemplateSpec>,
    /// Kubernetes labels.
    #[serde(deserialize_with = "null_default")]
    pub labels: BTreeMap<String, String>,
    /// Taints.
    #[serde(deserialize_with = "null_default_vec")]
    pub taints: Vec<Taint>,
    /// Where it was read from.
    #[serde(skip)]
    pub source: Source,
}

/// `launchTemplate` of a node group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LaunchTemplateSpec {
    /// Name.
    pub name: Option<String>,
    /// Version.
    pub version: Option<String>,
    /// Id.
    pub id: Option<String>,
}

/// A node-group taint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Taint {
    /// Key.
    pub key: String,
    /// Value.
    pub value: Option<String>,
    /// Effect.
    pub effect: Option<String>,
}

/// An EKS access entry, merged from `list-access-entries`, `describe-access-entry` and
/// `list-associated-access-policies`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AccessEntry {
    /// Cluster name.
    pub cluster_name: Option<String>,
    /// IAM principal ARN.
    pub principal_arn: String,
    /// Kubernetes groups.
    #[serde(deserialize_with = "null_default_vec")]
    pub kubernetes_groups: Vec<String>,
    /// Kubernetes username.
    pub username: Option<String>,
    /// `STANDARD`, `EC2_LINUX`, ...
    #[serde(rename = "type")]
    pub entry_type: Option<String>,
    /// Whether `describe-access-entry` was seen (otherwise only the ARN is known).
    #[serde(skip)]
    pub described: bool,
    /// Associated access policies.
    #[serde(skip_deserializing)]
    pub access_policies: Vec<AssociatedAccessPolicy>,
    /// Where it was read from.
    #[serde(skip)]
    pub source: Source,
}

/// `associatedAccessPolicies[]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AssociatedAccessPolicy {
    /// Policy ARN, e.g. `arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy`.
    pub policy_arn: String,
    /// Scope.
    pub access_scope: AccessScope,
}

/// `accessScope`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AccessScope {
    /// `cluster` or `namespace`.
    #[serde(rename = "type")]
    pub scope_type: String,
    /// Namespaces, for `namespace` scope.
    #[serde(deserialize_with = "null_default_vec")]
    pub namespaces: Vec<String>,
}

/// A Pod Identity association, merged from list and describe output.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodIdentityAssociation {
    /// Cluster name.
    pub cluster_name: Option<String>,
    /// Namespace.
    pub namespace: String,
    /// Service account.
    pub service_account: String,
    /// Role ARN (only in describe output).
    pub role_arn: Option<String>,
    /// Association ARN.
    pub association_arn: Option<String>,
    /// Association id.
    pub association_id: Option<String>,
    /// Target role for cross-account chaining.
    pub target_role_arn: Option<String>,
    /// Where it was read from.
    #[serde(skip)]
    pub source: Source,
}

// ---------------------------------------------------------------------------------------
// EMR on EKS (`aws emr-containers ...`)
// ---------------------------------------------------------------------------------------

/// A virtual cluster.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct VirtualCluster {
    /// Id.
    pub id: String,
    /// Name.
    pub name: Option<String>,
    /// ARN.
    pub arn: Option<String>,
    /// `RUNNING`, `TERMINATING`, `TERMINATED`, `ARRESTED`.
    pub state: Option<String>,
    /// Where it runs.
    pub container_provider: ContainerProvider,
    /// Security configuration id.
    pub security_configuration_id: Option<String>,
    /// Tags.
    #[serde(deserialize_with = "null_default")]
    pub tags: BTreeMap<String, String>,
    /// Where it was read from.
    #[serde(skip)]
    pub source: Source,
}

impl VirtualCluster {
    /// The EKS namespace.
    pub fn namespace(&self) -> Option<&str> {
        self.container_provider
            .info
            .as_ref()
            .and_then(|i| i.eks_info.as_ref())
            .and_then(|e| e.namespace.as_deref())
    }

    /// Whether the virtual cluster is live (not `TERMINATED`).
    pub fn is_active(&self) -> bool {
        !matches!(self.state.as_deref(), Some("TERMINATED"))
    }
}

/// `containerProvider`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContainerProvider {
    /// `EKS`.
    #[serde(rename = "type")]
    pub provider_type: Option<String>,
    /// EKS cluster name.
    pub id: Option<String>,
    /// `info`.
    pub info: Option<ContainerInfo>,
}

/// `containerProvider.info`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ContainerInfo {
    /// `eksInfo`.
    pub eks_info: Option<EksInfo>,
}

/// `eksInfo`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EksInfo {
    /// Namespace.
    pub namespace: Option<String>,
    /// Node label.
    pub node_label: Option<String>,
}

/// One `applicationConfiguration[]` entry (recursive).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApplicationConfiguration {
    /// Classification, e.g. `spark-defaults`.
    pub classification: String,
    /// Properties.
    #[serde(deserialize_with = "null_default")]
    pub properties: BTreeMap<String, String>,
    /// Nested configurations.
    #[serde(deserialize_with = "null_default_vec")]
    pub configurations: Vec<ApplicationConfiguration>,
}

/// `configurationOverrides`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConfigurationOverrides {
    /// `applicationConfiguration`.
    #[serde(deserialize_with = "null_default_vec")]
    pub application_configuration: Vec<ApplicationConfiguration>,
    /// `monitoringConfiguration`.
    pub monitoring_configuration: Option<MonitoringConfiguration>,
}

impl ConfigurationOverrides {
    /// Every `(classification, key, value)` property, nested ones included, in order.
    pub fn properties(&self) -> Vec<(&str, &str, &str)> {
        fn walk<'a>(
            cfgs: &'a [ApplicationConfiguration],
            out: &mut Vec<(&'a str, &'a str, &'a str)>,
        ) {
            for c in cfgs {
                for (k, v) in &c.properties {
                    out.push((c.classification.as_str(), k.as_str(), v.as_str()));
                }
                walk(&c.configurations, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.application_configuration, &mut out);
        out
    }
}

/// `monitoringConfiguration`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MonitoringConfiguration {
    /// S3 log destination.
    pub s3_monitoring_configuration: Option<S3MonitoringConfiguration>,
    /// CloudWatch log destination.
    pub cloud_watch_monitoring_configuration: Option<CloudWatchMonitoringConfiguration>,
}

/// `s3MonitoringConfiguration`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct S3MonitoringConfiguration {
    /// `logUri`.
    pub log_uri: Option<String>,
}

/// `cloudWatchMonitoringConfiguration`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CloudWatchMonitoringConfiguration {
    /// `logGroupName`.
    pub log_group_name: Option<String>,
    /// `logStreamNamePrefix`.
    pub log_stream_name_prefix: Option<String>,
}

/// `jobDriver`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct JobDriver {
    /// `sparkSubmitJobDriver`.
    pub spark_submit_job_driver: Option<SparkSubmitJobDriver>,
    /// `sparkSqlJobDriver`.
    pub spark_sql_job_driver: Option<SparkSqlJobDriver>,
}

/// `sparkSubmitJobDriver`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SparkSubmitJobDriver {
    /// `entryPoint`.
    pub entry_point: Option<String>,
    /// `entryPointArguments`.
    #[serde(deserialize_with = "null_default_vec")]
    pub entry_point_arguments: Vec<String>,
    /// `sparkSubmitParameters`.
    pub spark_submit_parameters: Option<String>,
}

/// `sparkSqlJobDriver`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SparkSqlJobDriver {
    /// `entryPoint`.
    pub entry_point: Option<String>,
    /// `sparkSqlParameters`.
    pub spark_sql_parameters: Option<String>,
}

/// A job run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct JobRun {
    /// Id.
    pub id: String,
    /// Name.
    pub name: Option<String>,
    /// Virtual cluster id.
    pub virtual_cluster_id: String,
    /// ARN.
    pub arn: Option<String>,
    /// State.
    pub state: Option<String>,
    /// Execution role.
    pub execution_role_arn: Option<String>,
    /// Release label.
    pub release_label: Option<String>,
    /// Configuration overrides.
    pub configuration_overrides: Option<ConfigurationOverrides>,
    /// Job driver.
    pub job_driver: Option<JobDriver>,
    /// Creation time (ISO 8601 as printed by the CLI).
    pub created_at: Option<String>,
    /// Who submitted it.
    pub created_by: Option<String>,
    /// Where it was read from.
    #[serde(skip)]
    pub source: Source,
}

/// A managed endpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ManagedEndpoint {
    /// Id.
    pub id: String,
    /// Name.
    pub name: Option<String>,
    /// ARN.
    pub arn: Option<String>,
    /// Virtual cluster id.
    pub virtual_cluster_id: String,
    /// Type (`JUPYTER_ENTERPRISE_GATEWAY`).
    #[serde(rename = "type")]
    pub endpoint_type: Option<String>,
    /// State.
    pub state: Option<String>,
    /// Release label.
    pub release_label: Option<String>,
    /// Execution role.
    pub execution_role_arn: Option<String>,
    /// Configuration overrides.
    pub configuration_overrides: Option<ConfigurationOverrides>,
    /// Server URL.
    pub server_url: Option<String>,
    /// Security group of the endpoint's load balancer.
    pub security_group: Option<String>,
    /// Subnets.
    #[serde(deserialize_with = "null_default_vec")]
    pub subnet_ids: Vec<String>,
    /// Where it was read from.
    #[serde(skip)]
    pub source: Source,
}

/// `jobTemplateData`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct JobTemplateData {
    /// Execution role (may be a `${parameter}`).
    pub execution_role_arn: Option<String>,
    /// Release label (may be a `${parameter}`).
    pub release_label: Option<String>,
    /// Configuration overrides.
    pub configuration_overrides: Option<ConfigurationOverrides>,
    /// Job driver.
    pub job_driver: Option<JobDriver>,
    /// Parameter definitions.
    #[serde(deserialize_with = "null_default")]
    pub parameter_configuration: BTreeMap<String, TemplateParameter>,
}

/// One template parameter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TemplateParameter {
    /// `STRING` or `NUMBER`.
    #[serde(rename = "type")]
    pub parameter_type: Option<String>,
    /// Default value.
    pub default_value: Option<String>,
}

/// A job template.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct JobTemplate {
    /// Id.
    pub id: String,
    /// Name.
    pub name: Option<String>,
    /// ARN.
    pub arn: Option<String>,
    /// Template data (only in describe output).
    pub job_template_data: Option<JobTemplateData>,
    /// Where it was read from.
    #[serde(skip)]
    pub source: Source,
}

// ---------------------------------------------------------------------------------------
// EC2 and ELBv2
// ---------------------------------------------------------------------------------------

/// `Subnets[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Subnet {
    /// Id.
    pub subnet_id: String,
    /// VPC.
    pub vpc_id: Option<String>,
    /// CIDR.
    pub cidr_block: Option<String>,
    /// AZ.
    pub availability_zone: Option<String>,
    /// Whether instances get public IPs.
    pub map_public_ip_on_launch: Option<bool>,
    /// Tags.
    #[serde(deserialize_with = "null_default_vec")]
    pub tags: Vec<Tag>,
    /// Where it was read from.
    #[serde(skip)]
    pub source: Source,
}

/// `RouteTables[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RouteTable {
    /// Id.
    pub route_table_id: String,
    /// VPC.
    pub vpc_id: Option<String>,
    /// Associations.
    #[serde(deserialize_with = "null_default_vec")]
    pub associations: Vec<RouteTableAssociation>,
    /// Routes.
    #[serde(deserialize_with = "null_default_vec")]
    pub routes: Vec<Route>,
    /// Where it was read from.
    #[serde(skip)]
    pub source: Source,
}

/// `Associations[]` of a route table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RouteTableAssociation {
    /// Whether this is the VPC's main route table.
    pub main: Option<bool>,
    /// Subnet.
    pub subnet_id: Option<String>,
}

/// `Routes[]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Route {
    /// IPv4 destination.
    pub destination_cidr_block: Option<String>,
    /// IPv6 destination.
    pub destination_ipv6_cidr_block: Option<String>,
    /// Gateway (`igw-...` means an internet gateway, `local` the VPC).
    pub gateway_id: Option<String>,
    /// NAT gateway.
    pub nat_gateway_id: Option<String>,
}

/// `SecurityGroups[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SecurityGroup {
    /// Id.
    pub group_id: String,
    /// Name (`default` for the VPC default group).
    pub group_name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// VPC.
    pub vpc_id: Option<String>,
    /// Ingress rules.
    #[serde(deserialize_with = "null_default_vec")]
    pub ip_permissions: Vec<IpPermission>,
    /// Egress rules.
    #[serde(deserialize_with = "null_default_vec")]
    pub ip_permissions_egress: Vec<IpPermission>,
    /// Tags.
    #[serde(deserialize_with = "null_default_vec")]
    pub tags: Vec<Tag>,
    /// Where it was read from.
    #[serde(skip)]
    pub source: Source,
}

/// One ingress or egress rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct IpPermission {
    /// `tcp`, `udp`, `icmp` or `-1`.
    pub ip_protocol: Option<String>,
    /// From port.
    pub from_port: Option<i64>,
    /// To port.
    pub to_port: Option<i64>,
    /// IPv4 ranges.
    #[serde(deserialize_with = "null_default_vec")]
    pub ip_ranges: Vec<IpRange>,
    /// IPv6 ranges.
    #[serde(deserialize_with = "null_default")]
    pub ipv6_ranges: Vec<Ipv6Range>,
    /// Source security groups.
    #[serde(deserialize_with = "null_default_vec")]
    pub user_id_group_pairs: Vec<UserIdGroupPair>,
}

/// `IpRanges[]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct IpRange {
    /// CIDR.
    pub cidr_ip: String,
    /// Description.
    pub description: Option<String>,
}

/// `Ipv6Ranges[]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Ipv6Range {
    /// CIDR.
    pub cidr_ipv6: String,
    /// Description.
    pub description: Option<String>,
}

/// `UserIdGroupPairs[]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct UserIdGroupPair {
    /// Group id.
    pub group_id: Option<String>,
}

/// `MetadataOptions` of a launch template or instance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct MetadataOptions {
    /// `optional` (IMDSv1 allowed) or `required` (IMDSv2 only).
    pub http_tokens: Option<String>,
    /// PUT response hop limit.
    pub http_put_response_hop_limit: Option<i64>,
    /// `enabled` or `disabled`.
    pub http_endpoint: Option<String>,
}

/// `LaunchTemplateVersions[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct LaunchTemplateVersion {
    /// Id.
    pub launch_template_id: Option<String>,
    /// Name.
    pub launch_template_name: Option<String>,
    /// Version number.
    pub version_number: Option<i64>,
    /// Whether it is the default version.
    pub default_version: Option<bool>,
    /// Data.
    pub launch_template_data: LaunchTemplateData,
    /// Where it was read from.
    #[serde(skip)]
    pub source: Source,
}

/// `LaunchTemplateData`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct LaunchTemplateData {
    /// IMDS options; absent means EC2 defaults (IMDSv1 allowed).
    pub metadata_options: Option<MetadataOptions>,
    /// Instance profile.
    pub iam_instance_profile: Option<IamInstanceProfileSpec>,
    /// AMI.
    pub image_id: Option<String>,
}

/// `IamInstanceProfile`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct IamInstanceProfileSpec {
    /// ARN.
    pub arn: Option<String>,
    /// Name.
    pub name: Option<String>,
}

/// `Reservations[].Instances[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Instance {
    /// Id.
    pub instance_id: String,
    /// IMDS options.
    pub metadata_options: Option<MetadataOptions>,
    /// Instance profile.
    pub iam_instance_profile: Option<IamInstanceProfileSpec>,
    /// Subnet.
    pub subnet_id: Option<String>,
    /// Private DNS name (the node name on EKS).
    pub private_dns_name: Option<String>,
    /// Tags.
    #[serde(deserialize_with = "null_default_vec")]
    pub tags: Vec<Tag>,
    /// Where it was read from.
    #[serde(skip)]
    pub source: Source,
}

/// `LoadBalancers[]` of `aws elbv2 describe-load-balancers`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct LoadBalancer {
    /// ARN.
    pub load_balancer_arn: String,
    /// DNS name.
    #[serde(rename = "DNSName")]
    pub dns_name: Option<String>,
    /// Name.
    pub load_balancer_name: Option<String>,
    /// `internet-facing` or `internal`.
    pub scheme: Option<String>,
    /// VPC.
    pub vpc_id: Option<String>,
    /// `application`, `network`, `gateway`.
    #[serde(rename = "Type")]
    pub lb_type: Option<String>,
    /// Security groups.
    #[serde(deserialize_with = "null_default_vec")]
    pub security_groups: Vec<String>,
    /// Zones and subnets.
    #[serde(deserialize_with = "null_default_vec")]
    pub availability_zones: Vec<AvailabilityZone>,
    /// Tags (from `describe-tags`, merged by the loader).
    #[serde(skip_deserializing)]
    pub tags: Vec<Tag>,
    /// Where it was read from.
    #[serde(skip)]
    pub source: Source,
}

/// `AvailabilityZones[]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AvailabilityZone {
    /// Zone.
    pub zone_name: Option<String>,
    /// Subnet.
    pub subnet_id: Option<String>,
}

// ---------------------------------------------------------------------------------------
// CloudTrail
// ---------------------------------------------------------------------------------------

/// One CloudTrail event, normalised from `lookup-events` or a log file's `Records[]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudTrailEvent {
    /// `eventSource`, e.g. `s3.amazonaws.com`.
    pub event_source: String,
    /// `eventName`, e.g. `GetObject`.
    pub event_name: String,
    /// `eventTime`.
    pub event_time: Option<String>,
    /// The acting principal: the role ARN for an assumed-role session (its session issuer),
    /// otherwise `userIdentity.arn`.
    pub principal_arn: Option<String>,
    /// Resource ARNs named by the event.
    pub resources: Vec<String>,
    /// `errorCode`, when the call failed.
    pub error_code: Option<String>,
    /// Where it was read from.
    #[serde(skip)]
    pub source: Source,
}

impl CloudTrailEvent {
    /// The IAM action this event stands for, e.g. `s3:GetObject`.
    pub fn action(&self) -> String {
        let service = self
            .event_source
            .split('.')
            .next()
            .unwrap_or(self.event_source.as_str());
        format!("{service}:{}", self.event_name)
    }
}
