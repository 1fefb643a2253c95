//! AWS IAM policy engine: parsing, evaluation, trust, action catalog, privilege classes.
//!
//! **Architecture invariant:** pure (no IO; the action catalog is embedded), explicit deny
//! wins, and nothing here panics.
//!
//! - [`parse_policy`] reads a policy document and reports an invalid one with its JSON path.
//! - [`PolicySet`] gathers a principal's policies from an
//!   [`Inventory`](emrguard_model::Inventory) (or from documents), and [`evaluate`] decides a
//!   [`Request`]: [`Decision::Allowed`], [`Decision::ExplicitDeny`] or
//!   [`Decision::ImplicitDeny`], with the deciding statements.
//! - [`trust`] answers who may assume a role (web identity, service, IAM principal) and
//!   classifies EMR on EKS trust statements.
//! - [`Catalog`] knows every IAM action, its access level and resource types, and expands
//!   wildcards (`s3:Get*`).
//! - [`privilege`] computes effective permissions, privilege classes and a [`Tier`].
//! - [`audit`] answers the statement-level questions the rules ask.
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

pub mod audit;
pub mod catalog;
pub mod compile;
pub mod condition;
pub mod document;
pub mod eval;
pub mod pattern;
pub mod privilege;
pub mod trust;

pub use catalog::{AccessLevel, ActionInfo, ActionSet, Catalog};
pub use compile::{CompiledPolicy, DocumentUse, PolicyKind, PolicySource, StatementRef};
pub use document::{parse_policy, PolicyError};
pub use eval::{evaluate, Caller, Decision, Evaluation, PolicySet, Request, UnknownPrincipal};
pub use pattern::{glob_excess, glob_matches, glob_matches_lowercase};
pub use privilege::{analyze, Analyzer, PrivilegeClass, PrivilegeKind, PrivilegeSummary, Tier};
