//! A fast structural scan of a JSON object: its top-level keys, and for list-valued keys
//! (see [`LIST_KEYS`]) where each element starts and ends, and on which line. It checks the structure around the values (brackets, commas, colons) strictly and
//! leaves each value's own syntax to serde_json, which parses every value later. Anything
//! unusual (escaped keys, trailing data, a missing comma) makes it decline, and the caller
//! falls back to serde_json, which reports the exact error.

use memchr::memchr3;

use crate::decode::LineCounter;
use crate::json::{Located, TopValue, LIST_KEYS};

struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// Find the end of an object by its braces alone (see [`scan_loose`]).
    loose: bool,
}

/// Bytes that open or close strings and containers.
const STRUCTURAL: [bool; 256] = {
    let mut table = [false; 256];
    table[b'"' as usize] = true;
    table[b'{' as usize] = true;
    table[b'}' as usize] = true;
    table[b'[' as usize] = true;
    table[b']' as usize] = true;
    table
};

/// Scans a JSON object. `None` when the text is not a plain JSON object.
pub(crate) fn scan(text: &str) -> Option<Vec<(String, TopValue<'_>)>> {
    scan_with(text, false)
}

/// [`scan`], but an object value ends where its braces balance, brackets inside it unchecked.
/// On valid JSON the split is the same as [`scan`]'s, found with fewer steps (a search for
/// three bytes instead of a look at every byte between strings). On invalid JSON it
/// may split elsewhere; parsing the values then fails (a value between balanced braces with
/// unbalanced brackets is not JSON), and the caller must redo the file with [`scan`] so that
/// errors are reported exactly as [`scan`] would lead to.
pub(crate) fn scan_loose(text: &str) -> Option<Vec<(String, TopValue<'_>)>> {
    scan_with(text, true)
}

fn scan_with(text: &str, loose: bool) -> Option<Vec<(String, TopValue<'_>)>> {
    let scanner = Scanner {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        loose,
    };
    walk_object(scanner, |s, key| {
        if LIST_KEYS.contains(&key) {
            s.list_value()
        } else {
            Some(TopValue::Raw(s.located_value()?))
        }
    })
}

/// A loose scan ([`scan_loose`]) of a JSON object that hands each element of its `items`
/// list to `item` (which gets the element's offset and returns the offset just after it)
/// instead of skipping it: each element is then read once. `items` is entered with an empty
/// list; `apiVersion`, `kind` and `metadata` keep their values unparsed. `None` when the text
/// is not a plain JSON object with an `items` list and no other keys, or when `item` returns
/// `None`.
pub(crate) fn scan_with_items<'a>(
    text: &'a str,
    mut item: impl FnMut(usize) -> Option<usize>,
) -> Option<Vec<(String, TopValue<'a>)>> {
    // kubectl prints no other keys: anything else (the aws CLI's output, say) is given up at
    // once rather than scanned to its end for nothing.
    let other = |key: &str| matches!(key, "apiVersion" | "kind" | "metadata");
    let entries = scan_with_lists(text, |key| key == "items", other, |_, at| item(at))?;
    entries
        .iter()
        .any(|(key, _)| key == "items")
        .then_some(entries)
}

/// A loose scan ([`scan_loose`]) of a JSON object whose keys are lists (for which `is_list`
/// holds) or other values (for which `is_other` holds), each at most once: each element of
/// a list is handed to `item` (with the list's key and the element's offset; it returns the
/// offset just after the element) instead of being skipped, so that it is read once. Lists
/// are entered with no elements; other values are kept unparsed. `None` when the text is not
/// a plain JSON object of such keys, or when `item` returns `None`; the scan stops at the
/// first key of neither kind.
pub(crate) fn scan_with_lists<'a>(
    text: &'a str,
    is_list: impl Fn(&str) -> bool,
    is_other: impl Fn(&str) -> bool,
    mut item: impl FnMut(&str, usize) -> Option<usize>,
) -> Option<Vec<(String, TopValue<'a>)>> {
    let scanner = Scanner {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        loose: true,
    };
    let mut seen: Vec<&str> = Vec::new();
    walk_object(scanner, |s, key| {
        if seen.contains(&key) {
            return None;
        }
        seen.push(key);
        if !is_list(key) {
            if !is_other(key) {
                return None;
            }
            return Some(TopValue::Raw(s.located_value()?));
        }
        s.expect(b'[')?;
        s.ws();
        if s.peek()? == b']' {
            s.pos += 1;
            return Some(TopValue::List(Vec::new()));
        }
        loop {
            s.ws();
            let end = item(key, s.pos)?;
            if end <= s.pos || end > s.bytes.len() {
                return None;
            }
            s.pos = end;
            s.ws();
            match s.peek()? {
                b',' => s.pos += 1,
                b']' => {
                    s.pos += 1;
                    return Some(TopValue::List(Vec::new()));
                }
                _ => return None,
            }
        }
    })
}

/// Reads the JSON value that starts at `start` in `text` with `read` and returns it with the
/// offset just after it: what [`scan_with_lists`]'s `item` returns. `None` when `read` fails.
pub(crate) fn read_value_at<'a, T>(
    text: &'a str,
    start: usize,
    read: impl FnOnce(
        &mut serde_json::Deserializer<serde_json::de::StrRead<'a>>,
    ) -> serde_json::Result<T>,
) -> Option<(T, usize)> {
    let mut de = serde_json::Deserializer::from_str(text.get(start..)?);
    let value = read(&mut de).ok()?;
    // Where the parser stopped: just after the value.
    let end = start + de.into_iter::<serde::de::IgnoredAny>().byte_offset();
    Some((value, end))
}

/// Walks a whole-text JSON object, reading each key's value with `value` (called with the
/// scanner just before the value), then fills in the lines. `None` when the text is not one
/// plain JSON object or `value` gives up.
fn walk_object<'a>(
    mut s: Scanner<'a>,
    mut value: impl FnMut(&mut Scanner<'a>, &'a str) -> Option<TopValue<'a>>,
) -> Option<Vec<(String, TopValue<'a>)>> {
    let text = s.text;
    s.ws();
    s.expect(b'{')?;
    let mut entries = Vec::new();
    s.ws();
    if s.peek() == Some(b'}') {
        s.pos += 1;
    } else {
        loop {
            s.ws();
            let key = s.key()?;
            s.ws();
            s.expect(b':')?;
            s.ws();
            let v = value(&mut s, key)?;
            entries.push((key.to_owned(), v));
            s.ws();
            match s.peek()? {
                b',' => s.pos += 1,
                b'}' => {
                    s.pos += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    s.ws();
    if s.pos != s.bytes.len() {
        return None;
    }
    add_lines(text, &mut entries);
    Some(entries)
}

/// Fills in the line of every value, counting newlines once through the text.
fn add_lines(text: &str, entries: &mut [(String, TopValue<'_>)]) {
    let mut lines = LineCounter::new(text);
    let mut locate = |located: &mut Located<'_>| {
        located.line = located.offset.map(|o| lines.line_at(o));
    };
    for (_, value) in entries.iter_mut() {
        match value {
            TopValue::Raw(located) => locate(located),
            TopValue::List(items) => items.iter_mut().for_each(&mut locate),
            TopValue::NotList => {}
        }
    }
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.pos += 1;
        }
    }

    /// Skips a string starting at the opening quote. Declines raw newlines (invalid JSON).
    fn string(&mut self) -> Option<()> {
        self.expect(b'"')?;
        loop {
            let rest = self.bytes.get(self.pos..)?;
            let at = memchr3(b'"', b'\\', b'\n', rest)?;
            self.pos += at;
            match self.peek()? {
                b'"' => {
                    self.pos += 1;
                    return Some(());
                }
                b'\\' => self.pos += 2,
                _ => return None,
            }
        }
    }

    /// An object key without escapes or control characters.
    fn key(&mut self) -> Option<&'a str> {
        let start = self.pos + 1;
        self.string()?;
        let key = self.text.get(start..self.pos - 1)?;
        (!key.bytes().any(|b| b == b'\\' || b < 0x20)).then_some(key)
    }

    /// Skips one value of any kind. Inside containers only strings and brackets matter:
    /// commas, colons and scalars are left to serde_json.
    fn value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => return self.string(),
            b'{' if self.loose => return self.object_by_braces(),
            b'{' | b'[' => {}
            _ => {
                let start = self.pos;
                while let Some(b) = self.peek() {
                    if matches!(
                        b,
                        b',' | b':'
                            | b'{'
                            | b'}'
                            | b'['
                            | b']'
                            | b'"'
                            | b' '
                            | b'\t'
                            | b'\r'
                            | b'\n'
                    ) {
                        break;
                    }
                    self.pos += 1;
                }
                return (self.pos > start).then_some(());
            }
        }
        let mut closers: Vec<u8> = Vec::new();
        loop {
            let rest = self.bytes.get(self.pos..)?;
            self.pos += rest.iter().position(|&b| STRUCTURAL[usize::from(b)])?;
            match self.peek()? {
                b'"' => self.string()?,
                b'{' => {
                    closers.push(b'}');
                    self.pos += 1;
                }
                b'[' => {
                    closers.push(b']');
                    self.pos += 1;
                }
                close => {
                    if closers.pop()? != close {
                        return None;
                    }
                    self.pos += 1;
                    if closers.is_empty() {
                        return Some(());
                    }
                }
            }
        }
    }

    /// Skips an object counting only braces (strings skipped as strings).
    fn object_by_braces(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            let rest = self.bytes.get(self.pos..)?;
            self.pos += memchr3(b'"', b'{', b'}', rest)?;
            match self.peek()? {
                b'"' => self.string()?,
                b'{' => {
                    depth += 1;
                    self.pos += 1;
                }
                _ => {
                    depth = depth.checked_sub(1)?;
                    self.pos += 1;
                    if depth == 0 {
                        return Some(());
                    }
                }
            }
        }
    }

    fn located_value(&mut self) -> Option<Located<'a>> {
        let start = self.pos;
        self.value()?;
        Some(Located {
            text: self.text.get(start..self.pos)?,
            offset: Some(start),
            line: None,
        })
    }

    /// The value of a list key: its elements, or `null` as an empty list, or not a list.
    fn list_value(&mut self) -> Option<TopValue<'a>> {
        if self.peek()? != b'[' {
            let value = self.located_value()?;
            return Some(if value.text == "null" {
                TopValue::List(Vec::new())
            } else {
                TopValue::NotList
            });
        }
        self.pos += 1;
        let mut items = Vec::new();
        self.ws();
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(TopValue::List(items));
        }
        loop {
            self.ws();
            items.push(self.located_value()?);
            self.ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Some(TopValue::List(items));
                }
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'a>(value: &TopValue<'a>) -> Vec<(&'a str, Option<usize>)> {
        match value {
            TopValue::List(items) => items.iter().map(|l| (l.text, l.line)).collect(),
            TopValue::Raw(l) => vec![(l.text, l.line)],
            TopValue::NotList => vec![],
        }
    }

    #[test]
    fn item_scan_reads_kubectl_lists_and_gives_up_on_other_keys_at_once() {
        let list = r#"{"apiVersion": "v1", "items": [{"kind": "Pod"}, {"kind": "Pod"}], "kind": "List", "metadata": {"resourceVersion": ""}}"#;
        let mut starts = Vec::new();
        let entries = scan_with_items(list, |start| {
            starts.push(start);
            list.get(start..)?.find('}').map(|end| start + end + 1)
        });
        let keys: Vec<String> = entries
            .unwrap_or_default()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, ["apiVersion", "items", "kind", "metadata"]);
        assert_eq!(starts.len(), 2);

        // The aws CLI's output: declined at its first key, before any item is read.
        for text in [
            r#"{"RoleDetailList": [{"items": 1}], "items": [{"kind": "Pod"}]}"#,
            r#"{"items": [{"kind": "Pod"}], "NextToken": "x"}"#,
            r#"{"apiVersion": "v1", "Items": [], "items": []}"#,
        ] {
            let mut read = 0;
            let declined = scan_with_items(text, |start| {
                read += 1;
                text.get(start..)?.find('}').map(|end| start + end + 1)
            })
            .is_none();
            assert!(declined, "{text}");
            assert!(read <= 1, "{text}: {read} items read");
        }
    }

    #[test]
    fn splits_lists_and_counts_lines() {
        let text = "{\n  \"kind\": \"List\",\n  \"items\": [\n    {\"a\": \"}]\\\"\", \"b\": [1, {\"c\": null}]},\n\n    -1.5e3 ,\n    \"x\"\n  ],\n  \"metadata\": {}\n}\n";
        let Some(entries) = scan(text) else {
            panic!("declined");
        };
        let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["kind", "items", "metadata"]);
        assert_eq!(
            entries.first().map(|e| texts(&e.1)),
            Some(vec![("\"List\"", Some(2))])
        );
        assert_eq!(
            entries.get(1).map(|e| texts(&e.1)),
            Some(vec![
                (r#"{"a": "}]\"", "b": [1, {"c": null}]}"#, Some(4)),
                ("-1.5e3", Some(6)),
                ("\"x\"", Some(7)),
            ])
        );
        assert_eq!(
            entries.get(2).map(|e| texts(&e.1)),
            Some(vec![("{}", Some(9))])
        );
    }

    #[test]
    fn null_and_non_lists() {
        let entries =
            scan(r#"{"items": null, "Subnets": {"a": 1}, "Events": []}"#).unwrap_or_default();
        let values: Vec<&TopValue<'_>> = entries.iter().map(|(_, v)| v).collect();
        assert_eq!(
            values,
            [
                &TopValue::List(vec![]),
                &TopValue::NotList,
                &TopValue::List(vec![])
            ]
        );
    }

    #[test]
    fn declines_what_it_cannot_vouch_for() {
        for text in [
            "",
            "[1]",
            "{\"a\": 1} {\"b\": 2}",
            "{\"items\": [{} {}]}",
            "{\"items\": [1,]}",
            "{\"items\": [{]}",
            "{\"items\": [{\"a\": 1}}]}",
            "{\"a\": 1,}",
            "{\"a\" 1}",
            "{\"k\\u0069nd\": 1}",
            "{\"a\": \"line\nbreak\"}",
            "{\"a\": [1, 2}",
            "{\"a\": ",
            "{\"a\": 1",
        ] {
            assert_eq!(scan(text), None, "{text:?}");
        }
        // The loose scan splits where the braces balance and leaves the rest to the parse.
        let loose = scan_loose("{\"items\": [{\"a\": [}, {\"b\": 1}]}");
        let items = loose.as_ref().and_then(|e| e.first()).map(|e| texts(&e.1));
        assert_eq!(
            items,
            Some(vec![("{\"a\": [}", Some(1)), ("{\"b\": 1}", Some(1))])
        );
        assert_eq!(scan_loose("{\"items\": [{]}"), None);
        assert_eq!(scan("  {}  \n"), Some(vec![]));
    }

    mod differential {
        use super::super::{scan, scan_loose};
        use crate::json::{parse_documents, JsonDoc, Origin, Top};
        use proptest::prelude::*;
        use serde_json::Value;

        fn json() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(Value::from),
                any::<f64>()
                    .prop_filter("finite", |f| f.is_finite())
                    .prop_map(Value::from),
                ".{0,8}".prop_map(Value::String),
            ];
            leaf.prop_recursive(4, 32, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                    prop::collection::btree_map(".{0,6}", inner, 0..4)
                        .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            })
        }

        /// What the serde path makes of the same text (converted documents skip the scan).
        fn via_serde(text: &str) -> Option<Top<'_>> {
            let docs: Vec<JsonDoc<'_>> = parse_documents(text, Origin::Converted(None)).ok()?;
            docs.into_iter().next().map(|d| d.top)
        }

        proptest! {
            #[test]
            fn scan_agrees_with_serde(
                items in prop::collection::vec(json(), 0..4),
                other in json(),
                key in "[a-zA-Z]{1,8}",
                pretty in any::<bool>(),
            ) {
                let doc = serde_json::json!({"items": items, "Events": other.clone(), key: other});
                let text = if pretty {
                    serde_json::to_string_pretty(&doc).unwrap_or_default()
                } else {
                    serde_json::to_string(&doc).unwrap_or_default()
                };
                let scanned = scan(&text);
                prop_assert!(scanned.is_some(), "declined {}", text);
                prop_assert_eq!(&scan_loose(&text), &scanned);
                if let (Some(scanned), Some(Top::Object(parsed))) = (scanned, via_serde(&text)) {
                    let scanned_shape: Vec<(String, Vec<&str>)> = scanned.iter().map(|(k, v)| (k.clone(), texts(v).into_iter().map(|t| t.0).collect())).collect();
                    let parsed_shape: Vec<(String, Vec<&str>)> = parsed.iter().map(|(k, v)| (k.clone(), texts(v).into_iter().map(|t| t.0).collect())).collect();
                    prop_assert_eq!(scanned_shape, parsed_shape);
                }
            }
        }

        use super::texts;
    }
}
