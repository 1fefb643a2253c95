//! The server's log: one JSON object per line on standard output, one line per decision.
//!
//! Lines are appended to a shared buffer that a writer thread empties every few milliseconds,
//! so a decision costs a copy into memory rather than a system call or a thread wake-up.
//! Nothing is dropped: when the buffer is full the request thread writes it out itself.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How often buffered lines are written.
const FLUSH_EVERY: Duration = Duration::from_millis(20);
/// A buffer this full is written at once by whoever fills it.
const HIGH_WATER: usize = 4 * 1024 * 1024;

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    stop: Condvar,
}

#[derive(Default)]
struct State {
    buffer: Vec<u8>,
    stopping: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The installed log, for records written without going through `tracing`.
static SINK: OnceLock<Arc<Shared>> = OnceLock::new();

/// Appends one formatted line (ending in a newline) to the log. Does nothing when
/// [`init_json`] has not installed the log (tests, library use).
pub fn write_line(line: &[u8]) {
    if let Some(shared) = SINK.get() {
        let _ = Line { shared }.write(line);
    }
}

fn write_out(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    // A closed or broken standard output cannot be reported anywhere; keep serving.
    let _ = out.write_all(bytes).and_then(|()| out.flush());
}

/// Writes everything still buffered when dropped: keep it until the server has stopped.
#[must_use = "dropping the guard stops the log writer"]
pub struct LogGuard {
    shared: Arc<Shared>,
    flusher: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for LogGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogGuard").finish_non_exhaustive()
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.shared.lock().stopping = true;
        self.shared.stop.notify_all();
        if let Some(flusher) = self.flusher.take() {
            let _ = flusher.join();
        }
        let rest = std::mem::take(&mut self.shared.lock().buffer);
        write_out(&rest);
    }
}

/// The `MakeWriter` handed to the formatter.
#[derive(Clone)]
struct BatchWriter {
    shared: Arc<Shared>,
}

/// One formatted event.
struct Line<'a> {
    shared: &'a Shared,
}

impl Write for Line<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut state = self.shared.lock();
        state.buffer.extend_from_slice(bytes);
        if state.buffer.len() >= HIGH_WATER {
            // Back-pressure instead of loss or unbounded memory.
            let full = std::mem::take(&mut state.buffer);
            drop(state);
            write_out(&full);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BatchWriter {
    type Writer = Line<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        Line {
            shared: &self.shared,
        }
    }
}

/// Installs the JSON log formatter as the global subscriber (`info` and above). If a
/// subscriber is already installed, nothing changes and the guard does nothing.
pub fn init_json() -> LogGuard {
    let shared = Arc::new(Shared::default());
    let installed = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_max_level(tracing::Level::INFO)
        .with_writer(BatchWriter {
            shared: shared.clone(),
        })
        .try_init()
        .is_ok();
    if installed {
        let _ = SINK.set(shared.clone());
    }
    let flusher = installed.then(|| {
        let shared = shared.clone();
        std::thread::Builder::new()
            .name("emrguard-log".into())
            .spawn(move || {
                // Two buffers trade places, so neither is reallocated once warm.
                let mut lines = Vec::new();
                loop {
                    let mut state = shared.lock();
                    if !state.stopping {
                        state = shared
                            .stop
                            .wait_timeout(state, FLUSH_EVERY)
                            .map_or_else(|p| p.into_inner().0, |(s, _)| s);
                    }
                    let stopping = state.stopping;
                    std::mem::swap(&mut state.buffer, &mut lines);
                    drop(state);
                    if !lines.is_empty() {
                        write_out(&lines);
                        lines.clear();
                    }
                    if stopping {
                        break;
                    }
                }
            })
            .ok()
    });
    LogGuard {
        shared,
        flusher: flusher.flatten(),
    }
}
