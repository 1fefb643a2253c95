//! Order-preserving fallible parallel maps on scoped threads (the plain map is the model's).

use crate::error::FileError;

pub(crate) use emrguard_model::parallel::{par_for_each_ordered, threads};

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
