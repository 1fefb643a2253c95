//! EXR004: an execution role's trust policy admits more than EMR's service accounts.

use std::collections::BTreeSet;

use emrguard_iam::trust::{analyze_emr_trust, ClusterTrustContext, TrustScope};
use emrguard_model::emr::{emr_trust_sub_pattern, POD_IDENTITY_PRINCIPAL};
use emrguard_model::inventory::area;
use emrguard_model::policy::{Principal, Statement};

use crate::context::CheckContext;
use crate::finding::{Evidence, Finding, Remediation};
use crate::registry::Rule;
use crate::rules::exec_role::{
    describe_uses, emr_trust_statement, execution_roles, pretty, role_ref,
};

crate::declare_rule! {
    /// ## What it does
    /// Checks every `Allow` statement of each execution role's trust policy against the
    /// statement `aws emr-containers update-role-trust-policy` writes: this cluster's OIDC
    /// provider with a `StringLike` condition on `<issuer>:sub` equal to
    /// `system:serviceaccount:<namespace>:emr-containers-sa-*-*-<account>-<base36 role name>`.
    /// It flags statements without a `sub` condition, with a wildcard namespace, admitting
    /// every service account of a namespace (`system:serviceaccount:ns:*`) or a pattern
    /// broader than EMR's, and statements for other principals: `*`, an account root, another
    /// IAM user or role, another identity provider, or a service other than
    /// `pods.eks.amazonaws.com` (EKS Pod Identity, documented for EMR). A statement naming one
    /// service account exactly, and another cluster's provider with EMR's pattern, are fine.
    /// An `aud` condition is not required: the CLI does not write one.
    ///
    /// ## Why is this bad?
    /// EMR's pattern "grants permissions only to an Amazon EMR managed Kubernetes service
    /// account"; a broader statement lets any pod of the namespace (or of the cluster), or an
    /// IAM principal, take the job's credentials without submitting a job, which bypasses the
    /// submitter controls (`emr-containers:ExecutionRoleArn`).
    ///
    /// ## Example
    /// ```json
    /// {"Condition": {"StringLike": {"oidc.eks.us-west-2.amazonaws.com/id/EXAMPLE:sub": "system:serviceaccount:emr-team-b:*"}}}
    /// ```
    ///
    /// ## Remediation
    /// Replace the trust policy with the statements the CLI writes, one per namespace the
    /// role is used in (`aws emr-containers update-role-trust-policy --cluster-name C
    /// --namespace NS --role-name R` appends one, but does not remove the broad ones).
    ///
    /// ## References
    /// - Amazon EMR on EKS Development Guide: "Update the trust policy of the job execution role"
    /// - AWS CLI: `aws emr-containers update-role-trust-policy`
    pub struct ExecutionRoleTrustNotScoped {
        code: "EXR004",
        name: "execution-role-trust-not-scoped",
        summary: "an execution role's trust policy admits more than EMR's service accounts",
        practice: ExecutionRoleLeastPrivilege,
        severity: High,
        requires: [area::IAM, area::EKS_CLUSTER],
    }
}

/// Why a scope is not acceptable, or `None` when it is.
fn problem(scope: &TrustScope, statement: &Statement, role_name: &str) -> Option<String> {
    Some(match scope {
        TrustScope::EmrPattern { .. } | TrustScope::SpecificServiceAccount { .. } => return None,
        TrustScope::Service { name } if name.eq_ignore_ascii_case(POD_IDENTITY_PRINCIPAL) => {
            return None
        }
        TrustScope::OtherCluster { provider } if other_cluster_is_scoped(statement, provider, role_name) => {
            return None
        }
        TrustScope::NoPrincipal => return None,
        TrustScope::NoSubCondition => {
            "trusts this cluster's OIDC provider with no `sub` condition: every service account of every namespace".to_owned()
        }
        TrustScope::AnyNamespace { pattern } => {
            format!("admits `{pattern}`: service accounts of any namespace")
        }
        TrustScope::AnyServiceAccountInNamespace { namespace, pattern } => format!(
            "admits `{pattern}`: every service account of `{namespace}`, not only EMR's"
        ),
        TrustScope::BroaderThanEmrPattern {
            pattern, example, ..
        } => format!("admits `{pattern}`, which also matches `{example}`"),
        TrustScope::OtherCluster { provider } => format!(
            "trusts OIDC provider `{provider}` without EMR's service-account pattern"
        ),
        TrustScope::OtherFederated { provider } => {
            format!("trusts identity provider `{provider}`")
        }
        TrustScope::AccountRoot { account } => format!(
            "trusts account `{account}`: any principal there allowed `sts:AssumeRole` can assume it"
        ),
        TrustScope::Everyone => "trusts everyone (`*`)".to_owned(),
        TrustScope::AwsPrincipal { arn } => {
            format!("lets `{arn}` call `sts:AssumeRole` on it")
        }
        TrustScope::Service { name } => format!("lets service `{name}` assume it"),
    })
}

/// Whether a statement for another cluster's provider carries EMR's pattern (or exact
/// service-account names) in a positive `sub` condition.
fn other_cluster_is_scoped(statement: &Statement, provider_arn: &str, role_name: &str) -> bool {
    let Some(host) = provider_arn.split_once(":oidc-provider/").map(|(_, h)| h) else {
        return false;
    };
    let Some(account) = provider_arn.split(':').nth(4) else {
        return false;
    };
    let sub_key = format!("{host}:sub").to_ascii_lowercase();
    statement.condition.iter().any(|(op, keys)| {
        matches!(op.as_str(), "StringLike" | "StringEquals")
            && keys.iter().any(|(k, values)| {
                k.to_ascii_lowercase() == sub_key
                    && !values.is_empty()
                    && values.iter().all(|v| {
                        let Some(rest) = v.strip_prefix("system:serviceaccount:") else {
                            return false;
                        };
                        let Some((ns, _)) = rest.split_once(':') else {
                            return false;
                        };
                        // StringEquals compares literally; a wildcard-free value names one
                        // service account.
                        let exact = op == "StringEquals" || !v.contains(['*', '?']);
                        exact
                            || (!ns.contains(['*', '?'])
                                && *v == emr_trust_sub_pattern(ns, account, role_name))
                    })
            })
    })
}

impl Rule for ExecutionRoleTrustNotScoped {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let Some(trust_cx) = ClusterTrustContext::from_inventory(cx.inventory) else {
            return;
        };
        let cluster = cx
            .inventory
            .cluster()
            .map_or("CLUSTER", |c| c.name.as_str());
        for exec in execution_roles(cx) {
            let role = exec.role;
            let Some(doc) = &role.assume_role_policy_document else {
                continue;
            };
            let analyses = analyze_emr_trust(role, &trust_cx);
            let mut problems: Vec<(usize, Vec<String>)> = Vec::new();
            let mut namespaces: BTreeSet<String> = BTreeSet::new();
            let mut covered: BTreeSet<String> = BTreeSet::new();
            for a in &analyses {
                let Some(statement) = doc.statements.get(a.statement.index) else {
                    continue;
                };
                let found: Vec<String> = a
                    .scopes
                    .iter()
                    .filter_map(|s| problem(s, statement, &role.role_name))
                    .collect();
                namespaces.extend(a.namespaces.iter().filter(|n| *n != "*").cloned());
                if found.is_empty() {
                    covered.extend(a.scopes.iter().filter_map(|s| match s {
                        TrustScope::EmrPattern { namespace } => Some(namespace.clone()),
                        _ => None,
                    }));
                } else {
                    problems.push((a.statement.index, found));
                }
            }
            if problems.is_empty() {
                continue;
            }
            // The namespaces the role serves: where it is used, and the namespaces its
            // statements name (each gets the CLI's statement).
            namespaces.extend(exec.uses.iter().filter_map(|u| u.namespace.clone()));
            namespaces.retain(|n| {
                !n.is_empty() && (cx.is_emr_namespace(n) || cx.emr.namespaces.is_empty())
            });
            let r = role_ref(role);
            let first = problems
                .first()
                .and_then(|(_, p)| p.first())
                .cloned()
                .unwrap_or_default();
            let more = problems
                .iter()
                .map(|(_, p)| p.len())
                .sum::<usize>()
                .saturating_sub(1);
            let mut finding = Self::META
                .finding(format!(
                    "execution role `{}`'s trust policy {first}{}",
                    role.role_name,
                    if more > 0 {
                        format!(" (and {more} more)")
                    } else {
                        String::new()
                    }
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
            let bad: BTreeSet<usize> = problems.iter().map(|(i, _)| *i).collect();
            for (index, found) in &problems {
                let statement = doc.statements.get(*index);
                let sid = statement
                    .and_then(|s| s.sid.as_deref())
                    .map_or_else(String::new, |s| format!(" (Sid `{s}`)"));
                for p in found {
                    let mut e = Evidence::about(
                        format!("trust policy statement {index}{sid} {p}"),
                        r.clone(),
                    );
                    if let Some(json) = statement.and_then(|s| serde_json::to_string(s).ok()) {
                        e = e.with_detail(json);
                    }
                    finding = finding.evidence(e);
                }
            }
            // The fixed policy: the acceptable statements kept, the bad ones replaced by the
            // CLI's statement for each namespace the role serves.
            let mut statements: Vec<serde_json::Value> = doc
                .statements
                .iter()
                .enumerate()
                .filter(|(i, s)| {
                    !bad.contains(i) || s.effect == emrguard_model::policy::Effect::Deny
                })
                .filter_map(|(_, s)| serde_json::to_value(s).ok())
                .collect();
            let wanted: Vec<String> = if namespaces.is_empty() {
                vec!["NAMESPACE".to_owned()]
            } else {
                namespaces.iter().cloned().collect()
            };
            for ns in wanted.iter().filter(|ns| !covered.contains(*ns)) {
                statements.push(emr_trust_statement(&trust_cx, ns, &role.role_name));
            }
            let policy = serde_json::json!({"Version": "2012-10-17", "Statement": statements});
            let commands: Vec<String> = wanted
                .iter()
                .map(|ns| {
                    format!(
                        "aws emr-containers update-role-trust-policy --cluster-name {cluster} --namespace {ns} --role-name {}",
                        role.role_name
                    )
                })
                .collect();
            let keeps_pod_identity = doc.statements.iter().any(|s| {
                matches!(&s.principal, Some(Principal::Typed(m)) if m.get("Service").is_some_and(|v| v.iter().any(|x| x.eq_ignore_ascii_case(POD_IDENTITY_PRINCIPAL))))
            });
            finding
                .remediation(
                    Remediation::summary(format!(
                        "Replace `{}`'s trust policy with EMR's service-account statement for each namespace it serves ({}){}; the CLI appends that statement but does not remove the broad ones.",
                        role.role_name,
                        wanted.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "),
                        if keeps_pod_identity { ", keeping the Pod Identity statement" } else { "" }
                    ))
                    .fix("The resulting trust policy", "json", pretty(&policy))
                    .fix(
                        "Write it (or append EMR's statements with the CLI, then delete the broad ones)",
                        "shell",
                        format!(
                            "aws iam update-assume-role-policy --role-name {} --policy-document file://trust-policy.json\n# or:\n{}",
                            role.role_name,
                            commands.join("\n")
                        ),
                    ),
                )
                .push(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(condition: &str) -> Statement {
        serde_json::from_str(&format!(
            r#"{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::444455556666:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/OTHER"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{condition}}}"#
        ))
        .unwrap()
    }

    const PROVIDER: &str =
        "arn:aws:iam::444455556666:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/OTHER";

    #[test]
    fn another_clusters_statement_is_fine_only_with_emrs_pattern() {
        let key = "oidc.eks.eu-west-1.amazonaws.com/id/OTHER:sub";
        let emr = emr_trust_sub_pattern("emr", "444455556666", "myrole");
        let ok = statement(&format!(r#"{{"StringLike":{{"{key}":"{emr}"}}}}"#));
        assert!(other_cluster_is_scoped(&ok, PROVIDER, "myrole"));
        let exact = statement(&format!(
            r#"{{"StringEquals":{{"{key}":"system:serviceaccount:emr:spark"}}}}"#
        ));
        assert!(other_cluster_is_scoped(&exact, PROVIDER, "myrole"));
        let any_sa = statement(&format!(
            r#"{{"StringLike":{{"{key}":"system:serviceaccount:emr:*"}}}}"#
        ));
        assert!(!other_cluster_is_scoped(&any_sa, PROVIDER, "myrole"));
        let other_role = statement(&format!(r#"{{"StringLike":{{"{key}":"{emr}"}}}}"#));
        assert!(!other_cluster_is_scoped(
            &other_role,
            PROVIDER,
            "another-role"
        ));
        let no_sub = statement("{}");
        assert!(!other_cluster_is_scoped(&no_sub, PROVIDER, "myrole"));
    }
}
