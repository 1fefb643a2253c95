//! The bundled labs: the insecure lab's four cross-layer paths exist, each by the route its
//! README describes, and the hardened lab lets no tenant reach an execution role above
//! `data-write`.

use std::path::Path;

use emrguard_graph::{class_tier, parse_source, AccessGraph, EdgeKind, NodeKey, PathView, Target};
use emrguard_iam::Tier;
use emrguard_load::{load_snapshot, LoadOptions};
use emrguard_model::Inventory;
use emrguard_rbac::RbacIndex;

const TEAM_A: &str = "arn:aws:iam::111122223333:role/team-a-data-engineer";
const CI_TEAM_B: &str = "arn:aws:iam::111122223333:user/ci-team-b";
const DS_ANALYST: &str = "arn:aws:iam::111122223333:role/ds-analyst";
const MAINTENANCE: &str = "arn:aws:iam::111122223333:role/emr-platform-maintenance-execution";
const NOTEBOOK: &str = "arn:aws:iam::111122223333:role/emr-ds-notebook-execution";

fn load(lab: &str) -> Inventory {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(lab);
    load_snapshot(&dir, &LoadOptions::default()).unwrap()
}

/// Paths from `source` to the worst class of each principal reached.
fn paths(inv: &Inventory, source: &str) -> Vec<PathView> {
    let rbac = RbacIndex::build(inv);
    let mut graph = AccessGraph::new(inv, &rbac);
    let id = graph.node(parse_source(inv, source).unwrap());
    graph
        .paths(&[id], &Target::AnyClass, 10)
        .iter()
        .map(|p| graph.view(p))
        .collect()
}

/// The path that ends at `role`'s privilege class.
fn to_role<'a>(found: &'a [PathView], role: &str) -> &'a PathView {
    found
        .iter()
        .find(|p| p.nodes.len() >= 2 && p.nodes[p.nodes.len() - 2].name == role)
        .unwrap_or_else(|| panic!("no path to {role}: {found:#?}"))
}

fn kinds(p: &PathView) -> Vec<EdgeKind> {
    p.edges.iter().map(|e| e.kind).collect()
}

#[test]
fn insecure_lab_team_a_reaches_the_maintenance_role_through_its_namespace() {
    let inv = load("insecure-lab");
    let found = paths(&inv, TEAM_A);
    let path = to_role(&found, MAINTENANCE);
    assert_eq!(path.nodes[1].name, "Group:team-a");
    assert!(path.nodes[2]
        .name
        .starts_with("ServiceAccount:emr-team-a/emr-containers-sa-spark-"));
    assert_eq!(path.nodes.last().unwrap().name, "privilege-escalation");
    assert_eq!(kinds(path)[0], EdgeKind::MappedIdentity);
    // aws-auth is the evidence of the first hop.
    assert_eq!(
        path.edges[0].evidence[0].object.name.as_deref(),
        Some("aws-auth")
    );
}

#[test]
fn insecure_lab_ci_team_b_rewrites_emr_pods_through_mutating_webhooks() {
    let inv = load("insecure-lab");
    let found = paths(&inv, CI_TEAM_B);
    for (role, namespace, class) in [
        (MAINTENANCE, "emr-team-a", "privilege-escalation"),
        (NOTEBOOK, "emr-ds", "admin"),
    ] {
        let path = to_role(&found, role);
        assert_eq!(
            kinds(path)[..3],
            [
                EdgeKind::MappedIdentity,
                EdgeKind::AdmissionWebhook,
                EdgeKind::EveryNamespace
            ]
        );
        assert_eq!(path.nodes[1].name, "Group:team-b");
        assert_eq!(path.nodes[3].name, namespace);
        assert_eq!(path.nodes.last().unwrap().name, class);
    }
}

#[test]
fn insecure_lab_ds_analyst_reaches_the_admin_notebook_role_through_its_own_iam_rights() {
    let inv = load("insecure-lab");
    let found = paths(&inv, DS_ANALYST);
    let path = to_role(&found, NOTEBOOK);
    assert_eq!(path.edges.len(), 2, "{path:#?}");
    assert!(matches!(
        path.edges[0].kind,
        EdgeKind::SubmitJob | EdgeKind::EndpointCredentials
    ));
    assert!(!path.edges[0].broad, "ds-analyst's grants pin the role");
    assert_eq!(path.nodes.last().unwrap().name, "admin");
}

#[test]
fn hardened_lab_tenants_reach_no_execution_role_above_data_write() {
    let inv = load("hardened-lab");
    let rbac = RbacIndex::build(&inv);
    let mut graph = AccessGraph::new(&inv, &rbac);
    for source in [TEAM_A, CI_TEAM_B, DS_ANALYST] {
        let id = graph.node(parse_source(&inv, source).unwrap());
        for path in graph.paths(&[id], &Target::AnyClass, 10) {
            let n = path.nodes.len();
            let (Some(NodeKey::IamRole(holder)), Some(NodeKey::PrivilegeClass(class))) = (
                graph.key(path.nodes[n - 2]).cloned(),
                graph.key(path.nodes[n - 1]).cloned(),
            ) else {
                continue;
            };
            if graph.is_execution_role(&holder) {
                assert!(
                    class_tier(class) <= Tier::DataWrite,
                    "{source} reaches {holder} ({class:?}): {:#?}",
                    graph.view(&path)
                );
            }
        }
    }
}

#[test]
fn graphs_sharing_a_preparation_find_the_paths_of_a_graph_of_their_own() {
    let inv = load("insecure-lab");
    let rbac = RbacIndex::build(&inv);
    let sources = [
        TEAM_A,
        CI_TEAM_B,
        DS_ANALYST,
        "Group:team-a",
        "Group:team-b",
    ];
    let alone: Vec<Vec<PathView>> = sources.iter().map(|s| paths(&inv, s)).collect();
    let prepared = emrguard_graph::Prepared::new(&inv, &rbac);
    // The second graph finds most nodes already expanded by the first, in another order.
    let mut first = AccessGraph::with_prepared(&inv, &rbac, &prepared);
    let mut second = AccessGraph::with_prepared(&inv, &rbac, &prepared);
    for (graph, order) in [
        (&mut first, [0, 1, 2, 3, 4]),
        (&mut second, [4, 2, 0, 3, 1]),
    ] {
        for i in order {
            let id = graph.node(parse_source(&inv, sources[i]).unwrap());
            let found: Vec<PathView> = graph
                .paths(&[id], &Target::AnyClass, 10)
                .iter()
                .map(|p| graph.view(p))
                .collect();
            assert_eq!(found, alone[i], "{}", sources[i]);
        }
    }
    assert!(alone.iter().all(|p| !p.is_empty()));
}
