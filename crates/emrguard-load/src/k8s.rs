//! Kubernetes objects: the kind decides the type; Secrets are read without their values.

use std::fmt;

use emrguard_model::inventory::{area, AwsAuth, AwsAuthMapping};
use emrguard_model::k8s::{
    ConfigMap, Namespace, NetworkPolicy, Node, ObjectMeta, OwnerReference, Pod, PodTemplateSpec,
    Role, RoleBinding, Secret, Service, ServiceAccount, StringMap, Text, WebhookConfiguration,
    WebhookKind, Workload, WorkloadKind,
};
use emrguard_model::Source;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor,
};
use serde::Deserialize;

use crate::error::{strip_position, FileError};
use crate::partial::Partial;

/// The annotation `kubectl apply` writes: for a Secret it holds the applied values.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// A Kubernetes object of a kind the audit reads, or the kind of one it does not.
#[derive(Debug)]
pub(crate) enum K8sObject {
    Namespace(Namespace),
    ServiceAccount(ServiceAccount),
    Role(Role),
    ClusterRole(Role),
    RoleBinding(RoleBinding),
    ClusterRoleBinding(RoleBinding),
    ConfigMap(ConfigMap),
    Secret(Secret),
    Pod(Pod),
    Workload(Workload),
    Webhook(WebhookConfiguration),
    Service(Service),
    NetworkPolicy(NetworkPolicy),
    Node(Node),
    /// A kind the audit does not read (`Event`, custom resources, ...).
    Ignored(String),
}

/// Deserializes one object as the type its `kind` names. Unknown kinds are skipped without
/// holding their content.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KindSeed<'k> {
    pub kind: Option<&'k str>,
}

impl<'de> DeserializeSeed<'de> for KindSeed<'_> {
    type Value = K8sObject;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<K8sObject, D::Error> {
        let Some(kind) = self.kind else {
            IgnoredAny::deserialize(d)?;
            return Ok(K8sObject::Ignored("(no kind)".to_owned()));
        };
        Ok(match kind {
            "Namespace" => K8sObject::Namespace(Namespace::deserialize(d)?),
            "ServiceAccount" => K8sObject::ServiceAccount(ServiceAccount::deserialize(d)?),
            "Role" => K8sObject::Role(Role::deserialize(d)?),
            "ClusterRole" => K8sObject::ClusterRole(Role::deserialize(d)?),
            "RoleBinding" => K8sObject::RoleBinding(RoleBinding::deserialize(d)?),
            "ClusterRoleBinding" => K8sObject::ClusterRoleBinding(RoleBinding::deserialize(d)?),
            "ConfigMap" => K8sObject::ConfigMap(ConfigMap::deserialize(d)?),
            "Secret" => K8sObject::Secret(SecretRaw::deserialize(d)?.into_secret()),
            "Pod" => K8sObject::Pod(Pod::deserialize(d)?),
            "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration" => {
                let mut webhook = WebhookConfiguration::deserialize(d)?;
                webhook.kind = if kind.starts_with("Mutating") {
                    WebhookKind::Mutating
                } else {
                    WebhookKind::Validating
                };
                K8sObject::Webhook(webhook)
            }
            "Service" => K8sObject::Service(Service::deserialize(d)?),
            "NetworkPolicy" => K8sObject::NetworkPolicy(NetworkPolicy::deserialize(d)?),
            "Node" => K8sObject::Node(Node::deserialize(d)?),
            other => match WorkloadKind::from_kind(other) {
                Some(workload_kind) => {
                    K8sObject::Workload(WorkloadRaw::deserialize(d)?.into_workload(workload_kind))
                }
                None => {
                    IgnoredAny::deserialize(d)?;
                    K8sObject::Ignored(other.to_owned())
                }
            },
        })
    }
}

/// Just the `kind` of an object (everything else is skipped).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct KindOnly {
    #[serde(default, deserialize_with = "lenient_string")]
    pub kind: Option<String>,
}

/// A string, or `None` for any other value (which is skipped).
pub(crate) fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any value")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_owned()))
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }
    d.deserialize_any(V)
}

fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A workload as kubectl prints it; the pod template is at `spec.template` or, for a CronJob,
/// `spec.jobTemplate.spec.template`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WorkloadRaw {
    metadata: ObjectMeta,
    spec: Option<WorkloadSpecRaw>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct WorkloadSpecRaw {
    template: Option<PodTemplateSpec>,
    job_template: Option<JobTemplateRaw>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct JobTemplateRaw {
    spec: Option<JobSpecRaw>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct JobSpecRaw {
    template: Option<PodTemplateSpec>,
}

impl WorkloadRaw {
    fn into_workload(self, kind: WorkloadKind) -> Workload {
        let spec = self.spec.unwrap_or_default();
        let template = if kind == WorkloadKind::CronJob {
            spec.job_template
                .and_then(|j| j.spec)
                .and_then(|s| s.template)
        } else {
            spec.template
        };
        Workload {
            kind,
            metadata: self.metadata,
            template: template.unwrap_or_default(),
            source: Source::default(),
        }
    }
}

/// A Secret read without its values: `data`/`stringData` keep only key names and the
/// `last-applied-configuration` annotation (which repeats the values) is skipped unread.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SecretRaw {
    metadata: SecretMeta,
    #[serde(rename = "type", deserialize_with = "null_default")]
    secret_type: Option<Text>,
    data: KeyNames,
    #[serde(rename = "stringData")]
    string_data: KeyNames,
}

/// A Secret whose `data` came before its `kind` (as kubectl prints it) and was read first, as
/// key names only: the rest of the object is read from `d`.
pub(crate) fn secret_after_kind<'de, D: Deserializer<'de>>(
    d: D,
    data: KeyNames,
) -> Result<Secret, D::Error> {
    let mut raw = SecretRaw::deserialize(d)?;
    raw.data.0.extend(data.0);
    Ok(raw.into_secret())
}

/// A ConfigMap whose `data` came before its `kind` (as kubectl prints it) and was read first:
/// the rest of the object is read from `d`.
pub(crate) fn config_map_after_kind<'de, D: Deserializer<'de>>(
    d: D,
    data: StringMap,
) -> Result<ConfigMap, D::Error> {
    let mut config_map = ConfigMap::deserialize(d)?;
    config_map.data = data;
    Ok(config_map)
}

impl SecretRaw {
    fn into_secret(self) -> Secret {
        let mut keys = self.data.0;
        keys.extend(self.string_data.0);
        keys.sort();
        keys.dedup();
        let m = self.metadata;
        Secret {
            metadata: ObjectMeta {
                name: m.name,
                namespace: m.namespace,
                labels: m.labels,
                annotations: m.annotations.0,
                uid: m.uid,
                owner_references: m.owner_references,
            },
            secret_type: self.secret_type,
            keys,
            source: Source::default(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct SecretMeta {
    name: Text,
    namespace: Option<Text>,
    #[serde(deserialize_with = "null_default")]
    labels: StringMap,
    annotations: SafeAnnotations,
    uid: Option<Text>,
    #[serde(deserialize_with = "null_default")]
    owner_references: Vec<OwnerReference>,
}

/// Annotations without `last-applied-configuration`, whose value is skipped unread.
#[derive(Debug, Default)]
struct SafeAnnotations(StringMap);

impl<'de> Deserialize<'de> for SafeAnnotations {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SafeAnnotations;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of annotations")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(SafeAnnotations::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = StringMap::new();
                while let Some(key) = map.next_key::<Text>()? {
                    if key == LAST_APPLIED {
                        map.next_value::<IgnoredAny>()?;
                    } else {
                        let value = map.next_value::<Text>()?;
                        out.insert(key, value);
                    }
                }
                Ok(SafeAnnotations(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// The key names of a Secret's `data` or `stringData`. Values are skipped unread, and error
/// messages never quote them.
#[derive(Debug, Default)]
pub(crate) struct KeyNames(Vec<String>);

impl<'de> Deserialize<'de> for KeyNames {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        const EXPECTED: &str = "expected a map of key names to values (values are not shown)";
        impl<'de> Visitor<'de> for V {
            type Value = KeyNames;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of key names to values")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(KeyNames::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(KeyNames::default())
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
                KeyNames::deserialize(d)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut keys = Vec::new();
                while let Some(key) = map.next_key::<KeyName>()? {
                    map.next_value::<IgnoredAny>()?;
                    keys.push(key.0);
                }
                Ok(KeyNames(keys))
            }
            // Every other form is an error that must not echo the value.
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Err(E::custom(EXPECTED))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Err(E::custom(EXPECTED))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Err(E::custom(EXPECTED))
            }
            fn visit_i128<E: de::Error>(self, _: i128) -> Result<Self::Value, E> {
                Err(E::custom(EXPECTED))
            }
            fn visit_u128<E: de::Error>(self, _: u128) -> Result<Self::Value, E> {
                Err(E::custom(EXPECTED))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Err(E::custom(EXPECTED))
            }
            fn visit_char<E: de::Error>(self, _: char) -> Result<Self::Value, E> {
                Err(E::custom(EXPECTED))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Err(E::custom(EXPECTED))
            }
            fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Self::Value, E> {
                Err(E::custom(EXPECTED))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Err(de::Error::custom(EXPECTED))
            }
            fn visit_enum<A: de::EnumAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
                Err(de::Error::custom(EXPECTED))
            }
            fn visit_newtype_struct<D2: Deserializer<'de>>(
                self,
                _: D2,
            ) -> Result<Self::Value, D2::Error> {
                Err(de::Error::custom(EXPECTED))
            }
        }
        d.deserialize_any(V)
    }
}

/// A map key as text (YAML allows numbers and booleans as keys).
struct KeyName(String);

impl<'de> Deserialize<'de> for KeyName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = KeyName;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(KeyName(v.to_owned()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(KeyName(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(KeyName(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(KeyName(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(KeyName(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// The data area of a kind.
fn area_of(object: &K8sObject) -> Option<&'static str> {
    Some(match object {
        K8sObject::Namespace(_) => area::NAMESPACES,
        K8sObject::ServiceAccount(_) => area::SERVICE_ACCOUNTS,
        K8sObject::Role(_)
        | K8sObject::ClusterRole(_)
        | K8sObject::RoleBinding(_)
        | K8sObject::ClusterRoleBinding(_) => area::RBAC,
        K8sObject::ConfigMap(_) => area::CONFIG_MAPS,
        K8sObject::Secret(_) => area::SECRETS,
        K8sObject::Pod(_) => area::PODS,
        K8sObject::Workload(_) => area::WORKLOADS,
        K8sObject::Webhook(_) => area::WEBHOOKS,
        K8sObject::Service(_) => area::SERVICES,
        K8sObject::NetworkPolicy(_) => area::NETWORK_POLICIES,
        K8sObject::Node(_) => area::NODES,
        K8sObject::Ignored(_) => return None,
    })
}

/// The data area an empty `kind: List` stands for, from its file name (`pods.json`,
/// `k8s/networkpolicies.yaml`): an empty list carries no kind of its own.
pub(crate) fn area_from_file_name(relative: &str) -> Option<&'static str> {
    let name = relative
        .rsplit('/')
        .next()
        .unwrap_or(relative)
        .to_ascii_lowercase();
    let stem = name.split('.').next().unwrap_or_default();
    Some(match stem {
        "namespaces" => area::NAMESPACES,
        "serviceaccounts" => area::SERVICE_ACCOUNTS,
        "roles" | "clusterroles" | "rolebindings" | "clusterrolebindings" => area::RBAC,
        "configmaps" => area::CONFIG_MAPS,
        "secrets" => area::SECRETS,
        "pods" => area::PODS,
        "deployments"
        | "statefulsets"
        | "daemonsets"
        | "replicasets"
        | "jobs"
        | "cronjobs"
        | "replicationcontrollers" => area::WORKLOADS,
        "mutatingwebhookconfigurations" | "validatingwebhookconfigurations" => area::WEBHOOKS,
        "services" => area::SERVICES,
        "networkpolicies" => area::NETWORK_POLICIES,
        "nodes" => area::NODES,
        _ => return None,
    })
}

/// Adds one object to the file's results. `path` is the object's JSON path in the file (for
/// errors in aws-auth).
pub(crate) fn add_object(
    object: K8sObject,
    source: Source,
    item: Option<usize>,
    out: &mut Partial,
) -> Result<(), FileError> {
    if let Some(area) = area_of(&object) {
        out.mark(area);
        out.objects += 1;
    }
    let inv = &mut out.inv;
    match object {
        K8sObject::Namespace(mut o) => {
            o.source = source;
            inv.namespaces.push(o);
        }
        K8sObject::ServiceAccount(mut o) => {
            o.source = source;
            inv.service_accounts.push(o);
        }
        K8sObject::Role(mut o) => {
            o.source = source;
            inv.roles.push(o);
        }
        K8sObject::ClusterRole(mut o) => {
            o.source = source;
            inv.cluster_roles.push(o);
        }
        K8sObject::RoleBinding(mut o) => {
            o.source = source;
            inv.role_bindings.push(o);
        }
        K8sObject::ClusterRoleBinding(mut o) => {
            o.source = source;
            inv.cluster_role_bindings.push(o);
        }
        K8sObject::ConfigMap(mut o) => {
            o.source = source;
            if o.metadata.namespace.as_deref() == Some("kube-system")
                && o.metadata.name == "aws-auth"
            {
                let auth = parse_aws_auth(&o, o.source.clone()).map_err(|e| match item {
                    Some(i) => e.under(&format!("items[{i}]")),
                    None => e,
                })?;
                if inv.aws_auth.is_some() {
                    inv.warnings.push(format!(
                        "{}: a second kube-system/aws-auth ConfigMap in one file; the first is used",
                        o.source
                    ));
                } else {
                    inv.aws_auth = Some(auth);
                    out.mark(area::AWS_AUTH);
                }
            }
            out.inv.config_maps.push(o);
        }
        K8sObject::Secret(mut o) => {
            o.source = source;
            inv.secrets.push(o);
        }
        K8sObject::Pod(mut o) => {
            o.source = source;
            inv.pods.push(o);
        }
        K8sObject::Workload(mut o) => {
            o.source = source;
            inv.workloads.push(o);
        }
        K8sObject::Webhook(mut o) => {
            o.source = source;
            inv.webhook_configurations.push(o);
        }
        K8sObject::Service(mut o) => {
            o.source = source;
            inv.services.push(o);
        }
        K8sObject::NetworkPolicy(mut o) => {
            o.source = source;
            inv.network_policies.push(o);
        }
        K8sObject::Node(mut o) => {
            o.source = source;
            inv.nodes.push(o);
        }
        K8sObject::Ignored(kind) => out.ignore_kind(&kind),
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
struct MapRole {
    rolearn: String,
    #[serde(default)]
    username: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    groups: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct MapUser {
    userarn: String,
    #[serde(default)]
    username: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    groups: Vec<String>,
}

/// Parses the YAML strings of `kube-system/aws-auth`.
pub(crate) fn parse_aws_auth(config_map: &ConfigMap, source: Source) -> Result<AwsAuth, FileError> {
    let map_roles: Vec<MapRole> = parse_aws_auth_field(config_map, "mapRoles")?;
    let map_users: Vec<MapUser> = parse_aws_auth_field(config_map, "mapUsers")?;
    let map_accounts: Vec<String> = parse_aws_auth_field(config_map, "mapAccounts")?;
    Ok(AwsAuth {
        map_roles: map_roles
            .into_iter()
            .map(|r| AwsAuthMapping {
                arn: r.rolearn,
                username: r.username,
                groups: r.groups,
            })
            .collect(),
        map_users: map_users
            .into_iter()
            .map(|u| AwsAuthMapping {
                arn: u.userarn,
                username: u.username,
                groups: u.groups,
            })
            .collect(),
        map_accounts,
        source,
    })
}

fn parse_aws_auth_field<T: DeserializeOwned>(
    config_map: &ConfigMap,
    key: &str,
) -> Result<Vec<T>, FileError> {
    let Some(text) = config_map.data.get(key) else {
        return Ok(Vec::new());
    };
    serde_yaml_ng::from_str::<Option<Vec<T>>>(text)
        .map(Option::unwrap_or_default)
        .map_err(|e| {
            let text = e.to_string();
            let text = text.strip_prefix('.').unwrap_or(&text);
            let message = match e.location() {
                Some(at) => format!(
                    "invalid aws-auth {key} (line {}, column {} of its text): {}",
                    at.line(),
                    at.column(),
                    strip_position(text, at.line(), at.column()),
                ),
                None => format!("invalid aws-auth {key}: {text}"),
            };
            FileError::at_path(
                format!("data.{key}"),
                format!("{message}; expected a YAML list of {}", expected_entry(key)),
            )
        })
}

fn expected_entry(key: &str) -> &'static str {
    match key {
        "mapRoles" => "{rolearn, username, groups}",
        "mapUsers" => "{userarn, username, groups}",
        _ => "account ids",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(json: &str) -> Result<K8sObject, serde_json::Error> {
        KindSeed {
            kind: Some("Secret"),
        }
        .deserialize(&mut serde_json::Deserializer::from_str(json))
    }

    #[test]
    fn secrets_keep_key_names_only() {
        let object = secret(
            r#"{"metadata": {"name": "s", "annotations": {"a": "b",
                "kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{\"k\":\"Q0FOQVJZ\"}}"}},
               "data": {"password": "Q0FOQVJZ"}, "stringData": {"token": "CANARY"}, "type": "Opaque"}"#,
        );
        let Ok(K8sObject::Secret(s)) = object else {
            panic!("not a secret: {object:?}");
        };
        assert_eq!(s.keys, vec!["password".to_owned(), "token".to_owned()]);
        assert_eq!(s.metadata.annotations.len(), 1);
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("CANARY") && !shown.contains("Q0FOQVJZ"),
            "{shown}"
        );
    }

    #[test]
    fn bad_secret_data_is_reported_without_the_value() {
        let error = secret(r#"{"data": "CANARY-VALUE"}"#)
            .err()
            .map(|e| e.to_string());
        assert!(
            error.as_deref().is_some_and(|e| !e.contains("CANARY")),
            "{error:?}"
        );
        assert!(error.is_some_and(|e| e.contains("expected a map of key names")));
    }

    #[test]
    fn cronjob_template_comes_from_the_job_template() {
        let object = KindSeed {
            kind: Some("CronJob"),
        }
        .deserialize(&mut serde_json::Deserializer::from_str(
            r#"{"metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {"template":
                {"spec": {"serviceAccountName": "runner"}}}}}}"#,
        ));
        let Ok(K8sObject::Workload(w)) = object else {
            panic!("not a workload: {object:?}");
        };
        assert_eq!(w.kind, WorkloadKind::CronJob);
        assert_eq!(w.template.spec.service_account(), "runner");
    }

    #[test]
    fn aws_auth_fields() {
        let mut cm = ConfigMap::default();
        cm.data.insert(
            "mapRoles".into(),
            "- rolearn: arn:aws:iam::111122223333:role/nodes\n  username: system:node:{{EC2PrivateDNSName}}\n  groups: [system:bootstrappers, system:nodes]\n".into(),
        );
        cm.data
            .insert("mapAccounts".into(), "- 012345678901\n".into());
        let auth = parse_aws_auth(&cm, Source::default());
        let auth = auth.ok().unwrap_or_default();
        assert_eq!(auth.map_roles.len(), 1);
        assert_eq!(auth.map_roles.first().map(|r| r.groups.len()), Some(2));
        assert_eq!(auth.map_accounts, vec!["012345678901".to_owned()]);
        cm.data
            .insert("mapUsers".into(), "- username: alice\n".into());
        let err = parse_aws_auth(&cm, Source::default()).err();
        assert_eq!(
            err.as_ref().map(|e| e.location.as_str()),
            Some("data.mapUsers")
        );
        assert!(err.is_some_and(|e| e.message.contains("userarn")));
    }

    #[test]
    fn file_name_hints() {
        assert_eq!(
            area_from_file_name("k8s/networkpolicies.json"),
            Some(area::NETWORK_POLICIES)
        );
        assert_eq!(
            area_from_file_name("mutatingwebhookconfigurations.yaml"),
            Some(area::WEBHOOKS)
        );
        assert_eq!(area_from_file_name("misc.json"), None);
    }
}
