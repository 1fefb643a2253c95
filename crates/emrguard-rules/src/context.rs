//! What every rule sees: the inventory, the configuration, the EMR view, and shared helpers
//! that tell EMR's own identities, the control plane, admins and tenants apart.

use emrguard_model::hash::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use emrguard_config::Config;
use emrguard_iam::privilege::PrivilegeSummary;
use emrguard_iam::{Analyzer, PolicySet};
use emrguard_model::aws::{IamRole, IamUser};
use emrguard_model::emr::{is_emr_service_account_name, EMR_USER};
use emrguard_model::inventory::EmrView;
use emrguard_model::Inventory;
use emrguard_rbac::{RbacIndex, SubjectKind, SubjectRef};

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
    rbac: OnceLock<RbacIndex>,
    tenant_capabilities: OnceLock<Vec<crate::rules::rbac::TenantCapability>>,
    iam_analyzer: Mutex<Analyzer<'a>>,
    iam_analyses: Mutex<HashMap<String, Arc<IamAnalysis>>>,
    usable_roles: OnceLock<crate::rules::exec_role::UsableRoles>,
    raw_grants: OnceLock<crate::rules::exec_role::raw_grants::RawGrants>,
    tenant_lookup: OnceLock<TenantLookup>,
    subject_classes: Mutex<HashMap<SubjectRef, SubjectClass>>,
    /// Large working data rules are done with (access graphs), freed with the context.
    /// (`Any` only for `Debug`: nothing reads them back.)
    leftovers: Mutex<Vec<Box<dyn std::any::Any + Send>>>,
}

/// The configuration's tenant subjects and principals, indexed once: rules ask about every
/// subject and principal of the inventory.
#[derive(Debug, Default)]
struct TenantLookup {
    /// IAM principal ARNs exactly as listed.
    principals: HashSet<String>,
    /// `(kind, namespace for service accounts, name)` of listed subjects.
    subjects: HashSet<(String, Option<String>, String)>,
}

impl TenantLookup {
    fn new(config: &Config) -> Self {
        let mut out = Self::default();
        for t in config.tenants.values() {
            out.principals.extend(t.iam_principals.iter().cloned());
            for s in &t.subjects {
                if let Some((kind, ns, name)) = emrguard_config::parse_subject(s) {
                    out.subjects.insert(subject_key(kind, ns, name));
                }
            }
        }
        out
    }
}

/// The key of a subject in [`TenantLookup::subjects`]: the namespace only counts for service
/// accounts.
fn subject_key(
    kind: &str,
    namespace: Option<&str>,
    name: &str,
) -> (String, Option<String>, String) {
    let namespace = if kind == "ServiceAccount" {
        namespace.map(str::to_owned)
    } else {
        None
    };
    (kind.to_owned(), namespace, name.to_owned())
}

/// An IAM principal's policies and what they add up to, computed once per audit.
#[derive(Debug)]
pub struct IamAnalysis {
    /// The principal's identity policies (with its groups' for users) and boundary.
    pub policies: PolicySet,
    /// Effective permissions, privilege classes and tier.
    pub privilege: PrivilegeSummary,
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
            rbac: OnceLock::new(),
            tenant_capabilities: OnceLock::new(),
            iam_analyzer: Mutex::new(Analyzer::new(inventory)),
            iam_analyses: Mutex::new(HashMap::default()),
            usable_roles: OnceLock::new(),
            raw_grants: OnceLock::new(),
            tenant_lookup: OnceLock::new(),
            subject_classes: Mutex::new(HashMap::default()),
            leftovers: Mutex::new(Vec::new()),
        }
    }

    /// Keeps a rule's large working data until the context is dropped instead of freeing it
    /// on the rule's path: a caller about to exit may skip freeing the context altogether.
    pub(crate) fn free_with_context(&self, value: impl std::any::Any + Send) {
        self.leftovers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Box::new(value));
    }

    /// Live EMR namespace → execution role ARN → why the role is usable there, computed once
    /// for the isolation and submitter rules.
    pub(crate) fn usable_roles(&self) -> &crate::rules::exec_role::UsableRoles {
        self.usable_roles
            .get_or_init(|| crate::rules::exec_role::compute_usable_roles(self))
    }

    /// What each IAM principal's documents, as written, may allow of EMR's submission actions
    /// and `iam:PassRole`, read once for every rule that asks.
    pub(crate) fn raw_grants(&self) -> &crate::rules::exec_role::raw_grants::RawGrants {
        self.raw_grants
            .get_or_init(|| crate::rules::exec_role::raw_grants::RawGrants::watched(self.inventory))
    }

    /// The IAM analysis of a role (policies, effective permissions, privilege tier), computed
    /// on first use and shared by every rule.
    pub fn iam_summary(&self, role: &IamRole) -> Arc<IamAnalysis> {
        self.iam_analysis_with(&role.arn, || PolicySet::for_role(self.inventory, role))
    }

    /// The IAM analysis of a user, its groups' policies included, computed on first use.
    pub fn iam_user_summary(&self, user: &IamUser) -> Arc<IamAnalysis> {
        self.iam_analysis_with(&user.arn, || PolicySet::for_user(self.inventory, user))
    }

    fn iam_analysis_with(
        &self,
        arn: &str,
        policies: impl FnOnce() -> PolicySet,
    ) -> Arc<IamAnalysis> {
        // A poisoned lock only means another rule panicked mid-insert; the map is still valid.
        if let Some(hit) = self
            .iam_analyses
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(arn)
        {
            return Arc::clone(hit);
        }
        let policies = policies();
        let privilege = self
            .iam_analyzer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .analyze_set(&policies);
        let analysis = Arc::new(IamAnalysis {
            policies,
            privilege,
        });
        self.iam_analyses
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(arn.to_owned())
            .or_insert(analysis)
            .clone()
    }

    /// The RBAC index of the inventory, built on first use.
    pub fn rbac(&self) -> &RbacIndex {
        self.rbac.get_or_init(|| RbacIndex::build(self.inventory))
    }

    /// Every dangerous capability of tenant subjects in EMR namespaces or cluster-wide,
    /// computed once for all RBAC rules.
    pub fn tenant_capabilities(&self) -> &[crate::rules::rbac::TenantCapability] {
        self.tenant_capabilities
            .get_or_init(|| crate::rules::rbac::compute_tenant_capabilities(self))
    }

    /// Classifies an RBAC subject or access entry (once per audit: the RBAC rules and the
    /// path rule ask about the same subjects).
    pub fn classify_rbac_subject(&self, subject: &SubjectRef) -> SubjectClass {
        // A poisoned lock only means another rule panicked mid-insert; the map is still valid.
        if let Some(class) = self
            .subject_classes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(subject)
        {
            return *class;
        }
        let class = self.classify_rbac_subject_uncached(subject);
        self.subject_classes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(subject.clone(), class);
        class
    }

    fn classify_rbac_subject_uncached(&self, subject: &SubjectRef) -> SubjectClass {
        let class = match subject.kind {
            SubjectKind::AccessEntry => self.classify_principal(&subject.name),
            kind => {
                self.classify_subject(kind.as_str(), subject.namespace.as_deref(), &subject.name)
            }
        };
        if class != SubjectClass::Tenant
            || self.is_configured_tenant(
                subject.kind.as_str(),
                subject.namespace.as_deref(),
                &subject.name,
            )
            || (subject.kind == SubjectKind::AccessEntry
                && self.is_configured_tenant_principal(&subject.name))
        {
            return class;
        }
        // A subject that holds every verb on every resource cluster-wide is a cluster admin
        // (cluster-admin, AmazonEKSClusterAdminPolicy); its other rights add nothing to report.
        let everything = emrguard_rbac::Request::resource("*", "*", "*", "", "", "");
        let is_admin = self.rbac().identity_for(subject).is_some_and(|identity| {
            self.rbac()
                .authorize(&identity, &everything)
                .grants
                .iter()
                .any(|g| grant_is_own(g, subject))
        });
        if is_admin {
            SubjectClass::Admin
        } else {
            SubjectClass::Tenant
        }
    }

    /// Classifies an IAM principal mapped into Kubernetes.
    pub fn classify_principal(&self, arn: &str) -> SubjectClass {
        if self.is_configured_tenant_principal(arn) {
            return SubjectClass::Tenant;
        }
        if self.config.is_admin_principal(arn) {
            return SubjectClass::Admin;
        }
        if emrguard_model::emr::is_emr_service_linked_role(arn) {
            return SubjectClass::Emr;
        }
        let mapped = self.inventory.kubernetes_identities(arn);
        if !mapped.is_empty()
            && mapped.iter().all(|m| {
                m.groups
                    .iter()
                    .any(|g| g == "system:nodes" || g == "system:masters")
                    || m.username.starts_with("system:node:")
            })
        {
            return if mapped
                .iter()
                .any(|m| m.groups.iter().any(|g| g == "system:masters"))
            {
                SubjectClass::Admin
            } else {
                SubjectClass::ControlPlane
            };
        }
        if self.inventory.access_entries.iter().any(|e| {
            e.principal_arn == arn && e.entry_type.as_deref().is_some_and(|t| t != "STANDARD")
        }) {
            return SubjectClass::ControlPlane;
        }
        SubjectClass::Tenant
    }

    /// Whether an IAM principal is listed under a tenant in the configuration.
    pub fn is_configured_tenant_principal(&self, arn: &str) -> bool {
        self.tenant_lookup().principals.contains(arn)
    }

    fn tenant_lookup(&self) -> &TenantLookup {
        self.tenant_lookup
            .get_or_init(|| TenantLookup::new(self.config))
    }

    /// Whether `namespace` is an EMR namespace (of a live virtual cluster).
    pub fn is_emr_namespace(&self, namespace: &str) -> bool {
        self.emr.is_emr_namespace(namespace)
    }

    /// Whether a subject is listed as a tenant subject in the configuration.
    pub fn is_configured_tenant(&self, kind: &str, namespace: Option<&str>, name: &str) -> bool {
        self.tenant_lookup()
            .subjects
            .contains(&subject_key(kind, namespace, name))
    }

    /// Classifies a Kubernetes subject (`User`, `Group` or `ServiceAccount`).
    pub fn classify_subject(
        &self,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> SubjectClass {
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
            // Everyone-groups are judged like tenants: granting them anything dangerous is a
            // finding about every user.
            "Group"
                if matches!(
                    name,
                    "system:authenticated" | "system:unauthenticated" | "system:serviceaccounts"
                ) || name.starts_with("system:serviceaccounts:") =>
            {
                SubjectClass::Tenant
            }
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

/// Whether a grant comes from the subject's own binding subject or access entry (not from a
/// group it is a member of, which is judged as its own subject).
pub fn grant_is_own(grant: &emrguard_rbac::Grant, subject: &SubjectRef) -> bool {
    match &grant.source {
        emrguard_rbac::GrantSource::Binding {
            subject: s,
            binding,
            ..
        } => {
            s.kind == subject.kind.as_str()
                && s.name == subject.name
                && (subject.kind != SubjectKind::ServiceAccount
                    || s.namespace.as_deref().or(binding.namespace.as_deref())
                        == subject.namespace.as_deref())
        }
        emrguard_rbac::GrantSource::AccessPolicy { principal_arn, .. } => {
            subject.kind == SubjectKind::AccessEntry && *principal_arn == subject.name
        }
        emrguard_rbac::GrantSource::PrivilegedGroup { group, .. } => {
            subject.kind == SubjectKind::Group && *group == subject.name
        }
    }
}
