//! Derived capabilities: what a subject can do in a namespace that matters for EMR on EKS
//! (practice 6), each backed by the requests that allow it.

use std::collections::BTreeSet;

use emrguard_model::k8s::WorkloadKind;
use serde::Serialize;

use crate::decision::{Evidence, SubjectRef};
use crate::identity::Identity;
use crate::index::{NameMode, RbacIndex};
use crate::request::Request;

/// The target list entry that means "every object, including ones created later".
pub const EVERY: &str = "*";

/// Ways to gain privileges beyond one's own RBAC rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EscalationKind {
    /// `bind` on roles or clusterroles: bind roles one does not hold.
    Bind,
    /// `escalate` on roles or clusterroles: write roles with rules one does not hold.
    EscalateRoles,
    /// Create, update or patch role bindings or cluster role bindings.
    WriteRoleBindings,
    /// `impersonate` users, groups or service accounts.
    Impersonate,
    /// `nodes/proxy`: the kubelet API, which runs commands in any pod of the node.
    NodesProxy,
    /// Approve certificate signing requests (update `certificatesigningrequests/approval` and
    /// `approve` a signer): mint client certificates for any user.
    ApproveCertificateSigningRequests,
}

/// A derived capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CapabilityKind {
    /// Create pods, or create or update a pod-creating workload (deployments, replicasets,
    /// statefulsets, daemonsets, jobs, cronjobs, replicationcontrollers): run a pod as any
    /// service account of the namespace.
    RunAsAnyServiceAccount,
    /// Obtain a service account's token: `serviceaccounts/token` create, reading a legacy token
    /// secret, creating and reading a token secret, or running code in a pod that runs as it
    /// (exec or attach; update or patch of the pod's image or its ephemeral containers).
    ObtainServiceAccountToken,
    /// `pods/exec` or `pods/attach` with `create` or `get` (websocket).
    ExecIntoPods,
    /// Write ConfigMaps, from which EMR builds its managed pod templates.
    ModifyConfigMaps,
    /// Write mutating or validating webhook configurations.
    InterceptAdmission,
    /// Read secrets.
    ReadSecrets,
    /// Gain privileges beyond one's own rules.
    Escalate(EscalationKind),
}

impl std::fmt::Display for CapabilityKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            Self::RunAsAnyServiceAccount => "run-as-any-service-account",
            Self::ObtainServiceAccountToken => "obtain-service-account-token",
            Self::ExecIntoPods => "exec-into-pods",
            Self::ModifyConfigMaps => "modify-config-maps",
            Self::InterceptAdmission => "intercept-admission",
            Self::ReadSecrets => "read-secrets",
            Self::Escalate(EscalationKind::Bind) => "escalate:bind",
            Self::Escalate(EscalationKind::EscalateRoles) => "escalate:escalate-roles",
            Self::Escalate(EscalationKind::WriteRoleBindings) => "escalate:write-role-bindings",
            Self::Escalate(EscalationKind::Impersonate) => "escalate:impersonate",
            Self::Escalate(EscalationKind::NodesProxy) => "escalate:nodes-proxy",
            Self::Escalate(EscalationKind::ApproveCertificateSigningRequests) => {
                "escalate:approve-certificate-signing-requests"
            }
        };
        f.write_str(s)
    }
}

/// A capability of an identity, with the allowed requests that give it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Capability {
    /// What it can do.
    pub kind: CapabilityKind,
    /// Where: the namespace, or `None` for a cluster-wide capability.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// What it reaches, sorted: service accounts for run-as and token capabilities, pods for
    /// exec, secrets, ConfigMaps, roles, webhook configurations; [`EVERY`] when rules are not
    /// limited by name (so objects created later are reached too).
    pub targets: Vec<String>,
    /// The allowed requests, with their grants.
    pub evidence: Vec<Evidence>,
}

/// The pod-creating workload resources, as (API group, resource).
pub const WORKLOAD_RESOURCES: &[(&str, &str)] = &[
    ("apps", "deployments"),
    ("apps", "replicasets"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
    ("", "replicationcontrollers"),
];

/// The (API group, resource) of a workload kind.
pub fn workload_resource(kind: WorkloadKind) -> (&'static str, &'static str) {
    match kind {
        WorkloadKind::Deployment => ("apps", "deployments"),
        WorkloadKind::StatefulSet => ("apps", "statefulsets"),
        WorkloadKind::DaemonSet => ("apps", "daemonsets"),
        WorkloadKind::ReplicaSet => ("apps", "replicasets"),
        WorkloadKind::Job => ("batch", "jobs"),
        WorkloadKind::CronJob => ("batch", "cronjobs"),
        WorkloadKind::ReplicationController => ("", "replicationcontrollers"),
    }
}

/// Signer names whose approval lets one mint credentials, and the wildcard form kube-apiserver
/// also accepts for them.
const SIGNERS: &[&str] = &[
    "kubernetes.io/*",
    "kubernetes.io/kube-apiserver-client",
    "kubernetes.io/kube-apiserver-client-kubelet",
    "kubernetes.io/kubelet-serving",
];

/// How a request's name is used.
#[derive(Debug, Clone, Copy)]
enum Names<'a> {
    /// The request has no name (create of a top-level resource, deletecollection).
    None,
    /// The request names an existing object (get, update, patch, delete, subresources).
    Object(&'a [String]),
    /// list or watch: without a name it covers every object; with a `metadata.name` field
    /// selector it is authorized for that name.
    List(&'a [String]),
}

/// What a probe found: every object, or some named ones, each with evidence.
#[derive(Debug, Default)]
struct Found {
    every: bool,
    names: BTreeSet<String>,
    evidence: Vec<Evidence>,
}

impl Found {
    fn merge(&mut self, other: Found) {
        self.every |= other.every;
        self.names.extend(other.names);
        self.evidence.extend(other.evidence);
    }

    fn is_empty(&self) -> bool {
        self.evidence.is_empty()
    }

    fn targets(&self) -> Vec<String> {
        if self.every {
            vec![EVERY.to_owned()]
        } else {
            self.names.iter().cloned().collect()
        }
    }
}

/// An identity being probed, with the bindings that match it (the same for every probe).
struct Prober<'a> {
    identity: &'a Identity,
    bindings: Vec<(usize, usize)>,
}

impl RbacIndex {
    fn authorize_probe(
        &self,
        prober: &Prober<'_>,
        request: &Request,
        mode: NameMode,
    ) -> crate::Decision {
        self.authorize_among(prober.identity, &prober.bindings, request, mode)
    }

    fn probe(&self, prober: &Prober<'_>, request: &Request, names: Names<'_>) -> Found {
        let mut found = Found::default();
        let nameless = matches!(names, Names::None | Names::List(_));
        let every = if nameless {
            self.authorize_probe(prober, request, NameMode::Exact)
        } else {
            self.authorize_probe(prober, request, NameMode::Any)
        };
        if every.allowed {
            found.every = true;
            found.evidence.push(Evidence {
                request: request.clone(),
                every_name: true,
                grants: every.grants,
            });
            return found;
        }
        let (Names::Object(list) | Names::List(list)) = names else {
            return found;
        };
        // Only a rule with `resourceNames` can still allow some names: without one, trying
        // each object of the namespace would find nothing.
        if list.is_empty()
            || !self
                .authorize_probe(prober, request, NameMode::Some)
                .allowed
        {
            return found;
        }
        for name in list {
            let named = request.named(name);
            let decision = self.authorize_probe(prober, &named, NameMode::Exact);
            if decision.allowed {
                found.names.insert(name.clone());
                found.evidence.push(Evidence {
                    request: named,
                    every_name: false,
                    grants: decision.grants,
                });
            }
        }
        found
    }

    fn probe_verbs(
        &self,
        prober: &Prober<'_>,
        verbs: &[&str],
        template: &Request,
        names: &[String],
    ) -> Found {
        let mut found = Found::default();
        let mut request = template.clone();
        for &verb in verbs {
            request.verb = verb.into();
            let use_names = match verb {
                "create" if template.subresource.is_empty() => Names::None,
                "deletecollection" => Names::None,
                "list" | "watch" => Names::List(names),
                _ => Names::Object(names),
            };
            found.merge(self.probe(prober, &request, use_names));
        }
        found
    }

    /// The capabilities of a subject (see [`RbacIndex::identity_for`]) in a namespace, plus its
    /// cluster-wide capabilities.
    pub fn capabilities_of(&self, subject: &SubjectRef, namespace: &str) -> Vec<Capability> {
        self.identity_for(subject)
            .map(|identity| self.capabilities(&identity, namespace))
            .unwrap_or_default()
    }

    /// The capabilities of an identity in `namespace` (namespace-scoped ones) and cluster-wide
    /// (admission webhooks, cluster role bindings, impersonation of users and groups, nodes
    /// proxy, CSR approval), sorted by kind. Names of existing objects come from the inventory
    /// the index was built from.
    pub fn capabilities(&self, identity: &Identity, namespace: &str) -> Vec<Capability> {
        let prober = &Prober {
            identity,
            bindings: self.bindings_matching(identity),
        };
        let empty = crate::index::NamespaceObjects::default();
        let objects = self.objects.get(namespace).unwrap_or(&empty);
        let cluster = self.objects.get("").unwrap_or(&empty);
        let ns = namespace;
        let res = |group: &str, resource: &str, sub: &str, in_ns: &str| {
            Request::resource("", group, resource, sub, in_ns, "")
        };
        let mut out = Vec::new();
        let mut push = |kind: CapabilityKind, namespace: Option<&str>, found: Found| {
            if !found.is_empty() {
                out.push(Capability {
                    kind,
                    namespace: namespace.map(str::to_owned),
                    targets: found.targets(),
                    evidence: found.evidence,
                });
            }
        };
        let service_accounts = &objects.service_accounts;
        let pod_names = &objects.pod_names;

        if !ns.is_empty() {
            // Run a pod as any service account.
            let mut run = self.probe_verbs(prober, &["create"], &res("", "pods", "", ns), &[]);
            for &(group, resource) in WORKLOAD_RESOURCES {
                let names = objects
                    .workload_names
                    .get(resource)
                    .map_or(&[][..], Vec::as_slice);
                run.merge(self.probe_verbs(
                    prober,
                    &["create", "update", "patch"],
                    &res(group, resource, "", ns),
                    names,
                ));
            }
            if !run.is_empty() {
                run.every = true;
            }
            push(CapabilityKind::RunAsAnyServiceAccount, Some(ns), run);

            // Exec or attach into pods (get is enough over websockets).
            let mut exec = Found::default();
            for sub in ["exec", "attach"] {
                exec.merge(self.probe_verbs(
                    prober,
                    &["create", "get"],
                    &res("", "pods", sub, ns),
                    pod_names,
                ));
            }
            // Changing a running pod (a new image, or an ephemeral container) also runs code
            // as its service account.
            let mut in_pod = self.probe_verbs(
                prober,
                &["update", "patch"],
                &res("", "pods", "ephemeralcontainers", ns),
                pod_names,
            );
            in_pod.merge(self.probe_verbs(
                prober,
                &["update", "patch"],
                &res("", "pods", "", ns),
                pod_names,
            ));
            in_pod.merge(Found {
                every: exec.every,
                names: exec.names.clone(),
                evidence: exec.evidence.clone(),
            });
            let exec_sas: BTreeSet<String> = objects
                .pods
                .iter()
                .filter(|(p, _)| in_pod.every || in_pod.names.contains(p))
                .map(|(_, sa)| sa.clone())
                .collect();
            let exec_every = in_pod.every;
            let exec_evidence = in_pod.evidence;
            push(CapabilityKind::ExecIntoPods, Some(ns), exec);

            // Obtain a service account token.
            let mut token = self.probe_verbs(
                prober,
                &["create"],
                &res("", "serviceaccounts", "token", ns),
                service_accounts,
            );
            let token_secret_names = &objects.token_secret_names;
            let read_tokens = self.probe_verbs(
                prober,
                &["get", "list", "watch"],
                &res("", "secrets", "", ns),
                token_secret_names,
            );
            if !read_tokens.is_empty() {
                for (secret, sa) in &objects.token_secrets {
                    if read_tokens.every || read_tokens.names.contains(secret) {
                        token.names.insert(sa.clone());
                    }
                }
                token.evidence.extend(read_tokens.evidence);
            }
            // Creating a token secret for any service account makes the token controller fill
            // it; reading it back needs get or list on secrets.
            let create_secret =
                self.probe_verbs(prober, &["create"], &res("", "secrets", "", ns), &[]);
            let read_any_secret = self.probe_verbs(
                prober,
                &["get", "list", "watch"],
                &res("", "secrets", "", ns),
                &[],
            );
            if !create_secret.is_empty() && read_any_secret.every {
                token.every = true;
                token.evidence.extend(create_secret.evidence);
                token.evidence.extend(read_any_secret.evidence);
            }
            if !exec_evidence.is_empty() {
                token.names.extend(exec_sas);
                token.every |= exec_every;
                token.evidence.extend(exec_evidence);
            }
            push(CapabilityKind::ObtainServiceAccountToken, Some(ns), token);

            push(
                CapabilityKind::ModifyConfigMaps,
                Some(ns),
                self.probe_verbs(
                    prober,
                    &["create", "update", "patch", "delete", "deletecollection"],
                    &res("", "configmaps", "", ns),
                    &objects.config_maps,
                ),
            );
            push(
                CapabilityKind::ReadSecrets,
                Some(ns),
                self.probe_verbs(
                    prober,
                    &["get", "list", "watch"],
                    &res("", "secrets", "", ns),
                    &objects.secrets,
                ),
            );

            let role_names = self.role_names("Role", Some(ns));
            let cluster_role_names = self.role_names("ClusterRole", None);
            let rbac = "rbac.authorization.k8s.io";
            let mut bind =
                self.probe_verbs(prober, &["bind"], &res(rbac, "roles", "", ns), role_names);
            bind.merge(self.probe_verbs(
                prober,
                &["bind"],
                &res(rbac, "clusterroles", "", ns),
                cluster_role_names,
            ));
            push(
                CapabilityKind::Escalate(EscalationKind::Bind),
                Some(ns),
                bind,
            );
            let mut escalate = self.probe_verbs(
                prober,
                &["escalate"],
                &res(rbac, "roles", "", ns),
                role_names,
            );
            escalate.merge(self.probe_verbs(
                prober,
                &["escalate"],
                &res(rbac, "clusterroles", "", ns),
                cluster_role_names,
            ));
            push(
                CapabilityKind::Escalate(EscalationKind::EscalateRoles),
                Some(ns),
                escalate,
            );
            push(
                CapabilityKind::Escalate(EscalationKind::WriteRoleBindings),
                Some(ns),
                self.probe_verbs(
                    prober,
                    &["create", "update", "patch"],
                    &res(rbac, "rolebindings", "", ns),
                    &[],
                ),
            );
            push(
                CapabilityKind::Escalate(EscalationKind::Impersonate),
                Some(ns),
                self.probe_verbs(
                    prober,
                    &["impersonate"],
                    &res("", "serviceaccounts", "", ns),
                    service_accounts,
                ),
            );
        }

        // Cluster-wide capabilities.
        let mut webhooks = Found::default();
        for resource in [
            "mutatingwebhookconfigurations",
            "validatingwebhookconfigurations",
        ] {
            webhooks.merge(self.probe_verbs(
                prober,
                &["create", "update", "patch", "delete", "deletecollection"],
                &res("admissionregistration.k8s.io", resource, "", ""),
                &cluster.webhooks,
            ));
        }
        push(CapabilityKind::InterceptAdmission, None, webhooks);
        let rbac = "rbac.authorization.k8s.io";
        let cluster_role_names = self.role_names("ClusterRole", None);
        push(
            CapabilityKind::Escalate(EscalationKind::Bind),
            None,
            self.probe_verbs(
                prober,
                &["bind"],
                &res(rbac, "clusterroles", "", ""),
                cluster_role_names,
            ),
        );
        push(
            CapabilityKind::Escalate(EscalationKind::EscalateRoles),
            None,
            self.probe_verbs(
                prober,
                &["escalate"],
                &res(rbac, "clusterroles", "", ""),
                cluster_role_names,
            ),
        );
        push(
            CapabilityKind::Escalate(EscalationKind::WriteRoleBindings),
            None,
            self.probe_verbs(
                prober,
                &["create", "update", "patch"],
                &res(rbac, "clusterrolebindings", "", ""),
                &[],
            ),
        );
        let mut impersonate = Found::default();
        for resource in ["users", "groups", "serviceaccounts"] {
            impersonate.merge(self.probe_verbs(
                prober,
                &["impersonate"],
                &res("", resource, "", ""),
                &[],
            ));
        }
        push(
            CapabilityKind::Escalate(EscalationKind::Impersonate),
            None,
            impersonate,
        );
        push(
            CapabilityKind::Escalate(EscalationKind::NodesProxy),
            None,
            self.probe_verbs(
                prober,
                &["get", "create", "update", "patch"],
                &res("", "nodes", "proxy", ""),
                &cluster.nodes,
            ),
        );
        let approval = self.probe_verbs(
            prober,
            &["update", "patch"],
            &res(
                "certificates.k8s.io",
                "certificatesigningrequests",
                "approval",
                "",
            ),
            &[],
        );
        let signers: Vec<String> = SIGNERS.iter().map(|s| (*s).to_owned()).collect();
        let approve = self.probe_verbs(
            prober,
            &["approve"],
            &res("certificates.k8s.io", "signers", "", ""),
            &signers,
        );
        if !approval.is_empty() && !approve.is_empty() {
            let mut both = approve;
            both.evidence.extend(approval.evidence);
            push(
                CapabilityKind::Escalate(EscalationKind::ApproveCertificateSigningRequests),
                None,
                both,
            );
        }
        out.sort_by(|a, b| (a.kind, &a.namespace).cmp(&(b.kind, &b.namespace)));
        out
    }

    /// Names of the Roles of `namespace`, or of the ClusterRoles when it is `None`, sorted.
    /// Borrowed: the cluster's role names can be thousands, and every probe asks for them.
    fn role_names(&self, kind: &str, namespace: Option<&str>) -> &[String] {
        let key = match (kind, namespace) {
            ("Role", Some(ns)) => ns,
            ("ClusterRole", None) => "",
            _ => return &[],
        };
        self.objects.get(key).map_or(&[], |o| o.roles.as_slice())
    }
}
