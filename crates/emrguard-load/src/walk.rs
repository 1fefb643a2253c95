//! Lists the files of a snapshot directory, sorted by relative path.

use std::path::{Path, PathBuf};

use emrguard_model::inventory::SkippedFile;

use crate::LoadError;

/// One file to read.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// Path relative to the snapshot root, `/`-separated.
    pub relative: String,
    /// Where to read it.
    pub path: PathBuf,
    /// Its size in bytes as listed (0 when unknown).
    pub size: u64,
}

/// The files to read and the entries passed over while listing.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    pub files: Vec<Entry>,
    pub skipped: Vec<SkippedFile>,
}

/// Lists `root` recursively. Hidden entries (`.git`, `.DS_Store`) and symbolic links to
/// directories (which could loop) are listed as skipped, not read. A `root` that is a file is
/// a one-file snapshot.
pub(crate) fn list_files(root: &Path) -> Result<Listing, LoadError> {
    let io = |path: &Path, e: std::io::Error| LoadError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let meta = std::fs::metadata(root).map_err(|e| io(root, e))?;
    let mut listing = Listing::default();
    if meta.is_file() {
        let name = root
            .file_name()
            .map_or_else(|| root.to_string_lossy(), |n| n.to_string_lossy())
            .into_owned();
        listing.files.push(Entry {
            relative: name,
            path: root.to_path_buf(),
            size: meta.len(),
        });
        return Ok(listing);
    }
    // Iterative walk: deep trees cannot overflow the stack.
    let mut pending: Vec<(PathBuf, String)> = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = pending.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| io(&dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io(&dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let relative = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let path = entry.path();
            let file_type = entry.file_type().map_err(|e| io(&path, e))?;
            let is_dir = if file_type.is_symlink() {
                match std::fs::metadata(&path) {
                    Ok(target) if target.is_dir() => {
                        listing.skipped.push(SkippedFile {
                            file: relative,
                            reason: "symbolic link to a directory, not followed".to_owned(),
                        });
                        continue;
                    }
                    Ok(target) => target.is_dir(),
                    Err(_) => {
                        listing.skipped.push(SkippedFile {
                            file: relative,
                            reason: "broken symbolic link".to_owned(),
                        });
                        continue;
                    }
                }
            } else {
                file_type.is_dir()
            };
            if name.starts_with('.') {
                listing.skipped.push(SkippedFile {
                    file: relative,
                    reason: if is_dir {
                        "hidden directory, not read".to_owned()
                    } else {
                        "hidden file, not read".to_owned()
                    },
                });
                continue;
            }
            if is_dir {
                pending.push((path, relative));
            } else {
                let size = std::fs::metadata(&path).map_or(0, |m| m.len());
                listing.files.push(Entry {
                    relative,
                    path,
                    size,
                });
            }
        }
    }
    listing.files.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok(listing)
}
