//! An order-preserving parallel map on scoped threads, shared by the loader (files) and the
//! rules (one rule per item). No IO; a panic in `f` is re-raised on the calling thread.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Worker threads to use: the machine's cores, at most 8.
pub fn threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .clamp(1, 8)
}

/// Maps `f` over `items` on up to `threads` threads; results are in `items` order. Items are
/// handed out one at a time, so a few long items (large files, slow rules) do not leave a thread idle.
pub fn par_map<T, R, F>(items: &[T], threads: usize, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(usize, &T) -> R + Sync,
{
    let workers = threads.min(items.len());
    if workers <= 1 {
        return items.iter().enumerate().map(|(i, t)| f(i, t)).collect();
    }
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        out.push((i, f(i, item)));
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            // A worker only panics if `f` does; re-raise it on this thread.
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn par_map_keeps_order() {
        let items: Vec<usize> = (0..1000).collect();
        let out = par_map(&items, 4, |i, v| i * 1000 + v);
        assert_eq!(out, (0..1000).map(|v| v * 1001).collect::<Vec<_>>());
    }
}
