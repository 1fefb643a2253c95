//! Kubernetes RBAC engine with kube-apiserver's exact semantics. Pure, no IO.
//!
//! Build an [`RbacIndex`] from an [`emrguard_model::Inventory`], then ask it:
//! - [`RbacIndex::authorize`]: may this [`Identity`] make this [`Request`]? The [`Decision`]
//!   lists every binding, role and rule (or EKS access policy rule) that allows it.
//! - [`RbacIndex::who_can`] / [`RbacIndex::who_can_any_namespace`]: every subject that may.
//! - [`RbacIndex::capabilities`]: derived capabilities (run as any service account, obtain a
//!   token, exec, modify ConfigMaps, intercept admission, read secrets, escalate), each with
//!   its evidence.
//!
//! Semantics follow kube-apiserver line by line: rule matching from
//! `pkg/apis/rbac/v1/evaluation_helpers.go` ([`matching`]), rule resolution from
//! `pkg/registry/rbac/validation/rule.go`, aggregation from the ClusterRole aggregation
//! controller, identities from the impersonation filter, and `system:masters` from the
//! privileged-group authorizer. EKS access entries and access policies
//! ([`access_policy`]) and `aws-auth` add the IAM side.
#![deny(missing_docs)]

pub mod access_policy;
pub mod capability;
pub mod decision;
pub mod identity;
mod index;
pub mod matching;
pub mod request;

pub use capability::{Capability, CapabilityKind, EscalationKind};
pub use decision::{
    Decision, Diagnostic, DiagnosticKind, Evidence, Grant, GrantSource, RuleOrigin, SubjectGrant,
    SubjectKind, SubjectRef,
};
pub use identity::Identity;
pub use index::RbacIndex;
pub use request::{ParsedRequest, Request, RequestError};
