//! `emrguard inventory`: what a snapshot contains.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use emrguard_model::inventory::{EmrView, MappedIdentity};
use emrguard_model::{CoverageGap, Inventory};
use serde::Serialize;

use crate::common::{to_json, CmdResult, Format, OutputArgs, SnapshotArgs};

/// Arguments of `emrguard inventory`.
#[derive(Debug, Args)]
pub struct InventoryArgs {
    /// Snapshot directory (same as --snapshot).
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    #[command(flatten)]
    pub snapshot: SnapshotArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The JSON document `inventory --format json` prints.
#[derive(Debug, Serialize)]
struct InventoryReport {
    schema_version: &'static str,
    counts: BTreeMap<&'static str, usize>,
    cluster: Option<ClusterSummary>,
    emr: EmrView,
    node_groups: Vec<NodegroupSummary>,
    endpoints: Vec<EndpointSummary>,
    identity_mappings: Vec<MappedIdentity>,
    coverage_gaps: Vec<CoverageGap>,
    skipped_files: Vec<emrguard_model::inventory::SkippedFile>,
    warnings: Vec<String>,
}

#[derive(Debug, Serialize)]
struct ClusterSummary {
    name: String,
    arn: String,
    version: Option<String>,
    oidc_issuer: Option<String>,
    authentication_mode: Option<String>,
}

#[derive(Debug, Serialize)]
struct NodegroupSummary {
    name: String,
    node_role: Option<String>,
    launch_template: Option<String>,
}

#[derive(Debug, Serialize)]
struct EndpointSummary {
    id: String,
    name: Option<String>,
    virtual_cluster_id: String,
    state: Option<String>,
    execution_role_arn: Option<String>,
    security_group: Option<String>,
}

fn counts(inv: &Inventory) -> BTreeMap<&'static str, usize> {
    BTreeMap::from([
        ("Namespace", inv.namespaces.len()),
        ("ServiceAccount", inv.service_accounts.len()),
        ("Role", inv.roles.len()),
        ("ClusterRole", inv.cluster_roles.len()),
        ("RoleBinding", inv.role_bindings.len()),
        ("ClusterRoleBinding", inv.cluster_role_bindings.len()),
        ("ConfigMap", inv.config_maps.len()),
        ("Secret", inv.secrets.len()),
        ("Pod", inv.pods.len()),
        ("Workload", inv.workloads.len()),
        ("WebhookConfiguration", inv.webhook_configurations.len()),
        ("Service", inv.services.len()),
        ("NetworkPolicy", inv.network_policies.len()),
        ("Node", inv.nodes.len()),
        ("IAMUser", inv.iam_users.len()),
        ("IAMGroup", inv.iam_groups.len()),
        ("IAMRole", inv.iam_roles.len()),
        ("IAMManagedPolicy", inv.managed_policies.len()),
        ("EKSCluster", inv.clusters.len()),
        ("Nodegroup", inv.nodegroups.len()),
        ("AccessEntry", inv.access_entries.len()),
        (
            "PodIdentityAssociation",
            inv.pod_identity_associations.len(),
        ),
        ("VirtualCluster", inv.virtual_clusters.len()),
        ("ManagedEndpoint", inv.managed_endpoints.len()),
        ("JobRun", inv.job_runs.len()),
        ("JobTemplate", inv.job_templates.len()),
        ("Subnet", inv.subnets.len()),
        ("RouteTable", inv.route_tables.len()),
        ("SecurityGroup", inv.security_groups.len()),
        ("LaunchTemplateVersion", inv.launch_template_versions.len()),
        ("Instance", inv.instances.len()),
        ("LoadBalancer", inv.load_balancers.len()),
        ("CloudTrailEvent", inv.cloudtrail_events.len()),
    ])
}

fn build(inv: &Inventory) -> InventoryReport {
    InventoryReport {
        schema_version: "1",
        counts: counts(inv),
        cluster: inv.cluster().map(|c| ClusterSummary {
            name: c.name.clone(),
            arn: c.arn.clone(),
            version: c.version.clone(),
            oidc_issuer: c.oidc_issuer().map(str::to_owned),
            authentication_mode: c
                .access_config
                .as_ref()
                .and_then(|a| a.authentication_mode.clone()),
        }),
        emr: inv.emr_view(),
        node_groups: inv
            .nodegroups
            .iter()
            .map(|n| NodegroupSummary {
                name: n.nodegroup_name.clone(),
                node_role: n.node_role.clone(),
                launch_template: n.launch_template.as_ref().map(|lt| {
                    format!(
                        "{} (version {})",
                        lt.name.as_deref().or(lt.id.as_deref()).unwrap_or("?"),
                        lt.version.as_deref().unwrap_or("default")
                    )
                }),
            })
            .collect(),
        endpoints: inv
            .managed_endpoints
            .iter()
            .map(|e| EndpointSummary {
                id: e.id.clone(),
                name: e.name.clone(),
                virtual_cluster_id: e.virtual_cluster_id.clone(),
                state: e.state.clone(),
                execution_role_arn: e.execution_role_arn.clone(),
                security_group: e.security_group.clone(),
            })
            .collect(),
        identity_mappings: inv.identity_mappings(),
        coverage_gaps: inv.coverage_gaps(),
        skipped_files: inv.skipped.clone(),
        warnings: inv.warnings.clone(),
    }
}

fn render_text(r: &InventoryReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Objects");
    for (kind, n) in r.counts.iter().filter(|(_, n)| **n > 0) {
        let _ = writeln!(s, "  {kind:<24} {n:>7}");
    }
    if let Some(c) = &r.cluster {
        let _ = writeln!(s, "\nEKS cluster\n  {} ({})", c.name, c.arn);
        if let Some(v) = &c.version {
            let _ = writeln!(s, "  Kubernetes {v}");
        }
        if let Some(i) = &c.oidc_issuer {
            let _ = writeln!(s, "  OIDC issuer {i}");
        }
        if let Some(m) = &c.authentication_mode {
            let _ = writeln!(s, "  authentication mode {m}");
        }
    }
    let _ = writeln!(s, "\nVirtual clusters");
    if r.emr.virtual_clusters.is_empty() {
        let _ = writeln!(s, "  (none)");
    }
    for vc in &r.emr.virtual_clusters {
        let _ = writeln!(
            s,
            "  {} {:<20} namespace {:<20} {}",
            vc.id,
            vc.name.as_deref().unwrap_or("-"),
            vc.namespace.as_deref().unwrap_or("-"),
            vc.state.as_deref().unwrap_or("-")
        );
    }
    let _ = writeln!(s, "\nExecution roles");
    if r.emr.execution_roles.is_empty() {
        let _ = writeln!(s, "  (none)");
    }
    for (arn, uses) in &r.emr.execution_roles {
        let mut namespaces: Vec<&str> =
            uses.iter().filter_map(|u| u.namespace.as_deref()).collect();
        namespaces.sort_unstable();
        namespaces.dedup();
        let mut via: Vec<&str> = uses.iter().map(|u| u.via.as_str()).collect();
        via.sort_unstable();
        via.dedup();
        let _ = writeln!(
            s,
            "  {arn}\n      namespaces: {}; seen in: {}",
            if namespaces.is_empty() {
                "-".to_owned()
            } else {
                namespaces.join(", ")
            },
            via.join(", ")
        );
    }
    if !r.endpoints.is_empty() {
        let _ = writeln!(s, "\nManaged endpoints");
        for e in &r.endpoints {
            let _ = writeln!(
                s,
                "  {} {} (virtual cluster {}, {}), security group {}",
                e.id,
                e.name.as_deref().unwrap_or("-"),
                e.virtual_cluster_id,
                e.state.as_deref().unwrap_or("-"),
                e.security_group.as_deref().unwrap_or("none")
            );
        }
    }
    if !r.node_groups.is_empty() {
        let _ = writeln!(s, "\nNode groups");
        for n in &r.node_groups {
            let _ = writeln!(
                s,
                "  {:<24} role {}, launch template {}",
                n.name,
                n.node_role.as_deref().unwrap_or("-"),
                n.launch_template.as_deref().unwrap_or("-")
            );
        }
    }
    if !r.identity_mappings.is_empty() {
        let _ = writeln!(s, "\nIAM to Kubernetes identities");
        for m in &r.identity_mappings {
            let via = match m.via {
                emrguard_model::inventory::MappingSource::AwsAuth => "aws-auth",
                emrguard_model::inventory::MappingSource::AccessEntry => "access entry",
            };
            let _ = writeln!(
                s,
                "  {} -> user {}{} ({via})",
                m.principal_arn,
                m.username,
                if m.groups.is_empty() {
                    String::new()
                } else {
                    format!(", groups {}", m.groups.join(", "))
                }
            );
        }
    }
    if !r.emr.service_accounts.is_empty() {
        let _ = writeln!(
            s,
            "\nEMR-managed service accounts: {}",
            r.emr.service_accounts.len()
        );
    }
    let _ = writeln!(s, "\nCoverage gaps");
    if r.coverage_gaps.is_empty() {
        let _ = writeln!(s, "  none: every kind of data the checks use is present");
    }
    for g in &r.coverage_gaps {
        let _ = writeln!(s, "  {}: {}", g.area, g.message);
    }
    if !r.skipped_files.is_empty() {
        let _ = writeln!(s, "\nSkipped files");
        for f in &r.skipped_files {
            let _ = writeln!(s, "  {}: {}", f.file, f.reason);
        }
    }
    s
}

/// Runs `emrguard inventory`.
pub fn run(args: &InventoryArgs) -> CmdResult {
    args.output.require(&[Format::Text, Format::Json])?;
    let inventory = args.snapshot.load(args.dir.as_ref())?;
    let report = build(&inventory);
    let text = match args.output.format {
        Format::Json => to_json(&report)?,
        _ => render_text(&report),
    };
    args.output.emit(&text)?;
    drop(report);
    // The process ends next: freeing a large inventory object by object only costs time.
    std::mem::forget(inventory);
    Ok(ExitCode::SUCCESS)
}
