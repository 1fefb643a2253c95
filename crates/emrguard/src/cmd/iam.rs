//! `emrguard iam`: simulate requests, answer "who may assume this role", describe a role.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use emrguard_iam::privilege::{Analyzer, PermissionGrant, PrivilegeClass, ServiceAccess};
use emrguard_iam::trust::{
    analyze_emr_trust, can_assume_role, can_assume_service_with, can_assume_web_identity,
    pod_identity_context, ClusterTrustContext, TrustDecision, TrustScope, TrustStatementAnalysis,
};
use emrguard_iam::{
    parse_policy, CompiledPolicy, Decision, DocumentUse, PolicyKind, PolicySet, PolicySource,
    Request, StatementRef, Tier,
};
use emrguard_model::aws::IamRole;
use emrguard_model::emr::{parse_emr_service_account, IRSA_ANNOTATION, POD_IDENTITY_PRINCIPAL};
use emrguard_model::policy::{Effect, Principal, Statement};
use emrguard_model::Inventory;
use serde::Serialize;

use crate::common::{
    to_json, CliError, CmdResult, Format, OutputArgs, SnapshotArgs, EXIT_FINDINGS,
};

/// Arguments of `emrguard iam`.
#[derive(Debug, Args)]
pub struct IamArgs {
    #[command(subcommand)]
    pub command: IamCommand,
}

/// The `iam` subcommands.
#[derive(Debug, Subcommand)]
pub enum IamCommand {
    /// Decide one request against a principal's policies (from a snapshot) or against policy
    /// files. Prints allowed, explicit_deny or implicit_deny and the deciding statements.
    /// Exit code 0 when allowed, 1 when denied.
    Simulate(SimulateArgs),
    /// May a service account, an IAM principal or a service assume a role? Prints yes or no
    /// with the reasons. Exit code 0 for yes, 1 for no.
    CanAssume(CanAssumeArgs),
    /// A role's effective permissions, privilege classes and tier, and everyone who can
    /// assume it.
    Describe(DescribeArgs),
}

/// Arguments of `emrguard iam simulate`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["principal", "policy"])))]
pub struct SimulateArgs {
    /// The action, e.g. `s3:GetObject`.
    #[arg(long, value_name = "ACTION")]
    pub action: String,
    /// The resource ARN.
    #[arg(long, value_name = "ARN", default_value = "*")]
    pub resource: String,
    /// A context key and value; repeat a key to give it several values.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,
    /// The principal (role, role session or user ARN) whose policies to use; needs --snapshot.
    #[arg(
        long,
        value_name = "ARN",
        requires = "snapshot",
        conflicts_with = "policy"
    )]
    pub principal: Option<String>,
    /// An identity-based policy document to evaluate (repeatable), like
    /// `aws iam simulate-custom-policy`.
    #[arg(long, value_name = "FILE")]
    pub policy: Vec<PathBuf>,
    #[command(flatten)]
    pub snapshot: SnapshotArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Arguments of `emrguard iam can-assume`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("who").required(true).args(["service_account", "principal", "service"])))]
pub struct CanAssumeArgs {
    /// The role (ARN or name).
    #[arg(long, value_name = "ARN")]
    pub role: String,
    /// A Kubernetes service account, `NAMESPACE/NAME`: checks the cluster's OIDC web identity
    /// (IRSA) and any Pod Identity association.
    #[arg(long, value_name = "NS/NAME")]
    pub service_account: Option<String>,
    /// An IAM principal ARN (user, role or role session).
    #[arg(long, value_name = "ARN")]
    pub principal: Option<String>,
    /// A service principal, e.g. `pods.eks.amazonaws.com`.
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,
    #[command(flatten)]
    pub snapshot: SnapshotArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Arguments of `emrguard iam describe`.
#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// The role (ARN or name).
    #[arg(long, value_name = "ARN")]
    pub role: String,
    #[command(flatten)]
    pub snapshot: SnapshotArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Runs `emrguard iam`.
pub fn run(args: &IamArgs) -> CmdResult {
    match &args.command {
        IamCommand::Simulate(a) => simulate(a),
        IamCommand::CanAssume(a) => can_assume(a),
        IamCommand::Describe(a) => describe(a),
    }
}

fn exit(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FINDINGS)
    }
}

/// A statement with where it came from, for output.
#[derive(Debug, Serialize)]
struct ShownStatement {
    #[serde(flatten)]
    reference: StatementRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    statement: Option<Statement>,
}

fn shown(set: &PolicySet, refs: &[StatementRef]) -> Vec<ShownStatement> {
    refs.iter()
        .map(|r| ShownStatement {
            reference: r.clone(),
            statement: set.statement(r).cloned(),
        })
        .collect()
}

fn write_statements(out: &mut String, title: &str, list: &[ShownStatement]) {
    if list.is_empty() {
        return;
    }
    let _ = writeln!(out, "{title}:");
    for s in list {
        let _ = writeln!(out, "  - {}", s.reference);
        if let Some(st) = &s.statement {
            if let Ok(json) = serde_json::to_string(st) {
                let _ = writeln!(out, "      {json}");
            }
        }
    }
}

fn parse_context(pairs: &[String]) -> Result<BTreeMap<String, Vec<String>>, CliError> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for pair in pairs {
        let Some((k, v)) = pair.split_once('=') else {
            return Err(CliError(format!(
                "--context {pair:?} is not KEY=VALUE (e.g. aws:SourceIp=10.0.0.1)"
            )));
        };
        if k.is_empty() {
            return Err(CliError(format!("--context {pair:?} has an empty key")));
        }
        out.entry(k.to_ascii_lowercase())
            .or_default()
            .push(v.to_owned());
    }
    Ok(out)
}

#[derive(Debug, Serialize)]
struct SimulateReport {
    schema_version: &'static str,
    decision: Decision,
    request: Request,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal: Option<String>,
    deciding: Vec<ShownStatement>,
    insufficient: Vec<ShownStatement>,
    reasons: Vec<String>,
    warnings: Vec<String>,
}

fn load_policies(files: &[PathBuf]) -> Result<PolicySet, CliError> {
    let mut policies = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file)
            .map_err(|e| CliError(format!("cannot read {}: {e}", file.display())))?;
        let doc = parse_policy(&text).map_err(|e| CliError(format!("{}: {e}", file.display())))?;
        let name = file.display().to_string();
        let compiled = CompiledPolicy::compile(
            PolicySource::new(PolicyKind::Custom, name, None),
            &doc,
            DocumentUse::Identity,
        )
        .map_err(|e| CliError(format!("{}: {e}", file.display())))?;
        policies.push(compiled);
    }
    Ok(PolicySet::from_policies(policies))
}

fn simulate(args: &SimulateArgs) -> CmdResult {
    args.output.require(&[Format::Text, Format::Json])?;
    let user_context = parse_context(&args.context)?;
    let (set, principal) = match &args.principal {
        Some(arn) => {
            let inventory = args.snapshot.load(None)?;
            let mut set = PolicySet::for_principal_arn(&inventory, arn)?;
            set.add_resource_policies_for(&inventory, &args.resource);
            (set, Some(arn.clone()))
        }
        None => (load_policies(&args.policy)?, None),
    };
    let mut request = Request::new(args.action.clone(), args.resource.clone());
    // Keys AWS fills in for the principal, unless given on the command line.
    request.context = set.principal_context.clone();
    for (k, v) in user_context {
        request.context.insert(k, v);
    }
    let evaluation = set.evaluate(&request);
    let report = SimulateReport {
        schema_version: "1",
        decision: evaluation.decision,
        deciding: shown(&set, &evaluation.deciding),
        insufficient: shown(&set, &evaluation.insufficient),
        reasons: evaluation.reasons.iter().map(ToString::to_string).collect(),
        warnings: set.warnings.clone(),
        request,
        principal,
    };
    let text = match args.output.format {
        Format::Json => to_json(&report)?,
        _ => simulate_text(&report),
    };
    args.output.emit(&text)?;
    Ok(exit(evaluation.decision.is_allowed()))
}

fn simulate_text(r: &SimulateReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", r.decision.as_str());
    let _ = writeln!(out, "  action:    {}", r.request.action);
    let _ = writeln!(out, "  resource:  {}", r.request.resource);
    if let Some(p) = &r.principal {
        let _ = writeln!(out, "  principal: {p}");
    }
    for reason in &r.reasons {
        let _ = writeln!(out, "  because {reason}");
    }
    write_statements(&mut out, "deciding statements", &r.deciding);
    write_statements(&mut out, "matched, but not enough", &r.insufficient);
    for w in &r.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    out
}

fn find_role<'a>(inventory: &'a Inventory, role: &str) -> Result<&'a IamRole, CliError> {
    let found = if role.starts_with("arn:") {
        inventory.role_by_arn(role)
    } else {
        inventory.role_by_name(role)
    };
    found.ok_or_else(|| {
        if inventory.iam_roles.is_empty() {
            CliError(format!(
                "role `{role}` not found: the snapshot has no IAM roles (add the output of `aws iam get-account-authorization-details`)"
            ))
        } else {
            CliError(format!("role `{role}` is not in the snapshot"))
        }
    })
}

/// One way of getting the role's credentials, and whether it works.
#[derive(Debug, Serialize)]
struct Route {
    via: String,
    allowed: bool,
    detail: Vec<String>,
    deciding: Vec<StatementRef>,
}

fn route(via: impl Into<String>, d: &TrustDecision, mut detail: Vec<String>) -> Route {
    detail.extend(d.reasons.iter().cloned());
    let mut deciding: Vec<StatementRef> = d
        .checks
        .iter()
        .flat_map(|c| c.evaluation.deciding.iter().cloned())
        .collect();
    deciding.sort();
    deciding.dedup();
    Route {
        via: via.into(),
        allowed: d.allowed,
        detail,
        deciding,
    }
}

#[derive(Debug, Serialize)]
struct CanAssumeReport {
    schema_version: &'static str,
    answer: &'static str,
    allowed: bool,
    role: String,
    who: String,
    routes: Vec<Route>,
    notes: Vec<String>,
}

fn can_assume(args: &CanAssumeArgs) -> CmdResult {
    args.output.require(&[Format::Text, Format::Json])?;
    let inventory = args.snapshot.load(None)?;
    let role = find_role(&inventory, &args.role)?;
    let mut routes = Vec::new();
    let mut notes = Vec::new();
    let who;
    if let Some(sa) = &args.service_account {
        let Some((namespace, name)) = sa
            .split_once('/')
            .filter(|(n, s)| !n.is_empty() && !s.is_empty())
        else {
            return Err(CliError(format!(
                "--service-account {sa:?} is not NAMESPACE/NAME"
            )));
        };
        who = format!("service account {namespace}/{name}");
        let cluster = inventory.cluster();
        match cluster.and_then(|c| c.oidc_issuer().map(|i| (c, i))) {
            Some((_, issuer)) => {
                let sub = format!("system:serviceaccount:{namespace}:{name}");
                let d = can_assume_web_identity(role, issuer, &sub, "sts.amazonaws.com");
                routes.push(route(
                    "web-identity (IRSA)",
                    &d,
                    vec![format!("issuer {issuer}, sub {sub}, aud sts.amazonaws.com")],
                ));
            }
            None => notes.push(
                "the snapshot has no EKS cluster with an OIDC issuer (`aws eks describe-cluster`); web identity not checked"
                    .into(),
            ),
        }
        for assoc in inventory
            .pod_identity_associations
            .iter()
            .filter(|a| a.namespace == namespace && a.service_account == name)
        {
            let id = assoc
                .association_id
                .clone()
                .unwrap_or_else(|| "(no id)".into());
            match &assoc.role_arn {
                Some(arn) if inventory.role_by_arn(arn).map(|r| &r.arn) == Some(&role.arn) => {
                    let (cluster_arn, cluster_name) = cluster
                        .map(|c| (c.arn.clone(), c.name.clone()))
                        .unwrap_or_default();
                    let ctx = pod_identity_context(&cluster_arn, &cluster_name, namespace, name);
                    let d = can_assume_service_with(role, POD_IDENTITY_PRINCIPAL, &ctx);
                    routes.push(route(
                        format!("pod-identity association {id}"),
                        &d,
                        vec![format!("association {id} maps {namespace}/{name} to this role")],
                    ));
                }
                Some(arn) => notes.push(format!(
                    "Pod Identity association {id} maps {namespace}/{name} to another role, {arn}"
                )),
                None => notes.push(format!(
                    "Pod Identity association {id} for {namespace}/{name} has no role in the snapshot (needs `aws eks describe-pod-identity-association`)"
                )),
            }
        }
        if let Some(sa_obj) = inventory.service_account(namespace, name) {
            if let Some(annotated) = sa_obj.metadata.annotations.get(IRSA_ANNOTATION) {
                notes.push(format!(
                    "the service account is annotated {IRSA_ANNOTATION}={annotated}"
                ));
            }
        } else if !inventory.service_accounts.is_empty() {
            notes.push(format!(
                "service account {namespace}/{name} is not in the snapshot"
            ));
        }
        if let Some(parsed) = parse_emr_service_account(name) {
            match parsed.role_arn(inventory.partition()) {
                Some(encoded) => {
                    let same = inventory.role_by_arn(&encoded).map(|r| &r.arn) == Some(&role.arn);
                    notes.push(format!(
                        "an EMR-managed name: it encodes the execution role {encoded}{}",
                        if same {
                            " (this role)"
                        } else {
                            " (not this role)"
                        }
                    ));
                }
                None => notes.push(format!(
                    "an EMR-managed name whose role segment `{}` does not decode to a role name",
                    parsed.encoded_role
                )),
            }
        }
    } else if let Some(principal) = &args.principal {
        who = principal.clone();
        let d = can_assume_role(&inventory, principal, role);
        routes.push(route("sts:AssumeRole", &d, Vec::new()));
    } else if let Some(service) = &args.service {
        who = format!("service {service}");
        let mut ctx = BTreeMap::new();
        if service.eq_ignore_ascii_case(POD_IDENTITY_PRINCIPAL) {
            if let Some(c) = inventory.cluster() {
                if let Some(account) = c.account_id() {
                    ctx.insert("aws:sourceaccount".to_owned(), vec![account.to_owned()]);
                }
                ctx.insert("aws:sourcearn".to_owned(), vec![c.arn.clone()]);
            }
        }
        let d = can_assume_service_with(role, service, &ctx);
        routes.push(route(format!("service {service}"), &d, Vec::new()));
    } else {
        return Err(CliError(
            "give one of --service-account, --principal or --service".into(),
        ));
    }
    let allowed = routes.iter().any(|r| r.allowed);
    notes.sort();
    let report = CanAssumeReport {
        schema_version: "1",
        answer: if allowed { "yes" } else { "no" },
        allowed,
        role: role.arn.clone(),
        who,
        routes,
        notes,
    };
    let text = match args.output.format {
        Format::Json => to_json(&report)?,
        _ => {
            let mut out = String::new();
            let _ = writeln!(out, "{}", report.answer);
            let _ = writeln!(out, "  role: {}", report.role);
            let _ = writeln!(out, "  who:  {}", report.who);
            for r in &report.routes {
                let _ = writeln!(out, "{}: {}", r.via, if r.allowed { "yes" } else { "no" });
                for d in &r.detail {
                    let _ = writeln!(out, "  - {d}");
                }
                for s in &r.deciding {
                    let _ = writeln!(out, "  - by {s}");
                }
            }
            if report.routes.is_empty() {
                let _ = writeln!(out, "no way to assume the role was found");
            }
            for n in &report.notes {
                let _ = writeln!(out, "note: {n}");
            }
            out
        }
    };
    args.output.emit(&text)?;
    Ok(exit(allowed))
}

/// Someone who can assume the role.
#[derive(Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
struct Assumer {
    principal: String,
    kind: &'static str,
    via: String,
}

#[derive(Debug, Serialize)]
struct DescribeReport {
    schema_version: &'static str,
    role: String,
    tier: Tier,
    classes: Vec<PrivilegeClass>,
    services: Vec<ServiceAccess>,
    grants: Vec<PermissionGrant>,
    assumable_by: Vec<Assumer>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    trust: Vec<TrustStatementAnalysis>,
    warnings: Vec<String>,
}

/// Whether an AWS principal of a trust policy is a principal of the snapshot or an account
/// (both are covered by evaluating every principal of the snapshot).
fn covered_elsewhere(inventory: &Inventory, value: &str) -> bool {
    let is_account = value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit());
    is_account
        || value.ends_with(":root")
        || inventory.iam_roles.iter().any(|r| r.arn == value)
        || inventory.iam_users.iter().any(|u| u.arn == value)
}

fn assumers(inventory: &Inventory, role: &IamRole) -> Vec<Assumer> {
    let mut out = BTreeSet::new();
    let Some(doc) = &role.assume_role_policy_document else {
        return Vec::new();
    };
    let mut services = BTreeSet::new();
    let mut federated = BTreeSet::new();
    let mut everyone = false;
    for st in doc.statements.iter().filter(|s| s.effect == Effect::Allow) {
        match st.principal.as_ref() {
            Some(Principal::Any) => everyone = true,
            Some(Principal::Typed(map)) => {
                for (kind, values) in map {
                    for v in values {
                        match kind.as_str() {
                            "AWS" if v == "*" => everyone = true,
                            "Service" => {
                                services.insert(v.clone());
                            }
                            "Federated" => {
                                federated.insert(v.clone());
                            }
                            "AWS" if !covered_elsewhere(inventory, v) => {
                                out.insert(Assumer {
                                    principal: v.clone(),
                                    kind: "aws",
                                    via: "named in the trust policy (not in the snapshot)".into(),
                                });
                            }
                            _ => {}
                        }
                    }
                }
            }
            None => {}
        }
        if st.not_principal.is_some() {
            everyone = true;
        }
    }
    if everyone {
        out.insert(Assumer {
            principal: "*".into(),
            kind: "anyone",
            via: "the trust policy allows every principal".into(),
        });
    }
    // Every IAM principal of the snapshot, through trust and identity policies.
    let principals = inventory
        .iam_users
        .iter()
        .map(|u| u.arn.as_str())
        .chain(inventory.iam_roles.iter().map(|r| r.arn.as_str()));
    for arn in principals {
        let d = can_assume_role(inventory, arn, role);
        if d.allowed {
            out.insert(Assumer {
                principal: arn.to_owned(),
                kind: if arn.contains(":user/") {
                    "user"
                } else {
                    "role"
                },
                via: "sts:AssumeRole".into(),
            });
        }
    }
    for s in &services {
        let mut ctx = BTreeMap::new();
        if s.eq_ignore_ascii_case(POD_IDENTITY_PRINCIPAL) {
            if let Some(c) = inventory.cluster() {
                if let Some(a) = c.account_id() {
                    ctx.insert("aws:sourceaccount".to_owned(), vec![a.to_owned()]);
                }
                ctx.insert("aws:sourcearn".to_owned(), vec![c.arn.clone()]);
            }
        }
        let d = can_assume_service_with(role, s, &ctx);
        out.insert(Assumer {
            principal: s.clone(),
            kind: "service",
            via: if d.allowed {
                "sts:AssumeRole".into()
            } else {
                "named in the trust policy, but its conditions need more context".into()
            },
        });
    }
    let issuer = inventory.cluster().and_then(|c| c.oidc_issuer());
    for f in &federated {
        out.insert(Assumer {
            principal: f.clone(),
            kind: "federated",
            via: "sts:AssumeRoleWithWebIdentity (see the trust analysis)".into(),
        });
    }
    if let Some(issuer) = issuer {
        for sa in &inventory.service_accounts {
            let ns = sa.metadata.namespace.clone().unwrap_or_default();
            let sub = format!("system:serviceaccount:{ns}:{}", sa.metadata.name);
            if can_assume_web_identity(role, issuer, &sub, "sts.amazonaws.com").allowed {
                out.insert(Assumer {
                    principal: format!("{ns}/{}", sa.metadata.name),
                    kind: "service-account",
                    via: "web identity (IRSA)".into(),
                });
            }
        }
    }
    for a in &inventory.pod_identity_associations {
        let same = a
            .role_arn
            .as_deref()
            .and_then(|arn| inventory.role_by_arn(arn))
            .is_some_and(|r| r.arn == role.arn);
        if !same {
            continue;
        }
        let (cluster_arn, cluster_name) = inventory
            .cluster()
            .map(|c| (c.arn.clone(), c.name.clone()))
            .unwrap_or_default();
        let ctx = pod_identity_context(
            &cluster_arn,
            &cluster_name,
            &a.namespace,
            &a.service_account,
        );
        let d = can_assume_service_with(role, POD_IDENTITY_PRINCIPAL, &ctx);
        out.insert(Assumer {
            principal: format!("{}/{}", a.namespace, a.service_account),
            kind: "service-account",
            via: if d.allowed {
                "Pod Identity association".into()
            } else {
                "Pod Identity association, but the trust policy does not allow pods.eks.amazonaws.com".into()
            },
        });
    }
    out.into_iter().collect()
}

fn describe(args: &DescribeArgs) -> CmdResult {
    args.output.require(&[Format::Text, Format::Json])?;
    let inventory = args.snapshot.load(None)?;
    let role = find_role(&inventory, &args.role)?;
    let summary = Analyzer::new(&inventory).analyze_role(role);
    let trust = ClusterTrustContext::from_inventory(&inventory)
        .map(|c| analyze_emr_trust(role, &c))
        .unwrap_or_default();
    let report = DescribeReport {
        schema_version: "1",
        role: role.arn.clone(),
        tier: summary.tier,
        services: summary.effective.by_service(),
        grants: summary.effective.grants.clone(),
        classes: summary.classes,
        assumable_by: assumers(&inventory, role),
        trust,
        warnings: summary.warnings,
    };
    let text = match args.output.format {
        Format::Json => to_json(&report)?,
        _ => describe_text(&report),
    };
    args.output.emit(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn scope_text(s: &TrustScope) -> String {
    match s {
        TrustScope::EmrPattern { namespace } => {
            format!("EMR job service accounts of this role in namespace `{namespace}`")
        }
        TrustScope::SpecificServiceAccount {
            namespace,
            service_account,
        } => format!("service account `{namespace}/{service_account}`"),
        TrustScope::NoSubCondition => {
            "every service account of the cluster (no `sub` condition)".into()
        }
        TrustScope::AnyNamespace { pattern } => {
            format!("service accounts in any namespace (`{pattern}`)")
        }
        TrustScope::AnyServiceAccountInNamespace { namespace, .. } => {
            format!("every service account in namespace `{namespace}`")
        }
        TrustScope::BroaderThanEmrPattern {
            pattern, example, ..
        } => format!("`{pattern}`, broader than EMR's pattern (admits `{example}`)"),
        TrustScope::OtherCluster { provider } => format!("another OIDC provider `{provider}`"),
        TrustScope::OtherFederated { provider } => format!("federated provider `{provider}`"),
        TrustScope::AccountRoot { account } => {
            format!("account {account} (with an identity-policy allow)")
        }
        TrustScope::Everyone => "everyone".into(),
        TrustScope::AwsPrincipal { arn } => format!("`{arn}`"),
        TrustScope::Service { name } => format!("service `{name}`"),
        TrustScope::NoPrincipal => "no principal element".into(),
    }
}

fn describe_text(r: &DescribeReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "role {}", r.role);
    let _ = writeln!(out, "tier: {}", r.tier.as_str());
    if r.classes.is_empty() {
        let _ = writeln!(out, "privilege classes: none");
    } else {
        let _ = writeln!(out, "privilege classes:");
        for c in &r.classes {
            let shown: Vec<&str> = c.actions.iter().take(8).copied().collect();
            let more = c.actions.len().saturating_sub(shown.len());
            let _ = writeln!(
                out,
                "  - {}: {}{} [{}{}]",
                serde_json::to_value(c.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                c.detail,
                if c.conditional { " (conditional)" } else { "" },
                shown.join(", "),
                if more > 0 {
                    format!(", and {more} more")
                } else {
                    String::new()
                }
            );
            for s in &c.statements {
                let _ = writeln!(out, "      by {s}");
            }
        }
    }
    let catalog = emrguard_iam::Catalog::get();
    let everything = r.services.len() == catalog.services().len()
        && r.services.iter().all(|s| s.on_all_resources == s.total);
    if r.services.is_empty() {
        let _ = writeln!(out, "effective permissions: none");
    } else if everything {
        let _ = writeln!(
            out,
            "effective permissions: all {} actions of all {} services, on all resources",
            catalog.len(),
            catalog.services().len()
        );
    } else {
        let _ = writeln!(out, "effective permissions:");
        for s in &r.services {
            let levels: Vec<String> = s
                .by_level
                .iter()
                .map(|(l, n)| format!("{} {n}", l.as_str()))
                .collect();
            let _ = writeln!(
                out,
                "  {:<24} {:>4}/{:<4} {}{}",
                s.service,
                s.granted,
                s.total,
                levels.join(", "),
                if s.on_all_resources > 0 {
                    format!("; {} on all resources", s.on_all_resources)
                } else {
                    String::new()
                }
            );
        }
    }
    if r.assumable_by.is_empty() {
        let _ = writeln!(out, "assumable by: nobody found");
    } else {
        let _ = writeln!(out, "assumable by:");
        for a in &r.assumable_by {
            let _ = writeln!(out, "  - {} {} ({})", a.kind, a.principal, a.via);
        }
    }
    if !r.trust.is_empty() {
        let _ = writeln!(out, "trust statements:");
        for t in &r.trust {
            let scopes: Vec<String> = t.scopes.iter().map(scope_text).collect();
            let _ = writeln!(out, "  - {}: {}", t.statement, scopes.join("; "));
        }
    }
    for w in &r.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    out
}
