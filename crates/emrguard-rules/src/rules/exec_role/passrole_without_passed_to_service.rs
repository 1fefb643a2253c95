//! EXR007: a principal may pass execution roles to any service.

use std::collections::{BTreeMap, BTreeSet};

use emrguard_iam::audit::pass_role_without_passed_to_service;
use emrguard_iam::glob_matches;
use emrguard_model::inventory::area;

use crate::context::{CheckContext, SubjectClass};
use crate::finding::{Evidence, Finding, Remediation};
use crate::registry::Rule;
use crate::rules::exec_role::{
    admin_coverage, execution_roles, pretty, principals_that_may_allow, statement_evidence,
    statement_resources, ticked,
};

crate::declare_rule! {
    /// ## What it does
    /// Flags IAM users and roles allowed `iam:PassRole` on one or more execution roles (by
    /// `*` or by a pattern that matches them) in a statement without a positive
    /// `iam:PassedToService` condition. A user's groups' policies count for the user; an
    /// unconditional deny or the permissions boundary that removes `iam:PassRole` clears it.
    /// Configured admins and break-glass principals, EMR's service-linked role, AWS
    /// service-linked roles, principals that hold every action on every resource, and
    /// execution roles already reported by EXR001 for `iam:*` are skipped.
    ///
    /// ## Why is this bad?
    /// `iam:PassRole` is what lets a principal hand a role to a service. Without
    /// `iam:PassedToService`, the execution role can be given to EC2, Lambda, Glue or any other
    /// service that runs code, and its data access leaves EMR's controls (namespaces,
    /// `emr-containers:ExecutionRoleArn` pins, job logging). EMR on EKS with Pod Identity
    /// documents the condition with `pods.eks.amazonaws.com`.
    ///
    /// ## Example
    /// ```json
    /// {"Sid": "PassTeamBExecutionRoles", "Effect": "Allow", "Action": "iam:PassRole",
    ///  "Resource": "arn:aws:iam::111122223333:role/emr-team-b-*"}
    /// ```
    ///
    /// ## Remediation
    /// Add `"Condition": {"StringEquals": {"iam:PassedToService": "pods.eks.amazonaws.com"}}`
    /// (the service EMR on EKS passes execution roles to) and name the roles exactly.
    ///
    /// ## References
    /// - Amazon EMR on EKS Development Guide: "Using EKS Pod Identity" (iam:PassRole with iam:PassedToService)
    /// - AWS IAM User Guide: "Granting a user permissions to pass a role to an AWS service"
    pub struct PassroleWithoutPassedToService {
        code: "EXR007",
        name: "passrole-without-passed-to-service",
        summary: "a principal may pass execution roles to any service",
        practice: ExecutionRoleLeastPrivilege,
        severity: Medium,
        requires: [area::IAM],
    }
}

impl Rule for PassroleWithoutPassedToService {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let execution: BTreeMap<String, String> = execution_roles(cx)
            .into_iter()
            .map(|e| (e.role.arn.clone(), e.role.role_name.clone()))
            .collect();
        if execution.is_empty() {
            return;
        }
        for principal in principals_that_may_allow(cx, &["iam:PassRole"]) {
            if matches!(
                cx.classify_principal(principal.arn()),
                SubjectClass::Admin | SubjectClass::Emr
            ) {
                continue;
            }
            let analysis = principal.analysis(cx);
            let coverage = admin_coverage(&analysis);
            if coverage.full
                || (execution.contains_key(principal.arn()) && coverage.covers("iam:PassRole"))
                || !analysis.privilege.effective.allows("iam:PassRole")
            {
                continue;
            }
            let mut hits: Vec<(emrguard_iam::StatementRef, Vec<String>)> = Vec::new();
            for st in pass_role_without_passed_to_service(&analysis.policies) {
                let resources = statement_resources(&analysis, &st);
                let roles: Vec<String> = execution
                    .iter()
                    .filter(|(arn, _)| {
                        resources.iter().any(|p| match p.strip_prefix("not ") {
                            Some(not) => !glob_matches(not, arn),
                            None => glob_matches(p, arn),
                        })
                    })
                    .map(|(_, name)| name.clone())
                    .collect();
                if !roles.is_empty() {
                    hits.push((st, roles));
                }
            }
            if hits.is_empty() {
                continue;
            }
            let all_roles: Vec<String> = hits
                .iter()
                .flat_map(|(_, r)| r.iter().cloned())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let mut finding = Self::META
                .finding(format!(
                    "{} `{}` may pass execution role{} {} to any service",
                    if principal.kind() == "IAMUser" {
                        "user"
                    } else {
                        "role"
                    },
                    principal.name(),
                    if all_roles.len() > 1 { "s" } else { "" },
                    ticked(&all_roles, 3)
                ))
                .resource(principal.resource());
            for (st, roles) in &hits {
                let mut e = statement_evidence(cx, &analysis, st, "`iam:PassRole`");
                e.text.push_str(&format!(
                    " without an `iam:PassedToService` condition; it matches execution role{} {}",
                    if roles.len() > 1 { "s" } else { "" },
                    ticked(roles, 6)
                ));
                finding = finding.evidence(e);
            }
            finding = finding.evidence(Evidence::text(
                "the roles can then be handed to EC2, Lambda or any other service that runs code, outside EMR's controls",
            ));
            let fixed: Vec<serde_json::Value> = hits
                .iter()
                .filter_map(|(st, roles)| {
                    let raw = analysis.policies.statement(st)?;
                    let mut v = serde_json::to_value(raw).ok()?;
                    let obj = v.as_object_mut()?;
                    let arns: Vec<&String> = execution
                        .iter()
                        .filter(|(_, name)| roles.contains(name))
                        .map(|(arn, _)| arn)
                        .collect();
                    obj.insert("Resource".to_owned(), serde_json::json!(arns));
                    obj.remove("NotResource");
                    let cond = obj
                        .entry("Condition")
                        .or_insert_with(|| serde_json::json!({}));
                    let equals = cond
                        .as_object_mut()?
                        .entry("StringEquals")
                        .or_insert_with(|| serde_json::json!({}));
                    equals.as_object_mut()?.insert(
                        "iam:PassedToService".to_owned(),
                        serde_json::json!("pods.eks.amazonaws.com"),
                    );
                    Some(v)
                })
                .collect();
            finding
                .remediation(
                    Remediation::summary(format!(
                        "Limit `{}`'s `iam:PassRole` to the execution roles it needs, passed to `pods.eks.amazonaws.com` only.",
                        principal.name()
                    ))
                    .fix(
                        "The statements with `iam:PassedToService` and exact role ARNs",
                        "json",
                        pretty(&fixed),
                    ),
                )
                .push(out);
        }
    }
}
