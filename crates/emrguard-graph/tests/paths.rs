//! Paths on hand-built snapshots: the long cross-layer path, and near-misses that must give no
//! path.

mod common;

use common::*;
use emrguard_graph::{parse_source, AccessGraph, EdgeKind, NodeKey, NodeKind, PathView, Target};
use emrguard_iam::PrivilegeKind;
use emrguard_model::Inventory;
use emrguard_rbac::RbacIndex;
use serde_json::json;

/// Paths from `source` as `(kind, name)` lists, with the edge kinds.
fn paths(inv: &Inventory, source: &str, target: &Target, depth: usize) -> Vec<PathView> {
    let rbac = RbacIndex::build(inv);
    let mut graph = AccessGraph::new(inv, &rbac);
    let id = graph.node(parse_source(inv, source).unwrap());
    graph
        .paths(&[id], target, depth)
        .iter()
        .map(|p| graph.view(p))
        .collect()
}

fn names(p: &PathView) -> Vec<String> {
    p.nodes
        .iter()
        .map(|n| format!("{} {}", n.kind.as_str(), n.name))
        .collect()
}

fn kinds(p: &PathView) -> Vec<EdgeKind> {
    p.edges.iter().map(|e| e.kind).collect()
}

fn reaches(views: &[PathView], kind: NodeKind, name: &str) -> bool {
    views
        .iter()
        .any(|p| p.nodes.iter().any(|n| n.kind == kind && n.name == name))
}

#[test]
fn long_path_from_an_iam_user_to_an_admin_role_through_rbac_emr_and_assume_role() {
    let inv = long_path_lab().finish();
    let found = paths(
        &inv,
        &user_arn("alice"),
        &Target::Class(PrivilegeKind::FullAdmin),
        10,
    );
    assert_eq!(found.len(), 1, "{found:#?}");
    let path = &found[0];
    // EMR's name for exec-x's driver: the account and the base36 of the role name.
    let driver = format!(
        "emr-containers-sa-spark-driver-{ACCOUNT}-{}",
        emrguard_model::emr::base36_encode("exec-x")
    );
    assert_eq!(
        names(path),
        vec![
            format!("IAMUser {}", user_arn("alice")),
            "Group Group:team-x".to_owned(),
            "Namespace emr-x".to_owned(),
            format!("ServiceAccount ServiceAccount:emr-x/{driver}"),
            format!("IAMRole {}", role_arn("exec-x")),
            format!("IAMRole {}", role_arn("admin-x")),
            "PrivilegeClass admin".to_owned(),
        ]
    );
    assert_eq!(
        kinds(path),
        vec![
            EdgeKind::MappedIdentity,
            EdgeKind::CreatePods,
            EdgeKind::PodServiceAccount,
            EdgeKind::WebIdentity,
            EdgeKind::AssumeRole,
            EdgeKind::Privilege,
        ]
    );
    // Each hop names the object that proves it.
    let objects: Vec<Vec<String>> = path
        .edges
        .iter()
        .map(|e| e.evidence.iter().map(|ev| ev.object.to_string()).collect())
        .collect();
    assert!(objects[0].contains(&format!("AccessEntry {}", user_arn("alice"))));
    assert!(objects[1].contains(&"RoleBinding emr-x/developers".to_owned()));
    assert!(objects[3].contains(&format!("IAMRole {}", role_arn("exec-x"))));
    // The driver service account does not exist yet: the namespace itself is the evidence.
    assert_eq!(path.nodes[3].detail.as_deref(), Some("not in the snapshot"));
    assert!(!path.edges[3].broad, "EMR's own trust pattern is not broad");
}

#[test]
fn the_worst_class_is_reported_once_per_role_reached() {
    let inv = long_path_lab().finish();
    let found = paths(&inv, &user_arn("alice"), &Target::AnyClass, 10);
    let ends: Vec<(String, String)> = found
        .iter()
        .map(|p| {
            let n = p.nodes.len();
            (p.nodes[n - 2].name.clone(), p.nodes[n - 1].name.clone())
        })
        .collect();
    assert!(
        ends.contains(&(role_arn("admin-x"), "admin".to_owned())),
        "{ends:?}"
    );
    // exec-x reads named objects only: no privilege class, so no path ends there.
    assert!(
        !ends.iter().any(|(r, _)| *r == role_arn("exec-x")),
        "{ends:?}"
    );
    // Shortest first.
    assert!(found
        .windows(2)
        .all(|w| w[0].edges.len() <= w[1].edges.len()));
}

#[test]
fn near_miss_a_trust_sub_pattern_that_does_not_match_gives_no_path() {
    let mut lab = long_path_lab();
    // exec-x trusts EMR's pattern for a role of another name: no candidate name in emr-x
    // (existing, `default`, or exec-x's own EMR name) fits it.
    lab.inv.iam_roles.retain(|r| r.role_name != "exec-x");
    lab.iam_role(
        "exec-x",
        emr_trust("emr-x", "some-other-role"),
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn("admin-x")}
        ]}),
    );
    let inv = lab.finish();
    let found = paths(&inv, &user_arn("alice"), &Target::AnyClass, 10);
    assert!(
        !reaches(&found, NodeKind::IamRole, &role_arn("exec-x")),
        "{found:#?}"
    );
    assert!(
        !reaches(&found, NodeKind::IamRole, &role_arn("admin-x")),
        "{found:#?}"
    );
}

#[test]
fn near_miss_a_role_binding_in_another_namespace_gives_no_path() {
    let mut lab = long_path_lab();
    lab.inv.role_bindings.clear();
    lab.namespace("sandbox", &[])
        .k8s_role(
            "sandbox",
            "developer",
            vec![rule(&["create"], &[""], &["pods"])],
        )
        .role_binding(
            "sandbox",
            "developers",
            "Role",
            "developer",
            vec![group("team-x")],
        );
    let inv = lab.finish();
    let found = paths(&inv, &user_arn("alice"), &Target::AnyClass, 10);
    assert!(
        !reaches(&found, NodeKind::IamRole, &role_arn("exec-x")),
        "{found:#?}"
    );
    // The binding still gives `sandbox`; nothing there leads to a role.
    let all = paths(&inv, &user_arn("alice"), &Target::Action("*".into()), 10);
    assert!(all.is_empty(), "{all:#?}");
}

fn imds_lab(tokens: &str, hop: i64, labels: &[(&str, &str)]) -> Inventory {
    let mut lab = Lab::new();
    lab.namespace("emr-x", labels)
        .virtual_cluster("vcx", "emr-x")
        .k8s_role(
            "emr-x",
            "developer",
            vec![rule(&["create"], &[""], &["pods"])],
        )
        .role_binding(
            "emr-x",
            "developers",
            "Role",
            "developer",
            vec![group("team-x")],
        )
        .nodegroup("ng-spark", tokens, hop, "node-role")
        .iam_role(
            "node-role",
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
            admin_policy(),
        );
    lab.finish()
}

#[test]
fn near_miss_imdsv2_required_with_hop_limit_one_gives_no_path_to_the_node_role() {
    let restricted = [("pod-security.kubernetes.io/enforce", "baseline")];
    let inv = imds_lab("required", 1, &restricted);
    let found = paths(&inv, "Group:team-x", &Target::AnyClass, 10);
    assert!(
        !reaches(&found, NodeKind::Nodegroup, "ng-spark"),
        "{found:#?}"
    );
    assert!(!reaches(&found, NodeKind::IamRole, &role_arn("node-role")));

    // Controls: a hop limit of 2, or IMDSv1, lets pods reach IMDS.
    for (tokens, hop) in [("required", 2), ("optional", 1)] {
        let inv = imds_lab(tokens, hop, &restricted);
        let found = paths(&inv, "Group:team-x", &Target::AnyClass, 10);
        let path = found
            .iter()
            .find(|p| p.nodes.iter().any(|n| n.name == "ng-spark"))
            .unwrap_or_else(|| panic!("{tokens}/{hop}: no path through ng-spark: {found:#?}"));
        assert_eq!(
            kinds(path),
            vec![
                EdgeKind::CreatePods,
                EdgeKind::InstanceMetadata,
                EdgeKind::NodeRole,
                EdgeKind::Privilege
            ]
        );
    }
    // Without a Pod Security level that forbids it, a hostNetwork pod reaches IMDS anyway.
    let inv = imds_lab("required", 1, &[]);
    let found = paths(&inv, "Group:team-x", &Target::AnyClass, 10);
    let path = found
        .iter()
        .find(|p| p.nodes.iter().any(|n| n.name == "ng-spark"))
        .unwrap_or_else(|| panic!("no hostNetwork path: {found:#?}"));
    assert_eq!(kinds(path)[1], EdgeKind::HostNetwork);
}

#[test]
fn job_submission_pinned_to_an_execution_role_leads_to_it_and_no_other() {
    let mut lab = Lab::new();
    lab.namespace("emr-x", &[])
        .virtual_cluster("vcx", "emr-x")
        .iam_role("exec-admin", emr_trust("emr-x", "exec-admin"), admin_policy())
        .iam_role("exec-small", emr_trust("emr-x", "exec-small"), bucket_policy("b"))
        .iam_user(
            "submitter",
            json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "emr-containers:StartJobRun",
                "Resource": format!("arn:aws:emr-containers:us-west-2:{ACCOUNT}:/virtualclusters/vcx"),
                "Condition": {"ArnEquals": {"emr-containers:ExecutionRoleArn": role_arn("exec-small")}}
            }]}),
        );
    let inv = lab.finish();
    let found = paths(
        &inv,
        &user_arn("submitter"),
        &Target::Action("s3:*".into()),
        10,
    );
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(
        kinds(&found[0]),
        vec![EdgeKind::SubmitJob, EdgeKind::WebIdentity]
    );
    assert!(
        !found[0].edges[0].broad,
        "the grant pins the execution role"
    );
    let admin = paths(
        &inv,
        &user_arn("submitter"),
        &Target::Class(PrivilegeKind::FullAdmin),
        10,
    );
    assert!(admin.is_empty(), "{admin:#?}");

    // Without the condition any role trusted in the namespace may be passed.
    let mut lab = Lab::new();
    lab.namespace("emr-x", &[])
        .virtual_cluster("vcx", "emr-x")
        .iam_role(
            "exec-admin",
            emr_trust("emr-x", "exec-admin"),
            admin_policy(),
        )
        .iam_user(
            "submitter",
            allow(
                &["emr-containers:StartJobRun"],
                &[&format!(
                    "arn:aws:emr-containers:us-west-2:{ACCOUNT}:/virtualclusters/vcx"
                )],
            ),
        );
    let inv = lab.finish();
    let admin = paths(
        &inv,
        &user_arn("submitter"),
        &Target::Class(PrivilegeKind::FullAdmin),
        10,
    );
    assert_eq!(admin.len(), 1, "{admin:#?}");
    assert!(admin[0].edges[0].broad, "an unpinned grant is broad");
}

#[test]
fn a_cluster_wide_mutating_webhook_permission_reaches_every_namespace() {
    let mut lab = Lab::new();
    lab.namespace("emr-a", &[])
        .namespace("emr-b", &[])
        .virtual_cluster("vca", "emr-a")
        .virtual_cluster("vcb", "emr-b")
        .cluster_role(
            "webhook-admin",
            vec![rule(
                &["create", "update", "patch"],
                &["admissionregistration.k8s.io"],
                &["mutatingwebhookconfigurations"],
            )],
        )
        .cluster_role_binding("tools", "webhook-admin", vec![group("tools")])
        .iam_role("exec-a", emr_trust("emr-a", "exec-a"), admin_policy())
        .iam_role("exec-b", emr_trust("emr-b", "exec-b"), admin_policy());
    let inv = lab.finish();
    let found = paths(&inv, "Group:tools", &Target::AnyClass, 10);
    for role in ["exec-a", "exec-b"] {
        let path = found
            .iter()
            .find(|p| p.nodes.iter().any(|n| n.name == role_arn(role)))
            .unwrap_or_else(|| panic!("{role} not reached: {found:#?}"));
        assert_eq!(
            kinds(path),
            vec![
                EdgeKind::AdmissionWebhook,
                EdgeKind::EveryNamespace,
                EdgeKind::PodServiceAccount,
                EdgeKind::WebIdentity,
                EdgeKind::Privilege
            ]
        );
    }

    // Validating webhooks cannot change pods.
    let mut lab = Lab::new();
    lab.namespace("emr-a", &[])
        .cluster_role(
            "webhook-admin",
            vec![rule(
                &["create"],
                &["admissionregistration.k8s.io"],
                &["validatingwebhookconfigurations"],
            )],
        )
        .cluster_role_binding("tools", "webhook-admin", vec![group("tools")])
        .iam_role("exec-a", emr_trust("emr-a", "exec-a"), admin_policy());
    let inv = lab.finish();
    assert!(paths(&inv, "Group:tools", &Target::AnyClass, 10).is_empty());
}

#[test]
fn the_hop_limit_cuts_long_paths() {
    let inv = long_path_lab().finish();
    let target = Target::Class(PrivilegeKind::FullAdmin);
    assert_eq!(paths(&inv, &user_arn("alice"), &target, 6).len(), 1);
    assert!(paths(&inv, &user_arn("alice"), &target, 5).is_empty());
}

#[test]
fn action_targets_match_roles_whose_policies_allow_the_action() {
    let inv = long_path_lab().finish();
    let found = paths(
        &inv,
        &user_arn("alice"),
        &Target::Action("s3:GetObject".into()),
        10,
    );
    let ends: Vec<String> = found
        .iter()
        .filter_map(|p| p.nodes.last().map(|n| n.name.clone()))
        .collect();
    assert_eq!(ends, vec![role_arn("exec-x"), role_arn("admin-x")]);
    let none = paths(
        &inv,
        &user_arn("alice"),
        &Target::Action("kms:Decrypt".into()),
        10,
    );
    assert_eq!(none.len(), 1, "only admin-x allows kms:Decrypt: {none:#?}");
}

#[test]
fn assume_role_needs_the_trust_policy_to_admit_the_caller() {
    let mut lab = long_path_lab();
    lab.inv.iam_roles.retain(|r| r.role_name != "admin-x");
    lab.iam_role(
        "admin-x",
        aws_trust(&role_arn("someone-else")),
        admin_policy(),
    );
    let inv = lab.finish();
    let found = paths(&inv, &user_arn("alice"), &Target::AnyClass, 10);
    assert!(
        !reaches(&found, NodeKind::IamRole, &role_arn("admin-x")),
        "{found:#?}"
    );
}

#[test]
fn pod_identity_associations_and_existing_token_holders_are_edges() {
    let mut lab = Lab::new();
    lab.namespace("emr-x", &[])
        .service_account("emr-x", "runner")
        .k8s_role(
            "emr-x",
            "token-minter",
            vec![rule(&["create"], &[""], &["serviceaccounts/token"])],
        )
        .role_binding(
            "emr-x",
            "minters",
            "Role",
            "token-minter",
            vec![service_account_subject("emr-x", "scheduler")],
        )
        .service_account("emr-x", "scheduler")
        .pod_identity("emr-x", "runner", "shared")
        .iam_role(
            "shared",
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"]}]}),
            admin_policy(),
        );
    let inv = lab.finish();
    let found = paths(
        &inv,
        "ServiceAccount:emr-x/scheduler",
        &Target::AnyClass,
        10,
    );
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(
        kinds(&found[0]),
        vec![
            EdgeKind::ServiceAccountToken,
            EdgeKind::PodIdentity,
            EdgeKind::Privilege
        ]
    );
}

#[test]
fn every_edge_carries_evidence_and_walks_are_deterministic() {
    let inv = long_path_lab().finish();
    let rbac = RbacIndex::build(&inv);
    let mut graph = AccessGraph::new(&inv, &rbac);
    let source = graph.node(NodeKey::IamUser(user_arn("alice")));
    let first: Vec<PathView> = graph
        .paths(&[source], &Target::AnyClass, 10)
        .iter()
        .map(|p| graph.view(p))
        .collect();
    // Expand everything reachable and check every edge.
    let mut stack = vec![source];
    let mut seen = std::collections::HashSet::new();
    while let Some(n) = stack.pop() {
        if !seen.insert(n) {
            continue;
        }
        for e in graph.out_edges(n) {
            let edge = graph.edge(e).unwrap().clone();
            assert!(!edge.evidence.is_empty(), "edge without evidence: {edge:?}");
            for ev in edge.evidence.iter() {
                assert!(!ev.object.kind.is_empty() && !ev.text.is_empty(), "{ev:?}");
                assert!(
                    ev.object.name.is_some() || ev.object.arn.is_some(),
                    "{ev:?}"
                );
            }
            stack.push(edge.to);
        }
    }
    let again = paths(&inv, &user_arn("alice"), &Target::AnyClass, 10);
    assert_eq!(first, again);
}

#[test]
fn sources_and_targets_parse() {
    let inv = long_path_lab().finish();
    assert_eq!(
        parse_source(&inv, "ServiceAccount:emr-x/runner").unwrap(),
        NodeKey::service_account("emr-x", "runner")
    );
    assert_eq!(
        parse_source(
            &inv,
            "arn:aws:sts::111122223333:assumed-role/exec-x/session"
        )
        .unwrap(),
        NodeKey::IamRole(role_arn("exec-x"))
    );
    assert!(parse_source(&inv, "ServiceAccount:runner").is_err());
    assert!(parse_source(&inv, "team-x").is_err());
    assert_eq!(
        Target::parse("privilege-escalation").unwrap(),
        Target::Class(PrivilegeKind::PrivilegeEscalation)
    );
    assert_eq!(
        Target::parse("s3:Get*").unwrap(),
        Target::Action("s3:Get*".into())
    );
    assert!(Target::parse("root").is_err());
}
