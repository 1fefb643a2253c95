//! Who made a request: EMR on EKS itself, one of EMR's service accounts, a Kubernetes
//! controller, a kubelet, or anyone else; and the configured exempt subjects.

use std::collections::BTreeSet;

use emrguard_model::emr::{self, EMR_USER};

use crate::review::UserInfo;

const SERVICE_ACCOUNT_PREFIX: &str = "system:serviceaccount:";
const NODE_PREFIX: &str = "system:node:";
const NODES_GROUP: &str = "system:nodes";
/// kube-controller-manager's own user, used when it runs without per-controller credentials.
pub const CONTROLLER_MANAGER_USER: &str = "system:kube-controller-manager";

/// The namespace of Kubernetes' built-in controllers' service accounts.
pub const CONTROLLER_NAMESPACE: &str = "kube-system";
/// Built-in controllers that create pods from a workload's template.
pub const POD_CREATING_CONTROLLERS: &[&str] = &[
    "daemon-set-controller",
    "job-controller",
    "replicaset-controller",
    "replication-controller",
    "statefulset-controller",
];
/// The controller that creates ReplicaSets from Deployments.
pub const DEPLOYMENT_CONTROLLER: &str = "deployment-controller";
/// The controller that creates Jobs from CronJobs.
pub const CRONJOB_CONTROLLER: &str = "cronjob-controller";
/// Controllers that update and delete objects they did not create (owner-based garbage
/// collection, namespace deletion).
pub const CLEANUP_CONTROLLERS: &[&str] = &["generic-garbage-collector", "namespace-controller"];

/// The requester of an admission request, classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requester<'a> {
    /// EMR on EKS itself: the `emr-containers` user its service-linked role is mapped to.
    EmrService,
    /// A service account.
    ServiceAccount {
        /// Its namespace.
        namespace: &'a str,
        /// Its name.
        name: &'a str,
    },
    /// kube-controller-manager acting with its own credentials.
    ControllerManager,
    /// A kubelet (`system:node:NAME` in group `system:nodes`).
    Node,
    /// Anyone else.
    Other,
}

impl<'a> Requester<'a> {
    /// Classifies `user`. `emr_usernames` are usernames EMR's service-linked role is mapped to
    /// besides `emr-containers` (read from aws-auth or access entries in a snapshot).
    pub fn classify(user: &'a UserInfo, emr_usernames: &BTreeSet<String>) -> Self {
        let name = user.username.as_str();
        if name == EMR_USER || emr_usernames.contains(name) || is_emr_slr_session(name) {
            return Self::EmrService;
        }
        if let Some(rest) = name.strip_prefix(SERVICE_ACCOUNT_PREFIX) {
            if let Some((namespace, name)) = rest.split_once(':') {
                return Self::ServiceAccount { namespace, name };
            }
            return Self::Other;
        }
        if name == CONTROLLER_MANAGER_USER {
            return Self::ControllerManager;
        }
        if name.starts_with(NODE_PREFIX) && user.groups.iter().any(|g| g == NODES_GROUP) {
            return Self::Node;
        }
        Self::Other
    }

    /// The built-in controller this is, if any (`job-controller`, ...).
    pub fn controller(&self) -> Option<&'a str> {
        match *self {
            Self::ServiceAccount { namespace, name } if namespace == CONTROLLER_NAMESPACE => {
                Some(name)
            }
            _ => None,
        }
    }

    /// Whether this is the garbage collector or the namespace controller.
    pub fn is_cleanup_controller(&self) -> bool {
        *self == Self::ControllerManager
            || self
                .controller()
                .is_some_and(|c| CLEANUP_CONTROLLERS.contains(&c))
    }
}

/// Whether `username` is what an EKS access entry of EMR's service-linked role without an
/// explicit username maps to: `arn:PARTITION:sts::ACCOUNT:assumed-role/AWSServiceRoleForAmazonEMRContainers/SESSION`.
pub fn is_emr_slr_session(username: &str) -> bool {
    let Some(rest) = username.strip_prefix("arn:") else {
        return false;
    };
    let mut parts = rest.splitn(5, ':');
    let (Some(_partition), Some("sts"), Some(""), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && resource
            .strip_prefix("assumed-role/")
            .and_then(|r| r.split_once('/'))
            .is_some_and(|(role, _session)| role == emr::EMR_SERVICE_LINKED_ROLE)
}

/// Subjects the webhook never denies (`webhook.exempt-subjects`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExemptSubjects {
    users: BTreeSet<String>,
    groups: BTreeSet<String>,
}

impl ExemptSubjects {
    /// Parses `User:NAME`, `Group:NAME` and `ServiceAccount:NS/NAME` entries.
    ///
    /// # Errors
    /// The first entry that is none of these.
    pub fn parse<S: AsRef<str>>(subjects: &[S]) -> Result<Self, String> {
        let mut exempt = Self::default();
        for subject in subjects {
            let subject = subject.as_ref();
            match emrguard_config::parse_subject(subject) {
                Some(("User", _, name)) => {
                    exempt.users.insert(name.to_owned());
                }
                Some(("Group", _, name)) => {
                    exempt.groups.insert(name.to_owned());
                }
                Some(("ServiceAccount", Some(ns), name)) => {
                    exempt
                        .users
                        .insert(format!("{SERVICE_ACCOUNT_PREFIX}{ns}:{name}"));
                }
                _ => {
                    return Err(format!(
                        "exempt subject {subject:?} is not User:NAME, Group:NAME or ServiceAccount:NAMESPACE/NAME"
                    ))
                }
            }
        }
        Ok(exempt)
    }

    /// The configured subject `user` matches, spelled as in the configuration.
    pub fn matching(&self, user: &UserInfo) -> Option<String> {
        if self.users.contains(&user.username) {
            return Some(subject_of(user));
        }
        user.groups
            .iter()
            .find(|g| self.groups.contains(*g))
            .map(|g| format!("Group:{g}"))
    }

    /// Whether nothing is exempt.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && self.groups.is_empty()
    }
}

/// The requester spelled as an exempt-subjects entry would name it.
pub fn subject_of(user: &UserInfo) -> String {
    match user
        .username
        .strip_prefix(SERVICE_ACCOUNT_PREFIX)
        .and_then(|rest| rest.split_once(':'))
    {
        Some((ns, name)) => format!("ServiceAccount:{ns}/{name}"),
        None => format!("User:{}", user.username),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, groups: &[&str]) -> UserInfo {
        UserInfo {
            username: name.to_owned(),
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        }
    }

    #[test]
    fn classifies_requesters() {
        let none = BTreeSet::new();
        let emr = user("emr-containers", &[]);
        assert_eq!(Requester::classify(&emr, &none), Requester::EmrService);
        let sa = user(
            "system:serviceaccount:emr:emr-containers-sa-spark-operator",
            &[],
        );
        assert_eq!(
            Requester::classify(&sa, &none),
            Requester::ServiceAccount {
                namespace: "emr",
                name: "emr-containers-sa-spark-operator"
            }
        );
        let job = user("system:serviceaccount:kube-system:job-controller", &[]);
        assert_eq!(
            Requester::classify(&job, &none).controller(),
            Some("job-controller")
        );
        let node = user("system:node:ip-10-0-0-1.ec2.internal", &["system:nodes"]);
        assert_eq!(Requester::classify(&node, &none), Requester::Node);
        // A user merely named like a node, without the group, is not a kubelet.
        let fake_node = user("system:node:x", &["dev"]);
        assert_eq!(Requester::classify(&fake_node, &none), Requester::Other);
        let mapped = user("emr-svc", &[]);
        assert_eq!(Requester::classify(&mapped, &none), Requester::Other);
        let extra: BTreeSet<String> = ["emr-svc".to_owned()].into();
        assert_eq!(Requester::classify(&mapped, &extra), Requester::EmrService);
    }

    #[test]
    fn slr_sessions() {
        assert!(is_emr_slr_session(
            "arn:aws:sts::111122223333:assumed-role/AWSServiceRoleForAmazonEMRContainers/abc"
        ));
        assert!(!is_emr_slr_session(
            "arn:aws:sts::111122223333:assumed-role/AWSServiceRoleForAmazonEMRContainersX/abc"
        ));
        assert!(!is_emr_slr_session(
            "arn:aws:iam::111122223333:role/AWSServiceRoleForAmazonEMRContainers"
        ));
        assert!(!is_emr_slr_session("emr-containers-ish"));
    }

    #[test]
    fn exempt_subjects_match() {
        let exempt =
            ExemptSubjects::parse(&["User:alice", "Group:ops", "ServiceAccount:ci/deployer"])
                .unwrap();
        assert_eq!(
            exempt.matching(&user("alice", &[])).as_deref(),
            Some("User:alice")
        );
        assert_eq!(
            exempt.matching(&user("bob", &["dev", "ops"])).as_deref(),
            Some("Group:ops")
        );
        assert_eq!(
            exempt
                .matching(&user("system:serviceaccount:ci:deployer", &[]))
                .as_deref(),
            Some("ServiceAccount:ci/deployer")
        );
        assert_eq!(
            exempt.matching(&user("system:serviceaccount:other:deployer", &[])),
            None
        );
        assert!(ExemptSubjects::parse(&["Role:x"]).is_err());
    }
}
