//! EXR006: a job template whose execution role is a `${parameter}`.

use emrguard_model::inventory::area;

use crate::context::CheckContext;
use crate::finding::{Evidence, Finding, Remediation, ResourceRef};
use crate::registry::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Flags EMR on EKS job templates whose `jobTemplateData.executionRoleArn` contains a
    /// template parameter such as `${ExecutionRole}`.
    ///
    /// ## Why is this bad?
    /// "If the job template specifies a job template parameter inside the execution role ARN
    /// field, then the user will be able to provide a value for this parameter and thus be able
    /// to invoke StartJobRun using an arbitrary execution role." Pinning submitters to the
    /// template (`emr-containers:JobTemplateArn`) then pins nothing.
    ///
    /// ## Example
    /// ```json
    /// {"jobTemplateData": {"executionRoleArn": "${ExecutionRoleArn}", "releaseLabel": "emr-7.12.0-latest"}}
    /// ```
    ///
    /// ## Remediation
    /// Put a fixed execution role ARN in the template (one template per role), and pin
    /// submitters with `emr-containers:ExecutionRoleArn` as well.
    ///
    /// ## References
    /// - Amazon EMR on EKS Development Guide: "Using job templates" / IAM policies for job templates
    pub struct JobTemplateParametricExecutionRole {
        code: "EXR006",
        name: "job-template-parametric-execution-role",
        summary: "a job template lets the submitter choose the execution role",
        practice: ExecutionRoleLeastPrivilege,
        severity: High,
        requires: [area::JOB_TEMPLATES],
    }
}

impl Rule for JobTemplateParametricExecutionRole {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        for t in &cx.inventory.job_templates {
            let Some(role) = t
                .job_template_data
                .as_ref()
                .and_then(|d| d.execution_role_arn.as_deref())
                .filter(|r| r.contains("${"))
            else {
                continue;
            };
            let name = t.name.as_deref().unwrap_or(&t.id);
            let r = match &t.arn {
                Some(arn) => ResourceRef::aws("JobTemplate", arn, Some(name)),
                None => ResourceRef::aws_named("JobTemplate", &t.id),
            }
            .at(&t.source);
            Self::META
                .finding(format!("job template `{name}` takes its execution role from the parameter `{role}`"))
                .resource(r.clone())
                .evidence(Evidence::about(format!("`jobTemplateData.executionRoleArn` is `{role}`"), r))
                .remediation(
                    Remediation::summary("Recreate the template with a fixed execution role ARN (job templates cannot be updated).")
                        .fix(
                            "Create a template with a fixed role",
                            "shell",
                            format!(
                                "aws emr-containers create-job-template --name {name}-fixed --job-template-data '{{\"executionRoleArn\": \"arn:aws:iam::{}:role/EXECUTION_ROLE\", ...}}'",
                                cx.account_id()
                            ),
                        ),
                )
                .push(out);
        }
    }
}
