//! One file: decide how to read it, read it, and say what it contributed.

use std::borrow::Cow;

use emrguard_model::Source;

use crate::aws;
use crate::decode::{self, NameHint};
use crate::error::FileError;
use crate::json::{self, JsonDoc, KindScan, Origin, Top, TopValue};
use crate::k8s::{self, KindOnly, KindSeed};
use crate::parallel::par_collect;
use crate::partial::Partial;
use crate::yaml;

/// Lists larger than this (in bytes of JSON) are parsed on several threads.
const PARALLEL_BYTES: usize = 4 << 20;

/// What became of a file.
#[derive(Debug)]
pub(crate) enum FileOutcome {
    Loaded(Box<Partial>),
    Skipped(String),
    Malformed(FileError),
    /// Not read because an earlier file already stopped the load.
    NotRead,
}

/// Reads one file's bytes.
pub(crate) fn process(relative: &str, bytes: &[u8], threads: usize) -> FileOutcome {
    let (hint, gzip_name) = match decode::name_hint(relative) {
        Ok(hint) => hint,
        Err(reason) => return FileOutcome::Skipped(reason),
    };
    let strict_by_name = hint != NameHint::Unknown;
    let decompressed;
    let bytes = if decode::is_gzip(bytes) {
        match decode::gunzip(bytes) {
            Ok(inflated) => {
                decompressed = inflated;
                decompressed.as_slice()
            }
            Err(message) if strict_by_name || gzip_name => {
                return FileOutcome::Malformed(FileError::at(1, 1, message))
            }
            Err(message) => return FileOutcome::Skipped(message),
        }
    } else {
        bytes
    };
    let text = match decode::decode_text(bytes) {
        Ok(text) => text,
        Err(e) if strict_by_name => {
            return FileOutcome::Malformed(FileError::at(e.line, e.column, e.message))
        }
        Err(e) => return FileOutcome::Skipped(format!("{}, not read", e.message)),
    };
    let first = text.trim_start().chars().next();
    let Some(first) = first else {
        return FileOutcome::Skipped("empty file".to_owned());
    };
    let is_json = match hint {
        NameHint::Json => true,
        NameHint::Yaml => false,
        NameHint::Unknown => first == '{' || first == '[',
    };
    // A file that looks like JSON is meant to be JSON, whatever its name.
    let strict = strict_by_name || first == '{';
    let mut out = Partial::default();
    let result = if is_json {
        load_json(relative, &text, threads, &mut out)
    } else {
        yaml::load(relative, &text, threads, &mut out)
    };
    let unrecognised = match result {
        Ok(unrecognised) => unrecognised,
        Err(error) if error.syntax && !strict => {
            return FileOutcome::Skipped(format!(
                "neither JSON nor YAML ({} at {}), not read",
                error.message, error.location
            ))
        }
        Err(error) => return FileOutcome::Malformed(error),
    };
    if out.is_empty() {
        if !out.ignored_kinds.is_empty() {
            let kinds: Vec<String> = out
                .ignored_kinds
                .iter()
                .map(|(kind, n)| format!("{kind} ({n})"))
                .collect();
            return FileOutcome::Skipped(format!(
                "only Kubernetes kinds the audit does not read: {}",
                kinds.join(", ")
            ));
        }
        return FileOutcome::Skipped(
            unrecognised
                .into_iter()
                .next()
                .unwrap_or_else(|| "nothing recognised".to_owned()),
        );
    }
    FileOutcome::Loaded(Box::new(out))
}

/// Reads the JSON documents of a file. Returns why documents were not recognised.
fn load_json(
    relative: &str,
    text: &str,
    threads: usize,
    out: &mut Partial,
) -> Result<Vec<String>, FileError> {
    let docs = json::parse_documents(text, Origin::File)?;
    let mut unrecognised = Vec::new();
    for doc in &docs {
        match &doc.top {
            Top::Other(what) => {
                unrecognised.push(format!("{what}, not kubectl or aws CLI output"));
            }
            Top::Object(entries) => {
                if doc.string("kind").is_some() && doc.raw("apiVersion").is_some() {
                    unrecognised.extend(load_kubernetes(doc, relative, threads, out)?);
                } else if !aws::load(doc, relative, threads, out)? {
                    let keys: Vec<String> = entries.iter().map(|(k, _)| k.clone()).collect();
                    unrecognised.push(yaml::describe_keys(&keys));
                }
            }
        }
    }
    Ok(unrecognised)
}

/// A Kubernetes object or `kind: List` in JSON. Returns why it was not used, if it was not.
fn load_kubernetes(
    doc: &JsonDoc<'_>,
    relative: &str,
    threads: usize,
    out: &mut Partial,
) -> Result<Option<String>, FileError> {
    let source =
        |line: Option<usize>| Source::new(relative, line.and_then(|l| u32::try_from(l).ok()));
    let kind = doc.string("kind").unwrap_or_default();
    if !yaml::is_list_kind(&kind) {
        let element = doc.whole();
        let object = element.parse_seed(KindSeed {
            kind: Some(kind.as_str()),
        })?;
        k8s::add_object(object, source(element.line), "", out)?;
        return Ok(None);
    }
    // `PodList` and friends (raw API output) leave `kind` off their items.
    let default_kind = kind.strip_suffix("List").filter(|k| !k.is_empty());
    let elements = match doc.entries().iter().find(|(k, _)| k == "items") {
        Some((_, TopValue::List(items))) => doc.elements(items),
        None => Vec::new(),
        Some(_) => {
            return Err(FileError::at_path(
                "items",
                "expected a list of Kubernetes objects",
            ))
        }
    };
    if elements.is_empty() {
        doc.check_unread(|key| key == "items")?;
        return Ok(match k8s::area_from_file_name(relative) {
            Some(area) => {
                out.mark(area);
                None
            }
            None => Some("an empty Kubernetes List (its kind is unknown)".to_owned()),
        });
    }
    let large =
        elements.len() > 1 && elements.iter().map(|e| e.text.len()).sum::<usize>() > PARALLEL_BYTES;
    let objects = par_collect(&elements, threads, large, |i, element| {
        let kind: Option<Cow<'_, str>> = match json::scan_kind(element.text) {
            KindScan::Found(kind) => Some(Cow::Borrowed(kind)),
            KindScan::Absent => default_kind.map(Cow::Borrowed),
            KindScan::Unknown => element
                .parse::<KindOnly>()
                .ok()
                .and_then(|k| k.kind)
                .map(Cow::Owned)
                .or_else(|| default_kind.map(Cow::Borrowed)),
        };
        let object = element
            .parse_seed(KindSeed {
                kind: kind.as_deref(),
            })
            .map_err(|e| e.under(&format!("items[{i}]")))?;
        Ok((object, element.line))
    })?;
    for (i, (object, line)) in objects.into_iter().enumerate() {
        k8s::add_object(object, source(line), &format!("items[{i}]"), out)?;
    }
    doc.check_unread(|key| key == "items")?;
    Ok(None)
}
