//! YAML documents (`kubectl get -o yaml`, multi-document manifests, `aws --output yaml`).
//!
//! Two passes over the text: the first reads only each document's `kind` (and its items'
//! kinds), skipping everything else; the second parses each object as the type its kind
//! names. No document is ever held as an untyped value, so a Secret's values are never stored.
//! A file holding one List in kubectl's layout is read in one pass instead
//! ([`crate::yaml_list`]), with the same result.
//! Documents without a `kind` (aws CLI output) are converted to JSON and read like JSON.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::aws;
use crate::error::{strip_position, FileError};
use crate::json::{self, Origin};
use crate::k8s::{self, lenient_string, K8sObject, KindSeed};
use crate::partial::Partial;

/// What the first pass learns about a document.
#[derive(Debug)]
enum Head {
    /// An empty document.
    Null,
    /// Not a mapping.
    Other(&'static str),
    Mapping {
        kind: Option<String>,
        api_version: bool,
        /// The kinds of `items[]`, when `items` is a list.
        items: Option<Vec<Option<String>>>,
        keys: Vec<String>,
    },
}

impl<'de> Deserialize<'de> for Head {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Head;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a YAML document")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Head, E> {
                Ok(Head::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Head, E> {
                Ok(Head::Null)
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Head, D2::Error> {
                Head::deserialize(d)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Head, E> {
                Ok(Head::Other("a YAML string"))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Head, E> {
                Ok(Head::Other("a YAML boolean"))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Head, E> {
                Ok(Head::Other("a YAML number"))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Head, E> {
                Ok(Head::Other("a YAML number"))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Head, E> {
                Ok(Head::Other("a YAML number"))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Head, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Head::Other("a YAML list"))
            }
            fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Head, A::Error> {
                // A tagged value (`!Tag ...`): skip it.
                let (IgnoredAny, variant) = data.variant::<IgnoredAny>()?;
                de::VariantAccess::newtype_variant::<IgnoredAny>(variant)?;
                Ok(Head::Other("a tagged YAML value"))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Head, A::Error> {
                let (mut kind, mut api_version, mut items) = (None, false, None);
                let mut keys = Vec::new();
                while let Some(LenientKey(key)) = map.next_key::<LenientKey>()? {
                    match key.as_deref() {
                        Some("kind") => kind = map.next_value::<LenientString>()?.0,
                        Some("apiVersion") => {
                            api_version = map.next_value::<LenientString>()?.0.is_some();
                        }
                        Some("items") => items = map.next_value::<ItemsHead>()?.0,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                    keys.extend(key);
                }
                Ok(Head::Mapping {
                    kind,
                    api_version,
                    items,
                    keys,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// A map key as text; non-scalar keys become `None`.
struct LenientKey(Option<String>);

impl<'de> Deserialize<'de> for LenientKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LenientKey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LenientKey, E> {
                Ok(LenientKey(Some(v.to_owned())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<LenientKey, E> {
                Ok(LenientKey(Some(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LenientKey, E> {
                Ok(LenientKey(Some(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LenientKey, E> {
                Ok(LenientKey(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<LenientKey, E> {
                Ok(LenientKey(Some(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<LenientKey, E> {
                Ok(LenientKey(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<LenientKey, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(LenientKey(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LenientKey, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(LenientKey(None))
            }
            fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<LenientKey, A::Error> {
                let (IgnoredAny, variant) = data.variant::<IgnoredAny>()?;
                de::VariantAccess::newtype_variant::<IgnoredAny>(variant)?;
                Ok(LenientKey(None))
            }
        }
        d.deserialize_any(V)
    }
}

pub(crate) struct LenientString(pub Option<String>);

impl<'de> Deserialize<'de> for LenientString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        lenient_string(d).map(LenientString)
    }
}

/// The kinds of a list's items; `None` when `items` is not a list.
struct ItemsHead(Option<Vec<Option<String>>>);

impl<'de> Deserialize<'de> for ItemsHead {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ItemsHead;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list")
            }
            fn visit_unit<E: de::Error>(self) -> Result<ItemsHead, E> {
                Ok(ItemsHead(Some(Vec::new())))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ItemsHead, A::Error> {
                let mut kinds = Vec::new();
                while let Some(item) = seq.next_element::<k8s::KindOnly>()? {
                    kinds.push(item.kind);
                }
                Ok(ItemsHead(Some(kinds)))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<ItemsHead, E> {
                Ok(ItemsHead(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<ItemsHead, E> {
                Ok(ItemsHead(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<ItemsHead, E> {
                Ok(ItemsHead(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<ItemsHead, E> {
                Ok(ItemsHead(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<ItemsHead, E> {
                Ok(ItemsHead(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ItemsHead, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(ItemsHead(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// Parses a `kind: List` document's items, each as the type its kind names.
struct ListSeed<'k> {
    kinds: &'k [Option<String>],
}

impl<'de> DeserializeSeed<'de> for ListSeed<'_> {
    type Value = Vec<K8sObject>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ListSeed<'_> {
    type Value = Vec<K8sObject>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Kubernetes List")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut objects = Vec::new();
        while let Some(LenientKey(key)) = map.next_key::<LenientKey>()? {
            if key.as_deref() == Some("items") {
                objects = map.next_value_seed(ItemsSeed { kinds: self.kinds })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(objects)
    }
}

struct ItemsSeed<'k> {
    kinds: &'k [Option<String>],
}

impl<'de> DeserializeSeed<'de> for ItemsSeed<'_> {
    type Value = Vec<K8sObject>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemsSeed<'_> {
    type Value = Vec<K8sObject>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of Kubernetes objects")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut objects = Vec::new();
        loop {
            let kind = self.kinds.get(objects.len()).and_then(Option::as_deref);
            match seq.next_element_seed(KindSeed { kind })? {
                Some(object) => objects.push(object),
                None => return Ok(objects),
            }
        }
    }
}

fn yaml_error(e: &serde_yaml_ng::Error) -> FileError {
    let message = e.to_string();
    match e.location() {
        Some(at) => FileError::at(
            at.line(),
            at.column(),
            strip_position(&message, at.line(), at.column()),
        ),
        None => FileError::at_path("", message),
    }
}

/// Reads every YAML document of a file. Returns why documents were not recognised.
pub(crate) fn load(
    relative: &str,
    text: &str,
    threads: usize,
    out: &mut Partial,
) -> Result<Vec<String>, FileError> {
    if let Some(objects) = crate::yaml_list::objects(text) {
        // One List in kubectl's layout, read in one pass: placed as the general path below
        // places the items of a file's only document.
        let layout = document_lines(text);
        let doc_lines = (layout.len() == 1).then(|| layout.first()).flatten();
        add_list_items(relative, text, doc_lines, &mut None, objects, out)?;
        return Ok(Vec::new());
    }
    load_documents(relative, text, threads, out)
}

/// The general path of [`load`]: every document of any layout, in two passes.
pub(crate) fn load_documents(
    relative: &str,
    text: &str,
    threads: usize,
    out: &mut Partial,
) -> Result<Vec<String>, FileError> {
    let mut heads = Vec::new();
    for document in serde_yaml_ng::Deserializer::from_str(text) {
        // The document iterator repeats a parse error forever: stop at the first.
        heads.push(Head::deserialize(document).map_err(|e| yaml_error(&e).syntax())?);
    }
    let layout = document_lines(text);
    let layout = (layout.len() == heads.len()).then_some(layout);
    let mut lines: Option<Vec<&str>> = None;
    let mut unrecognised = Vec::new();
    let documents = serde_yaml_ng::Deserializer::from_str(text).zip(&heads);
    for (index, (document, head)) in documents.enumerate() {
        let doc_lines = layout.as_ref().and_then(|l| l.get(index));
        let start = doc_lines.and_then(|l| l.start);
        let source = |line: Option<usize>| crate::file::source_at(relative, line);
        match head {
            Head::Null => {}
            Head::Other(what) => {
                unrecognised.push(format!("{what}, not a Kubernetes object or aws CLI output"))
            }
            Head::Mapping {
                kind: Some(kind),
                api_version: true,
                items,
                ..
            } if is_list_kind(kind) => {
                let default_kind = kind.strip_suffix("List").filter(|k| !k.is_empty());
                let kinds: Vec<Option<String>> = items
                    .as_deref()
                    .unwrap_or_default()
                    .iter()
                    .map(|k| k.clone().or_else(|| default_kind.map(str::to_owned)))
                    .collect();
                if items.is_none() {
                    return Err(FileError::at(
                        start.unwrap_or(1),
                        1,
                        "`items` of a Kubernetes List must be a list of objects",
                    ));
                }
                let objects = ListSeed { kinds: &kinds }
                    .deserialize(document)
                    .map_err(|e| yaml_error(&e))?;
                if objects.is_empty() {
                    if let Some(area) = k8s::area_from_file_name(relative) {
                        out.mark(area);
                    } else {
                        unrecognised
                            .push("an empty Kubernetes List (its kind is unknown)".to_owned());
                    }
                }
                add_list_items(relative, text, doc_lines, &mut lines, objects, out)?;
            }
            Head::Mapping {
                kind: Some(kind),
                api_version: true,
                ..
            } => {
                let object = KindSeed {
                    kind: Some(kind.as_str()),
                }
                .deserialize(document)
                .map_err(|e| yaml_error(&e))?;
                k8s::add_object(object, source(start), None, out)
                    .map_err(|e| with_document_line(e, start))?;
            }
            Head::Mapping { keys, .. } => {
                // aws CLI output printed as YAML: read it as the JSON it stands for.
                let value =
                    serde_yaml_ng::Value::deserialize(document).map_err(|e| yaml_error(&e))?;
                let Ok(json_text) = serde_json::to_string(&value) else {
                    unrecognised.push(describe_keys(keys));
                    continue;
                };
                let docs = json::parse_documents(&json_text, Origin::Converted(start))?;
                for doc in &docs {
                    if !aws::load(doc, relative, threads, out)? {
                        unrecognised.push(describe_keys(keys));
                    }
                }
            }
        }
    }
    Ok(unrecognised)
}

/// Adds a List document's objects, each at the line its item starts on when the layout
/// shows it (else at the document's first line).
fn add_list_items<'t>(
    relative: &str,
    text: &'t str,
    doc_lines: Option<&DocLines>,
    lines: &mut Option<Vec<&'t str>>,
    objects: Vec<K8sObject>,
    out: &mut Partial,
) -> Result<(), FileError> {
    let start = doc_lines.and_then(|l| l.start);
    let item_lines = doc_lines.and_then(|doc| {
        let all = lines.get_or_insert_with(|| text.lines().collect());
        list_item_lines(all, doc, objects.len())
    });
    for (i, object) in objects.into_iter().enumerate() {
        let line = item_lines
            .as_ref()
            .and_then(|l| l.get(i).copied())
            .or(start);
        k8s::add_object(object, crate::file::source_at(relative, line), Some(i), out)
            .map_err(|e| with_document_line(e, start))?;
    }
    Ok(())
}

fn with_document_line(mut error: FileError, start: Option<usize>) -> FileError {
    if let Some(line) = start {
        error.message = format!("{} (in the YAML document at line {line})", error.message);
        error.position = error.position.or(Some((line, 1)));
    }
    error
}

pub(crate) fn is_list_kind(kind: &str) -> bool {
    kind.ends_with("List")
}

/// "mapping with keys a, b, c" for a skipped document.
pub(crate) fn describe_keys(keys: &[String]) -> String {
    const SHOWN: usize = 6;
    if keys.iter().any(|k| k == "Policies") {
        return "iam list-policies output: no policy documents (iam get-account-authorization-details has them)"
            .to_owned();
    }
    let mut shown: Vec<&str> = keys.iter().take(SHOWN).map(String::as_str).collect();
    if keys.len() > SHOWN {
        shown.push("...");
    }
    if shown.is_empty() {
        "an empty object, not a Kubernetes object or aws CLI output".to_owned()
    } else {
        format!(
            "no Kubernetes kind and no aws CLI key this tool reads (top-level keys: {})",
            shown.join(", ")
        )
    }
}

/// Where a document is in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DocLines {
    /// 1-based line of the document's first content.
    start: Option<usize>,
    /// 0-based index of the document's first line (its `---`, if any).
    first: usize,
    /// 0-based index one past the document's last line.
    end: usize,
}

fn is_content(line: &str) -> bool {
    let trimmed = line.trim();
    !trimmed.is_empty() && !trimmed.starts_with('#')
}

/// Splits the text into documents the way a YAML parser does: a `---` line starts one, a
/// `...` line ends one, and a document without `---` exists only if it has content.
fn document_lines(text: &str) -> Vec<DocLines> {
    let mut docs = Vec::new();
    let mut current = DocLines {
        start: None,
        first: 0,
        end: 0,
    };
    let mut explicit = false;
    let mut count = 0;
    for (i, line) in text.lines().enumerate() {
        count = i + 1;
        let is_marker = |m: &str| {
            line.strip_prefix(m)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
        };
        if is_marker("---") {
            if explicit || current.start.is_some() {
                current.end = i;
                docs.push(current);
            }
            let rest = line.get(3..).unwrap_or_default();
            current = DocLines {
                start: is_content(rest).then_some(i + 1),
                first: i,
                end: 0,
            };
            explicit = true;
        } else if is_marker("...") {
            if explicit || current.start.is_some() {
                current.end = i;
                docs.push(current);
            }
            current = DocLines {
                start: None,
                first: i + 1,
                end: 0,
            };
            explicit = false;
        } else if current.start.is_none() && is_content(line) && !line.starts_with('%') {
            current.start = Some(i + 1);
        }
    }
    if explicit || current.start.is_some() {
        current.end = count;
        docs.push(current);
    }
    docs
}

/// The 1-based lines where the `count` items of a block-style `items:` list start, or `None`
/// when the layout is not the plain one kubectl prints.
fn list_item_lines(lines: &[&str], doc: &DocLines, count: usize) -> Option<Vec<usize>> {
    let body = lines.get(doc.first..doc.end.min(lines.len()))?;
    let items_at = body.iter().position(|line| {
        line.strip_prefix("items:")
            .is_some_and(|rest| !is_content(rest))
    })?;
    let mut found = Vec::new();
    let mut indent = None;
    for (offset, line) in body.iter().enumerate().skip(items_at + 1) {
        if !is_content(line) {
            continue;
        }
        let spaces = line.len() - line.trim_start_matches(' ').len();
        let rest = line.get(spaces..).unwrap_or_default();
        let is_item = rest == "-" || rest.starts_with("- ");
        match indent {
            None if is_item => indent = Some(spaces),
            None => return None,
            Some(level) if spaces < level || (spaces == level && !is_item) => break,
            Some(level) if spaces > level => continue,
            Some(_) => {}
        }
        found.push(doc.first + offset + 1);
    }
    (found.len() == count).then_some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_split_like_the_parser_does() {
        let text =
            "# header\n---\napiVersion: v1\nkind: A\n---\n# only a comment\n---\n\nkind: B\n...\n";
        let docs = document_lines(text);
        let starts: Vec<Option<usize>> = docs.iter().map(|d| d.start).collect();
        assert_eq!(starts, vec![Some(3), None, Some(9)]);
        let parsed = serde_yaml_ng::Deserializer::from_str(text).count();
        assert_eq!(parsed, docs.len());
        assert_eq!(document_lines("a: 1\n").len(), 1);
        assert_eq!(
            document_lines("--- {a: 1}\n--- b\n")
                .iter()
                .map(|d| d.start)
                .collect::<Vec<_>>(),
            vec![Some(1), Some(2)]
        );
    }

    #[test]
    fn list_items_are_located() {
        let text = "apiVersion: v1\nitems:\n# first\n- apiVersion: v1\n  kind: Pod\n  spec:\n    containers:\n    - name: a\n\n- kind: Pod\nkind: List\n";
        let lines: Vec<&str> = text.lines().collect();
        let doc = document_lines(text).into_iter().next();
        let found = doc.and_then(|d| list_item_lines(&lines, &d, 2));
        assert_eq!(found, Some(vec![4, 10]));
        let doc = document_lines(text).into_iter().next();
        assert_eq!(doc.and_then(|d| list_item_lines(&lines, &d, 3)), None);
    }
}
