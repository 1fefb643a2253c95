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
    let mut out = Vec::with_capacity(items.len());
    par_for_each_ordered(items, threads, f, |_, r| out.push(r));
    out
}

/// Maps `f` over `items` on up to `threads` threads and hands each result to `consume` on the
/// calling thread, in `items` order, as soon as it and every earlier result are ready: the
/// caller's work on early results overlaps the workers' work on later items.
pub fn par_for_each_ordered<T, R, F, C>(items: &[T], threads: usize, f: F, mut consume: C)
where
    T: Sync,
    R: Send,
    F: Fn(usize, &T) -> R + Sync,
    C: FnMut(usize, R),
{
    let workers = threads.min(items.len());
    if workers <= 1 {
        for (i, t) in items.iter().enumerate() {
            consume(i, f(i, t));
        }
        return;
    }
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::channel::<(usize, R)>();
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let sender = sender.clone();
                let (next, f) = (&next, &f);
                scope.spawn(move || loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    if sender.send((i, f(i, item))).is_err() {
                        break;
                    }
                })
            })
            .collect();
        drop(sender);
        // Results that arrived before an earlier one, by index.
        let mut waiting: std::collections::BTreeMap<usize, R> = std::collections::BTreeMap::new();
        let mut expected = 0;
        // The channel closes when every worker has finished (or panicked).
        for (i, result) in receiver {
            waiting.insert(i, result);
            while let Some(result) = waiting.remove(&expected) {
                consume(expected, result);
                expected += 1;
            }
        }
        for h in handles {
            // A worker only panics if `f` does; re-raise it on this thread.
            if let Err(p) = h.join() {
                std::panic::resume_unwind(p);
            }
        }
    });
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

    #[test]
    fn par_for_each_ordered_consumes_in_order() {
        let items: Vec<usize> = (0..1000).collect();
        for threads in [1, 2, 4] {
            let mut seen = Vec::new();
            par_for_each_ordered(
                &items,
                threads,
                |i, v| {
                    // Uneven work, so that results arrive out of order.
                    (0..(v % 7) * 1000).fold(i, |a, b| a.wrapping_add(b) % 1_000_003)
                },
                |i, r| seen.push((i, r)),
            );
            let expected: Vec<(usize, usize)> = items
                .iter()
                .map(|&v| {
                    (
                        v,
                        (0..(v % 7) * 1000).fold(v, |a, b| a.wrapping_add(b) % 1_000_003),
                    )
                })
                .collect();
            assert_eq!(seen, expected, "{threads} threads");
        }
    }
}
