//! Practice 1: least-privilege execution roles.

pub mod job_template_parametric_execution_role;
