//! JSON documents: a first pass records the top-level keys and, for list-valued keys, where
//! each element starts and on which line; elements are then parsed into typed structs one by
//! one (in parallel for large lists), so every object knows its line and errors point at the
//! element. The first pass is a fast structural scan ([`scan`]); input it declines goes
//! through serde_json, which reports syntax errors precisely.

use std::fmt;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess,
    Visitor,
};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::decode::{line_column, LineCounter};
use crate::error::{strip_position, FileError};
use crate::{policy_diag, scan};

/// Top-level keys whose values are lists of records (Kubernetes `items` and every aws CLI list
/// this loader reads). Their elements are located individually.
pub(crate) const LIST_KEYS: &[&str] = &[
    "items",
    "UserDetailList",
    "GroupDetailList",
    "RoleDetailList",
    "Policies",
    "accessEntries",
    "associatedAccessPolicies",
    "associations",
    "virtualClusters",
    "endpoints",
    "jobRuns",
    "templates",
    "Subnets",
    "RouteTables",
    "SecurityGroups",
    "LaunchTemplateVersions",
    "Reservations",
    "LoadBalancers",
    "TagDescriptions",
    "Events",
    "Records",
];

/// A value's text and where it starts in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Located<'a> {
    pub text: &'a str,
    /// Byte offset in the file, when the text is a slice of the file.
    pub offset: Option<usize>,
    /// 1-based line in the file, when known.
    pub line: Option<usize>,
}

/// A top-level value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TopValue<'a> {
    /// Any value, unparsed.
    Raw(Located<'a>),
    /// A list (for keys in [`LIST_KEYS`]); `null` counts as an empty list.
    List(Vec<Located<'a>>),
    /// A key of [`LIST_KEYS`] whose value is not a list.
    NotList,
}

/// A parsed top level: an object's entries, or what else the document is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Top<'a> {
    Object(Vec<(String, TopValue<'a>)>),
    Other(&'static str),
}

/// The top level as serde reads it (the fallback when the fast scan declines).
enum RawTop<'a> {
    Object(Vec<(String, RawTopValue<'a>)>),
    Other(&'static str),
}

enum RawTopValue<'a> {
    Raw(&'a RawValue),
    List(Vec<&'a RawValue>),
    NotList,
}

impl<'de> Deserialize<'de> for RawTop<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TopVisitor)
    }
}

struct TopVisitor;

impl<'de> Visitor<'de> for TopVisitor {
    type Value = RawTop<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON document")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = if LIST_KEYS.contains(&key.as_str()) {
                map.next_value::<ListValue<'de>>()?.0
            } else {
                RawTopValue::Raw(map.next_value::<&'de RawValue>()?)
            };
            entries.push((key, value));
        }
        Ok(RawTop::Object(entries))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(RawTop::Other("a JSON array"))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(RawTop::Other("a JSON string"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(RawTop::Other("a JSON boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(RawTop::Other("a JSON number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(RawTop::Other("a JSON number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(RawTop::Other("a JSON number"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(RawTop::Other("JSON null"))
    }
}

struct ListValue<'a>(RawTopValue<'a>);

impl<'de> Deserialize<'de> for ListValue<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor;
        impl<'de> Visitor<'de> for ListVisitor {
            type Value = ListValue<'de>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(item) = seq.next_element::<&'de RawValue>()? {
                    items.push(item);
                }
                Ok(ListValue(RawTopValue::List(items)))
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(ListValue(RawTopValue::List(Vec::new())))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(ListValue(RawTopValue::NotList))
            }

            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(ListValue(RawTopValue::NotList))
            }

            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(ListValue(RawTopValue::NotList))
            }

            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(ListValue(RawTopValue::NotList))
            }

            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(ListValue(RawTopValue::NotList))
            }

            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(ListValue(RawTopValue::NotList))
            }
        }
        deserializer.deserialize_any(ListVisitor)
    }
}

/// Where a document's text came from: the file itself, or a conversion (YAML read as JSON)
/// whose positions mean nothing in the file.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Origin {
    File,
    /// Converted from the YAML document starting at this line.
    Converted(Option<usize>),
}

/// One JSON document (a file may hold several, concatenated).
#[derive(Debug)]
pub(crate) struct JsonDoc<'a> {
    /// The whole file (positions are relative to it).
    pub file_text: &'a str,
    /// This document's text.
    pub text: &'a str,
    pub top: Top<'a>,
    pub origin: Origin,
    /// Split by the fast scan, which checks only the structure around the values: values
    /// that are never parsed into types must be checked with [`JsonDoc::check_unread`].
    scanned: bool,
}

/// Parses the JSON documents of a file: usually one, or several written one after another
/// (`kubectl get ... -o json >> file`).
pub(crate) fn parse_documents(text: &str, origin: Origin) -> Result<Vec<JsonDoc<'_>>, FileError> {
    parse_documents_with(text, origin, false)
}

/// [`parse_documents`] with the loose scan ([`scan::scan_loose`]): when reading what it
/// returns fails in any way, the file must be read again with [`parse_documents`], whose
/// errors are the ones to report.
pub(crate) fn parse_documents_loose(text: &str) -> Result<Vec<JsonDoc<'_>>, FileError> {
    parse_documents_with(text, Origin::File, true)
}

fn parse_documents_with(
    text: &str,
    origin: Origin,
    loose: bool,
) -> Result<Vec<JsonDoc<'_>>, FileError> {
    if matches!(origin, Origin::File) {
        let scanned = if loose {
            scan::scan_loose(text)
        } else {
            scan::scan(text)
        };
        if let Some(entries) = scanned {
            let doc = JsonDoc {
                file_text: text,
                text,
                top: Top::Object(entries),
                origin,
                scanned: true,
            };
            // Top-level scalars and objects are small; lists are checked as they are read.
            for (_, value) in doc.entries() {
                if let TopValue::Raw(located) = value {
                    doc.check_syntax(located)?;
                }
            }
            return Ok(vec![doc]);
        }
    }
    let texts: Vec<&str> = match serde_json::from_str::<IgnoredAny>(text) {
        Ok(_) => vec![text],
        Err(e) if e.to_string().starts_with("trailing characters") => {
            let mut texts = Vec::new();
            for value in serde_json::Deserializer::from_str(text).into_iter::<&RawValue>() {
                texts.push(value.map_err(|e| syntax_error(&e, origin))?.get());
            }
            texts
        }
        Err(e) => return Err(syntax_error(&e, origin)),
    };
    let mut lines = LineCounter::new(text);
    let mut docs = Vec::with_capacity(texts.len());
    for doc_text in texts {
        let raw =
            serde_json::from_str::<RawTop<'_>>(doc_text).map_err(|e| syntax_error(&e, origin))?;
        let top = match raw {
            RawTop::Other(what) => Top::Other(what),
            RawTop::Object(entries) => Top::Object(
                entries
                    .into_iter()
                    .map(|(key, value)| {
                        let value = match value {
                            RawTopValue::Raw(raw) => {
                                TopValue::Raw(locate(text, raw, origin, &mut lines))
                            }
                            RawTopValue::List(raws) => TopValue::List(
                                raws.into_iter()
                                    .map(|raw| locate(text, raw, origin, &mut lines))
                                    .collect(),
                            ),
                            RawTopValue::NotList => TopValue::NotList,
                        };
                        (key, value)
                    })
                    .collect(),
            ),
        };
        docs.push(JsonDoc {
            file_text: text,
            text: doc_text,
            top,
            origin,
            scanned: false,
        });
    }
    Ok(docs)
}

/// A document from [`scan::scan_with_items`] (the file's only document), its top-level
/// values checked as [`parse_documents`] checks them.
pub(crate) fn scanned_document<'a>(
    text: &'a str,
    entries: Vec<(String, TopValue<'a>)>,
) -> Result<JsonDoc<'a>, FileError> {
    let doc = JsonDoc {
        file_text: text,
        text,
        top: Top::Object(entries),
        origin: Origin::File,
        scanned: true,
    };
    for (_, value) in doc.entries() {
        match value {
            TopValue::Raw(located) => doc.check_syntax(located)?,
            TopValue::List(items) => {
                for item in items {
                    doc.check_syntax(item)?;
                }
            }
            TopValue::NotList => {}
        }
    }
    Ok(doc)
}

/// Where a value parsed by serde_json is in the file.
fn locate<'t>(
    text: &'t str,
    raw: &'t RawValue,
    origin: Origin,
    lines: &mut LineCounter<'_>,
) -> Located<'t> {
    let part = raw.get();
    let offset = offset_in(text, part);
    Located {
        text: part,
        offset,
        line: match origin {
            Origin::File => offset.map(|o| lines.line_at(o)),
            Origin::Converted(line) => line,
        },
    }
}

fn syntax_error(e: &serde_json::Error, origin: Origin) -> FileError {
    let message = strip_position(&e.to_string(), e.line(), e.column());
    let error = match origin {
        Origin::File => FileError::at(e.line(), e.column(), message),
        Origin::Converted(line) => FileError::at(line.unwrap_or(1), 1, message),
    };
    if e.is_syntax() || e.is_eof() {
        error.syntax()
    } else {
        error
    }
}

impl<'a> JsonDoc<'a> {
    /// The document as one element (a single Kubernetes object).
    pub(crate) fn whole(&self) -> JsonElem<'a> {
        let trimmed = self.text.trim_start();
        let start = self.text.len() - trimmed.len();
        let offset = offset_in(self.file_text, self.text).map(|o| o + start);
        let line = match self.origin {
            Origin::File => offset.map(|o| LineCounter::new(self.file_text).line_at(o)),
            Origin::Converted(line) => line,
        };
        self.element(&Located {
            text: trimmed,
            offset,
            line,
        })
    }

    /// The elements of a list value.
    pub(crate) fn elements(&self, located: &[Located<'a>]) -> Vec<JsonElem<'a>> {
        located.iter().map(|l| self.element(l)).collect()
    }

    /// One value.
    pub(crate) fn element(&self, located: &Located<'a>) -> JsonElem<'a> {
        JsonElem {
            text: located.text,
            line: located.line,
            file_text: self.file_text,
            offset: match self.origin {
                Origin::File => located.offset,
                Origin::Converted(_) => None,
            },
        }
    }

    /// The entries of an object document (empty for other documents).
    pub(crate) fn entries(&self) -> &[(String, TopValue<'a>)] {
        match &self.top {
            Top::Object(entries) => entries,
            Top::Other(_) => &[],
        }
    }

    /// The first value of `key`, unparsed.
    pub(crate) fn raw(&self, key: &str) -> Option<&Located<'a>> {
        self.entries().iter().find_map(|(k, v)| match v {
            TopValue::Raw(raw) if k == key => Some(raw),
            _ => None,
        })
    }

    /// The string value of `key`, if it is a string.
    pub(crate) fn string(&self, key: &str) -> Option<String> {
        self.raw(key)
            .and_then(|raw| serde_json::from_str::<String>(raw.text).ok())
    }

    /// After a fast scan, checks the syntax of list elements the loader did not parse (those
    /// of keys for which `read` is false).
    pub(crate) fn check_unread(&self, read: impl Fn(&str) -> bool) -> Result<(), FileError> {
        if !self.scanned {
            return Ok(());
        }
        for (key, value) in self.entries() {
            if let TopValue::List(items) = value {
                if !read(key) {
                    for item in items {
                        self.check_syntax(item)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn check_syntax(&self, located: &Located<'a>) -> Result<(), FileError> {
        match serde_json::from_str::<IgnoredAny>(located.text) {
            Ok(_) => Ok(()),
            Err(e) => {
                let message = strip_position(&e.to_string(), e.line(), e.column());
                let (line, column) = self
                    .element(located)
                    .absolute(e.line(), e.column())
                    .unwrap_or((e.line(), e.column()));
                Err(FileError::at(line, column, message).syntax())
            }
        }
    }
}

/// Byte offset of `part` inside `whole`, when `part` is a slice of it.
fn offset_in(whole: &str, part: &str) -> Option<usize> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    (start + part.len() <= whole.len()).then_some(start)
}

/// One JSON value to parse into a typed struct, knowing where it is in its file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct JsonElem<'a> {
    pub text: &'a str,
    /// 1-based line of the value's first character, where known.
    pub line: Option<usize>,
    file_text: &'a str,
    offset: Option<usize>,
}

impl<'a> JsonElem<'a> {
    /// Parses the value as `T`. Fast path without path tracking; on failure the value is
    /// parsed again to find the JSON path of the problem.
    pub(crate) fn parse<T: DeserializeOwned>(&self) -> Result<T, FileError> {
        serde_json::from_str::<T>(self.text).map_err(|_| {
            let mut de = serde_json::Deserializer::from_str(self.text);
            match serde_path_to_error::deserialize::<_, T>(&mut de) {
                Ok(_) => FileError::at_path("", "could not be read"),
                Err(e) => self.describe(&e.path().to_string(), e.inner()),
            }
        })
    }

    /// Parses the value with a seed (a Kubernetes kind decides the type).
    pub(crate) fn parse_seed<S, T>(&self, seed: S) -> Result<T, FileError>
    where
        S: for<'de> DeserializeSeed<'de, Value = T> + Clone,
    {
        let mut de = serde_json::Deserializer::from_str(self.text);
        match seed
            .clone()
            .deserialize(&mut de)
            .and_then(|v| de.end().map(|()| v))
        {
            Ok(v) => Ok(v),
            Err(_) => {
                let mut de = serde_json::Deserializer::from_str(self.text);
                let mut track = serde_path_to_error::Track::new();
                let tracked = serde_path_to_error::Deserializer::new(&mut de, &mut track);
                Err(match seed.deserialize(tracked) {
                    Ok(_) => FileError::at_path("", "could not be read"),
                    Err(e) => self.describe(&track.path().to_string(), &e),
                })
            }
        }
    }

    /// The 1-based line and column in the file of a position inside this value.
    fn absolute(&self, line: usize, column: usize) -> Option<(usize, usize)> {
        let offset = self.offset?;
        let (line0, column0) = line_column(self.file_text, offset);
        Some(if line <= 1 {
            (line0, column0 + column.saturating_sub(1))
        } else {
            (line0 + line - 1, column)
        })
    }

    fn describe(&self, path: &str, error: &serde_json::Error) -> FileError {
        let path = if path == "." { "" } else { path };
        let mut message = strip_position(&error.to_string(), error.line(), error.column());
        if error.is_syntax() || error.is_eof() {
            // The fast scan leaves a value's own syntax to this parse.
            if let Some((line, column)) = self.absolute(error.line(), error.column()) {
                return FileError::at(line, column, message).syntax();
            }
        }
        let mut path = path.to_owned();
        if let Some((refined_path, refined_message)) = policy_diag::refine(self.text, &path) {
            path = refined_path;
            message = refined_message;
        }
        let position = self.absolute(error.line(), error.column());
        let message = match (position, self.line) {
            (Some((line, column)), _) => format!("{message} (line {line}, column {column})"),
            (None, Some(line)) => format!("{message} (in the YAML document at line {line})"),
            (None, None) => message,
        };
        let mut err = FileError::at_path(path, message);
        err.position = position.or(self.line.map(|l| (l, 1)));
        err
    }
}

/// What a quick look at an object's top-level `"kind"` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KindScan<'a> {
    Found(&'a str),
    Absent,
    /// Not decidable by the quick scan (escapes, a non-string kind): parse instead.
    Unknown,
}

/// Finds the top-level `"kind"` of a JSON object that has already been validated, stopping
/// as soon as it is found (kubectl sorts keys, so `kind` comes early).
pub(crate) fn scan_kind(text: &str) -> KindScan<'_> {
    let bytes = text.as_bytes();
    let mut i = skip_ws(bytes, 0);
    if bytes.get(i) != Some(&b'{') {
        return KindScan::Absent;
    }
    i += 1;
    loop {
        i = skip_ws(bytes, i);
        match bytes.get(i) {
            Some(b'"') => {}
            Some(b'}') | None => return KindScan::Absent,
            Some(_) => return KindScan::Unknown,
        }
        let Some((key, after_key)) = plain_string(bytes, i) else {
            return KindScan::Unknown;
        };
        i = skip_ws(bytes, after_key);
        if bytes.get(i) != Some(&b':') {
            return KindScan::Unknown;
        }
        i = skip_ws(bytes, i + 1);
        if key == b"kind" {
            return match plain_string(bytes, i) {
                Some((value, _)) => {
                    std::str::from_utf8(value).map_or(KindScan::Unknown, KindScan::Found)
                }
                None => KindScan::Unknown,
            };
        }
        let Some(after_value) = skip_value(bytes, i) else {
            return KindScan::Unknown;
        };
        i = skip_ws(bytes, after_value);
        match bytes.get(i) {
            Some(b',') => i += 1,
            _ => return KindScan::Absent,
        }
    }
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while matches!(bytes.get(i), Some(b' ' | b'\n' | b'\r' | b'\t')) {
        i += 1;
    }
    i
}

/// A string without escapes starting at `i` (the opening quote): its content and the index
/// after the closing quote.
fn plain_string(bytes: &[u8], i: usize) -> Option<(&[u8], usize)> {
    if bytes.get(i) != Some(&b'"') {
        return None;
    }
    let rest = bytes.get(i + 1..)?;
    let end = rest.iter().position(|&b| b == b'"' || b == b'\\')?;
    if rest.get(end) != Some(&b'"') {
        return None;
    }
    Some((rest.get(..end)?, i + 1 + end + 1))
}

/// The index after the JSON value starting at `i`.
fn skip_value(bytes: &[u8], i: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut j = i;
    loop {
        match bytes.get(j)? {
            b'"' => {
                j += 1;
                loop {
                    match bytes.get(j)? {
                        b'\\' => j += 2,
                        b'"' => break,
                        _ => j += 1,
                    }
                }
                j += 1;
            }
            b'{' | b'[' => {
                depth += 1;
                j += 1;
            }
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                j += 1;
            }
            b',' | b' ' | b'\n' | b'\r' | b'\t' if depth == 0 => return Some(j),
            _ => j += 1,
        }
        if depth == 0 && matches!(bytes.get(j), None | Some(b',' | b'}' | b']')) {
            return Some(j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_scan() {
        assert_eq!(
            scan_kind(r#"{"apiVersion": "v1", "kind": "Pod", "x": 1}"#),
            KindScan::Found("Pod")
        );
        assert_eq!(
            scan_kind(
                r#"{"data": {"a": "}\"x"}, "list": [1, {"kind": "No"}], "n": -1.5e3, "t": true, "kind":"Secret"}"#
            ),
            KindScan::Found("Secret")
        );
        assert_eq!(scan_kind(r#"{"a": 1}"#), KindScan::Absent);
        assert_eq!(scan_kind(r#"{}"#), KindScan::Absent);
        assert_eq!(scan_kind(r#"[1]"#), KindScan::Absent);
        assert_eq!(scan_kind(r#"{"kind": 5}"#), KindScan::Unknown);
        assert_eq!(scan_kind(r#"{"ki\u006ed": "Pod"}"#), KindScan::Unknown);
    }

    #[test]
    fn elements_know_their_lines() {
        let text =
            "{\n  \"items\": [\n    {\"a\": 1},\n\n    {\"b\": 2}\n  ],\n  \"kind\": \"List\"\n}\n";
        let docs = parse_documents(text, Origin::File).unwrap_or_default();
        let doc = docs.first();
        let entries = doc.map(JsonDoc::entries).unwrap_or_default();
        let Some((_, TopValue::List(raws))) = entries.first() else {
            panic!("items not a list: {entries:?}");
        };
        let lines: Vec<Option<usize>> = doc
            .map(|d| d.elements(raws).iter().map(|e| e.line).collect())
            .unwrap_or_default();
        assert_eq!(lines, vec![Some(3), Some(5)]);
        assert_eq!(doc.and_then(|d| d.string("kind")).as_deref(), Some("List"));
    }

    #[test]
    fn concatenated_documents() {
        let docs = parse_documents("{\"a\": 1}\n{\"b\": [\n]}\n", Origin::File).unwrap_or_default();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs.get(1).map(|d| d.whole().line), Some(Some(2)));
        let err = parse_documents("{\"a\": 1}\n{\"b\": }\n", Origin::File).err();
        assert_eq!(err.map(|e| e.location), Some("2:7".to_owned()));
    }

    #[test]
    fn element_errors_are_absolute() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct S {
            n: u32,
        }
        let text = "{\"items\": [\n  {\"n\": 1},\n  {\"n\": \"x\"}\n]}";
        let docs = parse_documents(text, Origin::File).unwrap_or_default();
        let doc = docs.first();
        let Some((_, TopValue::List(raws))) = doc.and_then(|d| d.entries().first()) else {
            panic!("no items");
        };
        let elems = doc.map(|d| d.elements(raws)).unwrap_or_default();
        let err = elems.get(1).map(|e| e.parse::<S>());
        let err = err.and_then(Result::err);
        assert_eq!(err.as_ref().map(|e| e.location.as_str()), Some("n"));
        assert!(
            err.is_some_and(|e| e.message.contains("(line 3, column 11)")),
            "position is relative to the file"
        );
    }
}
