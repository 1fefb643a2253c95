//! `emrguard webhook`: serve the admission webhook, render its manifests, make its
//! certificates.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use emrguard_config::webhook::WebhookConfig;
use emrguard_config::Config;
use emrguard_model::Inventory;
use emrguard_webhook::manifests::{self, ManifestOptions};
use emrguard_webhook::server::{self, ServerOptions};
use emrguard_webhook::{certs, logging, EngineInputs, Mode, PolicyEngine};

use crate::common::{emit_to, CliError, CmdResult, SnapshotArgs};

/// Arguments of `emrguard webhook`.
#[derive(Debug, Args)]
pub struct WebhookArgs {
    #[command(subcommand)]
    pub command: WebhookCommand,
}

/// The `webhook` subcommands.
#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Serve admission reviews over HTTPS at /validate (also /healthz, /readyz, /metrics).
    Serve(ServeArgs),
    /// Print the manifests that run the webhook: Deployment, PodDisruptionBudget, Service,
    /// ValidatingWebhookConfiguration, service account and configuration.
    Manifests(ManifestsArgs),
    /// Write ca.crt, tls.crt and tls.key for clusters without cert-manager.
    Certs(CertsArgs),
}

/// Where the EMR namespaces and the `[webhook]` settings come from.
#[derive(Debug, Args)]
pub struct SelectionArgs {
    /// emrguard.toml, for its [webhook] section.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub snapshot: SnapshotArgs,
    /// An EMR namespace, besides those of the snapshot's virtual clusters and the
    /// configuration (repeatable).
    #[arg(long = "emr-namespace", value_name = "NS")]
    pub emr_namespaces: Vec<String>,
}

impl SelectionArgs {
    fn load(&self) -> Result<(WebhookConfig, Option<Inventory>), CliError> {
        let config = match &self.config {
            Some(path) => Config::load(path)?.webhook,
            None => WebhookConfig::default(),
        };
        let inventory = match &self.snapshot.snapshot {
            Some(_) => Some(self.snapshot.load(None)?),
            None => None,
        };
        Ok((config, inventory))
    }
}

/// Policy modes on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// Deny violating requests.
    Enforce,
    /// Allow them with a warning.
    Warn,
    /// Allow them; only log.
    Audit,
}

impl From<ModeArg> for Mode {
    fn from(mode: ModeArg) -> Self {
        match mode {
            ModeArg::Enforce => Mode::Enforce,
            ModeArg::Warn => Mode::Warn,
            ModeArg::Audit => Mode::Audit,
        }
    }
}

/// Arguments of `emrguard webhook serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on, e.g. 0.0.0.0:8443.
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: SocketAddr,
    /// PEM certificate chain; reloaded when the file changes.
    #[arg(long, value_name = "FILE")]
    pub tls_cert: PathBuf,
    /// PEM private key; reloaded when the file changes.
    #[arg(long, value_name = "FILE")]
    pub tls_key: PathBuf,
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Default mode of every policy, overriding webhook.mode (webhook.policy-modes still
    /// apply).
    #[arg(long, value_enum, value_name = "MODE")]
    pub mode: Option<ModeArg>,
    /// Largest accepted request body, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 6 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Seconds allowed for a request's headers (also the keep-alive idle time).
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub header_timeout: u64,
    /// Seconds allowed for a request's body.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub body_timeout: u64,
    /// Seconds any single write may stall.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub write_timeout: u64,
    /// Seconds to keep serving, reporting not ready, after SIGTERM.
    #[arg(long, value_name = "SECS", default_value_t = 0)]
    pub shutdown_delay: u64,
    /// Seconds open connections get to finish after that.
    #[arg(long, value_name = "SECS", default_value_t = 25)]
    pub shutdown_timeout: u64,
    /// Threads serving requests (default: one per core); 1 suits a pod limited to about a
    /// core.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub workers: Option<u16>,
}

/// Arguments of `emrguard webhook manifests`.
#[derive(Debug, Args)]
pub struct ManifestsArgs {
    /// Namespace the webhook runs in.
    #[arg(long, value_name = "NS", default_value = "emrguard")]
    pub namespace: String,
    /// Replicas (at least 2).
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub replicas: u32,
    /// Container image with the emrguard binary.
    #[arg(long, value_name = "IMAGE", default_value = concat!("ghcr.io/emrguard/emrguard:", env!("CARGO_PKG_VERSION")))]
    pub image: String,
    /// CA certificate (PEM) for the caBundle, e.g. ca.crt from `webhook certs`; without it the
    /// configuration asks cert-manager to inject one.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Write to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Arguments of `emrguard webhook certs`.
#[derive(Debug, Args)]
pub struct CertsArgs {
    /// Directory for ca.crt, tls.crt and tls.key (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
    /// DNS name of the serving certificate (repeatable); default: the webhook Service's names
    /// in --namespace.
    #[arg(long = "dns-name", value_name = "NAME")]
    pub dns_names: Vec<String>,
    /// Namespace the webhook runs in, for the default DNS names.
    #[arg(long, value_name = "NS", default_value = "emrguard")]
    pub namespace: String,
    /// Days the certificates are valid.
    #[arg(long, value_name = "DAYS", default_value_t = 365)]
    pub days: u32,
}

/// Runs `emrguard webhook`.
pub fn run(args: &WebhookArgs) -> CmdResult {
    match &args.command {
        WebhookCommand::Serve(a) => serve(a),
        WebhookCommand::Manifests(a) => render_manifests(a),
        WebhookCommand::Certs(a) => write_certs(a),
    }
}

fn serve(args: &ServeArgs) -> CmdResult {
    let (config, inventory) = args.selection.load()?;
    let engine = PolicyEngine::from_config(
        &config,
        EngineInputs {
            inventory: inventory.as_ref(),
            extra_namespaces: &args.selection.emr_namespaces,
            mode: args.mode.map(Mode::from),
        },
    )?;
    let mut options = ServerOptions::new(args.listen, args.tls_cert.clone(), args.tls_key.clone());
    options.max_body_bytes = args.max_body_bytes;
    options.header_timeout = Duration::from_secs(args.header_timeout.max(1));
    options.body_timeout = Duration::from_secs(args.body_timeout.max(1));
    options.write_timeout = Duration::from_secs(args.write_timeout.max(1));
    options.shutdown_delay = Duration::from_secs(args.shutdown_delay);
    options.shutdown_timeout = Duration::from_secs(args.shutdown_timeout);
    options.workers = args.workers.map(usize::from);
    let _log = logging::init_json();
    server::serve_until_signal(options, engine)?;
    Ok(ExitCode::SUCCESS)
}

fn render_manifests(args: &ManifestsArgs) -> CmdResult {
    let (mut config, inventory) = args.selection.load()?;
    config
        .emr_namespaces
        .extend(args.selection.emr_namespaces.iter().cloned());
    if let Some(inventory) = &inventory {
        config
            .emr_namespaces
            .extend(inventory.emr_view().namespaces);
    }
    config.emr_namespaces.sort();
    config.emr_namespaces.dedup();
    let ca_bundle_pem = match &args.ca_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| CliError(format!("cannot read {}: {e}", path.display())))?,
        ),
        None => None,
    };
    let text = manifests::render(&ManifestOptions {
        namespace: args.namespace.clone(),
        replicas: args.replicas,
        image: args.image.clone(),
        config,
        ca_bundle_pem,
    })?;
    emit_to(args.output.as_ref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

fn write_certs(args: &CertsArgs) -> CmdResult {
    let names = if args.dns_names.is_empty() {
        certs::service_dns_names(manifests::APP_NAME, &args.namespace)
    } else {
        args.dns_names.clone()
    };
    let generated = certs::generate(&names, args.days)?;
    certs::write_to_dir(&args.out_dir, &generated)?;
    eprintln!(
        "emrguard: wrote ca.crt, tls.crt and tls.key to {} for {}",
        args.out_dir.display(),
        names.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}
