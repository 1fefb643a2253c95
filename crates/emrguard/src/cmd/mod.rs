//! One module per subcommand.

pub mod audit;
pub mod can_i;
pub mod iam;
pub mod inventory;
pub mod meta;
pub mod paths;
pub mod rules;
pub mod synth;
pub mod webhook;
pub mod who_can;
