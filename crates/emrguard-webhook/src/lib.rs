//! The validating admission webhook for EMR namespaces.
//!
//! **API Boundary:** the only crate that knows AdmissionReview JSON and TLS. The decision
//! logic ([`policy`]: an [`AdmissionRequest`] in, a [`Decision`] out) is pure and knows nothing
//! of HTTP; [`server`] is the only module that does network IO.
//!
//! Entry points: [`PolicyEngine::from_config`] and [`server::serve_until_signal`] for
//! `emrguard webhook serve`, [`manifests::render`] for `webhook manifests`, [`certs::generate`]
//! for `webhook certs`.
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod certs;
pub mod identity;
pub mod logging;
pub mod manifests;
pub mod metrics;
pub mod namespaces;
pub mod policy;
pub mod review;
pub mod server;
pub mod tls;

pub use policy::{Decision, EngineInputs, Mode, PolicyCode, PolicyEngine, Violation};
pub use review::{AdmissionRequest, AdmissionResponse};
