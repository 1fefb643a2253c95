//! Engine tests over in-code inventories: policy sets from IAM data, trust questions, the EMR
//! trust analysis, privilege classes and tiers, and the audit helpers.

use emrguard_iam::audit::{
    pass_role_without_passed_to_service, statements_allowing_on_all_resources,
    unpinned_execution_role_grants,
};
use emrguard_iam::privilege::{compare_usage, Analyzer, PrivilegeKind, Tier};
use emrguard_iam::trust::{
    analyze_emr_trust, can_assume_role, can_assume_service, can_assume_service_with,
    can_assume_web_identity, pod_identity_context, ClusterTrustContext, TrustScope,
};
use emrguard_iam::{Decision, PolicySet, Request};
use emrguard_model::aws::{CloudTrailEvent, EksCluster, IamGroup, IamRole, IamUser, ManagedPolicy};
use emrguard_model::emr::emr_trust_sub_pattern;
use emrguard_model::Inventory;
use serde_json::json;

const ACCT: &str = "111122223333";
const ISSUER: &str = "https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
const PROVIDER: &str = "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";

fn role(
    name: &str,
    trust: serde_json::Value,
    inline: serde_json::Value,
    attached: &[&str],
) -> IamRole {
    serde_json::from_value(json!({
        "RoleName": name,
        "Arn": format!("arn:aws:iam::{ACCT}:role/{name}"),
        "AssumeRolePolicyDocument": trust,
        "RolePolicyList": [{"PolicyName": "inline", "PolicyDocument": inline}],
        "AttachedManagedPolicies": attached.iter().map(|a| json!({"PolicyArn": a})).collect::<Vec<_>>(),
    }))
    .unwrap()
}

fn managed(arn: &str, doc: serde_json::Value) -> ManagedPolicy {
    serde_json::from_value(json!({
        "Arn": arn,
        "DefaultVersionId": "v2",
        "PolicyVersionList": [
            {"VersionId": "v1", "IsDefaultVersion": false, "Document": {"Version": "2012-10-17", "Statement": []}},
            {"VersionId": "v2", "IsDefaultVersion": true, "Document": doc}
        ]
    }))
    .unwrap()
}

fn emr_trust(namespace: &str, role_name: &str) -> serde_json::Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": format!("arn:aws:iam::{ACCT}:oidc-provider/{PROVIDER}")},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringLike": {format!("{PROVIDER}:sub"): emr_trust_sub_pattern(namespace, ACCT, role_name)}}
    }]})
}

fn empty() -> serde_json::Value {
    json!({"Version": "2012-10-17", "Statement": []})
}

fn inventory() -> Inventory {
    let mut inv = Inventory::default();
    inv.clusters.push(
        serde_json::from_value::<EksCluster>(json!({
            "name": "prod",
            "arn": format!("arn:aws:eks:us-west-2:{ACCT}:cluster/prod"),
            "identity": {"oidc": {"issuer": ISSUER}}
        }))
        .unwrap(),
    );
    inv.iam_roles.push(role(
        "job-role",
        emr_trust("emr", "job-role"),
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::data/*"},
            {"Effect": "Allow", "Action": ["logs:PutLogEvents", "logs:CreateLogStream"], "Resource": "*"}
        ]}),
        &[],
    ));
    inv.iam_roles.push(role(
        "admin",
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCT}:root")}, "Action": "sts:AssumeRole"}]}),
        empty(),
        &["arn:aws:iam::aws:policy/AdministratorAccess"],
    ));
    inv.iam_roles.push(role(
        "submitter",
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCT}:user/ci")}, "Action": "sts:AssumeRole"}]}),
        json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Submit", "Effect": "Allow", "Action": "emr-containers:StartJobRun", "Resource": "*"},
            {"Sid": "Pass", "Effect": "Allow", "Action": "iam:PassRole", "Resource": format!("arn:aws:iam::{ACCT}:role/job-role")},
            {"Sid": "Pinned", "Effect": "Allow", "Action": "emr-containers:CreateManagedEndpoint", "Resource": "*",
             "Condition": {"ArnEquals": {"emr-containers:ExecutionRoleArn": format!("arn:aws:iam::{ACCT}:role/job-role")}}},
            {"Sid": "PassScoped", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
             "Condition": {"StringEquals": {"iam:PassedToService": "pods.eks.amazonaws.com"}}}
        ]}),
        &[],
    ));
    inv.iam_roles.push(role(
        "wide",
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Federated": format!("arn:aws:iam::{ACCT}:oidc-provider/{PROVIDER}")}, "Action": "sts:AssumeRoleWithWebIdentity",
             "Condition": {"StringLike": {format!("{PROVIDER}:sub"): "system:serviceaccount:emr:*"}}},
            {"Effect": "Allow", "Principal": {"Federated": format!("arn:aws:iam::{ACCT}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/OTHER")}, "Action": "sts:AssumeRoleWithWebIdentity"},
            {"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"],
             "Condition": {"StringEquals": {"aws:SourceAccount": ACCT}}}
        ]}),
        json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "secretsmanager:GetSecretValue"], "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:PutBucketPolicy", "Resource": "arn:aws:s3:::*"}
        ]}),
        &[],
    ));
    inv.iam_roles.push(role(
        "bounded",
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCT}:user/ci")}, "Action": "sts:AssumeRole"}]}),
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
        &[],
    ));
    if let Some(r) = inv.iam_roles.last_mut() {
        r.permissions_boundary = Some(
            serde_json::from_value(json!({
                "PermissionsBoundaryArn": format!("arn:aws:iam::{ACCT}:policy/read-only-boundary")
            }))
            .unwrap(),
        );
    }
    inv.managed_policies.push(managed(
        "arn:aws:iam::aws:policy/AdministratorAccess",
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    ));
    inv.managed_policies.push(managed(
        &format!("arn:aws:iam::{ACCT}:policy/read-only-boundary"),
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"}]}),
    ));
    inv.managed_policies.push(managed(
        &format!("arn:aws:iam::{ACCT}:policy/assume-admin"),
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": format!("arn:aws:iam::{ACCT}:role/admin")}]}),
    ));
    inv.iam_users.push(
        serde_json::from_value::<IamUser>(json!({
            "UserName": "ci", "Arn": format!("arn:aws:iam::{ACCT}:user/ci"),
            "GroupList": ["ops"], "UserPolicyList": [], "AttachedManagedPolicies": []
        }))
        .unwrap(),
    );
    inv.iam_users.push(
        serde_json::from_value::<IamUser>(json!({
            "UserName": "dev", "Arn": format!("arn:aws:iam::{ACCT}:user/dev"),
            "UserPolicyList": [], "AttachedManagedPolicies": []
        }))
        .unwrap(),
    );
    inv.iam_groups.push(
        serde_json::from_value::<IamGroup>(json!({
            "GroupName": "ops", "Arn": format!("arn:aws:iam::{ACCT}:group/ops"),
            "AttachedManagedPolicies": [{"PolicyArn": format!("arn:aws:iam::{ACCT}:policy/assume-admin")}],
            "GroupPolicyList": [{"PolicyName": "deny-delete", "PolicyDocument":
                {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]}}]
        }))
        .unwrap(),
    );
    inv.finalize();
    inv
}

fn find<'a>(inv: &'a Inventory, name: &str) -> &'a IamRole {
    inv.role_by_name(name).unwrap()
}

#[test]
fn irsa_web_identity_follows_the_emr_pattern() {
    let inv = inventory();
    let job = find(&inv, "job-role");
    let ok = format!(
        "system:serviceaccount:emr:emr-containers-sa-spark-driver-{ACCT}-{}",
        emrguard_model::emr::base36_encode("job-role")
    );
    let yes = can_assume_web_identity(job, ISSUER, &ok, "sts.amazonaws.com");
    assert!(yes.allowed, "{:?}", yes.reasons);
    let other_ns = ok.replace(":emr:", ":other:");
    assert!(!can_assume_web_identity(job, ISSUER, &other_ns, "sts.amazonaws.com").allowed);
    assert!(
        !can_assume_web_identity(
            job,
            ISSUER,
            "system:serviceaccount:emr:default",
            "sts.amazonaws.com"
        )
        .allowed
    );
    let other_cluster = "https://oidc.eks.eu-west-1.amazonaws.com/id/OTHER";
    assert!(!can_assume_web_identity(job, other_cluster, &ok, "sts.amazonaws.com").allowed);
}

#[test]
fn service_principals_and_pod_identity() {
    let inv = inventory();
    let wide = find(&inv, "wide");
    // The trust policy requires aws:SourceAccount, which Pod Identity sends.
    assert!(!can_assume_service(wide, "pods.eks.amazonaws.com").allowed);
    let ctx = pod_identity_context(
        &format!("arn:aws:eks:us-west-2:{ACCT}:cluster/prod"),
        "prod",
        "emr",
        "sa",
    );
    let d = can_assume_service_with(wide, "pods.eks.amazonaws.com", &ctx);
    assert!(d.allowed, "{:?}", d.reasons);
    assert_eq!(
        d.checks.len(),
        2,
        "AssumeRole and TagSession are both checked"
    );
    assert!(!can_assume_service(wide, "ec2.amazonaws.com").allowed);
    // The EMR job role trusts no service.
    assert!(
        !can_assume_service_with(find(&inv, "job-role"), "pods.eks.amazonaws.com", &ctx).allowed
    );
}

#[test]
fn assume_role_counts_trust_and_identity() {
    let inv = inventory();
    let admin = find(&inv, "admin");
    // The admin role trusts the account; `ci` has an identity allow through its group.
    let ci = can_assume_role(&inv, &format!("arn:aws:iam::{ACCT}:user/ci"), admin);
    assert!(ci.allowed, "{:?}", ci.reasons);
    // `dev` has no identity allow: trusting the account is not enough.
    let dev = can_assume_role(&inv, &format!("arn:aws:iam::{ACCT}:user/dev"), admin);
    assert!(!dev.allowed);
    // The submitter role names `ci` directly: no identity policy needed.
    let sub = can_assume_role(
        &inv,
        &format!("arn:aws:iam::{ACCT}:user/ci"),
        find(&inv, "submitter"),
    );
    assert!(sub.allowed, "{:?}", sub.reasons);
    // Nobody else is named.
    assert!(
        !can_assume_role(
            &inv,
            &format!("arn:aws:iam::{ACCT}:user/dev"),
            find(&inv, "submitter")
        )
        .allowed
    );
    // Another account's principal is only checked against the trust policy.
    let foreign = can_assume_role(&inv, "arn:aws:iam::999999999999:role/x", admin);
    assert!(!foreign.allowed);
}

#[test]
fn user_policy_sets_include_groups() {
    let inv = inventory();
    let set = PolicySet::for_principal_arn(&inv, &format!("arn:aws:iam::{ACCT}:user/ci")).unwrap();
    let e = set.evaluate(&Request::new("s3:DeleteObject", "arn:aws:s3:::data/k"));
    assert_eq!(e.decision, Decision::ExplicitDeny);
    assert_eq!(e.deciding[0].policy.owner.as_deref(), Some("ops"));
    assert!(PolicySet::for_principal_arn(&inv, "arn:aws:iam::1:user/nobody").is_err());
    // A role session resolves to its role.
    let s =
        PolicySet::for_principal_arn(&inv, &format!("arn:aws:sts::{ACCT}:assumed-role/admin/me"))
            .unwrap();
    assert!(s
        .evaluate(&Request::new("ec2:RunInstances", "*"))
        .decision
        .is_allowed());
}

#[test]
fn boundary_limits_an_admin_policy() {
    let inv = inventory();
    let set = PolicySet::for_role(&inv, find(&inv, "bounded"));
    assert!(set
        .evaluate(&Request::new("s3:GetObject", "arn:aws:s3:::x/y"))
        .decision
        .is_allowed());
    let e = set.evaluate(&Request::new("s3:PutObject", "arn:aws:s3:::x/y"));
    assert_eq!(e.decision, Decision::ImplicitDeny);
    assert!(e.reasons.iter().any(|r| r.contains("boundary")));
}

#[test]
fn emr_trust_analysis_classifies_statements() {
    let inv = inventory();
    let cluster = ClusterTrustContext::from_inventory(&inv).unwrap();
    let job = analyze_emr_trust(find(&inv, "job-role"), &cluster);
    assert_eq!(job.len(), 1);
    assert_eq!(
        job[0].scopes,
        vec![TrustScope::EmrPattern {
            namespace: "emr".into()
        }]
    );
    assert_eq!(job[0].namespaces.iter().collect::<Vec<_>>(), vec!["emr"]);

    let wide = analyze_emr_trust(find(&inv, "wide"), &cluster);
    assert_eq!(wide.len(), 3);
    assert!(
        matches!(&wide[0].scopes[0], TrustScope::AnyServiceAccountInNamespace { namespace, .. } if namespace == "emr")
    );
    assert!(matches!(
        &wide[1].scopes[0],
        TrustScope::OtherCluster { .. }
    ));
    assert!(
        matches!(&wide[2].scopes[0], TrustScope::Service { name } if name == "pods.eks.amazonaws.com")
    );
    assert!(wide[2].other_conditions);

    let admin = analyze_emr_trust(find(&inv, "admin"), &cluster);
    assert_eq!(
        admin[0].scopes,
        vec![TrustScope::AccountRoot {
            account: ACCT.into()
        }]
    );
}

#[test]
fn emr_trust_analysis_broader_patterns() {
    let cluster = ClusterTrustContext {
        oidc_provider: PROVIDER.into(),
        account_id: ACCT.into(),
        partition: "aws".into(),
    };
    let with_sub = |op: &str, sub: serde_json::Value| {
        let r = role(
            "job-role",
            json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow",
                "Principal": {"Federated": format!("arn:aws:iam::{ACCT}:oidc-provider/{PROVIDER}")},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {op: {format!("{PROVIDER}:sub"): sub, format!("{PROVIDER}:aud"): "sts.amazonaws.com"}}
            }]}),
            empty(),
            &[],
        );
        analyze_emr_trust(&r, &cluster).remove(0)
    };
    let a = with_sub("StringEquals", json!("system:serviceaccount:emr:driver"));
    assert_eq!(
        a.scopes,
        vec![TrustScope::SpecificServiceAccount {
            namespace: "emr".into(),
            service_account: "driver".into()
        }]
    );
    assert!(!a.other_conditions, "aud is not an extra condition");
    let b = with_sub(
        "StringLike",
        json!("system:serviceaccount:*:emr-containers-sa-*"),
    );
    assert!(matches!(&b.scopes[0], TrustScope::AnyNamespace { .. }));
    assert!(b.namespaces.contains("*"));
    let c = with_sub(
        "StringLike",
        json!("system:serviceaccount:emr:emr-containers-sa-*"),
    );
    let TrustScope::BroaderThanEmrPattern { example, .. } = &c.scopes[0] else {
        panic!("{:?}", c.scopes)
    };
    let emr = emr_trust_sub_pattern("emr", ACCT, "job-role");
    assert!(emrguard_iam::glob_matches(
        "system:serviceaccount:emr:emr-containers-sa-*",
        example
    ));
    assert!(!emrguard_iam::glob_matches(&emr, example));
    // A narrower pattern than EMR's (a single component) is within it.
    let d = with_sub(
        "StringLike",
        json!(format!(
            "system:serviceaccount:emr:emr-containers-sa-spark-*-{ACCT}-{}",
            emrguard_model::emr::base36_encode("job-role")
        )),
    );
    assert_eq!(
        d.scopes,
        vec![TrustScope::EmrPattern {
            namespace: "emr".into()
        }]
    );
    let e = with_sub(
        "StringNotEquals",
        json!("system:serviceaccount:kube-system:x"),
    );
    assert_eq!(e.scopes, vec![TrustScope::NoSubCondition]);
}

#[test]
fn privilege_tiers_order_roles() {
    let inv = inventory();
    let mut analyzer = Analyzer::new(&inv);
    let admin = analyzer.analyze_role(find(&inv, "admin"));
    assert_eq!(admin.tier, Tier::Admin);
    assert!(admin.has(PrivilegeKind::FullAdmin));
    assert!(admin.has(PrivilegeKind::PrivilegeEscalation));
    let full = admin
        .classes
        .iter()
        .find(|c| c.kind == PrivilegeKind::FullAdmin)
        .unwrap();
    assert_eq!(full.actions, vec!["*"]);
    // Other classes name each action once, sorted, however many grants give it.
    for c in admin
        .classes
        .iter()
        .filter(|c| c.kind != PrivilegeKind::FullAdmin)
    {
        assert!(!c.actions.is_empty(), "{c:?}");
        assert!(c.actions.windows(2).all(|w| w[0] < w[1]), "{c:?}");
    }

    let job = analyzer.analyze_role(find(&inv, "job-role"));
    assert_eq!(job.tier, Tier::LimitedWrite, "{:?}", job.classes);
    assert!(job.classes.is_empty());

    let wide = analyzer.analyze_role(find(&inv, "wide"));
    assert_eq!(wide.tier, Tier::ResourceExposure, "{:?}", wide.classes);
    let data = wide
        .classes
        .iter()
        .find(|c| c.kind == PrivilegeKind::DataRead)
        .unwrap();
    assert_eq!(
        data.actions,
        vec!["s3:GetObject", "secretsmanager:GetSecretValue"]
    );
    assert_eq!(data.statements.len(), 1);

    let submitter = analyzer.analyze_role(find(&inv, "submitter"));
    assert_eq!(submitter.tier, Tier::PrivilegeEscalation);
    let esc = submitter
        .classes
        .iter()
        .find(|c| c.detail == "PassExistingRoleToNewEmrOnEksJob")
        .unwrap();
    assert_eq!(
        esc.statements.len(),
        3,
        "StartJobRun plus both PassRole grants: {:?}",
        esc.statements
    );

    let bounded = analyzer.analyze_role(find(&inv, "bounded"));
    assert_eq!(
        bounded.tier,
        Tier::DataRead,
        "the boundary caps `*`: {:?}",
        bounded.classes
    );

    assert!(Tier::Admin > Tier::PrivilegeEscalation && Tier::ReadOnly > Tier::None);
    assert!(job.tier < bounded.tier && bounded.tier < wide.tier && wide.tier < submitter.tier);
}

#[test]
fn audit_helpers() {
    let inv = inventory();
    let submitter = PolicySet::for_role(&inv, find(&inv, "submitter"));
    let unpinned = unpinned_execution_role_grants(&submitter);
    assert_eq!(unpinned.len(), 1);
    assert_eq!(unpinned[0].action, "emr-containers:StartJobRun");
    assert_eq!(unpinned[0].statement.sid.as_deref(), Some("Submit"));
    let pass = pass_role_without_passed_to_service(&submitter);
    assert_eq!(
        pass.iter().map(|s| s.sid.as_deref()).collect::<Vec<_>>(),
        vec![Some("Pass")]
    );
    let star = statements_allowing_on_all_resources(&submitter, "emr-containers:StartJobRun");
    assert_eq!(star.len(), 1);
    assert!(statements_allowing_on_all_resources(&submitter, "iam:PassRole").len() == 1);
    let wide = PolicySet::for_role(&inv, find(&inv, "wide"));
    assert_eq!(
        statements_allowing_on_all_resources(&wide, "S3:GETOBJECT").len(),
        1
    );
    assert!(statements_allowing_on_all_resources(&wide, "s3:PutObject").is_empty());
}

#[test]
fn usage_comparison_suggests_a_minimal_policy() {
    let inv = inventory();
    let job = find(&inv, "job-role");
    let summary = Analyzer::new(&inv).analyze_role(job);
    let event =
        |name: &str, source: &str, resources: &[&str], error: Option<&str>| CloudTrailEvent {
            event_source: source.into(),
            event_name: name.into(),
            principal_arn: Some(job.arn.clone()),
            resources: resources.iter().map(|s| (*s).to_owned()).collect(),
            error_code: error.map(str::to_owned),
            ..CloudTrailEvent::default()
        };
    let events = vec![
        event(
            "GetObject",
            "s3.amazonaws.com",
            &["arn:aws:s3:::data/a"],
            None,
        ),
        event("PutLogEvents", "logs.amazonaws.com", &[], None),
        event(
            "DeleteObject",
            "s3.amazonaws.com",
            &[],
            Some("AccessDenied"),
        ),
        event("ListBuckets", "s3.amazonaws.com", &[], None),
    ];
    let cmp = compare_usage(&summary.effective, &events, &job.arn);
    assert_eq!(cmp.used, vec!["logs:PutLogEvents", "s3:GetObject"]);
    assert_eq!(cmp.unused(), vec!["logs:CreateLogStream", "s3:PutObject"]);
    assert_eq!(cmp.used_not_granted, vec!["s3:ListBuckets"]);
    let st = &cmp.suggested_policy.statements;
    assert_eq!(st.len(), 2);
    assert_eq!(
        st[1].resource.as_deref(),
        Some(&["arn:aws:s3:::data/a".to_owned()][..])
    );
    assert_eq!(st[0].resource.as_deref(), Some(&["*".to_owned()][..]));
}
