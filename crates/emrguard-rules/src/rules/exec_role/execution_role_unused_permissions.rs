//! EXR008: execution-role permissions that the snapshot's CloudTrail events never show in use.

use std::collections::{BTreeMap, BTreeSet};

use emrguard_iam::privilege::compare_usage;
use emrguard_iam::{AccessLevel, ActionInfo, ActionSet, Catalog};
use emrguard_model::aws::CloudTrailEvent;
use emrguard_model::inventory::{area, normalise_principal_arn};

use crate::context::CheckContext;
use crate::finding::{Evidence, Finding, Remediation, Severity};
use crate::registry::Rule;
use crate::rules::exec_role::{execution_roles, pretty, role_ref, statement_evidence, ticked};

crate::declare_rule! {
    /// ## What it does
    /// Compares each execution role's effective permissions with the calls the role made in
    /// the snapshot's CloudTrail events (successful calls only; API names mapped to the
    /// permission they need, e.g. S3 `ListObjects` to `s3:ListBucket`, `HeadObject` to
    /// `s3:GetObject`, multipart uploads to `s3:PutObject`) and flags granted actions that
    /// never occur. The remediation is a policy with only the used actions, scoped to the
    /// resources the events name. Roles without any CloudTrail event of their own are not
    /// judged (the snapshot says nothing about their use). When the events hold no data
    /// events of a service (S3 object calls, DynamoDB item calls, CloudWatch Logs log events,
    /// Lambda invocations), that service's data actions are not called unused: the trail
    /// probably does not log them. Severity: medium when an unused action writes or manages
    /// permissions, low otherwise.
    ///
    /// ## Why is this bad?
    /// EMR asks for execution roles with "only the minimum set of privileges required by the
    /// job" and for "auditing the jobs for permissions on a regular basis". Granted but unused
    /// permissions are what an attacker with the job's credentials uses.
    ///
    /// ## Example
    /// ```json
    /// {"Sid": "GlueCatalogRead", "Effect": "Allow",
    ///  "Action": ["glue:GetDatabase", "glue:GetTable", "glue:GetPartitions"], "Resource": "..."}
    /// ```
    /// with no Glue call by the role in CloudTrail.
    ///
    /// ## Remediation
    /// Replace the role's policies with the suggested one after checking it against jobs that
    /// run rarely (the events cover a limited period).
    ///
    /// ## Known limitations
    /// The events cover the snapshot's period only; a monthly job may need what a week of
    /// events does not show.
    ///
    /// ## References
    /// - Amazon EMR on EKS security best practices: "Apply principle of least privilege"
    /// - AWS IAM User Guide: "Refine permissions in AWS using last accessed information"
    pub struct ExecutionRoleUnusedPermissions {
        code: "EXR008",
        name: "execution-role-unused-permissions",
        summary: "an execution role holds permissions its jobs never use",
        practice: ExecutionRoleLeastPrivilege,
        severity: Low,
        requires: [area::IAM, area::CLOUDTRAIL],
    }
}

/// The IAM action a CloudTrail event name needs, where the names differ (S3 mostly).
fn action_for(service: &str, event: &str) -> Option<&'static str> {
    Some(match (service, event) {
        ("s3", "ListObjects" | "ListObjectsV2" | "HeadBucket") => "ListBucket",
        ("s3", "ListObjectVersions") => "ListBucketVersions",
        ("s3", "HeadObject" | "SelectObjectContent") => "GetObject",
        (
            "s3",
            "CreateMultipartUpload"
            | "UploadPart"
            | "CompleteMultipartUpload"
            | "CopyObject"
            | "UploadPartCopy",
        ) => "PutObject",
        ("s3", "DeleteObjects") => "DeleteObject",
        ("s3", "ListParts") => "ListMultipartUploadParts",
        ("s3", "GetBucketLocation") => "GetBucketLocation",
        _ => return None,
    })
}

/// The services of [`is_data_action`].
const DATA_EVENT_SERVICES: [&str; 4] = ["s3", "dynamodb", "logs", "lambda"];

/// Data actions CloudTrail logs only as data events, per service ([`DATA_EVENT_SERVICES`]).
fn is_data_action(action: &str) -> bool {
    let Some((service, name)) = action.split_once(':') else {
        return false;
    };
    match service {
        "s3" => {
            name.contains("Object")
                || matches!(
                    name,
                    "ListBucket"
                        | "ListBucketVersions"
                        | "ListMultipartUploadParts"
                        | "AbortMultipartUpload"
                        | "ReplicateDelete"
                )
        }
        "dynamodb" => {
            name.ends_with("Item")
                || matches!(name, "Query" | "Scan" | "BatchGetItem" | "BatchWriteItem")
                || name.starts_with("PartiQL")
        }
        "logs" => matches!(name, "PutLogEvents" | "GetLogEvents" | "FilterLogEvents"),
        "lambda" => matches!(name, "InvokeFunction" | "InvokeFunctionUrl"),
        _ => false,
    }
}

/// An event with its name rewritten to the IAM action it needs.
fn normalised(event: &CloudTrailEvent) -> CloudTrailEvent {
    let service = event.event_source.split('.').next().unwrap_or_default();
    let mut e = event.clone();
    if let Some(action) = action_for(service, &event.event_name) {
        action.clone_into(&mut e.event_name);
    }
    e
}

impl Rule for ExecutionRoleUnusedPermissions {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let catalog = Catalog::get();
        // Events by acting principal; web-identity sign-ins are the role being assumed, not
        // the role acting.
        let mut by_principal: BTreeMap<String, Vec<CloudTrailEvent>> = BTreeMap::new();
        let mut data_services: BTreeSet<String> = BTreeSet::new();
        for e in &cx.inventory.cloudtrail_events {
            let n = normalised(e);
            let action = n.action();
            if is_data_action(&action) {
                if let Some((svc, _)) = action.split_once(':') {
                    data_services.insert(svc.to_owned());
                }
            }
            let Some(p) = e.principal_arn.as_deref() else {
                continue;
            };
            if matches!(
                e.event_name.as_str(),
                "AssumeRoleWithWebIdentity" | "AssumeRoleWithSAML"
            ) {
                continue;
            }
            by_principal
                .entry(normalise_principal_arn(p))
                .or_default()
                .push(n);
        }
        for exec in execution_roles(cx) {
            let role = exec.role;
            let Some(events) = by_principal.get(&normalise_principal_arn(&role.arn)) else {
                continue;
            };
            let analysis = cx.iam_summary(role);
            let usage = compare_usage(&analysis.privilege.effective, events, &role.arn);
            // Only the services with data events can have unlogged actions: the others are
            // passed over without reading the action's name (an administrator has 20,000).
            let unlogged = |a: &ActionInfo| {
                let svc = a.service();
                DATA_EVENT_SERVICES.contains(&svc)
                    && !data_services.contains(svc)
                    && is_data_action(a.full_name())
            };
            // One pass sorts the unused actions into counted or skipped, keeping the counted
            // ones' indexes so that each grant's share is a set intersection.
            let mut unused: Vec<&'static str> = Vec::new();
            let mut skipped: Vec<&'static str> = Vec::new();
            let mut unused_set = ActionSet::empty(catalog.len());
            for i in usage.unused_set.iter() {
                let Some(action) = catalog.action(i) else {
                    continue;
                };
                let name = action.full_name();
                if unlogged(action) {
                    skipped.push(name);
                } else {
                    unused.push(name);
                    unused_set.insert(i);
                }
            }
            if unused.is_empty() {
                continue;
            }
            let granted = analysis.privilege.effective.allowed().count();
            let risky = unused.iter().any(|a| {
                catalog.access_level(a).is_some_and(|l| {
                    matches!(l, AccessLevel::Write | AccessLevel::PermissionsManagement)
                })
            });
            let r = role_ref(role);
            let message = if unused.len() > 12 {
                format!(
                    "execution role `{}` used only {} of its {granted} granted actions in the snapshot's CloudTrail events",
                    role.role_name,
                    usage.used.len()
                )
            } else {
                format!(
                    "execution role `{}` never used {} of its {granted} granted action{} in the snapshot's CloudTrail events ({})",
                    role.role_name,
                    unused.len(),
                    if granted == 1 { "" } else { "s" },
                    ticked(&unused, 3)
                )
            };
            let mut finding = Self::META.finding(message).resource(r.clone());
            let mut times: Vec<&str> = events
                .iter()
                .filter_map(|e| e.event_time.as_deref())
                .collect();
            times.sort_unstable();
            let period = match (times.first(), times.last()) {
                (Some(a), Some(b)) => format!(" between {a} and {b}"),
                _ => String::new(),
            };
            finding = finding.evidence(Evidence::about(
                format!(
                    "CloudTrail holds {} call{} by `{}`{period}; they use {}",
                    events.len(),
                    if events.len() == 1 { "" } else { "s" },
                    role.role_name,
                    if usage.used.is_empty() {
                        "none of its permissions".to_owned()
                    } else {
                        ticked(&usage.used, 12)
                    }
                ),
                r,
            ));
            for grant in &analysis.privilege.effective.grants {
                let mut hit = grant.actions.clone();
                hit.intersect_with(&unused_set);
                let names: Vec<&str> = hit
                    .iter()
                    .filter_map(|i| catalog.action(i))
                    .map(|a| a.full_name())
                    .collect();
                if names.is_empty() {
                    continue;
                }
                let what = if names.len() > 12 {
                    let services: BTreeSet<&str> =
                        names.iter().filter_map(|n| n.split(':').next()).collect();
                    format!(
                        "{} actions of {} services never used",
                        names.len(),
                        services.len()
                    )
                } else {
                    format!("{}, never used", ticked(&names, 12))
                };
                finding =
                    finding.evidence(statement_evidence(cx, &analysis, &grant.statement, &what));
            }
            if !skipped.is_empty() {
                finding = finding.evidence(Evidence::text(format!(
                    "not counted as unused: {} (the events hold no data events of {}, so the trail may not log them)",
                    ticked(&skipped, 4),
                    ticked(
                        &skipped
                            .iter()
                            .filter_map(|a| a.split(':').next().map(str::to_owned))
                            .collect::<BTreeSet<_>>()
                            .into_iter()
                            .collect::<Vec<_>>(),
                        4
                    )
                )));
            }
            let mut policy = usage.suggested_policy.clone();
            if !skipped.is_empty() {
                policy.statements.push(emrguard_model::policy::Statement {
                    sid: Some("DataActionsNotInTrail".into()),
                    effect: emrguard_model::policy::Effect::Allow,
                    principal: None,
                    not_principal: None,
                    action: Some(skipped.iter().map(|a| (*a).to_owned()).collect()),
                    not_action: None,
                    resource: Some(vec!["RESOURCES_AS_TODAY".into()]),
                    not_resource: None,
                    condition: BTreeMap::new(),
                });
            }
            let mut built = finding.remediation(
                Remediation::summary(format!(
                    "Replace `{}`'s policies with the actions its jobs use (check jobs that run less often than the events cover first).",
                    role.role_name
                ))
                .fix(
                    "A policy with only the used actions, scoped to the resources the events name",
                    "json",
                    pretty(&policy),
                ),
            )
            .build();
            if risky {
                built.severity = Severity::Medium;
            }
            out.push(built);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(source: &str, name: &str) -> CloudTrailEvent {
        CloudTrailEvent {
            event_source: source.to_owned(),
            event_name: name.to_owned(),
            ..CloudTrailEvent::default()
        }
    }

    #[test]
    fn api_names_become_the_permissions_they_need() {
        for (source, name, action) in [
            ("s3.amazonaws.com", "ListObjects", "s3:ListBucket"),
            ("s3.amazonaws.com", "ListObjectsV2", "s3:ListBucket"),
            ("s3.amazonaws.com", "HeadObject", "s3:GetObject"),
            ("s3.amazonaws.com", "UploadPart", "s3:PutObject"),
            ("s3.amazonaws.com", "DeleteObjects", "s3:DeleteObject"),
            ("s3.amazonaws.com", "GetObject", "s3:GetObject"),
            ("glue.amazonaws.com", "GetTable", "glue:GetTable"),
        ] {
            let n = normalised(&event(source, name));
            assert_eq!(n.action(), action, "{source} {name}");
            assert!(
                Catalog::get().index_of(action).is_some(),
                "{action} is not in the catalog"
            );
        }
    }

    #[test]
    fn data_actions_are_told_from_management_actions() {
        for a in [
            "s3:GetObject",
            "s3:PutObjectAcl",
            "s3:ListBucket",
            "dynamodb:GetItem",
            "dynamodb:Query",
            "logs:PutLogEvents",
            "lambda:InvokeFunction",
        ] {
            assert!(is_data_action(a), "{a}");
        }
        for a in [
            "s3:CreateBucket",
            "s3:PutBucketPolicy",
            "dynamodb:CreateTable",
            "logs:CreateLogStream",
            "iam:PutRolePolicy",
        ] {
            assert!(!is_data_action(a), "{a}");
        }
    }

    /// The quick service check before `is_data_action` never passes over a data action.
    #[test]
    fn every_data_action_is_of_a_data_event_service() {
        let data: Vec<&str> = Catalog::get()
            .actions()
            .iter()
            .filter(|a| is_data_action(a.full_name()))
            .map(|a| a.service())
            .collect();
        assert!(data.len() > 30, "{}", data.len());
        assert!(data.iter().all(|s| DATA_EVENT_SERVICES.contains(s)));
        for service in DATA_EVENT_SERVICES {
            assert!(data.contains(&service), "{service}");
        }
    }
}
