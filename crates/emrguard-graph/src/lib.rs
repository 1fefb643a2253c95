//! Cross-layer attack paths of an EMR on EKS deployment: how an IAM principal or a Kubernetes
//! subject reaches an IAM role's privileges, hop by hop, each hop with the objects that prove
//! it.
//!
//! **Architecture invariant:** pure (no IO), never panics, and every edge carries evidence
//! (object references). Output is deterministic: edges are sorted, searches are breadth-first.
//!
//! # Nodes and edges
//!
//! | from | edge | to | evidence |
//! |---|---|---|---|
//! | IAM principal | [`EdgeKind::MappedIdentity`] | Kubernetes user or group | aws-auth, access entry |
//! | IAM principal, user, group, service account | [`EdgeKind::CreatePods`], [`EdgeKind::ServiceAccountToken`], [`EdgeKind::AdmissionWebhook`], [`EdgeKind::Impersonation`], [`EdgeKind::RbacEscalation`], [`EdgeKind::NodesProxy`], [`EdgeKind::CertificateApproval`] | namespace (any service account), service account, `system:masters` | bindings, roles and rules, access policies |
//! | service account | [`EdgeKind::GroupMembership`] | `system:serviceaccounts[:NS]`, `system:authenticated` | the service account |
//! | namespace | [`EdgeKind::PodServiceAccount`] | service account (existing, or the EMR name of a role trusted there) | service account, namespace |
//! | namespace | [`EdgeKind::InstanceMetadata`], [`EdgeKind::HostNetwork`] | node group | launch template metadata options, Pod Security labels |
//! | node group | [`EdgeKind::NodeRole`] | IAM role | the node group |
//! | service account | [`EdgeKind::WebIdentity`], [`EdgeKind::PodIdentity`] | IAM role | trust statement, IRSA annotation, Pod Identity association |
//! | IAM principal | [`EdgeKind::AssumeRole`] | IAM role | trust and identity statements |
//! | IAM principal | [`EdgeKind::SubmitJob`] | the EMR service account of the execution role | the `StartJobRun` / `CreateManagedEndpoint` statement, the virtual cluster |
//! | IAM principal | [`EdgeKind::EndpointCredentials`] | IAM role | the statement, the managed endpoint |
//! | IAM principal | [`EdgeKind::Privilege`] | privilege class | the statements of the class |
//!
//! A tenant who can create pods (or rewrite them through webhooks) in a namespace can run as
//! any service account name there, including EMR names that do not exist yet, so the
//! namespace node leads to each existing service account, to `default`, and to the EMR driver
//! service-account name of every role trusted in the namespace; the IAM trust engine then
//! decides which roles admit each name.
//!
//! Only bindings to roles with a rule the graph follows are evaluated (see the `RISKY`
//! table in `prepare.rs`); the RBAC engine then decides exactly. Rights that hold in every
//! namespace are computed once and lead to the every-namespace node (`*`). Identities bound
//! by the same bindings share one computation. Paths end at principals that hold `admin`:
//! they are not followed on through job submission.
//!
//! # Use
//!
//! ```no_run
//! # fn demo(inventory: &emrguard_model::Inventory) {
//! use emrguard_graph::{parse_source, AccessGraph, Target};
//! let rbac = emrguard_rbac::RbacIndex::build(inventory);
//! let mut graph = AccessGraph::new(inventory, &rbac);
//! let source = parse_source(inventory, "Group:team-a").unwrap_or_else(|e| panic!("{e}"));
//! let id = graph.node(source);
//! for path in graph.paths(&[id], &Target::AnyClass, 10) {
//!     let view = graph.view(&path);
//!     println!("{} hops", view.edges.len());
//! }
//! # }
//! ```
#![deny(missing_docs)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::expect_used)
)]

mod graph;
mod iam;
pub mod imds;
mod k8s;
pub mod model;
mod prepare;
mod search;

pub use graph::{principal_key, AccessGraph, GraphStorage};
pub use model::{
    class_name, class_tier, parse_class, parse_tier, Edge, EdgeEvidence, EdgeId, EdgeKind, NodeId,
    NodeKey, NodeKind, ObjectId, CLASSES, EVERY_NAMESPACE, TIERS,
};
pub use prepare::{emr_driver_service_account, emr_service_account, Prepared};
pub use search::{parse_source, EdgeView, NodeView, PathIds, PathView, Target};

/// The default hop limit of a path search.
pub const DEFAULT_MAX_DEPTH: usize = 10;
