//! IAM edges: principals to their Kubernetes identities, to roles they may assume, to the
//! EMR service accounts their jobs run as, and to their privilege classes.

use std::collections::{BTreeMap, BTreeSet};

use emrguard_iam::compile::{PolicyKind, StatementRef};
use emrguard_iam::trust::can_assume_role;
use emrguard_iam::{
    glob_matches, glob_matches_lowercase, ActionSet, PolicySet, PrivilegeKind, Request,
};
use emrguard_model::aws::EksCluster;
use emrguard_model::inventory::{normalise_principal_arn, AwsAuth, MappingSource};
use emrguard_model::policy::Statement;
use emrguard_model::Inventory;
use emrguard_rbac::access_policy::namespace_pattern_matches;
use emrguard_rbac::identity::SYSTEM_MASTERS;
use emrguard_rbac::Identity;

use crate::graph::{AccessGraph, Pending, PrincipalData, PrincipalPrivilege};
use crate::model::{class_name, EdgeEvidence, EdgeKind, NodeId, NodeKey, ObjectId};
use crate::prepare::{emr_service_account, SubjectBindings};

/// The EMR actions that run code as an execution role the caller names.
const SUBMIT_ACTIONS: [(&str, &str); 2] = [
    ("emr-containers:StartJobRun", "driver"),
    ("emr-containers:CreateManagedEndpoint", "jeg"),
];

/// The condition key that pins the execution role of an EMR job or endpoint.
const EXECUTION_ROLE_KEY: &str = "emr-containers:ExecutionRoleArn";

/// The object a policy statement lives in.
fn policy_object(st: &StatementRef, principal: &NodeKey) -> ObjectId {
    match st.policy.kind {
        PolicyKind::Managed | PolicyKind::GroupManaged | PolicyKind::Boundary => {
            ObjectId::aws("IAMPolicy", &st.policy.name, None)
        }
        PolicyKind::GroupInline => ObjectId::aws_named(
            "IAMGroup",
            st.policy.owner.as_deref().unwrap_or(&st.policy.name),
        ),
        PolicyKind::Trust => ObjectId::aws("IAMRole", &st.policy.name, None),
        _ => match principal {
            NodeKey::IamRole(arn) => ObjectId::aws("IAMRole", arn, None),
            NodeKey::IamUser(arn) => ObjectId::aws("IAMUser", arn, None),
            _ => ObjectId::aws_named("IAMPolicy", &st.policy.name),
        },
    }
}

/// Whether a statement pins the EMR execution role with a condition.
fn pins_execution_role(statement: Option<&Statement>) -> bool {
    statement.is_some_and(|st| {
        st.condition
            .values()
            .flat_map(|keys| keys.keys())
            .any(|k| k.eq_ignore_ascii_case(EXECUTION_ROLE_KEY))
    })
}

/// Whether a pattern list matches `input`; a policy variable matches anything (this is a
/// cheap filter before the exact evaluation).
fn any_matches(patterns: &[String], input: &str, fold_case: bool) -> bool {
    patterns.iter().any(|p| {
        if p.contains("${") {
            return true;
        }
        let wild = p.contains(['*', '?']);
        match (wild, fold_case) {
            (false, true) => p.eq_ignore_ascii_case(input),
            (false, false) => p == input,
            (true, true) => glob_matches_lowercase(p, input),
            (true, false) => glob_matches(p, input),
        }
    })
}

/// The `Allow` statements of a policy set that may grant `action`, ignoring resources and
/// conditions.
fn allowing(set: &PolicySet, action: &str) -> Vec<Statement> {
    let action = action.to_ascii_lowercase();
    set.identity
        .iter()
        .flat_map(|p| p.statements())
        .map(|st| st.statement())
        .filter(|st| st.effect == emrguard_model::policy::Effect::Allow)
        .filter(|st| match (&st.action, &st.not_action) {
            (Some(a), _) => any_matches(a, &action, true),
            (None, Some(n)) => !any_matches(n, &action, true),
            (None, None) => false,
        })
        .cloned()
        .collect()
}

/// Whether one of `statements` may grant its action on `resource`.
fn may_grant_on(statements: &[Statement], resource: &str) -> bool {
    statements
        .iter()
        .any(|st| match (&st.resource, &st.not_resource) {
            (Some(r), _) => any_matches(r, resource, false),
            _ => true,
        })
}

impl AccessGraph<'_> {
    /// The policy set and privilege summary of a principal node, computed once.
    pub(crate) fn principal_data(&mut self, id: NodeId, arn: &str) -> &PrincipalData {
        let inventory = self.inventory;
        let analyzer = &mut self.analyzer;
        self.principals.entry(id).or_insert_with(|| {
            let set = PolicySet::for_principal_arn(inventory, arn).ok();
            let summary = set
                .as_ref()
                .map(|s| PrincipalPrivilege::new(analyzer.analyze_set(s)));
            PrincipalData { set, summary }
        })
    }

    /// Whether a principal's policies allow one of `wanted` (catalog actions) on some
    /// resource.
    pub(crate) fn principal_allows(&mut self, id: NodeId, arn: &str, wanted: &ActionSet) -> bool {
        self.principal_data(id, arn)
            .summary
            .as_ref()
            .is_some_and(|s| s.allowed.intersects(wanted))
    }

    /// Edges of an IAM principal.
    pub(crate) fn principal_edges(&mut self, id: NodeId, arn: &str) -> Vec<Pending> {
        let mut out = Vec::new();
        let key = self.principal_key(arn);
        self.mapping_edges(arn, &mut out);
        self.principal_data(id, arn);
        self.assume_role_edges(id, &key, arn, &mut out);
        self.submit_edges(id, &key, &mut out);
        self.privilege_edges(id, &key, &mut out);
        out
    }

    /// IAM principal to the Kubernetes user and groups aws-auth or an access entry maps it to,
    /// and to what its EKS access policies allow.
    fn mapping_edges(&mut self, arn: &str, out: &mut Vec<Pending>) {
        let account = arn.split(':').nth(4).unwrap_or_default();
        let sources = self.prep.mapped.get(&normalise_principal_arn(arn));
        if sources.is_none() && !self.prep.mapped_accounts.contains(account) {
            return;
        }
        // The RBAC engine resolves the identity from an inventory holding only the entries
        // that name this principal: the same answer, without scanning every mapping.
        let mut only_this = Inventory::default();
        only_this.clusters = self
            .inventory
            .cluster()
            .map(|c| EksCluster {
                access_config: c.access_config.clone(),
                ..EksCluster::default()
            })
            .into_iter()
            .collect();
        if let Some(auth) = &self.inventory.aws_auth {
            only_this.aws_auth = Some(AwsAuth {
                map_roles: sources.map(|s| s.map_roles.clone()).unwrap_or_default(),
                map_users: sources.map(|s| s.map_users.clone()).unwrap_or_default(),
                map_accounts: auth.map_accounts.clone(),
                source: auth.source.clone(),
            });
        }
        only_this.access_entries = sources
            .map(|s| s.access_entries.clone())
            .unwrap_or_default();
        let Some(identity) = Identity::from_iam_arn(&only_this, arn) else {
            return;
        };
        let Some(mapping) = &identity.mapped_from else {
            return;
        };
        let evidence = match mapping.via {
            MappingSource::AwsAuth => EdgeEvidence::new(
                format!(
                    "`kube-system/aws-auth` maps `{}` to user `{}` with groups [{}]",
                    mapping.principal_arn,
                    mapping.username,
                    mapping.groups.join(", ")
                ),
                ObjectId::k8s("ConfigMap", Some("kube-system"), "aws-auth"),
            ),
            MappingSource::AccessEntry => EdgeEvidence::new(
                format!(
                    "the EKS access entry of `{}` maps it to user `{}` with groups [{}]",
                    mapping.principal_arn,
                    mapping.username,
                    mapping.groups.join(", ")
                ),
                ObjectId::aws("AccessEntry", &mapping.principal_arn, None),
            ),
        }
        .at(Some(&mapping.source));
        let via = match mapping.via {
            MappingSource::AwsAuth => "aws-auth",
            MappingSource::AccessEntry => "its access entry",
        };
        let user = NodeKey::User(identity.user.clone());
        if self.prep.bindings.contains_key(&user) {
            out.push(Pending::new(
                user,
                EdgeKind::MappedIdentity,
                format!("{via} maps it to Kubernetes user `{}`", identity.user),
                vec![evidence.clone()],
            ));
        }
        let mut groups = identity.groups.clone();
        if identity.is_privileged() && !groups.iter().any(|g| g == SYSTEM_MASTERS) {
            groups.push(SYSTEM_MASTERS.to_owned());
        }
        self.group_edges(
            &groups,
            &evidence,
            &|g| format!("{via} maps it to Kubernetes group `{g}`"),
            EdgeKind::MappedIdentity,
            out,
        );
        if !identity.access_policies.is_empty() {
            let mut bindings = SubjectBindings::default();
            for p in &identity.access_policies {
                if p.access_scope.scope_type == "namespace" {
                    for pattern in &p.access_scope.namespaces {
                        for ns in &self.prep.namespaces {
                            if namespace_pattern_matches(pattern, ns) {
                                bindings.namespaces.entry(ns.clone()).or_default();
                            }
                        }
                    }
                } else {
                    bindings.cluster_wide = true;
                }
            }
            let policies_only = Identity {
                access_policies: identity.access_policies.clone(),
                ..Identity::default()
            };
            let before = out.len();
            self.rbac_edges(&policies_only, &bindings, false, out);
            // The edges start at the principal itself: its access entry is the subject.
            for p in out.iter_mut().skip(before) {
                p.text = format!("through its EKS access policies it {}", p.text);
            }
        }
    }

    /// IAM principal to the roles it may `sts:AssumeRole`.
    fn assume_role_edges(&mut self, id: NodeId, key: &NodeKey, arn: &str, out: &mut Vec<Pending>) {
        let candidates: Vec<usize> = self
            .prep
            .aws_trust
            .iter()
            .filter(|t| t.may_admit(arn))
            .map(|t| t.role)
            .collect();
        if candidates.is_empty() {
            return;
        }
        let inventory = self.inventory;
        let caller_account = arn.split(':').nth(4).unwrap_or_default().to_owned();
        let own = normalise_principal_arn(arn);
        for i in candidates {
            let Some(role) = inventory.iam_roles.get(i) else {
                continue;
            };
            if normalise_principal_arn(&role.arn) == own {
                continue;
            }
            let role_account = role.arn.split(':').nth(4).unwrap_or_default();
            // Same account with known policies: evaluate the caller's cached policy set with
            // the trust policy added (what `can_assume_role` does, without rebuilding it).
            let checks: Vec<(String, Vec<StatementRef>)> =
                match self.principals.get_mut(&id).and_then(|d| d.set.as_mut()) {
                    Some(set) if role_account == caller_account => {
                        set.add_trust_policy(role);
                        let mut request = Request::new("sts:AssumeRole", role.arn.clone());
                        request.context = set.principal_context.clone();
                        let evaluation = set.evaluate(&request);
                        set.resource_policies.pop();
                        if !evaluation.decision.is_allowed() {
                            continue;
                        }
                        vec![("sts:AssumeRole".to_owned(), evaluation.deciding)]
                    }
                    _ => {
                        let decision = can_assume_role(inventory, arn, role);
                        if !decision.allowed {
                            continue;
                        }
                        decision
                            .checks
                            .into_iter()
                            .map(|c| (c.action, c.evaluation.deciding))
                            .collect()
                    }
                };
            let mut evidence = Vec::new();
            for (action, statements) in checks {
                for st in statements {
                    let object = policy_object(&st, key);
                    let source = if st.policy.kind == emrguard_iam::PolicyKind::Trust {
                        Some(&role.source)
                    } else {
                        None
                    };
                    evidence.push(
                        EdgeEvidence::new(
                            format!("`{action}` on `{}` is allowed", role.arn),
                            object,
                        )
                        .at(source)
                        .detail(st.to_string()),
                    );
                }
            }
            if evidence.is_empty() {
                evidence.push(
                    EdgeEvidence::new(
                        format!("the trust policy of `{}` admits the caller", role.role_name),
                        ObjectId::aws("IAMRole", &role.arn, Some(&role.role_name)),
                    )
                    .at(Some(&role.source)),
                );
            }
            out.push(Pending::new(
                NodeKey::IamRole(role.arn.clone()),
                EdgeKind::AssumeRole,
                format!(
                    "it may `sts:AssumeRole` into `{}` (the role's trust policy and its own policies allow it)",
                    role.role_name
                ),
                evidence,
            ));
        }
    }

    /// IAM principal to the EMR service account its jobs or endpoints run as, for every
    /// execution role trusted in a virtual cluster's namespace that it may name; and to the
    /// roles of managed endpoints whose session credentials it may get.
    fn submit_edges(&mut self, id: NodeId, key: &NodeKey, out: &mut Vec<Pending>) {
        let Some(data) = self.principals.get(&id) else {
            return;
        };
        let Some(set) = data.set.as_ref() else {
            return;
        };
        // An administrator already holds every privilege: paths end there rather than fan
        // out to every execution role it could run jobs as.
        if data
            .summary
            .as_ref()
            .is_some_and(|s| s.has(PrivilegeKind::FullAdmin))
        {
            return;
        }
        let submit: Vec<(&str, &str, Vec<Statement>)> = SUBMIT_ACTIONS
            .iter()
            .map(|(action, component)| (*action, *component, allowing(set, action)))
            .filter(|(_, _, statements)| !statements.is_empty())
            .collect();
        let credentials = allowing(set, "emr-containers:GetManagedEndpointSessionCredentials");
        if submit.is_empty() && credentials.is_empty() {
            return;
        }
        // Grants that name virtual clusters exactly are looked up; patterns are matched
        // against every virtual cluster.
        let exact_only = submit.iter().flat_map(|(_, _, sts)| sts.iter()).all(|st| {
            st.not_resource.is_none()
                && st
                    .resource
                    .as_ref()
                    .is_some_and(|r| r.iter().all(|p| !p.contains(['*', '?', '$'])))
        });
        let vcs: Vec<&crate::prepare::VirtualClusterInfo> = if exact_only {
            let named: BTreeSet<&str> = submit
                .iter()
                .flat_map(|(_, _, sts)| sts.iter())
                .flat_map(|st| st.resource.iter().flatten())
                .map(String::as_str)
                .collect();
            self.prep
                .virtual_clusters
                .iter()
                .filter(|vc| named.contains(vc.arn.as_str()))
                .collect()
        } else {
            self.prep.virtual_clusters.iter().collect()
        };
        for vc in vcs {
            if !submit
                .iter()
                .any(|(_, _, statements)| may_grant_on(statements, &vc.arn))
            {
                continue;
            }
            let roles = self
                .prep
                .trust
                .by_namespace
                .get(&vc.namespace)
                .into_iter()
                .flatten()
                .chain(self.prep.trust.anywhere.iter());
            for &i in roles {
                let Some(role) = self.inventory.iam_roles.get(i) else {
                    continue;
                };
                for (action, component, statements) in &submit {
                    let (action, component) = (*action, *component);
                    if !may_grant_on(statements, &vc.arn) {
                        continue;
                    }
                    let request = Request {
                        context: set.principal_context.clone(),
                        ..Request::new(action, vc.arn.clone())
                    }
                    .with(EXECUTION_ROLE_KEY, role.arn.clone());
                    let evaluation = set.evaluate(&request);
                    if !evaluation.decision.is_allowed() {
                        continue;
                    }
                    let vc_name = vc.name.as_deref().unwrap_or(&vc.id);
                    let sa = emr_service_account(&role.arn, component);
                    let pinned = evaluation
                        .deciding
                        .iter()
                        .all(|st| pins_execution_role(set.statement(st)));
                    let mut evidence: Vec<EdgeEvidence> = evaluation
                        .deciding
                        .iter()
                        .map(|st| {
                            EdgeEvidence::new(
                                format!(
                                    "`{action}` on virtual cluster `{vc_name}` with execution role `{}` is allowed{}",
                                    role.role_name,
                                    if pins_execution_role(set.statement(st)) {
                                        ""
                                    } else {
                                        " (no `emr-containers:ExecutionRoleArn` condition: any role)"
                                    }
                                ),
                                policy_object(st, key),
                            )
                            .detail(st.to_string())
                        })
                        .collect();
                    evidence.push(
                        EdgeEvidence::new(
                            format!(
                                "virtual cluster `{vc_name}` runs in namespace `{}`, where EMR runs the job as `{sa}`",
                                vc.namespace
                            ),
                            ObjectId::aws("VirtualCluster", &vc.arn, Some(&vc.id)),
                        )
                        .at(Some(&vc.source)),
                    );
                    let mut p = Pending::new(
                        NodeKey::service_account(&vc.namespace, &sa),
                        EdgeKind::SubmitJob,
                        format!(
                            "it may call `{action}` on virtual cluster `{vc_name}` with execution role `{}`, so its code runs as `{}/{sa}`",
                            role.role_name, vc.namespace
                        ),
                        evidence,
                    );
                    p.broad = !pinned;
                    out.push(p);
                }
            }
        }
        for ep in &self.prep.endpoints {
            if !may_grant_on(&credentials, &ep.arn) {
                continue;
            }
            let request = Request {
                context: set.principal_context.clone(),
                ..Request::new(
                    "emr-containers:GetManagedEndpointSessionCredentials",
                    ep.arn.clone(),
                )
            }
            .with(EXECUTION_ROLE_KEY, ep.role_arn.clone());
            let evaluation = set.evaluate(&request);
            if !evaluation.decision.is_allowed() {
                continue;
            }
            let name = ep.name.as_deref().unwrap_or(&ep.id);
            let mut evidence: Vec<EdgeEvidence> = evaluation
                .deciding
                .iter()
                .map(|st| {
                    EdgeEvidence::new(
                        format!("`emr-containers:GetManagedEndpointSessionCredentials` on endpoint `{name}` is allowed"),
                        policy_object(st, key),
                    )
                    .detail(st.to_string())
                })
                .collect();
            evidence.push(
                EdgeEvidence::new(
                    format!(
                        "managed endpoint `{name}`{} runs with execution role `{}`",
                        ep.namespace
                            .as_deref()
                            .map_or_else(String::new, |n| format!(" (namespace `{n}`)")),
                        ep.role_arn
                    ),
                    ObjectId::aws("ManagedEndpoint", &ep.arn, Some(&ep.id)),
                )
                .at(Some(&ep.source)),
            );
            out.push(Pending::new(
                self.principal_key(&ep.role_arn),
                EdgeKind::EndpointCredentials,
                format!("it may get session credentials of managed endpoint `{name}`, which runs as `{}`", ep.role_arn),
                evidence,
            ));
        }
    }

    /// IAM principal to the privilege classes its effective permissions make.
    fn privilege_edges(&mut self, id: NodeId, key: &NodeKey, out: &mut Vec<Pending>) {
        let Some(summary) = self.principals.get(&id).and_then(|d| d.summary.as_ref()) else {
            return;
        };
        let mut by_kind: BTreeMap<PrivilegeKind, Vec<EdgeEvidence>> = BTreeMap::new();
        for class in &summary.classes {
            let actions = class.actions.get(..8).unwrap_or(&class.actions);
            let more = class.actions.len().saturating_sub(8);
            let listed = if more > 0 {
                format!("{} and {more} more", actions.join(", "))
            } else {
                actions.join(", ")
            };
            let conditional = if class.conditional {
                " (only under conditions)"
            } else {
                ""
            };
            let entry = by_kind.entry(class.kind).or_default();
            for st in &class.statements {
                entry.push(
                    EdgeEvidence::new(
                        format!("{}: {listed}{conditional}", class.detail),
                        policy_object(st, key),
                    )
                    .detail(st.to_string()),
                );
            }
        }
        for (kind, evidence) in by_kind {
            out.push(Pending::new(
                NodeKey::PrivilegeClass(kind),
                EdgeKind::Privilege,
                format!(
                    "its effective permissions make privilege class `{}`",
                    class_name(kind)
                ),
                evidence,
            ));
        }
    }
}
