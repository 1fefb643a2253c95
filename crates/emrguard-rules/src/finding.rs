//! What a rule reports: a [`Finding`] with its resources, evidence chain and remediation.

use serde::{Deserialize, Serialize};

use emrguard_model::Source;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// All severities, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    /// Parses a lowercase name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The seven practices of the EMR on EKS security best practices page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Practice {
    /// 1. Apply the principle of least privilege (execution roles).
    ExecutionRoleLeastPrivilege,
    /// 2. Access control for managed endpoints.
    EndpointAccessControl,
    /// 3. Security updates for custom images.
    CustomImageUpdates,
    /// 4. Limit pod credential access (IRSA only).
    PodCredentialAccess,
    /// 5. Isolate untrusted application code.
    UntrustedCodeIsolation,
    /// 6. RBAC permissions of job submitters.
    RbacPermissions,
    /// 7. Restrict access to node instance-profile credentials.
    NodeCredentialAccess,
}

impl Practice {
    /// All practices in the order of the best-practices page.
    pub const ALL: [Practice; 7] = [
        Practice::ExecutionRoleLeastPrivilege,
        Practice::EndpointAccessControl,
        Practice::CustomImageUpdates,
        Practice::PodCredentialAccess,
        Practice::UntrustedCodeIsolation,
        Practice::RbacPermissions,
        Practice::NodeCredentialAccess,
    ];

    /// The kebab-case identifier used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ExecutionRoleLeastPrivilege => "execution-role-least-privilege",
            Self::EndpointAccessControl => "endpoint-access-control",
            Self::CustomImageUpdates => "custom-image-updates",
            Self::PodCredentialAccess => "pod-credential-access",
            Self::UntrustedCodeIsolation => "untrusted-code-isolation",
            Self::RbacPermissions => "rbac-permissions",
            Self::NodeCredentialAccess => "node-credential-access",
        }
    }

    /// The heading of the practice on the AWS page.
    pub fn title(self) -> &'static str {
        match self {
            Self::ExecutionRoleLeastPrivilege => "Apply principle of least privilege",
            Self::EndpointAccessControl => "Access control list for endpoints",
            Self::CustomImageUpdates => "Get the latest security updates for custom images",
            Self::PodCredentialAccess => "Limit pod credential access",
            Self::UntrustedCodeIsolation => "Isolate untrusted application code",
            Self::RbacPermissions => "Role-based access control (RBAC) permissions",
            Self::NodeCredentialAccess => {
                "Restrict access to nodegroup IAM role or instance profile credentials"
            }
        }
    }

    /// The practice's number on the page (1 to 7).
    pub fn number(self) -> usize {
        Self::ALL
            .iter()
            .position(|p| *p == self)
            .map_or(0, |i| i + 1)
    }
}

impl std::fmt::Display for Practice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An object a finding is about: a Kubernetes object or subject, or an AWS resource.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ResourceRef {
    /// Kind: a Kubernetes kind (`RoleBinding`, `Group`, ...) or an AWS kind (`IAMRole`,
    /// `SecurityGroup`, `Nodegroup`, ...).
    pub kind: String,
    /// Kubernetes namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Name or id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// ARN, for AWS resources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// Where the object was read from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
}

impl ResourceRef {
    /// A Kubernetes object or subject.
    pub fn k8s(kind: &str, namespace: Option<&str>, name: &str) -> Self {
        Self {
            kind: kind.to_owned(),
            namespace: namespace.map(str::to_owned),
            name: Some(name.to_owned()),
            arn: None,
            source: None,
        }
    }

    /// An AWS resource with an ARN (and optionally a name).
    pub fn aws(kind: &str, arn: &str, name: Option<&str>) -> Self {
        Self {
            kind: kind.to_owned(),
            namespace: None,
            name: name.map(str::to_owned),
            arn: Some(arn.to_owned()),
            source: None,
        }
    }

    /// An AWS resource known by id or name only (security groups, node groups, ...).
    pub fn aws_named(kind: &str, name: &str) -> Self {
        Self {
            kind: kind.to_owned(),
            namespace: None,
            name: Some(name.to_owned()),
            arn: None,
            source: None,
        }
    }

    /// Attaches the source location.
    #[must_use]
    pub fn at(mut self, source: &Source) -> Self {
        if !source.file.is_empty() {
            self.source = Some(source.clone());
        }
        self
    }

    /// A stable identity string: `Kind/namespace/name`, `Kind/name` or the ARN.
    pub fn key(&self) -> String {
        match (&self.arn, &self.namespace, &self.name) {
            (Some(arn), _, _) => arn.clone(),
            (None, Some(ns), Some(n)) => format!("{}/{ns}/{n}", self.kind),
            (None, None, Some(n)) => format!("{}/{n}", self.kind),
            (None, Some(ns), None) => format!("{}/{ns}", self.kind),
            (None, None, None) => self.kind.clone(),
        }
    }
}

impl std::fmt::Display for ResourceRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.namespace, &self.name, &self.arn) {
            (_, _, Some(arn)) => write!(f, "{} {arn}", self.kind),
            (Some(ns), Some(n), None) => write!(f, "{} {ns}/{n}", self.kind),
            (None, Some(n), None) => write!(f, "{} {n}", self.kind),
            _ => write!(f, "{}", self.kind),
        }
    }
}

/// One link in a finding's evidence chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// What this link shows, as a sentence fragment (e.g. "RoleBinding team-a/dev grants
    /// ClusterRole edit to Group team-a").
    pub text: String,
    /// The object that proves it, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceRef>,
    /// Detail such as a rule index, a policy statement or a matched pattern.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Evidence {
    /// A link with text only.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            resource: None,
            detail: None,
        }
    }

    /// A link about an object.
    pub fn about(text: impl Into<String>, resource: ResourceRef) -> Self {
        Self {
            text: text.into(),
            resource: Some(resource),
            detail: None,
        }
    }

    /// Adds detail.
    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// One concrete change that fixes a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    /// What the change does.
    pub description: String,
    /// `yaml`, `json`, `shell` or `text`.
    pub language: String,
    /// The change itself: a manifest, a policy document, or a command.
    pub content: String,
}

/// How to fix a finding.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remediation {
    /// One or two sentences.
    pub summary: String,
    /// Concrete changes, where one exists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<Fix>,
}

impl Remediation {
    /// A remediation with a summary only.
    pub fn summary(summary: impl Into<String>) -> Self {
        Self {
            summary: summary.into(),
            fixes: Vec::new(),
        }
    }

    /// Adds a concrete change.
    #[must_use]
    pub fn fix(
        mut self,
        description: impl Into<String>,
        language: &str,
        content: impl Into<String>,
    ) -> Self {
        self.fixes.push(Fix {
            description: description.into(),
            language: language.to_owned(),
            content: content.into(),
        });
        self
    }
}

/// A violation of a practice, with everything needed to understand and fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Rule code, e.g. `RBAC003`.
    pub code: String,
    /// Rule name, e.g. `tenant-can-create-pods`.
    pub name: String,
    /// The practice it violates.
    pub practice: Practice,
    /// Severity (after configuration overrides).
    pub severity: Severity,
    /// One line: what is wrong.
    pub message: String,
    /// The objects involved; the first is the primary one.
    pub resources: Vec<ResourceRef>,
    /// The evidence chain, in order.
    pub evidence: Vec<Evidence>,
    /// How to fix it.
    pub remediation: Remediation,
    /// A stable fingerprint of the rule and the resources (not the message).
    pub fingerprint: String,
}

impl Finding {
    /// Computes the fingerprint from the code and the resource keys (FNV-1a 64, hex), so it
    /// stays the same when messages or evidence wording change.
    pub fn compute_fingerprint(code: &str, resources: &[ResourceRef]) -> String {
        let mut keys: Vec<String> = resources.iter().map(ResourceRef::key).collect();
        keys.sort();
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in code.bytes().chain(
            keys.iter()
                .flat_map(|k| std::iter::once(0u8).chain(k.bytes())),
        ) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        format!("{hash:016x}")
    }
}
