//! Snapshot loader: reads a directory of `kubectl get -o json|yaml` and aws CLI output into an
//! [`Inventory`].
//!
//! A snapshot is a directory, read recursively, of files exactly as the tools print them.
//! Kubernetes objects are recognised by `kind`, AWS output by its top-level keys (never by
//! file name). Files that are neither are listed in [`Inventory::skipped`]; a file of a known
//! shape that does not parse stops the load with [`LoadError::Malformed`] (or, with
//! [`LoadOptions::keep_going`], is skipped with a warning).
//!
//! **Secrets:** the `data` and `stringData` values of a Secret are skipped while the text is
//! parsed and never stored; only their key names are kept.
//!
//! Files are parsed in parallel and merged in sorted path order, so the result does not depend
//! on scheduling.
#![deny(missing_docs)]

mod aws;
mod cloudtrail;
mod decode;
mod error;
mod file;
mod json;
mod k8s;
mod merge;
mod parallel;
mod partial;
mod policy_diag;
mod scan;
mod walk;
mod yaml;
mod yaml_list;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use emrguard_model::inventory::SkippedFile;
use emrguard_model::Inventory;

use crate::file::FileOutcome;
use crate::merge::Merger;

/// Options for [`load_snapshot`].
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Turn malformed files into skipped-file warnings instead of errors.
    pub keep_going: bool,
}

/// Why a snapshot could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The snapshot directory could not be read.
    #[error("{path}: {message}")]
    Io {
        /// The path.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A file is malformed.
    #[error("{file}:{location}: {message}")]
    Malformed {
        /// The file, relative to the snapshot root.
        file: String,
        /// `LINE:COLUMN` or a JSON path.
        location: String,
        /// What was expected.
        message: String,
    },
}

/// One file of an in-memory snapshot (see [`load_files`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotFile {
    /// Path relative to the snapshot root, with `/` separators.
    pub path: String,
    /// The file's bytes, exactly as the tool printed them (optionally gzip-compressed).
    pub bytes: Vec<u8>,
}

/// Counts about a load that do not belong in the inventory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadSummary {
    /// Files read and used (not skipped).
    pub files_read: usize,
    /// Kubernetes objects of kinds the audit does not read (for example `Event`), by kind.
    pub ignored_kinds: BTreeMap<String, usize>,
}

/// Loads every file under `root` (recursively) into an inventory. `root` may also be a
/// single file.
///
/// # Errors
/// [`LoadError`] when the directory cannot be read or, without `keep_going`, a file is malformed.
pub fn load_snapshot(root: &Path, options: &LoadOptions) -> Result<Inventory, LoadError> {
    load_snapshot_with_summary(root, options).map(|(inventory, _)| inventory)
}

/// [`load_snapshot`], also returning what was counted but not kept.
///
/// # Errors
/// As [`load_snapshot`].
pub fn load_snapshot_with_summary(
    root: &Path,
    options: &LoadOptions,
) -> Result<(Inventory, LoadSummary), LoadError> {
    let listing = walk::list_files(root)?;
    let files = &listing.files;
    run_files(files, listing.skipped, options, |index| {
        read_entry(root, files, index)
    })
}

/// The bytes of the `index`th file of a directory listing.
fn read_entry(
    root: &Path,
    files: &[walk::Entry],
    index: usize,
) -> Result<Cow<'static, [u8]>, LoadError> {
    let entry = files.get(index).ok_or_else(|| LoadError::Io {
        path: root.to_path_buf(),
        message: "file list changed while reading".to_owned(),
    })?;
    std::fs::read(&entry.path)
        .map(Cow::Owned)
        .map_err(|e| LoadError::Io {
            path: entry.path.clone(),
            message: e.to_string(),
        })
}

/// Loads an in-memory snapshot: the same as [`load_snapshot`] over a directory holding
/// `files`.
///
/// # Errors
/// Without `keep_going`, [`LoadError::Malformed`] for the first malformed file in path order.
pub fn load_files(files: Vec<SnapshotFile>, options: &LoadOptions) -> Result<Inventory, LoadError> {
    let mut entries: Vec<(String, Vec<u8>)> =
        files.into_iter().map(|f| (f.path, f.bytes)).collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let named: Vec<walk::Entry> = entries
        .iter()
        .map(|(path, bytes)| walk::Entry {
            relative: path.clone(),
            path: PathBuf::from(path),
            size: bytes.len() as u64,
        })
        .collect();
    run_files(&named, Vec::new(), options, |index| {
        Ok(Cow::Borrowed(
            entries
                .get(index)
                .map_or(&[][..], |(_, bytes)| bytes.as_slice()),
        ))
    })
    .map(|(inventory, _)| inventory)
}

/// Reads and parses every file in parallel and merges each file's objects, in `files` order,
/// while later files are still being parsed. Without `keep_going`, files after the first
/// failure are not parsed and the first failure in path order is the error.
fn run_files<'b, F>(
    files: &[walk::Entry],
    skipped: Vec<SkippedFile>,
    options: &LoadOptions,
    read: F,
) -> Result<(Inventory, LoadSummary), LoadError>
where
    F: Fn(usize) -> Result<Cow<'b, [u8]>, LoadError> + Sync,
{
    let mut merging = Merging::new(skipped, options);
    for_each_outcome(files, options, read, |index, outcome| {
        if let Some(entry) = files.get(index) {
            merging.add(&entry.relative, outcome);
        }
    });
    merging.finish()
}

/// Reads and parses every file under `root` exactly as [`load_snapshot`] does, into the
/// model's types on the same threads, and drops each file's objects as soon as the file is
/// read: no merging, no inventory. What loading costs before anything is kept (a benchmark's
/// typed floor). Returns the number of files read and used (not skipped).
///
/// # Errors
/// As [`load_snapshot`] without `keep_going`: the first malformed file in path order.
pub fn read_only(root: &Path) -> Result<usize, LoadError> {
    let listing = walk::list_files(root)?;
    let mut files_read = 0;
    let mut error = None;
    let files = &listing.files;
    for_each_outcome(
        files,
        &LoadOptions::default(),
        |index| read_entry(root, files, index),
        |index, outcome| {
            if error.is_some() {
                return;
            }
            match outcome {
                Ok(FileOutcome::Loaded(_)) => files_read += 1,
                Ok(FileOutcome::Skipped(_) | FileOutcome::NotRead) => {}
                Ok(FileOutcome::Malformed(e)) => {
                    let relative = files.get(index).map_or("", |f| f.relative.as_str());
                    error = Some(e.into_load_error(relative));
                }
                Err(e) => error = Some(e),
            }
        },
    );
    error.map_or(Ok(files_read), Err)
}

/// Reads and parses every file in parallel and hands each file's outcome to `merge` in
/// `files` order, while later files are still being parsed. Without `keep_going`, files after
/// the first failure are not parsed.
///
/// A file is itself parsed on several threads only when it is larger than a thread's share of
/// the snapshot, so that other files cannot keep the other threads busy meanwhile: splitting a
/// file takes an extra pass over it.
fn for_each_outcome<'b, F, M>(files: &[walk::Entry], options: &LoadOptions, read: F, merge: M)
where
    F: Fn(usize) -> Result<Cow<'b, [u8]>, LoadError> + Sync,
    M: FnMut(usize, Result<FileOutcome, LoadError>),
{
    let threads = parallel::threads();
    let total: u64 = files.iter().map(|f| f.size).sum();
    let first_failure = AtomicUsize::new(usize::MAX);
    parallel::par_for_each_ordered(
        files,
        threads,
        |index, entry| {
            if !options.keep_going && index > first_failure.load(Ordering::Relaxed) {
                return Ok(FileOutcome::NotRead);
            }
            let inside = threads_inside(entry.size, total, threads);
            let outcome = read(index).map(|bytes| file::process(&entry.relative, &bytes, inside));
            if matches!(outcome, Err(_) | Ok(FileOutcome::Malformed(_))) {
                first_failure.fetch_min(index, Ordering::Relaxed);
            }
            outcome
        },
        merge,
    );
}

/// The threads a file of `size` bytes is parsed on, of `threads`, in a snapshot of `total`
/// bytes: all of them for a file larger than a thread's share, else one.
fn threads_inside(size: u64, total: u64, threads: usize) -> usize {
    if u128::from(size) * threads as u128 > u128::from(total) {
        threads
    } else {
        1
    }
}

/// Files' outcomes merged into one inventory, in path order.
struct Merging {
    merger: Merger,
    summary: LoadSummary,
    keep_going: bool,
    /// The first failure, without `keep_going`: later outcomes are ignored.
    error: Option<LoadError>,
}

impl Merging {
    fn new(skipped: Vec<SkippedFile>, options: &LoadOptions) -> Self {
        let mut merger = Merger::default();
        for file in skipped {
            merger.skip(file);
        }
        Self {
            merger,
            summary: LoadSummary::default(),
            keep_going: options.keep_going,
            error: None,
        }
    }

    fn add(&mut self, relative: &str, outcome: Result<FileOutcome, LoadError>) {
        if self.error.is_some() {
            return;
        }
        let error = match outcome {
            Ok(FileOutcome::Loaded(partial)) => {
                self.summary.files_read += 1;
                for (kind, count) in &partial.ignored_kinds {
                    *self.summary.ignored_kinds.entry(kind.clone()).or_default() += count;
                }
                self.merger.add(relative, *partial);
                return;
            }
            Ok(FileOutcome::Skipped(reason)) => {
                self.merger.skip(SkippedFile {
                    file: relative.to_owned(),
                    reason,
                });
                return;
            }
            Ok(FileOutcome::NotRead) => return,
            Ok(FileOutcome::Malformed(error)) => error.into_load_error(relative),
            Err(error) => error,
        };
        if self.keep_going {
            self.merger.skip_malformed(relative.to_owned(), &error);
        } else {
            self.error = Some(error);
        }
    }

    fn finish(self) -> Result<(Inventory, LoadSummary), LoadError> {
        match self.error {
            Some(error) => Err(error),
            None => Ok((self.merger.finish(), self.summary)),
        }
    }
}

/// Small random edits of a text, for the property tests of the one-pass readers.
#[cfg(test)]
pub(crate) mod test_edits {
    use proptest::prelude::*;

    /// Up to three `(offset, byte, how)` edits with bytes from `alphabet` (ASCII).
    pub(crate) fn edits(alphabet: &[u8]) -> impl Strategy<Value = Vec<(usize, u8, u8)>> {
        proptest::collection::vec(
            (
                0usize..2000,
                proptest::sample::select(alphabet.to_vec()),
                0u8..3,
            ),
            1..4,
        )
    }

    /// `text` with the edits applied: 0 replaces, 1 removes, 2 inserts (offsets wrap); text
    /// that is no longer UTF-8 becomes empty.
    pub(crate) fn edited(text: &str, edits: &[(usize, u8, u8)]) -> String {
        let mut bytes = text.as_bytes().to_vec();
        for &(at, byte, how) in edits {
            let at = at % (bytes.len() + 1);
            match how {
                0 if at < bytes.len() => bytes[at] = byte,
                1 if at < bytes.len() => {
                    bytes.remove(at);
                }
                _ => bytes.insert(at, byte),
            }
        }
        String::from_utf8(bytes).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::threads_inside;

    #[test]
    fn only_a_file_larger_than_a_threads_share_is_split() {
        // A snapshot of one file, or of one large file and a few small ones.
        assert_eq!(threads_inside(100, 100, 2), 2);
        assert_eq!(threads_inside(60, 100, 2), 2);
        assert_eq!(threads_inside(50, 100, 2), 1);
        assert_eq!(threads_inside(30, 100, 4), 4);
        assert_eq!(threads_inside(25, 100, 4), 1);
        assert_eq!(threads_inside(0, 0, 2), 1);
        assert_eq!(threads_inside(u64::MAX, u64::MAX, 8), 8);
    }
}
