//! The Kubernetes permissions of EKS access policies.
//!
//! Source: the Amazon EKS User Guide, "Review access policy permissions"
//! (`latest/ug/manage-access/k8s-access/access-policy-reference.adoc` in
//! `awsdocs/amazon-eks-user-guide`, read in 2025 after the AmazonEKSSecretReaderPolicy update).
//! Policies whose rule tables that page publishes are [`Confidence::Documented`] and are copied
//! row by row (each table row is one rule). The page describes the EKS Auto Mode, Cluster
//! Insights and EMR policies only in prose, or not at all; their rules here are
//! [`Confidence::Approximate`] reconstructions, each with its basis in
//! [`AccessPolicyDefinition::basis`]. Policies the table does not know are reported by the
//! index and grant nothing.
//!
//! The documented semantics of scope (same page set, "Associate access policies"): a `cluster`
//! scope grants the rules in every namespace and cluster-wide; a `namespace` scope grants them
//! only inside the listed namespaces, where a name may contain `*` wildcards (`dev-*`). Access
//! policies apply only to requests made as the IAM principal itself: impersonation
//! (`kubectl --as`) drops them.

use emrguard_model::k8s::PolicyRule;
use serde::{Deserialize, Serialize};

/// How far an access policy's rules can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    /// Copied from the rule table AWS publishes.
    Documented,
    /// Reconstructed from AWS's prose description or from the RBAC the service is known to
    /// need; may differ from what EKS enforces.
    Approximate,
}

/// One rule of an access policy, as static data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaticRule {
    /// `apiGroups`.
    pub api_groups: &'static [&'static str],
    /// `resources`.
    pub resources: &'static [&'static str],
    /// `verbs`.
    pub verbs: &'static [&'static str],
    /// `resourceNames`.
    pub resource_names: &'static [&'static str],
    /// `nonResourceURLs`.
    pub non_resource_urls: &'static [&'static str],
}

impl StaticRule {
    /// The rule as a model [`PolicyRule`].
    pub fn to_policy_rule(&self) -> PolicyRule {
        let owned = |xs: &[&str]| xs.iter().map(|s| (*s).into()).collect();
        PolicyRule {
            verbs: owned(self.verbs),
            api_groups: owned(self.api_groups),
            resources: owned(self.resources),
            resource_names: owned(self.resource_names),
            non_resource_urls: owned(self.non_resource_urls),
        }
    }
}

/// An EKS access policy and its Kubernetes rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessPolicyDefinition {
    /// Name, e.g. `AmazonEKSAdminPolicy`.
    pub name: &'static str,
    /// Whether the rules are published by AWS or reconstructed.
    pub confidence: Confidence,
    /// Where the rules come from.
    pub basis: &'static str,
    /// The rules, in the order AWS lists them.
    pub rules: &'static [StaticRule],
}

impl AccessPolicyDefinition {
    /// The rules as model [`PolicyRule`]s.
    pub fn policy_rules(&self) -> Vec<PolicyRule> {
        self.rules.iter().map(StaticRule::to_policy_rule).collect()
    }
}

/// The policy name from an access policy ARN (`arn:PARTITION:eks::aws:cluster-access-policy/NAME`)
/// or a bare name.
pub fn access_policy_name(arn_or_name: &str) -> &str {
    arn_or_name
        .rsplit_once("cluster-access-policy/")
        .map_or(arn_or_name, |(_, name)| name)
}

/// The definition of an access policy, by ARN (any partition) or name.
pub fn access_policy(arn_or_name: &str) -> Option<&'static AccessPolicyDefinition> {
    let name = access_policy_name(arn_or_name);
    ACCESS_POLICIES.iter().find(|p| p.name == name)
}

const fn rule(
    api_groups: &'static [&'static str],
    resources: &'static [&'static str],
    verbs: &'static [&'static str],
) -> StaticRule {
    StaticRule {
        api_groups,
        resources,
        verbs,
        resource_names: &[],
        non_resource_urls: &[],
    }
}

const fn named(
    api_groups: &'static [&'static str],
    resources: &'static [&'static str],
    verbs: &'static [&'static str],
    resource_names: &'static [&'static str],
) -> StaticRule {
    StaticRule {
        api_groups,
        resources,
        verbs,
        resource_names,
        non_resource_urls: &[],
    }
}

const WRITE: &[&str] = &["create", "delete", "deletecollection", "patch", "update"];
const READ: &[&str] = &["get", "list", "watch"];
const ALL: &[&str] = &["*"];

/// Rows shared by `AmazonEKSEditPolicy` and `AmazonEKSAdminPolicy` (the `edit` part).
const EDIT_RULES: &[StaticRule] = &[
    rule(
        &["apps"],
        &[
            "daemonsets",
            "deployments",
            "deployments/rollback",
            "deployments/scale",
            "replicasets",
            "replicasets/scale",
            "statefulsets",
            "statefulsets/scale",
        ],
        WRITE,
    ),
    rule(
        &["apps"],
        &[
            "controllerrevisions",
            "daemonsets",
            "daemonsets/status",
            "deployments",
            "deployments/scale",
            "deployments/status",
            "replicasets",
            "replicasets/scale",
            "replicasets/status",
            "statefulsets",
            "statefulsets/scale",
            "statefulsets/status",
        ],
        READ,
    ),
    rule(
        &["autoscaling"],
        &[
            "horizontalpodautoscalers",
            "horizontalpodautoscalers/status",
        ],
        READ,
    ),
    rule(&["autoscaling"], &["horizontalpodautoscalers"], WRITE),
    rule(&["batch"], &["cronjobs", "jobs"], WRITE),
    rule(
        &["batch"],
        &["cronjobs", "cronjobs/status", "jobs", "jobs/status"],
        READ,
    ),
    rule(&["discovery.k8s.io"], &["endpointslices"], READ),
    rule(
        &["extensions"],
        &[
            "daemonsets",
            "deployments",
            "deployments/rollback",
            "deployments/scale",
            "ingresses",
            "networkpolicies",
            "replicasets",
            "replicasets/scale",
            "replicationcontrollers/scale",
        ],
        WRITE,
    ),
    rule(
        &["extensions"],
        &[
            "daemonsets",
            "daemonsets/status",
            "deployments",
            "deployments/scale",
            "deployments/status",
            "ingresses",
            "ingresses/status",
            "networkpolicies",
            "replicasets",
            "replicasets/scale",
            "replicasets/status",
            "replicationcontrollers/scale",
        ],
        READ,
    ),
    rule(
        &["networking.k8s.io"],
        &["ingresses", "networkpolicies"],
        WRITE,
    ),
    rule(
        &["networking.k8s.io"],
        &["ingresses", "ingresses/status", "networkpolicies"],
        READ,
    ),
    rule(&["policy"], &["poddisruptionbudgets"], WRITE),
    rule(
        &["policy"],
        &["poddisruptionbudgets", "poddisruptionbudgets/status"],
        READ,
    ),
    rule(&[""], &["namespaces"], READ),
    rule(
        &[""],
        &[
            "pods/attach",
            "pods/exec",
            "pods/portforward",
            "pods/proxy",
            "secrets",
            "services/proxy",
        ],
        READ,
    ),
    rule(&[""], &["serviceaccounts"], &["impersonate"]),
    rule(
        &[""],
        &[
            "pods",
            "pods/attach",
            "pods/exec",
            "pods/portforward",
            "pods/proxy",
        ],
        WRITE,
    ),
    rule(
        &[""],
        &[
            "configmaps",
            "events",
            "persistentvolumeclaims",
            "replicationcontrollers",
            "replicationcontrollers/scale",
            "secrets",
            "serviceaccounts",
            "services",
            "services/proxy",
        ],
        WRITE,
    ),
    rule(
        &[""],
        &[
            "configmaps",
            "endpoints",
            "persistentvolumeclaims",
            "persistentvolumeclaims/status",
            "pods",
            "replicationcontrollers",
            "replicationcontrollers/scale",
            "serviceaccounts",
            "services",
            "services/status",
        ],
        READ,
    ),
    rule(
        &[""],
        &[
            "bindings",
            "events",
            "limitranges",
            "namespaces/status",
            "pods/log",
            "pods/status",
            "replicationcontrollers/status",
            "resourcequotas",
            "resourcequotas/status",
        ],
        READ,
    ),
];

/// `AmazonEKSAdminPolicy`: the edit rows plus local subject access reviews and roles and
/// role bindings.
const ADMIN_RULES: &[StaticRule] = &[
    rule(
        &["apps"],
        &[
            "daemonsets",
            "deployments",
            "deployments/rollback",
            "deployments/scale",
            "replicasets",
            "replicasets/scale",
            "statefulsets",
            "statefulsets/scale",
        ],
        WRITE,
    ),
    rule(
        &["apps"],
        &[
            "controllerrevisions",
            "daemonsets",
            "daemonsets/status",
            "deployments",
            "deployments/scale",
            "deployments/status",
            "replicasets",
            "replicasets/scale",
            "replicasets/status",
            "statefulsets",
            "statefulsets/scale",
            "statefulsets/status",
        ],
        READ,
    ),
    rule(
        &["authorization.k8s.io"],
        &["localsubjectaccessreviews"],
        &["create"],
    ),
    rule(&["autoscaling"], &["horizontalpodautoscalers"], WRITE),
    rule(
        &["autoscaling"],
        &[
            "horizontalpodautoscalers",
            "horizontalpodautoscalers/status",
        ],
        READ,
    ),
    rule(&["batch"], &["cronjobs", "jobs"], WRITE),
    rule(
        &["batch"],
        &["cronjobs", "cronjobs/status", "jobs", "jobs/status"],
        READ,
    ),
    rule(&["discovery.k8s.io"], &["endpointslices"], READ),
    rule(
        &["extensions"],
        &[
            "daemonsets",
            "deployments",
            "deployments/rollback",
            "deployments/scale",
            "ingresses",
            "networkpolicies",
            "replicasets",
            "replicasets/scale",
            "replicationcontrollers/scale",
        ],
        WRITE,
    ),
    rule(
        &["extensions"],
        &[
            "daemonsets",
            "daemonsets/status",
            "deployments",
            "deployments/scale",
            "deployments/status",
            "ingresses",
            "ingresses/status",
            "networkpolicies",
            "replicasets",
            "replicasets/scale",
            "replicasets/status",
            "replicationcontrollers/scale",
        ],
        READ,
    ),
    rule(
        &["networking.k8s.io"],
        &["ingresses", "ingresses/status", "networkpolicies"],
        READ,
    ),
    rule(
        &["networking.k8s.io"],
        &["ingresses", "networkpolicies"],
        WRITE,
    ),
    rule(&["policy"], &["poddisruptionbudgets"], WRITE),
    rule(
        &["policy"],
        &["poddisruptionbudgets", "poddisruptionbudgets/status"],
        READ,
    ),
    rule(
        &["rbac.authorization.k8s.io"],
        &["rolebindings", "roles"],
        &[
            "create",
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "update",
            "watch",
        ],
    ),
    rule(
        &[""],
        &[
            "configmaps",
            "endpoints",
            "persistentvolumeclaims",
            "persistentvolumeclaims/status",
            "pods",
            "replicationcontrollers",
            "replicationcontrollers/scale",
            "serviceaccounts",
            "services",
            "services/status",
        ],
        READ,
    ),
    rule(
        &[""],
        &[
            "pods/attach",
            "pods/exec",
            "pods/portforward",
            "pods/proxy",
            "secrets",
            "services/proxy",
        ],
        READ,
    ),
    rule(
        &[""],
        &[
            "configmaps",
            "events",
            "persistentvolumeclaims",
            "replicationcontrollers",
            "replicationcontrollers/scale",
            "secrets",
            "serviceaccounts",
            "services",
            "services/proxy",
        ],
        WRITE,
    ),
    rule(
        &[""],
        &[
            "pods",
            "pods/attach",
            "pods/exec",
            "pods/portforward",
            "pods/proxy",
        ],
        WRITE,
    ),
    rule(&[""], &["serviceaccounts"], &["impersonate"]),
    rule(
        &[""],
        &[
            "bindings",
            "events",
            "limitranges",
            "namespaces/status",
            "pods/log",
            "pods/status",
            "replicationcontrollers/status",
            "resourcequotas",
            "resourcequotas/status",
        ],
        READ,
    ),
    rule(&[""], &["namespaces"], READ),
];

const VIEW_RULES: &[StaticRule] = &[
    rule(
        &["apps"],
        &[
            "controllerrevisions",
            "daemonsets",
            "daemonsets/status",
            "deployments",
            "deployments/scale",
            "deployments/status",
            "replicasets",
            "replicasets/scale",
            "replicasets/status",
            "statefulsets",
            "statefulsets/scale",
            "statefulsets/status",
        ],
        READ,
    ),
    rule(
        &["autoscaling"],
        &[
            "horizontalpodautoscalers",
            "horizontalpodautoscalers/status",
        ],
        READ,
    ),
    rule(
        &["batch"],
        &["cronjobs", "cronjobs/status", "jobs", "jobs/status"],
        READ,
    ),
    rule(&["discovery.k8s.io"], &["endpointslices"], READ),
    rule(
        &["extensions"],
        &[
            "daemonsets",
            "daemonsets/status",
            "deployments",
            "deployments/scale",
            "deployments/status",
            "ingresses",
            "ingresses/status",
            "networkpolicies",
            "replicasets",
            "replicasets/scale",
            "replicasets/status",
            "replicationcontrollers/scale",
        ],
        READ,
    ),
    rule(
        &["networking.k8s.io"],
        &["ingresses", "ingresses/status", "networkpolicies"],
        READ,
    ),
    rule(
        &["policy"],
        &["poddisruptionbudgets", "poddisruptionbudgets/status"],
        READ,
    ),
    rule(
        &[""],
        &[
            "configmaps",
            "endpoints",
            "persistentvolumeclaims",
            "persistentvolumeclaims/status",
            "pods",
            "replicationcontrollers",
            "replicationcontrollers/scale",
            "serviceaccounts",
            "services",
            "services/status",
        ],
        READ,
    ),
    rule(
        &[""],
        &[
            "bindings",
            "events",
            "limitranges",
            "namespaces/status",
            "pods/log",
            "pods/status",
            "replicationcontrollers/status",
            "resourcequotas",
            "resourcequotas/status",
        ],
        READ,
    ),
    rule(&[""], &["namespaces"], READ),
];

/// What the EMR service needs in a namespace: the `emr-containers` Role that
/// `eksctl create iamidentitymapping --service-name emr-containers` installs
/// (`eksctl-io/eksctl` `pkg/authconfigmap/assets/emr-containers-rbac.yaml`).
const EMR_JOB_RULES: &[StaticRule] = &[
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
        &[
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
        ],
    ),
    rule(&[""], &["secrets"], &["create", "patch", "delete", "watch"]),
    rule(
        &["apps"],
        &["statefulsets", "deployments"],
        &[
            "get", "list", "watch", "describe", "create", "edit", "delete", "annotate", "patch",
            "label",
        ],
    ),
    rule(
        &["batch"],
        &["jobs"],
        &[
            "get", "list", "watch", "describe", "create", "edit", "delete", "annotate", "patch",
            "label",
        ],
    ),
    rule(
        &["extensions", "networking.k8s.io"],
        &["ingresses"],
        &[
            "get", "list", "watch", "describe", "create", "edit", "delete", "annotate", "patch",
            "label",
        ],
    ),
    rule(
        &["rbac.authorization.k8s.io"],
        &["roles", "rolebindings"],
        &[
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
        ],
    ),
    rule(
        &[""],
        &["persistentvolumeclaims"],
        &[
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
        ],
    ),
];

const LEASE_RULES: &[StaticRule] = &[rule(
    &["coordination.k8s.io"],
    &["leases"],
    &["create", "get", "watch", "update", "patch"],
)];

/// Every access policy this engine knows, sorted by name.
pub const ACCESS_POLICIES: &[AccessPolicyDefinition] = &[
    AccessPolicyDefinition {
        name: "AmazonEKSAdminPolicy",
        confidence: Confidence::Documented,
        basis: "EKS User Guide, access policy permissions table",
        rules: ADMIN_RULES,
    },
    AccessPolicyDefinition {
        name: "AmazonEKSAdminViewPolicy",
        confidence: Confidence::Documented,
        basis: "EKS User Guide, access policy permissions table (includes Secrets)",
        rules: &[rule(ALL, ALL, READ)],
    },
    AccessPolicyDefinition {
        name: "AmazonEKSAutoNodePolicy",
        confidence: Confidence::Approximate,
        basis: "EKS User Guide prose: kube-proxy, ipamd, coredns, ebs-csi-driver, neuron and \
                node-monitoring-agent read nodes, pods, services and endpoints and manage events; \
                no rule table is published",
        rules: &[
            rule(
                &[""],
                &["nodes", "pods", "services", "endpoints", "namespaces"],
                READ,
            ),
            rule(&["discovery.k8s.io"], &["endpointslices"], READ),
            rule(&[""], &["events"], &["create", "patch", "update"]),
            rule(
                &["storage.k8s.io"],
                &["csinodes", "storageclasses", "volumeattachments"],
                READ,
            ),
        ],
    },
    AccessPolicyDefinition {
        name: "AmazonEKSBlockStorageClusterPolicy",
        confidence: Confidence::Approximate,
        basis: "EKS User Guide prose for the Auto Mode block storage capability; no rule table \
                is published",
        rules: &[
            rule(&["storage.k8s.io"], &["csidrivers"], ALL),
            rule(
                &[""],
                &["persistentvolumes"],
                &[
                    "get", "list", "watch", "create", "update", "patch", "delete",
                ],
            ),
            rule(
                &[""],
                &["persistentvolumeclaims"],
                &["get", "list", "watch", "update"],
            ),
            rule(&[""], &["persistentvolumeclaims/status"], &["patch"]),
            rule(&[""], &["nodes", "pods"], READ),
            rule(
                &[""],
                &["events"],
                &["create", "get", "list", "watch", "update", "patch"],
            ),
            rule(
                &["storage.k8s.io"],
                &["storageclasses", "csinodes", "volumeattributesclasses"],
                READ,
            ),
            rule(
                &["storage.k8s.io"],
                &["volumeattachments", "volumeattachments/status"],
                &["get", "list", "watch", "update", "patch"],
            ),
            rule(
                &["snapshot.storage.k8s.io", "groupsnapshot.storage.k8s.io"],
                ALL,
                ALL,
            ),
        ],
    },
    AccessPolicyDefinition {
        name: "AmazonEKSBlockStoragePolicy",
        confidence: Confidence::Approximate,
        basis: "EKS User Guide prose: leader-election leases only; the lease names are not \
                published, so names are not restricted here",
        rules: LEASE_RULES,
    },
    AccessPolicyDefinition {
        name: "AmazonEKSClusterAdminPolicy",
        confidence: Confidence::Documented,
        basis: "EKS User Guide, access policy permissions table",
        rules: &[
            rule(ALL, ALL, ALL),
            StaticRule {
                api_groups: &[],
                resources: &[],
                verbs: ALL,
                resource_names: &[],
                non_resource_urls: ALL,
            },
        ],
    },
    AccessPolicyDefinition {
        name: "AmazonEKSClusterInsightsPolicy",
        confidence: Confidence::Approximate,
        basis: "EKS User Guide prose: list and view nodes, read node status and the kube-proxy \
                DaemonSet",
        rules: &[
            rule(&[""], &["nodes"], &["get", "list"]),
            rule(&[""], &["nodes/status"], &["get"]),
            named(&["apps"], &["daemonsets"], &["get"], &["kube-proxy"]),
        ],
    },
    AccessPolicyDefinition {
        name: "AmazonEKSComputeClusterPolicy",
        confidence: Confidence::Approximate,
        basis: "EKS User Guide prose for the Auto Mode compute capability; no rule table is \
                published",
        rules: &[
            rule(
                &["karpenter.sh"],
                &[
                    "nodepools",
                    "nodepools/status",
                    "nodeclaims",
                    "nodeclaims/status",
                ],
                ALL,
            ),
            rule(
                &["eks.amazonaws.com"],
                &["nodeclasses", "nodeclasses/status"],
                ALL,
            ),
            rule(
                &[""],
                &[
                    "pods",
                    "nodes",
                    "persistentvolumes",
                    "persistentvolumeclaims",
                    "replicationcontrollers",
                    "namespaces",
                ],
                READ,
            ),
            rule(
                &["storage.k8s.io"],
                &["storageclasses", "csinodes", "volumeattachments"],
                READ,
            ),
            rule(
                &["apps"],
                &["deployments", "daemonsets", "replicasets", "statefulsets"],
                &["list", "watch"],
            ),
            rule(&["policy"], &["poddisruptionbudgets"], READ),
            rule(
                &[""],
                &["events"],
                &["create", "get", "list", "watch", "patch"],
            ),
            rule(&[""], &["nodes"], &["update", "patch", "delete"]),
            rule(&[""], &["pods/eviction"], &["create"]),
            rule(&[""], &["pods"], &["delete"]),
            rule(
                &["apiextensions.k8s.io"],
                &["customresourcedefinitions"],
                &["create"],
            ),
        ],
    },
    AccessPolicyDefinition {
        name: "AmazonEKSComputePolicy",
        confidence: Confidence::Approximate,
        basis: "EKS User Guide prose: leader-election leases and read access to all leases",
        rules: LEASE_RULES,
    },
    AccessPolicyDefinition {
        name: "AmazonEKSEditPolicy",
        confidence: Confidence::Documented,
        basis: "EKS User Guide, access policy permissions table",
        rules: EDIT_RULES,
    },
    AccessPolicyDefinition {
        name: "AmazonEKSHybridPolicy",
        confidence: Confidence::Documented,
        basis: "EKS User Guide, access policy permissions table",
        rules: &[rule(ALL, &["nodes"], &["list"])],
    },
    AccessPolicyDefinition {
        name: "AmazonEKSLoadBalancingClusterPolicy",
        confidence: Confidence::Approximate,
        basis: "EKS User Guide prose for the Auto Mode load balancing capability, which creates \
                webhook configurations; no rule table is published",
        rules: &[
            rule(&[""], &["events"], &["create", "patch"]),
            rule(&[""], &["pods", "nodes", "endpoints", "namespaces"], READ),
            rule(&[""], &["pods/status"], &["update", "patch"]),
            rule(&[""], &["services", "services/status"], ALL),
            rule(
                &["networking.k8s.io"],
                &["ingresses", "ingresses/status"],
                ALL,
            ),
            rule(&["discovery.k8s.io"], &["endpointslices"], READ),
            rule(&["networking.k8s.io"], &["ingressclasses"], READ),
            rule(
                &["eks.amazonaws.com"],
                &["targetgroupbindings", "targetgroupbindings/status"],
                ALL,
            ),
            rule(&["eks.amazonaws.com"], &["ingressclassparams"], READ),
            rule(
                &["apiextensions.k8s.io"],
                &["customresourcedefinitions"],
                &["create", "get", "list", "watch"],
            ),
            rule(
                &["admissionregistration.k8s.io"],
                &[
                    "mutatingwebhookconfigurations",
                    "validatingwebhookconfigurations",
                ],
                &["create", "get", "list", "watch"],
            ),
            named(
                &["admissionregistration.k8s.io"],
                &[
                    "mutatingwebhookconfigurations",
                    "validatingwebhookconfigurations",
                ],
                &["update", "patch", "delete"],
                &["eks-load-balancing-webhook"],
            ),
        ],
    },
    AccessPolicyDefinition {
        name: "AmazonEKSLoadBalancingPolicy",
        confidence: Confidence::Approximate,
        basis: "EKS User Guide prose: leader-election leases only",
        rules: LEASE_RULES,
    },
    AccessPolicyDefinition {
        name: "AmazonEKSNetworkingClusterPolicy",
        confidence: Confidence::Approximate,
        basis: "EKS User Guide prose for the Auto Mode networking capability; no rule table is \
                published",
        rules: &[
            rule(
                &["eks.amazonaws.com"],
                &[
                    "nodeclasses",
                    "nodeclasses/status",
                    "nodeclaims",
                    "nodeclaims/status",
                ],
                READ,
            ),
            rule(&[""], &["pods"], READ),
            rule(
                &["eks.amazonaws.com"],
                &["cninodes", "cninodes/status"],
                ALL,
            ),
            rule(
                &["apiextensions.k8s.io"],
                &["customresourcedefinitions"],
                &["create", "get", "list", "watch"],
            ),
            rule(&[""], &["events"], &["create", "patch"]),
        ],
    },
    AccessPolicyDefinition {
        name: "AmazonEKSNetworkingPolicy",
        confidence: Confidence::Approximate,
        basis: "EKS User Guide prose: leader-election leases only",
        rules: LEASE_RULES,
    },
    AccessPolicyDefinition {
        name: "AmazonEKSSecretReaderPolicy",
        confidence: Confidence::Documented,
        basis: "EKS User Guide, access policy permissions table",
        rules: &[rule(&[""], &["secrets"], READ)],
    },
    AccessPolicyDefinition {
        name: "AmazonEKSViewPolicy",
        confidence: Confidence::Documented,
        basis: "EKS User Guide, access policy permissions table",
        rules: VIEW_RULES,
    },
    AccessPolicyDefinition {
        name: "AmazonEMRJobPolicy",
        confidence: Confidence::Approximate,
        basis: "not published; assumed equal to the emr-containers Role that eksctl installs for \
                EMR on EKS (eksctl pkg/authconfigmap/assets/emr-containers-rbac.yaml, with the \
                later networking.k8s.io ingress group and full PVC verbs)",
        rules: EMR_JOB_RULES,
    },
];

/// Whether a namespace matches an access scope namespace entry, where `*` stands for any run of
/// characters (EKS: "you can specify `dev-*` as a namespace name").
pub fn namespace_pattern_matches(pattern: &str, namespace: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == namespace;
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return false;
    };
    if namespace.len() < first.len() + last.len()
        || !namespace.starts_with(first)
        || !namespace.ends_with(last)
    {
        return false;
    }
    let Some(mut rest) = namespace.get(first.len()..namespace.len() - last.len()) else {
        return false;
    };
    for middle in parts.iter().skip(1).take(parts.len().saturating_sub(2)) {
        match rest
            .find(middle)
            .and_then(|at| rest.get(at + middle.len()..))
        {
            Some(after) => rest = after,
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_are_sorted_and_unique() {
        let names: Vec<&str> = ACCESS_POLICIES.iter().map(|p| p.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
    }

    #[test]
    fn lookup_by_arn_in_any_partition() {
        let p = access_policy("arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSViewPolicy");
        assert_eq!(p.map(|p| p.name), Some("AmazonEKSViewPolicy"));
        assert!(access_policy("AmazonEKSNoSuchPolicy").is_none());
    }

    #[test]
    fn view_policy_has_no_secrets_but_admin_view_does() {
        let grants_secrets = |name: &str| {
            access_policy(name).is_some_and(|p| {
                p.policy_rules().iter().any(|r| {
                    crate::matching::rule_allows(
                        r,
                        &crate::Request::resource("get", "", "secrets", "", "ns", ""),
                    )
                })
            })
        };
        assert!(!grants_secrets("AmazonEKSViewPolicy"));
        assert!(grants_secrets("AmazonEKSAdminViewPolicy"));
        assert!(grants_secrets("AmazonEKSEditPolicy"));
    }

    #[test]
    fn namespace_wildcards() {
        assert!(namespace_pattern_matches("dev-*", "dev-a"));
        assert!(namespace_pattern_matches("dev-*", "dev-"));
        assert!(!namespace_pattern_matches("dev-*", "prod"));
        assert!(namespace_pattern_matches("*", "anything"));
        assert!(namespace_pattern_matches("a*b*c", "axxbyyc"));
        assert!(!namespace_pattern_matches("a*b*c", "axxc"));
        assert!(!namespace_pattern_matches("ab*ba", "aba"));
        assert!(namespace_pattern_matches("spark", "spark"));
        assert!(!namespace_pattern_matches("spark", "spark2"));
    }
}
