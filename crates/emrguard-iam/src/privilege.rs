//! Effective permissions, privilege classes and privilege tiers.
//!
//! The effective permission set of a principal is computed per `Allow` statement of its
//! identity policies: the catalog actions the statement grants (its `Action` patterns
//! expanded against the [`Catalog`], or the complement for `NotAction`), minus actions an
//! unconditional `Deny` on all resources removes, intersected with what the permissions
//! boundary allows. A grant is on "all resources" when a `Resource` pattern leaves the
//! resource name open (`*`, `arn:aws:s3:::*`, `arn:aws:iam::*:role/*`) or it uses
//! `NotResource`. Conditional grants are counted (a condition may be satisfiable) and marked.
//!
//! Privilege classes:
//! - **full admin**: every catalog action on all resources, unconditionally;
//! - **privilege escalation**: a known combination of actions, from Rhino Security Labs'
//!   "AWS IAM Privilege Escalation – Methods and Mitigation" (as encoded by cloudsplaining and
//!   pmapper), additions published on pathfinding.cloud, and the EMR on EKS / EKS paths
//!   (`iam:PassRole` with `emr-containers:StartJobRun` or
//!   `eks:CreatePodIdentityAssociation`); `sts:AssumeRole` counts only on all resources;
//! - **resource exposure**: "Permissions management" actions (policy and ACL writes) on all
//!   resources;
//! - **infrastructure change**: "Write" actions of infrastructure services on all resources;
//! - **data write** / **data read**: object, item, secret and parameter writes or reads
//!   (and `kms:Decrypt`) on all resources.
//!
//! The [`Tier`] orders principals by the worst class they hold.

use std::collections::BTreeMap;

use emrguard_model::hash::HashMap;

use emrguard_model::aws::{CloudTrailEvent, IamRole};
use emrguard_model::inventory::normalise_principal_arn;
use emrguard_model::policy::{Effect, PolicyDocument, Statement};
use emrguard_model::Inventory;
use serde::Serialize;

use crate::catalog::{AccessLevel, ActionSet, Catalog};
use crate::compile::{CompiledPolicy, CompiledStatement, StatementRef};
use crate::eval::PolicySet;

/// Whether a resource pattern leaves the resource name open, i.e. covers every resource of
/// its type: `*`, `arn:aws:s3:::*`, `arn:aws:s3:::*/*`, `arn:aws:iam::*:role/*`,
/// `arn:aws:kms:*:*:key/*`. A named prefix (`arn:aws:s3:::bucket/*`, `role/app-*`) is not.
pub fn is_all_resources(pattern: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let parts: Vec<&str> = pattern.splitn(6, ':').collect();
    let [_, _, service, _, _, resource] = parts.as_slice() else {
        return false;
    };
    if resource.starts_with(['*', '?']) {
        return true;
    }
    if *service == "s3" {
        return false;
    }
    // Strip a resource-type word (`role/`, `key/`, `table/`, `secret:`, `parameter/`).
    let type_end = resource.find(['/', ':']);
    match type_end {
        Some(end) => {
            let (ty, rest) = resource.split_at(end);
            let plain_type = !ty.is_empty()
                && ty
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            plain_type && rest.get(1..).is_some_and(|r| r.starts_with(['*', '?']))
        }
        None => false,
    }
}

/// One `Allow` statement's contribution to the effective permissions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PermissionGrant {
    /// The statement.
    pub statement: StatementRef,
    /// Catalog actions granted, after denies and the boundary.
    #[serde(skip)]
    pub actions: ActionSet,
    /// Whether the grant covers all resources of the actions' types.
    pub all_resources: bool,
    /// Whether the statement has a condition.
    pub conditional: bool,
    /// `Resource` values as written (`NotResource` values prefixed with `not `).
    pub resources: Vec<String>,
}

/// Access to one service, for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceAccess {
    /// Service prefix.
    pub service: String,
    /// Actions the service has in the catalog.
    pub total: usize,
    /// Actions granted.
    pub granted: usize,
    /// Granted actions per access level.
    pub by_level: BTreeMap<AccessLevel, usize>,
    /// Actions granted on all resources.
    pub on_all_resources: usize,
}

/// A principal's effective permissions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EffectivePermissions {
    /// One entry per `Allow` statement that still grants something.
    pub grants: Vec<PermissionGrant>,
    #[serde(skip)]
    allowed: ActionSet,
    #[serde(skip)]
    allowed_everywhere: ActionSet,
    /// Actions removed by unconditional denies on all resources.
    #[serde(skip)]
    pub denied: ActionSet,
}

/// Expands action patterns against the catalog, remembering results across principals.
#[derive(Debug, Default)]
pub struct ActionExpander {
    cache: HashMap<String, ActionSet>,
}

impl ActionExpander {
    /// A fresh expander.
    pub fn new() -> Self {
        Self::default()
    }

    fn pattern(&mut self, pattern: &str) -> &ActionSet {
        let key = pattern.to_ascii_lowercase();
        self.cache
            .entry(key)
            .or_insert_with_key(|k| Catalog::get().expand_set(k))
    }

    /// The catalog actions a statement's `Action` / `NotAction` covers.
    pub fn statement_actions(&mut self, statement: &Statement) -> ActionSet {
        let mut set = ActionSet::empty(Catalog::get().len());
        self.statement_actions_into(statement, &mut set);
        set
    }

    /// [`Self::statement_actions`] into a set the caller reuses (its contents are replaced).
    pub fn statement_actions_into(&mut self, statement: &Statement, set: &mut ActionSet) {
        set.clear();
        let (patterns, negated) = match (&statement.action, &statement.not_action) {
            (Some(a), _) => (a, false),
            (None, Some(a)) => (a, true),
            (None, None) => return,
        };
        for p in patterns {
            set.union_with(self.pattern(p));
        }
        if negated {
            set.invert();
        }
    }
}

fn statement_all_resources(st: &Statement) -> bool {
    st.not_resource.is_some()
        || st
            .resource
            .as_ref()
            .is_some_and(|r| r.iter().any(|p| is_all_resources(p)))
}

fn written_resources(st: &Statement) -> Vec<String> {
    match (&st.resource, &st.not_resource) {
        (Some(r), _) => r.clone(),
        (None, Some(r)) => r.iter().map(|x| format!("not {x}")).collect(),
        (None, None) => vec!["*".into()],
    }
}

impl EffectivePermissions {
    /// Computes the effective permissions of a policy set's identity policies.
    pub fn of(set: &PolicySet, expander: &mut ActionExpander) -> Self {
        let catalog = Catalog::get();
        let n = catalog.len();
        // One scratch set for every statement: a catalog-wide set is a few KB, and a principal
        // has many statements, most of which keep nothing.
        let mut scratch = ActionSet::empty(n);
        let mut denied = ActionSet::empty(n);
        let statements = || set.identity.iter().flat_map(CompiledPolicy::statements);
        for st in statements() {
            let raw = st.statement();
            if raw.effect == Effect::Deny && !st.is_conditional() && statement_all_resources(raw) {
                expander.statement_actions_into(raw, &mut scratch);
                denied.union_with(&scratch);
            }
        }
        let mut ceiling: Option<ActionSet> = None;
        if let Some(b) = &set.boundary {
            let mut allowed = ActionSet::empty(n);
            let mut boundary_denied = ActionSet::empty(n);
            for st in b.statements() {
                let raw = st.statement();
                match raw.effect {
                    Effect::Allow => {
                        expander.statement_actions_into(raw, &mut scratch);
                        allowed.union_with(&scratch);
                    }
                    Effect::Deny if !st.is_conditional() && statement_all_resources(raw) => {
                        expander.statement_actions_into(raw, &mut scratch);
                        boundary_denied.union_with(&scratch);
                    }
                    Effect::Deny => {}
                }
            }
            allowed.subtract(&boundary_denied);
            ceiling = Some(allowed);
        }
        let mut grants = Vec::new();
        let mut allowed = ActionSet::empty(n);
        let mut allowed_everywhere = ActionSet::empty(n);
        for st in statements() {
            let raw = st.statement();
            if raw.effect != Effect::Allow {
                continue;
            }
            expander.statement_actions_into(raw, &mut scratch);
            scratch.subtract(&denied);
            if let Some(c) = &ceiling {
                scratch.intersect_with(c);
            }
            if scratch.is_empty() {
                continue;
            }
            let all_resources = statement_all_resources(raw);
            allowed.union_with(&scratch);
            if all_resources {
                allowed_everywhere.union_with(&scratch);
            }
            grants.push(PermissionGrant {
                statement: st.reference().clone(),
                actions: scratch.clone(),
                all_resources,
                conditional: st.is_conditional(),
                resources: written_resources(raw),
            });
        }
        Self {
            grants,
            allowed,
            allowed_everywhere,
            denied,
        }
    }

    /// Every catalog action granted on some resource.
    pub fn allowed(&self) -> &ActionSet {
        &self.allowed
    }

    /// Every catalog action granted on all resources.
    pub fn allowed_on_all_resources(&self) -> &ActionSet {
        &self.allowed_everywhere
    }

    /// Whether an action (case-insensitive) is granted on some resource.
    pub fn allows(&self, action: &str) -> bool {
        Catalog::get()
            .index_of(action)
            .is_some_and(|i| self.allowed.contains(i))
    }

    /// The grants that give an action.
    pub fn grants_for(&self, action: &str) -> Vec<&PermissionGrant> {
        let Some(i) = Catalog::get().index_of(action) else {
            return Vec::new();
        };
        self.grants
            .iter()
            .filter(|g| g.actions.contains(i))
            .collect()
    }

    /// Granted action names (`service:Action`), sorted.
    pub fn action_names(&self) -> Vec<&'static str> {
        let catalog = Catalog::get();
        let mut names: Vec<&'static str> = self
            .allowed
            .iter()
            .filter_map(|i| catalog.action(i))
            .map(|a| a.full_name())
            .collect();
        names.sort_unstable();
        names
    }

    /// Per-service access, sorted by service.
    pub fn by_service(&self) -> Vec<ServiceAccess> {
        let catalog = Catalog::get();
        let mut out = Vec::new();
        for svc in catalog.services() {
            let mut granted = 0;
            let mut everywhere = 0;
            let mut by_level = BTreeMap::new();
            for i in svc.range.clone() {
                if self.allowed.contains(i) {
                    granted += 1;
                    if self.allowed_everywhere.contains(i) {
                        everywhere += 1;
                    }
                    if let Some(a) = catalog.action(i) {
                        *by_level.entry(a.access_level()).or_insert(0) += 1;
                    }
                }
            }
            if granted > 0 {
                out.push(ServiceAccess {
                    service: svc.prefix.to_owned(),
                    total: svc.range.len(),
                    granted,
                    by_level,
                    on_all_resources: everywhere,
                });
            }
        }
        out
    }
}

/// A kind of privilege.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PrivilegeKind {
    /// Reads data on all resources.
    DataRead,
    /// Writes data on all resources.
    DataWrite,
    /// Changes infrastructure on all resources.
    InfraChange,
    /// Writes resource policies or ACLs on all resources.
    ResourceExposure,
    /// Can grant itself more privileges.
    PrivilegeEscalation,
    /// Every action on every resource.
    FullAdmin,
}

/// One privilege class a principal holds, with the statements that cause it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrivilegeClass {
    /// The kind.
    pub kind: PrivilegeKind,
    /// For escalation: the method name; otherwise a short description.
    pub detail: String,
    /// The actions involved (`service:Action`, names from the static catalog), sorted;
    /// `["*"]` for full admin.
    pub actions: Vec<&'static str>,
    /// The statements that grant them, sorted.
    pub statements: Vec<StatementRef>,
    /// Whether every contributing statement is conditional.
    pub conditional: bool,
}

/// A total order of principals by privilege. Each tier is defined by the worst class held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tier {
    /// No effective permission.
    None,
    /// Only List/Read actions, or reads of data on named resources.
    ReadOnly,
    /// Writes on named resources, or writes of non-data, non-infrastructure kinds
    /// (e.g. `logs:PutLogEvents`) anywhere.
    LimitedWrite,
    /// Reads data on all resources.
    DataRead,
    /// Writes data on all resources.
    DataWrite,
    /// Changes infrastructure on all resources.
    InfraChange,
    /// Writes resource policies or ACLs on all resources.
    ResourceExposure,
    /// Can escalate its own privileges.
    PrivilegeEscalation,
    /// Administrator.
    Admin,
}

impl Tier {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::ReadOnly => "read-only",
            Self::LimitedWrite => "limited-write",
            Self::DataRead => "data-read",
            Self::DataWrite => "data-write",
            Self::InfraChange => "infra-change",
            Self::ResourceExposure => "resource-exposure",
            Self::PrivilegeEscalation => "privilege-escalation",
            Self::Admin => "admin",
        }
    }
}

/// A known privilege-escalation method: all of `actions` must be granted.
#[derive(Debug, Clone, Copy)]
pub struct EscalationMethod {
    /// Name (cloudsplaining / pathfinding.cloud naming where one exists).
    pub name: &'static str,
    /// Required actions.
    pub actions: &'static [&'static str],
    /// Whether the actions must be granted on all resources to count.
    pub all_resources_only: bool,
}

const fn m(name: &'static str, actions: &'static [&'static str]) -> EscalationMethod {
    EscalationMethod {
        name,
        actions,
        all_resources_only: false,
    }
}

/// Privilege-escalation methods. The first 21 are Rhino Security Labs' list; the rest are
/// later published paths and the EKS / EMR on EKS ones.
pub const ESCALATION_METHODS: &[EscalationMethod] = &[
    m("CreateNewPolicyVersion", &["iam:CreatePolicyVersion"]),
    m(
        "SetExistingDefaultPolicyVersion",
        &["iam:SetDefaultPolicyVersion"],
    ),
    m(
        "CreateEC2WithExistingInstanceProfile",
        &["iam:PassRole", "ec2:RunInstances"],
    ),
    m("CreateAccessKey", &["iam:CreateAccessKey"]),
    m("CreateLoginProfile", &["iam:CreateLoginProfile"]),
    m("UpdateLoginProfile", &["iam:UpdateLoginProfile"]),
    m("AttachUserPolicy", &["iam:AttachUserPolicy"]),
    m("AttachGroupPolicy", &["iam:AttachGroupPolicy"]),
    m("AttachRolePolicy", &["iam:AttachRolePolicy"]),
    m("PutUserPolicy", &["iam:PutUserPolicy"]),
    m("PutGroupPolicy", &["iam:PutGroupPolicy"]),
    m("PutRolePolicy", &["iam:PutRolePolicy"]),
    m("AddUserToGroup", &["iam:AddUserToGroup"]),
    m(
        "UpdateRolePolicyToAssumeIt",
        &["iam:UpdateAssumeRolePolicy"],
    ),
    m(
        "PassExistingRoleToNewLambdaThenInvoke",
        &[
            "iam:PassRole",
            "lambda:CreateFunction",
            "lambda:InvokeFunction",
        ],
    ),
    m(
        "PassExistingRoleToNewLambdaThenTriggerWithEventSource",
        &[
            "iam:PassRole",
            "lambda:CreateFunction",
            "lambda:CreateEventSourceMapping",
        ],
    ),
    m(
        "EditExistingLambdaFunctionWithRole",
        &["lambda:UpdateFunctionCode"],
    ),
    m(
        "PassExistingRoleToNewGlueDevEndpoint",
        &["iam:PassRole", "glue:CreateDevEndpoint"],
    ),
    m("UpdateExistingGlueDevEndpoint", &["glue:UpdateDevEndpoint"]),
    m(
        "PassExistingRoleToCloudFormation",
        &["iam:PassRole", "cloudformation:CreateStack"],
    ),
    m(
        "PassExistingRoleToNewDataPipeline",
        &[
            "iam:PassRole",
            "datapipeline:CreatePipeline",
            "datapipeline:PutPipelineDefinition",
        ],
    ),
    EscalationMethod {
        name: "AssumeAnyRole",
        actions: &["sts:AssumeRole"],
        all_resources_only: true,
    },
    m(
        "UpdateLambdaFunctionConfiguration",
        &["lambda:UpdateFunctionConfiguration"],
    ),
    m(
        "PassExistingRoleToNewSageMakerNotebookInstance",
        &["iam:PassRole", "sagemaker:CreateNotebookInstance"],
    ),
    m(
        "CreatePresignedSageMakerNotebookUrl",
        &["sagemaker:CreatePresignedNotebookInstanceUrl"],
    ),
    m(
        "PassExistingRoleToNewCodeBuildProjectThenBuild",
        &[
            "iam:PassRole",
            "codebuild:CreateProject",
            "codebuild:StartBuild",
        ],
    ),
    m(
        "PassExistingRoleToNewECSTaskViaRunTask",
        &["iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:RunTask"],
    ),
    m(
        "PassExistingRoleToNewGlueJobThenRun",
        &["iam:PassRole", "glue:CreateJob", "glue:StartJobRun"],
    ),
    m(
        "PassExistingRoleToNewEC2SpotInstance",
        &["iam:PassRole", "ec2:RequestSpotInstances"],
    ),
    m(
        "PassExistingRoleToNewCodeStarProject",
        &["iam:PassRole", "codestar:CreateProject"],
    ),
    m(
        "EC2InstanceConnectSendSSHPublicKey",
        &["ec2-instance-connect:SendSSHPublicKey"],
    ),
    m("SSMSendCommandToInstance", &["ssm:SendCommand"]),
    m("SSMStartSessionOnInstance", &["ssm:StartSession"]),
    m(
        "PassExistingRoleToNewEmrOnEksJob",
        &["iam:PassRole", "emr-containers:StartJobRun"],
    ),
    m(
        "PassExistingRoleToNewEmrOnEksEndpoint",
        &["iam:PassRole", "emr-containers:CreateManagedEndpoint"],
    ),
    m(
        "GetEmrOnEksEndpointSessionCredentials",
        &["emr-containers:GetManagedEndpointSessionCredentials"],
    ),
    m(
        "PassExistingRoleToNewPodIdentityAssociation",
        &["iam:PassRole", "eks:CreatePodIdentityAssociation"],
    ),
];

/// Actions that read data; on all resources they make the data-read class.
pub const DATA_READ_ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:GetObjectVersion",
    "kms:Decrypt",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
];

/// Actions that write data; on all resources they make the data-write class.
pub const DATA_WRITE_ACTIONS: &[&str] = &[
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "secretsmanager:PutSecretValue",
    "ssm:PutParameter",
];

/// Services whose "Write" actions count as infrastructure change.
pub const INFRA_SERVICES: &[&str] = &[
    "autoscaling",
    "cloudformation",
    "cloudtrail",
    "config",
    "ec2",
    "ecr",
    "ecs",
    "eks",
    "elasticloadbalancing",
    "elasticmapreduce",
    "emr-containers",
    "guardduty",
    "iam",
    "kms",
    "lambda",
    "organizations",
    "rds",
    "route53",
    "s3",
];

/// The privilege classes and tier of a principal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrivilegeSummary {
    /// Classes held, sorted by kind (worst last) and detail.
    pub classes: Vec<PrivilegeClass>,
    /// The tier.
    pub tier: Tier,
    /// The effective permissions the classes were computed from.
    pub effective: EffectivePermissions,
    /// Problems met while gathering the policies.
    pub warnings: Vec<String>,
}

impl PrivilegeSummary {
    /// Whether a class of this kind is held.
    pub fn has(&self, kind: PrivilegeKind) -> bool {
        self.classes.iter().any(|c| c.kind == kind)
    }
}

fn indexes(actions: &[&str]) -> Vec<usize> {
    let catalog = Catalog::get();
    actions.iter().filter_map(|a| catalog.index_of(a)).collect()
}

/// Catalog-derived sets the classification needs, computed once.
struct ClassSets {
    /// Each escalation method's required action indexes (`None` when the catalog lacks one).
    methods: Vec<Option<(Vec<usize>, ActionSet)>>,
    data_read: ActionSet,
    data_write: ActionSet,
    permissions_management: ActionSet,
    infra_write: ActionSet,
    write_like: ActionSet,
}

fn class_sets() -> &'static ClassSets {
    static SETS: std::sync::OnceLock<ClassSets> = std::sync::OnceLock::new();
    SETS.get_or_init(|| {
        let catalog = Catalog::get();
        let n = catalog.len();
        let set_of = |idx: &[usize]| {
            let mut s = ActionSet::empty(n);
            for &i in idx {
                s.insert(i);
            }
            s
        };
        let methods = ESCALATION_METHODS
            .iter()
            .map(|m| {
                let idx = indexes(m.actions);
                (idx.len() == m.actions.len()).then(|| {
                    let set = set_of(&idx);
                    (idx, set)
                })
            })
            .collect();
        let data_write = set_of(&indexes(DATA_WRITE_ACTIONS));
        let mut permissions_management = ActionSet::empty(n);
        let mut infra_write = ActionSet::empty(n);
        let mut write_like = ActionSet::empty(n);
        for (i, a) in catalog.actions().iter().enumerate() {
            match a.access_level() {
                AccessLevel::PermissionsManagement => {
                    permissions_management.insert(i);
                    write_like.insert(i);
                }
                AccessLevel::Write => {
                    write_like.insert(i);
                    if INFRA_SERVICES.contains(&a.service()) && !data_write.contains(i) {
                        infra_write.insert(i);
                    }
                }
                AccessLevel::Tagging => write_like.insert(i),
                AccessLevel::List | AccessLevel::Read => {}
            }
        }
        ClassSets {
            methods,
            data_read: set_of(&indexes(DATA_READ_ACTIONS)),
            data_write,
            permissions_management,
            infra_write,
            write_like,
        }
    })
}

/// The class of `kind` held through the grants (all, or those on all resources) that give
/// an action of `wanted`. `names` says whether to list the actions: full admin lists `*`.
fn class_from(
    effective: &EffectivePermissions,
    kind: PrivilegeKind,
    detail: &str,
    wanted: &ActionSet,
    all_resources_only: bool,
    names: bool,
) -> Option<PrivilegeClass> {
    let catalog = Catalog::get();
    let grants: Vec<&PermissionGrant> = effective
        .grants
        .iter()
        .filter(|g| (!all_resources_only || g.all_resources) && g.actions.intersects(wanted))
        .collect();
    if grants.is_empty() {
        return None;
    }
    let actions = if names {
        // The union of the grants' hits, named once each.
        let mut hits = ActionSet::empty(catalog.len());
        for g in &grants {
            hits.union_with(&g.actions);
        }
        hits.intersect_with(wanted);
        catalog.sorted_names(&hits)
    } else {
        vec!["*"]
    };
    let mut statements: Vec<StatementRef> = grants.iter().map(|g| g.statement.clone()).collect();
    statements.sort();
    statements.dedup();
    Some(PrivilegeClass {
        kind,
        detail: detail.to_owned(),
        actions,
        statements,
        conditional: grants.iter().all(|g| g.conditional),
    })
}

/// Computes privilege classes and tier from effective permissions.
pub fn classify(effective: &EffectivePermissions) -> (Vec<PrivilegeClass>, Tier) {
    let catalog = Catalog::get();
    let n = catalog.len();
    let sets = class_sets();
    let mut classes = Vec::new();

    // Full admin: everything on all resources, without conditions.
    let mut unconditional_everywhere = ActionSet::empty(n);
    for g in effective
        .grants
        .iter()
        .filter(|g| g.all_resources && !g.conditional)
    {
        unconditional_everywhere.union_with(&g.actions);
    }
    if unconditional_everywhere.is_full() {
        let all = ActionSet::full(n);
        if let Some(c) = class_from(
            effective,
            PrivilegeKind::FullAdmin,
            "every action on every resource",
            &all,
            true,
            false,
        ) {
            classes.push(c);
        }
    }

    for (method, prepared) in ESCALATION_METHODS.iter().zip(&sets.methods) {
        let Some((needed, wanted)) = prepared else {
            continue;
        };
        let source = if method.all_resources_only {
            effective.allowed_on_all_resources()
        } else {
            effective.allowed()
        };
        if needed.iter().all(|&i| source.contains(i)) {
            if let Some(c) = class_from(
                effective,
                PrivilegeKind::PrivilegeEscalation,
                method.name,
                wanted,
                method.all_resources_only,
                true,
            ) {
                classes.push(c);
            }
        }
    }

    let everywhere = effective.allowed_on_all_resources();
    for (kind, detail, wanted) in [
        (
            PrivilegeKind::ResourceExposure,
            "writes resource policies or ACLs on all resources",
            &sets.permissions_management,
        ),
        (
            PrivilegeKind::InfraChange,
            "changes infrastructure on all resources",
            &sets.infra_write,
        ),
        (
            PrivilegeKind::DataWrite,
            "writes data on all resources",
            &sets.data_write,
        ),
        (
            PrivilegeKind::DataRead,
            "reads data on all resources",
            &sets.data_read,
        ),
    ] {
        if !everywhere.intersects(wanted) {
            continue;
        }
        if let Some(c) = class_from(effective, kind, detail, wanted, true, true) {
            classes.push(c);
        }
    }
    classes.sort_by(|a, b| (b.kind, &a.detail).cmp(&(a.kind, &b.detail)));

    let worst = classes.iter().map(|c| c.kind).max();
    let tier = match worst {
        Some(PrivilegeKind::FullAdmin) => Tier::Admin,
        Some(PrivilegeKind::PrivilegeEscalation) => Tier::PrivilegeEscalation,
        Some(PrivilegeKind::ResourceExposure) => Tier::ResourceExposure,
        Some(PrivilegeKind::InfraChange) => Tier::InfraChange,
        Some(PrivilegeKind::DataWrite) => Tier::DataWrite,
        Some(PrivilegeKind::DataRead) => Tier::DataRead,
        None if effective.allowed().intersects(&sets.write_like) => Tier::LimitedWrite,
        None if effective.allowed().is_empty() => Tier::None,
        None => Tier::ReadOnly,
    };
    (classes, tier)
}

/// Computes privilege summaries for many principals, sharing expansion work.
#[derive(Debug)]
pub struct Analyzer<'a> {
    inventory: &'a Inventory,
    expander: ActionExpander,
}

impl<'a> Analyzer<'a> {
    /// An analyzer over an inventory.
    pub fn new(inventory: &'a Inventory) -> Self {
        Self {
            inventory,
            expander: ActionExpander::new(),
        }
    }

    /// The privilege summary of a role.
    pub fn analyze_role(&mut self, role: &IamRole) -> PrivilegeSummary {
        let set = PolicySet::for_role(self.inventory, role);
        self.analyze_set(&set)
    }

    /// The privilege summary of any policy set.
    pub fn analyze_set(&mut self, set: &PolicySet) -> PrivilegeSummary {
        let effective = EffectivePermissions::of(set, &mut self.expander);
        let (classes, tier) = classify(&effective);
        PrivilegeSummary {
            classes,
            tier,
            effective,
            warnings: set.warnings.clone(),
        }
    }
}

/// The privilege summary of one role (see [`Analyzer`] for many).
pub fn analyze(inventory: &Inventory, role: &IamRole) -> PrivilegeSummary {
    Analyzer::new(inventory).analyze_role(role)
}

/// Granted against used actions, and a policy that grants only what was used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageComparison {
    /// Granted actions seen in CloudTrail (successful calls), in catalog order.
    pub used: Vec<&'static str>,
    /// Granted actions never seen, as catalog indexes ([`UsageComparison::unused`] names them).
    #[serde(skip)]
    pub unused_set: ActionSet,
    /// Actions seen in CloudTrail that the catalog does not know or the policies do not
    /// grant (failed calls are not counted), sorted.
    pub used_not_granted: Vec<String>,
    /// A policy with only the used actions, one statement per service, resources from the
    /// events where every event named one, else `*`.
    pub suggested_policy: PolicyDocument,
}

impl UsageComparison {
    /// Granted actions never seen, in catalog order.
    pub fn unused(&self) -> Vec<&'static str> {
        let catalog = Catalog::get();
        self.unused_set
            .iter()
            .filter_map(|i| catalog.action(i))
            .map(|a| a.full_name())
            .collect()
    }
}

/// CloudTrail event sources whose prefix differs from the IAM service prefix.
fn iam_prefix(event_source_prefix: &str) -> &str {
    match event_source_prefix {
        "monitoring" => "cloudwatch",
        other => other,
    }
}

/// Compares granted permissions with the actions `principal_arn` used in CloudTrail, and
/// suggests a minimal policy.
pub fn compare_usage(
    effective: &EffectivePermissions,
    events: &[CloudTrailEvent],
    principal_arn: &str,
) -> UsageComparison {
    let catalog = Catalog::get();
    let wanted = normalise_principal_arn(principal_arn);
    let mut used_idx: BTreeMap<usize, Option<Vec<String>>> = BTreeMap::new();
    let mut not_granted = Vec::new();
    for e in events {
        let mine = e
            .principal_arn
            .as_deref()
            .is_some_and(|p| normalise_principal_arn(p) == wanted);
        if !mine || e.error_code.is_some() {
            continue;
        }
        let prefix = e.event_source.split('.').next().unwrap_or("");
        let action = format!("{}:{}", iam_prefix(prefix), e.event_name);
        match catalog.index_of(&action) {
            Some(i) if effective.allowed().contains(i) => {
                let entry = used_idx.entry(i).or_insert_with(|| Some(Vec::new()));
                match (entry.as_mut(), e.resources.is_empty()) {
                    (Some(list), false) => list.extend(e.resources.iter().cloned()),
                    _ => *entry = None,
                }
            }
            _ => not_granted.push(action),
        }
    }
    not_granted.sort();
    not_granted.dedup();
    let name = |i: &usize| catalog.action(*i).map(|a| a.full_name());
    let used: Vec<&'static str> = used_idx.keys().filter_map(name).collect();
    let mut unused_set = effective.allowed().clone();
    for &i in used_idx.keys() {
        unused_set.remove(i);
    }
    // One statement per service.
    let mut per_service: BTreeMap<&str, (Vec<String>, Option<Vec<String>>)> = BTreeMap::new();
    for (i, resources) in &used_idx {
        let Some(a) = catalog.action(*i) else {
            continue;
        };
        let entry = per_service
            .entry(a.service())
            .or_insert_with(|| (Vec::new(), Some(Vec::new())));
        entry.0.push(a.full_name().to_owned());
        match (entry.1.as_mut(), resources) {
            (Some(list), Some(r)) => list.extend(r.iter().cloned()),
            _ => entry.1 = None,
        }
    }
    let statements = per_service
        .into_iter()
        .map(|(service, (actions, resources))| {
            let mut resources = resources.unwrap_or_else(|| vec!["*".into()]);
            resources.sort();
            resources.dedup();
            Statement {
                sid: Some(format!("Used{}", sid_word(service))),
                effect: Effect::Allow,
                principal: None,
                not_principal: None,
                action: Some(actions),
                not_action: None,
                resource: Some(resources),
                not_resource: None,
                condition: BTreeMap::new(),
            }
        })
        .collect();
    UsageComparison {
        used,
        unused_set,
        used_not_granted: not_granted,
        suggested_policy: PolicyDocument {
            version: Some("2012-10-17".into()),
            id: None,
            statements,
        },
    }
}

fn sid_word(service: &str) -> String {
    service
        .split(['-', '.'])
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// The compiled statements of a set's identity policies (for helpers).
pub(crate) fn identity_statements(set: &PolicySet) -> impl Iterator<Item = &CompiledStatement> {
    set.identity.iter().flat_map(CompiledPolicy::statements)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_resource_patterns() {
        for p in [
            "*",
            "arn:aws:s3:::*",
            "arn:aws:s3:::*/*",
            "arn:aws:iam::*:role/*",
            "arn:aws:iam::111122223333:role/*",
            "arn:aws:kms:*:*:key/*",
            "arn:aws:secretsmanager:*:*:secret:*",
        ] {
            assert!(is_all_resources(p), "{p}");
        }
        for p in [
            "arn:aws:s3:::bucket/*",
            "arn:aws:s3:::bucket*",
            "arn:aws:iam::*:role/app-*",
            "arn:aws:logs:*:*:log-group:/aws/emr/x:*",
            "arn:aws:sqs:us-east-1:1:queue",
        ] {
            assert!(!is_all_resources(p), "{p}");
        }
    }
}
