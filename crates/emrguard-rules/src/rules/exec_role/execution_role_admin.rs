//! EXR001: an execution role that is an administrator, of the account or of a whole service.

use emrguard_model::inventory::area;

use crate::context::CheckContext;
use crate::finding::{Evidence, Finding, Remediation};
use crate::registry::Rule;
use crate::rules::exec_role::{
    admin_coverage, describe_uses, execution_roles, role_ref, statement_evidence, ticked,
    AdminCoverage,
};

crate::declare_rule! {
    /// ## What it does
    /// Flags execution roles (roles used by job runs, managed endpoints or job templates,
    /// trusted by EMR service-account statements, or named by EMR service accounts) that hold
    /// every action on every resource, or every action of a service (`s3:*`, `iam:*`, `*`,
    /// or a `NotAction` statement) on all resources. Effective permissions count: explicit
    /// denies and the permissions boundary are applied first.
    ///
    /// ## Why is this bad?
    /// An execution role's credentials are in every driver and executor pod of the jobs that
    /// use it, so whoever can submit a job, change its code or reach its pods holds them. EMR's
    /// first practice asks for "only the minimum set of privileges required by the job". An
    /// administrator role turns any bug or malicious dependency in a Spark job into control of
    /// the account, or of the whole service.
    ///
    /// ## Example
    /// ```json
    /// {"RoleName": "emr-ds-notebook-execution",
    ///  "AttachedManagedPolicies": [{"PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}]}
    /// ```
    ///
    /// ## Remediation
    /// Detach the administrator policy (or narrow the `service:*` statement) and grant only
    /// what the jobs use: their buckets or prefixes, their log group, their catalog. EXR008
    /// suggests a policy built from the role's CloudTrail history when the snapshot has one.
    ///
    /// ## References
    /// - Amazon EMR on EKS security best practices: "Apply principle of least privilege"
    /// - Amazon EMR on EKS Development Guide: "Create a job execution role"
    pub struct ExecutionRoleAdmin {
        code: "EXR001",
        name: "execution-role-admin",
        summary: "an execution role holds every action of the account or of a whole service",
        practice: ExecutionRoleLeastPrivilege,
        severity: Critical,
        requires: [area::IAM],
    }
}

/// "every action on every resource" or "every action of `s3`, `logs`".
fn describe_coverage(coverage: &AdminCoverage) -> String {
    if coverage.full
        || coverage
            .grants
            .iter()
            .any(|(_, services, _)| services.iter().any(|s| s == "*"))
    {
        return "every action on every resource".to_owned();
    }
    let services: Vec<String> = coverage.services.iter().map(|s| (*s).to_owned()).collect();
    format!("every action of {} on all resources", ticked(&services, 6))
}

impl Rule for ExecutionRoleAdmin {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        for exec in execution_roles(cx) {
            let role = exec.role;
            let analysis = cx.iam_summary(role);
            let coverage = admin_coverage(&analysis);
            if !coverage.is_admin() {
                continue;
            }
            let what = describe_coverage(&coverage);
            let r = role_ref(role);
            let mut finding = Self::META
                .finding(format!("execution role `{}` holds {what}", role.role_name))
                .resource(r.clone())
                .evidence(Evidence::about(
                    format!(
                        "`{}` is an execution role: {}",
                        role.role_name,
                        describe_uses(&exec.uses)
                    ),
                    r,
                ));
            for (statement, services, _) in &coverage.grants {
                let granted = if services.iter().any(|s| s == "*") {
                    "every action".to_owned()
                } else {
                    format!("every action of {}", ticked(services, 6))
                };
                finding = finding.evidence(statement_evidence(cx, &analysis, statement, &granted));
            }
            let mut commands = Vec::new();
            for (statement, _, _) in &coverage.grants {
                match statement.policy.kind {
                    emrguard_iam::PolicyKind::Managed => commands.push(format!(
                        "aws iam detach-role-policy --role-name {} --policy-arn {}",
                        role.role_name, statement.policy.name
                    )),
                    emrguard_iam::PolicyKind::Inline => commands.push(format!(
                        "# narrow or remove statement {} of the inline policy\naws iam get-role-policy --role-name {} --policy-name {}",
                        statement.sid.as_deref().map_or_else(|| statement.index.to_string(), |s| format!("`{s}`")),
                        role.role_name,
                        statement.policy.name
                    )),
                    _ => {}
                }
            }
            commands.sort();
            commands.dedup();
            let mut remediation = Remediation::summary(format!(
                "Remove the administrator grants from `{}` and grant only what its jobs use (their buckets, log group and catalog); EXR008 suggests a policy from CloudTrail when the snapshot has events for the role.",
                role.role_name
            ));
            if !commands.is_empty() {
                remediation = remediation.fix(
                    "Detach or narrow the administrator grants",
                    "shell",
                    commands.join("\n"),
                );
            }
            finding.remediation(remediation).push(out);
        }
    }
}
