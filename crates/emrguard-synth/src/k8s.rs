//! The Kubernetes half of a synthetic snapshot, as `kubectl get -o json|yaml` prints it:
//! cluster-wide lists, and one pods file per namespace.

use serde_json::{json, Map, Value};

use crate::lab::{self, ACCOUNT};
use crate::out::Out;
use crate::rng::Rng;
use crate::world::{AppNamespace, Plant, Tenant, World, EXECUTORS_PER_JOB};
use crate::SynthError;

/// The snapshot's day; objects are created before it.
const DAY: &str = "2025-11-24";
const ECR_EMR: &str = "895885662937.dkr.ecr.us-west-2.amazonaws.com";
/// A digest-pinned custom Spark image, the clean way to use one.
const PINNED_IMAGE_DIGEST: &str =
    "sha256:5e0f4c1a9b7d3e2f8a6c4b0d1e9f7a5c3b1d8e6f4a2c0b9d7e5f3a1c8b6d4e2f";

fn ts(rng: &mut Rng, month: u32) -> String {
    format!(
        "2025-{month:02}-{:02}T{:02}:{:02}:{:02}Z",
        rng.between(1, 28),
        rng.below(24),
        rng.below(60),
        rng.below(60)
    )
}

fn labels(pairs: &[(&str, &str)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
            .collect::<Map<String, Value>>(),
    )
}

/// `metadata` of a namespaced object.
fn meta(rng: &mut Rng, name: &str, namespace: Option<&str>, month: u32) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("name".into(), json!(name));
    if let Some(ns) = namespace {
        m.insert("namespace".into(), json!(ns));
    }
    m.insert("creationTimestamp".into(), json!(ts(rng, month)));
    m.insert("resourceVersion".into(), json!(rng.resource_version()));
    m.insert("uid".into(), json!(rng.uuid()));
    m
}

fn object(api: &str, kind: &str, metadata: Map<String, Value>, rest: Value) -> Value {
    let mut o = Map::new();
    o.insert("apiVersion".into(), json!(api));
    o.insert("kind".into(), json!(kind));
    o.insert("metadata".into(), Value::Object(metadata));
    if let Value::Object(extra) = rest {
        o.extend(extra);
    }
    Value::Object(o)
}

fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> Value {
    json!({"apiGroups": groups, "resources": resources, "verbs": verbs})
}

fn role(rng: &mut Rng, ns: &str, name: &str, rules: Vec<Value>) -> Value {
    object(
        "rbac.authorization.k8s.io/v1",
        "Role",
        meta(rng, name, Some(ns), 6),
        json!({ "rules": rules }),
    )
}

fn binding(
    rng: &mut Rng,
    ns: Option<&str>,
    name: &str,
    role_kind: &str,
    role_name: &str,
    subjects: Vec<Value>,
) -> Value {
    let kind = if ns.is_some() {
        "RoleBinding"
    } else {
        "ClusterRoleBinding"
    };
    object(
        "rbac.authorization.k8s.io/v1",
        kind,
        meta(rng, name, ns, 6),
        json!({
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role_name},
            "subjects": subjects,
        }),
    )
}

fn group(name: &str) -> Value {
    json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": name})
}

fn service_account_subject(ns: &str, name: &str) -> Value {
    json!({"kind": "ServiceAccount", "name": name, "namespace": ns})
}

/// The Role `eksctl create iamidentitymapping --service-name emr-containers` applies.
fn emr_containers_role(rng: &mut Rng, ns: &str) -> Value {
    let all = [
        "get",
        "list",
        "watch",
        "describe",
        "create",
        "edit",
        "delete",
        "deletecollection",
        "annotate",
        "patch",
        "label",
    ];
    let most = [
        "get", "list", "watch", "describe", "create", "edit", "delete", "annotate", "patch",
        "label",
    ];
    role(
        rng,
        ns,
        "emr-containers",
        vec![
            rule(&[""], &["namespaces"], &["get"]),
            rule(
                &[""],
                &[
                    "serviceaccounts",
                    "services",
                    "configmaps",
                    "events",
                    "pods",
                    "pods/log",
                ],
                &all,
            ),
            rule(&[""], &["secrets"], &["create", "patch", "delete", "watch"]),
            rule(&["apps"], &["statefulsets", "deployments"], &most),
            rule(&["batch"], &["jobs"], &most),
            rule(&["extensions", "networking.k8s.io"], &["ingresses"], &most),
            rule(
                &["rbac.authorization.k8s.io"],
                &["roles", "rolebindings"],
                &all,
            ),
            rule(&[""], &["persistentvolumeclaims"], &all),
        ],
    )
}

fn aws_env(role_arn: &str) -> Value {
    json!([
        {"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "regional"},
        {"name": "AWS_DEFAULT_REGION", "value": "us-west-2"},
        {"name": "AWS_REGION", "value": "us-west-2"},
        {"name": "AWS_ROLE_ARN", "value": role_arn},
        {"name": "AWS_WEB_IDENTITY_TOKEN_FILE", "value": "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"},
    ])
}

fn restricted() -> Value {
    json!({
        "allowPrivilegeEscalation": false,
        "capabilities": {"drop": ["ALL"]},
        "privileged": false,
        "readOnlyRootFilesystem": true,
        "runAsGroup": 1000,
        "runAsNonRoot": true,
        "runAsUser": 999,
    })
}

fn token_volume() -> Value {
    json!({
        "name": "aws-iam-token",
        "projected": {"defaultMode": 420, "sources": [{"serviceAccountToken": {
            "audience": "sts.amazonaws.com", "expirationSeconds": 86400, "path": "token"}}]},
    })
}

#[allow(clippy::too_many_arguments)]
fn emr_pod(
    rng: &mut Rng,
    world: &World,
    tenant: &Tenant,
    ns: &str,
    vc: &str,
    job: &str,
    component: &str,
    name: &str,
    owner: Value,
    image: &str,
) -> Value {
    let node = world
        .nodes
        .get(rng.below(world.nodes.len()))
        .map(|n| (n.name.clone(), n.ip.clone()))
        .unwrap_or_default();
    let sa = match component {
        "job.submitter" => tenant.service_account("client"),
        "driver" => tenant.service_account("driver"),
        _ => tenant.service_account("executor"),
    };
    let mut m = meta(rng, name, Some(ns), 11);
    m.insert(
        "labels".into(),
        labels(&[
            ("emr-containers.amazonaws.com/component", component),
            ("emr-containers.amazonaws.com/job.id", job),
            ("emr-containers.amazonaws.com/resource.type", "job.run"),
            ("emr-containers.amazonaws.com/virtual-cluster-id", vc),
        ]),
    );
    m.insert("ownerReferences".into(), json!([owner]));
    let container_name = match component {
        "job.submitter" => "job-runner",
        "driver" => "spark-kubernetes-driver",
        _ => "spark-kubernetes-executor",
    };
    let pod_ip = format!(
        "{}.{}",
        node.1.rsplit_once('.').map_or("10.40.1", |(a, _)| a),
        rng.between(2, 250)
    );
    object(
        "v1",
        "Pod",
        m,
        json!({
            "spec": {
                "containers": [{
                    "env": aws_env(&tenant.role_arn()),
                    "image": image,
                    "imagePullPolicy": "IfNotPresent",
                    "name": container_name,
                    "resources": {"requests": {"cpu": "1", "memory": "4505Mi"}, "limits": {"memory": "4505Mi"}},
                    "securityContext": restricted(),
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                    "volumeMounts": [{"mountPath": "/var/run/secrets/eks.amazonaws.com/serviceaccount", "name": "aws-iam-token", "readOnly": true}],
                }],
                "dnsPolicy": "ClusterFirst",
                "enableServiceLinks": true,
                "nodeName": node.0,
                "restartPolicy": "Never",
                "schedulerName": "default-scheduler",
                "securityContext": {"fsGroup": 65534},
                "serviceAccount": sa,
                "serviceAccountName": sa,
                "terminationGracePeriodSeconds": 30,
                "volumes": [token_volume()],
            },
            "status": {
                "hostIP": node.1,
                "phase": "Running",
                "podIP": pod_ip,
                "qosClass": "Burstable",
                "startTime": format!("{DAY}T09:41:02Z"),
            },
        }),
    )
}

/// Everything the Kubernetes files hold, gathered before writing.
#[derive(Debug, Default)]
struct Lists {
    namespaces: Vec<Value>,
    service_accounts: Vec<Value>,
    rbac: Vec<Value>,
    cluster_rbac: Vec<Value>,
    config_maps: Vec<Value>,
    secrets: Vec<Value>,
    network_policies: Vec<Value>,
    workloads: Vec<Value>,
    nodes: Vec<Value>,
}

fn namespace(rng: &mut Rng, name: &str, annotations: Option<Value>) -> Value {
    let mut m = meta(rng, name, None, 3);
    m.insert(
        "labels".into(),
        labels(&[("kubernetes.io/metadata.name", name)]),
    );
    if let Some(a) = annotations {
        m.insert("annotations".into(), a);
    }
    object(
        "v1",
        "Namespace",
        m,
        json!({"spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}),
    )
}

fn service_account(rng: &mut Rng, ns: &str, name: &str, role_arn: Option<&str>) -> Value {
    let mut m = meta(rng, name, Some(ns), 4);
    if let Some(arn) = role_arn {
        m.insert(
            "annotations".into(),
            json!({"eks.amazonaws.com/role-arn": arn}),
        );
    }
    object("v1", "ServiceAccount", m, json!({}))
}

/// The objects of one EMR namespace of a tenant; pods are written to its own file.
fn emr_namespace(
    rng: &mut Rng,
    world: &World,
    tenant: &Tenant,
    ns_index: usize,
    lists: &mut Lists,
    out: &mut Out,
) -> Result<(), SynthError> {
    let Some(ns) = tenant.namespaces.get(ns_index) else {
        return Ok(());
    };
    let ns = ns.as_str();
    let vc = tenant.vc_ids.get(ns_index).map_or("", String::as_str);
    let first = ns_index == 0;
    let kube2iam = (first && tenant.has(Plant::Kube2iamAnnotation)).then(
        || json!({"iam.amazonaws.com/allowed-roles": format!("[\"{}\"]", tenant.role_arn())}),
    );
    lists.namespaces.push(namespace(rng, ns, kube2iam));

    // Service accounts EMR creates for the role (and for the endpoint's kernels).
    lists
        .service_accounts
        .push(service_account(rng, ns, "default", None));
    let mut components = vec!["client", "driver", "executor"];
    if first && tenant.endpoint.is_some() {
        components.extend(["jeg", "jeg-kernel", "session"]);
    }
    let role_arn = tenant.role_arn();
    let other_arn = world.other_tenant(tenant).role_arn();
    for c in components {
        let mismatch = first && c == "driver" && tenant.has(Plant::ServiceAccountRoleMismatch);
        let arn = if mismatch { &other_arn } else { &role_arn };
        lists.service_accounts.push(service_account(
            rng,
            ns,
            &tenant.service_account(c),
            Some(arn),
        ));
    }

    // EMR's RBAC, the per-job Roles, and the tenant's read-only access.
    lists.rbac.push(emr_containers_role(rng, ns));
    lists.rbac.push(binding(
        rng,
        Some(ns),
        "emr-containers",
        "Role",
        "emr-containers",
        vec![json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "emr-containers"})],
    ));
    let job_verbs = [
        "create",
        "get",
        "list",
        "watch",
        "delete",
        "deletecollection",
        "patch",
    ];
    let job_resources = ["pods", "services", "configmaps", "persistentvolumeclaims"];
    lists.rbac.push(role(
        rng,
        ns,
        "emr-containers-role-spark-client",
        vec![
            rule(&[""], &job_resources, &job_verbs),
            rule(&[""], &["pods/log"], &["get"]),
            rule(&[""], &["events"], &["create", "patch"]),
        ],
    ));
    lists.rbac.push(role(
        rng,
        ns,
        "emr-containers-role-spark-driver",
        vec![
            rule(&[""], &job_resources, &job_verbs),
            rule(&[""], &["events"], &["create", "patch"]),
        ],
    ));
    for c in ["client", "driver"] {
        lists.rbac.push(binding(
            rng,
            Some(ns),
            &format!("emr-containers-rb-spark-{c}-{ACCOUNT}-{}", tenant.role_b36),
            "Role",
            &format!("emr-containers-role-spark-{c}"),
            vec![service_account_subject(ns, &tenant.service_account(c))],
        ));
    }
    let viewer = format!("{}-viewer", tenant.name);
    lists.rbac.push(role(
        rng,
        ns,
        &viewer,
        vec![rule(
            &[""],
            &["pods", "pods/log"],
            &["get", "list", "watch"],
        )],
    ));
    lists.rbac.push(binding(
        rng,
        Some(ns),
        &format!("{viewer}s"),
        "Role",
        &viewer,
        vec![group(&tenant.name)],
    ));
    if first {
        let planted: [(Plant, &str, Value); 5] = [
            (
                Plant::ConfigMapWriter,
                "config-editor",
                rule(
                    &[""],
                    &["configmaps"],
                    &["get", "list", "create", "update", "patch", "delete"],
                ),
            ),
            (
                Plant::PodExec,
                "debugger",
                rule(&[""], &["pods/exec"], &["create", "get"]),
            ),
            (
                Plant::PodCreator,
                "launcher",
                rule(&[""], &["pods"], &["create", "delete"]),
            ),
            (
                Plant::TokenCreator,
                "token-issuer",
                rule(&[""], &["serviceaccounts/token"], &["create"]),
            ),
            (
                Plant::SecretReader,
                "secret-reader",
                rule(&[""], &["secrets"], &["get", "list"]),
            ),
        ];
        for (plant, suffix, r) in planted {
            if tenant.has(plant) {
                let name = format!("{}-{suffix}", tenant.name);
                lists.rbac.push(role(rng, ns, &name, vec![r]));
                lists.rbac.push(binding(
                    rng,
                    Some(ns),
                    &name,
                    "Role",
                    &name,
                    vec![group(&tenant.name)],
                ));
            }
        }
        if tenant.has(Plant::StaticKeysInConfigMap) {
            let mut m = meta(rng, &format!("{}-s3a-config", tenant.name), Some(ns), 8);
            m.insert("labels".into(), labels(&[("app", "legacy-export")]));
            lists.config_maps.push(object(
                "v1",
                "ConfigMap",
                m,
                json!({"data": {"core-site.xml": "<configuration>\n  <property>\n    <name>fs.s3a.access.key</name>\n    <value>AKIAIOSFODNN7EXAMPLE</value>\n  </property>\n  <property>\n    <name>fs.s3a.secret.key</name>\n    <value>wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY</value>\n  </property>\n</configuration>\n"}}),
            ));
        }
    }
    let mut np = meta(rng, "deny-instance-metadata", Some(ns), 3);
    np.insert("generation".into(), json!(1));
    lists.network_policies.push(object(
        "networking.k8s.io/v1",
        "NetworkPolicy",
        np,
        json!({"spec": {
            "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}}]}],
            "podSelector": {},
            "policyTypes": ["Egress"],
        }}),
    ));

    // Running jobs: the Job, its ConfigMap and Secret, and its pods.
    let mut pods = Vec::new();
    let image = format!("{ECR_EMR}/spark/emr-7.12.0:latest");
    let custom = format!(
        "{ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com/{}/spark-jobs@{PINNED_IMAGE_DIGEST}",
        tenant.name
    );
    for job in tenant
        .jobs
        .get(ns_index)
        .into_iter()
        .flatten()
        .filter(|j| j.running)
    {
        let job_uid = rng.uuid();
        let owner_job = json!({"apiVersion": "batch/v1", "blockOwnerDeletion": true,
            "controller": true, "kind": "Job", "name": job.id, "uid": job_uid});
        let mut jm = meta(rng, &job.id, Some(ns), 11);
        jm.insert(
            "labels".into(),
            labels(&[
                ("emr-containers.amazonaws.com/job.id", &job.id),
                ("emr-containers.amazonaws.com/virtual-cluster-id", vc),
            ]),
        );
        jm.insert("uid".into(), json!(job_uid));
        let client_sa = tenant.service_account("client");
        lists.workloads.push(object(
            "batch/v1",
            "Job",
            jm,
            json!({
                "spec": {"backoffLimit": 0, "completions": 1, "parallelism": 1,
                    "template": {"metadata": {"labels": {"emr-containers.amazonaws.com/job.id": job.id}},
                        "spec": {"containers": [{"name": "job-runner", "image": image,
                            "env": aws_env(&role_arn), "securityContext": restricted()}],
                        "restartPolicy": "Never", "serviceAccountName": client_sa}}},
                "status": {"active": 1, "startTime": format!("{DAY}T09:40:19Z")},
            }),
        ));
        let mut cm = meta(rng, &format!("{}-spark-defaults", job.id), Some(ns), 11);
        cm.insert(
            "labels".into(),
            labels(&[
                (
                    "emr-containers.amazonaws.com/job.configuration",
                    "spark-defaults",
                ),
                ("emr-containers.amazonaws.com/job.id", &job.id),
                ("emr-containers.amazonaws.com/virtual-cluster-id", vc),
            ]),
        );
        cm.insert("ownerReferences".into(), json!([owner_job]));
        let conf = format!(
            "spark.kubernetes.driver.podTemplateValidation.enabled true\nspark.kubernetes.executor.podTemplateValidation.enabled true\nspark.kubernetes.container.image {custom}\nspark.kubernetes.namespace {ns}\nspark.authenticate true\nspark.hadoop.fs.s3.customAWSCredentialsProvider com.amazonaws.auth.WebIdentityTokenCredentialsProvider\nspark.master k8s:\\/\\/https:\\/\\/kubernetes.default.svc:443\n"
        );
        lists.config_maps.push(object(
            "v1",
            "ConfigMap",
            cm,
            json!({"data": {"spark-defaults.conf": conf}}),
        ));
        let mut sm = meta(
            rng,
            &format!("emr-containers-s3-{vc}-{}", job.id),
            Some(ns),
            11,
        );
        sm.insert("ownerReferences".into(), json!([owner_job]));
        lists.secrets.push(object(
            "v1",
            "Secret",
            sm,
            json!({"data": {"presigned-post": "eyJ1cmwiOiAiaHR0cHM6Ly9leGFtcGxlLnMzLmFtYXpvbmF3cy5jb20vIn0="}, "type": "Opaque"}),
        ));
        let runner = format!("{}-{}", job.id, rng.base36(5));
        pods.push(emr_pod(
            rng,
            world,
            tenant,
            ns,
            vc,
            &job.id,
            "job.submitter",
            &runner,
            owner_job.clone(),
            &image,
        ));
        let driver = format!("spark-{}-driver", job.id);
        let driver_uid = rng.uuid();
        let mut driver_pod = emr_pod(
            rng, world, tenant, ns, vc, &job.id, "driver", &driver, owner_job, &custom,
        );
        if let Some(m) = driver_pod
            .get_mut("metadata")
            .and_then(Value::as_object_mut)
        {
            m.insert("uid".into(), json!(driver_uid));
            m.remove("ownerReferences");
        }
        pods.push(driver_pod);
        let app = rng.hex(16);
        for e in 1..=EXECUTORS_PER_JOB {
            let owner = json!({"apiVersion": "v1", "controller": true, "kind": "Pod",
                "name": driver, "uid": driver_uid});
            pods.push(emr_pod(
                rng,
                world,
                tenant,
                ns,
                vc,
                &job.id,
                "executor",
                &format!("{}-{app}-exec-{e}", job.name),
                owner,
                &custom,
            ));
        }
    }
    if first && tenant.has(Plant::HostNetworkPod) {
        let node = world
            .nodes
            .first()
            .map(|n| n.name.clone())
            .unwrap_or_default();
        let m = meta(rng, "netdebug", Some(ns), 11);
        pods.push(object(
            "v1",
            "Pod",
            m,
            json!({"spec": {
                "containers": [{"name": "netshoot", "image": "nicolaka/netshoot:v0.13",
                    "command": ["sleep", "infinity"]}],
                "hostNetwork": true,
                "nodeName": node,
                "restartPolicy": "Always",
                "serviceAccountName": "default",
            }, "status": {"phase": "Running"}}),
        ));
    }
    out.k8s_list(&format!("k8s/pods/{ns}.json"), pods)
}

/// The objects of one application namespace; pods are written to its own file.
fn app_namespace(
    rng: &mut Rng,
    world: &World,
    app_ns: &AppNamespace,
    lists: &mut Lists,
    out: &mut Out,
) -> Result<(), SynthError> {
    let ns = app_ns.name.as_str();
    lists.namespaces.push(namespace(rng, ns, None));
    lists
        .service_accounts
        .push(service_account(rng, ns, "default", None));
    let mut pods = Vec::new();
    for (i, app) in app_ns.apps.iter().enumerate() {
        let replicas = app_ns.replicas.get(i).copied().unwrap_or(1);
        // Every other app reaches AWS through its own IRSA role.
        let irsa = (i % 2 == 0).then(|| format!("arn:aws:iam::{ACCOUNT}:role/{ns}-{app}"));
        lists
            .service_accounts
            .push(service_account(rng, ns, app, irsa.as_deref()));
        let sa = service_account_subject(ns, app);
        let purposes: [(String, Value); 3] = [
            (
                app.clone(),
                rule(
                    &[""],
                    &["configmaps", "services", "endpoints"],
                    &["get", "list", "watch"],
                ),
            ),
            (
                format!("{app}-leader-election"),
                rule(
                    &["coordination.k8s.io"],
                    &["leases"],
                    &["get", "create", "update"],
                ),
            ),
            (
                format!("{app}-events"),
                rule(&["", "events.k8s.io"], &["events"], &["create", "patch"]),
            ),
        ];
        for (name, r) in purposes {
            lists.rbac.push(role(rng, ns, &name, vec![r]));
            lists.rbac.push(binding(
                rng,
                Some(ns),
                &name,
                "Role",
                &name,
                vec![sa.clone()],
            ));
        }
        let mut cm = meta(rng, &format!("{app}-config"), Some(ns), 7);
        cm.insert("labels".into(), labels(&[("app.kubernetes.io/name", app)]));
        lists.config_maps.push(object(
            "v1",
            "ConfigMap",
            cm,
            json!({"data": {"LOG_LEVEL": "info", "QUEUE_URL": format!("https://sqs.us-west-2.amazonaws.com/{ACCOUNT}/{ns}-{app}")}}),
        ));
        let mut sec = meta(rng, &format!("{app}-tls"), Some(ns), 7);
        sec.insert("labels".into(), labels(&[("app.kubernetes.io/name", app)]));
        lists.secrets.push(object(
            "v1",
            "Secret",
            sec,
            json!({"data": {"tls.crt": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==", "tls.key": "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCg=="}, "type": "kubernetes.io/tls"}),
        ));
        let image = format!(
            "{ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com/{ns}/{app}:1.{}.{}",
            rng.below(30),
            rng.below(10)
        );
        let mut dm = meta(rng, app, Some(ns), 9);
        dm.insert("labels".into(), labels(&[("app.kubernetes.io/name", app)]));
        dm.insert("generation".into(), json!(3));
        let container = json!({
            "name": app,
            "image": image,
            "imagePullPolicy": "IfNotPresent",
            "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
            "env": [{"name": "LOG_LEVEL", "valueFrom": {"configMapKeyRef": {"name": format!("{app}-config"), "key": "LOG_LEVEL"}}}],
            "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
            "securityContext": restricted(),
        });
        lists.workloads.push(object(
            "apps/v1",
            "Deployment",
            dm,
            json!({
                "spec": {
                    "replicas": replicas,
                    "selector": {"matchLabels": {"app.kubernetes.io/name": app}},
                    "template": {
                        "metadata": {"labels": {"app.kubernetes.io/name": app}},
                        "spec": {"containers": [container.clone()], "serviceAccountName": app},
                    },
                },
                "status": {"availableReplicas": replicas, "readyReplicas": replicas, "replicas": replicas},
            }),
        ));
        let hash = rng.base36(10);
        let rs_uid = rng.uuid();
        for _ in 0..replicas {
            let node = world
                .nodes
                .get(rng.below(world.nodes.len()))
                .map(|n| (n.name.clone(), n.ip.clone()))
                .unwrap_or_default();
            let pod_name = format!("{app}-{hash}-{}", rng.base36(5));
            let mut pm = meta(rng, &pod_name, Some(ns), 11);
            pm.insert(
                "labels".into(),
                labels(&[
                    ("app.kubernetes.io/name", app),
                    ("pod-template-hash", &hash),
                ]),
            );
            pm.insert(
                "ownerReferences".into(),
                json!([{"apiVersion": "apps/v1", "blockOwnerDeletion": true, "controller": true,
                    "kind": "ReplicaSet", "name": format!("{app}-{hash}"), "uid": rs_uid}]),
            );
            let pod_ip = format!(
                "{}.{}",
                node.1.rsplit_once('.').map_or("10.40.1", |(a, _)| a),
                rng.between(2, 250)
            );
            pods.push(object(
                "v1",
                "Pod",
                pm,
                json!({
                    "spec": {
                        "containers": [container.clone()],
                        "dnsPolicy": "ClusterFirst",
                        "nodeName": node.0,
                        "restartPolicy": "Always",
                        "schedulerName": "default-scheduler",
                        "serviceAccount": app,
                        "serviceAccountName": app,
                        "terminationGracePeriodSeconds": 30,
                    },
                    "status": {"hostIP": node.1, "phase": "Running", "podIP": pod_ip, "qosClass": "Burstable"},
                }),
            ));
        }
    }
    lists.rbac.push(binding(
        rng,
        Some(ns),
        "developers",
        "ClusterRole",
        "edit",
        vec![group(&format!("{ns}-developers"))],
    ));
    out.k8s_list(&format!("k8s/pods/{ns}.json"), pods)
}

/// kube-system's DaemonSet pods on the synthetic nodes.
fn system_pods(rng: &mut Rng, world: &World, out: &mut Out) -> Result<(), SynthError> {
    let mut pods = Vec::with_capacity(world.nodes.len() * 2);
    for node in &world.nodes {
        for (ds, image) in [
            ("aws-node", "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.19.2-eksbuild.1"),
            ("kube-proxy", "602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/kube-proxy:v1.31.3-minimal-eksbuild.2"),
        ] {
            let pod_name = format!("{ds}-{}", rng.base36(5));
            let mut m = meta(rng, &pod_name, Some("kube-system"), 11);
            m.insert("labels".into(), labels(&[("k8s-app", ds)]));
            m.insert(
                "ownerReferences".into(),
                json!([{"apiVersion": "apps/v1", "blockOwnerDeletion": true, "controller": true,
                    "kind": "DaemonSet", "name": ds, "uid": "5f1e2d3c-4b5a-4968-8776-655443322110"}]),
            );
            pods.push(object(
                "v1",
                "Pod",
                m,
                json!({
                    "spec": {
                        "containers": [{"name": ds, "image": image,
                            "securityContext": {"privileged": ds == "kube-proxy"}}],
                        "hostNetwork": true,
                        "nodeName": node.name,
                        "priorityClassName": "system-node-critical",
                        "serviceAccount": ds,
                        "serviceAccountName": ds,
                    },
                    "status": {"hostIP": node.ip, "phase": "Running", "podIP": node.ip},
                }),
            ));
        }
    }
    out.k8s_list("k8s/pods/kube-system.json", pods)
}

fn nodes(rng: &mut Rng, world: &World) -> Vec<Value> {
    let zones = ["us-west-2a", "us-west-2b", "us-west-2c"];
    world
        .nodes
        .iter()
        .map(|node| {
            let zone = zones.get(node.zone).copied().unwrap_or("us-west-2a");
            let ng = world.nodegroups.get(node.nodegroup).map_or("", String::as_str);
            let mut m = meta(rng, &node.name, None, 11);
            m.insert(
                "labels".into(),
                labels(&[
                    ("eks.amazonaws.com/capacityType", "ON_DEMAND"),
                    ("eks.amazonaws.com/nodegroup", ng),
                    ("kubernetes.io/arch", "amd64"),
                    ("kubernetes.io/hostname", &node.name),
                    ("kubernetes.io/os", "linux"),
                    ("node.kubernetes.io/instance-type", "m6i.4xlarge"),
                    ("topology.kubernetes.io/region", "us-west-2"),
                    ("topology.kubernetes.io/zone", zone),
                ]),
            );
            object(
                "v1",
                "Node",
                m,
                json!({
                    "spec": {"providerID": format!("aws:///{zone}/{}", node.instance_id)},
                    "status": {
                        "addresses": [
                            {"address": node.ip, "type": "InternalIP"},
                            {"address": node.name, "type": "InternalDNS"},
                            {"address": node.name, "type": "Hostname"},
                        ],
                        "nodeInfo": {"architecture": "amd64", "containerRuntimeVersion": "containerd://1.7.27",
                            "kubeletVersion": "v1.31.7-eks-473151a", "operatingSystem": "linux",
                            "osImage": "Amazon Linux 2023.9.20251105"},
                    },
                }),
            )
        })
        .collect()
}

/// The built-in aggregated ClusterRoles that application namespaces bind.
fn cluster_roles(rng: &mut Rng) -> Vec<Value> {
    let read = ["get", "list", "watch"];
    let write = [
        "create",
        "delete",
        "deletecollection",
        "patch",
        "update",
        "get",
        "list",
        "watch",
    ];
    let mut m = meta(rng, "edit", None, 3);
    m.insert(
        "labels".into(),
        labels(&[("kubernetes.io/bootstrapping", "rbac-defaults")]),
    );
    let edit = object(
        "rbac.authorization.k8s.io/v1",
        "ClusterRole",
        m,
        json!({
            "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-edit": "true"}}]},
            "rules": [
                rule(&[""], &["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"], &read),
                rule(&[""], &["serviceaccounts"], &["impersonate"]),
                rule(&[""], &["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"], &["create", "delete", "deletecollection", "patch", "update"]),
                rule(&[""], &["configmaps", "events", "persistentvolumeclaims", "replicationcontrollers", "replicationcontrollers/scale", "secrets", "serviceaccounts", "services", "services/proxy"], &write),
                rule(&["apps"], &["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"], &write),
                rule(&["batch"], &["cronjobs", "jobs"], &write),
                rule(&[""], &["pods", "pods/log", "pods/status", "namespaces", "endpoints"], &read),
            ],
        }),
    );
    let mut v = meta(rng, "view", None, 3);
    v.insert(
        "labels".into(),
        labels(&[("kubernetes.io/bootstrapping", "rbac-defaults")]),
    );
    let view = object(
        "rbac.authorization.k8s.io/v1",
        "ClusterRole",
        v,
        json!({
            "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}}]},
            "rules": [
                rule(&[""], &["configmaps", "endpoints", "persistentvolumeclaims", "pods", "pods/log", "pods/status", "replicationcontrollers", "services", "events", "namespaces"], &read),
                rule(&["apps"], &["daemonsets", "deployments", "replicasets", "statefulsets"], &read),
                rule(&["batch"], &["cronjobs", "jobs"], &read),
            ],
        }),
    );
    vec![edit, view]
}

/// Writes every Kubernetes file: the lab's objects and the synthetic ones.
pub(crate) fn write(world: &World, out: &mut Out) -> Result<(), SynthError> {
    let mut rng = Rng::new(world.seed, 2);
    let mut lists = Lists {
        namespaces: lab::items("k8s/namespaces.yaml", "items")?,
        service_accounts: lab::items("k8s/serviceaccounts.json", "items")?,
        rbac: lab::items("k8s/roles-rolebindings.yaml", "items")?,
        cluster_rbac: lab::items("k8s/clusterroles-clusterrolebindings.json", "items")?,
        config_maps: lab::items("k8s/configmaps.yaml", "items")?,
        secrets: lab::items("k8s/secrets.yaml", "items")?,
        network_policies: lab::items("k8s/networkpolicies.yaml", "items")?,
        workloads: lab::items("k8s/daemonsets-deployments-jobs.json", "items")?,
        nodes: lab::items("k8s/nodes.yaml", "items")?,
    };
    for tenant in &world.tenants {
        for ns_index in 0..tenant.namespaces.len() {
            emr_namespace(&mut rng, world, tenant, ns_index, &mut lists, out)?;
        }
    }
    for app_ns in &world.apps {
        app_namespace(&mut rng, world, app_ns, &mut lists, out)?;
    }
    system_pods(&mut rng, world, out)?;
    lists.nodes.extend(nodes(&mut rng, world));
    lists.cluster_rbac.extend(cluster_roles(&mut rng));
    // The lab's EMR pods, one file per namespace as the synthetic ones.
    for ns in ["emr-ds", "emr-team-a", "emr-team-b"] {
        let items = lab::items(&format!("k8s/pods/{ns}.yaml"), "items")?;
        out.k8s_list(&format!("k8s/pods/{ns}.json"), items)?;
    }
    for file in [
        "k8s/kube-system/aws-auth.yaml",
        "k8s/webhookconfigurations.yaml",
    ] {
        let text = lab::text(file).unwrap_or_default();
        out.bytes(file, text.as_bytes())?;
    }
    out.k8s_list("k8s/namespaces.yaml", lists.namespaces)?;
    out.k8s_list("k8s/serviceaccounts.json", lists.service_accounts)?;
    out.k8s_list("k8s/roles-rolebindings.json", lists.rbac)?;
    out.k8s_list(
        "k8s/clusterroles-clusterrolebindings.json",
        lists.cluster_rbac,
    )?;
    out.k8s_list("k8s/configmaps.yaml", lists.config_maps)?;
    out.k8s_list("k8s/secrets.yaml", lists.secrets)?;
    out.k8s_list("k8s/networkpolicies.yaml", lists.network_policies)?;
    out.k8s_list("k8s/daemonsets-deployments-jobs.json", lists.workloads)?;
    out.k8s_list("k8s/nodes.json", lists.nodes)?;
    Ok(())
}
