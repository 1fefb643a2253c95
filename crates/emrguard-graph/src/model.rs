//! Nodes, edges and the evidence every edge carries.

use std::fmt;
use std::sync::Arc;

use emrguard_iam::{PrivilegeKind, Tier};
use emrguard_model::Source;
use serde::Serialize;

/// What a node stands for, and its identity.
///
/// Kubernetes subjects are named as in `emrguard.toml` (`User:NAME`, `Group:NAME`,
/// `ServiceAccount:NS/NAME`), IAM principals and roles by ARN, privilege classes by name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeKey {
    /// An IAM user (or another non-role IAM principal, such as an account root).
    IamUser(String),
    /// An IAM role, by its ARN as the IAM data writes it (with its path).
    IamRole(String),
    /// A Kubernetes user name.
    User(String),
    /// A Kubernetes group.
    Group(String),
    /// A service account; it need not exist yet (a pod may name any service account).
    ServiceAccount {
        /// Namespace.
        namespace: String,
        /// Name.
        name: String,
    },
    /// "Code running as any service account of this namespace": what creating pods there
    /// gives. [`EVERY_NAMESPACE`] stands for every namespace.
    Namespace(String),
    /// An EKS managed node group (its pods reach the node role through IMDS).
    Nodegroup(String),
    /// A privilege class of the IAM engine.
    PrivilegeClass(PrivilegeKind),
}

/// The [`NodeKey::Namespace`] name that stands for every namespace.
pub const EVERY_NAMESPACE: &str = "*";

/// The kind of a node, as JSON and text name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum NodeKind {
    /// An IAM user.
    #[serde(rename = "IAMUser")]
    IamUser,
    /// An IAM role.
    #[serde(rename = "IAMRole")]
    IamRole,
    /// A Kubernetes user.
    User,
    /// A Kubernetes group.
    Group,
    /// A Kubernetes service account.
    ServiceAccount,
    /// Any service account of a namespace (or of every namespace).
    Namespace,
    /// An EKS managed node group.
    Nodegroup,
    /// A privilege class.
    PrivilegeClass,
}

impl NodeKind {
    /// The name used in output: `IAMUser`, `IAMRole`, `User`, `Group`, `ServiceAccount`,
    /// `Namespace`, `Nodegroup` or `PrivilegeClass`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IamUser => "IAMUser",
            Self::IamRole => "IAMRole",
            Self::User => "User",
            Self::Group => "Group",
            Self::ServiceAccount => "ServiceAccount",
            Self::Namespace => "Namespace",
            Self::Nodegroup => "Nodegroup",
            Self::PrivilegeClass => "PrivilegeClass",
        }
    }
}

impl fmt::Display for NodeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl NodeKey {
    /// The node's kind.
    pub fn kind(&self) -> NodeKind {
        match self {
            Self::IamUser(_) => NodeKind::IamUser,
            Self::IamRole(_) => NodeKind::IamRole,
            Self::User(_) => NodeKind::User,
            Self::Group(_) => NodeKind::Group,
            Self::ServiceAccount { .. } => NodeKind::ServiceAccount,
            Self::Namespace(_) => NodeKind::Namespace,
            Self::Nodegroup(_) => NodeKind::Nodegroup,
            Self::PrivilegeClass(_) => NodeKind::PrivilegeClass,
        }
    }

    /// The node's name: an ARN, `User:NAME`, `Group:NAME`, `ServiceAccount:NS/NAME`, a
    /// namespace (`*` for every namespace), a node group, or a privilege class name.
    pub fn name(&self) -> String {
        match self {
            Self::IamUser(arn) | Self::IamRole(arn) => arn.clone(),
            Self::User(name) => format!("User:{name}"),
            Self::Group(name) => format!("Group:{name}"),
            Self::ServiceAccount { namespace, name } => {
                format!("ServiceAccount:{namespace}/{name}")
            }
            Self::Namespace(ns) | Self::Nodegroup(ns) => ns.clone(),
            Self::PrivilegeClass(kind) => class_name(*kind).to_owned(),
        }
    }

    /// A service account node.
    pub fn service_account(namespace: &str, name: &str) -> Self {
        Self::ServiceAccount {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        }
    }

    /// Whether this is an IAM principal (user or role).
    pub fn is_iam_principal(&self) -> bool {
        matches!(self, Self::IamUser(_) | Self::IamRole(_))
    }

    /// The ARN of an IAM principal node.
    pub fn arn(&self) -> Option<&str> {
        match self {
            Self::IamUser(arn) | Self::IamRole(arn) => Some(arn),
            _ => None,
        }
    }

    /// A sentence fragment naming the node for people.
    pub fn describe(&self) -> String {
        match self {
            Self::IamUser(arn) => format!("IAM user `{arn}`"),
            Self::IamRole(arn) => format!("IAM role `{arn}`"),
            Self::User(name) => format!("user `{name}`"),
            Self::Group(name) => format!("group `{name}`"),
            Self::ServiceAccount { namespace, name } => {
                format!("service account `{namespace}/{name}`")
            }
            Self::Namespace(ns) if ns == EVERY_NAMESPACE => {
                "any service account of every namespace".to_owned()
            }
            Self::Namespace(ns) => format!("any service account of namespace `{ns}`"),
            Self::Nodegroup(name) => format!("node group `{name}`"),
            Self::PrivilegeClass(kind) => format!("privilege class `{}`", class_name(*kind)),
        }
    }
}

impl fmt::Display for NodeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind(), self.name())
    }
}

/// Every privilege class, worst first.
pub const CLASSES: [PrivilegeKind; 6] = [
    PrivilegeKind::FullAdmin,
    PrivilegeKind::PrivilegeEscalation,
    PrivilegeKind::ResourceExposure,
    PrivilegeKind::InfraChange,
    PrivilegeKind::DataWrite,
    PrivilegeKind::DataRead,
];

/// The name of a privilege class, the same as the name of the tier it makes: `admin`,
/// `privilege-escalation`, `resource-exposure`, `infra-change`, `data-write`, `data-read`.
pub fn class_name(kind: PrivilegeKind) -> &'static str {
    class_tier(kind).as_str()
}

/// The tier a privilege class puts its holder in.
pub fn class_tier(kind: PrivilegeKind) -> Tier {
    match kind {
        PrivilegeKind::FullAdmin => Tier::Admin,
        PrivilegeKind::PrivilegeEscalation => Tier::PrivilegeEscalation,
        PrivilegeKind::ResourceExposure => Tier::ResourceExposure,
        PrivilegeKind::InfraChange => Tier::InfraChange,
        PrivilegeKind::DataWrite => Tier::DataWrite,
        PrivilegeKind::DataRead => Tier::DataRead,
    }
}

/// The privilege class named `name` (see [`class_name`]).
pub fn parse_class(name: &str) -> Option<PrivilegeKind> {
    CLASSES.into_iter().find(|k| class_name(*k) == name)
}

/// Every tier, lowest first.
pub const TIERS: [Tier; 9] = [
    Tier::None,
    Tier::ReadOnly,
    Tier::LimitedWrite,
    Tier::DataRead,
    Tier::DataWrite,
    Tier::InfraChange,
    Tier::ResourceExposure,
    Tier::PrivilegeEscalation,
    Tier::Admin,
];

/// The tier named `name` (`Tier::as_str`).
pub fn parse_tier(name: &str) -> Option<Tier> {
    TIERS.into_iter().find(|t| t.as_str() == name)
}

/// What an edge means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EdgeKind {
    /// IAM principal to the Kubernetes user or group aws-auth or an access entry maps it to.
    MappedIdentity,
    /// Service account to the groups every service account is in.
    GroupMembership,
    /// Create pods or pod-creating workloads: run as any service account of the namespace.
    CreatePods,
    /// Obtain a service account's token (token request, token secret, exec or attach into a
    /// pod that runs as it).
    ServiceAccountToken,
    /// Write mutating admission webhooks: rewrite any pod of any namespace.
    AdmissionWebhook,
    /// Impersonate service accounts, users or groups.
    Impersonation,
    /// Bind or escalate roles and write bindings: grant oneself anything.
    RbacEscalation,
    /// `nodes/proxy`: run commands in any pod through the kubelet.
    NodesProxy,
    /// Approve certificate signing requests: mint a client certificate for any user.
    CertificateApproval,
    /// A pod of the namespace may name this service account.
    PodServiceAccount,
    /// Every namespace includes this one.
    EveryNamespace,
    /// The role's trust policy admits the service account's web identity (IRSA).
    WebIdentity,
    /// An EKS Pod Identity association gives the service account the role.
    PodIdentity,
    /// Pods of the namespace reach the node group's instance metadata service.
    InstanceMetadata,
    /// A `hostNetwork` pod of the namespace reaches the node group's instance metadata service.
    HostNetwork,
    /// The node group's instances run with this role.
    NodeRole,
    /// `sts:AssumeRole`, allowed by the role's trust policy and the caller's policies.
    AssumeRole,
    /// `emr-containers:StartJobRun` / `CreateManagedEndpoint` with this execution role: EMR
    /// runs the principal's code as the role's EMR service account.
    SubmitJob,
    /// `emr-containers:GetManagedEndpointSessionCredentials`: the endpoint's role credentials.
    EndpointCredentials,
    /// The principal's effective permissions make this privilege class.
    Privilege,
}

impl EdgeKind {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MappedIdentity => "mapped-identity",
            Self::GroupMembership => "group-membership",
            Self::CreatePods => "create-pods",
            Self::ServiceAccountToken => "service-account-token",
            Self::AdmissionWebhook => "admission-webhook",
            Self::Impersonation => "impersonation",
            Self::RbacEscalation => "rbac-escalation",
            Self::NodesProxy => "nodes-proxy",
            Self::CertificateApproval => "certificate-approval",
            Self::PodServiceAccount => "pod-service-account",
            Self::EveryNamespace => "every-namespace",
            Self::WebIdentity => "web-identity",
            Self::PodIdentity => "pod-identity",
            Self::InstanceMetadata => "instance-metadata",
            Self::HostNetwork => "host-network",
            Self::NodeRole => "node-role",
            Self::AssumeRole => "assume-role",
            Self::SubmitJob => "submit-job",
            Self::EndpointCredentials => "endpoint-credentials",
            Self::Privilege => "privilege",
        }
    }

    /// Whether the edge comes from Kubernetes RBAC rights (bindings or EKS access policies).
    pub fn is_rbac(self) -> bool {
        matches!(
            self,
            Self::CreatePods
                | Self::ServiceAccountToken
                | Self::AdmissionWebhook
                | Self::Impersonation
                | Self::RbacEscalation
                | Self::NodesProxy
                | Self::CertificateApproval
        )
    }
}

impl fmt::Display for EdgeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The object that proves part of an edge: a Kubernetes object, an AWS resource or a policy.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ObjectId {
    /// Kind: a Kubernetes kind (`RoleBinding`, `ServiceAccount`, ...) or an AWS kind
    /// (`IAMRole`, `IAMPolicy`, `AccessEntry`, `PodIdentityAssociation`, `Nodegroup`,
    /// `LaunchTemplate`, `VirtualCluster`, ...).
    pub kind: String,
    /// Kubernetes namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Name or id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// ARN, for AWS resources that have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
}

impl ObjectId {
    /// A Kubernetes object.
    pub fn k8s(kind: &str, namespace: Option<&str>, name: &str) -> Self {
        Self {
            kind: kind.to_owned(),
            namespace: namespace.map(str::to_owned),
            name: Some(name.to_owned()),
            arn: None,
        }
    }

    /// An AWS resource with an ARN (and optionally a name).
    pub fn aws(kind: &str, arn: &str, name: Option<&str>) -> Self {
        Self {
            kind: kind.to_owned(),
            namespace: None,
            name: name.map(str::to_owned),
            arn: Some(arn.to_owned()),
        }
    }

    /// An AWS resource known by name or id only.
    pub fn aws_named(kind: &str, name: &str) -> Self {
        Self {
            kind: kind.to_owned(),
            namespace: None,
            name: Some(name.to_owned()),
            arn: None,
        }
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.arn, &self.namespace, &self.name) {
            (Some(arn), _, _) => write!(f, "{} {arn}", self.kind),
            (None, Some(ns), Some(n)) => write!(f, "{} {ns}/{n}", self.kind),
            (None, None, Some(n)) => write!(f, "{} {n}", self.kind),
            _ => write!(f, "{}", self.kind),
        }
    }
}

/// One piece of evidence for an edge: what it shows, and the object that shows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct EdgeEvidence {
    /// What it shows, as a sentence fragment.
    pub text: String,
    /// The object.
    pub object: ObjectId,
    /// Where the object was read from, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// Detail: a rule, a policy statement, a matched pattern.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl EdgeEvidence {
    /// Evidence about `object`.
    pub fn new(text: impl Into<String>, object: ObjectId) -> Self {
        Self {
            text: text.into(),
            object,
            source: None,
            detail: None,
        }
    }

    /// Adds where the object was read from (ignored when unknown).
    #[must_use]
    pub fn at(mut self, source: Option<&Source>) -> Self {
        self.source = source.filter(|s| !s.file.is_empty()).cloned();
        self
    }

    /// Adds detail.
    #[must_use]
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// The index of a node in an [`crate::AccessGraph`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub(crate) u32);

/// The index of an edge in an [`crate::AccessGraph`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EdgeId(pub(crate) u32);

impl NodeId {
    pub(crate) fn index(self) -> usize {
        self.0 as usize
    }
}

impl EdgeId {
    pub(crate) fn index(self) -> usize {
        self.0 as usize
    }
}

/// A directed edge with its meaning and evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// From.
    pub from: NodeId,
    /// To.
    pub to: NodeId,
    /// What it means.
    pub kind: EdgeKind,
    /// One sentence: why the source reaches the target.
    pub text: String,
    /// The objects that justify it (never empty), sorted; shared between edges that hold for
    /// the same reasons.
    pub evidence: Arc<[EdgeEvidence]>,
    /// Whether the edge exists only because something is broader than EMR on EKS needs: a
    /// trust policy that admits more than EMR's service-account pattern or one named service
    /// account, or a job-submission grant that does not pin the execution role.
    pub broad: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_and_tier_names() {
        assert_eq!(class_name(PrivilegeKind::FullAdmin), "admin");
        assert_eq!(
            parse_class("privilege-escalation"),
            Some(PrivilegeKind::PrivilegeEscalation)
        );
        assert_eq!(parse_class("limited-write"), None, "a tier, not a class");
        assert_eq!(parse_tier("limited-write"), Some(Tier::LimitedWrite));
        assert_eq!(parse_tier("root"), None);
        for kind in CLASSES {
            assert_eq!(parse_class(class_name(kind)), Some(kind));
        }
    }

    #[test]
    fn node_names() {
        assert_eq!(
            NodeKey::service_account("emr", "driver").name(),
            "ServiceAccount:emr/driver"
        );
        assert_eq!(NodeKey::Group("team-a".into()).name(), "Group:team-a");
        assert_eq!(NodeKey::User("alice".into()).to_string(), "User User:alice");
        assert_eq!(
            NodeKey::PrivilegeClass(PrivilegeKind::DataWrite).name(),
            "data-write"
        );
    }
}
