//! A realistic snapshot in every format the loader reads: kubectl JSON/YAML (single objects,
//! Lists, multi-document YAML) and each aws CLI shape, with paging, list/describe merging,
//! gzip CloudTrail and files that are not snapshots at all.

use std::path::{Path, PathBuf};

use emrguard_load::{load_snapshot, load_snapshot_with_summary, read_only, LoadOptions};
use emrguard_model::inventory::area;
use emrguard_model::k8s::{WebhookKind, WorkloadKind};
use emrguard_model::{Inventory, Source};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn snapshot() -> Inventory {
    match load_snapshot(&data("snapshot"), &LoadOptions::default()) {
        Ok(inventory) => inventory,
        Err(e) => panic!("the snapshot does not load: {e}"),
    }
}

fn at(file: &str, line: u32) -> Source {
    Source::new(file, Some(line))
}

#[test]
fn kubernetes_json_list_and_single_object() {
    let inv = snapshot();
    let names: Vec<&str> = inv
        .namespaces
        .iter()
        .map(|n| n.metadata.name.as_str())
        .collect();
    assert_eq!(names, ["emr-team-a", "kube-system"]);
    assert_eq!(
        inv.namespaces.first().map(|n| &n.source),
        Some(&at("k8s/namespaces.json", 4))
    );
    assert_eq!(
        inv.namespaces.get(1).map(|n| &n.source),
        Some(&at("k8s/namespaces.json", 25))
    );

    let sa = inv.service_account(
        "emr-team-a",
        "emr-containers-sa-spark-driver-111122223333-16o0gwny3p",
    );
    assert_eq!(
        sa.and_then(|s| s.metadata.annotations.get("eks.amazonaws.com/role-arn"))
            .map(|s| s.as_str()),
        Some("arn:aws:iam::111122223333:role/myrole")
    );
    assert_eq!(
        sa.map(|s| &s.source),
        Some(&at("k8s/serviceaccount-driver.json", 1))
    );
}

#[test]
fn multi_document_yaml_with_start_lines() {
    let inv = snapshot();
    let role = inv.roles.first();
    assert_eq!(
        role.map(|r| r.metadata.name.as_str()),
        Some("emr-containers")
    );
    assert_eq!(role.map(|r| r.rules.len()), Some(2));
    // The first document starts after a comment line.
    assert_eq!(role.map(|r| &r.source), Some(&at("k8s/rbac.yaml", 2)));
    let binding = inv.role_bindings.first();
    assert_eq!(binding.map(|b| &b.source), Some(&at("k8s/rbac.yaml", 36)));
    assert_eq!(binding.map(|b| b.subjects.len()), Some(1));
    // An empty document between two `---` lines is not an object.
    let cluster_role = inv.cluster_roles.first();
    assert_eq!(
        cluster_role.map(|r| &r.source),
        Some(&at("k8s/rbac.yaml", 52))
    );
    assert_eq!(
        cluster_role.map(|r| r.aggregation_rule.is_none()),
        Some(true)
    );
    let crb = inv.cluster_role_bindings.first();
    assert_eq!(crb.map(|b| b.subjects.len()), Some(2));
    assert_eq!(
        crb.and_then(|b| b.subjects.get(1))
            .and_then(|s| s.namespace.as_deref()),
        Some("emr-team-a")
    );
}

#[test]
fn yaml_list_items_know_their_lines() {
    let inv = snapshot();
    let sources: Vec<(&str, &Source)> = inv
        .pods
        .iter()
        .map(|p| (p.metadata.name.as_str(), &p.source))
        .collect();
    assert_eq!(
        sources,
        [
            ("0000000337okspsc913-abcde", &at("k8s/pods.yaml", 4)),
            ("aws-node-x7k2p", &at("k8s/pods.yaml", 28)),
        ]
    );
    let node_pod = inv.pods.get(1);
    assert_eq!(node_pod.map(|p| p.spec.uses_host_network()), Some(true));
    assert_eq!(node_pod.map(|p| p.spec.service_account()), Some("aws-node"));
}

#[test]
fn aws_auth_is_parsed() {
    let inv = snapshot();
    let Some(auth) = &inv.aws_auth else {
        panic!("no aws-auth");
    };
    assert_eq!(auth.source, at("k8s/aws-auth.yaml", 1));
    let arns: Vec<&str> = auth.map_roles.iter().map(|m| m.arn.as_str()).collect();
    assert_eq!(
        arns,
        [
            "arn:aws:iam::111122223333:role/eks-node-role",
            "arn:aws:iam::111122223333:role/AWSServiceRoleForAmazonEMRContainers"
        ]
    );
    assert_eq!(
        auth.map_roles.first().map(|m| m.groups.clone()),
        Some(vec![
            "system:bootstrappers".to_owned(),
            "system:nodes".to_owned()
        ])
    );
    assert_eq!(auth.map_users.first().map(|m| m.groups.len()), Some(1));
    assert_eq!(auth.map_accounts, ["444455556666"]);
    assert!(inv.has(area::AWS_AUTH));
    // The ConfigMap itself is kept too.
    assert!(inv
        .config_maps
        .iter()
        .any(|c| c.metadata.name == "aws-auth"));
}

#[test]
fn every_workload_kind_with_its_pod_template() {
    let inv = snapshot();
    let kinds: Vec<(WorkloadKind, &str, &str)> = inv
        .workloads
        .iter()
        .map(|w| {
            (
                w.kind,
                w.metadata.name.as_str(),
                w.template.spec.service_account(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (WorkloadKind::StatefulSet, "db", "default"),
            (WorkloadKind::ReplicationController, "legacy", "default"),
            (WorkloadKind::CronJob, "nightly", "nightly-runner"),
            (WorkloadKind::Deployment, "web", "web"),
            (WorkloadKind::ReplicaSet, "web-5d8f", "default"),
            (
                WorkloadKind::Job,
                "0000000337okspsc913",
                "emr-containers-sa-spark-client-111122223333-16o0gwny3p"
            ),
            (WorkloadKind::DaemonSet, "kube2iam", "default"),
        ]
    );
    let daemon = inv
        .workloads
        .iter()
        .find(|w| w.kind == WorkloadKind::DaemonSet);
    assert_eq!(
        daemon.map(|d| d.template.spec.uses_host_network()),
        Some(true)
    );
}

#[test]
fn webhooks_services_network_policies_nodes() {
    let inv = snapshot();
    let hooks: Vec<(WebhookKind, &str)> = inv
        .webhook_configurations
        .iter()
        .map(|w| (w.kind, w.metadata.name.as_str()))
        .collect();
    assert_eq!(
        hooks,
        [
            (WebhookKind::Mutating, "pod-identity-webhook"),
            (WebhookKind::Validating, "emrguard")
        ]
    );
    assert_eq!(
        inv.services
            .first()
            .and_then(|s| s.spec.service_type.as_deref()),
        Some("LoadBalancer")
    );
    let policy = inv.network_policies.first();
    assert_eq!(
        policy
            .and_then(|p| p.spec.egress.first())
            .and_then(|e| e.to.first())
            .and_then(|t| t.ip_block.as_ref())
            .map(|b| b.except.clone()),
        Some(vec!["169.254.169.254/32".into()])
    );
    assert_eq!(
        inv.nodes
            .first()
            .and_then(|n| n.spec.provider_id.as_deref()),
        Some("aws:///us-west-2a/i-0123456789abcdef0")
    );
}

#[test]
fn unknown_kinds_are_counted_not_loaded() {
    let result = load_snapshot_with_summary(&data("snapshot"), &LoadOptions::default());
    let Ok((_, summary)) = result else {
        panic!("does not load: {result:?}");
    };
    assert_eq!(summary.ignored_kinds.get("Event"), Some(&1));
    assert_eq!(summary.ignored_kinds.get("SparkApplication"), Some(&1));
}

#[test]
fn iam_pages_merge_and_the_truncated_page_is_reported() {
    let inv = snapshot();
    let roles: Vec<&str> = inv.iam_roles.iter().map(|r| r.role_name.as_str()).collect();
    assert_eq!(
        roles,
        // Sorted by ARN: the service-linked role's ARN has a path.
        [
            "AWSServiceRoleForAmazonEMRContainers",
            "eks-node-role",
            "myrole"
        ]
    );
    assert_eq!(inv.iam_users.len(), 1);
    assert_eq!(
        inv.group_by_name("analysts")
            .map(|g| g.group_policy_list.len()),
        Some(1)
    );
    let policy = inv.policy_by_arn("arn:aws:iam::111122223333:policy/team-a-data");
    let statement = policy
        .and_then(|p| p.default_document())
        .and_then(|d| d.statements.first());
    assert_eq!(
        statement.and_then(|s| s.action.clone()),
        Some(vec!["s3:GetObject".to_owned(), "s3:PutObject".to_owned()])
    );
    // The role found by its path-less ARN, as aws-auth writes it.
    assert!(inv
        .role_by_arn("arn:aws:iam::111122223333:role/AWSServiceRoleForAmazonEMRContainers")
        .is_some());
    assert_eq!(
        inv.role_by_name("myrole").map(|r| &r.source),
        Some(&at("aws/iam-page1.json", 41))
    );
    assert!(inv
        .warnings
        .iter()
        .any(|w| w
            == "aws/iam-page1.json: one page of a paged result; the snapshot may be incomplete"));
    assert!(!inv
        .warnings
        .iter()
        .any(|w| w.starts_with("aws/iam-page2.json")));
}

#[test]
fn eks_cluster_nodegroup_and_access_entries() {
    let inv = snapshot();
    let cluster = inv.cluster();
    assert_eq!(cluster.map(|c| c.name.as_str()), Some("analytics"));
    assert_eq!(
        cluster.and_then(|c| c.oidc_provider()),
        Some("oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE")
    );
    assert_eq!(inv.account_id(), Some("111122223333"));
    assert_eq!(
        cluster.map(|c| &c.source),
        Some(&at("aws/eks-cluster.json", 2))
    );
    let nodegroup = inv.nodegroups.first();
    assert_eq!(
        nodegroup
            .and_then(|n| n.launch_template.as_ref())
            .and_then(|l| l.id.as_deref()),
        Some("lt-0123456789abcdef0")
    );

    // list + describe + list-associated-access-policies merge by principal ARN.
    let entries: Vec<(&str, bool, usize)> = inv
        .access_entries
        .iter()
        .map(|e| {
            (
                e.principal_arn.as_str(),
                e.described,
                e.access_policies.len(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            (
                "arn:aws:iam::111122223333:role/AWSServiceRoleForAmazonEMRContainers",
                true,
                1
            ),
            ("arn:aws:iam::111122223333:role/eks-node-role", false, 0),
            ("arn:aws:iam::111122223333:role/platform-admin", false, 0),
        ]
    );
    let emr = inv.access_entries.first();
    assert_eq!(
        emr.and_then(|e| e.username.as_deref()),
        Some("emr-containers")
    );
    assert_eq!(
        emr.and_then(|e| e.access_policies.first())
            .map(|p| p.access_scope.namespaces.clone()),
        Some(vec!["emr-team-a".to_owned()])
    );
}

#[test]
fn pod_identity_pages_and_describe_merge() {
    let inv = snapshot();
    let associations: Vec<(&str, Option<&str>)> = inv
        .pod_identity_associations
        .iter()
        .map(|a| (a.service_account.as_str(), a.role_arn.as_deref()))
        .collect();
    assert_eq!(
        associations,
        [
            (
                "emr-containers-sa-spark-driver-111122223333-16o0gwny3p",
                Some("arn:aws:iam::111122223333:role/myrole")
            ),
            ("aws-node", None),
        ]
    );
    assert!(inv
        .warnings
        .iter()
        .any(|w| w.starts_with("aws/pod-identity-list-1.json: one page")));
    assert!(!inv
        .warnings
        .iter()
        .any(|w| w.starts_with("aws/pod-identity-list-2.json")));
}

#[test]
fn emr_list_and_describe_merge_preferring_describe() {
    let inv = snapshot();
    let clusters: Vec<(&str, Option<&str>)> = inv
        .virtual_clusters
        .iter()
        .map(|v| (v.id.as_str(), v.security_configuration_id.as_deref()))
        .collect();
    assert_eq!(
        clusters,
        [
            (
                "vc0000000000000000000000a",
                Some("sc000000000000000000000001")
            ),
            ("vc0000000000000000000000b", None),
        ]
    );
    assert_eq!(
        inv.virtual_clusters.first().map(|v| &v.source),
        Some(&at("aws/emr/virtual-cluster-a.json", 2))
    );
    assert_eq!(inv.job_runs.len(), 1);
    assert!(inv
        .job_runs
        .first()
        .is_some_and(|j| j.job_driver.is_some() && j.configuration_overrides.is_some()));
    assert_eq!(
        inv.managed_endpoints
            .first()
            .and_then(|e| e.security_group.as_deref()),
        Some("sg-0e0e0000000000001")
    );
    assert_eq!(
        inv.job_templates
            .first()
            .and_then(|t| t.job_template_data.as_ref())
            .and_then(|d| d.execution_role_arn.as_deref()),
        Some("${ExecutionRoleArn}")
    );
    let view = inv.emr_view();
    assert!(view.is_emr_namespace("emr-team-a"));
}

#[test]
fn ec2_and_load_balancers_with_tags() {
    let inv = snapshot();
    assert_eq!(inv.subnets.len(), 2);
    assert_eq!(
        inv.subnet("subnet-0bbb0000000000002")
            .and_then(|s| s.map_public_ip_on_launch),
        Some(true)
    );
    assert_eq!(inv.route_tables.first().map(|r| r.routes.len()), Some(2));
    assert_eq!(
        inv.security_group("sg-0e0e0000000000001")
            .and_then(|g| g.ip_permissions.first())
            .and_then(|p| p.from_port),
        Some(18888)
    );
    let options = inv
        .launch_template_versions
        .first()
        .and_then(|v| v.launch_template_data.metadata_options.as_ref());
    assert_eq!(options.and_then(|o| o.http_put_response_hop_limit), Some(2));
    let instance = inv.instances.first();
    assert_eq!(
        instance.map(|i| i.instance_id.as_str()),
        Some("i-0123456789abcdef0")
    );
    assert_eq!(
        instance.map(|i| &i.source),
        Some(&at("aws/ec2/instances.json", 3))
    );
    let balancer = inv.load_balancers.first();
    assert_eq!(balancer.and_then(|b| b.scheme.as_deref()), Some("internal"));
    assert_eq!(balancer.map(|b| b.tags.len()), Some(2));
}

#[test]
fn cloudtrail_lookup_and_gzip_logs_normalise_and_deduplicate() {
    let inv = snapshot();
    let events: Vec<(String, Option<&str>, Option<&str>)> = inv
        .cloudtrail_events
        .iter()
        .map(|e| {
            (
                e.action(),
                e.principal_arn.as_deref(),
                e.error_code.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            (
                "emr-containers:StartJobRun".to_owned(),
                Some("arn:aws:iam::111122223333:user/alice"),
                Some("AccessDenied")
            ),
            (
                "s3:GetObject".to_owned(),
                Some("arn:aws:iam::111122223333:role/myrole"),
                None
            ),
            (
                "s3:PutObject".to_owned(),
                Some("arn:aws:iam::111122223333:role/myrole"),
                None
            ),
        ]
    );
    let lookup = inv.cloudtrail_events.get(1);
    assert_eq!(
        lookup.map(|e| e.resources.clone()),
        Some(vec![
            "arn:aws:s3:::team-a/in/part-0".to_owned(),
            "arn:aws:s3:::team-a".to_owned(),
            "team-a".to_owned()
        ])
    );
    assert_eq!(
        lookup.map(|e| e.source.file.as_ref()),
        Some("aws/cloudtrail/lookup-events.json")
    );
}

#[test]
fn areas_present_cover_every_kind_of_data_read() {
    let inv = snapshot();
    for area in [
        area::NAMESPACES,
        area::RBAC,
        area::SERVICE_ACCOUNTS,
        area::CONFIG_MAPS,
        area::PODS,
        area::WORKLOADS,
        area::WEBHOOKS,
        area::SERVICES,
        area::NETWORK_POLICIES,
        area::NODES,
        area::AWS_AUTH,
        area::IAM,
        area::EKS_CLUSTER,
        area::NODEGROUPS,
        area::ACCESS_ENTRIES,
        area::POD_IDENTITY,
        area::VIRTUAL_CLUSTERS,
        area::MANAGED_ENDPOINTS,
        area::JOB_RUNS,
        area::JOB_TEMPLATES,
        area::SUBNETS,
        area::ROUTE_TABLES,
        area::SECURITY_GROUPS,
        area::LAUNCH_TEMPLATES,
        area::INSTANCES,
        area::LOAD_BALANCERS,
        area::CLOUDTRAIL,
    ] {
        assert!(inv.has(area), "{area} missing");
    }
    // No Secret in this snapshot: the area is absent and reported as such.
    assert!(!inv.has(area::SECRETS));
    assert!(inv.coverage_gaps().is_empty(), "{:?}", inv.coverage_gaps());
}

#[test]
fn files_that_are_not_snapshots_are_skipped_with_a_reason() {
    let inv = snapshot();
    let skipped: Vec<(&str, &str)> = inv
        .skipped
        .iter()
        .map(|s| (s.file.as_str(), s.reason.as_str()))
        .collect();
    let files: Vec<&str> = skipped.iter().map(|(f, _)| *f).collect();
    assert_eq!(files, ["README.md", "collect.sh", "kubectl-errors"]);
    assert!(skipped.iter().all(|(_, reason)| !reason.is_empty()));
    assert!(skipped
        .iter()
        .any(|(f, r)| *f == "kubectl-errors" && r.contains("top-level keys: error")));
}

/// The inventory's public content (its private lookup index is a hash map, whose debug
/// order varies between runs).
fn content(inv: &Inventory) -> String {
    let all = format!("{inv:?}");
    all.split(", index: ").next().unwrap_or_default().to_owned()
}

#[test]
fn loading_is_deterministic() {
    let first = content(&snapshot());
    assert!(first.contains("cloudtrail_events"));
    for _ in 0..3 {
        assert_eq!(content(&snapshot()), first);
    }
}

#[test]
fn reading_without_keeping_reads_the_files_loading_uses() {
    let summary = load_snapshot_with_summary(&data("snapshot"), &LoadOptions::default())
        .map(|(_, summary)| summary.files_read);
    let read = read_only(&data("snapshot"));
    assert!(matches!(summary, Ok(n) if n > 10), "{summary:?}");
    assert_eq!(read.ok(), summary.ok());
}
