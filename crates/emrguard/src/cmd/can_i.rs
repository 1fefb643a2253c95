//! `emrguard can-i`: may this identity make this request? Answers like `kubectl auth can-i`.

use std::process::ExitCode;

use clap::Args;
use emrguard_rbac::{Decision, Identity, RbacIndex, Request};
use serde::Serialize;

use crate::common::{
    to_json, CliError, CmdResult, Format, OutputArgs, SnapshotArgs, EXIT_FINDINGS, EXIT_OK,
};

/// Schema version of the JSON output.
const SCHEMA_VERSION: &str = "1.0";

/// The request, as `VERB RESOURCE [--namespace] [--name] [--subresource]`, shared with
/// `who-can`.
#[derive(Debug, Clone, Args)]
pub struct RequestArgs {
    /// The verb: get, list, watch, create, update, patch, delete, deletecollection, or any
    /// other (impersonate, bind, escalate, approve, use, ...).
    #[arg(value_name = "VERB")]
    pub verb: String,
    /// RESOURCE[.GROUP][/SUBRESOURCE] (`pods`, `pods/exec`, `deployments.apps/scale`, short names
    /// such as `deploy` or `cm`), or a non-resource URL starting with `/`. Unlike kubectl, the
    /// part after `/` is a subresource; give the object name with --name.
    #[arg(value_name = "RESOURCE")]
    pub resource: String,
    /// Namespace of the request. Without it the request is cluster-wide (like kubectl's
    /// --all-namespaces): only ClusterRoleBindings and cluster-scoped access policies count.
    #[arg(long, short = 'n', value_name = "NS")]
    pub namespace: Option<String>,
    /// Object name. Rules with resourceNames only match named requests.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Subresource, as kubectl's --subresource (same as RESOURCE/SUBRESOURCE).
    #[arg(long, value_name = "SUBRESOURCE")]
    pub subresource: Option<String>,
}

impl RequestArgs {
    /// Parses the request; notes about assumptions go to standard error.
    pub fn parse(&self) -> Result<Request, CliError> {
        let spec = match &self.subresource {
            None => self.resource.clone(),
            Some(sub) => match self.resource.split_once('/') {
                Some((_, existing)) if existing != sub => {
                    return Err(CliError(format!(
                        "two subresources given: `{}` and --subresource {sub}",
                        self.resource
                    )))
                }
                Some(_) => self.resource.clone(),
                None => format!("{}/{sub}", self.resource),
            },
        };
        let parsed = Request::parse_kubectl(
            &self.verb,
            &spec,
            self.namespace.as_deref(),
            self.name.as_deref(),
        )?;
        for note in &parsed.notes {
            eprintln!("emrguard: note: {note}");
        }
        Ok(parsed.request)
    }
}

/// Arguments of `emrguard can-i`.
#[derive(Debug, Args)]
pub struct CanIArgs {
    #[command(flatten)]
    pub request: RequestArgs,
    /// Who asks: a user name (`system:serviceaccount:NS:NAME` for a service account, which adds
    /// its implicit groups, as kubectl does), or an IAM principal ARN, resolved through EKS
    /// access entries (with their access policies) and aws-auth.
    #[arg(long = "as", value_name = "USER")]
    pub as_user: String,
    /// A group of the user (repeatable), as kubectl's --as-group. Not allowed with an IAM ARN,
    /// whose groups come from its mapping.
    #[arg(long = "as-group", value_name = "GROUP")]
    pub as_group: Vec<String>,
    #[command(flatten)]
    pub snapshot: SnapshotArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CanIOutput<'a> {
    schema_version: &'static str,
    allowed: bool,
    request: &'a Request,
    /// `None` when an IAM principal is not mapped and cannot authenticate.
    identity: Option<&'a Identity>,
    #[serde(flatten)]
    decision: &'a Decision,
}

/// Resolves `--as` and `--as-group` to an identity; `None` for an unmapped IAM principal.
fn identity(
    args: &CanIArgs,
    inventory: &emrguard_model::Inventory,
) -> Result<Option<Identity>, CliError> {
    if args.as_user.starts_with("arn:") {
        if !args.as_group.is_empty() {
            return Err(CliError(
                "--as-group cannot be combined with an IAM ARN: its groups come from aws-auth or its access entry".into(),
            ));
        }
        let id = Identity::from_iam_arn(inventory, &args.as_user);
        if id.is_none() {
            eprintln!(
                "emrguard: note: {} is not mapped by any access entry or aws-auth entry, so it cannot authenticate to the cluster",
                args.as_user
            );
        }
        return Ok(id);
    }
    if args.as_user.is_empty() {
        return Err(CliError("--as needs a user name or an IAM ARN".into()));
    }
    Ok(Some(Identity::impersonate(&args.as_user, &args.as_group)))
}

/// Runs `emrguard can-i`: prints `yes` (exit 0) or `no` (exit 1).
pub fn run(args: &CanIArgs) -> CmdResult {
    args.output.require(&[Format::Text, Format::Json])?;
    let request = args.request.parse()?;
    let inventory = args.snapshot.load(None)?;
    let index = RbacIndex::build(&inventory);
    let identity = identity(args, &inventory)?;
    let decision = match &identity {
        Some(id) => index.authorize(id, &request),
        None => Decision {
            allowed: false,
            grants: Vec::new(),
            unresolved: Vec::new(),
        },
    };
    for d in &decision.unresolved {
        eprintln!("emrguard: warning: {}", d.message);
    }
    let text = match args.output.format {
        Format::Json => to_json(&CanIOutput {
            schema_version: SCHEMA_VERSION,
            allowed: decision.allowed,
            request: &request,
            identity: identity.as_ref(),
            decision: &decision,
        })?,
        _ => if decision.allowed { "yes\n" } else { "no\n" }.to_owned(),
    };
    args.output.emit(&text)?;
    Ok(ExitCode::from(if decision.allowed {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    }))
}
