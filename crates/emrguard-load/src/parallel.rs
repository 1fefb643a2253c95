//! Order-preserving parallel maps on scoped threads.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::FileError;

/// Worker threads to use: the machine's cores, at most 8.
pub(crate) fn threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .clamp(1, 8)
}

/// Maps `f` over `items` on up to `threads` threads; results are in `items` order. Items are
/// handed out one at a time, so a few large files do not leave a thread idle.
pub(crate) fn par_map<T, R, F>(items: &[T], threads: usize, f: F) -> Vec<R>
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

/// Maps a fallible `f` over `items`, in parallel contiguous chunks when `parallel` is set,
/// and returns the results in order or the error of the first failing item.
pub(crate) fn par_collect<T, R, F>(
    items: &[T],
    threads: usize,
    parallel: bool,
    f: F,
) -> Result<Vec<R>, FileError>
where
    T: Sync,
    R: Send,
    F: Fn(usize, &T) -> Result<R, FileError> + Sync,
{
    let workers = if parallel {
        threads.min(items.len())
    } else {
        1
    };
    if workers <= 1 {
        return items.iter().enumerate().map(|(i, t)| f(i, t)).collect();
    }
    let chunk = items.len().div_ceil(workers);
    let results: Vec<Result<Vec<R>, FileError>> = std::thread::scope(|scope| {
        let f = &f;
        let handles: Vec<_> = items
            .chunks(chunk)
            .enumerate()
            .map(|(c, part)| {
                scope.spawn(move || {
                    part.iter()
                        .enumerate()
                        .map(|(i, t)| f(c * chunk + i, t))
                        .collect::<Result<Vec<R>, FileError>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut out = Vec::with_capacity(items.len());
    for part in results {
        out.extend(part?);
    }
    Ok(out)
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
    fn par_collect_reports_the_first_error_in_order() {
        let items: Vec<usize> = (0..100).collect();
        let out = par_collect(&items, 4, true, |i, v| {
            if *v == 30 || *v == 80 {
                Err(FileError::at_path(format!("[{i}]"), "bad"))
            } else {
                Ok(*v)
            }
        });
        assert_eq!(out.err().map(|e| e.location), Some("[30]".to_owned()));
        let ok = par_collect(&items, 4, true, |_, v| Ok::<_, FileError>(v * 2));
        assert_eq!(ok.ok(), Some((0..100).map(|v| v * 2).collect()));
    }
}
