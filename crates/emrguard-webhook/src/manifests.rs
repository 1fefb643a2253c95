//! Kubernetes manifests for running the webhook: its namespace, service account, configuration,
//! Deployment, PodDisruptionBudget, Service and ValidatingWebhookConfiguration.

use base64::Engine as _;
use emrguard_config::webhook::WebhookConfig;
use serde_json::{json, Value};

use crate::namespaces::NAMESPACE_NAME_LABEL;
use crate::policy::ADMISSION_RULES;
use crate::server::VALIDATE_PATH;

/// The name of the Deployment, Service, service account and webhook configuration.
pub const APP_NAME: &str = "emrguard-webhook";
/// The Secret holding `tls.crt` and `tls.key`.
pub const TLS_SECRET: &str = "emrguard-webhook-tls";
/// The ConfigMap holding `emrguard.toml`.
pub const CONFIG_MAP: &str = "emrguard-webhook-config";
/// The container port.
pub const CONTAINER_PORT: u16 = 8443;
/// How long the API server waits for a review.
pub const TIMEOUT_SECONDS: u8 = 5;

/// What to render.
#[derive(Debug, Clone)]
pub struct ManifestOptions {
    /// The namespace the webhook runs in (not an EMR namespace).
    pub namespace: String,
    /// Replicas (at least 2).
    pub replicas: u32,
    /// The container image with the `emrguard` binary.
    pub image: String,
    /// The `[webhook]` section the server runs with; its namespaces also drive the
    /// `namespaceSelector`.
    pub config: WebhookConfig,
    /// The CA certificate (PEM) that signed the serving certificate; without it the
    /// configuration asks cert-manager to inject one.
    pub ca_bundle_pem: Option<String>,
}

/// Why the manifests cannot be rendered.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// Fewer than two replicas.
    #[error("at least 2 replicas are needed: with failurePolicy Fail a single replica blocks EMR's pods whenever it restarts")]
    TooFewReplicas,
    /// No EMR namespace to select.
    #[error("no EMR namespace is known: pass --emr-namespace or --snapshot, or set webhook.emr-namespaces or webhook.namespace-labels")]
    NoNamespaces,
    /// The webhook would run in an EMR namespace.
    #[error("the webhook's namespace {0:?} is an EMR namespace; run it in a namespace of its own")]
    InEmrNamespace(String),
    /// The configuration cannot be written.
    #[error("{0}")]
    Config(String),
    /// YAML output failed.
    #[error("cannot write YAML: {0}")]
    Yaml(String),
}

/// Renders every manifest as one multi-document YAML stream.
///
/// # Errors
/// [`ManifestError`] for fewer than 2 replicas, no EMR namespaces, or a webhook namespace that
/// is an EMR namespace.
pub fn render(options: &ManifestOptions) -> Result<String, ManifestError> {
    if options.replicas < 2 {
        return Err(ManifestError::TooFewReplicas);
    }
    let config = &options.config;
    config.validate().map_err(ManifestError::Config)?;
    if config.emr_namespaces.is_empty() && config.namespace_labels.is_empty() {
        return Err(ManifestError::NoNamespaces);
    }
    if config.emr_namespaces.contains(&options.namespace) {
        return Err(ManifestError::InEmrNamespace(options.namespace.clone()));
    }
    let toml = config.to_toml_document().map_err(ManifestError::Config)?;
    let documents = [
        namespace(options),
        service_account(options),
        config_map(options, &toml),
        deployment(options),
        pod_disruption_budget(options),
        service(options),
        webhook_configuration(options),
    ];
    let mut out = String::from(
        "# emrguard admission webhook. The serving certificate goes in the Secret \
         emrguard-webhook-tls (tls.crt, tls.key):\n#   emrguard webhook certs --out-dir certs\n",
    );
    out.push_str(&format!(
        "#   kubectl -n {ns} create secret tls {TLS_SECRET} --cert certs/tls.crt --key certs/tls.key\n",
        ns = options.namespace
    ));
    for doc in documents {
        out.push_str("---\n");
        out.push_str(
            &serde_yaml_ng::to_string(&doc).map_err(|e| ManifestError::Yaml(e.to_string()))?,
        );
    }
    Ok(out)
}

fn labels() -> Value {
    json!({"app.kubernetes.io/name": APP_NAME, "app.kubernetes.io/part-of": "emrguard"})
}

fn metadata(options: &ManifestOptions, name: &str) -> Value {
    json!({"name": name, "namespace": options.namespace, "labels": labels()})
}

fn namespace(options: &ManifestOptions) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": options.namespace, "labels": labels()},
    })
}

/// The server reads nothing from the Kubernetes API (its configuration and certificate are
/// mounted), so its service account has no roles and no token.
fn service_account(options: &ManifestOptions) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": metadata(options, APP_NAME),
        "automountServiceAccountToken": false,
    })
}

fn config_map(options: &ManifestOptions, toml: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(options, CONFIG_MAP),
        "data": {"emrguard.toml": toml},
    })
}

fn deployment(options: &ManifestOptions) -> Value {
    let selector = json!({"app.kubernetes.io/name": APP_NAME});
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(options, APP_NAME),
        "spec": {
            "replicas": options.replicas,
            "selector": {"matchLabels": selector},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 1}},
            "template": {
                "metadata": {"labels": labels()},
                "spec": {
                    "serviceAccountName": APP_NAME,
                    "automountServiceAccountToken": false,
                    "securityContext": {
                        "runAsNonRoot": true,
                        "runAsUser": 65532,
                        "runAsGroup": 65532,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
                        "weight": 100,
                        "podAffinityTerm": {
                            "labelSelector": {"matchLabels": selector},
                            "topologyKey": "kubernetes.io/hostname",
                        },
                    }]}},
                    "topologySpreadConstraints": [{
                        "maxSkew": 1,
                        "topologyKey": "topology.kubernetes.io/zone",
                        "whenUnsatisfiable": "ScheduleAnyway",
                        "labelSelector": {"matchLabels": selector},
                    }],
                    "terminationGracePeriodSeconds": 40,
                    "containers": [{
                        "name": "webhook",
                        "image": options.image,
                        "command": ["emrguard"],
                        "args": [
                            "webhook", "serve",
                            "--listen", format!("0.0.0.0:{CONTAINER_PORT}"),
                            "--tls-cert", "/etc/emrguard/tls/tls.crt",
                            "--tls-key", "/etc/emrguard/tls/tls.key",
                            "--config", "/etc/emrguard/config/emrguard.toml",
                            // Endpoints take a few seconds to drop a terminating pod.
                            "--shutdown-delay", "5",
                        ],
                        "ports": [{"name": "https", "containerPort": CONTAINER_PORT, "protocol": "TCP"}],
                        "readinessProbe": {
                            "httpGet": {"path": "/readyz", "port": "https", "scheme": "HTTPS"},
                            "periodSeconds": 5,
                        },
                        "livenessProbe": {
                            "httpGet": {"path": "/healthz", "port": "https", "scheme": "HTTPS"},
                            "periodSeconds": 10,
                            "failureThreshold": 3,
                        },
                        "resources": {
                            "requests": {"cpu": "100m", "memory": "64Mi"},
                            "limits": {"memory": "256Mi"},
                        },
                        "securityContext": {
                            "allowPrivilegeEscalation": false,
                            "readOnlyRootFilesystem": true,
                            "runAsNonRoot": true,
                            "privileged": false,
                            "capabilities": {"drop": ["ALL"]},
                        },
                        "volumeMounts": [
                            {"name": "tls", "mountPath": "/etc/emrguard/tls", "readOnly": true},
                            {"name": "config", "mountPath": "/etc/emrguard/config", "readOnly": true},
                        ],
                    }],
                    "volumes": [
                        {"name": "tls", "secret": {"secretName": TLS_SECRET}},
                        {"name": "config", "configMap": {"name": CONFIG_MAP}},
                    ],
                },
            },
        },
    })
}

fn pod_disruption_budget(options: &ManifestOptions) -> Value {
    json!({
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata(options, APP_NAME),
        "spec": {
            "minAvailable": 1,
            "selector": {"matchLabels": {"app.kubernetes.io/name": APP_NAME}},
        },
    })
}

fn service(options: &ManifestOptions) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(options, APP_NAME),
        "spec": {
            "type": "ClusterIP",
            "selector": {"app.kubernetes.io/name": APP_NAME},
            "ports": [{"name": "https", "port": 443, "targetPort": "https", "protocol": "TCP"}],
        },
    })
}

fn rules(cluster_scoped: bool) -> Value {
    ADMISSION_RULES
        .iter()
        .filter(|r| r.cluster_scoped == cluster_scoped)
        .map(|r| {
            json!({
                "operations": r.operations,
                "apiGroups": [r.api_group],
                "apiVersions": ["v1"],
                "resources": r.resources,
                "scope": if cluster_scoped { "Cluster" } else { "Namespaced" },
            })
        })
        .collect()
}

fn webhook_configuration(options: &ManifestOptions) -> Value {
    let service = json!({
        "name": APP_NAME,
        "namespace": options.namespace,
        "path": VALIDATE_PATH,
        "port": 443,
    });
    let (client_config, metadata) = match &options.ca_bundle_pem {
        Some(pem) => (
            json!({
                "service": service,
                "caBundle": base64::engine::general_purpose::STANDARD.encode(pem),
            }),
            json!({"name": APP_NAME, "labels": labels()}),
        ),
        None => (
            json!({"service": service}),
            json!({
                "name": APP_NAME,
                "labels": labels(),
                "annotations": {
                    "cert-manager.io/inject-ca-from": format!("{}/{APP_NAME}", options.namespace),
                },
            }),
        ),
    };
    let webhook = |name: &str, rules: Value, namespace_selector: Option<Value>| {
        let mut w = serde_json::Map::new();
        w.insert("name".into(), json!(format!("{name}.webhook.emrguard.io")));
        w.insert("clientConfig".into(), client_config.clone());
        w.insert("rules".into(), rules);
        // A review that cannot be made denies: an allowed request cannot be taken back.
        w.insert("failurePolicy".into(), json!("Fail"));
        w.insert("matchPolicy".into(), json!("Equivalent"));
        w.insert("sideEffects".into(), json!("None"));
        w.insert("timeoutSeconds".into(), json!(TIMEOUT_SECONDS));
        w.insert("admissionReviewVersions".into(), json!(["v1"]));
        if let Some(selector) = namespace_selector {
            w.insert("namespaceSelector".into(), selector);
        }
        Value::Object(w)
    };
    let config = &options.config;
    let mut webhooks = Vec::new();
    if !config.emr_namespaces.is_empty() {
        let mut names = config.emr_namespaces.clone();
        names.sort();
        names.dedup();
        webhooks.push(webhook(
            "namespaces",
            rules(false),
            Some(json!({"matchExpressions": [{
                "key": NAMESPACE_NAME_LABEL,
                "operator": "In",
                "values": names,
            }]})),
        ));
    }
    if !config.namespace_labels.is_empty() {
        webhooks.push(webhook(
            "labelled-namespaces",
            rules(false),
            Some(json!({"matchLabels": config.namespace_labels})),
        ));
    }
    // Cluster-scoped objects are never filtered by namespaceSelector.
    webhooks.push(webhook("cluster", rules(true), None));
    json!({
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": metadata,
        "webhooks": webhooks,
    })
}
