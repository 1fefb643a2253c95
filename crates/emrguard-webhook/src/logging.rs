//! The server's log: one JSON object per line on standard output, one line per decision.
//! Lines are handed to a writer thread and written in batches, so request threads never wait
//! on the output; none are dropped.

use std::io::BufWriter;

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};

/// Flushes the log when dropped: keep it until the server has stopped.
#[must_use = "dropping the guard stops the log writer"]
#[derive(Debug)]
pub struct LogGuard {
    _worker: Option<WorkerGuard>,
}

/// Installs the JSON log formatter as the global subscriber (`info` and above). Does nothing
/// if a subscriber is already installed.
pub fn init_json() -> LogGuard {
    let (writer, worker) = NonBlockingBuilder::default()
        // Block rather than drop lines when the writer falls behind.
        .lossy(false)
        .thread_name("emrguard-log")
        .finish(BufWriter::with_capacity(64 * 1024, std::io::stdout()));
    let installed = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_max_level(tracing::Level::INFO)
        .with_writer(writer)
        .try_init()
        .is_ok();
    LogGuard {
        _worker: installed.then_some(worker),
    }
}
