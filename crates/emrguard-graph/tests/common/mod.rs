//! Hand-built snapshots: one EKS cluster (`analytics`, account 111122223333) with an OIDC
//! provider, built object by object so each test states exactly what exists.
#![allow(dead_code)]

use emrguard_model::aws::{
    AccessConfig, AccessEntry, ClusterIdentity, ContainerInfo, ContainerProvider, EksCluster,
    EksInfo, IamRole, IamUser, InlinePolicy, LaunchTemplateData, LaunchTemplateSpec,
    LaunchTemplateVersion, MetadataOptions, Nodegroup, OidcIdentity, PodIdentityAssociation,
    VirtualCluster,
};
use emrguard_model::emr::emr_trust_sub_pattern;
use emrguard_model::inventory::area;
use emrguard_model::k8s::{
    Namespace, ObjectMeta, PolicyRule, Role, RoleBinding, RoleRef, ServiceAccount, Subject,
};
use emrguard_model::policy::PolicyDocument;
use emrguard_model::Inventory;
use serde_json::{json, Value};

pub const ACCOUNT: &str = "111122223333";
pub const ISSUER: &str =
    "https://oidc.eks.us-west-2.amazonaws.com/id/0A1B2C3D4E5F60718293A4B5C6D7E8F9";
pub const PROVIDER: &str = "oidc.eks.us-west-2.amazonaws.com/id/0A1B2C3D4E5F60718293A4B5C6D7E8F9";

pub fn role_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{name}")
}

pub fn user_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:user/{name}")
}

pub fn policy(value: Value) -> PolicyDocument {
    serde_json::from_value(value).unwrap()
}

/// The trust statement `aws emr-containers update-role-trust-policy` writes for `role` in `ns`.
pub fn emr_trust(ns: &str, role: &str) -> Value {
    sub_trust(&emr_trust_sub_pattern(ns, ACCOUNT, role))
}

/// A web-identity trust with a `StringLike` `sub` condition.
pub fn sub_trust(sub: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{PROVIDER}")},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringLike": {format!("{PROVIDER}:sub"): sub}}
    }]})
}

/// A trust policy naming one IAM principal.
pub fn aws_trust(principal: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"
    }]})
}

pub fn allow(actions: &[&str], resources: &[&str]) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": actions, "Resource": resources
    }]})
}

pub fn admin_policy() -> Value {
    allow(&["*"], &["*"])
}

/// Reads a few named objects in one bucket: the `limited-write` tier.
pub fn bucket_policy(bucket: &str) -> Value {
    allow(
        &["s3:GetObject", "s3:PutObject"],
        &[&format!("arn:aws:s3:::{bucket}/*")],
    )
}

pub fn rule(verbs: &[&str], groups: &[&str], resources: &[&str]) -> PolicyRule {
    PolicyRule {
        verbs: verbs.iter().map(|s| (*s).into()).collect(),
        api_groups: groups.iter().map(|s| (*s).into()).collect(),
        resources: resources.iter().map(|s| (*s).into()).collect(),
        ..PolicyRule::default()
    }
}

pub fn group(name: &str) -> Subject {
    Subject {
        kind: "Group".into(),
        api_group: Some("rbac.authorization.k8s.io".into()),
        name: name.into(),
        namespace: None,
    }
}

pub fn service_account_subject(ns: &str, name: &str) -> Subject {
    Subject {
        kind: "ServiceAccount".into(),
        api_group: None,
        name: name.into(),
        namespace: Some(ns.into()),
    }
}

fn meta(ns: Option<&str>, name: &str) -> ObjectMeta {
    ObjectMeta {
        name: name.into(),
        namespace: ns.map(Into::into),
        ..ObjectMeta::default()
    }
}

pub struct Lab {
    pub inv: Inventory,
}

impl Lab {
    pub fn new() -> Self {
        let mut inv = Inventory::default();
        inv.clusters.push(EksCluster {
            name: "analytics".into(),
            arn: format!("arn:aws:eks:us-west-2:{ACCOUNT}:cluster/analytics"),
            identity: Some(ClusterIdentity {
                oidc: Some(OidcIdentity {
                    issuer: Some(ISSUER.into()),
                }),
            }),
            access_config: Some(AccessConfig {
                authentication_mode: Some("API_AND_CONFIG_MAP".into()),
                bootstrap_cluster_creator_admin_permissions: None,
            }),
            ..EksCluster::default()
        });
        for a in [
            area::EKS_CLUSTER,
            area::IAM,
            area::RBAC,
            area::NAMESPACES,
            area::SERVICE_ACCOUNTS,
            area::ACCESS_ENTRIES,
            area::VIRTUAL_CLUSTERS,
        ] {
            inv.present.insert(a.to_owned());
        }
        Self { inv }
    }

    pub fn namespace(&mut self, name: &str, labels: &[(&str, &str)]) -> &mut Self {
        let mut m = meta(None, name);
        for (k, v) in labels {
            m.labels.insert((*k).into(), (*v).into());
        }
        self.inv.namespaces.push(Namespace {
            metadata: m,
            ..Namespace::default()
        });
        self
    }

    pub fn virtual_cluster(&mut self, id: &str, ns: &str) -> &mut Self {
        self.inv.virtual_clusters.push(VirtualCluster {
            id: id.into(),
            name: Some(format!("vc-{ns}")),
            arn: Some(format!(
                "arn:aws:emr-containers:us-west-2:{ACCOUNT}:/virtualclusters/{id}"
            )),
            state: Some("RUNNING".into()),
            container_provider: ContainerProvider {
                provider_type: Some("EKS".into()),
                id: Some("analytics".into()),
                info: Some(ContainerInfo {
                    eks_info: Some(EksInfo {
                        namespace: Some(ns.into()),
                        node_label: None,
                    }),
                }),
            },
            ..VirtualCluster::default()
        });
        self
    }

    pub fn k8s_role(&mut self, ns: &str, name: &str, rules: Vec<PolicyRule>) -> &mut Self {
        self.inv.roles.push(Role {
            metadata: meta(Some(ns), name),
            rules,
            ..Role::default()
        });
        self
    }

    pub fn cluster_role(&mut self, name: &str, rules: Vec<PolicyRule>) -> &mut Self {
        self.inv.cluster_roles.push(Role {
            metadata: meta(None, name),
            rules,
            ..Role::default()
        });
        self
    }

    pub fn role_binding(
        &mut self,
        ns: &str,
        name: &str,
        role_kind: &str,
        role: &str,
        subjects: Vec<Subject>,
    ) -> &mut Self {
        self.inv.role_bindings.push(RoleBinding {
            metadata: meta(Some(ns), name),
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io".into(),
                kind: role_kind.into(),
                name: role.into(),
            },
            subjects,
            ..RoleBinding::default()
        });
        self
    }

    pub fn cluster_role_binding(
        &mut self,
        name: &str,
        role: &str,
        subjects: Vec<Subject>,
    ) -> &mut Self {
        self.inv.cluster_role_bindings.push(RoleBinding {
            metadata: meta(None, name),
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io".into(),
                kind: "ClusterRole".into(),
                name: role.into(),
            },
            subjects,
            ..RoleBinding::default()
        });
        self
    }

    pub fn service_account(&mut self, ns: &str, name: &str) -> &mut Self {
        self.inv.service_accounts.push(ServiceAccount {
            metadata: meta(Some(ns), name),
            ..ServiceAccount::default()
        });
        self
    }

    pub fn iam_user(&mut self, name: &str, policy_doc: Value) -> &mut Self {
        self.inv.iam_users.push(IamUser {
            user_name: name.into(),
            arn: user_arn(name),
            user_policy_list: vec![InlinePolicy {
                policy_name: format!("{name}-policy"),
                policy_document: policy(policy_doc),
            }],
            ..IamUser::default()
        });
        self
    }

    pub fn iam_role(&mut self, name: &str, trust: Value, policy_doc: Value) -> &mut Self {
        self.inv.iam_roles.push(IamRole {
            path: Some("/".into()),
            role_name: name.into(),
            arn: role_arn(name),
            assume_role_policy_document: Some(policy(trust)),
            role_policy_list: vec![InlinePolicy {
                policy_name: format!("{name}-policy"),
                policy_document: policy(policy_doc),
            }],
            ..IamRole::default()
        });
        self
    }

    pub fn access_entry(&mut self, principal: &str, groups: &[&str]) -> &mut Self {
        self.inv.access_entries.push(AccessEntry {
            cluster_name: Some("analytics".into()),
            principal_arn: principal.into(),
            kubernetes_groups: groups.iter().map(|g| (*g).to_owned()).collect(),
            username: None,
            entry_type: Some("STANDARD".into()),
            described: true,
            ..AccessEntry::default()
        });
        self
    }

    pub fn pod_identity(&mut self, ns: &str, sa: &str, role: &str) -> &mut Self {
        self.inv
            .pod_identity_associations
            .push(PodIdentityAssociation {
                cluster_name: Some("analytics".into()),
                namespace: ns.into(),
                service_account: sa.into(),
                role_arn: Some(role_arn(role)),
                association_id: Some(format!("a-{sa}")),
                ..PodIdentityAssociation::default()
            });
        self
    }

    /// A node group on launch template `lt-NAME` version 1 with these IMDS options.
    pub fn nodegroup(
        &mut self,
        name: &str,
        tokens: &str,
        hop_limit: i64,
        node_role: &str,
    ) -> &mut Self {
        let lt = format!("lt-{name}");
        self.inv.nodegroups.push(Nodegroup {
            nodegroup_name: name.into(),
            cluster_name: Some("analytics".into()),
            node_role: Some(role_arn(node_role)),
            launch_template: Some(LaunchTemplateSpec {
                name: None,
                version: Some("1".into()),
                id: Some(lt.clone()),
            }),
            ..Nodegroup::default()
        });
        self.inv
            .launch_template_versions
            .push(LaunchTemplateVersion {
                launch_template_id: Some(lt),
                launch_template_name: Some(name.into()),
                version_number: Some(1),
                default_version: Some(true),
                launch_template_data: LaunchTemplateData {
                    metadata_options: Some(MetadataOptions {
                        http_tokens: Some(tokens.into()),
                        http_put_response_hop_limit: Some(hop_limit),
                        http_endpoint: Some("enabled".into()),
                    }),
                    ..LaunchTemplateData::default()
                },
                ..LaunchTemplateVersion::default()
            });
        self.inv.present.insert(area::NODEGROUPS.to_owned());
        self.inv.present.insert(area::LAUNCH_TEMPLATES.to_owned());
        self
    }

    pub fn finish(&mut self) -> Inventory {
        let mut inv = std::mem::take(&mut self.inv);
        inv.finalize();
        inv
    }
}

/// The long path's world: IAM user `alice` -> access entry group `team-x` -> RoleBinding in
/// `emr-x` that allows creating pods -> the EMR driver service account of `exec-x` (not created
/// yet) -> `exec-x` -> `sts:AssumeRole` into `admin-x`, which has `*` on `*`.
pub fn long_path_lab() -> Lab {
    let mut lab = Lab::new();
    lab.namespace("emr-x", &[])
        .virtual_cluster("vcx", "emr-x")
        .k8s_role("emr-x", "developer", vec![rule(&["create", "get"], &[""], &["pods"])])
        .role_binding("emr-x", "developers", "Role", "developer", vec![group("team-x")])
        .iam_user("alice", allow(&["eks:DescribeCluster"], &["*"]))
        .access_entry(&user_arn("alice"), &["team-x"])
        .iam_role(
            "exec-x",
            emr_trust("emr-x", "exec-x"),
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::x-data/*"]},
                {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn("admin-x")}
            ]}),
        )
        .iam_role("admin-x", aws_trust(&role_arn("exec-x")), admin_policy());
    lab
}
