//! The versioned JSON report.

use crate::Report;

/// Renders the report as pretty JSON.
///
/// # Errors
/// Serialisation errors (none in practice).
pub fn render(report: &Report) -> Result<String, serde_json::Error> {
    let mut s = serde_json::to_string_pretty(report)?;
    s.push('\n');
    Ok(s)
}
