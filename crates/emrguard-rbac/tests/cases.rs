//! Data-driven engine tests: every `tests/cases/*.yaml` file holds snapshot objects (in
//! kubectl's format), optional aws-auth mappings and access entries, and queries with the
//! answer kube-apiserver (and EKS) would give. Adding a case needs no Rust code.
//!
//! File format:
//! ```yaml
//! note: what the file checks, and its source
//! objects: [ ...Kubernetes objects as `kubectl get -o yaml` prints them... ]
//! aws_auth: { map_roles: [{arn, username, groups}], map_users: [...], map_accounts: [...] }
//! access_entries: [{principalArn, kubernetesGroups, username, type, policies: [{policyArn, accessScope}]}]
//! authentication_mode: API | CONFIG_MAP | API_AND_CONFIG_MAP
//! diagnostics: [missing-role, ...]          # exact, sorted kinds of RbacIndex::diagnostics()
//! cases:
//!   - can_i: {as: USER, groups: [..], as_arn: ARN, verb, resource, namespace, name}
//!     want: yes | no
//!     grants: ["RoleBinding ns/rb -> Role ns/r rule 0", ...]   # exact, optional
//!     unresolved: [missing-role]                                 # exact, optional
//!   - who_can: {verb, resource, namespace, name, any_namespace}
//!     want: ["User alice", "ServiceAccount ns/sa", ...]          # exact subject list
//!   - capabilities: {as, groups, as_arn, subject: "ServiceAccount ns/sa", namespace}
//!     want: ["exec-into-pods ns [*]", "intercept-admission cluster [*]", ...]  # exact
//! ```

use std::path::{Path, PathBuf};

use emrguard_model::aws::{AccessConfig, AccessEntry, AssociatedAccessPolicy, EksCluster};
use emrguard_model::inventory::AwsAuth;
use emrguard_model::k8s::{
    ConfigMap, Namespace, Node, Pod, PodTemplateSpec, Role, RoleBinding, Secret, ServiceAccount,
    WebhookConfiguration, WebhookKind, Workload, WorkloadKind,
};
use emrguard_model::Inventory;
use emrguard_rbac::{Identity, RbacIndex, Request, SubjectKind, SubjectRef};
use serde::Deserialize;
use serde_yaml_ng::Value;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    note: String,
    #[serde(default)]
    objects: Vec<Value>,
    #[serde(default)]
    aws_auth: Option<AwsAuth>,
    #[serde(default)]
    access_entries: Vec<EntryInput>,
    #[serde(default)]
    authentication_mode: Option<String>,
    #[serde(default)]
    diagnostics: Option<Vec<String>>,
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct EntryInput {
    principal_arn: String,
    #[serde(default)]
    kubernetes_groups: Vec<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default, rename = "type")]
    entry_type: Option<String>,
    #[serde(default)]
    policies: Vec<AssociatedAccessPolicy>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    can_i: Option<Query>,
    #[serde(default)]
    who_can: Option<Query>,
    #[serde(default)]
    capabilities: Option<Query>,
    want: Value,
    #[serde(default)]
    grants: Option<Vec<String>>,
    #[serde(default)]
    unresolved: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Query {
    #[serde(default, rename = "as")]
    as_user: Option<String>,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    as_arn: Option<String>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    verb: String,
    #[serde(default)]
    resource: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    any_namespace: bool,
}

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases")
}

fn object<T: serde::de::DeserializeOwned>(value: &Value) -> Result<T, String> {
    serde_yaml_ng::from_value(value.clone()).map_err(|e| e.to_string())
}

fn inventory(file: &CaseFile) -> Result<Inventory, String> {
    let mut inv = Inventory::default();
    for value in &file.objects {
        let kind = value
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default();
        match kind {
            "Role" => inv.roles.push(object::<Role>(value)?),
            "ClusterRole" => inv.cluster_roles.push(object::<Role>(value)?),
            "RoleBinding" => inv.role_bindings.push(object::<RoleBinding>(value)?),
            "ClusterRoleBinding" => inv
                .cluster_role_bindings
                .push(object::<RoleBinding>(value)?),
            "ServiceAccount" => inv.service_accounts.push(object::<ServiceAccount>(value)?),
            "Pod" => inv.pods.push(object::<Pod>(value)?),
            "Secret" => inv.secrets.push(object::<Secret>(value)?),
            "ConfigMap" => inv.config_maps.push(object::<ConfigMap>(value)?),
            "Namespace" => inv.namespaces.push(object::<Namespace>(value)?),
            "Node" => inv.nodes.push(object::<Node>(value)?),
            "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration" => {
                let mut w = object::<WebhookConfiguration>(value)?;
                w.kind = if kind.starts_with("Mutating") {
                    WebhookKind::Mutating
                } else {
                    WebhookKind::Validating
                };
                inv.webhook_configurations.push(w);
            }
            other => {
                let Some(workload_kind) = WorkloadKind::from_kind(other) else {
                    return Err(format!("unsupported kind `{other}` in case file"));
                };
                let metadata = object(value.get("metadata").unwrap_or(&Value::Null))?;
                let template: PodTemplateSpec = value
                    .get("spec")
                    .and_then(|s| s.get("template"))
                    .map(object)
                    .transpose()?
                    .unwrap_or_default();
                inv.workloads.push(Workload {
                    kind: workload_kind,
                    metadata,
                    template,
                    source: Default::default(),
                });
            }
        }
    }
    inv.aws_auth = file.aws_auth.clone();
    for e in &file.access_entries {
        inv.access_entries.push(AccessEntry {
            principal_arn: e.principal_arn.clone(),
            kubernetes_groups: e.kubernetes_groups.clone(),
            username: e.username.clone(),
            entry_type: e.entry_type.clone(),
            described: true,
            access_policies: e.policies.clone(),
            ..AccessEntry::default()
        });
    }
    if let Some(mode) = &file.authentication_mode {
        inv.clusters.push(EksCluster {
            name: "test".into(),
            arn: "arn:aws:eks:us-west-2:111122223333:cluster/test".into(),
            access_config: Some(AccessConfig {
                authentication_mode: Some(mode.clone()),
                bootstrap_cluster_creator_admin_permissions: None,
            }),
            ..EksCluster::default()
        });
    }
    inv.finalize();
    Ok(inv)
}

fn parse_subject(text: &str) -> Result<SubjectRef, String> {
    let (kind, rest) = text
        .split_once(' ')
        .ok_or_else(|| format!("subject `{text}` is not `KIND NAME`"))?;
    let kind = match kind {
        "User" => SubjectKind::User,
        "Group" => SubjectKind::Group,
        "ServiceAccount" => SubjectKind::ServiceAccount,
        "AccessEntry" => SubjectKind::AccessEntry,
        other => return Err(format!("unknown subject kind `{other}`")),
    };
    Ok(match (kind, rest.split_once('/')) {
        (SubjectKind::ServiceAccount, Some((ns, name))) => SubjectRef::new(kind, name, Some(ns)),
        _ => SubjectRef::new(kind, rest, None),
    })
}

fn identity(index: &RbacIndex, inv: &Inventory, q: &Query) -> Result<Option<Identity>, String> {
    if let Some(arn) = &q.as_arn {
        return Ok(Identity::from_iam_arn(inv, arn));
    }
    if let Some(subject) = &q.subject {
        return Ok(index.identity_for(&parse_subject(subject)?));
    }
    let user = q
        .as_user
        .as_deref()
        .ok_or("query needs `as`, `as_arn` or `subject`")?;
    Ok(Some(Identity::impersonate(user, &q.groups)))
}

fn request(q: &Query) -> Result<Request, String> {
    Request::parse_kubectl(
        &q.verb,
        &q.resource,
        q.namespace.as_deref(),
        q.name.as_deref(),
    )
    .map(|p| p.request)
    .map_err(|e| e.to_string())
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_sequence()
        .map(|s| {
            s.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn run_case(index: &RbacIndex, inv: &Inventory, case: &Case) -> Result<(), String> {
    if let Some(q) = &case.can_i {
        let req = request(q)?;
        let want = match case.want.as_str() {
            Some("yes") => true,
            Some("no") => false,
            _ => return Err("can_i wants `yes` or `no`".into()),
        };
        let Some(id) = identity(index, inv, q)? else {
            return if want {
                Err("identity does not authenticate, but `yes` was expected".into())
            } else {
                Ok(())
            };
        };
        let decision = index.authorize(&id, &req);
        if decision.allowed != want {
            return Err(format!(
                "{id} {req}: got {}, want {}; grants: {:?}",
                if decision.allowed { "yes" } else { "no" },
                if want { "yes" } else { "no" },
                decision
                    .grants
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
            ));
        }
        if let Some(grants) = &case.grants {
            let got: Vec<String> = decision.grants.iter().map(ToString::to_string).collect();
            if &got != grants {
                return Err(format!("{id} {req}: grants {got:?}, want {grants:?}"));
            }
        }
        if let Some(unresolved) = &case.unresolved {
            let got: Vec<String> = decision
                .unresolved
                .iter()
                .map(|d| kebab(&format!("{:?}", d.kind)))
                .collect();
            if &got != unresolved {
                return Err(format!("{req}: unresolved {got:?}, want {unresolved:?}"));
            }
        }
        return Ok(());
    }
    if let Some(q) = &case.who_can {
        let req = request(q)?;
        let result = if q.any_namespace {
            index.who_can_any_namespace(&req)
        } else {
            index.who_can(&req)
        };
        let got: Vec<String> = result.iter().map(|s| s.subject.to_string()).collect();
        let want = strings(&case.want);
        if got != want {
            return Err(format!("who-can {req}: got {got:?}, want {want:?}"));
        }
        return Ok(());
    }
    if let Some(q) = &case.capabilities {
        let Some(id) = identity(index, inv, q)? else {
            return Err("identity does not authenticate".into());
        };
        let ns = q.namespace.as_deref().unwrap_or_default();
        let got: Vec<String> = index
            .capabilities(&id, ns)
            .iter()
            .map(|c| {
                format!(
                    "{} {} [{}]",
                    c.kind,
                    c.namespace.as_deref().unwrap_or("cluster"),
                    c.targets.join(", ")
                )
            })
            .collect();
        let want = strings(&case.want);
        if got != want {
            return Err(format!(
                "capabilities of {id} in {ns}: got {got:?}, want {want:?}"
            ));
        }
        return Ok(());
    }
    Err("a case needs can_i, who_can or capabilities".into())
}

fn kebab(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn run_file(path: &Path) -> Vec<String> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return vec![format!("{name}: {e}")],
    };
    let file: CaseFile = match serde_yaml_ng::from_str(&text) {
        Ok(f) => f,
        Err(e) => return vec![format!("{name}: {e}")],
    };
    let inv = match inventory(&file) {
        Ok(i) => i,
        Err(e) => return vec![format!("{name}: {e}")],
    };
    let index = RbacIndex::build(&inv);
    let mut failures = Vec::new();
    if let Some(want) = &file.diagnostics {
        let got: Vec<String> = index
            .diagnostics()
            .iter()
            .map(|d| kebab(&format!("{:?}", d.kind)))
            .collect();
        if &got != want {
            failures.push(format!("{name}: diagnostics {got:?}, want {want:?}"));
        }
    }
    for (i, case) in file.cases.iter().enumerate() {
        if let Err(e) = run_case(&index, &inv, case) {
            failures.push(format!(
                "{name} case {i} ({}): {e}\n    file note: {}",
                case.note.as_deref().unwrap_or("-"),
                file.note.trim()
            ));
        }
    }
    failures
}

#[test]
fn rbac_cases() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "yaml"));
    files.sort();
    assert!(
        files.len() >= 20,
        "expected the case files, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    for file in &files {
        failures.extend(run_file(file));
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
