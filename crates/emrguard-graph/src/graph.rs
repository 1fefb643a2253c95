//! The graph: interned nodes, and edges computed the first time a node is expanded.

use emrguard_model::hash::HashMap;
use std::sync::Arc;

use emrguard_iam::privilege::Analyzer;
use emrguard_iam::{ActionSet, PolicySet, PrivilegeClass, PrivilegeKind, PrivilegeSummary};
use emrguard_model::inventory::normalise_principal_arn;
use emrguard_model::Inventory;
use emrguard_rbac::RbacIndex;

use crate::model::{Edge, EdgeEvidence, EdgeId, EdgeKind, NodeId, NodeKey};
use crate::prepare::Prepared;

/// An edge found while expanding a node, before its target is interned.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub to: NodeKey,
    pub kind: EdgeKind,
    pub text: String,
    pub evidence: PendingEvidence,
    pub broad: bool,
}

/// The evidence of a pending edge: its own, or shared (one capability's evidence backs an
/// edge to every service account it reaches, and memoised edges are handed to every identity
/// bound alike), already sorted and deduplicated.
#[derive(Debug, Clone)]
pub(crate) enum PendingEvidence {
    Own(Vec<EdgeEvidence>),
    Shared(Arc<[EdgeEvidence]>),
}

impl PendingEvidence {
    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Self::Own(v) => v.is_empty(),
            Self::Shared(a) => a.is_empty(),
        }
    }

    fn into_vec(self) -> Vec<EdgeEvidence> {
        match self {
            Self::Own(v) => v,
            Self::Shared(a) => a.to_vec(),
        }
    }

    /// Sorted, without duplicates, as every edge keeps its evidence.
    fn finish(self) -> Arc<[EdgeEvidence]> {
        match self {
            Self::Shared(a) if sorted_unique(&a) => a,
            other => {
                let mut v = other.into_vec();
                v.sort();
                v.dedup();
                v.into()
            }
        }
    }
}

impl Pending {
    pub(crate) fn new(
        to: NodeKey,
        kind: EdgeKind,
        text: impl Into<String>,
        evidence: Vec<EdgeEvidence>,
    ) -> Self {
        Self {
            to,
            kind,
            text: text.into(),
            evidence: PendingEvidence::Own(evidence),
            broad: false,
        }
    }

    /// An edge whose evidence (sorted, without duplicates) is shared with others.
    pub(crate) fn shared(
        to: NodeKey,
        kind: EdgeKind,
        text: impl Into<String>,
        evidence: Arc<[EdgeEvidence]>,
    ) -> Self {
        Self {
            to,
            kind,
            text: text.into(),
            evidence: PendingEvidence::Shared(evidence),
            broad: false,
        }
    }
}

/// Whether evidence is sorted and free of duplicates, as every edge keeps it.
fn sorted_unique(evidence: &[EdgeEvidence]) -> bool {
    evidence.windows(2).all(|w| match w {
        [a, b] => a < b,
        _ => true,
    })
}

/// What the graph knows about an IAM principal: its policies and what its privilege summary
/// says that edges need.
#[derive(Debug)]
pub(crate) struct PrincipalData {
    pub set: Option<PolicySet>,
    pub summary: Option<PrincipalPrivilege>,
}

/// The part of a principal's privilege summary the graph reads. The per-grant action sets of
/// the full summary are not kept: a catalog-wide set is a few KB, and a large graph holds
/// thousands of principals.
#[derive(Debug)]
pub(crate) struct PrincipalPrivilege {
    /// Every catalog action granted on some resource.
    pub allowed: ActionSet,
    /// The privilege classes held.
    pub classes: Vec<PrivilegeClass>,
}

impl PrincipalPrivilege {
    pub(crate) fn new(summary: PrivilegeSummary) -> Self {
        Self {
            allowed: summary.effective.allowed().clone(),
            classes: summary.classes,
        }
    }

    /// Whether a class of this kind is held.
    pub(crate) fn has(&self, kind: PrivilegeKind) -> bool {
        self.classes.iter().any(|c| c.kind == kind)
    }
}

/// A graph's [`Prepared`]: its own, or one shared with other graphs.
#[derive(Debug)]
pub(crate) enum PreparedRef<'a> {
    Owned(Box<Prepared>),
    Shared(&'a Prepared),
}

impl std::ops::Deref for PreparedRef<'_> {
    type Target = Prepared;

    fn deref(&self) -> &Prepared {
        match self {
            Self::Owned(p) => p,
            Self::Shared(p) => p,
        }
    }
}

/// The cross-layer access graph of one inventory.
///
/// Nodes are interned on first sight; a node's out-edges are computed the first time it is
/// expanded (by [`AccessGraph::out_edges`] or a path search) and kept, so questions that reach
/// a small part of a large cluster stay cheap. Every edge carries the objects that justify it.
#[derive(Debug)]
pub struct AccessGraph<'a> {
    pub(crate) inventory: &'a Inventory,
    pub(crate) rbac: &'a RbacIndex,
    pub(crate) prep: PreparedRef<'a>,
    pub(crate) analyzer: Analyzer<'a>,
    nodes: Vec<NodeKey>,
    ids: HashMap<NodeKey, NodeId>,
    edges: Vec<Edge>,
    out: Vec<Option<Vec<EdgeId>>>,
    pub(crate) principals: HashMap<NodeId, PrincipalData>,
    /// Trust policies compiled for web-identity questions, by role index.
    pub(crate) trust_sets: HashMap<usize, PolicySet>,
    /// Search scratch: the epoch in which each node was last reached, and the edge it was
    /// reached by (plus one; 0 for none). Reused across searches to keep them allocation-free.
    pub(crate) seen: Vec<u32>,
    pub(crate) parent: Vec<u32>,
    pub(crate) epoch: u32,
}

impl<'a> AccessGraph<'a> {
    /// Prepares the graph of an inventory, with the RBAC index built from the same inventory.
    pub fn new(inventory: &'a Inventory, rbac: &'a RbacIndex) -> Self {
        let prep = PreparedRef::Owned(Box::new(Prepared::new(inventory, rbac)));
        Self::with(inventory, rbac, prep)
    }

    /// A graph of an inventory that shares what [`Prepared::new`] computed for it (with the
    /// same RBAC index) with other graphs, for example one per thread.
    pub fn with_prepared(
        inventory: &'a Inventory,
        rbac: &'a RbacIndex,
        prepared: &'a Prepared,
    ) -> Self {
        Self::with(inventory, rbac, PreparedRef::Shared(prepared))
    }

    fn with(inventory: &'a Inventory, rbac: &'a RbacIndex, prep: PreparedRef<'a>) -> Self {
        Self {
            inventory,
            rbac,
            prep,
            analyzer: Analyzer::new(inventory),
            nodes: Vec::new(),
            ids: HashMap::default(),
            edges: Vec::new(),
            out: Vec::new(),
            principals: HashMap::default(),
            trust_sets: HashMap::default(),
            seen: Vec::new(),
            parent: Vec::new(),
            epoch: 0,
        }
    }

    /// The inventory the graph is built on.
    pub fn inventory(&self) -> &'a Inventory {
        self.inventory
    }

    /// Gives up the graph, returning what it owns, detached from the inventory it borrows:
    /// freeing a large graph takes a noticeable time, which a caller may spend on another
    /// thread (the storage is `Send` and `'static`).
    pub fn into_storage(self) -> GraphStorage {
        GraphStorage {
            _prep: match self.prep {
                PreparedRef::Owned(p) => Some(p),
                PreparedRef::Shared(_) => None,
            },
            _nodes: self.nodes,
            _ids: self.ids,
            _edges: self.edges,
            _out: self.out,
            _principals: self.principals,
            _trust_sets: self.trust_sets,
        }
    }

    /// The id of a node, interning it if new.
    pub fn node(&mut self, key: NodeKey) -> NodeId {
        if let Some(&id) = self.ids.get(&key) {
            return id;
        }
        let id = NodeId(u32::try_from(self.nodes.len()).unwrap_or(u32::MAX));
        self.nodes.push(key.clone());
        self.out.push(None);
        self.ids.insert(key, id);
        id
    }

    /// The id of a node already interned.
    pub fn find(&self, key: &NodeKey) -> Option<NodeId> {
        self.ids.get(key).copied()
    }

    /// The key of a node.
    pub fn key(&self, id: NodeId) -> Option<&NodeKey> {
        self.nodes.get(id.index())
    }

    /// An edge.
    pub fn edge(&self, id: EdgeId) -> Option<&Edge> {
        self.edges.get(id.index())
    }

    /// How many nodes and edges have been materialised so far.
    pub fn size(&self) -> (usize, usize) {
        (self.nodes.len(), self.edges.len())
    }

    /// The IAM node for a principal ARN: the role's ARN as the IAM data writes it (path
    /// included) for roles and role sessions, the user's ARN for users.
    pub fn principal_key(&self, arn: &str) -> NodeKey {
        principal_key(self.inventory, arn)
    }

    /// Whether an IAM role ARN is an EMR execution role (used by job runs, endpoints or
    /// templates, trusted by EMR's service-account pattern, or encoded in an EMR service
    /// account's name).
    pub fn is_execution_role(&self, arn: &str) -> bool {
        self.prep
            .execution_roles
            .contains(&normalise_principal_arn(arn))
    }

    /// The number of out-edges of an expanded node.
    pub(crate) fn out_len(&self, id: NodeId) -> usize {
        self.out
            .get(id.index())
            .and_then(Option::as_ref)
            .map_or(0, Vec::len)
    }

    /// The `k`-th out-edge of an expanded node.
    pub(crate) fn out_edge(&self, id: NodeId, k: usize) -> Option<EdgeId> {
        self.out
            .get(id.index())
            .and_then(Option::as_ref)
            .and_then(|v| v.get(k))
            .copied()
    }

    /// The number of nodes interned so far.
    pub(crate) fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The out-edges of a node, computing them on first use. Edges are sorted by target and
    /// kind, so every walk of the graph is deterministic.
    pub fn out_edges(&mut self, id: NodeId) -> Vec<EdgeId> {
        self.expand(id);
        self.out
            .get(id.index())
            .and_then(Clone::clone)
            .unwrap_or_default()
    }

    pub(crate) fn expand(&mut self, id: NodeId) {
        if self.out.get(id.index()).is_none_or(Option::is_some) {
            return;
        }
        let Some(key) = self.nodes.get(id.index()).cloned() else {
            return;
        };
        // A node's edges depend only on its key and the inventory: graphs that share a
        // preparation compute them once between them.
        let edges = if let PreparedRef::Shared(prepared) = self.prep {
            match prepared.shared.expansion(&key) {
                Some(edges) => edges,
                None => {
                    let edges = self.compute_out_edges(id, &key);
                    prepared.shared.remember_expansion(key, edges)
                }
            }
        } else {
            self.compute_out_edges(id, &key)
        };
        let mut ids = Vec::with_capacity(edges.len());
        for e in edges.iter() {
            let to = self.node(e.to.clone());
            let edge_id = EdgeId(u32::try_from(self.edges.len()).unwrap_or(u32::MAX));
            self.edges.push(Edge {
                from: id,
                to,
                kind: e.kind,
                text: e.text.clone(),
                evidence: Arc::clone(&e.evidence),
                broad: e.broad,
            });
            ids.push(edge_id);
        }
        if let Some(slot) = self.out.get_mut(id.index()) {
            *slot = Some(ids);
        }
    }

    /// The out-edges of a node: one per target and kind, with the evidence of every way it
    /// holds, sorted by target and kind.
    fn compute_out_edges(&mut self, id: NodeId, key: &NodeKey) -> Arc<[OutEdge]> {
        let mut pending = match key {
            NodeKey::IamUser(arn) | NodeKey::IamRole(arn) => self.principal_edges(id, arn),
            NodeKey::User(_) | NodeKey::Group(_) => self.subject_edges(key),
            NodeKey::ServiceAccount { namespace, name } => {
                self.service_account_edges(key, namespace, name)
            }
            NodeKey::Namespace(ns) => self.namespace_edges(ns),
            NodeKey::Nodegroup(name) => self.nodegroup_edges(name),
            NodeKey::PrivilegeClass(_) => Vec::new(),
        };
        pending.retain(|p| p.to != *key && !p.evidence.is_empty());
        pending.sort_by(|a, b| (&a.to, a.kind).cmp(&(&b.to, b.kind)));
        let mut merged: Vec<Pending> = Vec::with_capacity(pending.len());
        for p in pending {
            match merged.last_mut() {
                Some(last) if last.to == p.to && last.kind == p.kind => {
                    last.broad &= p.broad;
                    let mut all =
                        std::mem::replace(&mut last.evidence, PendingEvidence::Own(Vec::new()))
                            .into_vec();
                    all.extend(p.evidence.into_vec());
                    last.evidence = PendingEvidence::Own(all);
                }
                _ => merged.push(p),
            }
        }
        merged
            .into_iter()
            .map(|p| OutEdge {
                to: p.to,
                kind: p.kind,
                text: p.text,
                evidence: p.evidence.finish(),
                broad: p.broad,
            })
            .collect()
    }
}

/// An out-edge of a node before its target is interned in a graph.
#[derive(Debug)]
pub(crate) struct OutEdge {
    to: NodeKey,
    kind: EdgeKind,
    text: String,
    evidence: Arc<[EdgeEvidence]>,
    broad: bool,
}

/// What an [`AccessGraph`] owns, for freeing elsewhere (see [`AccessGraph::into_storage`]).
#[derive(Debug)]
pub struct GraphStorage {
    _prep: Option<Box<Prepared>>,
    _nodes: Vec<NodeKey>,
    _ids: HashMap<NodeKey, NodeId>,
    _edges: Vec<Edge>,
    _out: Vec<Option<Vec<EdgeId>>>,
    _principals: HashMap<NodeId, PrincipalData>,
    _trust_sets: HashMap<usize, PolicySet>,
}

/// See [`AccessGraph::principal_key`].
pub fn principal_key(inventory: &Inventory, arn: &str) -> NodeKey {
    let is_role = arn.contains(":role/") || arn.contains(":assumed-role/");
    if is_role {
        let canonical = inventory
            .role_by_arn(&normalise_principal_arn(arn))
            .map_or_else(|| normalise_principal_arn(arn), |r| r.arn.clone());
        NodeKey::IamRole(canonical)
    } else {
        let canonical = inventory.user_by_arn(arn).map_or_else(
            || {
                inventory
                    .iam_users
                    .iter()
                    .find(|u| normalise_principal_arn(&u.arn) == normalise_principal_arn(arn))
                    .map_or_else(|| arn.to_owned(), |u| u.arn.clone())
            },
            |u| u.arn.clone(),
        );
        NodeKey::IamUser(canonical)
    }
}
