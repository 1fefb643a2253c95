//! Differential test: on random policies and requests, the engine and the reference
//! evaluator (tests/support/reference.rs, written from AWS's documentation) must agree on the
//! decision. Also checks two properties the documentation implies: adding a matching `Deny`
//! never yields `allowed`, and `NotAction` is the complement of `Action`.

mod support;

use std::collections::BTreeMap;

use emrguard_iam::eval::ResourcePolicy;
use emrguard_iam::{
    parse_policy, Caller, CompiledPolicy, Decision, DocumentUse, PolicyKind, PolicySet,
    PolicySource, Request,
};
use proptest::prelude::*;
use serde_json::{json, Value};
use support::reference::{reference_decision, RefPolicy, RefRole};

const ACCOUNT: &str = "111122223333";
const USER: &str = "arn:aws:iam::111122223333:user/alice";
const ROLE: &str = "arn:aws:iam::111122223333:role/app";
const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/app/s1";

const ACTION_PATTERNS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:Get*",
    "s3:*",
    "*",
    "iam:PassRole",
    "iam:?assRole",
    "S3:getobject",
    "ec2:*Instances",
    "sts:AssumeRole",
];
const REQUEST_ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "iam:PassRole",
    "ec2:RunInstances",
    "sts:AssumeRole",
];
const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/k",
    "arn:aws:s3:::b?/*",
    "arn:aws:s3:::b/${aws:username}",
    "arn:aws:s3:::b/${aws:username, 'k'}",
    "arn:aws:s3:::b/${*}",
    "arn:aws:iam::*",
    "arn:aws:iam::111122223333:role/*",
];
const REQUEST_RESOURCES: &[&str] = &[
    "arn:aws:s3:::b/k",
    "arn:aws:s3:::b/alice",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::bb/k",
    "arn:aws:s3:::B/k",
    "arn:aws:iam::111122223333:role/app",
];
const OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
];
const KEYS: &[&str] = &["k", "aws:username", "aws:TagKeys", "AWS:UserName"];
const CONTEXT_VALUES: &[&str] = &[
    "a",
    "alice",
    "bx",
    "5",
    "10.5",
    "2024-01-01T00:00:00Z",
    "10.1.2.3",
    "arn:aws:s3:::b/k",
    "arn:aws:iam::111122223333:role/r",
    "true",
    "False",
    "",
];

fn values_for(op: &str) -> &'static [&'static str] {
    if op.starts_with("String") {
        &["a", "b*", "a?", "${aws:username}", "alice", "*", "${*}"]
    } else if op.starts_with("Numeric") {
        &["1", "5", "10.5"]
    } else if op.starts_with("Date") {
        &["2024-01-01T00:00:00Z", "2023-06-01", "1700000000"]
    } else if op == "Bool" || op == "Null" {
        &["true", "false"]
    } else if op.contains("Ip") {
        &["10.0.0.0/8", "10.1.2.3", "2001:db8::/32"]
    } else if op.starts_with("Arn") {
        &[
            "arn:aws:s3:::b/*",
            "arn:aws:iam::*:role/r",
            "arn:aws:s3:::${aws:username}",
            "arn:aws:iam::*",
        ]
    } else {
        &["QQ==", "a"]
    }
}

fn condition() -> impl Strategy<Value = (String, String, Vec<String>)> {
    (
        prop::sample::select(OPERATORS),
        prop::sample::select(&["", "ForAllValues:", "ForAnyValue:"][..]),
        any::<bool>(),
        prop::sample::select(KEYS),
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        1usize..3,
    )
        .prop_map(|(op, q, if_exists, key, i, j, n)| {
            let suffix = if if_exists && op != "Null" {
                "IfExists"
            } else {
                ""
            };
            let pool = values_for(op);
            let values: Vec<String> = [i, j]
                .iter()
                .take(n)
                .map(|x| (*x.get(pool)).to_owned())
                .collect();
            (format!("{q}{op}{suffix}"), key.to_owned(), values)
        })
}

fn statement(principal: bool) -> impl Strategy<Value = Value> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(prop::sample::select(ACTION_PATTERNS), 1..3),
        any::<bool>(),
        prop::collection::vec(prop::sample::select(RESOURCE_PATTERNS), 1..3),
        prop::collection::vec(condition(), 0..3),
        prop::sample::select(
            &[
                USER,
                ROLE,
                SESSION,
                ACCOUNT,
                "*",
                "arn:aws:iam::999999999999:root",
            ][..],
        ),
        any::<bool>(),
    )
        .prop_map(
            move |(
                deny,
                not_action,
                actions,
                not_resource,
                resources,
                conds,
                who,
                not_principal,
            )| {
                let mut st = serde_json::Map::new();
                st.insert("Effect".into(), json!(if deny { "Deny" } else { "Allow" }));
                st.insert(
                    if not_action { "NotAction" } else { "Action" }.into(),
                    json!(actions),
                );
                st.insert(
                    if not_resource {
                        "NotResource"
                    } else {
                        "Resource"
                    }
                    .into(),
                    json!(resources),
                );
                if principal {
                    let p = if who == "*" {
                        json!("*")
                    } else {
                        json!({ "AWS": who })
                    };
                    st.insert(
                        if not_principal {
                            "NotPrincipal"
                        } else {
                            "Principal"
                        }
                        .into(),
                        p,
                    );
                }
                if !conds.is_empty() {
                    let mut c: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
                    for (op, key, values) in conds {
                        c.entry(op).or_default().insert(key, values);
                    }
                    st.insert("Condition".into(), json!(c));
                }
                Value::Object(st)
            },
        )
}

fn document(principal: bool) -> impl Strategy<Value = Value> {
    (
        prop::collection::vec(statement(principal), 1..4),
        prop::sample::select(&["2012-10-17", "2008-10-17"][..]),
    )
        .prop_map(|(sts, version)| json!({ "Version": version, "Statement": sts }))
}

fn context() -> impl Strategy<Value = BTreeMap<String, Vec<String>>> {
    prop::collection::btree_map(
        prop::sample::select(&["k", "aws:username", "aws:tagkeys"][..]).prop_map(str::to_owned),
        prop::collection::vec(
            prop::sample::select(CONTEXT_VALUES).prop_map(str::to_owned),
            1..3,
        ),
        0..3,
    )
}

#[derive(Debug, Clone)]
struct Scenario {
    identity: Vec<Value>,
    boundary: Option<Value>,
    resource_policy: Option<(Value, bool, bool)>,
    caller: &'static str,
    action: &'static str,
    resource: &'static str,
    context: BTreeMap<String, Vec<String>>,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        prop::collection::vec(document(false), 0..3),
        prop::option::of(document(false)),
        prop::option::of((document(true), any::<bool>(), any::<bool>())),
        prop::sample::select(&[USER, ROLE, SESSION][..]),
        prop::sample::select(REQUEST_ACTIONS),
        prop::sample::select(REQUEST_RESOURCES),
        context(),
    )
        .prop_map(
            |(identity, boundary, resource_policy, caller, action, resource, context)| Scenario {
                identity,
                boundary,
                resource_policy,
                caller,
                action,
                resource,
                context,
            },
        )
}

fn build(s: &Scenario) -> (PolicySet, Vec<RefPolicy>) {
    let mut reference = Vec::new();
    let mut identity = Vec::new();
    for (i, v) in s.identity.iter().enumerate() {
        let doc = parse_policy(&v.to_string()).unwrap();
        identity.push(
            CompiledPolicy::compile(
                PolicySource::new(PolicyKind::Custom, format!("p{i}"), None),
                &doc,
                DocumentUse::Identity,
            )
            .unwrap(),
        );
        reference.push(RefPolicy {
            document: doc,
            role: RefRole::Identity,
        });
    }
    let mut set = PolicySet::from_policies(identity);
    if let Some(b) = &s.boundary {
        let doc = parse_policy(&b.to_string()).unwrap();
        set.boundary = Some(
            CompiledPolicy::compile(
                PolicySource::new(PolicyKind::Boundary, "b", None),
                &doc,
                DocumentUse::Identity,
            )
            .unwrap(),
        );
        reference.push(RefPolicy {
            document: doc,
            role: RefRole::Boundary,
        });
    }
    if let Some((v, must_allow, on_request_resource)) = &s.resource_policy {
        let doc = parse_policy(&v.to_string()).unwrap();
        let resource = if *on_request_resource {
            s.resource.to_owned()
        } else {
            "arn:aws:s3:::elsewhere".to_owned()
        };
        set.resource_policies.push(ResourcePolicy {
            resource: resource.clone(),
            policy: CompiledPolicy::compile(
                PolicySource::new(PolicyKind::ResourceBased, "r", None),
                &doc,
                DocumentUse::ResourceBased,
            )
            .unwrap(),
            must_allow: *must_allow,
        });
        reference.push(RefPolicy {
            document: doc,
            role: RefRole::Resource {
                resource,
                must_allow: *must_allow,
            },
        });
    }
    set.caller = Some(Caller::from_arn(s.caller));
    (set, reference)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn engine_agrees_with_reference(s in scenario()) {
        let (set, reference) = build(&s);
        let mut request = Request::new(s.action, s.resource);
        request.context = s.context.clone();
        let engine = set.evaluate(&request).decision;
        let oracle = reference_decision(&reference, set.caller.as_ref(), s.action, s.resource, &s.context);
        prop_assert_eq!(engine, oracle, "scenario: {:#?}", s);
    }

    #[test]
    fn adding_a_matching_deny_never_allows(s in scenario()) {
        let (mut set, _) = build(&s);
        let mut request = Request::new(s.action, s.resource);
        request.context = s.context.clone();
        let deny = parse_policy(&json!({"Statement": {"Effect": "Deny", "Action": s.action, "Resource": "*"}}).to_string()).unwrap();
        set.identity.push(CompiledPolicy::compile(PolicySource::new(PolicyKind::Custom, "deny", None), &deny, DocumentUse::Identity).unwrap());
        prop_assert_eq!(set.evaluate(&request).decision, Decision::ExplicitDeny);
    }

    #[test]
    fn not_action_is_the_complement_of_action(
        patterns in prop::collection::vec(prop::sample::select(ACTION_PATTERNS), 1..3),
        action in prop::sample::select(REQUEST_ACTIONS),
    ) {
        let eval = |key: &str| {
            let doc = parse_policy(&json!({"Statement": {"Effect": "Allow", key: patterns, "Resource": "*"}}).to_string()).unwrap();
            let set = PolicySet::from_policies(vec![CompiledPolicy::compile(PolicySource::new(PolicyKind::Custom, "p", None), &doc, DocumentUse::Identity).unwrap()]);
            set.evaluate(&Request::new(action, "*")).decision == Decision::Allowed
        };
        prop_assert_ne!(eval("Action"), eval("NotAction"));
    }
}
