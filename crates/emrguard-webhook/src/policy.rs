//! The admission policies: an [`AdmissionRequest`] in, a [`Decision`] out. Pure: no IO, no
//! clock, no panics.
//!
//! Every policy applies only in EMR namespaces (WH006, about cluster-scoped webhook
//! configurations, asks whether they can reach one) and never to EMR on EKS itself or a
//! configured exempt subject. Which other identities each policy lets through is documented in
//! `docs/webhook.md` and on the functions below.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use emrguard_config::webhook::WebhookConfig;
use emrguard_model::emr::{
    is_emr_service_account_name, matches_emr_trust_pattern, split_emr_service_account,
    IRSA_ANNOTATION, KUBE2IAM_ANNOTATION,
};
use emrguard_model::k8s::{
    ObjectMeta, PodSpec, PodTemplateSpec, ServiceAccount, StringMap, WebhookConfiguration,
    WebhookRule, WorkloadKind,
};
use emrguard_model::Inventory;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::identity::{
    subject_of, ExemptSubjects, Requester, CRONJOB_CONTROLLER, DEPLOYMENT_CONTROLLER,
    POD_CREATING_CONTROLLERS,
};
use crate::namespaces::EmrNamespaces;
use crate::review::{AdmissionRequest, AdmissionResponse, Operation};

/// Where each policy is documented (`#wh001` ... anchors).
pub const DOCS_URL: &str = "https://github.com/emrguard/emrguard/blob/main/docs/webhook.md";

/// A policy, by stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PolicyCode {
    /// WH001: exec, attach, port-forward and ephemeral containers on pods in EMR namespaces.
    Wh001,
    /// WH002: writes to EMR-managed ConfigMaps (pod templates, job configuration).
    Wh002,
    /// WH003: pods and pod-creating workloads that run as an EMR-managed service account.
    Wh003,
    /// WH004: service accounts with an EMR-managed name or a new IRSA role annotation.
    Wh004,
    /// WH005: tokens for EMR-managed service accounts.
    Wh005,
    /// WH006: webhook configurations that can intercept objects in EMR namespaces.
    Wh006,
    /// WH007: pods with `hostNetwork` or kube2iam/kiam role annotations.
    Wh007,
}

impl PolicyCode {
    /// Every policy, in code order.
    pub const ALL: [PolicyCode; 7] = [
        Self::Wh001,
        Self::Wh002,
        Self::Wh003,
        Self::Wh004,
        Self::Wh005,
        Self::Wh006,
        Self::Wh007,
    ];

    /// The code, e.g. `WH003`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Wh001 => "WH001",
            Self::Wh002 => "WH002",
            Self::Wh003 => "WH003",
            Self::Wh004 => "WH004",
            Self::Wh005 => "WH005",
            Self::Wh006 => "WH006",
            Self::Wh007 => "WH007",
        }
    }

    /// One line on what the policy stops.
    pub fn summary(self) -> &'static str {
        match self {
            Self::Wh001 => "exec, attach, port-forward or ephemeral containers on EMR pods",
            Self::Wh002 => "writes to EMR-managed ConfigMaps",
            Self::Wh003 => "pods or workloads running as an EMR-managed service account",
            Self::Wh004 => "EMR-named service accounts or new IRSA role annotations",
            Self::Wh005 => "tokens for EMR-managed service accounts",
            Self::Wh006 => "webhook configurations reaching EMR namespaces",
            Self::Wh007 => "hostNetwork pods or kube2iam/kiam role annotations",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for PolicyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PolicyCode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown policy {s:?} (expected WH001 to WH007)"))
    }
}

/// What happens when a policy is violated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    /// Deny the request.
    #[default]
    Enforce,
    /// Allow it, with an admission warning the client prints.
    Warn,
    /// Allow it silently; only the decision log and an audit annotation record it.
    Audit,
}

impl Mode {
    /// `enforce`, `warn` or `audit`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enforce => "enforce",
            Self::Warn => "warn",
            Self::Audit => "audit",
        }
    }
}

impl FromStr for Mode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "enforce" => Ok(Self::Enforce),
            "warn" => Ok(Self::Warn),
            "audit" => Ok(Self::Audit),
            _ => Err(format!("expected enforce, warn or audit, found {s:?}")),
        }
    }
}

/// The mode of each policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Modes {
    modes: [Mode; 7],
}

impl Modes {
    /// Every policy in `mode`.
    pub fn all(mode: Mode) -> Self {
        Self { modes: [mode; 7] }
    }

    /// Sets one policy's mode.
    pub fn set(&mut self, policy: PolicyCode, mode: Mode) {
        if let Some(slot) = self.modes.get_mut(policy.index()) {
            *slot = mode;
        }
    }

    /// The mode of `policy`.
    pub fn get(&self, policy: PolicyCode) -> Mode {
        self.modes.get(policy.index()).copied().unwrap_or_default()
    }
}

/// A violated policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Which policy.
    pub policy: PolicyCode,
    /// Its mode, which decides what the violation does.
    pub mode: Mode,
    /// `CODE: what and why (exception: ...)`.
    pub message: String,
}

/// The outcome of reviewing one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decision {
    /// The policies that applied to the request, in code order.
    pub checked: Vec<PolicyCode>,
    /// The violated ones, in code order.
    pub violations: Vec<Violation>,
    /// Set when the requester is exempt: the exempt subject, or EMR on EKS itself.
    pub exempt: Option<String>,
}

impl Decision {
    /// Whether the request may proceed (no violation of a policy in enforce mode).
    pub fn allowed(&self) -> bool {
        !self.violations.iter().any(|v| v.mode == Mode::Enforce)
    }

    /// The AdmissionReview response for the request `uid`.
    pub fn to_response(&self, uid: &str) -> AdmissionResponse {
        let mut response = if self.allowed() {
            AdmissionResponse::allow(uid)
        } else {
            let denials: Vec<&str> = self
                .violations
                .iter()
                .filter(|v| v.mode == Mode::Enforce)
                .map(|v| v.message.as_str())
                .collect();
            AdmissionResponse::deny(uid, denials.join("; "))
        };
        for v in &self.violations {
            if v.mode == Mode::Warn {
                response.warnings.push(v.message.clone());
            }
            // Recorded in the API server's audit log whatever the mode. A denial or warning
            // already carries the message to the client, so the annotation stays short;
            // in audit mode it is the only trace the API server keeps, so it is complete.
            let detail = if v.mode == Mode::Audit {
                v.message.as_str()
            } else {
                v.policy.summary()
            };
            response.audit_annotations.insert(
                v.policy.as_str().to_ascii_lowercase(),
                format!("{}: {detail}", v.mode.as_str()),
            );
        }
        response
    }
}

/// Why an engine could not be built from the configuration.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A value in `[webhook]` is invalid.
    #[error("{0}")]
    Config(String),
    /// No EMR namespace is known, so no policy could ever apply.
    #[error("no EMR namespace is known: pass --emr-namespace or --snapshot, or set webhook.emr-namespaces or webhook.namespace-labels in emrguard.toml")]
    NoNamespaces,
}

/// The policies with their settings: EMR namespaces, exempt subjects and modes.
#[derive(Debug, Clone, Default)]
pub struct PolicyEngine {
    namespaces: EmrNamespaces,
    exempt: ExemptSubjects,
    emr_usernames: BTreeSet<String>,
    modes: Modes,
}

/// Inputs for [`PolicyEngine::from_config`] besides the configuration file.
#[derive(Debug, Clone, Copy, Default)]
pub struct EngineInputs<'a> {
    /// A snapshot: virtual clusters' namespaces, namespace labels and the usernames EMR's
    /// service-linked role is mapped to.
    pub inventory: Option<&'a Inventory>,
    /// Extra EMR namespaces (`--emr-namespace`).
    pub extra_namespaces: &'a [String],
    /// The default mode (`--mode`), overriding `webhook.mode`; `webhook.policy-modes` still
    /// apply on top.
    pub mode: Option<Mode>,
}

impl PolicyEngine {
    /// An engine for `namespaces`, every policy in `mode`, nobody exempt.
    pub fn new(namespaces: EmrNamespaces, mode: Mode) -> Self {
        Self {
            namespaces,
            modes: Modes::all(mode),
            ..Self::default()
        }
    }

    /// Sets the exempt subjects.
    pub fn with_exempt(mut self, exempt: ExemptSubjects) -> Self {
        self.exempt = exempt;
        self
    }

    /// Sets the modes.
    pub fn with_modes(mut self, modes: Modes) -> Self {
        self.modes = modes;
        self
    }

    /// Adds usernames that are EMR on EKS itself besides `emr-containers`.
    pub fn with_emr_usernames<I: IntoIterator<Item = String>>(mut self, names: I) -> Self {
        self.emr_usernames.extend(names);
        self
    }

    /// Builds the engine from `[webhook]` and the other inputs.
    ///
    /// # Errors
    /// [`EngineError`] for an invalid mode, policy code or subject, or when no EMR namespace is
    /// known.
    pub fn from_config(
        config: &WebhookConfig,
        inputs: EngineInputs<'_>,
    ) -> Result<Self, EngineError> {
        config.validate().map_err(EngineError::Config)?;
        let mut namespaces = EmrNamespaces::from_names(config.emr_namespaces.iter().cloned());
        namespaces.add_names(inputs.extra_namespaces.iter().cloned());
        namespaces.set_label_selector(config.namespace_labels.clone());
        let mut emr_usernames = BTreeSet::new();
        if let Some(inventory) = inputs.inventory {
            namespaces.add_names(inventory.emr_view().namespaces);
            namespaces.set_known_labels(
                inventory
                    .namespaces
                    .iter()
                    .map(|ns| (ns.metadata.name.to_string(), ns.metadata.labels.clone()))
                    .collect(),
            );
            emr_usernames = inventory
                .identity_mappings()
                .into_iter()
                .filter(|m| emrguard_model::emr::is_emr_service_linked_role(&m.principal_arn))
                .map(|m| m.username)
                // Templated usernames are covered by the session-name form.
                .filter(|u| !u.is_empty() && !u.contains("{{"))
                .collect();
        }
        if namespaces.is_empty() {
            return Err(EngineError::NoNamespaces);
        }
        let default_mode = match (inputs.mode, &config.mode) {
            (Some(mode), _) => mode,
            (None, Some(mode)) => mode.parse().map_err(EngineError::Config)?,
            (None, None) => Mode::Enforce,
        };
        let mut modes = Modes::all(default_mode);
        for (code, mode) in &config.policy_modes {
            let code: PolicyCode = code.parse().map_err(EngineError::Config)?;
            modes.set(code, mode.parse().map_err(EngineError::Config)?);
        }
        let exempt = ExemptSubjects::parse(&config.exempt_subjects).map_err(EngineError::Config)?;
        Ok(Self {
            namespaces,
            exempt,
            emr_usernames,
            modes,
        })
    }

    /// The EMR namespaces.
    pub fn namespaces(&self) -> &EmrNamespaces {
        &self.namespaces
    }

    /// The modes.
    pub fn modes(&self) -> &Modes {
        &self.modes
    }

    /// Reviews one request.
    pub fn review(&self, req: &AdmissionRequest<'_>) -> Decision {
        let Some(target) = Target::of(req) else {
            return Decision::default();
        };
        if target != Target::WebhookConfiguration && !self.namespaces.contains(req.namespace()) {
            return Decision::default();
        }
        let mut decision = Decision {
            checked: target.policies().to_vec(),
            ..Decision::default()
        };
        if let Some(subject) = self.exempt.matching(&req.user_info) {
            decision.exempt = Some(subject);
            return decision;
        }
        let requester = Requester::classify(&req.user_info, &self.emr_usernames);
        if requester == Requester::EmrService {
            decision.exempt = Some(format!("EMR on EKS ({})", req.user_info.username));
            return decision;
        }
        let mut found = Vec::new();
        let cx = Context {
            req,
            requester,
            namespaces: &self.namespaces,
        };
        match target {
            Target::PodConnect | Target::EphemeralContainers => cx.check_pod_access(&mut found),
            Target::ConfigMap => cx.check_config_map(&mut found),
            Target::Pod => cx.check_pod(&mut found),
            Target::Workload(kind) => cx.check_workload(kind, &mut found),
            Target::ServiceAccount => cx.check_service_account(&mut found),
            Target::ServiceAccountToken => cx.check_token(&mut found),
            Target::WebhookConfiguration => cx.check_webhook_configuration(&mut found),
        }
        let subject = subject_of(&req.user_info);
        let mut violations: Vec<Violation> = found
            .into_iter()
            .map(|(policy, what)| Violation {
                policy,
                mode: self.modes.get(policy),
                message: format!(
                    "{policy}: {what} (exception: add {subject} to webhook.exempt-subjects in emrguard.toml, or set webhook.policy-modes.{policy} = \"warn\"; see {DOCS_URL}#{})",
                    policy.as_str().to_ascii_lowercase()
                ),
            })
            .collect();
        violations.sort_by_key(|v| v.policy);
        decision.violations = violations;
        decision
    }
}

/// One `rules[]` entry of the webhook configuration: exactly what the policies review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdmissionRule {
    /// Operations.
    pub operations: &'static [&'static str],
    /// The API group (`""` for core).
    pub api_group: &'static str,
    /// Resources, with `resource/subresource` for subresources.
    pub resources: &'static [&'static str],
    /// Whether the resources are cluster-scoped.
    pub cluster_scoped: bool,
}

/// The requests the policies review; the webhook configuration asks for these and no others.
pub const ADMISSION_RULES: &[AdmissionRule] = &[
    AdmissionRule {
        operations: &["CONNECT"],
        api_group: "",
        resources: &["pods/attach", "pods/exec", "pods/portforward"],
        cluster_scoped: false,
    },
    AdmissionRule {
        operations: &["UPDATE"],
        api_group: "",
        resources: &["pods/ephemeralcontainers"],
        cluster_scoped: false,
    },
    AdmissionRule {
        operations: &["CREATE", "UPDATE", "DELETE"],
        api_group: "",
        resources: &["configmaps"],
        cluster_scoped: false,
    },
    AdmissionRule {
        operations: &["CREATE", "UPDATE"],
        api_group: "",
        resources: &["pods", "replicationcontrollers", "serviceaccounts"],
        cluster_scoped: false,
    },
    AdmissionRule {
        operations: &["CREATE"],
        api_group: "",
        resources: &["serviceaccounts/token"],
        cluster_scoped: false,
    },
    AdmissionRule {
        operations: &["CREATE", "UPDATE"],
        api_group: "apps",
        resources: &["daemonsets", "deployments", "replicasets", "statefulsets"],
        cluster_scoped: false,
    },
    AdmissionRule {
        operations: &["CREATE", "UPDATE"],
        api_group: "batch",
        resources: &["cronjobs", "jobs"],
        cluster_scoped: false,
    },
    AdmissionRule {
        operations: &["CREATE", "UPDATE"],
        api_group: "admissionregistration.k8s.io",
        resources: &[
            "mutatingwebhookconfigurations",
            "validatingwebhookconfigurations",
        ],
        cluster_scoped: true,
    },
];

/// What a request is about, as far as the policies care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    PodConnect,
    EphemeralContainers,
    ConfigMap,
    Pod,
    Workload(WorkloadKind),
    ServiceAccount,
    ServiceAccountToken,
    WebhookConfiguration,
}

impl Target {
    fn of(req: &AdmissionRequest<'_>) -> Option<Self> {
        use Operation::{Connect, Create, Delete, Update};
        let r = &req.resource;
        let target = match (r.group.as_str(), r.resource.as_str(), req.subresource()) {
            ("", "pods", "exec" | "attach" | "portforward") => Self::PodConnect,
            ("", "pods", "ephemeralcontainers") => Self::EphemeralContainers,
            ("", "configmaps", "") => Self::ConfigMap,
            ("", "pods", "") => Self::Pod,
            ("", "serviceaccounts", "") => Self::ServiceAccount,
            ("", "serviceaccounts", "token") => Self::ServiceAccountToken,
            ("", "replicationcontrollers", "") => {
                Self::Workload(WorkloadKind::ReplicationController)
            }
            ("apps", "deployments", "") => Self::Workload(WorkloadKind::Deployment),
            ("apps", "statefulsets", "") => Self::Workload(WorkloadKind::StatefulSet),
            ("apps", "daemonsets", "") => Self::Workload(WorkloadKind::DaemonSet),
            ("apps", "replicasets", "") => Self::Workload(WorkloadKind::ReplicaSet),
            ("batch", "jobs", "") => Self::Workload(WorkloadKind::Job),
            ("batch", "cronjobs", "") => Self::Workload(WorkloadKind::CronJob),
            (
                "admissionregistration.k8s.io",
                "mutatingwebhookconfigurations" | "validatingwebhookconfigurations",
                "",
            ) => Self::WebhookConfiguration,
            _ => return None,
        };
        let op = req.operation;
        let applies = match target {
            Self::PodConnect => op == Connect,
            Self::EphemeralContainers => op == Update,
            Self::ConfigMap => matches!(op, Create | Update | Delete),
            Self::Pod | Self::Workload(_) | Self::ServiceAccount | Self::WebhookConfiguration => {
                matches!(op, Create | Update)
            }
            Self::ServiceAccountToken => op == Create,
        };
        applies.then_some(target)
    }

    fn policies(self) -> &'static [PolicyCode] {
        match self {
            Self::PodConnect | Self::EphemeralContainers => &[PolicyCode::Wh001],
            Self::ConfigMap => &[PolicyCode::Wh002],
            Self::Pod | Self::Workload(_) => &[PolicyCode::Wh003, PolicyCode::Wh007],
            Self::ServiceAccount => &[PolicyCode::Wh004],
            Self::ServiceAccountToken => &[PolicyCode::Wh005],
            Self::WebhookConfiguration => &[PolicyCode::Wh006],
        }
    }
}

/// Whether a service-account name is EMR-managed: a name EMR creates, or any name the
/// execution roles' trust pattern matches.
pub fn is_emr_managed_service_account(name: &str) -> bool {
    is_emr_service_account_name(name) || matches_emr_trust_pattern(name)
}

/// Whether ConfigMap metadata marks an EMR-managed ConfigMap: any
/// `emr-containers.amazonaws.com/` label, or the per-job names `podtemplate-<job id>`,
/// `<job id>-spark-defaults` and `fluentd-<virtual cluster id>-<job id>`.
pub fn is_emr_config_map(meta: &ObjectMeta) -> bool {
    meta.labels
        .keys()
        .any(|k| k.starts_with("emr-containers.amazonaws.com/"))
        || is_emr_config_map_name(&meta.name)
}

fn is_emr_config_map_name(name: &str) -> bool {
    // EMR ids are lower-case base36 strings (job runs: 19 characters, virtual clusters: 25).
    let is_id = |s: &str| {
        s.len() >= 12
            && s.bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    };
    if let Some(id) = name.strip_prefix("podtemplate-") {
        return is_id(id);
    }
    if let Some(id) = name.strip_suffix("-spark-defaults") {
        return is_id(id);
    }
    if let Some((vc, job)) = name
        .strip_prefix("fluentd-")
        .and_then(|r| r.split_once('-'))
    {
        return is_id(vc) && is_id(job);
    }
    false
}

/// Pod-creating components of one EMR job, by the component segment of their service-account
/// names: (creator, created). Both must belong to the same execution role.
const JOB_POD_CREATORS: &[(&str, &str)] = &[
    // The job runner runs spark-submit, which creates the driver.
    ("client", "driver"),
    // The driver creates the executors.
    ("driver", "executor"),
    // Interactive endpoints: the Jupyter Enterprise Gateway starts kernels, kernels start
    // session pods.
    ("jeg", "jeg-kernel"),
    ("jeg-kernel", "session"),
    // Flink: the job manager starts task managers.
    ("jobmanager", "taskmanager"),
];

const SPARK_OPERATOR: &str = "emr-containers-sa-spark-operator";
const FLINK_OPERATOR: &str = "emr-containers-sa-flink-operator";
const LIVY_SERVER: &str = "emr-containers-sa-livy";
const LIVY_SPARK: &str = "emr-container-sa-spark-livy";
const OPERATOR_SPARK_APP: &str = "emr-containers-sa-spark";

/// What a request creates or changes that will run pods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Creates {
    Pod,
    Workload(WorkloadKind),
}

/// Whether `requester` may create (or change) a pod or workload in `namespace` that runs as the
/// EMR-managed service account `service_account`. EMR on EKS itself is handled before this.
fn may_run_as(
    requester: Requester<'_>,
    namespace: &str,
    service_account: &str,
    creates: Creates,
) -> bool {
    match requester {
        Requester::EmrService => true,
        // The templates they copy were reviewed when their owners were created.
        Requester::ControllerManager => matches!(
            creates,
            Creates::Pod | Creates::Workload(WorkloadKind::ReplicaSet | WorkloadKind::Job)
        ),
        Requester::ServiceAccount {
            namespace: creator_ns,
            name: creator,
        } => {
            if let Some(controller) = requester.controller() {
                let controller_may = match creates {
                    Creates::Pod => POD_CREATING_CONTROLLERS.contains(&controller),
                    Creates::Workload(WorkloadKind::ReplicaSet) => {
                        controller == DEPLOYMENT_CONTROLLER
                    }
                    Creates::Workload(WorkloadKind::Job) => controller == CRONJOB_CONTROLLER,
                    Creates::Workload(_) => false,
                };
                if controller_may {
                    return true;
                }
            }
            emr_service_account_may_run_as(creator_ns, creator, namespace, service_account, creates)
        }
        Requester::Node | Requester::Other => false,
    }
}

fn emr_service_account_may_run_as(
    creator_ns: &str,
    creator: &str,
    namespace: &str,
    target: &str,
    creates: Creates,
) -> bool {
    let target_parsed = split_emr_service_account(target);
    let framework = target_parsed.map(|p| p.framework);
    // The operators run in their own namespace and start applications in job namespaces.
    match creator {
        SPARK_OPERATOR => return framework == Some("spark") || target == OPERATOR_SPARK_APP,
        FLINK_OPERATOR => return framework == Some("flink"),
        LIVY_SERVER => return creates == Creates::Pod && target == LIVY_SPARK,
        _ => {}
    }
    if creator_ns != namespace || creates != Creates::Pod {
        return false;
    }
    // Drivers started by Livy or the Spark operator start executors with their own account.
    if creator == LIVY_SPARK || creator == OPERATOR_SPARK_APP {
        return target == creator;
    }
    let (Some(c), Some(t)) = (split_emr_service_account(creator), target_parsed) else {
        return false;
    };
    // Same execution role: a job never starts pods that hold another role.
    c.framework == t.framework
        && c.account_id == t.account_id
        && c.encoded_role == t.encoded_role
        && JOB_POD_CREATORS
            .iter()
            .any(|(from, to)| *from == c.component && *to == t.component)
}

/// Who may create pods that run as `service_account`, for messages.
fn expected_creator(service_account: &str) -> String {
    if let Some(p) = split_emr_service_account(service_account) {
        if let Some((from, _)) = JOB_POD_CREATORS.iter().find(|(_, to)| *to == p.component) {
            return format!(
                "EMR on EKS and `emr-containers-sa-{}-{from}-{}-{}` (same execution role)",
                p.framework, p.account_id, p.encoded_role
            );
        }
    }
    "EMR on EKS and its own service accounts".to_owned()
}

/// The parts of a workload that matter: its pod template.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct WorkloadObject {
    metadata: ObjectMeta,
    spec: WorkloadSpec,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct WorkloadSpec {
    template: Option<PodTemplateSpec>,
    job_template: Option<JobTemplate>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct JobTemplate {
    spec: Option<JobSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct JobSpec {
    template: Option<PodTemplateSpec>,
}

impl WorkloadObject {
    fn template(&self) -> Option<&PodTemplateSpec> {
        self.spec.template.as_ref().or_else(|| {
            self.spec
                .job_template
                .as_ref()
                .and_then(|j| j.spec.as_ref())
                .and_then(|s| s.template.as_ref())
        })
    }
}

/// The parts of a pod the pod policies read. Pods are the most frequent review and most of
/// their JSON is containers, volumes and status, which this skips without allocating.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PodFacts {
    metadata: PodMetaFacts,
    spec: PodSpecFacts,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PodMetaFacts {
    name: String,
    annotations: Option<StringMap>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct PodSpecFacts {
    service_account_name: Option<String>,
    service_account: Option<String>,
    host_network: Option<bool>,
}

impl PodFacts {
    /// The facts as the model's pod spec, for its service-account and host-network rules.
    fn spec(&self) -> PodSpec {
        PodSpec {
            service_account_name: self
                .spec
                .service_account_name
                .as_deref()
                .map(emrguard_model::k8s::Text::from),
            service_account: self
                .spec
                .service_account
                .as_deref()
                .map(emrguard_model::k8s::Text::from),
            host_network: self.spec.host_network,
            ..PodSpec::default()
        }
    }

    fn kube2iam_role(&self) -> Option<&str> {
        self.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(KUBE2IAM_ANNOTATION))
            .map(|s| s.as_str())
    }
}

/// A workload's pod template, kept as JSON to compare old and new completely.
#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawTemplates {
    spec: RawTemplateSpec,
}

#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawTemplateSpec {
    template: Option<serde_json::Value>,
    job_template: Option<serde_json::Value>,
}

/// A pod's spec, kept as JSON to compare old and new completely.
#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
struct RawPodSpec {
    spec: Option<serde_json::Value>,
}

/// Metadata only (ConfigMap data is never decoded).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct MetadataOnly {
    metadata: ObjectMeta,
}

struct Context<'a> {
    req: &'a AdmissionRequest<'a>,
    requester: Requester<'a>,
    namespaces: &'a EmrNamespaces,
}

type Found = Vec<(PolicyCode, String)>;

impl Context<'_> {
    fn object_ref(&self, meta_name: &str) -> String {
        let name = if self.req.name().is_empty() {
            meta_name
        } else {
            self.req.name()
        };
        let name = if name.is_empty() {
            "(generated name)"
        } else {
            name
        };
        format!("{}/{}", self.req.namespace(), name)
    }

    /// Decodes the new (or old) object; a failure is reported against every policy in
    /// `policies`, so the request is judged by the policies' modes rather than let through.
    fn decode<T: for<'de> Deserialize<'de>>(
        &self,
        raw: Option<&RawValue>,
        what: &str,
        policies: &[PolicyCode],
        found: &mut Found,
    ) -> Option<T> {
        let Some(raw) = raw else {
            for p in policies {
                found.push((*p, format!("the request has no {what} to check")));
            }
            return None;
        };
        match serde_json::from_str(raw.get()) {
            Ok(v) => Some(v),
            Err(e) => {
                for p in policies {
                    found.push((
                        *p,
                        format!("the {what} in the request cannot be decoded: {e}"),
                    ));
                }
                None
            }
        }
    }

    /// WH001. CONNECT requests carry only the connection options, not the pod, so every pod in
    /// an EMR namespace counts as EMR-managed.
    fn check_pod_access(&self, found: &mut Found) {
        let pod = self.object_ref("");
        let what = match self.req.subresource() {
            "exec" => format!("exec into pod `{pod}` is not allowed"),
            "attach" => format!("attaching to pod `{pod}` is not allowed"),
            "portforward" => format!("port-forwarding to pod `{pod}` is not allowed"),
            _ => format!("adding ephemeral containers to pod `{pod}` is not allowed"),
        };
        found.push((
            PolicyCode::Wh001,
            format!("{what} in the EMR namespace `{}`: it exposes the pod's service-account token and so the job execution role", self.req.namespace()),
        ));
    }

    /// WH002. Writers: EMR on EKS, EMR's operators, and for UPDATE/DELETE the garbage collector
    /// and namespace controller.
    fn check_config_map(&self, found: &mut Found) {
        let decode_meta = |raw: Option<&RawValue>| {
            raw.and_then(|r| serde_json::from_str::<MetadataOnly>(r.get()).ok())
                .map(|m| m.metadata)
        };
        let new = decode_meta(self.req.object);
        let old = decode_meta(self.req.old_object);
        let managed = new.iter().chain(old.iter()).any(is_emr_config_map)
            || is_emr_config_map_name(self.req.name());
        if !managed {
            return;
        }
        let operator = matches!(
            self.requester,
            Requester::ServiceAccount {
                name: SPARK_OPERATOR | FLINK_OPERATOR | LIVY_SERVER,
                ..
            }
        );
        let cleanup =
            self.req.operation != Operation::Create && self.requester.is_cleanup_controller();
        if operator || cleanup {
            return;
        }
        let name = new
            .as_ref()
            .or(old.as_ref())
            .map_or("", |m| m.name.as_str());
        let verb = match self.req.operation {
            Operation::Create => "creating",
            Operation::Update => "changing",
            _ => "deleting",
        };
        found.push((
            PolicyCode::Wh002,
            format!(
                "{verb} the EMR-managed ConfigMap `{}` is not allowed: EMR builds job pods, with their execution role's service account, from these ConfigMaps",
                self.object_ref(name)
            ),
        ));
    }

    /// WH003 and WH007 for pods.
    fn check_pod(&self, found: &mut Found) {
        const BOTH: &[PolicyCode] = &[PolicyCode::Wh003, PolicyCode::Wh007];
        let Some(pod) = self.decode::<PodFacts>(self.req.object, "Pod", BOTH, found) else {
            return;
        };
        let name = self.object_ref(&pod.metadata.name);
        let spec = pod.spec();
        let sa = spec.service_account();
        let update = self.req.operation == Operation::Update;
        if is_emr_managed_service_account(sa)
            && !may_run_as(self.requester, self.req.namespace(), sa, Creates::Pod)
        {
            if !update {
                found.push((PolicyCode::Wh003, format!(
                    "pod `{name}` would run as the EMR-managed service account `{sa}` and so hold its execution role; only {} may create such pods",
                    expected_creator(sa)
                )));
            } else if self.raw_differs::<RawPodSpec>() {
                found.push((PolicyCode::Wh003, format!(
                    "changing the spec of pod `{name}`, which runs as the EMR-managed service account `{sa}`, is not allowed: a new image would run with its execution role"
                )));
            }
        }
        if !update && spec.uses_host_network() {
            found.push((PolicyCode::Wh007, format!(
                "pod `{name}` uses hostNetwork, which bypasses the block on the instance metadata service and exposes the node role's credentials"
            )));
        }
        if let Some(role) = pod.kube2iam_role() {
            let old_role = if update {
                self.req
                    .old_object
                    .and_then(|r| serde_json::from_str::<MetadataOnly>(r.get()).ok())
                    .and_then(|m| m.metadata.annotations.get(KUBE2IAM_ANNOTATION).cloned())
            } else {
                None
            };
            if old_role.as_deref() != Some(role) {
                found.push((
                    PolicyCode::Wh007,
                    kube2iam_message(&format!("pod `{name}`"), role),
                ));
            }
        }
    }

    /// WH003 and WH007 for pod-creating workloads, on CREATE and when an UPDATE changes the
    /// pod template (updates by the garbage collector, scaling and the like pass).
    fn check_workload(&self, kind: WorkloadKind, found: &mut Found) {
        const BOTH: &[PolicyCode] = &[PolicyCode::Wh003, PolicyCode::Wh007];
        let Some(workload) =
            self.decode::<WorkloadObject>(self.req.object, kind.as_str(), BOTH, found)
        else {
            return;
        };
        let Some(template) = workload.template() else {
            return;
        };
        if self.req.operation == Operation::Update && !self.raw_differs::<RawTemplates>() {
            return;
        }
        let name = format!(
            "{} `{}`",
            kind.as_str(),
            self.object_ref(&workload.metadata.name)
        );
        let sa = template.spec.service_account();
        if is_emr_managed_service_account(sa)
            && !may_run_as(
                self.requester,
                self.req.namespace(),
                sa,
                Creates::Workload(kind),
            )
        {
            found.push((PolicyCode::Wh003, format!(
                "{name} would create pods that run as the EMR-managed service account `{sa}` and so hold its execution role; only {} may create such pods",
                expected_creator(sa)
            )));
        }
        if template.spec.uses_host_network() {
            found.push((PolicyCode::Wh007, format!(
                "{name} would create pods with hostNetwork, which bypasses the block on the instance metadata service and exposes the node role's credentials"
            )));
        }
        if let Some(role) = template.metadata.annotations.get(KUBE2IAM_ANNOTATION) {
            found.push((
                PolicyCode::Wh007,
                kube2iam_message(&format!("the pod template of {name}"), role),
            ));
        }
    }

    /// Whether the old and new objects differ in the part `T` keeps. A missing or undecodable
    /// old object counts as a difference.
    fn raw_differs<T: for<'de> Deserialize<'de> + PartialEq>(&self) -> bool {
        let parse =
            |raw: Option<&RawValue>| raw.and_then(|r| serde_json::from_str::<T>(r.get()).ok());
        match (parse(self.req.object), parse(self.req.old_object)) {
            (Some(new), Some(old)) => new != old,
            _ => true,
        }
    }

    /// WH004. Only EMR on EKS creates EMR-named service accounts or sets role annotations.
    fn check_service_account(&self, found: &mut Found) {
        let Some(sa) = self.decode::<ServiceAccount>(
            self.req.object,
            "ServiceAccount",
            &[PolicyCode::Wh004],
            found,
        ) else {
            return;
        };
        let name = self.object_ref(&sa.metadata.name);
        let sa_name = if sa.metadata.name.is_empty() {
            self.req.name()
        } else {
            &sa.metadata.name
        };
        let mut reasons = Vec::new();
        if self.req.operation == Operation::Create && is_emr_managed_service_account(sa_name) {
            reasons.push("creating a service account with an EMR-managed name is not allowed: execution roles trust every service account whose name fits `emr-containers-sa-*-*-ACCOUNT-ROLE` in the namespace".to_owned());
        }
        if let Some(role) = sa.metadata.annotations.get(IRSA_ANNOTATION) {
            let old_role = if self.req.operation == Operation::Update {
                self.req
                    .old_object
                    .and_then(|r| serde_json::from_str::<MetadataOnly>(r.get()).ok())
                    .and_then(|m| m.metadata.annotations.get(IRSA_ANNOTATION).cloned())
            } else {
                None
            };
            if old_role.as_ref() != Some(role) {
                reasons.push(format!(
                    "setting `{IRSA_ANNOTATION}: {role}` is not allowed: every pod that runs as this service account would get that role"
                ));
            }
        }
        if !reasons.is_empty() {
            found.push((
                PolicyCode::Wh004,
                format!("service account `{name}`: {}", reasons.join("; ")),
            ));
        }
    }

    /// WH005. Kubelets request tokens for the pods they run; nobody else needs one.
    fn check_token(&self, found: &mut Found) {
        let sa = self.req.name();
        if !is_emr_managed_service_account(sa) || self.requester == Requester::Node {
            return;
        }
        found.push((
            PolicyCode::Wh005,
            format!(
                "requesting a token for the EMR-managed service account `{}` is not allowed: the token can be exchanged for the execution role's credentials",
                self.object_ref(sa)
            ),
        ));
    }

    /// WH006. EMR's Spark and Flink operators register their own webhooks.
    fn check_webhook_configuration(&self, found: &mut Found) {
        if matches!(
            self.requester,
            Requester::ServiceAccount {
                name: SPARK_OPERATOR | FLINK_OPERATOR,
                ..
            }
        ) {
            return;
        }
        let Some(config) = self.decode::<WebhookConfiguration>(
            self.req.object,
            "webhook configuration",
            &[PolicyCode::Wh006],
            found,
        ) else {
            return;
        };
        let mut reaching: Vec<&str> = config
            .webhooks
            .iter()
            .filter(|w| {
                w.rules.iter().any(rule_reaches_emr_objects)
                    && self
                        .namespaces
                        .selector_may_reach(w.namespace_selector.as_ref())
            })
            .map(|w| w.name.as_str())
            .collect();
        if reaching.is_empty() {
            return;
        }
        reaching.sort_unstable();
        let kind = if self.req.resource.resource.starts_with("mutating") {
            "MutatingWebhookConfiguration"
        } else {
            "ValidatingWebhookConfiguration"
        };
        let name = if config.metadata.name.is_empty() {
            self.req.name()
        } else {
            &config.metadata.name
        };
        let names: Vec<String> = reaching.iter().map(|n| format!("`{n}`")).collect();
        found.push((
            PolicyCode::Wh006,
            format!(
                "{kind} `{name}`: webhook {} can intercept pods, service accounts, ConfigMaps or secrets in EMR namespaces, where it could change the service account of EMR's pods or read their configuration",
                names.join(", ")
            ),
        ));
    }
}

fn kube2iam_message(what: &str, role: &str) -> String {
    format!(
        "{what} sets `{KUBE2IAM_ANNOTATION}: {role}`: kube2iam and kiam hand out roles through the node's credentials, which EMR on EKS does not support; use IRSA or EKS Pod Identity"
    )
}

/// Resources (core, apps, batch) whose interception in an EMR namespace matters.
const SENSITIVE_RESOURCES: &[&str] = &[
    "pods",
    "configmaps",
    "secrets",
    "serviceaccounts",
    "deployments",
    "statefulsets",
    "daemonsets",
    "replicasets",
    "jobs",
    "cronjobs",
    "replicationcontrollers",
];

/// Whether a webhook rule can match namespaced core, apps or batch objects that matter.
fn rule_reaches_emr_objects(rule: &WebhookRule) -> bool {
    let namespaced = rule.scope.as_deref().is_none_or(|s| s != "Cluster");
    let groups = rule
        .api_groups
        .iter()
        .any(|g| matches!(g.as_str(), "" | "*" | "apps" | "batch"));
    let resources = rule.resources.iter().any(|r| {
        let base = r.split('/').next().unwrap_or(r);
        base == "*" || SENSITIVE_RESOURCES.contains(&base)
    });
    namespaced && groups && resources && !rule.operations.is_empty()
}

#[cfg(test)]
mod tests;
