//! The parse-only floor of an audit: read every file of a snapshot and deserialise it with the
//! same parsers the loader uses (serde_json, serde_yaml_ng, flate2), into
//! [`serde::de::IgnoredAny`], on as many threads as the loader, and nothing else. An audit
//! cannot be faster than this.
//!
//! [`Depth::Documents`] is a reference above that floor: every document is deserialised into
//! the parsers' generic values (`serde_json::Value`, `serde_yaml_ng::Value`) and dropped, the
//! least a tool does that loads whole documents before looking at them.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::de::IgnoredAny;
use serde::Deserialize as _;

/// What the floor read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FloorStats {
    /// Files parsed.
    pub files: usize,
    /// Bytes read (compressed size for gzip files).
    pub bytes: u64,
    /// YAML documents and JSON values parsed.
    pub documents: usize,
}

fn list(root: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            if entry.file_type()?.is_dir() {
                pending.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(())
}

/// How far each document is deserialised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Depth {
    /// Into [`IgnoredAny`]: every byte is parsed and checked, nothing is built.
    #[default]
    Skip,
    /// Into the parser's generic value (maps, lists, strings), dropped at once.
    Documents,
}

fn parse_file(path: &Path, depth: Depth) -> Result<(u64, usize), String> {
    let raw = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path.to_string_lossy().to_ascii_lowercase();
    let inflated;
    let (text, name) = if let Some(inner) = name.strip_suffix(".gz") {
        let mut out = Vec::new();
        // Every gzip member, as the loader reads them (CloudTrail may concatenate several).
        flate2::read::MultiGzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        inflated = out;
        (inflated.as_slice(), inner.to_owned())
    } else {
        (raw.as_slice(), name)
    };
    let is_yaml = name.ends_with(".yaml") || name.ends_with(".yml");
    if !is_yaml && !name.ends_with(".json") {
        return Ok((0, 0));
    }
    // Both parsers read text, as the loader does: the whole file is checked to be UTF-8.
    let text = std::str::from_utf8(text).map_err(|e| format!("{}: {e}", path.display()))?;
    let documents = if is_yaml {
        let mut n = 0;
        for document in serde_yaml_ng::Deserializer::from_str(text) {
            let parsed = match depth {
                Depth::Skip => IgnoredAny::deserialize(document).map(drop),
                Depth::Documents => serde_yaml_ng::Value::deserialize(document).map(drop),
            };
            parsed.map_err(|e| format!("{}: {e}", path.display()))?;
            n += 1;
        }
        n
    } else {
        let parsed = match depth {
            Depth::Skip => serde_json::from_str::<IgnoredAny>(text).map(drop),
            Depth::Documents => serde_json::from_str::<serde_json::Value>(text).map(drop),
        };
        parsed.map_err(|e| format!("{}: {e}", path.display()))?;
        1
    };
    Ok((raw.len() as u64, documents))
}

/// Reads and parses every `.json`, `.yaml`/`.yml` (and gzip-compressed) file under `root`, on
/// the loader's number of threads.
///
/// # Errors
/// The first file that cannot be read or parsed.
pub fn parse_only(root: &Path) -> Result<FloorStats, String> {
    parse_to(root, Depth::Skip)
}

/// [`parse_only`], deserialising each document as far as `depth` says.
///
/// # Errors
/// The first file that cannot be read or parsed.
pub fn parse_to(root: &Path, depth: Depth) -> Result<FloorStats, String> {
    let mut files = Vec::new();
    list(root, &mut files).map_err(|e| format!("{}: {e}", root.display()))?;
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .clamp(1, 8);
    let next = AtomicUsize::new(0);
    let results: Vec<Result<FloorStats, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut stats = FloorStats::default();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = files.get(i) else { break };
                        let (bytes, documents) = parse_file(path, depth)?;
                        if documents > 0 {
                            stats.files += 1;
                            stats.bytes += bytes;
                            stats.documents += documents;
                        }
                    }
                    Ok(stats)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a parser thread panicked".to_owned()))
            })
            .collect()
    });
    let mut total = FloorStats::default();
    for r in results {
        let s = r?;
        total.files += s.files;
        total.bytes += s.bytes;
        total.documents += s.documents;
    }
    Ok(total)
}
