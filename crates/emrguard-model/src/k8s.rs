//! Kubernetes objects, reduced to the fields emrguard reads. They deserialize from exactly what
//! `kubectl get -o json|yaml` prints; unknown fields are ignored.
//!
//! Secrets have no `data` or `stringData` field on purpose: the values are never held.

use serde::{Deserialize, Serialize};

use crate::serde_util::{null_default, null_default_vec};
use crate::source::Source;

pub use crate::string_map::StringMap;

/// A string as the model keeps it: short ones (most names, labels, verbs) without a heap
/// allocation.
pub type Text = compact_str::CompactString;

/// `metadata` of any object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ObjectMeta {
    /// `metadata.name`.
    pub name: Text,
    /// `metadata.namespace`; `None` for cluster-scoped objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<Text>,
    /// `metadata.labels`.
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "StringMap::is_empty"
    )]
    pub labels: StringMap,
    /// `metadata.annotations`.
    #[serde(
        deserialize_with = "null_default",
        skip_serializing_if = "StringMap::is_empty"
    )]
    pub annotations: StringMap,
    /// `metadata.uid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<Text>,
    /// `metadata.ownerReferences`.
    #[serde(
        deserialize_with = "null_default_vec",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub owner_references: Vec<OwnerReference>,
}

/// One entry of `metadata.ownerReferences`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OwnerReference {
    /// Owner's `apiVersion`.
    pub api_version: Text,
    /// Owner's kind.
    pub kind: Text,
    /// Owner's name.
    pub name: Text,
    /// Whether the owner is the managing controller.
    pub controller: Option<bool>,
}

/// A reference to a Kubernetes object, for evidence and findings.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObjectRef {
    /// Kind, for example `RoleBinding`.
    pub kind: String,
    /// Namespace, for namespaced objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
}

impl ObjectRef {
    /// A reference to `kind` `namespace/name`.
    pub fn new(kind: &str, namespace: Option<&str>, name: &str) -> Self {
        Self {
            kind: kind.to_owned(),
            namespace: namespace.map(str::to_owned),
            name: name.to_owned(),
        }
    }
}

impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind, ns, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// A `Namespace`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Namespace {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Where it was read from.
    #[serde(skip)]
    pub source: Source,
}

/// A `ServiceAccount`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ServiceAccount {
    /// Metadata (annotations carry `eks.amazonaws.com/role-arn`).
    pub metadata: ObjectMeta,
    /// `automountServiceAccountToken`.
    pub automount_service_account_token: Option<bool>,
    /// Names of legacy token secrets (`secrets[].name`).
    #[serde(deserialize_with = "null_default_vec")]
    pub secrets: Vec<LocalObjectReference>,
    /// Where it was read from.
    #[serde(skip)]
    pub source: Source,
}

/// `{name: ...}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LocalObjectReference {
    /// Name.
    pub name: Text,
}

/// One RBAC `PolicyRule`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PolicyRule {
    /// `verbs`.
    #[serde(deserialize_with = "null_default_vec")]
    pub verbs: Vec<Text>,
    /// `apiGroups`.
    #[serde(
        deserialize_with = "null_default_vec",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub api_groups: Vec<Text>,
    /// `resources`.
    #[serde(
        deserialize_with = "null_default_vec",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub resources: Vec<Text>,
    /// `resourceNames`.
    #[serde(
        deserialize_with = "null_default_vec",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub resource_names: Vec<Text>,
    /// `nonResourceURLs`.
    #[serde(
        rename = "nonResourceURLs",
        deserialize_with = "null_default_vec",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub non_resource_urls: Vec<Text>,
}

/// A label selector (`matchLabels` and `matchExpressions`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LabelSelector {
    /// `matchLabels`.
    #[serde(deserialize_with = "null_default")]
    pub match_labels: StringMap,
    /// `matchExpressions`.
    #[serde(deserialize_with = "null_default_vec")]
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

/// One `matchExpressions` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LabelSelectorRequirement {
    /// Label key.
    pub key: Text,
    /// `In`, `NotIn`, `Exists` or `DoesNotExist`.
    pub operator: Text,
    /// Values for `In` and `NotIn`.
    #[serde(deserialize_with = "null_default_vec")]
    pub values: Vec<Text>,
}

impl LabelSelector {
    /// Whether `labels` satisfy this selector, with Kubernetes semantics (an empty selector
    /// matches everything; an unknown operator matches nothing).
    pub fn matches(&self, labels: &StringMap) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|e| {
                let value = labels.get(&e.key);
                match e.operator.as_str() {
                    "In" => value.is_some_and(|v| e.values.contains(v)),
                    "NotIn" => value.is_none_or(|v| !e.values.contains(v)),
                    "Exists" => value.is_some(),
                    "DoesNotExist" => value.is_none(),
                    _ => false,
                }
            })
    }
}

/// `aggregationRule` of a ClusterRole.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AggregationRule {
    /// `clusterRoleSelectors`.
    #[serde(deserialize_with = "null_default_vec")]
    pub cluster_role_selectors: Vec<LabelSelector>,
}

/// A `Role` or `ClusterRole` (`metadata.namespace` tells which).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Role {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// `rules`.
    #[serde(deserialize_with = "null_default_vec")]
    pub rules: Vec<PolicyRule>,
    /// `aggregationRule` (ClusterRole only).
    pub aggregation_rule: Option<AggregationRule>,
    /// Where it was read from.
    #[serde(skip)]
    pub source: Source,
}

/// `roleRef` of a binding.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RoleRef {
    /// `apiGroup`.
    pub api_group: Text,
    /// `Role` or `ClusterRole`.
    pub kind: Text,
    /// Name of the role.
    pub name: Text,
}

/// A binding subject.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Subject {
    /// `User`, `Group` or `ServiceAccount`.
    pub kind: Text,
    /// `apiGroup`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_group: Option<Text>,
    /// Name.
    pub name: Text,
    /// Namespace (ServiceAccount subjects).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<Text>,
}

/// A `RoleBinding` or `ClusterRoleBinding` (`metadata.namespace` tells which).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RoleBinding {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// `roleRef`.
    pub role_ref: RoleRef,
    /// `subjects`.
    #[serde(deserialize_with = "null_default_vec")]
    pub subjects: Vec<Subject>,
    /// Where it was read from.
    #[serde(skip)]
    pub source: Source,
}

/// A `ConfigMap`. `binaryData` is not kept.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConfigMap {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// `data`.
    #[serde(deserialize_with = "null_default")]
    pub data: StringMap,
    /// Where it was read from.
    #[serde(skip)]
    pub source: Source,
}

/// A `Secret`, metadata only: `data` and `stringData` are dropped while reading.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Secret {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// `type`, for example `kubernetes.io/service-account-token`.
    #[serde(rename = "type")]
    pub secret_type: Option<Text>,
    /// The key names present in `data`/`stringData` (never the values).
    #[serde(skip_deserializing)]
    pub keys: Vec<String>,
    /// Where it was read from.
    #[serde(skip)]
    pub source: Source,
}

/// An environment variable of a container.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EnvVar {
    /// Name.
    pub name: Text,
    /// Literal value, if any.
    pub value: Option<Text>,
    /// `valueFrom`, if any.
    pub value_from: Option<EnvVarSource>,
}

/// `valueFrom` of an env var.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EnvVarSource {
    /// `secretKeyRef`.
    pub secret_key_ref: Option<KeySelector>,
    /// `configMapKeyRef`.
    pub config_map_key_ref: Option<KeySelector>,
}

/// `{name, key}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct KeySelector {
    /// Object name.
    pub name: Text,
    /// Key.
    pub key: Text,
}

/// `envFrom` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EnvFromSource {
    /// `configMapRef`.
    pub config_map_ref: Option<LocalObjectReference>,
    /// `secretRef`.
    pub secret_ref: Option<LocalObjectReference>,
}

/// A container (or init container).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Container {
    /// Name.
    pub name: Text,
    /// Image reference.
    pub image: Option<Text>,
    /// `command`.
    #[serde(deserialize_with = "null_default_vec")]
    pub command: Vec<Text>,
    /// `args`.
    #[serde(deserialize_with = "null_default_vec")]
    pub args: Vec<Text>,
    /// `env`.
    #[serde(deserialize_with = "null_default_vec")]
    pub env: Vec<EnvVar>,
    /// `envFrom`.
    #[serde(deserialize_with = "null_default_vec")]
    pub env_from: Vec<EnvFromSource>,
    /// `securityContext.privileged`, flattened.
    pub security_context: Option<SecurityContext>,
}

/// The parts of a container `securityContext` that matter here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SecurityContext {
    /// `privileged`.
    pub privileged: Option<bool>,
    /// `allowPrivilegeEscalation`.
    pub allow_privilege_escalation: Option<bool>,
    /// `runAsNonRoot`.
    pub run_as_non_root: Option<bool>,
}

/// A pod volume (only the sources that matter here).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Volume {
    /// Name.
    pub name: Text,
    /// `secret.secretName`.
    pub secret: Option<SecretVolumeSource>,
    /// `hostPath.path`.
    pub host_path: Option<HostPathVolumeSource>,
}

/// `secret` volume source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SecretVolumeSource {
    /// Secret name.
    pub secret_name: Option<Text>,
}

/// `hostPath` volume source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HostPathVolumeSource {
    /// Path on the node.
    pub path: Text,
}

/// A pod spec (the parts that matter here).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodSpec {
    /// `serviceAccountName`.
    pub service_account_name: Option<Text>,
    /// The deprecated `serviceAccount` alias.
    pub service_account: Option<Text>,
    /// `automountServiceAccountToken`.
    pub automount_service_account_token: Option<bool>,
    /// `hostNetwork`.
    pub host_network: Option<bool>,
    /// `hostPID`.
    #[serde(rename = "hostPID")]
    pub host_pid: Option<bool>,
    /// `nodeName`.
    pub node_name: Option<Text>,
    /// `nodeSelector`.
    #[serde(deserialize_with = "null_default")]
    pub node_selector: StringMap,
    /// `containers`.
    #[serde(deserialize_with = "null_default_vec")]
    pub containers: Vec<Container>,
    /// `initContainers`.
    #[serde(deserialize_with = "null_default_vec")]
    pub init_containers: Vec<Container>,
    /// `volumes`.
    #[serde(deserialize_with = "null_default_vec")]
    pub volumes: Vec<Volume>,
}

impl PodSpec {
    /// The service account the pod runs as (`default` when unset, as Kubernetes does).
    pub fn service_account(&self) -> &str {
        self.service_account_name
            .as_deref()
            .or(self.service_account.as_deref())
            .filter(|s| !s.is_empty())
            .unwrap_or("default")
    }

    /// Whether the pod shares the node's network namespace.
    pub fn uses_host_network(&self) -> bool {
        self.host_network == Some(true)
    }

    /// All containers, init containers included.
    pub fn all_containers(&self) -> impl Iterator<Item = &Container> {
        self.init_containers.iter().chain(self.containers.iter())
    }
}

/// A pod template (`metadata` + `spec`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PodTemplateSpec {
    /// Template metadata.
    pub metadata: ObjectMeta,
    /// Template spec.
    pub spec: PodSpec,
}

/// `status` of a pod (the parts that matter here).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodStatus {
    /// `phase`.
    pub phase: Option<Text>,
}

/// A `Pod`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Pod {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: PodSpec,
    /// Status.
    pub status: PodStatus,
    /// Where it was read from.
    #[serde(skip)]
    pub source: Source,
}

/// The kinds of pod-creating workloads.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub enum WorkloadKind {
    /// apps/v1 Deployment.
    #[default]
    Deployment,
    /// apps/v1 StatefulSet.
    StatefulSet,
    /// apps/v1 DaemonSet.
    DaemonSet,
    /// apps/v1 ReplicaSet.
    ReplicaSet,
    /// batch/v1 Job.
    Job,
    /// batch/v1 CronJob.
    CronJob,
    /// v1 ReplicationController.
    ReplicationController,
}

impl WorkloadKind {
    /// The Kubernetes kind name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deployment => "Deployment",
            Self::StatefulSet => "StatefulSet",
            Self::DaemonSet => "DaemonSet",
            Self::ReplicaSet => "ReplicaSet",
            Self::Job => "Job",
            Self::CronJob => "CronJob",
            Self::ReplicationController => "ReplicationController",
        }
    }

    /// Parses a kind name.
    pub fn from_kind(kind: &str) -> Option<Self> {
        Some(match kind {
            "Deployment" => Self::Deployment,
            "StatefulSet" => Self::StatefulSet,
            "DaemonSet" => Self::DaemonSet,
            "ReplicaSet" => Self::ReplicaSet,
            "Job" => Self::Job,
            "CronJob" => Self::CronJob,
            "ReplicationController" => Self::ReplicationController,
            _ => return None,
        })
    }
}

/// A pod-creating workload with its pod template (for a CronJob,
/// `spec.jobTemplate.spec.template`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    /// Which kind.
    pub kind: WorkloadKind,
    /// Metadata.
    pub metadata: ObjectMeta,
    /// The pod template.
    pub template: PodTemplateSpec,
    /// Where it was read from.
    #[serde(skip)]
    pub source: Source,
}

/// One `rules[]` entry of an admission webhook.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WebhookRule {
    /// `operations` (`CREATE`, `UPDATE`, `DELETE`, `CONNECT`, `*`).
    #[serde(deserialize_with = "null_default_vec")]
    pub operations: Vec<Text>,
    /// `apiGroups`.
    #[serde(deserialize_with = "null_default_vec")]
    pub api_groups: Vec<Text>,
    /// `apiVersions`.
    #[serde(deserialize_with = "null_default_vec")]
    pub api_versions: Vec<Text>,
    /// `resources`.
    #[serde(deserialize_with = "null_default_vec")]
    pub resources: Vec<Text>,
    /// `scope` (`Cluster`, `Namespaced`, `*`).
    pub scope: Option<Text>,
}

/// One webhook of a webhook configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Webhook {
    /// Name.
    pub name: Text,
    /// `rules`.
    #[serde(deserialize_with = "null_default_vec")]
    pub rules: Vec<WebhookRule>,
    /// `namespaceSelector`.
    pub namespace_selector: Option<LabelSelector>,
    /// `objectSelector`.
    pub object_selector: Option<LabelSelector>,
    /// `failurePolicy`.
    pub failure_policy: Option<Text>,
}

/// Which kind of admission webhook configuration.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub enum WebhookKind {
    /// MutatingWebhookConfiguration.
    #[default]
    Mutating,
    /// ValidatingWebhookConfiguration.
    Validating,
}

/// A Mutating- or ValidatingWebhookConfiguration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WebhookConfiguration {
    /// Which kind.
    #[serde(skip)]
    pub kind: WebhookKind,
    /// Metadata.
    pub metadata: ObjectMeta,
    /// `webhooks`.
    #[serde(deserialize_with = "null_default_vec")]
    pub webhooks: Vec<Webhook>,
    /// Where it was read from.
    #[serde(skip)]
    pub source: Source,
}

/// A `Service`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Service {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: ServiceSpec,
    /// Where it was read from.
    #[serde(skip)]
    pub source: Source,
}

/// `spec` of a Service.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ServiceSpec {
    /// `type` (`ClusterIP`, `NodePort`, `LoadBalancer`, `ExternalName`).
    #[serde(rename = "type")]
    pub service_type: Option<Text>,
    /// `selector`.
    #[serde(deserialize_with = "null_default")]
    pub selector: StringMap,
    /// `loadBalancerSourceRanges`.
    #[serde(deserialize_with = "null_default_vec")]
    pub load_balancer_source_ranges: Vec<Text>,
}

/// A `NetworkPolicy` (egress `ipBlock`s are what matters here: IMDS blocking).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NetworkPolicy {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: NetworkPolicySpec,
    /// Where it was read from.
    #[serde(skip)]
    pub source: Source,
}

/// `spec` of a NetworkPolicy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NetworkPolicySpec {
    /// `podSelector`.
    pub pod_selector: LabelSelector,
    /// `policyTypes`.
    #[serde(deserialize_with = "null_default_vec")]
    pub policy_types: Vec<Text>,
    /// `egress`.
    #[serde(deserialize_with = "null_default_vec")]
    pub egress: Vec<NetworkPolicyEgressRule>,
}

/// One egress rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NetworkPolicyEgressRule {
    /// `to`.
    #[serde(deserialize_with = "null_default_vec")]
    pub to: Vec<NetworkPolicyPeer>,
}

/// One peer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NetworkPolicyPeer {
    /// `ipBlock`.
    pub ip_block: Option<IpBlock>,
    /// `namespaceSelector`.
    pub namespace_selector: Option<LabelSelector>,
    /// `podSelector`.
    pub pod_selector: Option<LabelSelector>,
}

/// `ipBlock`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IpBlock {
    /// `cidr`.
    pub cidr: Text,
    /// `except`.
    #[serde(deserialize_with = "null_default_vec")]
    pub except: Vec<Text>,
}

/// A `Node`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Node {
    /// Metadata (labels carry `eks.amazonaws.com/nodegroup`).
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: NodeSpec,
    /// Where it was read from.
    #[serde(skip)]
    pub source: Source,
}

/// `spec` of a Node.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeSpec {
    /// `providerID` (`aws:///us-west-2a/i-...`).
    #[serde(rename = "providerID")]
    pub provider_id: Option<Text>,
}
