//! EXR003: an execution role that reads or writes data on all resources.

use std::collections::BTreeSet;

use emrguard_iam::privilege::PrivilegeKind;
use emrguard_model::aws::{ConfigurationOverrides, JobDriver};
use emrguard_model::inventory::area;

use crate::context::CheckContext;
use crate::finding::{Evidence, Finding, Remediation};
use crate::registry::Rule;
use crate::rules::exec_role::{
    admin_coverage, describe_uses, execution_roles, pretty, role_ref, statement_evidence, ticked,
};

crate::declare_rule! {
    /// ## What it does
    /// Flags execution roles that may read or write data on all resources: S3 object reads
    /// or writes on `*` or on every bucket (`arn:aws:s3:::*/*`), `kms:Decrypt`,
    /// `secretsmanager:GetSecretValue` or `ssm:GetParameter*` on `*`, and DynamoDB item
    /// access on every table. The evidence names the statements and the data and log
    /// destinations the role's job runs and endpoints actually use (`monitoringConfiguration`
    /// S3 `logUri`, CloudWatch log group, the entry point's bucket), and the remediation
    /// suggests a policy scoped to them. Roles reported by EXR001 for a grant that implies
    /// this access are not reported again.
    ///
    /// ## Why is this bad?
    /// A job should reach its own data and log destinations. A role that reads every bucket,
    /// secret or parameter in the account lets any job, and anyone who controls one, read
    /// other teams' data and credentials; a role that writes everywhere can destroy it.
    ///
    /// ## Example
    /// ```json
    /// {"Sid": "ReadReferenceData", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    /// ```
    ///
    /// ## Remediation
    /// Replace the `*` with the buckets, prefixes, keys, secrets and parameters the jobs use.
    ///
    /// ## References
    /// - Amazon EMR on EKS security best practices: "Apply principle of least privilege"
    /// - Amazon EMR on EKS Development Guide: "Create a job execution role" (S3 and CloudWatch permissions for logs)
    pub struct ExecutionRoleDataAccessAllResources {
        code: "EXR003",
        name: "execution-role-data-access-all-resources",
        summary: "an execution role reads or writes data on all resources",
        practice: ExecutionRoleLeastPrivilege,
        severity: High,
        requires: [area::IAM],
    }
}

/// The S3 buckets and CloudWatch log groups a role's jobs and endpoints use.
#[derive(Debug, Default)]
struct Destinations {
    buckets: BTreeSet<String>,
    log_groups: BTreeSet<String>,
    described: BTreeSet<String>,
}

fn bucket_of(uri: &str) -> Option<&str> {
    let rest = uri
        .strip_prefix("s3://")
        .or_else(|| uri.strip_prefix("s3a://"))?;
    let bucket = rest.split('/').next()?;
    (!bucket.is_empty()).then_some(bucket)
}

impl Destinations {
    fn add(
        &mut self,
        what: &str,
        overrides: Option<&ConfigurationOverrides>,
        driver: Option<&JobDriver>,
    ) {
        let mut seen = Vec::new();
        let monitoring = overrides.and_then(|o| o.monitoring_configuration.as_ref());
        if let Some(uri) = monitoring
            .and_then(|m| m.s3_monitoring_configuration.as_ref())
            .and_then(|s| s.log_uri.as_deref())
        {
            if let Some(b) = bucket_of(uri) {
                self.buckets.insert(b.to_owned());
                seen.push(format!("S3 logs `{uri}`"));
            }
        }
        if let Some(group) = monitoring
            .and_then(|m| m.cloud_watch_monitoring_configuration.as_ref())
            .and_then(|c| c.log_group_name.as_deref())
        {
            self.log_groups.insert(group.to_owned());
            seen.push(format!("log group `{group}`"));
        }
        let entry = driver.and_then(|d| {
            d.spark_submit_job_driver
                .as_ref()
                .and_then(|s| s.entry_point.as_deref())
                .or_else(|| {
                    d.spark_sql_job_driver
                        .as_ref()
                        .and_then(|s| s.entry_point.as_deref())
                })
        });
        if let Some(entry) = entry {
            if let Some(b) = bucket_of(entry) {
                self.buckets.insert(b.to_owned());
                seen.push(format!("entry point `{entry}`"));
            }
        }
        if !seen.is_empty() {
            self.described
                .insert(format!("{what}: {}", seen.join(", ")));
        }
    }
}

fn destinations(cx: &CheckContext<'_>, role_arn: &str) -> Destinations {
    let inventory = cx.inventory;
    let same = |arn: Option<&str>| {
        arn.and_then(|a| inventory.role_by_arn(a))
            .is_some_and(|r| r.arn == role_arn)
    };
    let mut d = Destinations::default();
    for jr in inventory
        .job_runs
        .iter()
        .filter(|j| same(j.execution_role_arn.as_deref()))
    {
        let what = format!(
            "job run `{}`{}",
            jr.id,
            jr.name
                .as_deref()
                .map_or_else(String::new, |n| format!(" ({n})"))
        );
        d.add(
            &what,
            jr.configuration_overrides.as_ref(),
            jr.job_driver.as_ref(),
        );
    }
    for ep in inventory
        .managed_endpoints
        .iter()
        .filter(|e| same(e.execution_role_arn.as_deref()))
    {
        let what = format!("managed endpoint `{}`", ep.id);
        d.add(&what, ep.configuration_overrides.as_ref(), None);
    }
    d
}

/// A policy granting the data actions on the destinations only.
fn scoped_policy(
    cx: &CheckContext<'_>,
    actions: &[&str],
    dest: &Destinations,
) -> serde_json::Value {
    let partition = cx.inventory.partition();
    let region = cx
        .inventory
        .cluster()
        .and_then(|c| c.region())
        .unwrap_or("REGION");
    let account = cx.account_id();
    let s3_object: Vec<&str> = actions
        .iter()
        .copied()
        .filter(|a| a.to_ascii_lowercase().starts_with("s3:"))
        .collect();
    let other: Vec<&str> = actions
        .iter()
        .copied()
        .filter(|a| !a.to_ascii_lowercase().starts_with("s3:"))
        .collect();
    let mut statements = Vec::new();
    if !s3_object.is_empty() {
        let buckets: Vec<String> = if dest.buckets.is_empty() {
            vec![format!("arn:{partition}:s3:::JOB_BUCKET/*")]
        } else {
            dest.buckets
                .iter()
                .map(|b| format!("arn:{partition}:s3:::{b}/*"))
                .collect()
        };
        statements.push(serde_json::json!({
            "Sid": "JobData",
            "Effect": "Allow",
            "Action": s3_object,
            "Resource": buckets,
        }));
        let bucket_arns: Vec<String> = if dest.buckets.is_empty() {
            vec![format!("arn:{partition}:s3:::JOB_BUCKET")]
        } else {
            dest.buckets
                .iter()
                .map(|b| format!("arn:{partition}:s3:::{b}"))
                .collect()
        };
        statements.push(serde_json::json!({
            "Sid": "ListJobBuckets",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": bucket_arns,
        }));
    }
    if !dest.log_groups.is_empty() {
        let groups: Vec<String> = dest
            .log_groups
            .iter()
            .map(|g| format!("arn:{partition}:logs:{region}:{account}:log-group:{g}:*"))
            .collect();
        statements.push(serde_json::json!({
            "Sid": "JobLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            "Resource": groups,
        }));
    }
    if !other.is_empty() {
        statements.push(serde_json::json!({
            "Sid": "NamedKeysSecretsParameters",
            "Effect": "Allow",
            "Action": other,
            "Resource": [format!("arn:{partition}:SERVICE:{region}:{account}:RESOURCE_USED_BY_THE_JOB")],
        }));
    }
    serde_json::json!({"Version": "2012-10-17", "Statement": statements})
}

impl Rule for ExecutionRoleDataAccessAllResources {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        for exec in execution_roles(cx) {
            let role = exec.role;
            let analysis = cx.iam_summary(role);
            let coverage = admin_coverage(&analysis);
            let classes: Vec<_> = analysis
                .privilege
                .classes
                .iter()
                .filter(|c| matches!(c.kind, PrivilegeKind::DataRead | PrivilegeKind::DataWrite))
                .filter(|c| !c.actions.iter().all(|a| coverage.covers(a)))
                .collect();
            if classes.is_empty() {
                continue;
            }
            let mut actions: Vec<&str> = classes
                .iter()
                .flat_map(|c| c.actions.iter().cloned())
                .filter(|a| !coverage.covers(a))
                .collect();
            actions.sort();
            actions.dedup();
            let r = role_ref(role);
            let mut finding = Self::META
                .finding(format!(
                    "execution role `{}` may use {} on all resources",
                    role.role_name,
                    ticked(&actions, 4)
                ))
                .resource(r.clone())
                .evidence(Evidence::about(
                    format!(
                        "`{}` is an execution role: {}",
                        role.role_name,
                        describe_uses(&exec.uses)
                    ),
                    r,
                ));
            let mut shown = BTreeSet::new();
            for class in &classes {
                for st in &class.statements {
                    if !shown.insert(st.clone()) {
                        continue;
                    }
                    let granted: Vec<&str> = actions
                        .iter()
                        .filter(|a| {
                            analysis
                                .privilege
                                .effective
                                .grants_for(a)
                                .iter()
                                .any(|g| g.statement == *st && g.all_resources)
                        })
                        .cloned()
                        .collect();
                    finding = finding.evidence(statement_evidence(
                        cx,
                        &analysis,
                        st,
                        &ticked(&granted, 6),
                    ));
                }
            }
            let dest = destinations(cx, &role.arn);
            if dest.described.is_empty() {
                finding = finding.evidence(Evidence::text(
                    "no job run or managed endpoint in the snapshot shows which buckets and log groups the role's jobs use",
                ));
            } else {
                let described: Vec<String> = dest.described.iter().cloned().collect();
                finding = finding.evidence(Evidence::text(format!(
                    "its jobs use only {}: {}",
                    [
                        (!dest.buckets.is_empty()).then(|| format!(
                            "bucket{} {}",
                            if dest.buckets.len() > 1 { "s" } else { "" },
                            ticked(&dest.buckets.iter().cloned().collect::<Vec<_>>(), 6)
                        )),
                        (!dest.log_groups.is_empty()).then(|| format!(
                            "log group{} {}",
                            if dest.log_groups.len() > 1 { "s" } else { "" },
                            ticked(&dest.log_groups.iter().cloned().collect::<Vec<_>>(), 6)
                        )),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" and "),
                    {
                        let mut shown = described
                            .iter()
                            .take(4)
                            .cloned()
                            .collect::<Vec<_>>()
                            .join("; ");
                        if described.len() > 4 {
                            shown.push_str(&format!("; and {} more", described.len() - 4));
                        }
                        shown
                    }
                )));
            }
            let policy = scoped_policy(cx, &actions, &dest);
            finding
                .remediation(
                    Remediation::summary(format!(
                        "Scope `{}`'s data access to the buckets, log groups, keys, secrets and parameters its jobs use, and remove the statements on `*`.",
                        role.role_name
                    ))
                    .fix(
                        "A policy scoped to the job's destinations (replace the statements that grant the actions on `*`)",
                        "json",
                        pretty(&policy),
                    ),
                )
                .push(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_come_from_s3_uris_only() {
        assert_eq!(bucket_of("s3://team-a-logs/emr/"), Some("team-a-logs"));
        assert_eq!(bucket_of("s3a://team-a-data"), Some("team-a-data"));
        assert_eq!(bucket_of("local:///opt/spark/job.py"), None);
        assert_eq!(bucket_of("s3:///key"), None);
    }
}
