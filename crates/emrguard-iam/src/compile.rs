//! Policies compiled for fast evaluation: lower-cased action patterns, resource globs,
//! principal lists and typed condition values, each statement remembering where it came from.

use std::fmt;

use emrguard_model::policy::{Effect, PolicyDocument, Principal, Statement};
use serde::Serialize;

use crate::condition::Condition;
use crate::document::{path_key, PolicyError};
use crate::pattern::{context_get, ContextValues, Matcher, Syntax};

/// What kind of policy a statement belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyKind {
    /// An inline policy of the principal itself.
    Inline,
    /// A managed policy attached to the principal.
    Managed,
    /// An inline policy of one of a user's groups.
    GroupInline,
    /// A managed policy attached to one of a user's groups.
    GroupManaged,
    /// The principal's permissions boundary.
    Boundary,
    /// A role's trust policy (a resource-based policy on the role).
    Trust,
    /// Another resource-based policy.
    ResourceBased,
    /// A policy given directly (e.g. `--policy FILE`), evaluated as identity-based.
    Custom,
}

/// Names one policy: its kind, its name or ARN, and the principal or group it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct PolicySource {
    /// Kind of policy.
    pub kind: PolicyKind,
    /// Inline policy name, managed policy ARN, role ARN (trust) or file name (custom).
    pub name: String,
    /// For inline policies: the owning user, role or group; for group-attached managed
    /// policies: the group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

impl PolicySource {
    /// A policy source.
    pub fn new(kind: PolicyKind, name: impl Into<String>, owner: Option<String>) -> Self {
        Self {
            kind,
            name: name.into(),
            owner,
        }
    }
}

impl fmt::Display for PolicySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let owner = self.owner.as_deref().unwrap_or("?");
        match self.kind {
            PolicyKind::Inline => write!(f, "inline policy `{}` of `{owner}`", self.name),
            PolicyKind::Managed => write!(f, "managed policy `{}`", self.name),
            PolicyKind::GroupInline => {
                write!(f, "inline policy `{}` of group `{owner}`", self.name)
            }
            PolicyKind::GroupManaged => {
                write!(f, "managed policy `{}` via group `{owner}`", self.name)
            }
            PolicyKind::Boundary => write!(f, "permissions boundary `{}`", self.name),
            PolicyKind::Trust => write!(f, "trust policy of `{}`", self.name),
            PolicyKind::ResourceBased => write!(f, "resource-based policy `{}`", self.name),
            PolicyKind::Custom => write!(f, "policy `{}`", self.name),
        }
    }
}

/// Names one statement of one policy.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct StatementRef {
    /// The policy.
    pub policy: PolicySource,
    /// Zero-based index in the policy's `Statement` list.
    pub index: usize,
    /// `Sid`, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// `Effect`.
    pub effect: Effect,
}

impl fmt::Display for StatementRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let effect = match self.effect {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        };
        write!(f, "{} statement {} ({effect}", self.policy, self.index)?;
        if let Some(sid) = &self.sid {
            write!(f, ", Sid `{sid}`")?;
        }
        write!(f, ")")
    }
}

/// Where a document is used, which decides the required elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentUse {
    /// Identity-based policy or permissions boundary: no `Principal`; `Resource` required.
    Identity,
    /// Resource-based or trust policy: `Principal` or `NotPrincipal` required.
    ResourceBased,
}

/// A list of patterns, or its complement (`NotAction`, `NotResource`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PatternList {
    pub negated: bool,
    pub patterns: Vec<Matcher>,
}

impl PatternList {
    fn matches(&self, input: &str, context: &ContextValues) -> bool {
        self.patterns.iter().any(|p| p.matches(input, context)) != self.negated
    }
}

/// A compiled principal element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PrincipalList {
    pub negated: bool,
    pub principal: Principal,
}

/// One compiled statement.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledStatement {
    pub(crate) reference: StatementRef,
    pub(crate) actions: PatternList,
    pub(crate) resources: Option<PatternList>,
    pub(crate) principals: Option<PrincipalList>,
    pub(crate) conditions: Vec<Condition>,
    /// Variables without a default that the statement needs resolved.
    pub(crate) required_variables: Vec<String>,
    pub(crate) statement: Statement,
}

impl CompiledStatement {
    /// Which statement this is.
    pub fn reference(&self) -> &StatementRef {
        &self.reference
    }

    /// The statement as written.
    pub fn statement(&self) -> &Statement {
        &self.statement
    }

    /// Whether the statement has a `Condition`.
    pub fn is_conditional(&self) -> bool {
        !self.conditions.is_empty()
    }

    /// Whether the action (lower-case) matches `Action` / `NotAction`.
    pub(crate) fn matches_action(&self, action_lower: &str) -> bool {
        self.actions.matches(action_lower, &ContextValues::new())
    }

    /// Whether action, resource and conditions all match. The statement does not apply when
    /// one of its policy variables cannot be resolved (AWS: an unresolvable variable "might
    /// cause the entire statement to be invalid").
    pub(crate) fn applies(
        &self,
        action_lower: &str,
        resource: &str,
        context: &ContextValues,
    ) -> bool {
        if !self.actions.matches(action_lower, context) {
            return false;
        }
        if self
            .required_variables
            .iter()
            .any(|k| context_get(context, k).is_none_or(|v| v.len() != 1))
        {
            return false;
        }
        if let Some(r) = &self.resources {
            if !r.matches(resource, context) {
                return false;
            }
        }
        self.conditions.iter().all(|c| c.evaluate(context))
    }
}

/// A compiled policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledPolicy {
    /// Where it came from.
    pub source: PolicySource,
    pub(crate) statements: Vec<CompiledStatement>,
}

impl CompiledPolicy {
    /// Compiles a document. `use_` decides the required elements (`Principal` for
    /// resource-based policies, `Resource` for identity policies).
    ///
    /// # Errors
    /// [`PolicyError`] with the JSON path of the first invalid statement.
    pub fn compile(
        source: PolicySource,
        document: &PolicyDocument,
        use_: DocumentUse,
    ) -> Result<Self, PolicyError> {
        let (policy, errors) = Self::compile_lenient(source, document, use_);
        match errors.into_iter().next() {
            Some(e) => Err(e),
            None => Ok(policy),
        }
    }

    /// Compiles a document, dropping invalid statements and returning their errors.
    pub fn compile_lenient(
        source: PolicySource,
        document: &PolicyDocument,
        use_: DocumentUse,
    ) -> (Self, Vec<PolicyError>) {
        let variables = document.version.as_deref() == Some("2012-10-17");
        let mut statements = Vec::new();
        let mut errors = Vec::new();
        let many = document.statements.len() != 1;
        for (index, st) in document.statements.iter().enumerate() {
            let path = StatementPath { index, many };
            match compile_statement(&source, index, st, variables, use_, path) {
                Ok(c) => statements.push(c),
                Err(e) => errors.push(e),
            }
        }
        (Self { source, statements }, errors)
    }

    /// The compiled statements.
    pub fn statements(&self) -> &[CompiledStatement] {
        &self.statements
    }
}

/// Where a statement is in its document (`$.Statement[2]`, or `$.Statement` for a single
/// one), written out only when there is an error to report.
#[derive(Debug, Clone, Copy)]
struct StatementPath {
    index: usize,
    many: bool,
}

impl std::fmt::Display for StatementPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.many {
            write!(f, "$.Statement[{}]", self.index)
        } else {
            f.write_str("$.Statement")
        }
    }
}

fn compile_statement(
    source: &PolicySource,
    index: usize,
    st: &Statement,
    variables: bool,
    use_: DocumentUse,
    path: StatementPath,
) -> Result<CompiledStatement, PolicyError> {
    let fail = |m: &str| PolicyError {
        path: path.to_string(),
        message: m.to_owned(),
    };
    let actions = match (&st.action, &st.not_action) {
        (Some(a), None) => (false, a),
        (None, Some(a)) => (true, a),
        (Some(_), Some(_)) => {
            return Err(fail("a statement has `Action` or `NotAction`, not both"))
        }
        (None, None) => return Err(fail("missing `Action` or `NotAction`")),
    };
    let action_syntax = Syntax {
        wildcards: true,
        variables: false,
    };
    let actions = PatternList {
        negated: actions.0,
        patterns: actions
            .1
            .iter()
            .map(|a| Matcher::new(a, action_syntax, true))
            .collect(),
    };
    let resource_syntax = Syntax {
        wildcards: true,
        variables,
    };
    let resources = match (&st.resource, &st.not_resource) {
        (Some(r), None) => Some((false, r)),
        (None, Some(r)) => Some((true, r)),
        (Some(_), Some(_)) => {
            return Err(fail(
                "a statement has `Resource` or `NotResource`, not both",
            ))
        }
        (None, None) => None,
    }
    .map(|(negated, list)| PatternList {
        negated,
        patterns: list
            .iter()
            .map(|r| Matcher::new(r, resource_syntax, false))
            .collect(),
    });
    let principals = match (&st.principal, &st.not_principal) {
        (Some(p), None) => Some(PrincipalList {
            negated: false,
            principal: p.clone(),
        }),
        (None, Some(p)) => Some(PrincipalList {
            negated: true,
            principal: p.clone(),
        }),
        (Some(_), Some(_)) => {
            return Err(fail(
                "a statement has `Principal` or `NotPrincipal`, not both",
            ))
        }
        (None, None) => None,
    };
    match use_ {
        DocumentUse::Identity => {
            if principals.is_some() {
                return Err(fail(
                    "`Principal` / `NotPrincipal` is not allowed in an identity-based policy",
                ));
            }
            if resources.is_none() {
                return Err(fail(
                    "missing `Resource` or `NotResource` (required in identity-based policies)",
                ));
            }
        }
        DocumentUse::ResourceBased => {
            if principals.is_none() {
                return Err(fail("missing `Principal` or `NotPrincipal` (required in resource-based and trust policies)",
                ));
            }
        }
    }
    let mut conditions = Vec::new();
    for (op, keys) in &st.condition {
        for (key, values) in keys {
            let c = Condition::compile(op, key, values, variables).map_err(|(i, message)| {
                let op_path = path_key(&path_key(&path.to_string(), "Condition"), op);
                let key_path = path_key(&op_path, key);
                PolicyError {
                    path: match i {
                        Some(i) if values.len() > 1 => format!("{key_path}[{i}]"),
                        Some(_) => key_path,
                        None => op_path,
                    },
                    message,
                }
            })?;
            conditions.push(c);
        }
    }
    let mut required_variables: Vec<String> = Vec::new();
    let mut note = |vars: Vec<(&str, Option<&str>)>| {
        for (k, d) in vars {
            if d.is_none() && !required_variables.iter().any(|x| x == k) {
                required_variables.push(k.to_owned());
            }
        }
    };
    if let Some(r) = &resources {
        for m in &r.patterns {
            note(m.variables());
        }
    }
    for c in &conditions {
        note(c.variables());
    }
    Ok(CompiledStatement {
        reference: StatementRef {
            policy: source.clone(),
            index,
            sid: st.sid.clone(),
            effect: st.effect,
        },
        actions,
        resources,
        principals,
        conditions,
        required_variables,
        statement: st.clone(),
    })
}
