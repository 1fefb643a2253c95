//! What every rule sees: the inventory, the configuration, the EMR view, and shared helpers
//! that tell EMR's own identities, the control plane, admins and tenants apart.

use emrguard_config::Config;
use emrguard_model::emr::{is_emr_service_account_name, EMR_USER};
use emrguard_model::inventory::EmrView;
use emrguard_model::Inventory;

use crate::releases::ReleaseCatalog;

/// Who a Kubernetes subject is, for deciding whether its rights are a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SubjectClass {
    /// EMR on EKS's own identities: the `emr-containers` user and EMR-managed service
    /// accounts. They hold what EMR needs by design.
    Emr,
    /// Kubernetes' and EKS's own control plane: `system:*` users and groups, `eks:*`
    /// identities, and service accounts in `kube-system`.
    ControlPlane,
    /// Configured admins and break-glass subjects, and `system:masters`.
    Admin,
    /// Everyone else: tenants, job submitters, CI identities.
    Tenant,
}

/// The context a rule's `check` receives.
#[derive(Debug)]
pub struct CheckContext<'a> {
    /// The inventory.
    pub inventory: &'a Inventory,
    /// The configuration.
    pub config: &'a Config,
    /// The EMR view of the inventory.
    pub emr: EmrView,
    /// The release catalog for image-currency checks.
    pub releases: &'a ReleaseCatalog,
}

impl<'a> CheckContext<'a> {
    /// Builds the context.
    pub fn new(inventory: &'a Inventory, config: &'a Config, releases: &'a ReleaseCatalog) -> Self {
        let emr = inventory.emr_view();
        Self {
            inventory,
            config,
            emr,
            releases,
        }
    }

    /// Whether `namespace` is an EMR namespace (of a live virtual cluster).
    pub fn is_emr_namespace(&self, namespace: &str) -> bool {
        self.emr.is_emr_namespace(namespace)
    }

    /// Whether a subject is listed as a tenant subject in the configuration.
    pub fn is_configured_tenant(&self, kind: &str, namespace: Option<&str>, name: &str) -> bool {
        self.config.tenants.values().flat_map(|t| t.subjects.iter()).any(|s| {
            emrguard_config::parse_subject(s).is_some_and(|(k, ns, n)| {
                k == kind && n == name && (k != "ServiceAccount" || ns == namespace)
            })
        })
    }

    /// Classifies a Kubernetes subject (`User`, `Group` or `ServiceAccount`).
    pub fn classify_subject(&self, kind: &str, namespace: Option<&str>, name: &str) -> SubjectClass {
        if self.is_configured_tenant(kind, namespace, name) {
            return SubjectClass::Tenant;
        }
        if self.config.is_admin_subject(kind, namespace, name) {
            return SubjectClass::Admin;
        }
        match kind {
            "User" if name == EMR_USER => SubjectClass::Emr,
            "ServiceAccount" if is_emr_service_account_name(name) => SubjectClass::Emr,
            "ServiceAccount" if namespace == Some("kube-system") => SubjectClass::ControlPlane,
            "Group" if name == "system:masters" => SubjectClass::Admin,
            "User" | "Group" if name.starts_with("system:") || name.starts_with("eks:") => {
                SubjectClass::ControlPlane
            }
            _ => SubjectClass::Tenant,
        }
    }

    /// Classifies a user name as seen in `system:serviceaccount:NS:NAME` form or plain.
    pub fn classify_username(&self, username: &str) -> SubjectClass {
        match username
            .strip_prefix("system:serviceaccount:")
            .and_then(|rest| rest.split_once(':'))
        {
            Some((ns, name)) => self.classify_subject("ServiceAccount", Some(ns), name),
            None => self.classify_subject("User", None, username),
        }
    }

    /// The account id, or a placeholder for remediation text.
    pub fn account_id(&self) -> &str {
        self.inventory.account_id().unwrap_or("ACCOUNT_ID")
    }
}
