//! Request evaluation within one account, per AWS's documented policy evaluation logic
//! ("Policy evaluation logic", "How AWS enforcement code logic evaluates requests to allow or
//! deny access", "Policy evaluation for requests within a single account"):
//!
//! 1. Every request starts implicitly denied.
//! 2. An applicable `Deny` in any policy (identity-based, permissions boundary,
//!    resource-based) is final: **explicit deny**.
//! 3. Otherwise the request is allowed when:
//!    - an identity-based policy allows it and, when the principal has a permissions
//!      boundary, the boundary allows it too; or
//!    - a resource-based policy allows it for the principal itself. Within one account such
//!      a grant does not need the identity policy: to an IAM user ARN or a role session it is
//!      final; to a role ARN it is still limited by the role's permissions boundary. A grant
//!      to the account (`"AWS": "111122223333"` or `...:root`) only delegates to the identity
//!      policies.
//!    - Role trust policies (and KMS key policies) are the documented exception: they "must
//!      explicitly allow access for principals", so an identity-policy allow is not enough
//!      without the trust policy. A principal named in the trust policy still needs its
//!      permissions boundary to allow `sts:AssumeRole` (IAM User Guide, "Update a role trust
//!      policy").
//! 4. Anything else: **implicit deny**.
//!
//! Also documented and implemented: a resource-based `Deny` with `NotPrincipal` always
//! denies a principal that has a permissions boundary ("Permissions boundaries for IAM
//! entities"). A `"Principal": "*"` grant is treated like a grant to the calling session.
//! SCPs, RCPs and session policies are not part of a snapshot and are not evaluated.

use std::borrow::Cow;
use std::collections::BTreeMap;

use emrguard_model::aws::{IamRole, IamUser};
use emrguard_model::inventory::normalise_principal_arn;
use emrguard_model::policy::{Effect, PolicyDocument, Principal};
use emrguard_model::Inventory;
use serde::{Deserialize, Serialize};

use crate::compile::{CompiledPolicy, DocumentUse, PolicyKind, PolicySource, StatementRef};
use crate::pattern::ContextValues;

/// The kind of AWS principal making a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AwsPrincipalKind {
    /// An IAM user.
    User,
    /// An IAM role (acting through a session).
    Role,
    /// The account root user.
    Root,
    /// Anything else (federated user, unknown form).
    Other,
}

/// Who makes a request, as resource-based and trust policies see it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Caller {
    /// An IAM user, role or account root.
    Aws {
        /// The identity ARN (`...:user/...`, `...:role/...`, `...:root`).
        arn: String,
        /// The role session ARN (`arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`), if known.
        session_arn: Option<String>,
        /// The 12-digit account id.
        account: Option<String>,
        /// User, role or root.
        kind: AwsPrincipalKind,
    },
    /// An AWS service principal, e.g. `pods.eks.amazonaws.com`.
    Service {
        /// The service principal name.
        name: String,
    },
    /// A web-identity or SAML provider, e.g.
    /// `arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/ABC`.
    Federated {
        /// The provider ARN or name.
        provider: String,
    },
    /// An S3 canonical user id.
    CanonicalUser {
        /// The id.
        id: String,
    },
}

impl Caller {
    /// Reads a principal ARN: a user, role, role session or root ARN.
    pub fn from_arn(arn: &str) -> Self {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let (account, resource, service, partition) = match parts.as_slice() {
            [_, partition, service, _, account, resource] => {
                (Some((*account).to_owned()), *resource, *service, *partition)
            }
            _ => (None, "", "", "aws"),
        };
        let account = account.filter(|a| !a.is_empty());
        if service == "sts" {
            if let Some(rest) = resource.strip_prefix("assumed-role/") {
                let role = rest.split('/').next().unwrap_or(rest);
                return Self::Aws {
                    arn: format!(
                        "arn:{partition}:iam::{}:role/{role}",
                        account.as_deref().unwrap_or("")
                    ),
                    session_arn: Some(arn.to_owned()),
                    account,
                    kind: AwsPrincipalKind::Role,
                };
            }
        }
        let kind = if resource.starts_with("user/") {
            AwsPrincipalKind::User
        } else if resource.starts_with("role/") {
            AwsPrincipalKind::Role
        } else if resource == "root" {
            AwsPrincipalKind::Root
        } else {
            AwsPrincipalKind::Other
        };
        Self::Aws {
            arn: arn.to_owned(),
            session_arn: None,
            account,
            kind,
        }
    }

    /// The account of an AWS caller.
    pub fn account(&self) -> Option<&str> {
        match self {
            Self::Aws { account, .. } => account.as_deref(),
            _ => None,
        }
    }

    /// A short description for messages.
    pub fn describe(&self) -> String {
        match self {
            Self::Aws {
                arn, session_arn, ..
            } => session_arn.clone().unwrap_or_else(|| arn.clone()),
            Self::Service { name } => format!("service {name}"),
            Self::Federated { provider } => format!("federated {provider}"),
            Self::CanonicalUser { id } => format!("canonical user {id}"),
        }
    }
}

/// How a resource-based statement's principal element covers the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Grant {
    /// Not covered.
    No,
    /// Covered through its account (delegates to identity policies).
    Account,
    /// Named directly; `limited` when the grant names a role ARN (bounded by the role's
    /// permissions boundary).
    Direct { limited: bool },
}

impl Grant {
    fn rank(self) -> u8 {
        match self {
            Self::No => 0,
            Self::Account => 1,
            Self::Direct { limited: true } => 2,
            Self::Direct { limited: false } => 3,
        }
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The account named by an account principal (`111122223333` or `arn:aws:iam::111122223333:root`).
pub(crate) fn account_principal(value: &str) -> Option<&str> {
    if is_account_id(value) {
        return Some(value);
    }
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, "iam", "", account, "root"] if is_account_id(account) => Some(account),
        _ => None,
    }
}

fn same_identity(policy_value: &str, caller_arn: &str) -> bool {
    if policy_value == caller_arn {
        return true;
    }
    // Roles and users may be written with or without their path.
    let iam = |s: &str| s.split(':').nth(2) == Some("iam");
    iam(policy_value)
        && iam(caller_arn)
        && normalise_principal_arn(policy_value) == normalise_principal_arn(caller_arn)
}

/// How a `Principal` element covers a caller.
pub(crate) fn principal_grant(principal: &Principal, caller: &Caller) -> Grant {
    let map = match principal {
        Principal::Any => return Grant::Direct { limited: false },
        Principal::Typed(map) => map,
    };
    let mut best = Grant::No;
    let mut consider = |g: Grant| {
        if g.rank() > best.rank() {
            best = g;
        }
    };
    for (kind, values) in map {
        for v in values {
            match (kind.as_str(), caller) {
                (
                    "AWS",
                    Caller::Aws {
                        arn,
                        session_arn,
                        account,
                        kind,
                    },
                ) => {
                    if v == "*" {
                        consider(Grant::Direct { limited: false });
                    } else if let Some(a) = account_principal(v) {
                        if account.as_deref() == Some(a) {
                            consider(if *kind == AwsPrincipalKind::Root {
                                Grant::Direct { limited: false }
                            } else {
                                Grant::Account
                            });
                        }
                    } else if session_arn.as_deref() == Some(v.as_str()) {
                        consider(Grant::Direct { limited: false });
                    } else if same_identity(v, arn) {
                        consider(Grant::Direct {
                            limited: *kind == AwsPrincipalKind::Role,
                        });
                    }
                }
                ("AWS", _) if v == "*" => consider(Grant::Direct { limited: false }),
                ("Service", Caller::Service { name }) if v.eq_ignore_ascii_case(name) => {
                    consider(Grant::Direct { limited: false });
                }
                ("Federated", Caller::Federated { provider }) if v == provider => {
                    consider(Grant::Direct { limited: false });
                }
                ("CanonicalUser", Caller::CanonicalUser { id }) if v == id => {
                    consider(Grant::Direct { limited: false });
                }
                _ => {}
            }
        }
    }
    best
}

/// One request: an action on a resource, with context keys. A key may carry several values
/// (multivalued keys such as `aws:TagKeys`). Key names are case-insensitive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The action, e.g. `s3:GetObject` (case-insensitive).
    pub action: String,
    /// The resource ARN, or `*`.
    pub resource: String,
    /// Context keys to their values.
    #[serde(default)]
    pub context: BTreeMap<String, Vec<String>>,
}

impl Request {
    /// A request without context keys.
    pub fn new(action: impl Into<String>, resource: impl Into<String>) -> Self {
        Self {
            action: action.into(),
            resource: resource.into(),
            context: BTreeMap::new(),
        }
    }

    /// Adds a value to a context key (keys are stored lower-cased).
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.context
            .entry(key.to_ascii_lowercase())
            .or_default()
            .push(value.into());
        self
    }

    /// The context with lower-cased keys, borrowed when it already is.
    pub(crate) fn normalised_context(&self) -> Cow<'_, ContextValues> {
        if self
            .context
            .keys()
            .all(|k| !k.bytes().any(|b| b.is_ascii_uppercase()))
        {
            return Cow::Borrowed(&self.context);
        }
        let mut out = ContextValues::new();
        for (k, v) in &self.context {
            out.entry(k.to_ascii_lowercase())
                .or_default()
                .extend(v.iter().cloned());
        }
        Cow::Owned(out)
    }
}

/// The outcome of an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Some policy allows the request and none denies it.
    Allowed,
    /// A `Deny` statement applies.
    ExplicitDeny,
    /// Nothing allows it (or a required policy does not).
    ImplicitDeny,
}

impl Decision {
    /// `allowed`, `explicit_deny` or `implicit_deny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::ExplicitDeny => "explicit_deny",
            Self::ImplicitDeny => "implicit_deny",
        }
    }

    /// Whether the request is allowed.
    pub fn is_allowed(self) -> bool {
        self == Self::Allowed
    }
}

/// A decision with the statements that made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    /// The decision.
    pub decision: Decision,
    /// For `explicit_deny`, the matching `Deny` statements; for `allowed`, the `Allow`
    /// statements that together grant the request; empty for `implicit_deny`.
    pub deciding: Vec<StatementRef>,
    /// `Allow` statements that matched but were not enough (e.g. an identity allow the
    /// permissions boundary does not confirm).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub insufficient: Vec<StatementRef>,
    /// Why, in words.
    pub reasons: Vec<Cow<'static, str>>,
}

/// A resource-based policy attached to one resource.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourcePolicy {
    /// The resource ARN the policy is attached to.
    pub resource: String,
    /// The compiled policy.
    pub policy: CompiledPolicy,
    /// Whether the policy must allow the caller for any access (role trust policies and
    /// KMS key policies).
    pub must_allow: bool,
}

/// Every policy that bears on one principal's requests.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicySet {
    /// Who makes the requests (needed to read resource-based policies).
    pub caller: Option<Caller>,
    /// Identity-based policies: inline, attached managed and, for users, group policies.
    pub identity: Vec<CompiledPolicy>,
    /// The permissions boundary, if the principal has one.
    pub boundary: Option<CompiledPolicy>,
    /// Resource-based policies by resource.
    pub resource_policies: Vec<ResourcePolicy>,
    /// Context keys AWS fills in for this principal (`aws:PrincipalArn`,
    /// `aws:PrincipalTag/...`, `aws:username`, ...), lower-cased.
    pub principal_context: BTreeMap<String, Vec<String>>,
    /// Problems met while gathering the policies (missing managed policies, invalid
    /// statements), sorted.
    pub warnings: Vec<String>,
}

/// Why a policy set could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownPrincipal(pub String);

impl std::fmt::Display for UnknownPrincipal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "principal `{}` is not an IAM role or user in the snapshot",
            self.0
        )
    }
}

impl std::error::Error for UnknownPrincipal {}

fn compile_into(
    out: &mut Vec<CompiledPolicy>,
    warnings: &mut Vec<String>,
    source: PolicySource,
    document: &PolicyDocument,
) {
    let (policy, errors) = CompiledPolicy::compile_lenient(source, document, DocumentUse::Identity);
    for e in errors {
        warnings.push(format!("{}: {e}; statement ignored", policy.source));
    }
    out.push(policy);
}

fn managed(
    inventory: &Inventory,
    arn: &str,
    kind: PolicyKind,
    owner: Option<String>,
    out: &mut Vec<CompiledPolicy>,
    warnings: &mut Vec<String>,
) {
    let source = PolicySource::new(kind, arn, owner);
    match inventory
        .policy_by_arn(arn)
        .and_then(|p| p.default_document())
    {
        Some(doc) => compile_into(out, warnings, source, doc),
        None => warnings.push(format!(
            "{source} is attached but not in the snapshot; its permissions are not counted"
        )),
    }
}

fn tag_context(ctx: &mut BTreeMap<String, Vec<String>>, tags: &[emrguard_model::aws::Tag]) {
    for t in tags {
        ctx.insert(
            format!("aws:principaltag/{}", t.key.to_ascii_lowercase()),
            vec![t.value.clone()],
        );
    }
}

impl PolicySet {
    /// A set of identity-based policies without a known principal (like
    /// `aws iam simulate-custom-policy`).
    pub fn from_policies(identity: Vec<CompiledPolicy>) -> Self {
        Self {
            identity,
            ..Self::default()
        }
    }

    /// The policies of an IAM role: inline, attached managed, permissions boundary.
    pub fn for_role(inventory: &Inventory, role: &IamRole) -> Self {
        let mut set = Self::default();
        let mut warnings = Vec::new();
        for p in &role.role_policy_list {
            compile_into(
                &mut set.identity,
                &mut warnings,
                PolicySource::new(PolicyKind::Inline, &p.policy_name, Some(role.arn.clone())),
                &p.policy_document,
            );
        }
        for a in &role.attached_managed_policies {
            managed(
                inventory,
                &a.policy_arn,
                PolicyKind::Managed,
                None,
                &mut set.identity,
                &mut warnings,
            );
        }
        set.boundary = boundary(inventory, role.permissions_boundary.as_ref(), &mut warnings);
        let account = role.arn.split(':').nth(4).map(str::to_owned);
        set.caller = Some(Caller::Aws {
            arn: role.arn.clone(),
            session_arn: None,
            account: account.clone(),
            kind: AwsPrincipalKind::Role,
        });
        let ctx = &mut set.principal_context;
        ctx.insert("aws:principalarn".into(), vec![role.arn.clone()]);
        if let Some(a) = account {
            ctx.insert("aws:principalaccount".into(), vec![a]);
        }
        ctx.insert("aws:principaltype".into(), vec!["AssumedRole".into()]);
        tag_context(ctx, &role.tags);
        warnings.sort();
        set.warnings = warnings;
        set
    }

    /// The policies of an IAM user: inline, attached managed, its groups' inline and
    /// managed policies, permissions boundary.
    pub fn for_user(inventory: &Inventory, user: &IamUser) -> Self {
        let mut set = Self::default();
        let mut warnings = Vec::new();
        for p in &user.user_policy_list {
            compile_into(
                &mut set.identity,
                &mut warnings,
                PolicySource::new(PolicyKind::Inline, &p.policy_name, Some(user.arn.clone())),
                &p.policy_document,
            );
        }
        for a in &user.attached_managed_policies {
            managed(
                inventory,
                &a.policy_arn,
                PolicyKind::Managed,
                None,
                &mut set.identity,
                &mut warnings,
            );
        }
        for group_name in &user.group_list {
            let Some(group) = inventory.group_by_name(group_name) else {
                warnings.push(format!(
                    "group `{group_name}` of `{}` is not in the snapshot; its policies are not counted",
                    user.arn
                ));
                continue;
            };
            for p in &group.group_policy_list {
                compile_into(
                    &mut set.identity,
                    &mut warnings,
                    PolicySource::new(
                        PolicyKind::GroupInline,
                        &p.policy_name,
                        Some(group.group_name.clone()),
                    ),
                    &p.policy_document,
                );
            }
            for a in &group.attached_managed_policies {
                managed(
                    inventory,
                    &a.policy_arn,
                    PolicyKind::GroupManaged,
                    Some(group.group_name.clone()),
                    &mut set.identity,
                    &mut warnings,
                );
            }
        }
        set.boundary = boundary(inventory, user.permissions_boundary.as_ref(), &mut warnings);
        let account = user.arn.split(':').nth(4).map(str::to_owned);
        set.caller = Some(Caller::Aws {
            arn: user.arn.clone(),
            session_arn: None,
            account: account.clone(),
            kind: AwsPrincipalKind::User,
        });
        let ctx = &mut set.principal_context;
        ctx.insert("aws:principalarn".into(), vec![user.arn.clone()]);
        ctx.insert("aws:username".into(), vec![user.user_name.clone()]);
        if let Some(id) = &user.user_id {
            ctx.insert("aws:userid".into(), vec![id.clone()]);
        }
        if let Some(a) = account {
            ctx.insert("aws:principalaccount".into(), vec![a]);
        }
        ctx.insert("aws:principaltype".into(), vec!["User".into()]);
        tag_context(ctx, &user.tags);
        warnings.sort();
        set.warnings = warnings;
        set
    }

    /// The policies of a principal named by ARN: a role (with or without path), a role
    /// session (`arn:aws:sts::...:assumed-role/NAME/SESSION`) or a user.
    ///
    /// # Errors
    /// [`UnknownPrincipal`] when the snapshot has no such role or user.
    pub fn for_principal_arn(inventory: &Inventory, arn: &str) -> Result<Self, UnknownPrincipal> {
        let caller = Caller::from_arn(arn);
        if let Caller::Aws {
            arn: identity,
            session_arn,
            kind: AwsPrincipalKind::Role,
            ..
        } = &caller
        {
            if let Some(role) = inventory.role_by_arn(identity) {
                let mut set = Self::for_role(inventory, role);
                if let Some(Caller::Aws { session_arn: s, .. }) = &mut set.caller {
                    s.clone_from(session_arn);
                }
                return Ok(set);
            }
        }
        if let Some(user) = inventory.user_by_arn(arn) {
            return Ok(Self::for_user(inventory, user));
        }
        if let Some(user) = inventory
            .iam_users
            .iter()
            .find(|u| same_identity(arn, &u.arn))
        {
            return Ok(Self::for_user(inventory, user));
        }
        Err(UnknownPrincipal(arn.to_owned()))
    }

    /// Adds a role's trust policy as the resource-based policy of the role.
    pub fn add_trust_policy(&mut self, role: &IamRole) {
        let Some(doc) = &role.assume_role_policy_document else {
            return;
        };
        let source = PolicySource::new(PolicyKind::Trust, &role.arn, None);
        let (policy, errors) =
            CompiledPolicy::compile_lenient(source, doc, DocumentUse::ResourceBased);
        for e in errors {
            self.warnings
                .push(format!("{}: {e}; statement ignored", policy.source));
        }
        self.resource_policies.push(ResourcePolicy {
            resource: role.arn.clone(),
            policy,
            must_allow: true,
        });
    }

    /// Adds the resource-based policies the snapshot holds for `resource` (today: the trust
    /// policy when `resource` is a role).
    pub fn add_resource_policies_for(&mut self, inventory: &Inventory, resource: &str) {
        if let Some(role) = inventory.role_by_arn(resource) {
            if !self
                .resource_policies
                .iter()
                .any(|r| r.resource == role.arn)
            {
                self.add_trust_policy(role);
            }
        }
    }

    /// The statement a reference names, as written.
    pub fn statement(
        &self,
        reference: &StatementRef,
    ) -> Option<&emrguard_model::policy::Statement> {
        self.identity
            .iter()
            .chain(self.boundary.iter())
            .chain(self.resource_policies.iter().map(|r| &r.policy))
            .filter(|p| p.source == reference.policy)
            .flat_map(|p| p.statements.iter())
            .find(|s| s.reference.index == reference.index)
            .map(|s| &s.statement)
    }

    /// Whether the principal has a permissions boundary.
    pub fn has_boundary(&self) -> bool {
        self.boundary.is_some()
    }

    /// Evaluates a request. See the module documentation for the logic.
    pub fn evaluate(&self, request: &Request) -> Evaluation {
        evaluate(self, request)
    }
}

fn boundary(
    inventory: &Inventory,
    pb: Option<&emrguard_model::aws::PermissionsBoundary>,
    warnings: &mut Vec<String>,
) -> Option<CompiledPolicy> {
    let pb = pb.filter(|b| !b.permissions_boundary_arn.is_empty())?;
    let arn = &pb.permissions_boundary_arn;
    let source = PolicySource::new(PolicyKind::Boundary, arn, None);
    match inventory
        .policy_by_arn(arn)
        .and_then(|p| p.default_document())
    {
        Some(doc) => {
            let (policy, errors) =
                CompiledPolicy::compile_lenient(source, doc, DocumentUse::Identity);
            for e in errors {
                warnings.push(format!("{}: {e}; statement ignored", policy.source));
            }
            Some(policy)
        }
        None => {
            warnings.push(format!(
                "{source} is not in the snapshot; evaluated as if there were no boundary"
            ));
            None
        }
    }
}

fn resource_applies(policy_resource: &str, request_resource: &str) -> bool {
    policy_resource == request_resource || same_identity(policy_resource, request_resource)
}

fn cloned(list: &[&StatementRef]) -> Vec<StatementRef> {
    let mut out: Vec<StatementRef> = list.iter().map(|r| (*r).clone()).collect();
    out.sort();
    out.dedup();
    out
}

/// Evaluates a request against a policy set. See the module documentation.
pub fn evaluate(set: &PolicySet, request: &Request) -> Evaluation {
    let context = request.normalised_context();
    let context: &ContextValues = &context;
    // Lower-case the action on the stack when it is short ASCII (nearly always).
    let mut buf = [0u8; 128];
    let heap;
    let action: &str = match buf.get_mut(..request.action.len()) {
        Some(slot) if request.action.is_ascii() => {
            for (d, c) in slot.iter_mut().zip(request.action.bytes()) {
                *d = c.to_ascii_lowercase();
            }
            std::str::from_utf8(slot).unwrap_or_default()
        }
        _ => {
            heap = request.action.to_ascii_lowercase();
            &heap
        }
    };
    let resource = request.resource.as_str();

    let mut denies: Vec<&StatementRef> = Vec::new();
    let mut identity_allows: Vec<&StatementRef> = Vec::new();
    for policy in &set.identity {
        for st in &policy.statements {
            if st.applies(action, resource, context) {
                match st.reference.effect {
                    Effect::Deny => denies.push(&st.reference),
                    Effect::Allow => identity_allows.push(&st.reference),
                }
            }
        }
    }
    let mut boundary_allows: Vec<&StatementRef> = Vec::new();
    if let Some(b) = &set.boundary {
        for st in &b.statements {
            if st.applies(action, resource, context) {
                match st.reference.effect {
                    Effect::Deny => denies.push(&st.reference),
                    Effect::Allow => boundary_allows.push(&st.reference),
                }
            }
        }
    }
    let mut required_policy = false;
    let mut direct: Vec<(&StatementRef, bool)> = Vec::new();
    let mut via_account: Vec<&StatementRef> = Vec::new();
    for rp in &set.resource_policies {
        if !resource_applies(&rp.resource, resource) {
            continue;
        }
        required_policy |= rp.must_allow;
        for st in &rp.policy.statements {
            let Some(pl) = &st.principals else { continue };
            let grant = match &set.caller {
                Some(caller) => principal_grant(&pl.principal, caller),
                None => Grant::No,
            };
            let covered = if pl.negated {
                // NotPrincipal + Deny always covers a principal with a boundary.
                let boundary_quirk = st.reference.effect == Effect::Deny && set.boundary.is_some();
                if boundary_quirk || grant == Grant::No {
                    Grant::Direct { limited: false }
                } else {
                    Grant::No
                }
            } else {
                grant
            };
            if covered == Grant::No || !st.applies(action, resource, context) {
                continue;
            }
            match (st.reference.effect, covered) {
                (Effect::Deny, _) => denies.push(&st.reference),
                (Effect::Allow, Grant::Account) => via_account.push(&st.reference),
                (Effect::Allow, Grant::Direct { limited }) => direct.push((&st.reference, limited)),
                (Effect::Allow, Grant::No) => {}
            }
        }
    }

    if !denies.is_empty() {
        return Evaluation {
            decision: Decision::ExplicitDeny,
            deciding: cloned(&denies),
            insufficient: Vec::new(),
            reasons: vec![Cow::Borrowed(
                "an applicable Deny statement overrides every Allow",
            )],
        };
    }

    let boundary_ok = set.boundary.is_none() || !boundary_allows.is_empty();
    let mut deciding: Vec<&StatementRef> = Vec::new();
    let mut reason: Option<&'static str> = None;

    // A direct resource-based grant.
    let has_unlimited = direct.iter().any(|(_, l)| !l);
    let has_limited = direct.iter().any(|(_, l)| *l);
    if required_policy {
        if !direct.is_empty() && boundary_ok {
            deciding.extend(direct.iter().map(|(r, _)| *r));
            deciding.extend(boundary_allows.iter().copied());
            reason = Some("the trust policy names the caller and no boundary limits it");
        }
    } else if has_unlimited {
        deciding.extend(direct.iter().filter(|(_, l)| !l).map(|(r, _)| *r));
        reason = Some("a resource-based policy grants it to the caller directly");
    } else if has_limited && boundary_ok {
        deciding.extend(direct.iter().map(|(r, _)| *r));
        deciding.extend(boundary_allows.iter().copied());
        reason = Some("a resource-based policy grants it to the role");
    }
    if reason.is_none() {
        let resource_side_ok = !required_policy || !via_account.is_empty();
        if !identity_allows.is_empty() && boundary_ok && resource_side_ok {
            deciding.extend(identity_allows.iter().copied());
            deciding.extend(via_account.iter().copied());
            deciding.extend(boundary_allows.iter().copied());
            reason = Some(if via_account.is_empty() {
                "an identity-based policy allows it"
            } else {
                "an identity-based policy allows it and the trust policy trusts the account"
            });
        }
    }
    if let Some(reason) = reason {
        return Evaluation {
            decision: Decision::Allowed,
            deciding: cloned(&deciding),
            insufficient: Vec::new(),
            reasons: vec![Cow::Borrowed(reason)],
        };
    }

    let mut insufficient: Vec<&StatementRef> = identity_allows.clone();
    insufficient.extend(direct.iter().map(|(r, _)| *r));
    insufficient.extend(via_account.iter().copied());
    let mut reasons: Vec<Cow<'static, str>> = Vec::new();
    if identity_allows.is_empty() && direct.is_empty() && via_account.is_empty() && !required_policy
    {
        reasons.push(Cow::Borrowed("no statement allows it"));
    }
    if !boundary_ok && (!identity_allows.is_empty() || !direct.is_empty()) {
        reasons.push(Cow::Borrowed("the permissions boundary does not allow it"));
    }
    if required_policy && direct.is_empty() && via_account.is_empty() {
        reasons.push(Cow::Borrowed(
            "the role's trust policy does not allow the caller",
        ));
    }
    if required_policy && !via_account.is_empty() && identity_allows.is_empty() {
        reasons.push(Cow::Borrowed(
            "the trust policy trusts the caller's account, but no identity-based policy of the caller allows it",
        ));
    }
    Evaluation {
        decision: Decision::ImplicitDeny,
        deciding: Vec::new(),
        insufficient: cloned(&insufficient),
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callers_from_arns() {
        assert_eq!(
            Caller::from_arn("arn:aws:sts::111122223333:assumed-role/dev/alice"),
            Caller::Aws {
                arn: "arn:aws:iam::111122223333:role/dev".into(),
                session_arn: Some("arn:aws:sts::111122223333:assumed-role/dev/alice".into()),
                account: Some("111122223333".into()),
                kind: AwsPrincipalKind::Role,
            }
        );
        assert!(matches!(
            Caller::from_arn("arn:aws:iam::111122223333:user/a/b"),
            Caller::Aws {
                kind: AwsPrincipalKind::User,
                ..
            }
        ));
        assert_eq!(
            account_principal("arn:aws:iam::111122223333:root"),
            Some("111122223333")
        );
        assert_eq!(account_principal("111122223333"), Some("111122223333"));
        assert_eq!(account_principal("arn:aws:iam::111122223333:user/x"), None);
    }

    #[test]
    fn principal_grants() {
        let role = Caller::from_arn("arn:aws:iam::111122223333:role/team/dev");
        let p = |json: &str| serde_json::from_str::<Principal>(json).unwrap();
        assert_eq!(
            principal_grant(&p(r#"{"AWS":"111122223333"}"#), &role),
            Grant::Account
        );
        assert_eq!(
            principal_grant(&p(r#"{"AWS":"arn:aws:iam::111122223333:role/dev"}"#), &role),
            Grant::Direct { limited: true }
        );
        assert_eq!(
            principal_grant(&p(r#"{"AWS":"arn:aws:iam::999999999999:root"}"#), &role),
            Grant::No
        );
        assert_eq!(
            principal_grant(&p(r#""*""#), &role),
            Grant::Direct { limited: false }
        );
        let svc = Caller::Service {
            name: "pods.eks.amazonaws.com".into(),
        };
        assert_eq!(
            principal_grant(
                &p(r#"{"Service":["ec2.amazonaws.com","pods.eks.amazonaws.com"]}"#),
                &svc
            ),
            Grant::Direct { limited: false }
        );
        assert_eq!(
            principal_grant(&p(r#"{"AWS":"111122223333"}"#), &svc),
            Grant::No
        );
    }
}
