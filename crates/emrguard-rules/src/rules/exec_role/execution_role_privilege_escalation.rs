//! EXR002: an execution role that can grant itself (or another principal) more privileges.

use emrguard_iam::glob_matches;
use emrguard_iam::privilege::PrivilegeKind;
use emrguard_model::inventory::area;

use crate::context::CheckContext;
use crate::finding::{Evidence, Finding, Remediation};
use crate::registry::Rule;
use crate::rules::exec_role::{
    admin_coverage, describe_uses, execution_roles, role_ref, statement_evidence,
    statement_resources, ticked,
};

crate::declare_rule! {
    /// ## What it does
    /// Flags execution roles whose effective permissions contain a known privilege-escalation
    /// method: writing IAM policies (`iam:PutRolePolicy`, `iam:AttachRolePolicy`,
    /// `iam:CreatePolicyVersion`, ...), `iam:PassRole` together with a service that runs code
    /// as the passed role (`ec2:RunInstances`, `lambda:CreateFunction`,
    /// `emr-containers:StartJobRun`, ...), `sts:AssumeRole` on all resources, and the other
    /// methods of the IAM engine's catalog. The evidence names the method and the statements.
    /// Roles reported by EXR001 for a grant that implies the method are not reported again.
    ///
    /// ## Why is this bad?
    /// Job code runs with the execution role. If the role can rewrite IAM policies or hand a
    /// more powerful role to a new compute resource, any job (and anyone who can submit one
    /// or reach its pods) can make itself an administrator, whatever the role's other
    /// permissions say.
    ///
    /// ## Example
    /// ```json
    /// {"Sid": "ManageExecutionRolePolicies", "Effect": "Allow",
    ///  "Action": ["iam:PutRolePolicy", "iam:AttachRolePolicy"],
    ///  "Resource": "arn:aws:iam::111122223333:role/emr-*"}
    /// ```
    ///
    /// ## Remediation
    /// Remove the IAM write and pass-role grants from the execution role. Administrative
    /// automation that needs them belongs in a separate role that job code cannot assume.
    ///
    /// ## References
    /// - Amazon EMR on EKS security best practices: "Apply principle of least privilege"
    /// - Rhino Security Labs: "AWS IAM Privilege Escalation – Methods and Mitigation"
    pub struct ExecutionRolePrivilegeEscalation {
        code: "EXR002",
        name: "execution-role-privilege-escalation",
        summary: "an execution role can escalate its own privileges",
        practice: ExecutionRoleLeastPrivilege,
        severity: High,
        requires: [area::IAM],
    }
}

impl Rule for ExecutionRolePrivilegeEscalation {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        for exec in execution_roles(cx) {
            let role = exec.role;
            let analysis = cx.iam_summary(role);
            let coverage = admin_coverage(&analysis);
            let methods: Vec<_> = analysis
                .privilege
                .classes
                .iter()
                .filter(|c| c.kind == PrivilegeKind::PrivilegeEscalation)
                .filter(|c| !c.actions.iter().all(|a| coverage.covers(a)))
                .collect();
            if methods.is_empty() {
                continue;
            }
            let names: Vec<String> = methods.iter().map(|m| m.detail.clone()).collect();
            let r = role_ref(role);
            let mut finding = Self::META
                .finding(format!(
                    "execution role `{}` can escalate its privileges by {}",
                    role.role_name,
                    ticked(&names, 4)
                ))
                .resource(r.clone())
                .evidence(Evidence::about(
                    format!(
                        "`{}` is an execution role: {}",
                        role.role_name,
                        describe_uses(&exec.uses)
                    ),
                    r.clone(),
                ));
            let mut self_targeted = false;
            let mut shown = std::collections::BTreeSet::new();
            for method in &methods {
                finding = finding.evidence(Evidence::text(format!(
                    "escalation method `{}` needs {}{}",
                    method.detail,
                    ticked(&method.actions, 6),
                    if method.conditional {
                        " (granted only under a condition)"
                    } else {
                        ""
                    }
                )));
                for st in &method.statements {
                    if !shown.insert(st.clone()) {
                        continue;
                    }
                    let granted: Vec<&str> = method
                        .actions
                        .iter()
                        .filter(|a| {
                            analysis
                                .privilege
                                .effective
                                .grants_for(a)
                                .iter()
                                .any(|g| g.statement == *st)
                        })
                        .cloned()
                        .collect();
                    finding = finding.evidence(statement_evidence(
                        cx,
                        &analysis,
                        st,
                        &ticked(&granted, 6),
                    ));
                    let resources = statement_resources(&analysis, st);
                    if resources
                        .iter()
                        .any(|p| !p.starts_with("not ") && glob_matches(p, &role.arn))
                    {
                        self_targeted = true;
                    }
                }
            }
            if self_targeted {
                finding = finding.evidence(Evidence::about(
                    format!(
                        "the statement's resources include `{}` itself, so a job can rewrite its own permissions",
                        role.arn
                    ),
                    r,
                ));
            }
            finding
                .remediation(
                    Remediation::summary(format!(
                        "Remove the IAM write and pass-role grants from `{}`; keep administrative automation in a role that job code cannot assume.",
                        role.role_name
                    ))
                    .fix(
                        "Deny the escalation actions on the execution role while the policy is rewritten",
                        "shell",
                        format!(
                            "aws iam put-role-policy --role-name {} --policy-name deny-privilege-escalation --policy-document '{}'",
                            role.role_name,
                            serde_json::json!({
                                "Version": "2012-10-17",
                                "Statement": [{
                                    "Sid": "DenyPrivilegeEscalation",
                                    "Effect": "Deny",
                                    "Action": methods
                                        .iter()
                                        .flat_map(|m| m.actions.iter().cloned())
                                        .collect::<std::collections::BTreeSet<_>>(),
                                    "Resource": "*"
                                }]
                            })
                        ),
                    ),
                )
                .push(out);
        }
    }
}
