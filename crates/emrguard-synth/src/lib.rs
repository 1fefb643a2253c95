//! Synthetic EMR on EKS snapshots of any size, for acceptance tests and benchmarks.
//!
//! [`generate`] writes a snapshot directory in the exact formats `kubectl get -o json|yaml`
//! and the aws CLI print, split as a snapshot script would split it, together with an
//! `emrguard.toml` (admins and tenants) and an `expected-findings.json` in the format of the
//! bundled labs: every planted violation, at known places.
//!
//! A snapshot is the bundled insecure lab (its incident tenants, cluster-level problems and
//! acceptance list, unchanged) inside a deployment of clean, hardened-lab-style tenants and
//! application namespaces grown to the chosen [`Size`], with scaled violations planted in
//! some synthetic tenants. The same size and seed always give byte-identical files.
#![deny(missing_docs)]

mod aws;
pub mod check;
pub mod floor;
mod k8s;
mod lab;
mod out;
mod rng;
mod world;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{json, Value};

use crate::lab::ACCOUNT;
use crate::out::Out;
use crate::world::{Plant, World};

/// Snapshot sizes. XL is 1,000 namespaces, 300 virtual clusters, 100,000 pods, about 30,000
/// RBAC objects, 20,000 IAM roles with about 60,000 policies and 5,000 security groups; M is
/// about a tenth of it and L about a third; S is a few tenants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Size {
    /// A few tenants: seconds to generate and audit.
    S,
    /// About a tenth of XL.
    M,
    /// About a third of XL.
    L,
    /// The full target deployment.
    Xl,
}

impl Size {
    /// Every size, smallest first.
    pub const ALL: [Size; 4] = [Size::S, Size::M, Size::L, Size::Xl];

    /// `s`, `m`, `l`, `xl`.
    pub fn name(self) -> &'static str {
        match self {
            Size::S => "s",
            Size::M => "m",
            Size::L => "l",
            Size::Xl => "xl",
        }
    }
}

impl std::str::FromStr for Size {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Size::ALL
            .into_iter()
            .find(|size| size.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown size `{s}` (expected s, m, l or xl)"))
    }
}

/// Why a snapshot could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// A file or directory could not be written.
    #[error("{path}: {message}")]
    Io {
        /// The path.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// A value could not be encoded.
    #[error("cannot encode: {0}")]
    Encode(String),
    /// A bundled lab file could not be read (a build problem).
    #[error("bundled lab: {0}")]
    Lab(String),
    /// The output directory is not empty.
    #[error("{0}: the output directory exists and is not empty (pass an empty or new directory)")]
    NotEmpty(String),
}

impl SynthError {
    fn io(path: &Path, e: &std::io::Error) -> Self {
        Self::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        }
    }
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Files written (including `emrguard.toml` and `expected-findings.json`), by path.
    pub files: BTreeMap<String, u64>,
    /// Counts of the main object kinds, for the benchmark table.
    pub counts: BTreeMap<&'static str, usize>,
    /// The expected findings written (after filtering to the implemented rules).
    pub expected: Vec<Value>,
}

impl Summary {
    /// Total bytes written.
    pub fn bytes(&self) -> u64 {
        self.files.values().sum()
    }
}

/// Writes a snapshot of `size` from `seed` into `dir` (created if missing; it must be empty).
///
/// `implemented` names the rule codes the audit has: expected findings of other rules are
/// left out of `expected-findings.json` (their violations are still planted). `None` keeps
/// every planted violation.
///
/// # Errors
/// [`SynthError`] when a file cannot be written or `dir` is not empty.
pub fn generate(
    dir: &Path,
    size: Size,
    seed: u64,
    implemented: Option<&BTreeSet<String>>,
) -> Result<Summary, SynthError> {
    if let Ok(mut entries) = std::fs::read_dir(dir) {
        if entries.next().is_some() {
            return Err(SynthError::NotEmpty(dir.display().to_string()));
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| SynthError::io(dir, &e))?;
    let world = World::new(size, seed);
    let mut out = Out::new(dir);
    k8s::write(&world, &mut out)?;
    aws::write(&world, &mut out)?;
    out.bytes("emrguard.toml", config(&world).as_bytes())?;
    let mut expected = expected_findings(&world)?;
    if let Some(codes) = implemented {
        expected.retain(|e| {
            e.get("code")
                .and_then(Value::as_str)
                .is_some_and(|c| codes.contains(c))
        });
    }
    out.json("expected-findings.json", &Value::Array(expected.clone()))?;
    Ok(Summary {
        files: out.files,
        counts: counts(&world),
        expected,
    })
}

fn counts(world: &World) -> BTreeMap<&'static str, usize> {
    let mut c = BTreeMap::new();
    let emr_ns: usize = world.tenants.iter().map(|t| t.namespaces.len()).sum();
    c.insert("tenants", world.tenants.len());
    c.insert("emr-namespaces", emr_ns);
    c.insert("app-namespaces", world.apps.len());
    c.insert("nodes", world.nodes.len());
    c.insert(
        "endpoints",
        world
            .tenants
            .iter()
            .filter(|t| t.endpoint.is_some())
            .count(),
    );
    c.insert(
        "plants",
        world.tenants.iter().map(|t| t.plants.len()).sum::<usize>(),
    );
    c
}

/// `emrguard.toml`: the lab's admins, tenants and thresholds, and one tenant per synthetic
/// tenant (its namespaces, group and submitter role, `max-tier = "data-write"`).
fn config(world: &World) -> String {
    let mut text = lab::CONFIG.trim_end().to_owned();
    text.push_str("\n\n# Synthetic tenants.\n");
    for t in &world.tenants {
        let namespaces: Vec<String> = t.namespaces.iter().map(|n| format!("\"{n}\"")).collect();
        text.push_str(&format!(
            "\n[tenants.{name}]\nnamespaces = [{ns}]\nsubjects = [\"Group:{name}\"]\niam-principals = [\"{arn}\"]\nmax-tier = \"data-write\"\n",
            name = t.name,
            ns = namespaces.join(", "),
            arn = t.submitter_arn()
        ));
    }
    text
}

fn practice(code: &str) -> &'static str {
    match code.get(..3) {
        Some("EXR") => "execution-role-least-privilege",
        Some("EPA") => "endpoint-access-control",
        Some("IMG") => "custom-image-updates",
        Some("CRE") => "pod-credential-access",
        Some("ISO") => "untrusted-code-isolation",
        Some("RBA") => "rbac-permissions",
        Some("NOD") => "node-credential-access",
        _ => "cross-layer",
    }
}

/// The lab's acceptance list, then the synthetic plants in tenant order.
fn expected_findings(world: &World) -> Result<Vec<Value>, SynthError> {
    let mut expected: Vec<Value> = serde_json::from_str(lab::EXPECTED_FINDINGS)
        .map_err(|e| SynthError::Lab(format!("expected-findings.json: {e}")))?;
    let mut push = |code: &str, resource: Value, note: String| {
        expected.push(json!({
            "code": code,
            "practice": practice(code),
            "resource": resource,
            "note": note,
        }));
    };
    for t in &world.tenants {
        let ns = t.namespaces.first().map_or("", String::as_str);
        if let Some(e) = &t.endpoint {
            push(
                "EPA001",
                json!({"kind": "ManagedEndpoint", "id": e.id}),
                format!(
                    "Endpoint {} runs on the cluster, whose subnets are all public.",
                    e.name
                ),
            );
        }
        for plant in &t.plants {
            let code = plant.code();
            let (resource, note) = match plant {
                Plant::DataOnAllResources => (
                    json!({"kind": "IAMRole", "arn": t.role_arn()}),
                    "Statement ReadReferenceData allows s3:GetObject on \"*\".".to_owned(),
                ),
                Plant::TrustAnyServiceAccount => (
                    json!({"kind": "IAMRole", "arn": t.role_arn()}),
                    format!("Trust condition StringLike sub \"system:serviceaccount:{ns}:*\"."),
                ),
                Plant::UnpinnedSubmitter => (
                    json!({"kind": "IAMRole", "arn": t.submitter_arn()}),
                    "StartJobRun without an emr-containers:ExecutionRoleArn condition.".to_owned(),
                ),
                Plant::PassRoleAnyService => (
                    json!({"kind": "IAMRole", "arn": t.submitter_arn()}),
                    "iam:PassRole on the execution role without iam:PassedToService.".to_owned(),
                ),
                Plant::UnusedPermissions => (
                    json!({"kind": "IAMRole", "arn": t.role_arn()}),
                    "glue:GetDatabase, GetTable and GetPartitions never appear in CloudTrail."
                        .to_owned(),
                ),
                Plant::ParametricTemplate => (
                    json!({"kind": "JobTemplate", "id": t.parametric_template_id.clone().unwrap_or_default()}),
                    "executionRoleArn is \"${ExecutionRoleArn}\".".to_owned(),
                ),
                Plant::InternetFacingEndpoint => {
                    let Some(e) = &t.endpoint else { continue };
                    (
                        json!({"kind": "LoadBalancer", "arn": format!("arn:aws:elasticloadbalancing:us-west-2:{ACCOUNT}:loadbalancer/app/{}/{}", e.load_balancer, e.load_balancer_suffix)}),
                        format!(
                            "The load balancer of endpoint {} is internet-facing.",
                            e.name
                        ),
                    )
                }
                Plant::OpenEndpointSecurityGroup => {
                    let Some(e) = &t.endpoint else { continue };
                    (
                        json!({"kind": "SecurityGroup", "id": e.security_group}),
                        "tcp/18888 from 0.0.0.0/0 and ::/0.".to_owned(),
                    )
                }
                Plant::DefaultEndpointSecurityGroup => {
                    let Some(e) = &t.endpoint else { continue };
                    (
                        json!({"kind": "ManagedEndpoint", "id": e.id}),
                        "securityGroup is the VPC's default group.".to_owned(),
                    )
                }
                Plant::OutdatedRelease | Plant::EndOfSupportRelease | Plant::MutableImageTag => {
                    let at = match plant {
                        Plant::OutdatedRelease => world::RUNNING_JOBS,
                        Plant::EndOfSupportRelease => world::RUNNING_JOBS + 1,
                        _ => world::RUNNING_JOBS + 2,
                    };
                    let Some(job) = t.jobs.first().and_then(|j| j.get(at)) else {
                        continue;
                    };
                    let what = job.image_tag.clone().unwrap_or_else(|| job.release.clone());
                    (
                        json!({"kind": "JobRun", "id": job.id}),
                        format!("Job run {} uses {what}.", job.name),
                    )
                }
                Plant::Kube2iamAnnotation => (
                    json!({"kind": "Namespace", "name": ns}),
                    "Annotation iam.amazonaws.com/allowed-roles.".to_owned(),
                ),
                Plant::StaticKeysInConfigMap => (
                    json!({"kind": "ConfigMap", "namespace": ns, "name": format!("{}-s3a-config", t.name)}),
                    "core-site.xml holds fs.s3a.access.key and fs.s3a.secret.key.".to_owned(),
                ),
                Plant::ServiceAccountRoleMismatch => (
                    json!({"kind": "ServiceAccount", "namespace": ns, "name": t.service_account("driver")}),
                    format!("Annotated with {}.", world.other_tenant(t).role),
                ),
                // Added below, with `related`.
                Plant::SharedNamespace => continue,
                Plant::ConfigMapWriter
                | Plant::PodExec
                | Plant::PodCreator
                | Plant::TokenCreator
                | Plant::SecretReader => (
                    json!({"kind": "Group", "name": t.name}),
                    format!("Role in {ns} bound to the tenant group."),
                ),
                Plant::HostNetworkPod => (
                    json!({"kind": "Pod", "namespace": ns, "name": "netdebug"}),
                    "hostNetwork: true.".to_owned(),
                ),
            };
            push(code, resource, note);
        }
    }
    // Plants with `related` are added after the loop (they need their own shape).
    for t in &world.tenants {
        if let (Some(shared), Some(ns), Some(vc)) =
            (&t.shared_vc_id, t.namespaces.first(), t.vc_ids.first())
        {
            expected.push(json!({
                "code": "ISO002",
                "practice": practice("ISO002"),
                "resource": {"kind": "Namespace", "name": ns},
                "note": "Two running virtual clusters use the namespace.",
                "related": [{"kind": "VirtualCluster", "id": vc}, {"kind": "VirtualCluster", "id": shared}],
            }));
        }
    }
    Ok(expected)
}
