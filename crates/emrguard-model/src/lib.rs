//! The typed inventory of one Amazon EMR on EKS deployment: one EKS cluster's Kubernetes
//! objects and its AWS account's IAM, EKS, EMR on EKS, EC2, ELB and CloudTrail data.
//!
//! **Architecture invariant:** this crate does no IO and never panics. Loaders fill an
//! [`Inventory`]; engines and rules read it. Every object remembers where it came from
//! ([`Source`]) so findings can point at a file and line.
#![deny(missing_docs)]

pub mod aws;
pub mod emr;
pub mod hash;
pub mod inventory;
pub mod k8s;
pub mod parallel;
pub mod policy;
mod serde_util;
pub mod source;
mod string_map;

pub use inventory::{CoverageGap, Inventory};
pub use source::Source;
