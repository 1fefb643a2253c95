//! One module per subcommand.

pub mod inventory;
pub mod meta;
