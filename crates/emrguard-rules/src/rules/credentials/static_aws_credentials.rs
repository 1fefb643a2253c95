//! CRED004: static AWS access keys in pods, workloads, EMR job configuration or ConfigMaps.
//!
//! Secret values are never copied into findings: messages and evidence name the variable or
//! property, and show at most the first four characters of an access key id (`AKIA…`).

use emrguard_model::hash::HashSet;
use std::sync::LazyLock;

use emrguard_model::k8s::{ObjectMeta, PodSpec};
use emrguard_model::Inventory;
use regex::Regex;

use crate::context::CheckContext;
use crate::finding::{Evidence, Finding, Remediation, ResourceRef, Severity};
use crate::registry::Rule;
use crate::rules::job_config::{emr_objects, EmrObjectKind};

crate::declare_rule! {
    /// ## What it does
    /// Finds static AWS credentials:
    /// - container environment variables `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
    ///   `AWS_SESSION_TOKEN` of pods and workloads, with a literal value or one taken from a
    ///   ConfigMap; taken from a Secret (`secretKeyRef`, or `envFrom` a Secret holding those
    ///   keys) they are reported at lower severity, since the value itself is not read;
    /// - Spark and Hadoop properties of job runs, job templates and managed endpoints
    ///   (`configurationOverrides` and `--conf` in the driver parameters):
    ///   `spark.hadoop.fs.s3a.access.key` / `secret.key` / `session.token` (and per-bucket
    ///   forms), `fs.s3.awsAccessKeyId` / `awsSecretAccessKey`, `spark.executorEnv.AWS_*`,
    ///   `spark.kubernetes.driverEnv.AWS_*`, and `AWS_*` in `spark-env` exports;
    /// - ConfigMap values holding an access key id (`AKIA`/`ASIA` and 16 characters) or
    ///   setting one of the properties above.
    ///
    /// ## Why is this bad?
    /// EMR on EKS jobs get short-lived credentials from their execution role through IRSA or
    /// EKS Pod Identity. A static key never expires, is readable by anyone who can read the
    /// job, pod or ConfigMap (and by every tenant who can exec into the pod), and bypasses the
    /// execution-role model entirely.
    ///
    /// ## Example
    /// ```json
    /// {"classification": "spark-defaults",
    ///  "properties": {"spark.hadoop.fs.s3a.access.key": "AKIA...", "spark.hadoop.fs.s3a.secret.key": "..."}}
    /// ```
    ///
    /// ## Remediation
    /// Remove the keys, grant the access through the job's execution role (or the workload's
    /// IRSA role), and deactivate and delete the exposed access key in IAM.
    ///
    /// ## References
    /// - Amazon EMR on EKS security best practices: "Limit pod credential access"
    /// - Amazon EKS User Guide: IAM roles for service accounts
    /// - AWS IAM User Guide: Managing access keys (rotating and deleting)
    pub struct StaticAwsCredentials {
        code: "CRED004",
        name: "static-aws-credentials",
        summary: "static AWS access keys in pods, workloads, EMR job configuration or ConfigMaps",
        practice: PodCredentialAccess,
        severity: Critical,
        requires: [],
    }
}

/// What part of a credential a key holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Credential {
    AccessKeyId,
    SecretAccessKey,
    SessionToken,
}

const AWS_ENV: [(&str, Credential); 3] = [
    ("AWS_ACCESS_KEY_ID", Credential::AccessKeyId),
    ("AWS_SECRET_ACCESS_KEY", Credential::SecretAccessKey),
    ("AWS_SESSION_TOKEN", Credential::SessionToken),
];

/// An access key id: `AKIA` (long-term) or `ASIA` (temporary) and 16 more characters.
static ACCESS_KEY_ID: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b").ok());

fn contains_access_key_id(text: &str) -> Option<&'static str> {
    let m = ACCESS_KEY_ID.as_ref()?.find(text)?;
    Some(if m.as_str().starts_with("ASIA") {
        "ASIA…"
    } else {
        "AKIA…"
    })
}

/// The name of an environment variable that carries a credential.
fn credential_env(name: &str) -> Option<Credential> {
    AWS_ENV.iter().find(|(v, _)| *v == name).map(|(_, c)| *c)
}

/// Whether a configuration or file key sets a credential.
fn credential_property(key: &str) -> Option<Credential> {
    let key = key.trim();
    for (var, c) in AWS_ENV {
        // `spark-env` exports, credentials files, and spark.*Env.AWS_* properties.
        let env_suffix = key
            .strip_suffix(var)
            .is_some_and(|head| head.starts_with("spark.") && head.ends_with('.'));
        if key == var || key.eq_ignore_ascii_case(var) || env_suffix {
            return Some(c);
        }
    }
    let hadoop = key.strip_prefix("spark.hadoop.").unwrap_or(key);
    match hadoop {
        "fs.s3a.access.key" | "fs.s3.awsAccessKeyId" | "fs.s3n.awsAccessKeyId" => {
            Some(Credential::AccessKeyId)
        }
        "fs.s3a.secret.key" | "fs.s3.awsSecretAccessKey" | "fs.s3n.awsSecretAccessKey" => {
            Some(Credential::SecretAccessKey)
        }
        "fs.s3a.session.token" => Some(Credential::SessionToken),
        other => {
            let per_bucket = other.strip_prefix("fs.s3a.bucket.")?;
            if per_bucket.ends_with(".access.key") {
                Some(Credential::AccessKeyId)
            } else if per_bucket.ends_with(".secret.key") {
                Some(Credential::SecretAccessKey)
            } else if per_bucket.ends_with(".session.token") {
                Some(Credential::SessionToken)
            } else {
                None
            }
        }
    }
}

/// `` (`AKIA…`)`` when the value is an access key id: never more of it.
fn hint(credential: Credential, value: &str) -> String {
    match contains_access_key_id(value) {
        Some(prefix) if credential == Credential::AccessKeyId => format!(" (`{prefix}`)"),
        _ => String::new(),
    }
}

/// Lines of a file-like ConfigMap value that set a credential (`key=value`, `key value`,
/// `key: value`, `export KEY=value`), by key name.
fn credential_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let Some((key, value)) =
            line.split_once(|c: char| c == '=' || c == ':' || c.is_whitespace())
        else {
            continue;
        };
        let value = value
            .trim()
            .trim_matches(|c| c == '"' || c == '\'' || c == '=' || c == ':')
            .trim();
        if credential_property(key).is_some()
            && !value.is_empty()
            && !out.iter().any(|k| k == key.trim())
        {
            out.push(key.trim().to_owned());
        }
    }
    out
}

/// One place a pod spec takes a credential from.
struct EnvHit {
    container: String,
    variable: String,
    /// `None` for a literal value; otherwise the source.
    from: EnvSource,
}

enum EnvSource {
    Literal(String),
    ConfigMap { name: String, key: String },
    Secret { name: String, key: String },
}

fn env_hits(spec: &PodSpec, namespace: &str, inventory: &Inventory) -> Vec<EnvHit> {
    let mut out = Vec::new();
    for c in spec.all_containers() {
        for env in &c.env {
            let Some(credential) = credential_env(&env.name) else {
                continue;
            };
            let from = if let Some(v) = env.value.as_deref().filter(|v| !v.trim().is_empty()) {
                EnvSource::Literal(hint(credential, v))
            } else if let Some(r) = env
                .value_from
                .as_ref()
                .and_then(|f| f.config_map_key_ref.as_ref())
            {
                EnvSource::ConfigMap {
                    name: r.name.to_string(),
                    key: r.key.to_string(),
                }
            } else if let Some(r) = env
                .value_from
                .as_ref()
                .and_then(|f| f.secret_key_ref.as_ref())
            {
                EnvSource::Secret {
                    name: r.name.to_string(),
                    key: r.key.to_string(),
                }
            } else {
                continue;
            };
            out.push(EnvHit {
                container: c.name.to_string(),
                variable: env.name.to_string(),
                from,
            });
        }
        for from in &c.env_from {
            if let Some(secret) = from.secret_ref.as_ref() {
                let keys = inventory
                    .secrets
                    .iter()
                    .find(|s| {
                        s.metadata.name == secret.name
                            && s.metadata.namespace.as_deref() == Some(namespace)
                    })
                    .map(|s| s.keys.clone())
                    .unwrap_or_default();
                for key in keys.iter().filter(|k| credential_env(k).is_some()) {
                    out.push(EnvHit {
                        container: c.name.to_string(),
                        variable: key.clone(),
                        from: EnvSource::Secret {
                            name: secret.name.to_string(),
                            key: key.clone(),
                        },
                    });
                }
            }
            if let Some(cm) = from.config_map_ref.as_ref() {
                let data = inventory
                    .config_maps
                    .iter()
                    .find(|m| {
                        m.metadata.name == cm.name
                            && m.metadata.namespace.as_deref() == Some(namespace)
                    })
                    .map(|m| &m.data);
                for (key, value) in data.into_iter().flatten() {
                    if credential_env(key).is_some() && !value.trim().is_empty() {
                        out.push(EnvHit {
                            container: c.name.to_string(),
                            variable: key.to_string(),
                            from: EnvSource::ConfigMap {
                                name: cm.name.to_string(),
                                key: key.to_string(),
                            },
                        });
                    }
                }
            }
        }
    }
    out
}

/// The workloads of the inventory as `(kind, namespace, name)`, for
/// [`controlled_by_listed_workload`] (a set: a snapshot has thousands of pods and workloads).
fn listed_workloads(inventory: &Inventory) -> HashSet<(&str, Option<&str>, &str)> {
    inventory
        .workloads
        .iter()
        .map(|w| {
            (
                w.kind.as_str(),
                w.metadata.namespace.as_deref(),
                w.metadata.name.as_str(),
            )
        })
        .collect()
}

/// Whether the object is managed by a controller that is itself in the inventory (that
/// controller is reported instead).
fn controlled_by_listed_workload(
    meta: &ObjectMeta,
    listed: &HashSet<(&str, Option<&str>, &str)>,
) -> bool {
    meta.owner_references.iter().any(|o| {
        o.controller == Some(true)
            && listed.contains(&(o.kind.as_str(), meta.namespace.as_deref(), o.name.as_str()))
    })
}

fn remove_keys_fix(kind: &str, ns: &str, name: &str, sa: &str, account: &str) -> Remediation {
    let annotate = format!(
        "kubectl annotate serviceaccount -n {ns} {sa} eks.amazonaws.com/role-arn=arn:aws:iam::{account}:role/ROLE"
    );
    // A pod's environment cannot be changed in place: it is recreated from a fixed manifest.
    let (description, command) = if kind == "pod" {
        (
            "Give the service account a role, then recreate the pod from a manifest without the variables",
            format!("{annotate}\nkubectl delete pod -n {ns} {name}\nkubectl apply -f POD_MANIFEST_WITHOUT_KEYS.yaml"),
        )
    } else {
        (
            "Remove the variables and use the service account's role",
            format!(
                "kubectl set env {kind}/{name} -n {ns} AWS_ACCESS_KEY_ID- AWS_SECRET_ACCESS_KEY- AWS_SESSION_TOKEN-\n{annotate}"
            ),
        )
    };
    Remediation::summary(
        "Remove the static keys, give the workload an IRSA role (or a Pod Identity association), and deactivate the exposed access key.",
    )
    .fix(description, "shell", command)
    .fix(
        "Deactivate, then delete, the exposed access key",
        "shell",
        "aws iam update-access-key --user-name IAM_USER --access-key-id ACCESS_KEY_ID --status Inactive\naws iam delete-access-key --user-name IAM_USER --access-key-id ACCESS_KEY_ID",
    )
}

impl StaticAwsCredentials {
    fn pod_spec_finding(
        cx: &CheckContext<'_>,
        kind: &str,
        meta: &ObjectMeta,
        spec: &PodSpec,
        resource: ResourceRef,
        out: &mut Vec<Finding>,
    ) {
        let ns = meta.namespace.as_deref().unwrap_or("default");
        // Messages say "pod" as other rules do, and name workloads by their kind.
        let kind = if kind == "Pod" { "pod" } else { kind };
        let hits = env_hits(spec, ns, cx.inventory);
        if hits.is_empty() {
            return;
        }
        let plaintext = hits
            .iter()
            .any(|h| !matches!(h.from, EnvSource::Secret { .. }));
        let mut vars: Vec<&str> = hits.iter().map(|h| h.variable.as_str()).collect();
        vars.sort_unstable();
        vars.dedup();
        let vars = vars.join("`, `");
        let message = if plaintext {
            format!(
                "{kind} `{ns}/{}` sets static AWS credentials `{vars}` in plain text",
                meta.name
            )
        } else {
            let secrets: Vec<String> = hits
                .iter()
                .filter_map(|h| match &h.from {
                    EnvSource::Secret { name, .. } => Some(format!("`{name}`")),
                    _ => None,
                })
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            format!(
                "{kind} `{ns}/{}` takes static AWS credentials `{vars}` from Secret {} (lower confidence: the Secret's values are not read)",
                meta.name,
                secrets.join(", ")
            )
        };
        let mut finding = Self::META.finding(message).resource(resource.clone());
        for h in &hits {
            let text = match &h.from {
                EnvSource::Literal(hint) => format!(
                    "container `{}` sets `{}` to a literal value{hint}",
                    h.container, h.variable
                ),
                EnvSource::ConfigMap { name, key } => format!(
                    "container `{}` takes `{}` from ConfigMap `{name}` key `{key}`, stored in plain text",
                    h.container, h.variable
                ),
                EnvSource::Secret { name, key } => format!(
                    "container `{}` takes `{}` from Secret `{name}` key `{key}`",
                    h.container, h.variable
                ),
            };
            finding = finding
                .evidence(Evidence::about(text, resource.clone()).with_detail(h.variable.clone()));
        }
        let workload_kind = kind.to_lowercase();
        let mut built = finding
            .evidence(Evidence::text(
                "static keys never expire and bypass IRSA / Pod Identity credentials",
            ))
            .remediation(remove_keys_fix(
                &workload_kind,
                ns,
                &meta.name,
                spec.service_account(),
                cx.account_id(),
            ))
            .build();
        if !plaintext {
            built.severity = Severity::High;
        }
        out.push(built);
    }
}

impl Rule for StaticAwsCredentials {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let inventory = cx.inventory;
        let listed = listed_workloads(inventory);
        for pod in &inventory.pods {
            if controlled_by_listed_workload(&pod.metadata, &listed) {
                continue;
            }
            let ns = pod.metadata.namespace.as_deref();
            let r = ResourceRef::k8s("Pod", ns, &pod.metadata.name).at(&pod.source);
            Self::pod_spec_finding(cx, "Pod", &pod.metadata, &pod.spec, r, out);
        }
        for w in &inventory.workloads {
            if controlled_by_listed_workload(&w.metadata, &listed) {
                continue;
            }
            let ns = w.metadata.namespace.as_deref();
            let kind = w.kind.as_str();
            let r = ResourceRef::k8s(kind, ns, &w.metadata.name).at(&w.source);
            Self::pod_spec_finding(cx, kind, &w.metadata, &w.template.spec, r, out);
        }
        for object in emr_objects(inventory) {
            let hits: Vec<_> = object
                .properties()
                .into_iter()
                .filter_map(|p| {
                    let c = credential_property(&p.key)?;
                    (!p.value.trim().is_empty()).then_some((c, p))
                })
                .collect();
            if hits.is_empty() {
                continue;
            }
            let resource = object.resource();
            let mut keys: Vec<&str> = hits.iter().map(|(_, p)| p.key.as_str()).collect();
            keys.dedup();
            let mut finding = Self::META
                .finding(format!(
                    "{} sets static AWS credentials in `{}`",
                    object.describe(),
                    keys.join("`, `")
                ))
                .resource(resource.clone());
            for (c, p) in &hits {
                finding = finding.evidence(
                    Evidence::about(
                        format!("`{}` is set in {}{}", p.key, p.origin, hint(*c, &p.value)),
                        resource.clone(),
                    )
                    .with_detail(p.key.clone()),
                );
            }
            let how = match object.kind {
                EmrObjectKind::JobRun => "Submit the job again without these properties",
                EmrObjectKind::JobTemplate => "Create a new job template without these properties (templates cannot be updated)",
                EmrObjectKind::ManagedEndpoint => "Recreate the endpoint without these properties",
            };
            finding
                .evidence(Evidence::text(
                    "EMR jobs get short-lived credentials from the execution role; static keys never expire and anyone who can describe the job can read them",
                ))
                .remediation(
                    Remediation::summary(
                        "Remove the keys from the configuration, grant the access to the execution role instead, and deactivate the exposed access key.",
                    )
                    .fix(how, "text", format!("remove: {}", keys.join(", ")))
                    .fix(
                        "Deactivate, then delete, the exposed access key",
                        "shell",
                        "aws iam update-access-key --user-name IAM_USER --access-key-id ACCESS_KEY_ID --status Inactive\naws iam delete-access-key --user-name IAM_USER --access-key-id ACCESS_KEY_ID",
                    ),
                )
                .push(out);
        }
        for cm in &inventory.config_maps {
            let ns = cm.metadata.namespace.as_deref().unwrap_or("default");
            let name = cm.metadata.name.as_str();
            let mut found: Vec<(String, String)> = Vec::new();
            for (key, value) in &cm.data {
                if value.trim().is_empty() {
                    continue;
                }
                if let Some(c) = credential_property(key) {
                    found.push((
                        key.to_string(),
                        format!("key `{key}` holds a {}{}", noun(c), hint(c, value)),
                    ));
                    continue;
                }
                for prop in credential_lines(value) {
                    found.push((key.to_string(), format!("key `{key}` sets `{prop}`")));
                }
                if let Some(prefix) = contains_access_key_id(value) {
                    if !found.iter().any(|(k, _)| k == key) {
                        found.push((
                            key.to_string(),
                            format!("key `{key}` contains an access key id (`{prefix}`)"),
                        ));
                    }
                }
            }
            if found.is_empty() {
                continue;
            }
            let r = ResourceRef::k8s("ConfigMap", Some(ns), name).at(&cm.source);
            let mut keys: Vec<&str> = found.iter().map(|(k, _)| k.as_str()).collect();
            keys.dedup();
            let mut finding = Self::META
                .finding(format!(
                    "ConfigMap `{ns}/{name}` holds static AWS credentials in `{}`",
                    keys.join("`, `")
                ))
                .resource(r.clone());
            for (key, text) in &found {
                finding = finding
                    .evidence(Evidence::about(text.clone(), r.clone()).with_detail(key.clone()));
            }
            let patch: Vec<String> = keys
                .iter()
                .map(|k| {
                    format!(
                        "{{\"op\":\"remove\",\"path\":\"/data/{}\"}}",
                        k.replace('~', "~0").replace('/', "~1")
                    )
                })
                .collect();
            finding
                .evidence(Evidence::text(
                    "ConfigMaps are plain text, readable by anyone who can get ConfigMaps in the namespace",
                ))
                .remediation(
                    Remediation::summary(
                        "Remove the keys from the ConfigMap, use the workload's role instead, and deactivate the exposed access key.",
                    )
                    .fix(
                        "Remove the entries (or edit them out with `kubectl edit`)",
                        "shell",
                        format!("kubectl patch configmap {name} -n {ns} --type json -p '[{}]'", patch.join(",")),
                    )
                    .fix(
                        "Deactivate, then delete, the exposed access key",
                        "shell",
                        "aws iam update-access-key --user-name IAM_USER --access-key-id ACCESS_KEY_ID --status Inactive\naws iam delete-access-key --user-name IAM_USER --access-key-id ACCESS_KEY_ID",
                    ),
                )
                .push(out);
        }
    }
}

fn noun(c: Credential) -> &'static str {
    match c {
        Credential::AccessKeyId => "access key id",
        Credential::SecretAccessKey => "secret access key",
        Credential::SessionToken => "session token",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_keys() {
        for (key, want) in [
            (
                "spark.hadoop.fs.s3a.access.key",
                Some(Credential::AccessKeyId),
            ),
            ("fs.s3a.secret.key", Some(Credential::SecretAccessKey)),
            (
                "spark.hadoop.fs.s3a.session.token",
                Some(Credential::SessionToken),
            ),
            (
                "spark.hadoop.fs.s3.awsAccessKeyId",
                Some(Credential::AccessKeyId),
            ),
            (
                "spark.hadoop.fs.s3.awsSecretAccessKey",
                Some(Credential::SecretAccessKey),
            ),
            (
                "spark.hadoop.fs.s3a.bucket.logs.secret.key",
                Some(Credential::SecretAccessKey),
            ),
            (
                "spark.executorEnv.AWS_ACCESS_KEY_ID",
                Some(Credential::AccessKeyId),
            ),
            (
                "spark.kubernetes.driverEnv.AWS_SECRET_ACCESS_KEY",
                Some(Credential::SecretAccessKey),
            ),
            ("AWS_SESSION_TOKEN", Some(Credential::SessionToken)),
            ("aws_secret_access_key", Some(Credential::SecretAccessKey)),
            ("spark.hadoop.fs.s3.customAWSCredentialsProvider", None),
            ("spark.executorEnv.MY_AWS_ACCESS_KEY_ID", None),
            ("spark.kubernetes.container.image", None),
        ] {
            assert_eq!(credential_property(key), want, "{key}");
        }
    }

    #[test]
    fn key_ids_are_found_and_only_their_prefix_is_shown() {
        let text = "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n";
        assert_eq!(contains_access_key_id(text), Some("AKIA…"));
        assert_eq!(
            contains_access_key_id("ASIAIOSFODNN7EXAMPLE"),
            Some("ASIA…")
        );
        assert_eq!(contains_access_key_id("XAKIAIOSFODNN7EXAMPLE"), None);
        assert_eq!(contains_access_key_id("AKIAIOSFODNN7EXAMPL"), None);
        assert_eq!(
            hint(Credential::AccessKeyId, "AKIAIOSFODNN7EXAMPLE"),
            " (`AKIA…`)"
        );
        assert_eq!(
            hint(Credential::SecretAccessKey, "AKIAIOSFODNN7EXAMPLE"),
            ""
        );
    }

    #[test]
    fn file_lines_that_set_credentials() {
        let conf = "spark.executor.instances 2\nspark.hadoop.fs.s3a.secret.key  wJalr\nexport AWS_ACCESS_KEY_ID=AKIA\nspark.hadoop.fs.s3a.access.key=\n";
        assert_eq!(
            credential_lines(conf),
            vec![
                "spark.hadoop.fs.s3a.secret.key".to_owned(),
                "AWS_ACCESS_KEY_ID".to_owned()
            ]
        );
    }
}
