//! [`StringMap`]: labels, annotations, selectors and ConfigMap data.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::k8s::Text;

/// A string-to-string map sorted by key, with a map's semantics (one value per key, the last
/// one written wins) and a sorted vector's footprint: most maps hold a handful of entries, where
/// a B-tree node would take about 540 bytes, and a large snapshot holds hundreds of thousands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct StringMap {
    entries: Vec<(Text, Text)>,
}

impl StringMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    fn position(&self, key: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Text> {
        let i = self.position(key).ok()?;
        self.entries.get(i).map(|(_, v)| v)
    }

    /// Whether `key` has a value.
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_ok()
    }

    /// Sets `key` to `value`; returns the value it replaces.
    pub fn insert(&mut self, key: Text, value: Text) -> Option<Text> {
        match self.position(&key) {
            Ok(i) => self
                .entries
                .get_mut(i)
                .map(|(_, v)| std::mem::replace(v, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    /// The entries, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&Text, &Text)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// The keys, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &Text> {
        self.entries.iter().map(|(k, _)| k)
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// A map of `entries` in the order written: later duplicates replace earlier ones.
    fn from_written(mut entries: Vec<(Text, Text)>) -> Self {
        if !entries.is_sorted_by(|a, b| a.0 < b.0) {
            // Stable, so among equal keys the last written is last; keep that one.
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            let mut kept: Vec<(Text, Text)> = Vec::with_capacity(entries.len());
            for entry in entries {
                match kept.last_mut() {
                    Some(last) if last.0 == entry.0 => *last = entry,
                    _ => kept.push(entry),
                }
            }
            entries = kept;
        }
        entries.shrink_to_fit();
        Self { entries }
    }
}

impl<K: Into<Text>, V: Into<Text>> FromIterator<(K, V)> for StringMap {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self::from_written(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl<K: Into<Text>, V: Into<Text>, const N: usize> From<[(K, V); N]> for StringMap {
    fn from(entries: [(K, V); N]) -> Self {
        entries.into_iter().collect()
    }
}

impl<K: Into<Text>, V: Into<Text>> Extend<(K, V)> for StringMap {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k.into(), v.into());
        }
    }
}

impl<'a> IntoIterator for &'a StringMap {
    type Item = (&'a Text, &'a Text);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (Text, Text)>, PairRefs>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(pair_refs)
    }
}

/// The function type of [`pair_refs`], for [`IntoIterator`].
type PairRefs = for<'a> fn(&'a (Text, Text)) -> (&'a Text, &'a Text);

fn pair_refs((k, v): &(Text, Text)) -> (&Text, &Text) {
    (k, v)
}

impl Serialize for StringMap {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for (k, v) in &self.entries {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for StringMap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor;
        impl<'de> Visitor<'de> for MapVisitor {
            type Value = StringMap;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of strings to strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StringMap, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
                while let Some(entry) = map.next_entry::<Text, Text>()? {
                    entries.push(entry);
                }
                Ok(StringMap::from_written(entries))
            }
        }
        deserializer.deserialize_map(MapVisitor)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn behaves_like_a_sorted_map() {
        let written = [("b", "1"), ("a", "2"), ("c", "3"), ("a", "4"), ("b", "5")];
        let map: StringMap = written.into_iter().collect();
        let reference: BTreeMap<&str, &str> = written.into_iter().collect();
        let pairs: Vec<(&str, &str)> = map.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let expected: Vec<(&str, &str)> = reference.into_iter().collect();
        assert_eq!(pairs, expected);
        assert_eq!(map.get("a").map(Text::as_str), Some("4"));
        assert!(map.contains_key("c") && !map.contains_key("d"));
        assert_eq!(map.len(), 3);
    }

    #[test]
    fn insert_keeps_order_and_replaces() {
        let mut map = StringMap::new();
        assert_eq!(map.insert("m".into(), "1".into()), None);
        assert_eq!(map.insert("a".into(), "2".into()), None);
        assert_eq!(map.insert("z".into(), "3".into()), None);
        assert_eq!(map.insert("m".into(), "4".into()), Some("1".into()));
        let keys: Vec<&str> = map.keys().map(Text::as_str).collect();
        assert_eq!(keys, ["a", "m", "z"]);
        assert_eq!(map.get("m").map(Text::as_str), Some("4"));
    }

    #[test]
    fn serde_round_trip_with_duplicate_keys_last_wins() {
        let map: StringMap =
            serde_json::from_str(r#"{"b": "1", "a": "2", "b": "3"}"#).unwrap_or_default();
        assert_eq!(
            serde_json::to_string(&map).ok().as_deref(),
            Some(r#"{"a":"2","b":"3"}"#)
        );
        let reference: BTreeMap<String, String> =
            serde_json::from_str(r#"{"b": "1", "a": "2", "b": "3"}"#).unwrap_or_default();
        assert_eq!(
            serde_json::to_string(&reference).ok(),
            serde_json::to_string(&map).ok()
        );
    }
}
