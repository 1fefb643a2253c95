//! EXR005: a principal may submit EMR on EKS jobs or endpoints with any execution role.

use std::collections::{BTreeMap, BTreeSet};

use emrguard_iam::audit::{unpinned_execution_role_grants, EXECUTION_ROLE_ACTIONS};
use emrguard_iam::privilege::ActionExpander;
use emrguard_iam::{glob_matches, Catalog, StatementRef};
use emrguard_model::inventory::{area, normalise_principal_arn};
use emrguard_model::policy::Effect;

use crate::context::{CheckContext, IamAnalysis, SubjectClass};
use crate::finding::{Evidence, Finding, Remediation};
use crate::registry::Rule;
use crate::rules::exec_role::{
    admin_coverage, execution_roles, pretty, principals_that_may_allow, statement_evidence,
    statement_resources, ticked, usable_roles,
};

crate::declare_rule! {
    /// ## What it does
    /// Flags IAM users and roles (a user's groups' policies count for the user) allowed
    /// `emr-containers:StartJobRun`, `CreateManagedEndpoint` or
    /// `GetManagedEndpointSessionCredentials` by a statement without a positive
    /// `emr-containers:ExecutionRoleArn` condition, unless the statement pins
    /// `emr-containers:JobTemplateArn` to job templates with a fixed execution role, or a
    /// `Deny` on the action conditions on the execution role. Actions that an unconditional
    /// deny or the permissions boundary removes are not counted. Configured admins and
    /// break-glass principals, EMR's service-linked role, AWS service-linked roles, principals
    /// that hold every action on every resource, and execution roles already reported by
    /// EXR001 for `emr-containers:*` are skipped.
    ///
    /// ## Why is this bad?
    /// AWS: without the condition, the caller may start jobs "using an arbitrary execution
    /// role". Every role whose trust admits the virtual cluster's namespace is then one API
    /// call away, whatever the submitter was meant to use.
    ///
    /// ## Example
    /// ```json
    /// {"Sid": "SubmitTeamBJobs", "Effect": "Allow", "Action": "emr-containers:StartJobRun",
    ///  "Resource": "arn:aws:emr-containers:us-west-2:111122223333:/virtualclusters/7hb2n4c6r8t0v1x3z5a7d9f2g"}
    /// ```
    ///
    /// Use instead:
    /// ```json
    /// {"...": "...", "Condition": {"ArnEquals": {"emr-containers:ExecutionRoleArn": ["arn:aws:iam::111122223333:role/emr-team-b-reporting-execution"]}}}
    /// ```
    ///
    /// ## Remediation
    /// Add `ArnEquals` (or `ArnLike` with a fixed prefix) on `emr-containers:ExecutionRoleArn`
    /// listing the roles the submitter should use, or pin it to job templates whose
    /// `executionRoleArn` is fixed.
    ///
    /// ## References
    /// - Amazon EMR on EKS Development Guide: "Using job execution roles with Amazon EMR on EKS" (IAM policy for StartJobRun)
    /// - Amazon EMR on EKS Development Guide: "Using job templates" (IAM policies for job templates)
    pub struct JobSubmitterNotPinned {
        code: "EXR005",
        name: "job-submitter-not-pinned",
        summary: "a principal may submit jobs or endpoints with any execution role",
        practice: ExecutionRoleLeastPrivilege,
        severity: High,
        requires: [area::IAM],
    }
}

/// Whether a `Deny` of `action` in the principal's policies conditions on the execution role
/// (e.g. `ArnNotEquals` on `emr-containers:ExecutionRoleArn`), which pins it from the other
/// side.
fn pinned_by_deny(analysis: &IamAnalysis, action: &str, expander: &mut ActionExpander) -> bool {
    let Some(index) = Catalog::get().index_of(action) else {
        return false;
    };
    analysis
        .policies
        .identity
        .iter()
        .flat_map(|p| p.statements())
        .map(|c| c.statement())
        .filter(|st| st.effect == Effect::Deny)
        .filter(|st| {
            st.condition.values().any(|keys| {
                keys.keys()
                    .any(|k| k.eq_ignore_ascii_case("emr-containers:ExecutionRoleArn"))
            })
        })
        .any(|st| expander.statement_actions(st).contains(index))
}

/// What a `JobTemplateArn` pin leads to.
enum TemplatePin {
    /// Every template it matches fixes the execution role (or it matches none).
    Fixed,
    /// It matches templates that take the role from a parameter.
    Parametric(Vec<String>),
    /// The snapshot has no job templates to check it against.
    Unknown,
}

fn template_pin(cx: &CheckContext<'_>, analysis: &IamAnalysis, st: &StatementRef) -> TemplatePin {
    if !cx.inventory.has(area::JOB_TEMPLATES) {
        return TemplatePin::Unknown;
    }
    let Some(raw) = analysis.policies.statement(st) else {
        return TemplatePin::Unknown;
    };
    let patterns: Vec<&String> = raw
        .condition
        .values()
        .flat_map(|keys| keys.iter())
        .filter(|(k, _)| k.eq_ignore_ascii_case("emr-containers:JobTemplateArn"))
        .flat_map(|(_, v)| v.iter())
        .collect();
    let mut parametric = Vec::new();
    for t in &cx.inventory.job_templates {
        let Some(arn) = t.arn.as_deref() else {
            continue;
        };
        if !patterns.iter().any(|p| glob_matches(p, arn)) {
            continue;
        }
        let fixed = t
            .job_template_data
            .as_ref()
            .and_then(|d| d.execution_role_arn.as_deref())
            .is_some_and(|r| !r.contains("${"));
        if !fixed {
            parametric.push(t.name.clone().unwrap_or_else(|| t.id.clone()));
        }
    }
    if parametric.is_empty() {
        TemplatePin::Fixed
    } else {
        TemplatePin::Parametric(parametric)
    }
}

/// The ARN of a virtual cluster, as IAM policies name it.
pub(crate) fn virtual_cluster_arn(
    cx: &CheckContext<'_>,
    vc: &emrguard_model::aws::VirtualCluster,
) -> String {
    vc.arn.clone().filter(|a| !a.is_empty()).unwrap_or_else(|| {
        format!(
            "arn:{}:emr-containers:{}:{}:/virtualclusters/{}",
            cx.inventory.partition(),
            cx.inventory
                .cluster()
                .and_then(|c| c.region())
                .unwrap_or("REGION"),
            cx.account_id(),
            vc.id
        )
    })
}

impl Rule for JobSubmitterNotPinned {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let candidates = principals_that_may_allow(cx, EXECUTION_ROLE_ACTIONS);
        if candidates.is_empty() {
            return;
        }
        let execution: BTreeSet<String> = execution_roles(cx)
            .into_iter()
            .map(|e| e.role.arn.clone())
            .collect();
        let usable = usable_roles(cx);
        let mut expander = ActionExpander::new();
        for principal in candidates {
            if matches!(
                cx.classify_principal(principal.arn()),
                SubjectClass::Admin | SubjectClass::Emr
            ) {
                continue;
            }
            let analysis = principal.analysis(cx);
            let coverage = admin_coverage(&analysis);
            if coverage.full
                || (execution.contains(principal.arn())
                    && coverage.covers("emr-containers:StartJobRun"))
            {
                continue;
            }
            // Statement → (actions, what the template pin leads to).
            let mut by_statement: BTreeMap<StatementRef, (BTreeSet<String>, Option<Vec<String>>)> =
                BTreeMap::new();
            let mut unknown_templates = false;
            for u in unpinned_execution_role_grants(&analysis.policies) {
                if !analysis.privilege.effective.allows(&u.action)
                    || pinned_by_deny(&analysis, &u.action, &mut expander)
                {
                    continue;
                }
                let parametric = if u.pins_job_template {
                    match template_pin(cx, &analysis, &u.statement) {
                        TemplatePin::Fixed => continue,
                        TemplatePin::Parametric(names) => Some(names),
                        TemplatePin::Unknown => {
                            unknown_templates = true;
                            None
                        }
                    }
                } else {
                    None
                };
                let entry = by_statement.entry(u.statement.clone()).or_default();
                entry.0.insert(u.action.clone());
                if parametric.is_some() {
                    entry.1 = parametric;
                }
            }
            if by_statement.is_empty() {
                continue;
            }
            let actions: Vec<String> = by_statement
                .values()
                .flat_map(|(a, _)| a.iter().cloned())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let r = principal.resource();
            let mut finding = Self::META
                .finding(format!(
                    "{} `{}` may call {} with any execution role",
                    if principal.kind() == "IAMUser" {
                        "user"
                    } else {
                        "role"
                    },
                    principal.name(),
                    ticked(&actions, 3)
                ))
                .resource(r);
            // Virtual clusters the statements reach, and the roles usable there.
            let mut reachable: BTreeMap<String, String> = BTreeMap::new();
            for (st, (acts, parametric)) in &by_statement {
                let acts: Vec<String> = acts.iter().cloned().collect();
                let mut e = statement_evidence(cx, &analysis, st, &ticked(&acts, 3));
                e.text
                    .push_str(" without an `emr-containers:ExecutionRoleArn` condition");
                finding = finding.evidence(e);
                if let Some(names) = parametric {
                    finding = finding.evidence(Evidence::text(format!(
                        "it pins `emr-containers:JobTemplateArn`, but job template{} {} take{} the execution role from a parameter",
                        if names.len() > 1 { "s" } else { "" },
                        ticked(names, 4),
                        if names.len() > 1 { "" } else { "s" }
                    )));
                }
                let resources = statement_resources(&analysis, st);
                for vc in cx
                    .inventory
                    .virtual_clusters
                    .iter()
                    .filter(|v| v.is_active())
                {
                    let arn = virtual_cluster_arn(cx, vc);
                    let hit = resources.iter().any(|p| match p.strip_prefix("not ") {
                        Some(not) => !glob_matches(not, &arn),
                        None => glob_matches(p, &arn),
                    });
                    if let (true, Some(ns)) = (hit, vc.namespace()) {
                        reachable.insert(vc.id.clone(), ns.to_owned());
                    }
                }
            }
            if unknown_templates {
                finding = finding.evidence(Evidence::text(
                    "it pins `emr-containers:JobTemplateArn`, but the snapshot has no job templates to tell whether they fix the execution role",
                ));
            }
            let mut reachable_roles: BTreeSet<String> = BTreeSet::new();
            let mut by_namespace: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
            for (vc, ns) in &reachable {
                by_namespace
                    .entry(ns.as_str())
                    .or_default()
                    .push(vc.as_str());
            }
            for (shown, (ns, vcs)) in by_namespace.iter().enumerate() {
                let roles: Vec<String> = usable
                    .get(*ns)
                    .map(|m| m.keys().cloned().collect())
                    .unwrap_or_default();
                reachable_roles.extend(roles.iter().cloned());
                if roles.is_empty() || shown >= 6 {
                    continue;
                }
                let names: Vec<String> = roles
                    .iter()
                    .map(|r| emrguard_model::emr::role_name_from_arn(r).to_owned())
                    .collect();
                let vcs: Vec<String> = vcs.iter().map(|v| (*v).to_owned()).collect();
                finding = finding.evidence(Evidence::text(format!(
                    "in virtual cluster{} {} (namespace `{ns}`) it may then run jobs as any execution role usable there, such as {}",
                    if vcs.len() > 1 { "s" } else { "" },
                    ticked(&vcs, 3),
                    ticked(&names, 6)
                )));
            }
            if by_namespace.len() > 6 {
                finding = finding.evidence(Evidence::text(format!(
                    "and so in {} more EMR namespaces",
                    by_namespace.len() - 6
                )));
            }
            // The roles to pin to: those its own job runs used, else those usable where it
            // submits.
            let me = normalise_principal_arn(principal.arn());
            let mut pin: BTreeSet<String> = cx
                .inventory
                .job_runs
                .iter()
                .filter(|j| {
                    j.created_by
                        .as_deref()
                        .is_some_and(|c| normalise_principal_arn(c) == me)
                })
                .filter_map(|j| j.execution_role_arn.clone())
                .collect();
            if pin.is_empty() && reachable_roles.len() <= 10 {
                pin = reachable_roles;
            }
            if pin.is_empty() {
                pin.insert(format!(
                    "arn:{}:iam::{}:role/EXECUTION_ROLE",
                    cx.inventory.partition(),
                    cx.account_id()
                ));
            }
            let fixed: Vec<serde_json::Value> = by_statement
                .keys()
                .filter_map(|st| analysis.policies.statement(st))
                .filter_map(|raw| {
                    let mut v = serde_json::to_value(raw).ok()?;
                    let obj = v.as_object_mut()?;
                    let cond = obj
                        .entry("Condition")
                        .or_insert_with(|| serde_json::json!({}));
                    let arn_equals = cond
                        .as_object_mut()?
                        .entry("ArnEquals")
                        .or_insert_with(|| serde_json::json!({}));
                    arn_equals.as_object_mut()?.insert(
                        "emr-containers:ExecutionRoleArn".to_owned(),
                        serde_json::json!(pin),
                    );
                    Some(v)
                })
                .collect();
            finding
                .remediation(
                    Remediation::summary(format!(
                        "Add an `ArnEquals` condition on `emr-containers:ExecutionRoleArn` to the statement{} of `{}`, listing only the execution roles it should use.",
                        if by_statement.len() > 1 { "s" } else { "" },
                        principal.name()
                    ))
                    .fix(
                        "The statements with the execution role pinned",
                        "json",
                        pretty(&fixed),
                    ),
                )
                .push(out);
        }
    }
}
