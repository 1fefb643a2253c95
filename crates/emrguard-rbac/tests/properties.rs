//! Property tests: monotonicity, `*` as a superset, aggregation as a union, and agreement of
//! the indexed engine with a naive transcription of kube-apiserver's rule resolver.

use std::collections::BTreeSet;

use emrguard_model::k8s::{
    AggregationRule, LabelSelector, ObjectMeta, PolicyRule, Role, RoleBinding, RoleRef, StringMap,
    Subject, Text,
};
use emrguard_model::Inventory;
use emrguard_rbac::matching::rule_allows;
use emrguard_rbac::{Identity, RbacIndex, Request};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};

const VERBS: &[&str] = &["get", "list", "create", "update", "*"];
const GROUPS: &[&str] = &["", "apps", "*"];
const RESOURCES: &[&str] = &["pods", "pods/exec", "secrets", "deployments", "*", "*/exec"];
const NAMES: &[&str] = &["a", "b"];
const URLS: &[&str] = &["/healthz", "/metrics*", "*", "/api"];
const NAMESPACES: &[&str] = &["ns1", "ns2"];
const USERS: &[&str] = &["u1", "u2", "system:serviceaccount:ns1:sa"];
const SUBJECT_GROUPS: &[&str] = &["g1", "g2", "system:authenticated"];

fn strings(xs: Vec<&str>) -> Vec<Text> {
    xs.into_iter().map(Text::from).collect()
}

fn resource_rule() -> impl Strategy<Value = PolicyRule> {
    (
        subsequence(VERBS, 1..3),
        subsequence(GROUPS, 1..3),
        subsequence(RESOURCES, 1..3),
        subsequence(NAMES, 0..2),
    )
        .prop_map(|(v, g, r, n)| PolicyRule {
            verbs: strings(v),
            api_groups: strings(g),
            resources: strings(r),
            resource_names: strings(n),
            non_resource_urls: Vec::new(),
        })
}

fn url_rule() -> impl Strategy<Value = PolicyRule> {
    (subsequence(VERBS, 1..3), subsequence(URLS, 1..3)).prop_map(|(v, u)| PolicyRule {
        verbs: strings(v),
        non_resource_urls: strings(u),
        ..PolicyRule::default()
    })
}

fn rule() -> impl Strategy<Value = PolicyRule> {
    prop_oneof![4 => resource_rule(), 1 => url_rule()]
}

fn request() -> impl Strategy<Value = Request> {
    let resource = (
        select(&["get", "list", "create", "update", "delete"][..]),
        select(&["", "apps", "batch"][..]),
        select(&["pods", "pods/exec", "pods/log", "secrets", "deployments"][..]),
        select(&["", "ns1", "ns2"][..]),
        select(&["", "a", "b", "c"][..]),
    )
        .prop_map(|(verb, group, res, ns, name)| {
            let (r, sub) = res.split_once('/').unwrap_or((res, ""));
            Request::resource(verb, group, r, sub, ns, name)
        });
    let non_resource = (
        select(&["get", "post"][..]),
        select(&["/healthz", "/metrics", "/metrics/x", "/api", "/version"][..]),
    )
        .prop_map(|(verb, path)| Request::non_resource(verb, path));
    prop_oneof![4 => resource, 1 => non_resource]
}

fn subject() -> impl Strategy<Value = Subject> {
    prop_oneof![
        select(USERS).prop_map(|n| Subject {
            kind: "User".into(),
            name: n.into(),
            ..Subject::default()
        }),
        select(SUBJECT_GROUPS).prop_map(|n| Subject {
            kind: "Group".into(),
            name: n.into(),
            ..Subject::default()
        }),
        (
            select(&["sa", "other"][..]),
            select(&["", "ns1", "ns2"][..])
        )
            .prop_map(|(n, ns)| {
                Subject {
                    kind: "ServiceAccount".into(),
                    name: n.into(),
                    namespace: (!ns.is_empty()).then(|| ns.into()),
                    ..Subject::default()
                }
            }),
    ]
}

fn role(name: &str, namespace: Option<&str>, rules: Vec<PolicyRule>) -> Role {
    Role {
        metadata: ObjectMeta {
            name: name.into(),
            namespace: namespace.map(Text::from),
            ..ObjectMeta::default()
        },
        rules,
        ..Role::default()
    }
}

/// A binding: `(namespace or None for a ClusterRoleBinding, roleRef kind, role index, subjects)`.
type BindingSpec = (Option<&'static str>, &'static str, usize, Vec<Subject>);

fn binding_spec() -> impl Strategy<Value = BindingSpec> {
    (
        prop_oneof![Just(None), select(NAMESPACES).prop_map(Some)],
        select(&["Role", "ClusterRole"][..]),
        0usize..3,
        prop::collection::vec(subject(), 1..3),
    )
}

fn binding(id: usize, spec: &BindingSpec) -> RoleBinding {
    let (namespace, kind, role_index, subjects) = spec;
    RoleBinding {
        metadata: ObjectMeta {
            name: format!("b{id}").into(),
            namespace: namespace.map(Text::from),
            ..ObjectMeta::default()
        },
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: (*kind).into(),
            name: format!("r{role_index}").into(),
        },
        subjects: subjects.clone(),
        ..RoleBinding::default()
    }
}

/// Roles `r0..r2` as ClusterRoles and as Roles in both namespaces (each with its own rules).
fn world() -> impl Strategy<Value = Inventory> {
    (
        prop::collection::vec(prop::collection::vec(rule(), 0..3), 3),
        prop::collection::vec(prop::collection::vec(resource_rule(), 0..3), 6),
        prop::collection::vec(binding_spec(), 0..6),
    )
        .prop_map(|(cluster_rules, role_rules, bindings)| {
            let mut inv = Inventory::default();
            for (i, rules) in cluster_rules.into_iter().enumerate() {
                inv.cluster_roles.push(role(&format!("r{i}"), None, rules));
            }
            for (i, rules) in role_rules.into_iter().enumerate() {
                let ns = NAMESPACES.get(i / 3).copied().unwrap_or("ns1");
                inv.roles
                    .push(role(&format!("r{}", i % 3), Some(ns), rules));
            }
            add_bindings(&mut inv, &bindings, 0);
            inv.finalize();
            inv
        })
}

fn add_bindings(inv: &mut Inventory, specs: &[BindingSpec], first_id: usize) {
    for (i, spec) in specs.iter().enumerate() {
        let b = binding(first_id + i, spec);
        if spec.0.is_some() {
            inv.role_bindings.push(b);
        } else {
            inv.cluster_role_bindings.push(b);
        }
    }
}

fn identity() -> impl Strategy<Value = Identity> {
    (select(USERS), subsequence(SUBJECT_GROUPS, 0..3)).prop_map(|(user, groups)| Identity {
        user: user.to_owned(),
        groups: (strings(groups)).iter().map(|s| s.to_string()).collect(),
        ..Identity::default()
    })
}

/// kube-apiserver's `VisitRulesFor` + `appliesTo` + `RuleAllows`, written directly over the
/// inventory with no index: the oracle for the indexed engine.
fn naive_allows(inv: &Inventory, id: &Identity, req: &Request) -> bool {
    if id.groups.iter().any(|g| g == "system:masters") {
        return true;
    }
    let applies = |s: &Subject, ns: &str| match s.kind.as_str() {
        "User" => id.user == s.name,
        "Group" => id.groups.iter().any(|g| *g == s.name),
        "ServiceAccount" => {
            let sa_ns = s
                .namespace
                .as_deref()
                .filter(|n| !n.is_empty())
                .unwrap_or(ns);
            !sa_ns.is_empty() && id.user == format!("system:serviceaccount:{sa_ns}:{}", s.name)
        }
        _ => false,
    };
    let rules_of = |r: &RoleRef, ns: &str| -> Vec<PolicyRule> {
        match r.kind.as_str() {
            "Role" if !ns.is_empty() => inv
                .roles
                .iter()
                .find(|x| x.metadata.namespace.as_deref() == Some(ns) && x.metadata.name == r.name)
                .map(|x| x.rules.clone())
                .unwrap_or_default(),
            "ClusterRole" => inv
                .cluster_roles
                .iter()
                .find(|x| x.metadata.name == r.name)
                .map(|x| x.rules.clone())
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    };
    for b in &inv.cluster_role_bindings {
        if b.subjects.iter().any(|s| applies(s, ""))
            && rules_of(&b.role_ref, "")
                .iter()
                .any(|r| rule_allows(r, req))
        {
            return true;
        }
    }
    let ns = req.namespace.as_str();
    if !ns.is_empty() && req.path.is_none() {
        for b in inv
            .role_bindings
            .iter()
            .filter(|b| b.metadata.namespace.as_deref() == Some(ns))
        {
            if b.subjects.iter().any(|s| applies(s, ns))
                && rules_of(&b.role_ref, ns)
                    .iter()
                    .any(|r| rule_allows(r, req))
            {
                return true;
            }
        }
    }
    false
}

/// who-can by brute force: every effective subject of every binding that applies to the
/// request and whose role has a rule allowing it.
fn naive_who_can(inv: &Inventory, req: &Request, any_namespace: bool) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let rules_of = |r: &RoleRef, ns: &str| -> Vec<PolicyRule> {
        match r.kind.as_str() {
            "Role" if !ns.is_empty() => inv
                .roles
                .iter()
                .find(|x| x.metadata.namespace.as_deref() == Some(ns) && x.metadata.name == r.name)
                .map(|x| x.rules.clone())
                .unwrap_or_default(),
            "ClusterRole" => inv
                .cluster_roles
                .iter()
                .find(|x| x.metadata.name == r.name)
                .map(|x| x.rules.clone())
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    };
    let mut add = |b: &RoleBinding, ns: &str| {
        if !rules_of(&b.role_ref, ns)
            .iter()
            .any(|r| rule_allows(r, req))
        {
            return;
        }
        for s in &b.subjects {
            match s.kind.as_str() {
                "User" => {
                    out.insert(format!("User {}", s.name));
                }
                "Group" => {
                    out.insert(format!("Group {}", s.name));
                }
                "ServiceAccount" => {
                    let sa_ns = s
                        .namespace
                        .as_deref()
                        .filter(|n| !n.is_empty())
                        .unwrap_or(ns);
                    if !sa_ns.is_empty() {
                        out.insert(format!("ServiceAccount {sa_ns}/{}", s.name));
                    }
                }
                _ => {}
            }
        }
    };
    for b in &inv.cluster_role_bindings {
        add(b, "");
    }
    if req.path.is_none() {
        for b in &inv.role_bindings {
            let ns = b.metadata.namespace.as_deref().unwrap_or_default();
            if any_namespace || (!req.namespace.is_empty() && req.namespace == ns) {
                add(b, ns);
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn engine_agrees_with_the_naive_resolver(inv in world(), id in identity(), req in request()) {
        let index = RbacIndex::build(&inv);
        let decision = index.authorize(&id, &req);
        prop_assert_eq!(decision.allowed, naive_allows(&inv, &id, &req));
        prop_assert_eq!(decision.allowed, !decision.grants.is_empty());
    }

    #[test]
    fn who_can_agrees_with_authorize(inv in world(), req in request()) {
        let index = RbacIndex::build(&inv);
        let listed: Vec<String> = index.who_can(&req).into_iter().map(|s| s.subject.to_string()).collect();
        for subject in index.subjects() {
            let Some(id) = index.identity_for(subject) else { continue };
            // A subject's own identity may be allowed through other subjects too (for example
            // system:authenticated); who-can lists the subject only when a binding naming it
            // applies, so only check that listed subjects are allowed.
            if listed.contains(&subject.to_string()) {
                prop_assert!(index.authorize(&id, &req).allowed, "{} listed but not allowed", subject);
            }
        }
    }

    #[test]
    fn who_can_agrees_with_brute_force(inv in world(), req in request(), any_namespace in any::<bool>()) {
        let index = RbacIndex::build(&inv);
        let result = if any_namespace { index.who_can_any_namespace(&req) } else { index.who_can(&req) };
        let got: BTreeSet<String> = result.iter().map(|s| s.subject.to_string()).collect();
        prop_assert_eq!(got, naive_who_can(&inv, &req, any_namespace));
        prop_assert!(result.windows(2).all(|w| w[0].subject < w[1].subject), "subjects not sorted");
    }

    #[test]
    fn adding_a_binding_never_removes_access(
        inv in world(),
        extra in binding_spec(),
        id in identity(),
        req in request(),
    ) {
        let before = RbacIndex::build(&inv).authorize(&id, &req).allowed;
        let mut more = inv.clone();
        add_bindings(&mut more, &[extra], 100);
        more.finalize();
        let after = RbacIndex::build(&more).authorize(&id, &req).allowed;
        prop_assert!(!before || after);
    }

    #[test]
    fn star_is_a_superset_of_any_value(rule in rule(), req in request(), field in 0usize..4) {
        let mut wider = rule.clone();
        match field {
            0 => wider.verbs = vec!["*".into()],
            1 => wider.api_groups = vec!["*".into()],
            2 => wider.resources = vec!["*".into()],
            _ => wider.non_resource_urls = vec!["*".into()],
        }
        if rule_allows(&rule, &req) {
            prop_assert!(rule_allows(&wider, &req));
        }
        // The same through the engine: a role with the wider rule allows at least as much.
        let build = |r: &PolicyRule| {
            let mut inv = Inventory::default();
            inv.cluster_roles.push(role("r0", None, vec![r.clone()]));
            add_bindings(&mut inv, &[(None, "ClusterRole", 0, vec![Subject { kind: "User".into(), name: "u1".into(), ..Subject::default() }])], 0);
            inv.finalize();
            RbacIndex::build(&inv)
        };
        let id = Identity::new("u1", &[]);
        if build(&rule).authorize(&id, &req).allowed {
            prop_assert!(build(&wider).authorize(&id, &req).allowed);
        }
    }

    #[test]
    fn an_aggregated_role_grants_exactly_the_union_of_its_sources(
        sources in prop::collection::vec((prop::collection::vec(rule(), 0..3), any::<bool>()), 1..5),
        req in request(),
    ) {
        let selector = LabelSelector {
            match_labels: StringMap::from([("agg", "true")]),
            ..LabelSelector::default()
        };
        let user = Subject { kind: "User".into(), name: "u1".into(), ..Subject::default() };
        let mut aggregated = Inventory::default();
        let mut direct = Inventory::default();
        for (i, (rules, selected)) in sources.iter().enumerate() {
            let mut source = role(&format!("src{i}"), None, rules.clone());
            source.metadata.labels.insert("agg".into(), selected.to_string().into());
            aggregated.cluster_roles.push(source.clone());
            direct.cluster_roles.push(source);
            if *selected {
                direct.cluster_role_bindings.push(RoleBinding {
                    metadata: ObjectMeta { name: format!("b{i}").into(), ..ObjectMeta::default() },
                    role_ref: RoleRef { api_group: Text::default(), kind: "ClusterRole".into(), name: format!("src{i}").into() },
                    subjects: vec![user.clone()],
                    ..RoleBinding::default()
                });
            }
        }
        let mut target = role("aggregate", None, Vec::new());
        target.aggregation_rule = Some(AggregationRule { cluster_role_selectors: vec![selector] });
        aggregated.cluster_roles.push(target);
        aggregated.cluster_role_bindings.push(RoleBinding {
            metadata: ObjectMeta { name: "agg".into(), ..ObjectMeta::default() },
            role_ref: RoleRef { api_group: Text::default(), kind: "ClusterRole".into(), name: "aggregate".into() },
            subjects: vec![user],
            ..RoleBinding::default()
        });
        aggregated.finalize();
        direct.finalize();
        let id = Identity::new("u1", &[]);
        prop_assert_eq!(
            RbacIndex::build(&aggregated).authorize(&id, &req).allowed,
            RbacIndex::build(&direct).authorize(&id, &req).allowed
        );
    }
}
