use serde_json::{json, Value};

use super::*;
use crate::review::AdmissionRequest;

const ACCOUNT: &str = "111122223333";
// base36("ts-eks-emr-eks-emr-cli") and base36("myrole"), from the reference vectors.
const ROLE_A: &str = "j3uv6jk0kk3sogu231qj91fmo3mvwfl561";
const ROLE_B: &str = "16o0gwny3p";

fn sa(component: &str, role: &str) -> String {
    format!("emr-containers-sa-spark-{component}-{ACCOUNT}-{role}")
}

fn sa_user(ns: &str, name: &str) -> String {
    format!("system:serviceaccount:{ns}:{name}")
}

/// A request builder; `Req::new(...).object(...)` then `.review(&engine)`.
struct Req {
    v: Value,
}

impl Req {
    fn new(op: &str, group: &str, resource: &str, sub: &str, ns: &str, name: &str) -> Self {
        let mut v = json!({
            "uid": "uid-1",
            "kind": {"group": group, "version": "v1", "kind": "X"},
            "resource": {"group": group, "version": "v1", "resource": resource},
            "name": name,
            "operation": op,
            "userInfo": {"username": "alice", "groups": ["system:authenticated"]},
        });
        if !sub.is_empty() {
            v["subResource"] = json!(sub);
        }
        if !ns.is_empty() {
            v["namespace"] = json!(ns);
        }
        Self { v }
    }

    fn by(&self, username: &str) -> Self {
        let mut v = self.v.clone();
        v["userInfo"]["username"] = json!(username);
        Self { v }
    }

    fn groups(&self, groups: &[&str]) -> Self {
        let mut v = self.v.clone();
        v["userInfo"]["groups"] = json!(groups);
        Self { v }
    }

    fn object(mut self, object: Value) -> Self {
        self.v["object"] = object;
        self
    }

    fn old(mut self, object: Value) -> Self {
        self.v["oldObject"] = object;
        self
    }

    fn json(&self) -> String {
        self.v.to_string()
    }

    fn review(&self, engine: &PolicyEngine) -> Decision {
        let json = self.json();
        let req: AdmissionRequest<'_> = serde_json::from_str(&json).unwrap();
        engine.review(&req)
    }
}

fn engine() -> PolicyEngine {
    PolicyEngine::new(EmrNamespaces::from_names(["emr"]), Mode::Enforce)
}

fn codes(d: &Decision) -> Vec<&'static str> {
    d.violations.iter().map(|v| v.policy.as_str()).collect()
}

fn pod(name: &str, service_account: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": name, "namespace": "emr"},
           "spec": {"serviceAccountName": service_account,
                    "containers": [{"name": "c", "image": "busybox"}]}})
}

fn deployment(service_account: &str, image: &str, replicas: u32) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": "d", "namespace": "emr"},
           "spec": {"replicas": replicas, "template": {
               "metadata": {"labels": {"app": "d"}},
               "spec": {"serviceAccountName": service_account,
                        "containers": [{"name": "c", "image": image}]}}}})
}

fn create_pod(object: Value) -> Req {
    Req::new("CREATE", "", "pods", "", "emr", "").object(object)
}

// WH001

#[test]
fn wh001_exec_attach_portforward_denied_in_emr_namespaces() {
    for sub in ["exec", "attach", "portforward"] {
        let d = Req::new("CONNECT", "", "pods", sub, "emr", "driver")
            .object(json!({"kind": "PodExecOptions", "command": ["sh"]}))
            .review(&engine());
        assert_eq!(codes(&d), ["WH001"], "{sub}");
        assert!(!d.allowed());
        let msg = &d.violations[0].message;
        assert!(msg.starts_with("WH001: "), "{msg}");
        assert!(msg.contains("emr/driver"), "{msg}");
        assert!(
            msg.contains("add User:alice to webhook.exempt-subjects"),
            "{msg}"
        );
    }
}

#[test]
fn wh001_elsewhere_and_other_subresources_are_not_checked() {
    let d = Req::new("CONNECT", "", "pods", "exec", "team-a", "p").review(&engine());
    assert!(d.checked.is_empty());
    assert!(d.allowed());
    // `pods/log` is a read; `proxy` is not one of the policy's subresources.
    let d = Req::new("CONNECT", "", "pods", "proxy", "emr", "p").review(&engine());
    assert!(d.checked.is_empty());
}

#[test]
fn wh001_ephemeral_containers_denied() {
    let d = Req::new("UPDATE", "", "pods", "ephemeralcontainers", "emr", "driver")
        .object(pod("driver", &sa("driver", ROLE_A)))
        .review(&engine());
    assert_eq!(codes(&d), ["WH001"]);
    assert!(d.violations[0].message.contains("ephemeral containers"));
}

#[test]
fn emr_itself_and_exempt_subjects_pass_everything() {
    let exec = Req::new("CONNECT", "", "pods", "exec", "emr", "p");
    let d = exec.review(&engine().with_exempt(ExemptSubjects::parse(&["Group:sre"]).unwrap()));
    assert!(!d.allowed());
    let d = Req::new("CONNECT", "", "pods", "exec", "emr", "p")
        .groups(&["sre"])
        .review(&engine().with_exempt(ExemptSubjects::parse(&["Group:sre"]).unwrap()));
    assert!(d.allowed());
    assert_eq!(d.exempt.as_deref(), Some("Group:sre"));
    assert_eq!(d.checked, [PolicyCode::Wh001]);
    let d = exec.by("emr-containers").review(&engine());
    assert!(d.allowed());
    assert!(d.exempt.unwrap().contains("emr-containers"));
    // A session of EMR's service-linked role via an access entry without a username.
    let d = Req::new("CREATE", "", "pods", "", "emr", "")
        .object(pod("x", &sa("client", ROLE_A)))
        .by("arn:aws:sts::111122223333:assumed-role/AWSServiceRoleForAmazonEMRContainers/emr")
        .review(&engine());
    assert!(d.allowed());
}

// WH002

fn config_map(name: &str, labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": name, "namespace": "emr", "labels": labels},
           "data": {"driver": "spec:\n  serviceAccountName: x\n"}})
}

#[test]
fn wh002_emr_config_maps_are_protected() {
    let labelled = config_map(
        "anything",
        json!({"emr-containers.amazonaws.com/job.configuration": "pod-template"}),
    );
    let d = Req::new("CREATE", "", "configmaps", "", "emr", "anything")
        .object(labelled.clone())
        .review(&engine());
    assert_eq!(codes(&d), ["WH002"]);
    let by_name = config_map("podtemplate-0000000337okspsc913", json!({}));
    let d = Req::new(
        "UPDATE",
        "",
        "configmaps",
        "",
        "emr",
        "podtemplate-0000000337okspsc913",
    )
    .object(by_name.clone())
    .old(by_name.clone())
    .review(&engine());
    assert_eq!(codes(&d), ["WH002"]);
    assert!(d.violations[0].message.contains("changing"));
    // Removing the labels in an update does not help: the old object is checked too.
    let d = Req::new("UPDATE", "", "configmaps", "", "emr", "anything")
        .object(config_map("anything", json!({})))
        .old(labelled.clone())
        .review(&engine());
    assert_eq!(codes(&d), ["WH002"]);
    // A DELETE without the old object is judged by name.
    let d = Req::new(
        "DELETE",
        "",
        "configmaps",
        "",
        "emr",
        "0000000337okspsc913-spark-defaults",
    )
    .review(&engine());
    assert_eq!(codes(&d), ["WH002"]);
}

#[test]
fn wh002_other_config_maps_and_emr_writers_pass() {
    let d = Req::new("CREATE", "", "configmaps", "", "emr", "app-settings")
        .object(config_map("app-settings", json!({"app": "x"})))
        .review(&engine());
    assert!(d.allowed());
    assert_eq!(d.checked, [PolicyCode::Wh002]);
    // Short suffixes are not EMR ids.
    let d = Req::new("CREATE", "", "configmaps", "", "emr", "podtemplate-web")
        .object(config_map("podtemplate-web", json!({})))
        .review(&engine());
    assert!(d.allowed());
    let labelled = config_map("cm", json!({"emr-containers.amazonaws.com/job.id": "x"}));
    let delete = Req::new("DELETE", "", "configmaps", "", "emr", "cm").old(labelled.clone());
    assert!(delete
        .by("system:serviceaccount:kube-system:generic-garbage-collector")
        .review(&engine())
        .allowed());
    let create = Req::new("CREATE", "", "configmaps", "", "emr", "cm").object(labelled);
    assert!(!create
        .by("system:serviceaccount:kube-system:generic-garbage-collector")
        .review(&engine())
        .allowed());
    let create = create.by(&sa_user(
        "emr-operators",
        "emr-containers-sa-spark-operator",
    ));
    assert!(create.review(&engine()).allowed());
}

#[test]
fn wh002_job_service_accounts_cannot_rewrite_emr_config_maps() {
    // User code runs as the driver; it must not rewrite another job's pod template.
    let d = Req::new("UPDATE", "", "configmaps", "", "emr", "cm")
        .object(config_map(
            "cm",
            json!({"emr-containers.amazonaws.com/job.id": "x"}),
        ))
        .by(&sa_user("emr", &sa("driver", ROLE_A)))
        .review(&engine());
    assert_eq!(codes(&d), ["WH002"]);
}

// WH003

#[test]
fn wh003_pods_with_emr_service_accounts_need_the_right_creator() {
    let driver = create_pod(pod("drv", &sa("driver", ROLE_A)));
    let d = driver.review(&engine());
    assert_eq!(codes(&d), ["WH003"]);
    let msg = &d.violations[0].message;
    assert!(msg.contains(&sa("client", ROLE_A)), "{msg}");
    // The job runner of the same role creates the driver.
    assert!(create_pod(pod("drv", &sa("driver", ROLE_A)))
        .by(&sa_user("emr", &sa("client", ROLE_A)))
        .review(&engine())
        .allowed());
    // ... but not with another role's account, nor from another namespace.
    assert!(!create_pod(pod("drv", &sa("driver", ROLE_B)))
        .by(&sa_user("emr", &sa("client", ROLE_A)))
        .review(&engine())
        .allowed());
    assert!(!create_pod(pod("drv", &sa("driver", ROLE_A)))
        .by(&sa_user("team-a", &sa("client", ROLE_A)))
        .review(&engine())
        .allowed());
    // The driver creates executors, not drivers.
    assert!(create_pod(pod("exec-1", &sa("executor", ROLE_A)))
        .by(&sa_user("emr", &sa("driver", ROLE_A)))
        .review(&engine())
        .allowed());
    assert!(!create_pod(pod("drv2", &sa("driver", ROLE_A)))
        .by(&sa_user("emr", &sa("driver", ROLE_A)))
        .review(&engine())
        .allowed());
    // Executors create nothing.
    assert!(!create_pod(pod("exec-2", &sa("executor", ROLE_A)))
        .by(&sa_user("emr", &sa("executor", ROLE_A)))
        .review(&engine())
        .allowed());
}

#[test]
fn wh003_controllers_and_operators() {
    let job_runner = create_pod(pod("runner", &sa("client", ROLE_A)));
    for controller in [
        "job-controller",
        "replicaset-controller",
        "statefulset-controller",
    ] {
        assert!(
            job_runner
                .by(&sa_user("kube-system", controller))
                .review(&engine())
                .allowed(),
            "{controller}"
        );
    }
    // A controller named like a built-in one outside kube-system is nobody special.
    assert!(!job_runner
        .by(&sa_user("team-a", "job-controller"))
        .review(&engine())
        .allowed());
    assert!(!job_runner
        .by(&sa_user("kube-system", "deployment-controller"))
        .review(&engine())
        .allowed());
    let spark_driver = create_pod(pod("drv", &sa("driver", ROLE_A)));
    assert!(spark_driver
        .by(&sa_user(
            "spark-operator",
            "emr-containers-sa-spark-operator"
        ))
        .review(&engine())
        .allowed());
    assert!(!spark_driver
        .by(&sa_user(
            "spark-operator",
            "emr-containers-sa-flink-operator"
        ))
        .review(&engine())
        .allowed());
    let livy_driver = create_pod(pod("drv", "emr-container-sa-spark-livy"));
    assert!(livy_driver
        .by(&sa_user("livy", "emr-containers-sa-livy"))
        .review(&engine())
        .allowed());
    assert!(!livy_driver.review(&engine()).allowed());
}

#[test]
fn wh003_trust_pattern_names_count_as_emr_managed() {
    // EMR never creates this name, but the role's `emr-containers-sa-*-*-ACCOUNT-ROLE` trust
    // pattern matches it.
    let d = create_pod(pod(
        "p",
        &format!("emr-containers-sa-my-app-{ACCOUNT}-{ROLE_A}"),
    ))
    .review(&engine());
    assert_eq!(codes(&d), ["WH003"]);
    let d = create_pod(pod("p", "default")).review(&engine());
    assert!(d.allowed());
    assert_eq!(d.checked, [PolicyCode::Wh003, PolicyCode::Wh007]);
    // Without serviceAccountName the pod runs as `default`.
    let d = create_pod(json!({"metadata": {"name": "p"}, "spec": {"containers": []}}))
        .review(&engine());
    assert!(d.allowed());
}

#[test]
fn wh003_workloads() {
    let create = Req::new("CREATE", "apps", "deployments", "", "emr", "d").object(deployment(
        &sa("executor", ROLE_A),
        "img:1",
        1,
    ));
    let d = create.review(&engine());
    assert_eq!(codes(&d), ["WH003"]);
    assert!(d.violations[0].message.contains("Deployment `emr/d`"));
    // Even EMR's job accounts do not create workloads.
    assert!(!create
        .by(&sa_user("emr", &sa("driver", ROLE_A)))
        .review(&engine())
        .allowed());
    // Kubernetes' controllers create the next level down.
    let rs = Req::new("CREATE", "apps", "replicasets", "", "emr", "d-1")
        .object(deployment(&sa("executor", ROLE_A), "img:1", 1))
        .by(&sa_user("kube-system", "deployment-controller"));
    assert!(rs.review(&engine()).allowed());
    let cron = json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
        "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {
            "spec": {"serviceAccountName": sa("client", ROLE_A), "containers": []}}}}}});
    let d = Req::new("CREATE", "batch", "cronjobs", "", "emr", "c")
        .object(cron)
        .review(&engine());
    assert_eq!(codes(&d), ["WH003"]);
    let job = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
        "spec": {"template": {"spec": {"serviceAccountName": sa("client", ROLE_A), "containers": []}}}});
    let job = Req::new("CREATE", "batch", "jobs", "", "emr", "j").object(job);
    assert!(!job.review(&engine()).allowed());
    assert!(job
        .by(&sa_user("kube-system", "cronjob-controller"))
        .review(&engine())
        .allowed());
}

#[test]
fn wh003_workload_updates_only_when_the_template_changes() {
    let old = deployment(&sa("executor", ROLE_A), "img:1", 1);
    let scaled = Req::new("UPDATE", "apps", "deployments", "", "emr", "d")
        .object(deployment(&sa("executor", ROLE_A), "img:1", 5))
        .old(old.clone());
    assert!(scaled.review(&engine()).allowed());
    let new_image = Req::new("UPDATE", "apps", "deployments", "", "emr", "d")
        .object(deployment(&sa("executor", ROLE_A), "evil:1", 1))
        .old(old.clone());
    assert_eq!(codes(&new_image.review(&engine())), ["WH003"]);
    let switch_sa = Req::new("UPDATE", "apps", "deployments", "", "emr", "d")
        .object(deployment(&sa("driver", ROLE_B), "img:1", 1))
        .old(deployment("default", "img:1", 1));
    assert_eq!(codes(&switch_sa.review(&engine())), ["WH003"]);
}

#[test]
fn wh003_pod_spec_changes() {
    let old = pod("drv", &sa("driver", ROLE_A));
    let mut new = old.clone();
    new["spec"]["containers"][0]["image"] = json!("evil:1");
    let d = Req::new("UPDATE", "", "pods", "", "emr", "drv")
        .object(new)
        .old(old.clone())
        .review(&engine());
    assert_eq!(codes(&d), ["WH003"]);
    let mut relabelled = old.clone();
    relabelled["metadata"]["labels"] = json!({"x": "y"});
    let d = Req::new("UPDATE", "", "pods", "", "emr", "drv")
        .object(relabelled)
        .old(old)
        .review(&engine());
    assert!(d.allowed());
}

// WH004

fn service_account(name: &str, role: Option<&str>) -> Value {
    let mut v = json!({"apiVersion": "v1", "kind": "ServiceAccount",
                       "metadata": {"name": name, "namespace": "emr"}});
    if let Some(role) = role {
        v["metadata"]["annotations"] = json!({"eks.amazonaws.com/role-arn": role});
    }
    v
}

#[test]
fn wh004_service_accounts() {
    let emr_named = Req::new("CREATE", "", "serviceaccounts", "", "emr", "")
        .object(service_account(&sa("driver", ROLE_A), None));
    assert_eq!(codes(&emr_named.review(&engine())), ["WH004"]);
    assert!(emr_named.by("emr-containers").review(&engine()).allowed());
    let annotated = Req::new("CREATE", "", "serviceaccounts", "", "emr", "").object(
        service_account("app", Some("arn:aws:iam::111122223333:role/admin")),
    );
    let d = annotated.review(&engine());
    assert_eq!(codes(&d), ["WH004"]);
    assert!(d.violations[0].message.contains("role/admin"));
    let plain = Req::new("CREATE", "", "serviceaccounts", "", "emr", "")
        .object(service_account("app", None));
    assert!(plain.review(&engine()).allowed());
    let added = Req::new("UPDATE", "", "serviceaccounts", "", "emr", "app")
        .object(service_account(
            "app",
            Some("arn:aws:iam::111122223333:role/r"),
        ))
        .old(service_account("app", None));
    assert_eq!(codes(&added.review(&engine())), ["WH004"]);
    let changed = Req::new("UPDATE", "", "serviceaccounts", "", "emr", "app")
        .object(service_account(
            "app",
            Some("arn:aws:iam::111122223333:role/r2"),
        ))
        .old(service_account(
            "app",
            Some("arn:aws:iam::111122223333:role/r"),
        ));
    assert_eq!(codes(&changed.review(&engine())), ["WH004"]);
    let unchanged = Req::new("UPDATE", "", "serviceaccounts", "", "emr", "app")
        .object(service_account(
            "app",
            Some("arn:aws:iam::111122223333:role/r"),
        ))
        .old(service_account(
            "app",
            Some("arn:aws:iam::111122223333:role/r"),
        ));
    assert!(unchanged.review(&engine()).allowed());
    // Updating an existing EMR-named account without touching the annotation is fine.
    let relabel = Req::new("UPDATE", "", "serviceaccounts", "", "emr", "x")
        .object(service_account(&sa("driver", ROLE_A), None))
        .old(service_account(&sa("driver", ROLE_A), None));
    assert!(relabel.review(&engine()).allowed());
}

// WH005

#[test]
fn wh005_tokens() {
    let token = Req::new(
        "CREATE",
        "",
        "serviceaccounts",
        "token",
        "emr",
        &sa("driver", ROLE_A),
    )
    .object(json!({"kind": "TokenRequest", "spec": {"audiences": ["sts.amazonaws.com"]}}));
    assert_eq!(codes(&token.review(&engine())), ["WH005"]);
    assert!(token
        .by("system:node:ip-10-0-0-1.ec2.internal")
        .groups(&["system:nodes", "system:authenticated"])
        .review(&engine())
        .allowed());
    let other = Req::new("CREATE", "", "serviceaccounts", "token", "emr", "default");
    assert!(other.review(&engine()).allowed());
}

// WH006

fn webhook_configuration(selector: Value, rules: Value) -> Value {
    json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
           "metadata": {"name": "tenant-hook"},
           "webhooks": [{"name": "mutate.example.com", "rules": rules,
                         "namespaceSelector": selector, "clientConfig": {"url": "https://x"}}]})
}

fn pod_rules() -> Value {
    json!([{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}])
}

#[test]
fn wh006_webhook_configurations() {
    let create = |object: Value| {
        Req::new(
            "CREATE",
            "admissionregistration.k8s.io",
            "mutatingwebhookconfigurations",
            "",
            "",
            "tenant-hook",
        )
        .object(object)
    };
    let all = create(webhook_configuration(json!({}), pod_rules()));
    let d = all.review(&engine());
    assert_eq!(codes(&d), ["WH006"]);
    assert!(d.violations[0].message.contains("`mutate.example.com`"));
    let elsewhere = create(webhook_configuration(
        json!({"matchLabels": {"kubernetes.io/metadata.name": "team-a"}}),
        pod_rules(),
    ));
    assert!(elsewhere.review(&engine()).allowed());
    let excluding = create(webhook_configuration(
        json!({"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["emr"]}]}),
        pod_rules(),
    ));
    assert!(excluding.review(&engine()).allowed());
    let cluster_scoped = create(webhook_configuration(
        json!({}),
        json!([{"operations": ["CREATE"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*"], "scope": "Cluster"}]),
    ));
    assert!(cluster_scoped.review(&engine()).allowed());
    let crds_only = create(webhook_configuration(
        json!({}),
        json!([{"operations": ["*"], "apiGroups": ["example.com"], "apiVersions": ["*"], "resources": ["widgets"]}]),
    ));
    assert!(crds_only.review(&engine()).allowed());
    let wildcard = create(webhook_configuration(
        json!({}),
        json!([{"operations": ["UPDATE"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*/status"]}]),
    ));
    assert!(!wildcard.review(&engine()).allowed());
    assert!(all
        .by(&sa_user(
            "spark-operator",
            "emr-containers-sa-spark-operator"
        ))
        .review(&engine())
        .allowed());
}

// WH007

#[test]
fn wh007_host_network_and_kube2iam() {
    let mut host = pod("p", "default");
    host["spec"]["hostNetwork"] = json!(true);
    let d = create_pod(host.clone()).review(&engine());
    assert_eq!(codes(&d), ["WH007"]);
    // Controllers get no pass for hostNetwork.
    let d = create_pod(host)
        .by(&sa_user("kube-system", "replicaset-controller"))
        .review(&engine());
    assert_eq!(codes(&d), ["WH007"]);
    let mut annotated = pod("p", "default");
    annotated["metadata"]["annotations"] = json!({"iam.amazonaws.com/role": "admin"});
    assert_eq!(
        codes(&create_pod(annotated.clone()).review(&engine())),
        ["WH007"]
    );
    let added = Req::new("UPDATE", "", "pods", "", "emr", "p")
        .object(annotated.clone())
        .old(pod("p", "default"));
    assert_eq!(codes(&added.review(&engine())), ["WH007"]);
    let kept = Req::new("UPDATE", "", "pods", "", "emr", "p")
        .object(annotated.clone())
        .old(annotated);
    assert!(kept.review(&engine()).allowed());
    let mut both = pod("p", &sa("driver", ROLE_A));
    both["spec"]["hostNetwork"] = json!(true);
    assert_eq!(
        codes(&create_pod(both).review(&engine())),
        ["WH003", "WH007"]
    );
    let mut host_deployment = deployment("default", "img", 1);
    host_deployment["spec"]["template"]["spec"]["hostNetwork"] = json!(true);
    let d = Req::new("CREATE", "apps", "deployments", "", "emr", "d")
        .object(host_deployment)
        .review(&engine());
    assert_eq!(codes(&d), ["WH007"]);
}

// Modes and responses

#[test]
fn modes_change_the_outcome() {
    let exec_json = Req::new("CONNECT", "", "pods", "exec", "emr", "p").json();
    let exec: AdmissionRequest<'_> = serde_json::from_str(&exec_json).unwrap();
    let warn = PolicyEngine::new(EmrNamespaces::from_names(["emr"]), Mode::Warn);
    let d = warn.review(&exec);
    assert!(d.allowed());
    let r = d.to_response("uid-1");
    assert!(r.allowed);
    assert_eq!(r.warnings.len(), 1);
    assert!(r.warnings[0].starts_with("WH001: "));
    assert_eq!(
        r.audit_annotations["wh001"],
        "warn: exec, attach, port-forward or ephemeral containers on EMR pods"
    );
    let audit = PolicyEngine::new(EmrNamespaces::from_names(["emr"]), Mode::Audit);
    let r = audit.review(&exec).to_response("uid-1");
    assert!(r.allowed);
    assert!(r.warnings.is_empty());
    assert!(r.audit_annotations["wh001"].starts_with("audit: WH001: "));
    let r = engine().review(&exec).to_response("uid-1");
    assert!(!r.allowed);
    let status = r.status.unwrap();
    assert_eq!(status.code, 403);
    assert!(status.message.starts_with("WH001: "));
}

#[test]
fn per_policy_modes_from_config() {
    let config = WebhookConfig {
        mode: Some("audit".into()),
        policy_modes: [("WH007".to_owned(), "enforce".to_owned())].into(),
        emr_namespaces: vec!["emr".into()],
        ..WebhookConfig::default()
    };
    let engine = PolicyEngine::from_config(&config, EngineInputs::default()).unwrap();
    let mut both = pod("p", &sa("driver", ROLE_A));
    both["spec"]["hostNetwork"] = json!(true);
    let d = create_pod(both).review(&engine);
    assert_eq!(codes(&d), ["WH003", "WH007"]);
    assert_eq!(d.violations[0].mode, Mode::Audit);
    assert_eq!(d.violations[1].mode, Mode::Enforce);
    let r = d.to_response("u");
    assert!(!r.allowed);
    // Only the enforced violation is in the denial.
    let message = r.status.unwrap().message;
    assert!(
        message.starts_with("WH007: ") && !message.contains("WH003"),
        "{message}"
    );
    // --mode overrides webhook.mode but not the per-policy setting.
    let engine = PolicyEngine::from_config(
        &config,
        EngineInputs {
            mode: Some(Mode::Warn),
            ..EngineInputs::default()
        },
    )
    .unwrap();
    assert_eq!(engine.modes().get(PolicyCode::Wh001), Mode::Warn);
    assert_eq!(engine.modes().get(PolicyCode::Wh007), Mode::Enforce);
}

#[test]
fn config_errors() {
    let no_namespaces =
        PolicyEngine::from_config(&WebhookConfig::default(), EngineInputs::default());
    assert!(matches!(no_namespaces, Err(EngineError::NoNamespaces)));
    let extra = ["emr".to_owned()];
    let ok = PolicyEngine::from_config(
        &WebhookConfig::default(),
        EngineInputs {
            extra_namespaces: &extra,
            ..EngineInputs::default()
        },
    )
    .unwrap();
    assert!(ok.namespaces().contains("emr"));
    let bad_code = WebhookConfig {
        policy_modes: [("WH999".to_owned(), "warn".to_owned())].into(),
        emr_namespaces: vec!["emr".into()],
        ..WebhookConfig::default()
    };
    assert!(PolicyEngine::from_config(&bad_code, EngineInputs::default()).is_err());
}

#[test]
fn undecodable_objects_are_judged_not_waved_through() {
    let bad = create_pod(json!({"metadata": {"name": "p"}, "spec": {"hostNetwork": "yes"}}));
    let d = bad.review(&engine());
    assert_eq!(codes(&d), ["WH003", "WH007"]);
    assert!(d.violations[0].message.contains("cannot be decoded"));
    assert!(!d.allowed());
    let audit = PolicyEngine::new(EmrNamespaces::from_names(["emr"]), Mode::Audit);
    assert!(bad.review(&audit).allowed());
    let missing = Req::new("CREATE", "", "pods", "", "emr", "p").review(&engine());
    assert!(!missing.allowed());
}

#[test]
fn policy_codes_match_the_configuration_crate() {
    let ours: Vec<&str> = PolicyCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(ours, emrguard_config::webhook::POLICY_CODES);
    for code in PolicyCode::ALL {
        assert_eq!(code.as_str().parse::<PolicyCode>(), Ok(code));
    }
}

#[test]
fn admission_rules_are_exactly_what_the_policies_review() {
    let mut covered = Vec::new();
    for rule in ADMISSION_RULES {
        for op in rule.operations {
            for resource in rule.resources {
                let (resource, sub) = resource.split_once('/').unwrap_or((resource, ""));
                let ns = if rule.cluster_scoped { "" } else { "emr" };
                let json = Req::new(op, rule.api_group, resource, sub, ns, "x").json();
                let req: AdmissionRequest<'_> = serde_json::from_str(&json).unwrap();
                assert!(
                    Target::of(&req).is_some(),
                    "{op} {}/{resource}/{sub} is requested but reviewed by no policy",
                    rule.api_group
                );
                covered.push((op.to_string(), rule.api_group, resource, sub));
            }
        }
    }
    // Everything the policies review is requested: every combination Target::of accepts
    // among these candidates is in the rules.
    let ops = ["CREATE", "UPDATE", "DELETE", "CONNECT"];
    let candidates = [
        ("", "pods", ""),
        ("", "pods", "exec"),
        ("", "pods", "attach"),
        ("", "pods", "portforward"),
        ("", "pods", "ephemeralcontainers"),
        ("", "pods", "status"),
        ("", "configmaps", ""),
        ("", "secrets", ""),
        ("", "serviceaccounts", ""),
        ("", "serviceaccounts", "token"),
        ("", "replicationcontrollers", ""),
        ("apps", "deployments", ""),
        ("apps", "deployments", "scale"),
        ("apps", "statefulsets", ""),
        ("apps", "daemonsets", ""),
        ("apps", "replicasets", ""),
        ("batch", "jobs", ""),
        ("batch", "cronjobs", ""),
        (
            "admissionregistration.k8s.io",
            "mutatingwebhookconfigurations",
            "",
        ),
        (
            "admissionregistration.k8s.io",
            "validatingwebhookconfigurations",
            "",
        ),
    ];
    for op in ops {
        for (group, resource, sub) in candidates {
            let json = Req::new(op, group, resource, sub, "emr", "x").json();
            let req: AdmissionRequest<'_> = serde_json::from_str(&json).unwrap();
            let listed = covered
                .iter()
                .any(|(o, g, r, s)| o == op && *g == group && *r == resource && *s == sub);
            assert_eq!(
                Target::of(&req).is_some(),
                listed,
                "{op} {group}/{resource}/{sub}"
            );
        }
    }
}

#[test]
fn a_snapshot_supplies_namespaces_labels_and_emr_usernames() {
    use emrguard_model::inventory::{AwsAuth, AwsAuthMapping};
    use emrguard_model::k8s::{Namespace, ObjectMeta};
    use emrguard_model::Inventory;

    let vc = |id: &str, ns: &str, state: &str| {
        serde_json::from_value(json!({
            "id": id, "state": state,
            "containerProvider": {"type": "EKS", "id": "c", "info": {"eksInfo": {"namespace": ns}}},
        }))
        .unwrap()
    };
    let mut inventory = Inventory::default();
    inventory.virtual_clusters = vec![
        vc("vc1", "emr-live", "RUNNING"),
        vc("vc2", "emr-gone", "TERMINATED"),
    ];
    inventory.namespaces = vec![Namespace {
        metadata: ObjectMeta {
            name: "emr-live".into(),
            labels: [("team", "data")].into(),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    }];
    inventory.aws_auth = Some(AwsAuth {
        map_roles: vec![AwsAuthMapping {
            arn: "arn:aws:iam::111122223333:role/AWSServiceRoleForAmazonEMRContainers".into(),
            username: Some("emr-service".into()),
            groups: vec![],
        }],
        ..AwsAuth::default()
    });
    inventory.finalize();
    let engine = PolicyEngine::from_config(
        &WebhookConfig::default(),
        EngineInputs {
            inventory: Some(&inventory),
            ..EngineInputs::default()
        },
    )
    .unwrap();
    assert!(engine.namespaces().contains("emr-live"));
    assert!(!engine.namespaces().contains("emr-gone"));
    // The username the snapshot maps EMR's service-linked role to is EMR on EKS.
    let exec = Req::new("CONNECT", "", "pods", "exec", "emr-live", "p");
    assert!(!exec.review(&engine).allowed());
    assert!(exec.by("emr-service").review(&engine).allowed());
    // Known namespace labels decide whether a webhook's selector reaches the namespace.
    let hook = |selector: Value| {
        Req::new(
            "CREATE",
            "admissionregistration.k8s.io",
            "validatingwebhookconfigurations",
            "",
            "",
            "h",
        )
        .object(webhook_configuration(selector, pod_rules()))
    };
    assert!(hook(json!({"matchLabels": {"team": "web"}}))
        .review(&engine)
        .allowed());
    assert!(!hook(json!({"matchLabels": {"team": "data"}}))
        .review(&engine)
        .allowed());
}
