//! Who is asking: a Kubernetes user with groups, built the way kube-apiserver and EKS build it.

use emrguard_model::aws::AccessScope;
use emrguard_model::inventory::{normalise_principal_arn, MappedIdentity, MappingSource};
use emrguard_model::Inventory;
use serde::Serialize;

/// The group kube-apiserver allows everything, before any authorizer runs.
pub const SYSTEM_MASTERS: &str = "system:masters";
/// The group of every authenticated user.
pub const ALL_AUTHENTICATED: &str = "system:authenticated";
/// The group of unauthenticated requests.
pub const ALL_UNAUTHENTICATED: &str = "system:unauthenticated";
/// The anonymous user.
pub const ANONYMOUS: &str = "system:anonymous";
/// The prefix of service-account user names.
pub const SERVICE_ACCOUNT_PREFIX: &str = "system:serviceaccount:";
/// The group of all service accounts.
pub const ALL_SERVICE_ACCOUNTS: &str = "system:serviceaccounts";
/// The group EKS gives node access entries.
pub const SYSTEM_NODES: &str = "system:nodes";

/// An access policy associated with the IAM principal an identity was mapped from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessPolicyAssociation {
    /// The access entry's principal ARN.
    pub principal_arn: String,
    /// The access policy ARN.
    pub policy_arn: String,
    /// Cluster or namespace scope.
    pub access_scope: AccessScope,
}

/// A Kubernetes identity: a user name and groups, plus the EKS access policies that apply to it
/// when it is an IAM principal acting as itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// User name. Empty for a group-only identity, which matches no User or ServiceAccount
    /// subject.
    pub user: String,
    /// Groups.
    pub groups: Vec<String>,
    /// EKS access policies (only for identities resolved from an IAM principal).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub access_policies: Vec<AccessPolicyAssociation>,
    /// How the identity was obtained from an IAM principal, when it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mapped_from: Option<MappedIdentity>,
}

impl Identity {
    /// An identity with exactly this user and these groups (no implicit groups).
    pub fn new(user: &str, groups: &[&str]) -> Self {
        Self {
            user: user.to_owned(),
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
            ..Self::default()
        }
    }

    /// The identity `kubectl --as USER --as-group GROUP...` produces, with kube-apiserver's
    /// impersonation rules: a service-account user name without groups gets
    /// `system:serviceaccounts` and `system:serviceaccounts:NS`; every user but
    /// `system:anonymous` gets `system:authenticated` unless `system:authenticated` or
    /// `system:unauthenticated` is among the groups; `system:anonymous` gets
    /// `system:unauthenticated`. Impersonation drops EKS access policies.
    pub fn impersonate(user: &str, groups: &[String]) -> Self {
        let mut groups: Vec<String> = groups.to_vec();
        if groups.is_empty() {
            if let Some((namespace, _)) = split_service_account_username(user) {
                groups = service_account_groups(namespace);
            }
        }
        if user == ANONYMOUS {
            if !groups.iter().any(|g| g == ALL_UNAUTHENTICATED) {
                groups.push(ALL_UNAUTHENTICATED.to_owned());
            }
        } else if !groups
            .iter()
            .any(|g| g == ALL_AUTHENTICATED || g == ALL_UNAUTHENTICATED)
        {
            groups.push(ALL_AUTHENTICATED.to_owned());
        }
        Self {
            user: user.to_owned(),
            groups,
            ..Self::default()
        }
    }

    /// A service account as its token authenticates it: `system:serviceaccount:NS:NAME` with
    /// `system:serviceaccounts`, `system:serviceaccounts:NS` and `system:authenticated`.
    pub fn service_account(namespace: &str, name: &str) -> Self {
        Self::impersonate(&service_account_username(namespace, name), &[])
    }

    /// A group-only identity (no user name) with `system:authenticated`: what membership of one
    /// group grants.
    pub fn group(group: &str) -> Self {
        let mut groups = vec![group.to_owned()];
        if group != ALL_AUTHENTICATED && group != ALL_UNAUTHENTICATED {
            groups.push(ALL_AUTHENTICATED.to_owned());
        }
        Self {
            groups,
            ..Self::default()
        }
    }

    /// The identity an IAM principal (`arn` of a role, user or assumed-role session) gets when it
    /// calls the cluster itself, through EKS access entries and `kube-system/aws-auth`
    /// (`mapRoles`, `mapUsers`, `mapAccounts`), with `system:authenticated` added and the access
    /// policies of its access entry attached.
    ///
    /// The cluster's authentication mode decides which sources count: `API` uses access entries
    /// only, `CONFIG_MAP` aws-auth only, and `API_AND_CONFIG_MAP` (or an unknown mode) both, with
    /// the access entry taking precedence for the same principal (EKS User Guide, "Migrating
    /// existing aws-auth ConfigMap entries to access entries"). When aws-auth maps one ARN twice,
    /// the last entry wins, as aws-iam-authenticator builds a map from the list. Node access
    /// entries (`EC2_LINUX`, ...) without groups get `system:nodes`.
    ///
    /// `None` when the principal is not mapped, so it cannot authenticate to the cluster.
    pub fn from_iam_arn(inventory: &Inventory, arn: &str) -> Option<Self> {
        let (use_access_entries, use_aws_auth) = authentication_sources(inventory);
        let mappings = inventory.kubernetes_identities(arn);
        let chosen = mappings
            .iter()
            .find(|m| use_access_entries && m.via == MappingSource::AccessEntry)
            .or_else(|| {
                mappings
                    .iter()
                    .rev()
                    .find(|m| use_aws_auth && m.via == MappingSource::AwsAuth)
            });
        let Some(mapping) = chosen else {
            return account_mapping(inventory, arn, use_aws_auth);
        };
        let mut mapping = mapping.clone();
        let mut access_policies = Vec::new();
        if mapping.via == MappingSource::AccessEntry {
            let wanted = normalise_principal_arn(&mapping.principal_arn);
            if let Some(entry) = inventory
                .access_entries
                .iter()
                .find(|e| normalise_principal_arn(&e.principal_arn) == wanted)
            {
                let is_node = entry.entry_type.as_deref().is_some_and(|t| {
                    matches!(
                        t,
                        "EC2_LINUX" | "EC2_WINDOWS" | "FARGATE_LINUX" | "HYBRID_LINUX" | "EC2"
                    )
                });
                if is_node && mapping.groups.is_empty() {
                    mapping.groups.push(SYSTEM_NODES.to_owned());
                }
                if is_node && entry.username.is_none() {
                    mapping.username = "system:node:{{EC2PrivateDNSName}}".to_owned();
                }
                access_policies = entry
                    .access_policies
                    .iter()
                    .map(|p| AccessPolicyAssociation {
                        principal_arn: entry.principal_arn.clone(),
                        policy_arn: p.policy_arn.clone(),
                        access_scope: p.access_scope.clone(),
                    })
                    .collect();
            }
        }
        let user = expand_username(&mapping.username, arn);
        let mut groups = mapping.groups.clone();
        if !groups.iter().any(|g| g == ALL_AUTHENTICATED) {
            groups.push(ALL_AUTHENTICATED.to_owned());
        }
        Some(Self {
            user,
            groups,
            access_policies,
            mapped_from: Some(mapping),
        })
    }

    /// Whether the identity is in `system:masters`.
    pub fn is_privileged(&self) -> bool {
        self.groups.iter().any(|g| g == SYSTEM_MASTERS)
    }
}

impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.user.is_empty() {
            write!(f, "groups [{}]", self.groups.join(", "))
        } else {
            write!(f, "user {} groups [{}]", self.user, self.groups.join(", "))
        }
    }
}

/// `system:serviceaccount:NS:NAME`.
pub fn service_account_username(namespace: &str, name: &str) -> String {
    format!("{SERVICE_ACCOUNT_PREFIX}{namespace}:{name}")
}

/// Splits `system:serviceaccount:NS:NAME` into namespace and name, as Kubernetes'
/// `serviceaccount.SplitUsername` does (exactly two non-empty parts after the prefix).
pub fn split_service_account_username(user: &str) -> Option<(&str, &str)> {
    let rest = user.strip_prefix(SERVICE_ACCOUNT_PREFIX)?;
    let (namespace, name) = rest.split_once(':')?;
    (!namespace.is_empty() && !name.is_empty() && !name.contains(':')).then_some((namespace, name))
}

/// The implicit groups of a service account in `namespace`.
pub fn service_account_groups(namespace: &str) -> Vec<String> {
    vec![
        ALL_SERVICE_ACCOUNTS.to_owned(),
        format!("{ALL_SERVICE_ACCOUNTS}:{namespace}"),
    ]
}

/// Which identity sources the cluster's authentication mode enables: (access entries, aws-auth).
pub fn authentication_sources(inventory: &Inventory) -> (bool, bool) {
    let mode = inventory
        .cluster()
        .and_then(|c| c.access_config.as_ref())
        .and_then(|a| a.authentication_mode.as_deref());
    match mode {
        Some("API") => (true, false),
        Some("CONFIG_MAP") => (false, true),
        _ => (true, true),
    }
}

/// aws-auth `mapAccounts`: any principal of a listed account authenticates as its canonical ARN.
fn account_mapping(inventory: &Inventory, arn: &str, use_aws_auth: bool) -> Option<Identity> {
    if !use_aws_auth {
        return None;
    }
    let auth = inventory.aws_auth.as_ref()?;
    let account = arn.split(':').nth(4).filter(|a| !a.is_empty())?;
    if !auth.map_accounts.iter().any(|a| a == account) {
        return None;
    }
    let canonical = normalise_principal_arn(arn);
    Some(Identity {
        user: canonical.clone(),
        groups: vec![ALL_AUTHENTICATED.to_owned()],
        access_policies: Vec::new(),
        mapped_from: Some(MappedIdentity {
            principal_arn: canonical.clone(),
            username: canonical,
            groups: Vec::new(),
            via: MappingSource::AwsAuth,
            source: auth.source.clone(),
        }),
    })
}

/// Fills `{{AccountID}}`, and `{{SessionName}}` / `{{SessionNameRaw}}` when `arn` is an
/// assumed-role session ARN. `{{EC2PrivateDNSName}}` and unknown templates stay as written.
fn expand_username(template: &str, arn: &str) -> String {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let mut out = template.to_owned();
    if let [_, _, service, _, account, resource] = parts.as_slice() {
        out = out.replace("{{AccountID}}", account);
        if *service == "sts" {
            if let Some(session) = resource
                .strip_prefix("assumed-role/")
                .and_then(|r| r.split_once('/'))
                .map(|(_, s)| s)
            {
                out = out
                    .replace("{{SessionNameRaw}}", session)
                    .replace("{{SessionName}}", session);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impersonating_a_service_account_adds_its_groups() {
        let id = Identity::impersonate("system:serviceaccount:spark:driver", &[]);
        assert_eq!(
            id.groups,
            vec![
                "system:serviceaccounts",
                "system:serviceaccounts:spark",
                "system:authenticated"
            ]
        );
        let with_group =
            Identity::impersonate("system:serviceaccount:spark:driver", &["devs".to_owned()]);
        assert_eq!(with_group.groups, vec!["devs", "system:authenticated"]);
    }

    #[test]
    fn impersonation_keeps_explicit_authenticated_groups() {
        let id = Identity::impersonate("alice", &["system:unauthenticated".to_owned()]);
        assert_eq!(id.groups, vec!["system:unauthenticated"]);
        let anon = Identity::impersonate(ANONYMOUS, &[]);
        assert_eq!(anon.groups, vec!["system:unauthenticated"]);
    }

    #[test]
    fn service_account_usernames_split_like_kubernetes() {
        assert_eq!(
            split_service_account_username("system:serviceaccount:ns:sa"),
            Some(("ns", "sa"))
        );
        assert_eq!(
            split_service_account_username("system:serviceaccount:ns"),
            None
        );
        assert_eq!(
            split_service_account_username("system:serviceaccount:ns:sa:x"),
            None
        );
        assert_eq!(split_service_account_username("alice"), None);
    }

    #[test]
    fn session_names_expand_only_for_sessions() {
        assert_eq!(
            expand_username(
                "arn:aws:sts::1:assumed-role/dev/{{SessionName}}",
                "arn:aws:sts::1:assumed-role/dev/alice"
            ),
            "arn:aws:sts::1:assumed-role/dev/alice"
        );
        assert_eq!(
            expand_username("dev-{{SessionName}}", "arn:aws:iam::1:role/dev"),
            "dev-{{SessionName}}"
        );
        assert_eq!(
            expand_username("u-{{AccountID}}", "arn:aws:iam::123:role/dev"),
            "u-123"
        );
    }
}
