//! What the engine answers: decisions, grants (the evidence), subjects and diagnostics.

use std::cmp::Ordering;
use std::sync::Arc;

use emrguard_model::aws::AccessScope;
use emrguard_model::k8s::{ObjectRef, PolicyRule, Subject};
use serde::Serialize;

use crate::access_policy::Confidence;
use crate::request::Request;

/// Where an aggregated ClusterRole's rule came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleOrigin {
    /// The ClusterRole that holds the rule.
    pub role: ObjectRef,
    /// The rule's index in that role's `rules`.
    pub rule_index: usize,
}

/// What grants a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum GrantSource {
    /// A RoleBinding or ClusterRoleBinding.
    #[serde(rename_all = "camelCase")]
    Binding {
        /// The binding.
        binding: Arc<ObjectRef>,
        /// The subject of the binding that matched, as written.
        subject: Arc<Subject>,
        /// The Role or ClusterRole.
        role: Arc<ObjectRef>,
    },
    /// An EKS access policy associated with an access entry.
    #[serde(rename_all = "camelCase")]
    AccessPolicy {
        /// The access entry's IAM principal.
        principal_arn: String,
        /// The access policy ARN.
        policy_arn: String,
        /// The association's scope.
        access_scope: AccessScope,
        /// Whether the policy's rules are published or reconstructed.
        confidence: Confidence,
    },
    /// Membership of `system:masters`, which kube-apiserver allows before RBAC.
    #[serde(rename_all = "camelCase")]
    PrivilegedGroup {
        /// The group.
        group: String,
        /// IAM principals that aws-auth maps into the group (who-can only).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        mapped_from: Vec<String>,
    },
}

/// One piece of evidence that a request is allowed: a source and the rule in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    /// The binding, access policy or privileged group.
    #[serde(flatten)]
    pub source: GrantSource,
    /// Index of the matching rule in the role (after aggregation) or access policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_index: Option<usize>,
    /// The matching rule (shared with the index: grants are cheap to build in bulk).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<Arc<PolicyRule>>,
    /// For a rule of an aggregated ClusterRole: the source role and rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aggregated_from: Option<RuleOrigin>,
}

impl Grant {
    fn class(&self) -> u8 {
        match self.source {
            GrantSource::PrivilegedGroup { .. } => 0,
            GrantSource::Binding { .. } => 1,
            GrantSource::AccessPolicy { .. } => 2,
        }
    }

    /// Orders grants deterministically: `system:masters` first, then bindings by kind,
    /// namespace and name, then access policies by principal and policy ARN; within one
    /// source, by rule index.
    pub fn cmp_deterministic(&self, other: &Self) -> Ordering {
        self.class()
            .cmp(&other.class())
            .then_with(|| match (&self.source, &other.source) {
                (
                    GrantSource::Binding {
                        binding: a,
                        role: ra,
                        ..
                    },
                    GrantSource::Binding {
                        binding: b,
                        role: rb,
                        ..
                    },
                ) => a.cmp(b).then_with(|| ra.cmp(rb)),
                (
                    GrantSource::AccessPolicy {
                        principal_arn: a,
                        policy_arn: pa,
                        ..
                    },
                    GrantSource::AccessPolicy {
                        principal_arn: b,
                        policy_arn: pb,
                        ..
                    },
                ) => (a, pa).cmp(&(b, pb)),
                (
                    GrantSource::PrivilegedGroup { group: a, .. },
                    GrantSource::PrivilegedGroup { group: b, .. },
                ) => a.cmp(b),
                _ => Ordering::Equal,
            })
            .then_with(|| self.rule_index.cmp(&other.rule_index))
    }
}

impl std::fmt::Display for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.source {
            GrantSource::PrivilegedGroup { group, mapped_from } => {
                write!(f, "group {group} (allowed everything by kube-apiserver)")?;
                if !mapped_from.is_empty() {
                    write!(f, ", mapped from {}", mapped_from.join(", "))?;
                }
                Ok(())
            }
            GrantSource::Binding { binding, role, .. } => {
                write!(f, "{binding} -> {role}")?;
                if let Some(i) = self.rule_index {
                    write!(f, " rule {i}")?;
                }
                if let Some(origin) = &self.aggregated_from {
                    write!(
                        f,
                        " (aggregated from {} rule {})",
                        origin.role, origin.rule_index
                    )?;
                }
                Ok(())
            }
            GrantSource::AccessPolicy {
                principal_arn,
                policy_arn,
                access_scope,
                confidence,
            } => {
                let name = crate::access_policy::access_policy_name(policy_arn);
                write!(f, "access entry {principal_arn} -> access policy {name}")?;
                if access_scope.scope_type == "namespace" {
                    write!(f, " (namespaces {})", access_scope.namespaces.join(", "))?;
                } else {
                    write!(f, " (cluster)")?;
                }
                if let Some(i) = self.rule_index {
                    write!(f, " rule {i}")?;
                }
                if *confidence == Confidence::Approximate {
                    write!(f, " [approximate rules]")?;
                }
                Ok(())
            }
        }
    }
}

/// An authorization decision with every grant that allows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// Whether the request is allowed.
    pub allowed: bool,
    /// Every binding rule, access policy rule or privileged group that allows it, sorted.
    pub grants: Vec<Grant>,
    /// Bindings that apply to the identity but could not be resolved (missing role, unsupported
    /// roleRef). They grant nothing, as in kube-apiserver, but a complete snapshot would not have
    /// them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unresolved: Vec<Diagnostic>,
}

/// The kind of a subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum SubjectKind {
    /// A user.
    User,
    /// A group.
    Group,
    /// A service account.
    ServiceAccount,
    /// An EKS access entry, named by its IAM principal ARN.
    AccessEntry,
}

impl SubjectKind {
    /// The kind name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Group => "Group",
            Self::ServiceAccount => "ServiceAccount",
            Self::AccessEntry => "AccessEntry",
        }
    }
}

/// A subject as it appears in bindings (service accounts with their effective namespace) or an
/// access entry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct SubjectRef {
    /// Kind.
    pub kind: SubjectKind,
    /// Namespace, for service accounts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Name (user, group, service account) or principal ARN (access entry).
    pub name: String,
}

impl SubjectRef {
    /// A subject of `kind` named `name`, in `namespace` for service accounts.
    pub fn new(kind: SubjectKind, name: &str, namespace: Option<&str>) -> Self {
        Self {
            kind,
            name: name.to_owned(),
            namespace: namespace.map(str::to_owned),
        }
    }
}

impl std::fmt::Display for SubjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind.as_str(), ns, self.name),
            None => write!(f, "{} {}", self.kind.as_str(), self.name),
        }
    }
}

/// A subject that is allowed, with every grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubjectGrant {
    /// The subject.
    pub subject: SubjectRef,
    /// What allows it, sorted.
    pub grants: Vec<Grant>,
}

/// A problem found while indexing, or met during evaluation.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnostic {
    /// What kind of problem.
    pub kind: DiagnosticKind,
    /// The object concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<ObjectRef>,
    /// A sentence for people.
    pub message: String,
}

/// Kinds of [`Diagnostic`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DiagnosticKind {
    /// A binding's role does not exist in the snapshot.
    MissingRole,
    /// A roleRef kind the authorizer cannot resolve (a ClusterRoleBinding to a Role, or an
    /// unknown kind).
    UnsupportedRoleRef,
    /// A subject kind other than User, Group and ServiceAccount.
    UnknownSubjectKind,
    /// A ServiceAccount subject without a namespace in a ClusterRoleBinding: it matches nothing.
    ServiceAccountWithoutNamespace,
    /// An aggregation selector kube-controller-manager rejects; the role stays empty.
    InvalidAggregationSelector,
    /// An access policy this engine does not know; it grants nothing here.
    UnknownAccessPolicy,
    /// An access policy whose rules are reconstructed, not published.
    ApproximateAccessPolicy,
}

/// Evidence that a capability exists: an allowed request and its grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    /// The request that is allowed.
    pub request: Request,
    /// Whether the grants cover every object name (rules without `resourceNames`), rather than
    /// only the name in the request.
    pub every_name: bool,
    /// What allows it.
    pub grants: Vec<Grant>,
}
