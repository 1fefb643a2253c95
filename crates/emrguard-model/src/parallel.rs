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

/// Maps `f` over `items` on up to `threads` threads, each thread with its own state: made by
/// `init` when the thread starts, handed to `done` when no items are left. Results are in
/// `items` order. Items are handed out in runs of `block` neighbours: a state that caches
/// work for one item keeps most of its use for the next, and no thread is left alone with
/// a long tail (as it can be when each thread gets a fixed share).
pub fn par_map_with_state<T, S, R, I, F, D>(
    items: &[T],
    threads: usize,
    block: usize,
    init: I,
    f: F,
    done: D,
) -> Vec<R>
where
    T: Sync,
    R: Send,
    I: Fn() -> S + Sync,
    F: Fn(&mut S, usize, &T) -> R + Sync,
    D: Fn(S) + Sync,
{
    let block = block.max(1);
    let workers = threads.min(items.len().div_ceil(block));
    if workers <= 1 {
        let mut state = init();
        let out = items
            .iter()
            .enumerate()
            .map(|(i, t)| f(&mut state, i, t))
            .collect();
        done(state);
        return out;
    }
    let next = AtomicUsize::new(0);
    let mut results: Vec<(usize, R)> = Vec::with_capacity(items.len());
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let (next, init, f, done) = (&next, &init, &f, &done);
                scope.spawn(move || {
                    let mut state = init();
                    let mut out = Vec::new();
                    loop {
                        let start = next.fetch_add(block, Ordering::Relaxed);
                        let end = items.len().min(start.saturating_add(block));
                        let Some(run) = items.get(start..end) else {
                            break;
                        };
                        if run.is_empty() {
                            break;
                        }
                        for (k, item) in run.iter().enumerate() {
                            out.push((start + k, f(&mut state, start + k, item)));
                        }
                    }
                    done(state);
                    out
                })
            })
            .collect();
        for h in handles {
            match h.join() {
                Ok(out) => results.extend(out),
                // A worker only panics if `init`, `f` or `done` does; re-raise it here.
                Err(p) => std::panic::resume_unwind(p),
            }
        }
    });
    results.sort_unstable_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
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
    fn par_map_with_state_keeps_order_and_uses_each_state() {
        use std::sync::Mutex;
        let items: Vec<usize> = (0..1003).collect();
        for (threads, block) in [(1, 7), (2, 1), (2, 50), (3, 7), (4, 2000), (2, usize::MAX)] {
            // Each state counts the items it saw; `done` collects the counts.
            let counts = Mutex::new(Vec::new());
            let out = par_map_with_state(
                &items,
                threads,
                block,
                || 0usize,
                |seen, i, v| {
                    *seen += 1;
                    (0..(v % 5) * 500).fold(i, |a, b| a.wrapping_add(b) % 1_000_003)
                },
                |seen| counts.lock().unwrap_or_else(|e| e.into_inner()).push(seen),
            );
            let expected: Vec<usize> = items
                .iter()
                .map(|&v| (0..(v % 5) * 500).fold(v, |a, b| a.wrapping_add(b) % 1_000_003))
                .collect();
            assert_eq!(out, expected, "{threads} threads, blocks of {block}");
            let counts = counts.into_inner().unwrap_or_else(|e| e.into_inner());
            assert_eq!(counts.iter().sum::<usize>(), items.len());
            assert!(counts.len() <= threads.max(1));
        }
        let none: Vec<usize> = par_map_with_state(&[] as &[usize], 2, 4, || (), |_, _, v| *v, drop);
        assert!(none.is_empty());
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
