//! Kubernetes edges: RBAC capabilities to service accounts, namespaces to service accounts and
//! node groups, service accounts to IAM roles (IRSA, Pod Identity), node groups to roles.

use std::collections::BTreeSet;
use std::sync::Arc;

use emrguard_iam::trust::{
    can_assume_service_with, oidc_provider_arn, oidc_provider_of, pod_identity_context,
};
use emrguard_iam::{glob_matches, Caller, Evaluation, PolicySet, Request as IamRequest};
use emrguard_model::emr::{emr_trust_sub_pattern, IRSA_ANNOTATION, POD_IDENTITY_PRINCIPAL};
use emrguard_model::k8s::ObjectRef;
use emrguard_rbac::capability::EVERY;
use emrguard_rbac::identity::{
    service_account_username, ALL_AUTHENTICATED, ALL_SERVICE_ACCOUNTS, SYSTEM_MASTERS,
};
use emrguard_rbac::{Capability, CapabilityKind, EscalationKind, GrantSource, Identity};

use crate::graph::{AccessGraph, Pending};
use crate::imds::host_network_forbidden;
use crate::model::{EdgeEvidence, EdgeKind, NodeKey, ObjectId, EVERY_NAMESPACE};
use crate::prepare::SubjectBindings;

/// The namespace the RBAC engine is asked about for rights that hold in every namespace:
/// no namespace can have this name (namespace names are DNS labels), so only cluster-wide
/// grants apply there.
const ANY_NAMESPACE_PROBE: &str = "emrguard:any-namespace";

/// The audience the EKS Pod Identity webhook puts in projected IRSA tokens.
const STS_AUDIENCE: &str = "sts.amazonaws.com";

/// Evidence sorted and deduplicated once, to be shared by many edges.
fn sorted_shared(mut evidence: Vec<EdgeEvidence>) -> Arc<[EdgeEvidence]> {
    evidence.sort();
    evidence.dedup();
    evidence.into()
}

fn masters() -> NodeKey {
    NodeKey::Group(SYSTEM_MASTERS.to_owned())
}

fn namespace_node(ns: &str) -> NodeKey {
    if ns == ANY_NAMESPACE_PROBE {
        NodeKey::Namespace(EVERY_NAMESPACE.to_owned())
    } else {
        NodeKey::Namespace(ns.to_owned())
    }
}

fn scope_words(ns: &str) -> String {
    if ns == ANY_NAMESPACE_PROBE {
        "in every namespace".to_owned()
    } else {
        format!("in `{ns}`")
    }
}

impl AccessGraph<'_> {
    /// Evidence items for a capability: one per grant of each allowed request.
    fn capability_evidence(&self, cap: &Capability, only: Option<&[&str]>) -> Vec<EdgeEvidence> {
        let mut out = Vec::new();
        for ev in &cap.evidence {
            if only.is_some_and(|resources| !resources.contains(&ev.request.resource.as_str())) {
                continue;
            }
            let request = ev.request.describe(scope_words);
            for g in &ev.grants {
                let rule = g.rule.as_ref().map(|r| {
                    format!(
                        "rule {}: verbs [{}] on [{}]{}",
                        g.rule_index.unwrap_or(0),
                        r.verbs.join(", "),
                        r.resources.join(", "),
                        if r.resource_names.is_empty() {
                            String::new()
                        } else {
                            format!(" named [{}]", r.resource_names.join(", "))
                        }
                    )
                });
                let item = match &g.source {
                    GrantSource::Binding { binding, role, .. } => {
                        let b: &ObjectRef = binding;
                        let r: &ObjectRef = role;
                        let mut e = EdgeEvidence::new(
                            format!("{b} grants {r}, which allows {request}"),
                            ObjectId::k8s(&b.kind, b.namespace.as_deref(), &b.name),
                        )
                        .at(self.prep.rbac_sources.get(b));
                        if let Some(rule) = rule {
                            e = e.detail(rule);
                        }
                        e
                    }
                    GrantSource::AccessPolicy {
                        principal_arn,
                        policy_arn,
                        access_scope,
                        ..
                    } => {
                        let mut e = EdgeEvidence::new(
                            format!(
                                "its access entry is associated with `{policy_arn}` ({} scope), which allows {request}",
                                access_scope.scope_type
                            ),
                            ObjectId::aws("AccessEntry", principal_arn, None),
                        );
                        if let Some(rule) = rule {
                            e = e.detail(rule);
                        }
                        e
                    }
                    GrantSource::PrivilegedGroup { group, .. } => EdgeEvidence::new(
                        format!("member of `{group}`, which kube-apiserver allows everything"),
                        ObjectId::k8s("Group", None, group),
                    ),
                };
                out.push(item);
            }
        }
        out
    }

    /// Service-account nodes for the targets of a token or impersonation capability in a
    /// real namespace: every existing one for [`EVERY`], else the named ones.
    fn service_account_targets(&self, ns: &str, targets: &[String]) -> Vec<NodeKey> {
        if targets.iter().any(|t| t == EVERY) {
            self.prep
                .service_accounts
                .get(ns)
                .into_iter()
                .flatten()
                .map(|name| NodeKey::service_account(ns, name))
                .collect()
        } else {
            targets
                .iter()
                .map(|name| NodeKey::service_account(ns, name))
                .collect()
        }
    }

    /// Turns RBAC capabilities into edges. Capabilities of [`ANY_NAMESPACE_PROBE`] hold in
    /// every namespace and lead to the every-namespace node.
    fn capability_edges(&self, caps: &[Capability], out: &mut Vec<Pending>) {
        let has = |kind: CapabilityKind, ns: Option<&str>| {
            caps.iter()
                .any(|c| c.kind == kind && c.namespace.as_deref() == ns)
        };
        for cap in caps {
            let ns = cap.namespace.as_deref();
            match (cap.kind, ns) {
                (CapabilityKind::RunAsAnyServiceAccount, Some(ns)) => out.push(Pending::new(
                    namespace_node(ns),
                    EdgeKind::CreatePods,
                    format!(
                        "can create pods (directly or through workloads) {}, so it can run code as any service account there",
                        scope_words(ns)
                    ),
                    self.capability_evidence(cap, None),
                )),
                (CapabilityKind::ObtainServiceAccountToken, Some(ns)) => {
                    let evidence = self.capability_evidence(cap, None);
                    if ns == ANY_NAMESPACE_PROBE {
                        out.push(Pending::new(
                            namespace_node(ns),
                            EdgeKind::ServiceAccountToken,
                            "can obtain service-account tokens (token requests, token secrets, exec into pods) in every namespace",
                            evidence,
                        ));
                        continue;
                    }
                    let evidence = sorted_shared(evidence);
                    for target in self.service_account_targets(ns, &cap.targets) {
                        let name = target.name();
                        out.push(Pending::shared(
                            target,
                            EdgeKind::ServiceAccountToken,
                            format!("can obtain the token of `{name}` (token request, token secret, or exec into a pod that runs as it)"),
                            Arc::clone(&evidence),
                        ));
                    }
                }
                (CapabilityKind::InterceptAdmission, None) => {
                    let mutating = ["mutatingwebhookconfigurations"];
                    let evidence = self.capability_evidence(cap, Some(&mutating));
                    if !evidence.is_empty() {
                        out.push(Pending::new(
                            NodeKey::Namespace(EVERY_NAMESPACE.to_owned()),
                            EdgeKind::AdmissionWebhook,
                            "can write mutating admission webhooks, so it can rewrite any pod of every namespace (including EMR's job pods) to run its own code",
                            evidence,
                        ));
                    }
                }
                (CapabilityKind::Escalate(EscalationKind::Impersonate), Some(ns)) => {
                    let evidence = self.capability_evidence(cap, None);
                    if ns == ANY_NAMESPACE_PROBE || cap.targets.iter().any(|t| t == EVERY) {
                        out.push(Pending::new(
                            namespace_node(ns),
                            EdgeKind::Impersonation,
                            format!("can impersonate any service account {}", scope_words(ns)),
                            evidence,
                        ));
                    } else {
                        let evidence = sorted_shared(evidence);
                        for target in self.service_account_targets(ns, &cap.targets) {
                            let name = target.name();
                            out.push(Pending::shared(
                                target,
                                EdgeKind::Impersonation,
                                format!("can impersonate `{name}`"),
                                Arc::clone(&evidence),
                            ));
                        }
                    }
                }
                (CapabilityKind::Escalate(EscalationKind::Impersonate), None) => {
                    let people = ["users", "groups"];
                    let evidence = self.capability_evidence(cap, Some(&people));
                    if evidence.is_empty() {
                        out.push(Pending::new(
                            NodeKey::Namespace(EVERY_NAMESPACE.to_owned()),
                            EdgeKind::Impersonation,
                            "can impersonate any service account cluster-wide",
                            self.capability_evidence(cap, None),
                        ));
                    } else {
                        out.push(Pending::new(
                            masters(),
                            EdgeKind::Impersonation,
                            format!("can impersonate any user or group, `{SYSTEM_MASTERS}` included"),
                            evidence,
                        ));
                    }
                }
                (
                    CapabilityKind::Escalate(
                        kind @ (EscalationKind::Bind | EscalationKind::EscalateRoles),
                    ),
                    ns,
                ) if has(
                    CapabilityKind::Escalate(EscalationKind::WriteRoleBindings),
                    ns,
                ) || kind == EscalationKind::EscalateRoles =>
                {
                    let mut evidence = self.capability_evidence(cap, None);
                    if let Some(write) = caps.iter().find(|c| {
                        c.kind == CapabilityKind::Escalate(EscalationKind::WriteRoleBindings)
                            && c.namespace.as_deref() == ns
                    }) {
                        evidence.extend(self.capability_evidence(write, None));
                    }
                    let (to, scope) = match ns {
                        Some(ns) => (namespace_node(ns), scope_words(ns)),
                        None => (masters(), "cluster-wide".to_owned()),
                    };
                    let how = if kind == EscalationKind::Bind {
                        "can bind roles it does not hold"
                    } else {
                        "can write roles with rules it does not hold"
                    };
                    out.push(Pending::new(
                        to,
                        EdgeKind::RbacEscalation,
                        format!("{how} {scope}, so it can grant itself any right there"),
                        evidence,
                    ));
                }
                (CapabilityKind::Escalate(EscalationKind::NodesProxy), None) => {
                    out.push(Pending::new(
                        NodeKey::Namespace(EVERY_NAMESPACE.to_owned()),
                        EdgeKind::NodesProxy,
                        "can use `nodes/proxy`, so it can run commands in any pod through the kubelet",
                        self.capability_evidence(cap, None),
                    ));
                }
                (
                    CapabilityKind::Escalate(EscalationKind::ApproveCertificateSigningRequests),
                    None,
                ) => out.push(Pending::new(
                    masters(),
                    EdgeKind::CertificateApproval,
                    format!("can approve certificate signing requests, so it can mint a client certificate for any user or group, `{SYSTEM_MASTERS}` included"),
                    self.capability_evidence(cap, None),
                )),
                _ => {}
            }
        }
    }

    /// The RBAC edges of an identity bound as `bindings` says: rights that hold in every
    /// namespace (cluster-wide grants) are computed once, rights from RoleBindings in each of
    /// their namespaces. With `memo`, results are shared between identities bound by the same
    /// bindings (their rights are the same; the evidence names bindings, not subjects).
    pub(crate) fn rbac_edges(
        &mut self,
        identity: &Identity,
        bindings: &SubjectBindings,
        memo: bool,
        out: &mut Vec<Pending>,
    ) {
        let privileged = identity.is_privileged();
        let mut scopes: Vec<(String, Vec<u32>)> = Vec::new();
        if bindings.cluster_wide {
            let mut ids = bindings.cluster.clone();
            if privileged {
                ids.push(u32::MAX);
            }
            scopes.push((ANY_NAMESPACE_PROBE.to_owned(), ids));
        }
        let mut namespaces: BTreeSet<&str> =
            bindings.namespaces.keys().map(String::as_str).collect();
        if bindings.named_cluster_rules {
            namespaces.extend(self.prep.namespaces.iter().map(String::as_str));
        }
        for ns in namespaces {
            let mut ids: Vec<u32> = bindings.namespaces.get(ns).cloned().unwrap_or_default();
            ids.extend(bindings.cluster.iter().copied());
            if privileged {
                ids.push(u32::MAX);
            }
            scopes.push((ns.to_owned(), ids));
        }
        for (ns, ids) in scopes {
            let key = (ns, ids);
            if memo {
                if let Some(found) = self.prep.shared.capabilities(&key) {
                    out.extend(found);
                    continue;
                }
            }
            let ns = key.0.as_str();
            let caps: Vec<Capability> = self
                .rbac
                .capabilities(identity, ns)
                .into_iter()
                .filter(|c| ns == ANY_NAMESPACE_PROBE || c.namespace.is_some())
                .collect();
            let mut edges = Vec::new();
            self.capability_edges(&caps, &mut edges);
            if memo {
                self.prep.shared.remember_capabilities(key, edges.clone());
            }
            out.extend(edges);
        }
    }

    /// Edges of a Kubernetes user or group: its RBAC rights.
    pub(crate) fn subject_edges(&mut self, key: &NodeKey) -> Vec<Pending> {
        let mut out = Vec::new();
        let Some(bindings) = self.prep.bindings.get(key).cloned() else {
            return out;
        };
        let identity = match key {
            NodeKey::User(name) => Identity::new(name, &[]),
            NodeKey::Group(name) => Identity::new("", &[name.as_str()]),
            _ => return out,
        };
        self.rbac_edges(&identity, &bindings, true, &mut out);
        out
    }

    /// Edges to the groups a member belongs to, for groups that some binding names.
    pub(crate) fn group_edges(
        &self,
        groups: &[String],
        evidence: &EdgeEvidence,
        text: &dyn Fn(&str) -> String,
        kind: EdgeKind,
        out: &mut Vec<Pending>,
    ) {
        for g in groups {
            let key = NodeKey::Group(g.clone());
            if self.prep.bindings.contains_key(&key) {
                out.push(Pending::new(key, kind, text(g), vec![evidence.clone()]));
            }
        }
    }

    /// Edges of a service account: its groups, its RBAC rights, and the IAM roles it can
    /// assume (web identity, Pod Identity).
    pub(crate) fn service_account_edges(
        &mut self,
        key: &NodeKey,
        namespace: &str,
        name: &str,
    ) -> Vec<Pending> {
        let mut out = Vec::new();
        let sa = self.inventory.service_account(namespace, name);
        let sa_object = ObjectId::k8s("ServiceAccount", Some(namespace), name);
        let sa_source = sa.map(|s| &s.source);

        let groups = vec![
            ALL_SERVICE_ACCOUNTS.to_owned(),
            format!("{ALL_SERVICE_ACCOUNTS}:{namespace}"),
            ALL_AUTHENTICATED.to_owned(),
        ];
        let membership = EdgeEvidence::new(
            "every service account is in these groups",
            sa_object.clone(),
        )
        .at(sa_source);
        self.group_edges(
            &groups,
            &membership,
            &|g| format!("as a service account it is in group `{g}`"),
            EdgeKind::GroupMembership,
            &mut out,
        );

        if let Some(bindings) = self.prep.bindings.get(key).cloned() {
            let identity = Identity::new(&service_account_username(namespace, name), &[]);
            self.rbac_edges(&identity, &bindings, true, &mut out);
        }

        // Web identity (IRSA): any role whose trust policy admits this service account's token.
        if self.prep.issuer.is_some() {
            let sub = service_account_username(namespace, name);
            let annotated = sa.and_then(|s| s.metadata.annotations.get(IRSA_ANNOTATION));
            let candidates: BTreeSet<usize> = self
                .prep
                .trust
                .by_namespace
                .get(namespace)
                .into_iter()
                .flatten()
                .chain(self.prep.trust.anywhere.iter())
                .copied()
                .collect();
            for i in candidates {
                let Some(role) = self.inventory.iam_roles.get(i) else {
                    continue;
                };
                let Some(evaluation) = self.web_identity(i, &sub) else {
                    continue;
                };
                let (scope_text, narrow) = self.sub_scope(i, namespace, &sub);
                let mut evidence = Vec::new();
                for st in &evaluation.deciding {
                    evidence.push(
                        EdgeEvidence::new(
                            format!(
                                "the trust policy of `{}` admits `{sub}` through {scope_text} (`sts:AssumeRoleWithWebIdentity`)",
                                role.role_name
                            ),
                            ObjectId::aws("IAMRole", &role.arn, Some(&role.role_name)),
                        )
                        .at(Some(&role.source))
                        .detail(st.to_string()),
                    );
                }
                if evidence.is_empty() {
                    evidence.push(
                        EdgeEvidence::new(
                            format!("the trust policy of `{}` admits `{sub}`", role.role_name),
                            ObjectId::aws("IAMRole", &role.arn, Some(&role.role_name)),
                        )
                        .at(Some(&role.source)),
                    );
                }
                if annotated.is_some_and(|a| {
                    *a == role.arn || emrguard_model::emr::role_name_from_arn(a) == role.role_name
                }) {
                    evidence.push(
                        EdgeEvidence::new(
                            format!("the service account is annotated `{IRSA_ANNOTATION}` with this role, so its pods get the role's credentials without asking"),
                            sa_object.clone(),
                        )
                        .at(sa_source),
                    );
                }
                let mut p = Pending::new(
                    NodeKey::IamRole(role.arn.clone()),
                    EdgeKind::WebIdentity,
                    format!(
                        "its token is accepted by the trust policy of `{}` (IRSA)",
                        role.role_name
                    ),
                    evidence,
                );
                p.broad = !narrow;
                out.push(p);
            }
        }

        // EKS Pod Identity associations.
        let associations = self
            .prep
            .pod_identity
            .get(&(namespace.to_owned(), name.to_owned()))
            .cloned()
            .unwrap_or_default();
        for i in associations {
            let Some(a) = self.inventory.pod_identity_associations.get(i) else {
                continue;
            };
            let Some(role_arn) = &a.role_arn else {
                continue;
            };
            let id = a.association_id.as_deref().unwrap_or("association");
            let object = match &a.association_arn {
                Some(arn) => ObjectId::aws("PodIdentityAssociation", arn, Some(id)),
                None => ObjectId::aws_named("PodIdentityAssociation", id),
            };
            let role = self.inventory.role_by_arn(role_arn);
            let trusted = match (role, self.inventory.cluster()) {
                (Some(role), Some(cluster)) => {
                    let ctx = pod_identity_context(&cluster.arn, &cluster.name, namespace, name);
                    can_assume_service_with(role, POD_IDENTITY_PRINCIPAL, &ctx).allowed
                }
                // Without the role's trust policy or the cluster the association is taken
                // at its word.
                _ => true,
            };
            if !trusted {
                continue;
            }
            let role_key = self.principal_key(role_arn);
            out.push(Pending::new(
                role_key,
                EdgeKind::PodIdentity,
                format!("EKS Pod Identity association `{id}` gives it role `{role_arn}`"),
                vec![EdgeEvidence::new(
                    format!("association `{id}` maps `{namespace}/{name}` to `{role_arn}`"),
                    object.clone(),
                )
                .at(Some(&a.source))],
            ));
            if let Some(target) = &a.target_role_arn {
                let target_key = self.principal_key(target);
                out.push(Pending::new(
                    target_key,
                    EdgeKind::PodIdentity,
                    format!("EKS Pod Identity association `{id}` chains to target role `{target}`"),
                    vec![EdgeEvidence::new(
                        format!("association `{id}` has target role `{target}`"),
                        object,
                    )
                    .at(Some(&a.source))],
                ));
            }
        }
        out
    }

    /// Edges of "any service account of a namespace": the service accounts a pod there may
    /// name, and the node groups whose instance metadata such a pod reaches. The
    /// every-namespace node leads to each namespace.
    pub(crate) fn namespace_edges(&mut self, ns: &str) -> Vec<Pending> {
        let mut out = Vec::new();
        if ns == EVERY_NAMESPACE {
            for n in &self.prep.namespaces {
                out.push(Pending::new(
                    NodeKey::Namespace(n.clone()),
                    EdgeKind::EveryNamespace,
                    format!("every namespace includes `{n}`"),
                    vec![EdgeEvidence::new(
                        format!("namespace `{n}`"),
                        ObjectId::k8s("Namespace", None, n),
                    )
                    .at(self.inventory.namespace(n).map(|x| &x.source))],
                ));
            }
            return out;
        }
        let ns_object = ObjectId::k8s("Namespace", None, ns);
        let ns_source = self.inventory.namespace(ns).map(|x| &x.source);
        for (name, encoded_role) in self.prep.candidate_service_accounts(self.inventory, ns) {
            let existing = self.inventory.service_account(ns, &name);
            let evidence = match (existing, &encoded_role) {
                (Some(sa), _) => EdgeEvidence::new(
                    format!("service account `{ns}/{name}` exists; a pod spec may name it"),
                    ObjectId::k8s("ServiceAccount", Some(ns), &name),
                )
                .at(Some(&sa.source)),
                (None, Some(role)) => EdgeEvidence::new(
                    format!("`{name}` is the EMR service-account name for role `{role}`; EMR creates it when a job runs with that role, and the role's trust pattern admits it whether or not it exists now"),
                    ns_object.clone(),
                )
                .at(ns_source),
                (None, None) if name == "default" => EdgeEvidence::new(
                    format!("every namespace has a `default` service account; a pod in `{ns}` runs as it unless told otherwise"),
                    ns_object.clone(),
                )
                .at(ns_source),
                (None, None) => EdgeEvidence::new(
                    format!("a trust policy or Pod Identity association names `{ns}/{name}`"),
                    ns_object.clone(),
                )
                .at(ns_source),
            };
            out.push(Pending::new(
                NodeKey::service_account(ns, &name),
                EdgeKind::PodServiceAccount,
                format!("a pod in `{ns}` may run as service account `{name}`"),
                vec![evidence],
            ));
        }
        let host_network_blocked = host_network_forbidden(self.inventory, ns);
        for (i, exposure) in &self.prep.exposure {
            let (Some(ng), Some(exposure)) = (self.inventory.nodegroups.get(*i), exposure) else {
                continue;
            };
            let name = &ng.nodegroup_name;
            let ng_object = match &ng.nodegroup_arn {
                Some(arn) => ObjectId::aws("Nodegroup", arn, Some(name)),
                None => ObjectId::aws_named("Nodegroup", name),
            };
            let template = match &exposure.template {
                Some((id, _)) => ObjectId::aws_named("LaunchTemplate", id),
                None => ng_object.clone(),
            };
            let template_source = exposure.template.as_ref().and_then(|(id, number)| {
                self.inventory
                    .launch_template_versions
                    .iter()
                    .find(|v| {
                        (v.launch_template_id.as_deref() == Some(id)
                            || v.launch_template_name.as_deref() == Some(id))
                            && v.version_number == *number
                    })
                    .map(|v| &v.source)
            });
            if exposure.reachable_from_pods() {
                out.push(Pending::new(
                    NodeKey::Nodegroup(name.clone()),
                    EdgeKind::InstanceMetadata,
                    format!("a pod in `{ns}` can be scheduled on node group `{name}` and reach its instance metadata service"),
                    vec![EdgeEvidence::new(
                        format!("node group `{name}` runs with {}, which sets {}", exposure.origin, exposure.describe()),
                        template,
                    )
                    .at(template_source.or(Some(&ng.source)))
                    .detail("IMDSv1, or a hop limit above 1, lets pods reach 169.254.169.254")],
                ));
            } else if !host_network_blocked && exposure.reachable_from_host_network() {
                out.push(Pending::new(
                    NodeKey::Nodegroup(name.clone()),
                    EdgeKind::HostNetwork,
                    format!("a `hostNetwork` pod in `{ns}` on node group `{name}` reaches its instance metadata service"),
                    vec![
                        EdgeEvidence::new(
                            format!("namespace `{ns}` does not enforce the Pod Security `baseline` or `restricted` level, so its pods may use `hostNetwork`"),
                            ns_object.clone(),
                        )
                        .at(ns_source),
                        EdgeEvidence::new(
                            format!("node group `{name}` runs with {}; a hop limit only stops pods outside the node's network", exposure.origin),
                            template,
                        )
                        .at(template_source.or(Some(&ng.source))),
                    ],
                ));
            }
        }
        out
    }

    /// The edge of a node group: its node role.
    pub(crate) fn nodegroup_edges(&mut self, name: &str) -> Vec<Pending> {
        let Some(ng) = self
            .inventory
            .nodegroups
            .iter()
            .find(|n| n.nodegroup_name == name)
        else {
            return Vec::new();
        };
        let Some(role_arn) = &ng.node_role else {
            return Vec::new();
        };
        let object = match &ng.nodegroup_arn {
            Some(arn) => ObjectId::aws("Nodegroup", arn, Some(name)),
            None => ObjectId::aws_named("Nodegroup", name),
        };
        vec![Pending::new(
            self.principal_key(role_arn),
            EdgeKind::NodeRole,
            format!("the instances of node group `{name}` run with role `{role_arn}`"),
            vec![EdgeEvidence::new(
                format!("node group `{name}` has node role `{role_arn}`"),
                object,
            )
            .at(Some(&ng.source))],
        )]
    }
}

impl AccessGraph<'_> {
    /// Whether role `i`'s trust policy admits the web identity `sub` from this cluster's
    /// OIDC provider, with the statements that decide it. The role's trust policy is compiled
    /// once and kept.
    fn web_identity(&mut self, i: usize, sub: &str) -> Option<Evaluation> {
        let (Some(issuer), Some(role)) = (&self.prep.issuer, self.inventory.iam_roles.get(i))
        else {
            return None;
        };
        let provider = oidc_provider_of(issuer);
        let account = role.arn.split(':').nth(4).unwrap_or_default();
        let partition = role.arn.split(':').nth(1).unwrap_or("aws");
        let provider_arn = oidc_provider_arn(partition, account, issuer);
        let set = self.trust_sets.entry(i).or_insert_with(|| {
            let mut set = PolicySet {
                caller: Some(Caller::Federated {
                    provider: provider_arn.clone(),
                }),
                ..PolicySet::default()
            };
            set.add_trust_policy(role);
            set
        });
        let request = IamRequest::new("sts:AssumeRoleWithWebIdentity", role.arn.clone())
            .with(&format!("{provider}:sub"), sub)
            .with(&format!("{provider}:aud"), STS_AUDIENCE)
            .with("aws:FederatedProvider", provider_arn);
        let evaluation = set.evaluate(&request);
        evaluation.decision.is_allowed().then_some(evaluation)
    }

    /// How role `i`'s trust admits `sub`, for evidence text, and whether that is narrow: the
    /// exact subject, or EMR's own pattern for the role in the namespace.
    fn sub_scope(&self, i: usize, namespace: &str, sub: &str) -> (String, bool) {
        let Some(role) = self.inventory.iam_roles.get(i) else {
            return (String::new(), false);
        };
        let account = self
            .prep
            .cluster_account
            .clone()
            .unwrap_or_else(|| role.arn.split(':').nth(4).unwrap_or_default().to_owned());
        let emr_pattern = emr_trust_sub_pattern(namespace, &account, &role.role_name);
        let subs = self.prep.trust.subs.get(&i).map_or(&[][..], Vec::as_slice);
        let matching: Vec<&crate::prepare::SubValue> = subs
            .iter()
            .filter(|s| {
                if s.wildcards {
                    glob_matches(&s.value, sub)
                } else {
                    s.value.eq_ignore_ascii_case(sub)
                }
            })
            .collect();
        if matching
            .iter()
            .any(|s| !s.wildcards || !s.value.contains(['*', '?']))
        {
            return (format!("the exact subject `{sub}`"), true);
        }
        if matching.iter().any(|s| s.value == emr_pattern) {
            return (
                format!("EMR's service-account pattern for `{namespace}`"),
                true,
            );
        }
        match matching.first() {
            Some(s) => (
                format!("`{}`, broader than EMR's service-account pattern", s.value),
                false,
            ),
            None => (
                "a statement without a `sub` condition, which admits every service account of the cluster"
                    .to_owned(),
                false,
            ),
        }
    }
}
