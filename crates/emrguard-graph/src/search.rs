//! Path search: breadth-first from each source with a depth limit, so every path found is a
//! shortest one, in a deterministic order.

use std::collections::VecDeque;

use emrguard_iam::{Catalog, PrivilegeKind};
use emrguard_model::Inventory;
use serde::Serialize;

use crate::graph::{principal_key, AccessGraph};
use crate::model::{
    class_name, parse_class, EdgeEvidence, EdgeId, EdgeKind, NodeId, NodeKey, NodeKind, CLASSES,
    EVERY_NAMESPACE,
};

/// Where paths end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The worst privilege class of every principal reached: one path per principal.
    AnyClass,
    /// One privilege class: one path per principal that holds it.
    Class(PrivilegeKind),
    /// IAM principals whose policies allow an action (wildcards allowed, e.g. `s3:Get*`) on
    /// some resource: one path per principal.
    Action(String),
}

impl Target {
    /// Parses `--to`: a privilege class name (`admin`, `privilege-escalation`,
    /// `resource-exposure`, `infra-change`, `data-write`, `data-read`) or an IAM action
    /// (`service:Action`, wildcards allowed).
    ///
    /// # Errors
    /// A message naming what is accepted.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if let Some(kind) = parse_class(text) {
            return Ok(Self::Class(kind));
        }
        match text.split_once(':') {
            Some((service, action))
                if !service.is_empty()
                    && !action.is_empty()
                    && !text.contains(char::is_whitespace) =>
            {
                Ok(Self::Action(text.to_owned()))
            }
            _ => Err(format!(
                "`{text}` is neither a privilege class ({}) nor an IAM action such as `s3:GetObject` or `iam:*`",
                CLASSES.map(class_name).join(", ")
            )),
        }
    }
}

/// Parses a path source: `User:NAME`, `Group:NAME`, `ServiceAccount:NS/NAME`, or an IAM
/// principal ARN (user, role, or role session).
///
/// # Errors
/// A message naming the accepted forms.
pub fn parse_source(inventory: &Inventory, text: &str) -> Result<NodeKey, String> {
    let text = text.trim();
    if text.starts_with("arn:") {
        return Ok(principal_key(inventory, text));
    }
    match text.split_once(':') {
        Some(("User", name)) if !name.is_empty() => Ok(NodeKey::User(name.to_owned())),
        Some(("Group", name)) if !name.is_empty() => Ok(NodeKey::Group(name.to_owned())),
        Some(("ServiceAccount", rest)) => match rest.split_once('/') {
            Some((ns, name)) if !ns.is_empty() && !name.is_empty() => {
                Ok(NodeKey::service_account(ns, name))
            }
            _ => Err(format!(
                "`{text}`: a service account is written ServiceAccount:NAMESPACE/NAME"
            )),
        },
        _ => Err(format!(
            "`{text}` is not a source: expected User:NAME, Group:NAME, ServiceAccount:NAMESPACE/NAME or an IAM principal ARN"
        )),
    }
}

/// A path as ids: `nodes[i]` to `nodes[i + 1]` through `edges[i]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathIds {
    /// The nodes, source first.
    pub nodes: Vec<NodeId>,
    /// The edges between consecutive nodes.
    pub edges: Vec<EdgeId>,
}

impl PathIds {
    /// The source node.
    pub fn source(&self) -> Option<NodeId> {
        self.nodes.first().copied()
    }

    /// The last node.
    pub fn end(&self) -> Option<NodeId> {
        self.nodes.last().copied()
    }

    /// The number of hops.
    pub fn len(&self) -> usize {
        self.edges.len()
    }

    /// Whether the path has no hop.
    pub fn is_empty(&self) -> bool {
        self.edges.is_empty()
    }
}

/// A node as output shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeView {
    /// `IAMUser`, `IAMRole`, `User`, `Group`, `ServiceAccount`, `Namespace`, `Nodegroup` or
    /// `PrivilegeClass`.
    pub kind: NodeKind,
    /// An ARN, `User:NAME`, `Group:NAME`, `ServiceAccount:NS/NAME`, a namespace (`*` for
    /// every namespace), a node group, or a privilege class name.
    pub name: String,
    /// What the node is in this deployment, when worth saying (an EMR execution role, the
    /// virtual clusters of a namespace, a service account not created yet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// An edge as output shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EdgeView {
    /// What it means.
    pub kind: EdgeKind,
    /// Why the previous node reaches the next one.
    pub text: String,
    /// Whether the edge holds only because a trust or grant is broader than EMR needs.
    pub broad: bool,
    /// The objects that justify it.
    pub evidence: Vec<EdgeEvidence>,
}

/// A path as output shows it: `edges[i]` leads from `nodes[i]` to `nodes[i + 1]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathView {
    /// The nodes, source first.
    pub nodes: Vec<NodeView>,
    /// The edges, in order.
    pub edges: Vec<EdgeView>,
}

impl AccessGraph<'_> {
    /// The privilege edge of `u` that ends a path, for class targets: the worst class for
    /// [`Target::AnyClass`], the named one for [`Target::Class`].
    fn class_hit(&self, u: NodeId, target: &Target) -> Option<EdgeId> {
        let mut best: Option<(usize, EdgeId)> = None;
        for k in 0..self.out_len(u) {
            let Some(e) = self.out_edge(u, k) else {
                continue;
            };
            let Some(edge) = self.edge(e).filter(|x| x.kind == EdgeKind::Privilege) else {
                continue;
            };
            let Some(NodeKey::PrivilegeClass(kind)) = self.key(edge.to) else {
                continue;
            };
            match target {
                Target::Class(wanted) if wanted == kind => return Some(e),
                Target::AnyClass => {
                    // CLASSES is worst first.
                    let rank = CLASSES.iter().position(|c| c == kind).unwrap_or(usize::MAX);
                    if best.is_none_or(|(r, _)| rank < r) {
                        best = Some((rank, e));
                    }
                }
                _ => {}
            }
        }
        best.map(|(_, e)| e)
    }

    /// Starts a search: a new epoch, so no node is marked reached.
    fn begin_search(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.seen.iter_mut().for_each(|s| *s = 0);
            self.epoch = 1;
        }
        self.fit_scratch();
    }

    fn fit_scratch(&mut self) {
        let n = self.node_count();
        if self.seen.len() < n {
            self.seen.resize(n, 0);
            self.parent.resize(n, 0);
        }
    }

    /// Marks `v` reached through `edge`; false when it was reached before in this search.
    fn reach(&mut self, v: NodeId, edge: Option<EdgeId>) -> bool {
        let epoch = self.epoch;
        match self.seen.get_mut(v.index()) {
            Some(s) if *s == epoch => false,
            Some(s) => {
                *s = epoch;
                if let Some(p) = self.parent.get_mut(v.index()) {
                    *p = edge.map_or(0, |e| e.0.saturating_add(1));
                }
                true
            }
            None => false,
        }
    }

    fn parent_of(&self, v: NodeId) -> Option<EdgeId> {
        let seen = self.seen.get(v.index()).copied() == Some(self.epoch);
        match self.parent.get(v.index()).copied() {
            Some(p) if seen && p > 0 => Some(EdgeId(p - 1)),
            _ => None,
        }
    }

    /// Every shortest path from `source` to `target` with at most `max_depth` hops, in
    /// breadth-first order (shortest first; ties in the order of sorted edges).
    ///
    /// For class targets there is one path per principal that holds the class (the path's
    /// last hop is the principal's privilege edge); for an action, one path per principal
    /// whose policies allow it. Each node is reached once, by its shortest path.
    pub fn paths_from(
        &mut self,
        source: NodeId,
        target: &Target,
        max_depth: usize,
    ) -> Vec<PathIds> {
        let mut out = Vec::new();
        let mut queue: VecDeque<(NodeId, usize)> = VecDeque::new();
        let mut next: Vec<(EdgeId, EdgeKind, NodeId)> = Vec::new();
        let wanted = match target {
            Target::Action(pattern) => {
                Some(Catalog::get().expand_set(&pattern.to_ascii_lowercase()))
            }
            _ => None,
        };
        self.begin_search();
        self.reach(source, None);
        queue.push_back((source, 0));
        while let Some((u, depth)) = queue.pop_front() {
            if depth >= max_depth {
                continue;
            }
            self.expand(u);
            self.fit_scratch();
            if let Some(hit) = self.class_hit(u, target) {
                out.push(self.path_to(u, Some(hit)));
            }
            next.clear();
            next.extend(
                (0..self.out_len(u))
                    .filter_map(|k| self.out_edge(u, k))
                    .filter_map(|e| self.edge(e).map(|x| (e, x.kind, x.to)))
                    .filter(|(_, kind, _)| *kind != EdgeKind::Privilege),
            );
            for &(e, _, v) in &next {
                if !self.reach(v, Some(e)) {
                    continue;
                }
                if let Some(wanted) = &wanted {
                    let principal = self
                        .key(v)
                        .filter(|k| k.is_iam_principal())
                        .and_then(NodeKey::arn)
                        .map(str::to_owned);
                    if let Some(arn) = principal {
                        if self.principal_allows(v, &arn, wanted) {
                            out.push(self.path_to(v, None));
                        }
                    }
                }
                queue.push_back((v, depth + 1));
            }
        }
        out
    }

    fn path_to(&self, end: NodeId, last: Option<EdgeId>) -> PathIds {
        let mut nodes = vec![end];
        let mut edges = Vec::new();
        let mut at = end;
        while let Some(e) = self.parent_of(at) {
            let Some(edge) = self.edge(e) else {
                break;
            };
            edges.push(e);
            at = edge.from;
            nodes.push(at);
        }
        nodes.reverse();
        edges.reverse();
        if let Some(e) = last {
            if let Some(edge) = self.edge(e) {
                edges.push(e);
                nodes.push(edge.to);
            }
        }
        PathIds { nodes, edges }
    }

    /// Paths from several sources, sorted shortest first, then by the names along the path.
    pub fn paths(&mut self, sources: &[NodeId], target: &Target, max_depth: usize) -> Vec<PathIds> {
        let mut all = Vec::new();
        for &s in sources {
            all.extend(self.paths_from(s, target, max_depth));
        }
        self.sort_paths(&mut all);
        all
    }

    /// Sorts paths shortest first, then by the keys of their nodes.
    pub fn sort_paths(&self, paths: &mut [PathIds]) {
        paths.sort_by_cached_key(|p| {
            let keys: Vec<Option<NodeKey>> =
                p.nodes.iter().map(|n| self.key(*n).cloned()).collect();
            (p.edges.len(), keys)
        });
    }

    /// What to say about a node, if anything.
    pub fn node_detail(&self, key: &NodeKey) -> Option<String> {
        match key {
            NodeKey::IamRole(arn) if self.is_execution_role(arn) => {
                Some("EMR execution role".to_owned())
            }
            NodeKey::IamRole(arn) | NodeKey::IamUser(arn)
                if self.inventory.role_by_arn(arn).is_none()
                    && self.inventory.user_by_arn(arn).is_none() =>
            {
                Some("not in the snapshot's IAM data".to_owned())
            }
            NodeKey::Namespace(ns) if ns == EVERY_NAMESPACE => Some("every namespace".to_owned()),
            NodeKey::Namespace(ns) => {
                let vcs: Vec<String> = self
                    .prep
                    .virtual_clusters_in(ns)
                    .iter()
                    .map(|v| format!("`{}`", v.name.as_deref().unwrap_or(&v.id)))
                    .collect();
                (!vcs.is_empty()).then(|| format!("virtual cluster {}", vcs.join(", ")))
            }
            NodeKey::ServiceAccount { namespace, name }
                if self.inventory.service_account(namespace, name).is_none() =>
            {
                Some("not in the snapshot".to_owned())
            }
            _ => None,
        }
    }

    /// The output form of a path.
    pub fn view(&self, path: &PathIds) -> PathView {
        let nodes = path
            .nodes
            .iter()
            .filter_map(|n| self.key(*n))
            .map(|k| NodeView {
                kind: k.kind(),
                name: k.name(),
                detail: self.node_detail(k),
            })
            .collect();
        let edges = path
            .edges
            .iter()
            .filter_map(|e| self.edge(*e))
            .map(|e| EdgeView {
                kind: e.kind,
                text: e.text.clone(),
                broad: e.broad,
                evidence: e.evidence.to_vec(),
            })
            .collect();
        PathView { nodes, edges }
    }
}
