//! ISO003: one execution role usable in the namespaces of several tenants.

use std::collections::{BTreeMap, BTreeSet};

use emrguard_iam::trust::ClusterTrustContext;
use emrguard_model::inventory::area;

use crate::context::CheckContext;
use crate::finding::{Evidence, Finding, Remediation, ResourceRef, Severity};
use crate::registry::Rule;
use crate::rules::exec_role::{
    emr_trust_statement, namespaces_by_role, pretty, role_ref, usable_roles,
};

crate::declare_rule! {
    /// ## What it does
    /// Flags execution roles usable in the namespaces of more than one tenant: by IRSA trust
    /// statements admitting the namespace, job runs and managed endpoints there, Pod Identity
    /// associations (when the role trusts `pods.eks.amazonaws.com`) and IRSA annotations of
    /// its service accounts. Tenants come from the configuration's `[tenants.*].namespaces`;
    /// a live EMR namespace no tenant claims counts as a tenant of its own, and without
    /// tenants in the configuration every live EMR namespace does. Severity: medium when every
    /// tenant involved is configured as `trusted`, high otherwise.
    ///
    /// ## Why is this bad?
    /// A shared role joins the tenants' blast radius: a job of one tenant holds the other
    /// tenant's data access, and the role's permissions grow to the union of what every
    /// tenant needs. Isolation by virtual cluster and namespace means nothing when the role
    /// crosses it.
    ///
    /// ## Example
    /// `emr-shared-spark-execution` has EMR trust statements for `emr-team-a` (tenant team-a)
    /// and `emr-team-b` (tenant team-b).
    ///
    /// ## Remediation
    /// Give each tenant its own execution role (a copy of the policy scoped to the tenant's
    /// data), trusted only in the tenant's namespace.
    ///
    /// ## References
    /// - Amazon EMR on EKS security best practices: "Isolate untrusted application code"
    /// - Amazon EMR on EKS Development Guide: "Update the trust policy of the job execution role"
    pub struct ExecutionRoleSharedAcrossTenants {
        code: "ISO003",
        name: "execution-role-shared-across-tenants",
        summary: "one execution role is usable in several tenants' namespaces",
        practice: UntrustedCodeIsolation,
        severity: High,
        requires: [area::IAM, area::VIRTUAL_CLUSTERS],
    }
}

/// The tenant a namespace belongs to: configured tenants' names, else the namespace itself.
fn tenant_of<'c>(cx: &'c CheckContext<'_>, namespace: &'c str) -> (String, bool) {
    for (name, t) in &cx.config.tenants {
        if t.namespaces.iter().any(|n| n == namespace) {
            return (format!("tenant `{name}`"), t.trusted);
        }
    }
    (format!("namespace `{namespace}`"), false)
}

impl Rule for ExecutionRoleSharedAcrossTenants {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let usable = usable_roles(cx);
        let trust_cx = ClusterTrustContext::from_inventory(cx.inventory);
        let cluster = cx
            .inventory
            .cluster()
            .map_or("CLUSTER", |c| c.name.as_str());
        for (arn, by_ns) in namespaces_by_role(usable) {
            let Some(role) = cx.inventory.role_by_arn(&arn) else {
                continue;
            };
            let mut tenants: BTreeMap<String, (bool, BTreeSet<String>)> = BTreeMap::new();
            for ns in by_ns.keys() {
                let (tenant, trusted) = tenant_of(cx, ns);
                tenants
                    .entry(tenant)
                    .or_insert_with(|| (trusted, BTreeSet::new()))
                    .1
                    .insert(ns.clone());
            }
            if tenants.len() < 2 {
                continue;
            }
            let names: Vec<String> = tenants.keys().cloned().collect();
            let r = role_ref(role);
            let mut finding = Self::META
                .finding(format!(
                    "execution role `{}` is usable by {} tenants: {}",
                    role.role_name,
                    tenants.len(),
                    names.join(", ")
                ))
                .resource(r.clone());
            for (ns, uses) in &by_ns {
                let (tenant, _) = tenant_of(cx, ns);
                let ns_ref = cx.inventory.namespace(ns).map_or_else(
                    || ResourceRef::k8s("Namespace", None, ns),
                    |n| ResourceRef::k8s("Namespace", None, ns).at(&n.source),
                );
                let details: Vec<String> = uses.iter().map(|u| u.detail.clone()).collect();
                finding = finding.resource(ns_ref.clone()).evidence(Evidence::about(
                    format!("usable in `{ns}` ({tenant}): {}", details.join("; ")),
                    ns_ref,
                ));
            }
            // One role per tenant, each trusted only in its namespaces.
            let mut commands = Vec::new();
            let mut policies = Vec::new();
            for (tenant, (_, namespaces)) in &tenants {
                let slug: String = tenant
                    .split('`')
                    .nth(1)
                    .unwrap_or("tenant")
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '-' {
                            c
                        } else {
                            '-'
                        }
                    })
                    .collect();
                let new_role = format!("{}-{slug}", role.role_name);
                let new_role: String = new_role.chars().take(64).collect();
                commands.push(format!(
                    "aws iam create-role --role-name {new_role} --assume-role-policy-document file://{new_role}-trust.json\n# copy {}'s permissions to {new_role}, scoped to {tenant}'s data",
                    role.role_name
                ));
                if let Some(tc) = &trust_cx {
                    let statements: Vec<serde_json::Value> = namespaces
                        .iter()
                        .map(|ns| emr_trust_statement(tc, ns, &new_role))
                        .collect();
                    policies.push((
                        new_role.clone(),
                        pretty(
                            &serde_json::json!({"Version": "2012-10-17", "Statement": statements}),
                        ),
                    ));
                } else {
                    for ns in namespaces {
                        commands.push(format!(
                            "aws emr-containers update-role-trust-policy --cluster-name {cluster} --namespace {ns} --role-name {new_role}"
                        ));
                    }
                }
            }
            let mut remediation = Remediation::summary(format!(
                "Give each of {} its own execution role, trusted only in its namespaces, and remove `{}`'s trust for all but one.",
                names.join(", "),
                role.role_name
            ))
            .fix("Create one role per tenant", "shell", commands.join("\n"));
            for (new_role, policy) in policies {
                remediation = remediation.fix(
                    format!("`{new_role}-trust.json`: what update-role-trust-policy writes for its namespaces"),
                    "json",
                    policy,
                );
            }
            let mut built = finding.remediation(remediation).build();
            if tenants.values().all(|(trusted, _)| *trusted) {
                built.severity = Severity::Medium;
            }
            out.push(built);
        }
    }
}
