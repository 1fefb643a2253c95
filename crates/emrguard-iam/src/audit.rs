//! Statement-level questions the audit rules ask of a principal's identity policies.

use serde::Serialize;

use emrguard_model::policy::Effect;

use crate::compile::{CompiledStatement, StatementRef};
use crate::condition::{Comparison, Condition};
use crate::eval::PolicySet;
use crate::privilege::{identity_statements, is_all_resources};

fn allows_action(st: &CompiledStatement, action: &str) -> bool {
    st.reference().effect == Effect::Allow && st.matches_action(&action.to_ascii_lowercase())
}

fn on_all_resources(st: &CompiledStatement) -> bool {
    let raw = st.statement();
    raw.not_resource.is_some()
        || raw
            .resource
            .as_ref()
            .is_some_and(|r| r.iter().any(|p| is_all_resources(p)))
}

/// The `Allow` statements that grant `action` on all resources (`*`, or a pattern that
/// leaves the resource name open, or `NotResource`), conditional or not.
pub fn statements_allowing_on_all_resources(set: &PolicySet, action: &str) -> Vec<StatementRef> {
    identity_statements(set)
        .filter(|st| allows_action(st, action) && on_all_resources(st))
        .map(|st| st.reference().clone())
        .collect()
}

/// Whether a condition pins a key to specific values: a positive string or ARN operator
/// (including `...IfExists`) on the key whose values are not all wildcards.
fn pins(c: &Condition, key: &str) -> bool {
    let op = c.operator;
    c.key == key
        && !op.negated
        && matches!(
            op.comparison,
            Comparison::StringEquals
                | Comparison::StringLike
                | Comparison::StringEqualsIgnoreCase
                | Comparison::ArnLike
        )
        && c.raw_values.iter().all(|v| !matches!(v.as_str(), "*" | ""))
        && !c.raw_values.iter().any(|v| is_all_resources(v))
}

/// An `Allow` for an EMR on EKS job-submission action that does not pin the execution role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnpinnedSubmission {
    /// The statement.
    pub statement: StatementRef,
    /// The action it grants (`emr-containers:StartJobRun`, `CreateManagedEndpoint` or
    /// `GetManagedEndpointSessionCredentials`).
    pub action: String,
    /// Whether it pins `emr-containers:JobTemplateArn` instead (safe only when those
    /// templates fix the execution role).
    pub pins_job_template: bool,
}

/// EMR on EKS actions that pick an execution role.
pub const EXECUTION_ROLE_ACTIONS: &[&str] = &[
    "emr-containers:StartJobRun",
    "emr-containers:CreateManagedEndpoint",
    "emr-containers:GetManagedEndpointSessionCredentials",
];

/// `Allow` statements for EMR on EKS job submission that lack an
/// `emr-containers:ExecutionRoleArn` condition (AWS: without it, the caller may use "an
/// arbitrary execution role").
pub fn unpinned_execution_role_grants(set: &PolicySet) -> Vec<UnpinnedSubmission> {
    let mut out = Vec::new();
    for st in identity_statements(set) {
        for action in EXECUTION_ROLE_ACTIONS {
            if !allows_action(st, action) {
                continue;
            }
            if st
                .conditions
                .iter()
                .any(|c| pins(c, "emr-containers:executionrolearn"))
            {
                continue;
            }
            out.push(UnpinnedSubmission {
                statement: st.reference().clone(),
                action: (*action).to_owned(),
                pins_job_template: st
                    .conditions
                    .iter()
                    .any(|c| pins(c, "emr-containers:jobtemplatearn")),
            });
        }
    }
    out
}

/// `Allow` statements for `iam:PassRole` without an `iam:PassedToService` condition.
pub fn pass_role_without_passed_to_service(set: &PolicySet) -> Vec<StatementRef> {
    identity_statements(set)
        .filter(|st| allows_action(st, "iam:PassRole"))
        .filter(|st| !st.conditions.iter().any(|c| pins(c, "iam:passedtoservice")))
        .map(|st| st.reference().clone())
        .collect()
}
