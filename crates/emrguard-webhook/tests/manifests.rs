//! The rendered manifests parse as the Kubernetes API types, lose no field doing so, and say
//! what a production webhook needs.

use std::collections::BTreeSet;

use emrguard_config::webhook::WebhookConfig;
use emrguard_webhook::certs;
use emrguard_webhook::manifests::{render, ManifestError, ManifestOptions};
use k8s_openapi::api::admissionregistration::v1::ValidatingWebhookConfiguration;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Service, ServiceAccount};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use serde::de::DeserializeOwned;
use serde::Serialize;

fn options(config: WebhookConfig, ca: Option<String>) -> ManifestOptions {
    ManifestOptions {
        namespace: "emrguard".into(),
        replicas: 3,
        image: "registry.example.com/emrguard:1".into(),
        config,
        ca_bundle_pem: ca,
    }
}

fn named_config() -> WebhookConfig {
    WebhookConfig {
        emr_namespaces: vec!["emr-b".into(), "emr-a".into()],
        exempt_subjects: vec!["Group:sre".into()],
        ..WebhookConfig::default()
    }
}

/// Parses `doc` as `T` and checks that serializing `T` gives back every field of `doc`: a
/// misspelt or misplaced field would be dropped by the typed parse.
fn typed<T: DeserializeOwned + Serialize>(doc: &serde_json::Value) -> T {
    let parsed: T = serde_json::from_value(doc.clone()).unwrap();
    let back = serde_json::to_value(&parsed).unwrap();
    assert_eq!(&back, doc, "fields lost in the typed parse");
    parsed
}

fn documents(text: &str) -> Vec<serde_json::Value> {
    text.split("\n---\n")
        .skip(1)
        .map(|doc| serde_yaml_ng::from_str(doc).unwrap())
        .collect()
}

fn by_kind<'a>(docs: &'a [serde_json::Value], kind: &str) -> Vec<&'a serde_json::Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

#[test]
fn manifests_parse_as_kubernetes_types() {
    let ca = certs::generate(&["emrguard-webhook.emrguard.svc".to_owned()], 30).unwrap();
    let text = render(&options(named_config(), Some(ca.ca_cert_pem.clone()))).unwrap();
    let docs = documents(&text);
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "Namespace",
            "ServiceAccount",
            "ConfigMap",
            "Deployment",
            "PodDisruptionBudget",
            "Service",
            "ValidatingWebhookConfiguration"
        ]
    );
    let _: Namespace = typed(by_kind(&docs, "Namespace")[0]);

    let sa: ServiceAccount = typed(by_kind(&docs, "ServiceAccount")[0]);
    assert_eq!(sa.automount_service_account_token, Some(false));

    let cm: ConfigMap = typed(by_kind(&docs, "ConfigMap")[0]);
    let toml = &cm.data.unwrap()["emrguard.toml"];
    let config = emrguard_config::Config::parse(toml, "configmap").unwrap();
    assert_eq!(config.webhook, named_config());

    let deployment: Deployment = typed(by_kind(&docs, "Deployment")[0]);
    let spec = deployment.spec.unwrap();
    assert_eq!(spec.replicas, Some(3));
    let pod = spec.template.spec.unwrap();
    assert_eq!(pod.automount_service_account_token, Some(false));
    assert_eq!(pod.security_context.unwrap().run_as_non_root, Some(true));
    let anti = pod.affinity.unwrap().pod_anti_affinity.unwrap();
    let term = &anti
        .preferred_during_scheduling_ignored_during_execution
        .unwrap()[0];
    assert_eq!(
        term.pod_affinity_term.topology_key,
        "kubernetes.io/hostname"
    );
    let container = &pod.containers[0];
    let security = container.security_context.clone().unwrap();
    assert_eq!(security.read_only_root_filesystem, Some(true));
    assert_eq!(security.allow_privilege_escalation, Some(false));
    assert_eq!(security.run_as_non_root, Some(true));
    assert_eq!(security.capabilities.unwrap().drop.unwrap(), ["ALL"]);
    let args = container.args.clone().unwrap();
    for flag in ["serve", "--tls-cert", "--tls-key", "--config", "--listen"] {
        assert!(args.iter().any(|a| a == flag), "{flag} in {args:?}");
    }
    let readiness = container.readiness_probe.clone().unwrap().http_get.unwrap();
    assert_eq!(readiness.path.as_deref(), Some("/readyz"));
    assert_eq!(readiness.scheme.as_deref(), Some("HTTPS"));
    assert!(container.liveness_probe.is_some());

    let pdb: PodDisruptionBudget = typed(by_kind(&docs, "PodDisruptionBudget")[0]);
    assert!(pdb.spec.unwrap().min_available.is_some());

    let service: Service = typed(by_kind(&docs, "Service")[0]);
    assert_eq!(service.spec.unwrap().ports.unwrap()[0].port, 443);

    let vwc: ValidatingWebhookConfiguration =
        typed(by_kind(&docs, "ValidatingWebhookConfiguration")[0]);
    let webhooks = vwc.webhooks.unwrap();
    assert_eq!(webhooks.len(), 2);
    let mut rules = BTreeSet::new();
    for webhook in &webhooks {
        assert_eq!(webhook.failure_policy.as_deref(), Some("Fail"));
        assert_eq!(webhook.side_effects, "None");
        assert!(webhook
            .timeout_seconds
            .is_some_and(|t| (1..=10).contains(&t)));
        assert_eq!(webhook.admission_review_versions, ["v1"]);
        let bundle = webhook.client_config.ca_bundle.clone().unwrap();
        assert_eq!(bundle.0, ca.ca_cert_pem.as_bytes());
        let service = webhook.client_config.service.clone().unwrap();
        assert_eq!(service.path.as_deref(), Some("/validate"));
        assert_eq!(service.namespace, "emrguard");
        for rule in webhook.rules.clone().unwrap() {
            for op in rule.operations.unwrap() {
                for group in rule.api_groups.clone().unwrap() {
                    for resource in rule.resources.clone().unwrap() {
                        rules.insert(format!("{op} {group}/{resource}"));
                    }
                }
            }
        }
    }
    let namespaced = webhooks
        .iter()
        .find(|w| w.name.starts_with("namespaces."))
        .unwrap();
    let selector = namespaced.namespace_selector.clone().unwrap();
    let expr = &selector.match_expressions.unwrap()[0];
    assert_eq!(expr.key, "kubernetes.io/metadata.name");
    assert_eq!(expr.operator, "In");
    assert_eq!(expr.values.clone().unwrap(), ["emr-a", "emr-b"]);
    // Exactly what the seven policies review, written out independently of the code.
    let expected: BTreeSet<String> = [
        "CONNECT /pods/exec",
        "CONNECT /pods/attach",
        "CONNECT /pods/portforward",
        "UPDATE /pods/ephemeralcontainers",
        "CREATE /configmaps",
        "UPDATE /configmaps",
        "DELETE /configmaps",
        "CREATE /pods",
        "UPDATE /pods",
        "CREATE /replicationcontrollers",
        "UPDATE /replicationcontrollers",
        "CREATE /serviceaccounts",
        "UPDATE /serviceaccounts",
        "CREATE /serviceaccounts/token",
        "CREATE apps/deployments",
        "UPDATE apps/deployments",
        "CREATE apps/statefulsets",
        "UPDATE apps/statefulsets",
        "CREATE apps/daemonsets",
        "UPDATE apps/daemonsets",
        "CREATE apps/replicasets",
        "UPDATE apps/replicasets",
        "CREATE batch/jobs",
        "UPDATE batch/jobs",
        "CREATE batch/cronjobs",
        "UPDATE batch/cronjobs",
        "CREATE admissionregistration.k8s.io/mutatingwebhookconfigurations",
        "UPDATE admissionregistration.k8s.io/mutatingwebhookconfigurations",
        "CREATE admissionregistration.k8s.io/validatingwebhookconfigurations",
        "UPDATE admissionregistration.k8s.io/validatingwebhookconfigurations",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(rules, expected);
}

#[test]
fn label_selected_namespaces_and_cert_manager() {
    let config = WebhookConfig {
        namespace_labels: [("emrguard.io/emr".to_owned(), "true".to_owned())].into(),
        ..WebhookConfig::default()
    };
    let docs = documents(&render(&options(config, None)).unwrap());
    let vwc: ValidatingWebhookConfiguration =
        typed(by_kind(&docs, "ValidatingWebhookConfiguration")[0]);
    let annotations = vwc.metadata.annotations.unwrap();
    assert_eq!(
        annotations["cert-manager.io/inject-ca-from"],
        "emrguard/emrguard-webhook"
    );
    let webhooks = vwc.webhooks.unwrap();
    let labelled = webhooks
        .iter()
        .find(|w| w.name.starts_with("labelled-namespaces."))
        .unwrap();
    let labels = labelled
        .namespace_selector
        .clone()
        .unwrap()
        .match_labels
        .unwrap();
    assert_eq!(labels["emrguard.io/emr"], "true");
    assert!(webhooks.iter().all(|w| w.client_config.ca_bundle.is_none()));
    let cluster = webhooks
        .iter()
        .find(|w| w.name.starts_with("cluster."))
        .unwrap();
    assert!(cluster.namespace_selector.is_none());
}

#[test]
fn unsafe_settings_are_refused() {
    let mut one = options(named_config(), None);
    one.replicas = 1;
    assert!(matches!(render(&one), Err(ManifestError::TooFewReplicas)));
    let none = options(WebhookConfig::default(), None);
    assert!(matches!(render(&none), Err(ManifestError::NoNamespaces)));
    let mut inside = options(named_config(), None);
    inside.namespace = "emr-a".into();
    assert!(matches!(
        render(&inside),
        Err(ManifestError::InEmrNamespace(_))
    ));
}
