//! The audit rules, their registry and documentation.
