//! The RBAC index: roles with aggregation resolved, bindings indexed by subject, access entries,
//! and the evaluation of requests against them.

use emrguard_model::hash::{HashMap, HashSet};
use std::sync::Arc;

use emrguard_model::aws::AssociatedAccessPolicy;
use emrguard_model::inventory::normalise_principal_arn;
use emrguard_model::k8s::{ObjectRef, PolicyRule, Role, RoleBinding, Subject};
use emrguard_model::Inventory;

use crate::access_policy::{
    access_policy, namespace_pattern_matches, AccessPolicyDefinition, Confidence,
};
use crate::decision::{
    Decision, Diagnostic, DiagnosticKind, Grant, GrantSource, RuleOrigin, SubjectGrant,
    SubjectKind, SubjectRef,
};
use crate::identity::{authentication_sources, service_account_username, Identity, SYSTEM_MASTERS};
use crate::request::Request;

type Sym = u32;
/// A string no rule mentions: it matches only wildcards.
const NO_SYM: Sym = Sym::MAX;
/// The name of a request in [`NameMode::Some`]: matches every rule's `resourceNames`.
const SOME_NAME: Sym = Sym::MAX - 1;
/// `*` in the who-can candidate index.
const ANY: Sym = Sym::MAX - 1;

/// Strings interned to integers so rule matching compares integers.
#[derive(Debug, Default)]
struct Interner {
    map: HashMap<String, Sym>,
}

impl Interner {
    fn intern(&mut self, s: &str) -> Sym {
        if let Some(&sym) = self.map.get(s) {
            return sym;
        }
        let sym = Sym::try_from(self.map.len()).unwrap_or(NO_SYM);
        self.map.insert(s.to_owned(), sym);
        sym
    }

    fn get(&self, s: &str) -> Sym {
        self.map.get(s).copied().unwrap_or(NO_SYM)
    }
}

/// A set of interned values, or `*`.
#[derive(Debug, Default)]
struct SymSet {
    any: bool,
    syms: Vec<Sym>,
}

impl SymSet {
    fn build(interner: &mut Interner, values: &[impl AsRef<str>], wildcard: &str) -> Self {
        Self {
            any: values.iter().any(|v| v.as_ref() == wildcard),
            syms: values.iter().map(|v| interner.intern(v.as_ref())).collect(),
        }
    }

    fn contains(&self, sym: Sym) -> bool {
        self.any || (sym != NO_SYM && self.syms.contains(&sym))
    }
}

/// A [`PolicyRule`] compiled for integer matching; same semantics as [`crate::matching`].
#[derive(Debug, Default)]
struct CompiledRule {
    verbs: SymSet,
    groups: SymSet,
    resources: SymSet,
    /// Subresources `x` of `*/x` entries.
    any_resource_subresources: Vec<Sym>,
    /// Empty: any name.
    names: Vec<Sym>,
    urls: SymSet,
    url_prefixes: Vec<String>,
}

impl CompiledRule {
    fn compile(interner: &mut Interner, rule: &PolicyRule) -> Self {
        Self {
            verbs: SymSet::build(interner, &rule.verbs, "*"),
            groups: SymSet::build(interner, &rule.api_groups, "*"),
            resources: SymSet::build(interner, &rule.resources, "*"),
            any_resource_subresources: rule
                .resources
                .iter()
                .filter_map(|r| r.strip_prefix("*/"))
                .map(|s| interner.intern(s))
                .collect(),
            names: rule
                .resource_names
                .iter()
                .map(|n| interner.intern(n))
                .collect(),
            urls: SymSet::build(interner, &rule.non_resource_urls, "*"),
            url_prefixes: rule
                .non_resource_urls
                .iter()
                .filter(|u| u.ends_with('*'))
                .map(|u| u.trim_end_matches('*').to_owned())
                .collect(),
        }
    }

    fn allows(&self, request: &CompiledRequest<'_>) -> bool {
        if !self.verbs.contains(request.verb) {
            return false;
        }
        match request.path {
            Some((path_sym, path)) => {
                self.urls.contains(path_sym)
                    || self
                        .url_prefixes
                        .iter()
                        .any(|p| path.starts_with(p.as_str()))
            }
            None => {
                self.groups.contains(request.group)
                    && (self.resources.contains(request.combined)
                        || request.subresource.is_some_and(|sub| {
                            sub != NO_SYM && self.any_resource_subresources.contains(&sub)
                        }))
                    && (self.names.is_empty()
                        || request.name == SOME_NAME
                        || (request.name != NO_SYM && self.names.contains(&request.name)))
            }
        }
    }
}

/// A request with its strings looked up in the interner.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CompiledRequest<'a> {
    verb: Sym,
    group: Sym,
    combined: Sym,
    subresource: Option<Sym>,
    name: Sym,
    path: Option<(Sym, &'a str)>,
}

/// How a request's name is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameMode {
    /// The request's own name (empty when it has none).
    Exact,
    /// A name no rule lists: only rules without `resourceNames` match, so a grant covers every
    /// object.
    Any,
    /// Whichever name a rule lists: rules with `resourceNames` match too. When this denies,
    /// no named request can be allowed, so callers need not try names one by one.
    Some,
}

#[derive(Debug)]
struct RoleEntry {
    object: Arc<ObjectRef>,
    rules: Vec<Arc<PolicyRule>>,
    origins: Vec<Option<RuleOrigin>>,
    compiled: Vec<CompiledRule>,
}

#[derive(Debug)]
struct BindingEntry {
    object: Arc<ObjectRef>,
    /// `None` for a ClusterRoleBinding.
    namespace: Option<String>,
    role: Option<usize>,
    role_ref: ObjectRef,
    subjects: Vec<Arc<Subject>>,
    /// The effective subject of each `subjects` entry; `None` when it can match nothing.
    effective: Vec<Option<SubjectRef>>,
    /// The rank of each effective subject in [`RbacIndex::subjects`].
    ranks: Vec<Option<u32>>,
    /// Why the role could not be resolved.
    unresolved: Option<Diagnostic>,
}

#[derive(Debug)]
struct PolicyEntry {
    definition: &'static AccessPolicyDefinition,
    rules: Vec<Arc<PolicyRule>>,
    compiled: Vec<CompiledRule>,
}

#[derive(Debug)]
struct AccessEntryEntry {
    principal_arn: String,
    rank: u32,
    policies: Vec<AssociatedAccessPolicy>,
    identity: Option<Identity>,
}

/// Hands each object to `add` with the entry of its namespace. Objects of one namespace are
/// neighbours in the sorted inventory: one lookup (and one key) per run of them, not one per
/// object.
fn each_by_namespace<T>(
    objects: &mut HashMap<String, NamespaceObjects>,
    items: &[T],
    meta: impl Fn(&T) -> &emrguard_model::k8s::ObjectMeta,
    mut add: impl FnMut(&mut NamespaceObjects, &T),
) {
    for run in items.chunk_by(|a, b| meta(a).namespace == meta(b).namespace) {
        let Some(first) = run.first() else { continue };
        let namespace = meta(first).namespace.as_deref().unwrap_or_default();
        let entry = objects.entry(namespace.to_owned()).or_default();
        for item in run {
            add(entry, item);
        }
    }
}

/// Objects the capability analysis looks at, per namespace.
#[derive(Debug, Default)]
pub(crate) struct NamespaceObjects {
    /// `(pod, service account)`.
    pub(crate) pods: Vec<(String, String)>,
    /// `(secret, service account)` for legacy token secrets.
    pub(crate) token_secrets: Vec<(String, String)>,
    /// All secret names.
    pub(crate) secrets: Vec<String>,
    /// Service account names.
    pub(crate) service_accounts: Vec<String>,
    /// ConfigMap names.
    pub(crate) config_maps: Vec<String>,
    /// `(resource, name)` of pod-creating workloads.
    pub(crate) workloads: Vec<(&'static str, String)>,
    /// Webhook configuration names (cluster-scoped, under the empty namespace).
    pub(crate) webhooks: Vec<String>,
    /// Node names (cluster-scoped, under the empty namespace).
    pub(crate) nodes: Vec<String>,
    /// Role names (ClusterRole names under the empty namespace), sorted and deduplicated.
    pub(crate) roles: Vec<String>,
    /// Derived once when the index is built, for the capability probes of every identity:
    /// the names of `pods`, of `token_secrets`, and of `workloads` by resource.
    pub(crate) pod_names: Vec<String>,
    pub(crate) token_secret_names: Vec<String>,
    pub(crate) workload_names: HashMap<&'static str, Vec<String>>,
}

/// The RBAC index of one inventory. Build it once with [`RbacIndex::build`]; queries are pure
/// and fast.
#[derive(Debug)]
pub struct RbacIndex {
    interner: Interner,
    roles: Vec<RoleEntry>,
    bindings: Vec<BindingEntry>,
    by_user: HashMap<String, Vec<(usize, usize)>>,
    by_group: HashMap<String, Vec<(usize, usize)>>,
    namespace_bindings: HashMap<String, Vec<usize>>,
    /// Role id to the bindings that grant it.
    bindings_by_role: Vec<Vec<usize>>,
    /// Candidate `(role, rule)` pairs for who-can, by `(verb, resource)` as the rule names
    /// them: the verb or [`ANY`], and the exact `resource/subresource` or [`ANY`].
    rules_by_verb_resource: HashMap<(Sym, Sym), Vec<(u32, u32)>>,
    /// The same for `*/subresource` entries, keyed by `(verb, subresource)`.
    rules_by_verb_any_resource_subresource: HashMap<(Sym, Sym), Vec<(u32, u32)>>,
    /// Rules with non-resource URLs.
    url_rules: Vec<(u32, u32)>,
    policies: HashMap<&'static str, PolicyEntry>,
    access_entries: Vec<AccessEntryEntry>,
    /// IAM principals aws-auth maps into `system:masters`.
    masters_mappings: Vec<String>,
    /// Whether any binding or mapping mentions `system:masters`.
    masters_visible: bool,
    /// Every subject, sorted; who-can orders its answer by rank in this list.
    subjects: Vec<SubjectRef>,
    masters_rank: u32,
    pub(crate) objects: HashMap<String, NamespaceObjects>,
    /// Binding ids by effective subject, for [`RbacIndex::bindings_of`].
    bindings_by_subject: HashMap<SubjectRef, Vec<usize>>,
    diagnostics: Vec<Diagnostic>,
}

impl RbacIndex {
    /// Indexes the RBAC objects, identity mappings and access entries of an inventory.
    /// Problems (missing roles, unknown subject kinds, unknown access policies) are recorded in
    /// [`RbacIndex::diagnostics`] and never stop the build.
    pub fn build(inventory: &Inventory) -> Self {
        let mut index = Self {
            interner: Interner::default(),
            roles: Vec::new(),
            bindings: Vec::new(),
            by_user: HashMap::default(),
            by_group: HashMap::default(),
            namespace_bindings: HashMap::default(),
            bindings_by_role: Vec::new(),
            rules_by_verb_resource: HashMap::default(),
            rules_by_verb_any_resource_subresource: HashMap::default(),
            url_rules: Vec::new(),
            policies: HashMap::default(),
            access_entries: Vec::new(),
            masters_mappings: Vec::new(),
            masters_visible: false,
            subjects: Vec::new(),
            masters_rank: 0,
            objects: HashMap::default(),
            bindings_by_subject: HashMap::default(),
            diagnostics: Vec::new(),
        };
        let mut role_ids: HashMap<(String, String), usize> = HashMap::default();
        let mut cluster_role_ids: HashMap<String, usize> = HashMap::default();
        for role in &inventory.roles {
            let namespace = role.metadata.namespace.clone().unwrap_or_default();
            let id = index.add_role(
                ObjectRef::new("Role", Some(&namespace), &role.metadata.name),
                role.rules.clone(),
                vec![None; role.rules.len()],
            );
            role_ids.insert((namespace.to_string(), role.metadata.name.to_string()), id);
        }
        for ((rules, origins), role) in
            aggregate_cluster_roles(&inventory.cluster_roles, &mut index.diagnostics)
        {
            let id = index.add_role(
                ObjectRef::new("ClusterRole", None, &role.metadata.name),
                rules,
                origins,
            );
            cluster_role_ids.insert(role.metadata.name.to_string(), id);
        }
        // Binding ids follow ObjectRef order, so sorting grants by id is the documented order.
        let mut bindings: Vec<(bool, &RoleBinding)> = inventory
            .cluster_role_bindings
            .iter()
            .map(|b| (true, b))
            .chain(inventory.role_bindings.iter().map(|b| (false, b)))
            .collect();
        bindings.sort_by(|(ca, a), (cb, b)| {
            let key = |cluster: bool, b: &'_ RoleBinding| {
                (
                    if cluster {
                        "ClusterRoleBinding"
                    } else {
                        "RoleBinding"
                    },
                    b.metadata.namespace.clone().filter(|_| !cluster),
                    b.metadata.name.clone(),
                )
            };
            key(*ca, a).cmp(&key(*cb, b))
        });
        for (cluster, binding) in bindings {
            index.add_binding(binding, cluster, &role_ids, &cluster_role_ids);
        }
        index.add_access_entries(inventory);
        index.rank_subjects();
        index.add_objects(inventory);
        for (id, binding) in index.bindings.iter().enumerate() {
            for subject in binding.effective.iter().flatten() {
                let ids = index
                    .bindings_by_subject
                    .entry(subject.clone())
                    .or_default();
                // A subject listed twice in one binding is one binding.
                if ids.last() != Some(&id) {
                    ids.push(id);
                }
            }
        }
        index.diagnostics.sort();
        index.diagnostics.dedup();
        index
    }

    fn add_role(
        &mut self,
        object: ObjectRef,
        rules: Vec<PolicyRule>,
        origins: Vec<Option<RuleOrigin>>,
    ) -> usize {
        let compiled: Vec<CompiledRule> = rules
            .iter()
            .map(|r| CompiledRule::compile(&mut self.interner, r))
            .collect();
        let id = u32::try_from(self.roles.len()).unwrap_or(u32::MAX);
        for (rule_index, rule) in compiled.iter().enumerate() {
            let pair = (id, u32::try_from(rule_index).unwrap_or(u32::MAX));
            let verbs: Vec<Sym> = if rule.verbs.any {
                vec![ANY]
            } else {
                rule.verbs.syms.clone()
            };
            let resources: Vec<Sym> = if rule.resources.any {
                vec![ANY]
            } else {
                rule.resources.syms.clone()
            };
            for &verb in &verbs {
                for &resource in &resources {
                    self.rules_by_verb_resource
                        .entry((verb, resource))
                        .or_default()
                        .push(pair);
                }
                for &sub in &rule.any_resource_subresources {
                    self.rules_by_verb_any_resource_subresource
                        .entry((verb, sub))
                        .or_default()
                        .push(pair);
                }
            }
            if !rule.urls.syms.is_empty() {
                self.url_rules.push(pair);
            }
        }
        self.bindings_by_role.push(Vec::new());
        self.roles.push(RoleEntry {
            object: Arc::new(object),
            rules: rules.into_iter().map(Arc::new).collect(),
            origins,
            compiled,
        });
        self.roles.len() - 1
    }

    fn add_binding(
        &mut self,
        binding: &RoleBinding,
        cluster: bool,
        role_ids: &HashMap<(String, String), usize>,
        cluster_role_ids: &HashMap<String, usize>,
    ) {
        let namespace = (!cluster).then(|| binding.metadata.namespace.clone().unwrap_or_default());
        let kind = if cluster {
            "ClusterRoleBinding"
        } else {
            "RoleBinding"
        };
        let object = ObjectRef::new(kind, namespace.as_deref(), &binding.metadata.name);
        let role_ref = &binding.role_ref;
        // GetRoleReferenceRules: a Role is looked up in the binding's namespace (a
        // ClusterRoleBinding has none, so it fails); any other kind is an error.
        let (role, role_ref_object, unresolved) = match (role_ref.kind.as_str(), &namespace) {
            ("Role", Some(ns)) => {
                let found = role_ids
                    .get(&(ns.to_string(), role_ref.name.to_string()))
                    .copied();
                let missing = found.is_none().then(|| Diagnostic {
                    kind: DiagnosticKind::MissingRole,
                    object: Some(object.clone()),
                    message: format!(
                        "{object} refers to Role {ns}/{}, which is not in the snapshot",
                        role_ref.name
                    ),
                });
                (
                    found,
                    ObjectRef::new("Role", Some(ns), &role_ref.name),
                    missing,
                )
            }
            ("ClusterRole", _) => {
                let found = cluster_role_ids.get(role_ref.name.as_str()).copied();
                let missing = found.is_none().then(|| Diagnostic {
                    kind: DiagnosticKind::MissingRole,
                    object: Some(object.clone()),
                    message: format!(
                        "{object} refers to ClusterRole {}, which is not in the snapshot",
                        role_ref.name
                    ),
                });
                (
                    found,
                    ObjectRef::new("ClusterRole", None, &role_ref.name),
                    missing,
                )
            }
            (other, _) => (
                None,
                ObjectRef::new(other, namespace.as_deref(), &role_ref.name),
                Some(Diagnostic {
                    kind: DiagnosticKind::UnsupportedRoleRef,
                    object: Some(object.clone()),
                    message: if other == "Role" {
                        format!("{object} refers to Role {}: a ClusterRoleBinding can only grant a ClusterRole, so it grants nothing", role_ref.name)
                    } else {
                        format!("{object} has roleRef kind `{other}`, which grants nothing")
                    },
                }),
            ),
        };
        if let Some(d) = &unresolved {
            self.diagnostics.push(d.clone());
        }
        let id = self.bindings.len();
        let mut effective = Vec::with_capacity(binding.subjects.len());
        for (subject_index, subject) in binding.subjects.iter().enumerate() {
            let sref = match subject.kind.as_str() {
                "User" => Some(SubjectRef::new(SubjectKind::User, &subject.name, None)),
                "Group" => Some(SubjectRef::new(SubjectKind::Group, &subject.name, None)),
                "ServiceAccount" => {
                    let ns = subject
                        .namespace
                        .as_deref()
                        .filter(|n| !n.is_empty())
                        .or(namespace.as_deref());
                    match ns {
                        Some(ns) => Some(SubjectRef::new(
                            SubjectKind::ServiceAccount,
                            &subject.name,
                            Some(ns),
                        )),
                        None => {
                            self.diagnostics.push(Diagnostic {
                                kind: DiagnosticKind::ServiceAccountWithoutNamespace,
                                object: Some(object.clone()),
                                message: format!("{object} names ServiceAccount {} without a namespace, which matches nothing in a ClusterRoleBinding", subject.name),
                            });
                            None
                        }
                    }
                }
                other => {
                    self.diagnostics.push(Diagnostic {
                        kind: DiagnosticKind::UnknownSubjectKind,
                        object: Some(object.clone()),
                        message: format!(
                            "{object} has a subject of kind `{other}`, which matches nothing"
                        ),
                    });
                    None
                }
            };
            if let Some(sref) = &sref {
                match sref.kind {
                    SubjectKind::User => self
                        .by_user
                        .entry(sref.name.clone())
                        .or_default()
                        .push((id, subject_index)),
                    SubjectKind::ServiceAccount => {
                        let user = service_account_username(
                            sref.namespace.as_deref().unwrap_or_default(),
                            &sref.name,
                        );
                        self.by_user
                            .entry(user)
                            .or_default()
                            .push((id, subject_index));
                    }
                    SubjectKind::Group => {
                        if sref.name == SYSTEM_MASTERS {
                            self.masters_visible = true;
                        }
                        self.by_group
                            .entry(sref.name.clone())
                            .or_default()
                            .push((id, subject_index));
                    }
                    SubjectKind::AccessEntry => {}
                }
            }
            effective.push(sref);
        }
        if let Some(ns) = &namespace {
            self.namespace_bindings
                .entry(ns.to_string())
                .or_default()
                .push(id);
        }
        if let Some(slot) = role.and_then(|r| self.bindings_by_role.get_mut(r)) {
            slot.push(id);
        }
        self.bindings.push(BindingEntry {
            object: Arc::new(object),
            namespace: namespace.map(|s| s.to_string()),
            role,
            role_ref: role_ref_object,
            subjects: binding.subjects.iter().cloned().map(Arc::new).collect(),
            ranks: vec![None; effective.len()],
            effective,
            unresolved,
        });
    }

    fn add_access_entries(&mut self, inventory: &Inventory) {
        let (use_access_entries, use_aws_auth) = authentication_sources(inventory);
        // An access entry for the same principal takes precedence over its aws-auth mapping.
        let has_entry = |arn: &str| {
            use_access_entries
                && inventory.access_entries.iter().any(|e| {
                    normalise_principal_arn(&e.principal_arn) == normalise_principal_arn(arn)
                })
        };
        if use_aws_auth {
            if let Some(auth) = &inventory.aws_auth {
                for m in auth.map_roles.iter().chain(&auth.map_users) {
                    if m.groups.iter().any(|g| g == SYSTEM_MASTERS) && !has_entry(&m.arn) {
                        self.masters_visible = true;
                        self.masters_mappings.push(m.arn.clone());
                    }
                }
            }
        }
        self.masters_mappings.sort();
        self.masters_mappings.dedup();
        if !use_access_entries {
            return;
        }
        for entry in &inventory.access_entries {
            for policy in &entry.access_policies {
                self.policy_entry(&policy.policy_arn);
            }
            let mut policies = entry.access_policies.clone();
            policies.sort_by(|a, b| a.policy_arn.cmp(&b.policy_arn));
            self.access_entries.push(AccessEntryEntry {
                principal_arn: entry.principal_arn.clone(),
                rank: 0,
                policies,
                identity: Identity::from_iam_arn(inventory, &entry.principal_arn),
            });
        }
    }

    /// Compiles an access policy once; records unknown and approximate ones.
    fn policy_entry(&mut self, policy_arn: &str) {
        let Some(definition) = access_policy(policy_arn) else {
            self.diagnostics.push(Diagnostic {
                kind: DiagnosticKind::UnknownAccessPolicy,
                object: None,
                message: format!("access policy {policy_arn} is not known to emrguard: its permissions are not evaluated"),
            });
            return;
        };
        if self.policies.contains_key(definition.name) {
            return;
        }
        if definition.confidence == Confidence::Approximate {
            self.diagnostics.push(Diagnostic {
                kind: DiagnosticKind::ApproximateAccessPolicy,
                object: None,
                message: format!(
                    "access policy {} has no published rule table; its rules are approximated ({})",
                    definition.name, definition.basis
                ),
            });
        }
        let rules = definition.policy_rules();
        let compiled = rules
            .iter()
            .map(|r| CompiledRule::compile(&mut self.interner, r))
            .collect();
        self.policies.insert(
            definition.name,
            PolicyEntry {
                definition,
                rules: rules.into_iter().map(Arc::new).collect(),
                compiled,
            },
        );
    }

    fn add_objects(&mut self, inventory: &Inventory) {
        let objects = &mut self.objects;
        each_by_namespace(
            objects,
            &inventory.pods,
            |p| &p.metadata,
            |o, pod| {
                o.pods.push((
                    pod.metadata.name.to_string(),
                    pod.spec.service_account().to_owned(),
                ));
            },
        );
        each_by_namespace(
            objects,
            &inventory.secrets,
            |s| &s.metadata,
            |o, secret| {
                o.secrets.push(secret.metadata.name.to_string());
                if secret.secret_type.as_deref() == Some("kubernetes.io/service-account-token") {
                    if let Some(sa) = secret
                        .metadata
                        .annotations
                        .get("kubernetes.io/service-account.name")
                    {
                        o.token_secrets
                            .push((secret.metadata.name.to_string(), sa.to_string()));
                    }
                }
            },
        );
        each_by_namespace(
            objects,
            &inventory.service_accounts,
            |a| &a.metadata,
            |o, sa| {
                o.service_accounts.push(sa.metadata.name.to_string());
            },
        );
        each_by_namespace(
            objects,
            &inventory.config_maps,
            |c| &c.metadata,
            |o, cm| {
                o.config_maps.push(cm.metadata.name.to_string());
            },
        );
        each_by_namespace(
            objects,
            &inventory.workloads,
            |w| &w.metadata,
            |o, w| {
                let resource = crate::capability::workload_resource(w.kind);
                o.workloads.push((resource.1, w.metadata.name.to_string()));
            },
        );
        for webhook in &inventory.webhook_configurations {
            self.objects
                .entry(String::new())
                .or_default()
                .webhooks
                .push(webhook.metadata.name.to_string());
        }
        for node in &inventory.nodes {
            self.objects
                .entry(String::new())
                .or_default()
                .nodes
                .push(node.metadata.name.to_string());
        }
        // Listed once here: capability probes ask for them per subject and namespace.
        for role in &self.roles {
            let namespace = match role.object.kind.as_str() {
                "Role" => role.object.namespace.clone().unwrap_or_default(),
                "ClusterRole" if role.object.namespace.is_none() => String::new(),
                _ => continue,
            };
            self.objects
                .entry(namespace)
                .or_default()
                .roles
                .push(role.object.name.clone());
        }
        for objects in self.objects.values_mut() {
            objects.webhooks.sort();
            objects.webhooks.dedup();
            objects.nodes.sort();
            objects.pods.sort();
            objects.token_secrets.sort();
            objects.secrets.sort();
            objects.service_accounts.sort();
            objects.config_maps.sort();
            objects.workloads.sort();
            objects.roles.sort();
            objects.roles.dedup();
            objects.pod_names = objects.pods.iter().map(|(p, _)| p.clone()).collect();
            objects.token_secret_names = objects
                .token_secrets
                .iter()
                .map(|(s, _)| s.clone())
                .collect();
            objects.workload_names.clear();
            for (resource, name) in &objects.workloads {
                objects
                    .workload_names
                    .entry(resource)
                    .or_default()
                    .push(name.clone());
            }
        }
    }

    /// Problems found while indexing, sorted: missing roles, unsupported roleRefs, unknown
    /// subject kinds, service-account subjects without a namespace, invalid aggregation
    /// selectors, unknown or approximate access policies.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    pub(crate) fn compile_request<'a>(
        &self,
        request: &'a Request,
        name_mode: NameMode,
    ) -> CompiledRequest<'a> {
        let combined = if request.subresource.is_empty() {
            self.interner.get(&request.resource)
        } else {
            self.interner.get(&request.combined_resource())
        };
        CompiledRequest {
            verb: self.interner.get(&request.verb),
            group: self.interner.get(&request.api_group),
            combined,
            subresource: (!request.subresource.is_empty())
                .then(|| self.interner.get(&request.subresource)),
            name: match name_mode {
                NameMode::Exact => self.interner.get(&request.name),
                NameMode::Any => NO_SYM,
                NameMode::Some => SOME_NAME,
            },
            path: request.path.as_deref().map(|p| (self.interner.get(p), p)),
        }
    }

    /// Decides a request for an identity with kube-apiserver's semantics: `system:masters`
    /// first, then every ClusterRoleBinding and every RoleBinding of the request's namespace
    /// whose subjects match, then the identity's EKS access policies. Unlike kube-apiserver,
    /// which stops at the first match, every grant is collected.
    pub fn authorize(&self, identity: &Identity, request: &Request) -> Decision {
        self.authorize_with(identity, request, NameMode::Exact)
    }

    pub(crate) fn authorize_with(
        &self,
        identity: &Identity,
        request: &Request,
        name_mode: NameMode,
    ) -> Decision {
        self.authorize_among(
            identity,
            &self.bindings_matching(identity),
            request,
            name_mode,
        )
    }

    /// The bindings with a subject that matches an identity, each with the index of its first
    /// matching subject (the one `appliesTo` reports), in binding order: the same for every
    /// request of the identity.
    pub(crate) fn bindings_matching(&self, identity: &Identity) -> Vec<(usize, usize)> {
        let mut candidates: Vec<(usize, usize)> = Vec::new();
        if !identity.user.is_empty() {
            if let Some(slots) = self.by_user.get(&identity.user) {
                candidates.extend_from_slice(slots);
            }
        }
        for group in &identity.groups {
            if let Some(slots) = self.by_group.get(group) {
                candidates.extend_from_slice(slots);
            }
        }
        candidates.sort_unstable();
        candidates.dedup_by_key(|(binding, _)| *binding);
        candidates
    }

    /// [`RbacIndex::authorize_with`] for an identity whose matching bindings
    /// ([`RbacIndex::bindings_matching`]) are known.
    pub(crate) fn authorize_among(
        &self,
        identity: &Identity,
        candidates: &[(usize, usize)],
        request: &Request,
        name_mode: NameMode,
    ) -> Decision {
        let compiled = self.compile_request(request, name_mode);
        let mut grants = Vec::new();
        let mut unresolved = Vec::new();
        if identity.is_privileged() {
            grants.push(Grant {
                source: GrantSource::PrivilegedGroup {
                    group: SYSTEM_MASTERS.to_owned(),
                    mapped_from: Vec::new(),
                },
                rule_index: None,
                rule: None,
                aggregated_from: None,
            });
        }
        for &(binding_id, subject_index) in candidates {
            let Some(binding) = self.bindings.get(binding_id) else {
                continue;
            };
            if !binding_applies(binding, request) {
                continue;
            }
            let Some(role) = binding.role.and_then(|r| self.roles.get(r)) else {
                if let Some(d) = &binding.unresolved {
                    unresolved.push(d.clone());
                }
                continue;
            };
            for (rule_index, rule) in role.compiled.iter().enumerate() {
                if rule.allows(&compiled) {
                    grants.push(binding_grant(binding, subject_index, role, rule_index));
                }
            }
        }
        for association in &identity.access_policies {
            if !scope_applies(&association.access_scope, request, false) {
                continue;
            }
            let Some(policy) =
                access_policy(&association.policy_arn).and_then(|d| self.policies.get(d.name))
            else {
                continue;
            };
            for (rule_index, rule) in policy.compiled.iter().enumerate() {
                if rule.allows(&compiled) {
                    grants.push(policy_grant(
                        &association.principal_arn,
                        &association.policy_arn,
                        &association.access_scope,
                        policy,
                        rule_index,
                    ));
                }
            }
        }
        grants.sort_by(Grant::cmp_deterministic);
        unresolved.sort();
        unresolved.dedup();
        Decision {
            allowed: !grants.is_empty(),
            grants,
            unresolved,
        }
    }

    /// Every subject allowed to make the request, each with what allows it, sorted by kind,
    /// namespace and name. An empty namespace means a cluster-wide request: only
    /// ClusterRoleBindings and cluster-scoped access policies count.
    pub fn who_can(&self, request: &Request) -> Vec<SubjectGrant> {
        self.who_can_impl(request, false)
    }

    /// Like [`RbacIndex::who_can`], for a namespaced request in any namespace: RoleBindings of
    /// every namespace and namespace-scoped access policies count too, and each grant names its
    /// binding, so its namespace is visible. The request's own namespace is ignored.
    pub fn who_can_any_namespace(&self, request: &Request) -> Vec<SubjectGrant> {
        self.who_can_impl(request, true)
    }

    fn who_can_impl(&self, request: &Request, any_namespace: bool) -> Vec<SubjectGrant> {
        let compiled = self.compile_request(request, NameMode::Exact);
        // (subject rank, source class, source id, association, rule, subject index): integers
        // only, so collecting and ordering thousands of grants stays cheap; the grants are
        // built once at the end.
        let mut hits: Vec<(u32, u8, u32, u32, u32, u32)> = Vec::new();
        let to_u32 = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
        // Only rules that name the verb and the resource (or `*`, or `*/subresource`; or URLs
        // for a non-resource request) can match: look those up, check each fully, then visit
        // the bindings of each role that has a matching rule.
        let mut candidates: Vec<(u32, u32)> = Vec::new();
        if request.is_non_resource() {
            candidates.extend_from_slice(&self.url_rules);
        } else {
            for verb in [compiled.verb, ANY] {
                for resource in [compiled.combined, ANY] {
                    if let Some(pairs) = self.rules_by_verb_resource.get(&(verb, resource)) {
                        candidates.extend_from_slice(pairs);
                    }
                }
                if let Some(pairs) = compiled.subresource.and_then(|sub| {
                    self.rules_by_verb_any_resource_subresource
                        .get(&(verb, sub))
                }) {
                    candidates.extend_from_slice(pairs);
                }
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut matched: Vec<(usize, Vec<u32>)> = Vec::new();
        for (role_id, rule_index) in candidates {
            let role_id = role_id as usize;
            let allowed = self
                .roles
                .get(role_id)
                .and_then(|r| r.compiled.get(rule_index as usize))
                .is_some_and(|r| r.allows(&compiled));
            if !allowed {
                continue;
            }
            match matched.last_mut() {
                Some((last, rules)) if *last == role_id => rules.push(rule_index),
                _ => matched.push((role_id, vec![rule_index])),
            }
        }
        for (role_id, rules) in matched {
            let Some(binding_ids) = self.bindings_by_role.get(role_id) else {
                continue;
            };
            for &binding_id in binding_ids {
                let Some(binding) = self.bindings.get(binding_id) else {
                    continue;
                };
                let applies = match &binding.namespace {
                    None => true,
                    Some(ns) => {
                        !request.is_non_resource() && (any_namespace || request.namespace == ns)
                    }
                };
                if !applies {
                    continue;
                }
                for (subject_index, rank) in binding.ranks.iter().enumerate() {
                    let Some(rank) = rank else {
                        continue;
                    };
                    for &rule_index in &rules {
                        hits.push((
                            *rank,
                            1,
                            to_u32(binding_id),
                            0,
                            rule_index,
                            to_u32(subject_index),
                        ));
                    }
                }
            }
        }
        for (entry_id, entry) in self.access_entries.iter().enumerate() {
            for (association_id, association) in entry.policies.iter().enumerate() {
                if !scope_applies(&association.access_scope, request, any_namespace) {
                    continue;
                }
                let Some(policy) =
                    access_policy(&association.policy_arn).and_then(|d| self.policies.get(d.name))
                else {
                    continue;
                };
                for (rule_index, rule) in policy.compiled.iter().enumerate() {
                    if rule.allows(&compiled) {
                        hits.push((
                            entry.rank,
                            2,
                            to_u32(entry_id),
                            to_u32(association_id),
                            to_u32(rule_index),
                            0,
                        ));
                    }
                }
            }
        }
        if self.masters_visible {
            hits.push((self.masters_rank, 0, 0, 0, 0, 0));
        }
        hits.sort_unstable();
        // One grant per source and rule: the first matching subject entry of a binding wins.
        hits.dedup_by_key(|h| (h.0, h.1, h.2, h.3, h.4));
        let mut out: Vec<SubjectGrant> = Vec::new();
        for (rank, class, source, association, rule_index, subject_index) in hits {
            let Some(subject) = self.subjects.get(rank as usize) else {
                continue;
            };
            let grant = match class {
                0 => Some(Grant {
                    source: GrantSource::PrivilegedGroup {
                        group: SYSTEM_MASTERS.to_owned(),
                        mapped_from: self.masters_mappings.clone(),
                    },
                    rule_index: None,
                    rule: None,
                    aggregated_from: None,
                }),
                1 => self.bindings.get(source as usize).and_then(|b| {
                    let role = b.role.and_then(|r| self.roles.get(r))?;
                    Some(binding_grant(
                        b,
                        subject_index as usize,
                        role,
                        rule_index as usize,
                    ))
                }),
                _ => self.access_entries.get(source as usize).and_then(|e| {
                    let association = e.policies.get(association as usize)?;
                    let policy = access_policy(&association.policy_arn)
                        .and_then(|d| self.policies.get(d.name))?;
                    Some(policy_grant(
                        &e.principal_arn,
                        &association.policy_arn,
                        &association.access_scope,
                        policy,
                        rule_index as usize,
                    ))
                }),
            };
            let Some(grant) = grant else {
                continue;
            };
            match out.last_mut() {
                Some(last) if &last.subject == subject => last.grants.push(grant),
                _ => out.push(SubjectGrant {
                    subject: subject.clone(),
                    grants: vec![grant],
                }),
            }
        }
        out
    }

    /// Sorts every subject once and records each one's rank.
    fn rank_subjects(&mut self) {
        self.access_entries
            .sort_by(|a, b| a.principal_arn.cmp(&b.principal_arn));
        let masters = SubjectRef::new(SubjectKind::Group, SYSTEM_MASTERS, None);
        let mut all: Vec<SubjectRef> = self
            .bindings
            .iter()
            .flat_map(|b| b.effective.iter().flatten().cloned())
            .chain(
                self.access_entries
                    .iter()
                    .map(|e| SubjectRef::new(SubjectKind::AccessEntry, &e.principal_arn, None)),
            )
            .chain(self.masters_visible.then(|| masters.clone()))
            .collect();
        all.sort();
        all.dedup();
        let rank_of: HashMap<&SubjectRef, u32> = all
            .iter()
            .enumerate()
            .map(|(i, s)| (s, u32::try_from(i).unwrap_or(u32::MAX)))
            .collect();
        for binding in &mut self.bindings {
            binding.ranks = binding
                .effective
                .iter()
                .map(|s| s.as_ref().and_then(|s| rank_of.get(s).copied()))
                .collect();
        }
        for entry in &mut self.access_entries {
            let subject = SubjectRef::new(SubjectKind::AccessEntry, &entry.principal_arn, None);
            entry.rank = rank_of.get(&subject).copied().unwrap_or(u32::MAX);
        }
        self.masters_rank = rank_of.get(&masters).copied().unwrap_or(u32::MAX);
        self.subjects = all;
    }

    /// Every subject that appears in a binding (service accounts with their effective
    /// namespace) or as an access entry, plus `system:masters` when a binding or an aws-auth
    /// mapping names it, sorted.
    pub fn subjects(&self) -> &[SubjectRef] {
        &self.subjects
    }

    /// The identity a subject acts as: a user with `system:authenticated`, a group member with
    /// nothing but that group and `system:authenticated`, a service account with its implicit
    /// groups, or an access entry's mapped identity with its access policies. `None` for an
    /// access entry whose principal cannot authenticate.
    pub fn identity_for(&self, subject: &SubjectRef) -> Option<Identity> {
        match subject.kind {
            SubjectKind::User => Some(Identity::impersonate(&subject.name, &[])),
            SubjectKind::Group => Some(Identity::group(&subject.name)),
            SubjectKind::ServiceAccount => Some(Identity::service_account(
                subject.namespace.as_deref().unwrap_or_default(),
                &subject.name,
            )),
            SubjectKind::AccessEntry => self
                .access_entries
                .iter()
                .find(|e| e.principal_arn == subject.name)
                .and_then(|e| e.identity.clone()),
        }
    }

    /// The effective rules of a role (after aggregation), by kind, namespace and name.
    pub fn role_rules(&self, role: &ObjectRef) -> Option<&[Arc<PolicyRule>]> {
        self.roles
            .iter()
            .find(|r| r.object.as_ref() == role)
            .map(|r| r.rules.as_slice())
    }

    /// The bindings of a subject: `(binding, role)` pairs, sorted.
    pub fn bindings_of(&self, subject: &SubjectRef) -> Vec<(ObjectRef, ObjectRef)> {
        let mut out: Vec<(ObjectRef, ObjectRef)> = self
            .bindings_by_subject
            .get(subject)
            .into_iter()
            .flatten()
            .filter_map(|&id| self.bindings.get(id))
            .map(|b| (b.object.as_ref().clone(), b.role_ref.clone()))
            .collect();
        out.sort();
        out
    }

    /// Names of the namespaces that have RoleBindings or objects in the index, sorted.
    pub fn namespaces(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .namespace_bindings
            .keys()
            .chain(self.objects.keys())
            .filter(|n| !n.is_empty())
            .cloned()
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// How many roles (Roles and ClusterRoles) and bindings the index holds.
    pub fn counts(&self) -> (usize, usize) {
        (self.roles.len(), self.bindings.len())
    }

    /// The subjects of a binding, as written (for callers that show whole bindings).
    pub fn binding_subjects(&self, binding: &ObjectRef) -> Option<&[Arc<Subject>]> {
        self.bindings
            .iter()
            .find(|b| b.object.as_ref() == binding)
            .map(|b| b.subjects.as_slice())
    }
}

/// Whether a binding is consulted for a request: a ClusterRoleBinding always; a RoleBinding
/// only for resource requests in its own namespace.
fn binding_applies(binding: &BindingEntry, request: &Request) -> bool {
    match &binding.namespace {
        None => true,
        Some(ns) => {
            !request.is_non_resource() && !request.namespace.is_empty() && request.namespace == ns
        }
    }
}

/// Whether an access scope covers a request. `any_namespace`: a namespaced request in some
/// namespace, so any namespace scope covers it.
fn scope_applies(
    scope: &emrguard_model::aws::AccessScope,
    request: &Request,
    any_namespace: bool,
) -> bool {
    match scope.scope_type.as_str() {
        "cluster" => true,
        "namespace" => {
            !request.is_non_resource()
                && (any_namespace
                    || (!request.namespace.is_empty()
                        && scope
                            .namespaces
                            .iter()
                            .any(|p| namespace_pattern_matches(p, &request.namespace))))
        }
        _ => false,
    }
}

fn binding_grant(
    binding: &BindingEntry,
    subject_index: usize,
    role: &RoleEntry,
    rule_index: usize,
) -> Grant {
    Grant {
        source: GrantSource::Binding {
            binding: binding.object.clone(),
            subject: binding
                .subjects
                .get(subject_index)
                .cloned()
                .unwrap_or_default(),
            role: role.object.clone(),
        },
        rule_index: Some(rule_index),
        rule: role.rules.get(rule_index).cloned(),
        aggregated_from: role.origins.get(rule_index).cloned().flatten(),
    }
}

fn policy_grant(
    principal_arn: &str,
    policy_arn: &str,
    scope: &emrguard_model::aws::AccessScope,
    policy: &PolicyEntry,
    rule_index: usize,
) -> Grant {
    Grant {
        source: GrantSource::AccessPolicy {
            principal_arn: principal_arn.to_owned(),
            policy_arn: policy_arn.to_owned(),
            access_scope: scope.clone(),
            confidence: policy.definition.confidence,
        },
        rule_index: Some(rule_index),
        rule: policy.rules.get(rule_index).cloned(),
        aggregated_from: None,
    }
}

/// A role's rules and, for aggregated ones, where each came from.
type EffectiveRules = (Vec<PolicyRule>, Vec<Option<RuleOrigin>>);

/// Why kube-controller-manager would reject a selector (`metav1.LabelSelectorAsSelector`).
fn selector_error(selector: &emrguard_model::k8s::LabelSelector) -> Option<String> {
    selector
        .match_expressions
        .iter()
        .find_map(|e| match e.operator.as_str() {
            "In" | "NotIn" if e.values.is_empty() => {
                Some(format!("`{}` {} needs values", e.key, e.operator))
            }
            "Exists" | "DoesNotExist" if !e.values.is_empty() => {
                Some(format!("`{}` {} takes no values", e.key, e.operator))
            }
            "In" | "NotIn" | "Exists" | "DoesNotExist" => None,
            other => Some(format!("`{}` has unknown operator `{other}`", e.key)),
        })
}

/// The effective rules of every ClusterRole, as the ClusterRole aggregation controller would
/// fill them: a ClusterRole with an `aggregationRule` whose `rules` are empty in the snapshot
/// gets, for each selector in order, the rules of every other matching ClusterRole (sorted by
/// name), without duplicates. Aggregated sources are themselves resolved first (iterated to a
/// fixed point, as the controller converges), and each rule remembers its original role.
fn aggregate_cluster_roles<'a>(
    cluster_roles: &'a [Role],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<(EffectiveRules, &'a Role)> {
    let mut effective: Vec<EffectiveRules> = cluster_roles
        .iter()
        .map(|r| (r.rules.clone(), vec![None; r.rules.len()]))
        .collect();
    let mut by_name: Vec<usize> = (0..cluster_roles.len()).collect();
    by_name.sort_by(|&a, &b| {
        let name = |i: usize| cluster_roles.get(i).map(|r| r.metadata.name.as_str());
        name(a).cmp(&name(b))
    });
    let mut targets = Vec::new();
    for (i, role) in cluster_roles.iter().enumerate() {
        let Some(rule) = &role.aggregation_rule else {
            continue;
        };
        if !role.rules.is_empty() {
            continue;
        }
        if let Some(error) = rule.cluster_role_selectors.iter().find_map(selector_error) {
            diagnostics.push(Diagnostic {
                kind: DiagnosticKind::InvalidAggregationSelector,
                object: Some(ObjectRef::new("ClusterRole", None, &role.metadata.name)),
                message: format!(
                    "ClusterRole {} has an aggregation selector the controller rejects ({error}), so it aggregates nothing",
                    role.metadata.name
                ),
            });
            continue;
        }
        targets.push(i);
    }
    // Each pass can only add rules, so at most one pass per target plus one to confirm.
    for _ in 0..=targets.len() {
        let mut changed = false;
        for &target in &targets {
            let Some(role) = cluster_roles.get(target) else {
                continue;
            };
            let selectors = role
                .aggregation_rule
                .as_ref()
                .map(|a| a.cluster_role_selectors.as_slice())
                .unwrap_or_default();
            let mut rules: Vec<PolicyRule> = Vec::new();
            let mut origins: Vec<Option<RuleOrigin>> = Vec::new();
            let mut seen: HashSet<PolicyRule> = HashSet::default();
            for selector in selectors {
                for &source in &by_name {
                    let Some(source_role) = cluster_roles.get(source) else {
                        continue;
                    };
                    if source_role.metadata.name == role.metadata.name
                        || !selector.matches(&source_role.metadata.labels)
                    {
                        continue;
                    }
                    let Some((source_rules, source_origins)) = effective.get(source) else {
                        continue;
                    };
                    for (i, rule) in source_rules.iter().enumerate() {
                        if seen.insert(rule.clone()) {
                            rules.push(rule.clone());
                            let origin =
                                source_origins.get(i).cloned().flatten().unwrap_or_else(|| {
                                    RuleOrigin {
                                        role: ObjectRef::new(
                                            "ClusterRole",
                                            None,
                                            &source_role.metadata.name,
                                        ),
                                        rule_index: i,
                                    }
                                });
                            origins.push(Some(origin));
                        }
                    }
                }
            }
            if let Some(slot) = effective.get_mut(target) {
                if slot.0 != rules {
                    *slot = (rules, origins);
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    effective.into_iter().zip(cluster_roles).collect()
}
