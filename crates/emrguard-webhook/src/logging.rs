//! The server's log: one JSON object per line on standard output, one line per decision.

/// Installs the JSON log formatter as the global subscriber (`info` and above). Does nothing
/// if a subscriber is already installed.
pub fn init_json() {
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_max_level(tracing::Level::INFO)
        .with_writer(std::io::stdout)
        .try_init();
}
