//! One module per subcommand.

pub mod audit;
pub mod inventory;
pub mod meta;
pub mod rules;
