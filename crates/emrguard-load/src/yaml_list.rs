//! A Kubernetes List in YAML read in one pass, when it has the layout kubectl prints.
//!
//! The general YAML path ([`crate::yaml`]) reads each document twice: once for the kinds,
//! once for the objects, because an object's keys come in alphabetical order and a Secret's
//! `data` comes before its `kind`. Most of a List's items name their `kind` after at most
//! `apiVersion`, `binaryData`, `data` and `immutable`; this reads such a List once, with
//! `data` read as key names only (values skipped unread, as for every Secret), and gives up
//! on anything else: a second document, an item without a kind or with other keys before it,
//! a key repeated, a ConfigMap whose `data` came before its kind (its values are needed), an
//! empty list, or any error. The caller then reads the file the general way, which also
//! reports errors, so what is loaded and every message are the same either way.

use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, IgnoredAny, IntoDeserializer, MapAccess, SeqAccess,
    Visitor,
};

use crate::k8s::{self, K8sObject, KeyNames, KindSeed};
use crate::yaml::LenientString;

/// The objects of a file holding one `kind: *List` YAML document in kubectl's layout; `None`
/// when the file must be read the general way.
pub(crate) fn objects(text: &str) -> Option<Vec<K8sObject>> {
    // Parsing is the cost: a file that will not fit is not tried.
    if !worth_trying(text) {
        return None;
    }
    let mut documents = serde_yaml_ng::Deserializer::from_str(text);
    let list = documents.next()?.deserialize_map(ListVisitor).ok()?;
    if documents.next().is_some() {
        return None;
    }
    list
}

/// Whether the text looks like a List as kubectl prints it (`items:` and `kind: ...List` at
/// the top level) whose first item is not a ConfigMap (whose `data`, printed before its
/// `kind`, holds values this pass cannot read). Only a guess: the pass itself checks.
fn worth_trying(text: &str) -> bool {
    const TOP_KIND: &str = "\nkind: ";
    const ITEM_KIND: &str = "\n  kind: ";
    let top_level_list = text
        .rfind(TOP_KIND)
        .and_then(|at| text.get(at + TOP_KIND.len()..))
        .and_then(|rest| rest.lines().next())
        .is_some_and(|kind| crate::yaml::is_list_kind(kind.trim()));
    let has_items = text.starts_with("items:") || text.contains("\nitems:\n");
    let first_item_kind = text
        .find(ITEM_KIND)
        .and_then(|at| text.get(at + ITEM_KIND.len()..))
        .and_then(|rest| rest.lines().next())
        .map(str::trim);
    top_level_list && has_items && first_item_kind.is_some_and(|kind| kind != "ConfigMap")
}

/// Any reason to read the file the general way.
fn give_up<E: de::Error>() -> E {
    E::custom("not a List in kubectl's layout")
}

/// The whole document: `Some(items)` for a non-empty `*List` with an `apiVersion`.
struct ListVisitor;

impl<'de> Visitor<'de> for ListVisitor {
    type Value = Option<Vec<K8sObject>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Kubernetes List")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut api_version, mut kind, mut items) = (false, None, None);
        let mut seen = Seen::default();
        while let Some(key) = map.next_key::<String>()? {
            seen.insert(&key)?;
            match key.as_str() {
                "apiVersion" => {
                    api_version = map.next_value::<LenientString>()?.0.is_some();
                }
                "kind" => kind = map.next_value::<LenientString>()?.0,
                "items" => items = Some(map.next_value_seed(ItemsVisitor)?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let is_list = kind.as_deref().is_some_and(crate::yaml::is_list_kind);
        Ok(items.filter(|items| api_version && is_list && !items.is_empty()))
    }
}

/// `items`: every element an object that names its kind early.
struct ItemsVisitor;

impl<'de> DeserializeSeed<'de> for ItemsVisitor {
    type Value = Vec<K8sObject>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ItemsVisitor {
    type Value = Vec<K8sObject>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of Kubernetes objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut objects = Vec::new();
        while let Some(object) = seq.next_element_seed(ItemVisitor)? {
            objects.push(object);
        }
        Ok(objects)
    }
}

/// One item: the keys before `kind`, then the rest of the object as the type its kind names.
struct ItemVisitor;

impl<'de> DeserializeSeed<'de> for ItemVisitor {
    type Value = K8sObject;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ItemVisitor {
    type Value = K8sObject;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Kubernetes object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut seen = Seen::default();
        let mut data_keys: Option<KeyNames> = None;
        loop {
            let Some(key) = map.next_key::<String>()? else {
                return Err(give_up());
            };
            seen.insert(&key)?;
            match key.as_str() {
                // No object type reads these.
                "apiVersion" | "binaryData" | "immutable" => {
                    map.next_value::<IgnoredAny>()?;
                }
                // Key names only: values are skipped unread whatever the kind turns out to be.
                "data" => data_keys = Some(map.next_value()?),
                "kind" => {
                    let LenientString(Some(kind)) = map.next_value()? else {
                        return Err(give_up());
                    };
                    let rest = de::value::MapAccessDeserializer::new(Rest { map, seen });
                    return match (kind.as_str(), data_keys) {
                        ("Secret", keys) => k8s::secret_after_kind(rest, keys.unwrap_or_default())
                            .map(K8sObject::Secret),
                        // A ConfigMap's values are kept: its `data` must be read as such.
                        (_, Some(_)) => Err(give_up()),
                        (kind, None) => KindSeed { kind: Some(kind) }.deserialize(rest),
                    };
                }
                _ => return Err(give_up()),
            }
        }
    }
}

/// The keys of one mapping so far: a repeated key is left to the general path, which
/// reports what it reports for it.
#[derive(Default)]
struct Seen(Vec<String>);

impl Seen {
    fn insert<E: de::Error>(&mut self, key: &str) -> Result<(), E> {
        if self.0.iter().any(|k| k == key) {
            return Err(give_up());
        }
        self.0.push(key.to_owned());
        Ok(())
    }
}

/// The rest of an item's mapping after its `kind`, failing on a key seen before it.
struct Rest<A> {
    map: A,
    seen: Seen,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Rest<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let Some(key) = self.map.next_key::<String>()? else {
            return Ok(None);
        };
        self.seen.insert(&key)?;
        seed.deserialize(key.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partial::Partial;

    /// What the general two-pass path and [`crate::yaml::load`] (one pass where it can) load
    /// from `text`: both results, as text, and whether the one pass was taken.
    fn both_ways(text: &str) -> (String, String, bool) {
        let mut general = Partial::default();
        let general_result = crate::yaml::load_documents("k8s/x.yaml", text, 1, &mut general);
        let mut usual = Partial::default();
        let usual_result = crate::yaml::load("k8s/x.yaml", text, 1, &mut usual);
        (
            format!("{general_result:?} {general:?}"),
            format!("{usual_result:?} {usual:?}"),
            objects(text).is_some(),
        )
    }

    const SECRETS: &str = "apiVersion: v1
items:
- apiVersion: v1
  data:
    password: c2VjcmV0
    token: dG9rZW4=
  kind: Secret
  metadata:
    name: db
    namespace: team-a
  stringData:
    extra: plain-value
  type: Opaque
- apiVersion: v1
  immutable: true
  kind: Secret
  metadata:
    annotations:
      kubectl.kubernetes.io/last-applied-configuration: '{\"data\":{\"k\":\"v\"}}'
      owner: team-b
    name: api
    namespace: team-b
- apiVersion: v1
  kind: Namespace
  metadata:
    labels:
      team: a
    name: team-a
kind: List
metadata:
  resourceVersion: \"\"
";

    #[test]
    fn kubectl_lists_are_read_in_one_pass_with_the_same_result() {
        let (general, usual, one_pass) = both_ways(SECRETS);
        assert!(one_pass);
        assert_eq!(general, usual);
        // Secret values are never read, on either path.
        for secret_text in ["c2VjcmV0", "dG9rZW4=", "plain-value", "\\\"k\\\""] {
            assert!(!usual.contains(secret_text), "{secret_text} in {usual}");
        }
        assert!(
            usual.contains("\"extra\", \"password\", \"token\""),
            "{usual}"
        );
    }

    #[test]
    fn other_layouts_take_the_general_path() {
        let config_map_first = "apiVersion: v1
items:
- apiVersion: v1
  data:
    k: v
  kind: ConfigMap
  metadata:
    name: c
kind: List
";
        let config_map_later =
            SECRETS.replace("kind: Namespace", "data:\n    k: v\n  kind: ConfigMap");
        let metadata_first = SECRETS.replace(
            "- apiVersion: v1\n  kind: Namespace\n  metadata:",
            "- metadata:\n    name: n\n  kind: Namespace\n  spec:",
        );
        let repeated_data = SECRETS.replace("  stringData:", "  data:");
        let two_documents = format!("{SECRETS}---\n{SECRETS}");
        let empty = "apiVersion: v1\nitems: []\nkind: List\n";
        let no_api_version = SECRETS.replacen("apiVersion: v1\nitems:", "items:", 1);
        let not_a_list = SECRETS.replace("kind: List", "kind: Thing");
        for text in [
            config_map_first,
            &config_map_later,
            &metadata_first,
            &repeated_data,
            &two_documents,
            empty,
            &no_api_version,
            &not_a_list,
        ] {
            let (general, usual, one_pass) = both_ways(text);
            assert!(!one_pass, "{text}");
            assert_eq!(general, usual, "{text}");
        }
        // The repeated key is still reported as the general path reports it.
        let (general, _, _) = both_ways(&repeated_data);
        assert!(general.starts_with("Err("), "{general}");
    }

    #[test]
    fn the_labs_yaml_files_load_the_same_both_ways() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
        let files: Vec<_> = crate::walk::list_files(&root)
            .unwrap()
            .files
            .into_iter()
            .map(|entry| entry.path)
            .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
            .collect();
        assert!(files.len() >= 10, "{files:?}");
        let mut one_pass = 0;
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            let (general, usual, fast) = both_ways(&text);
            assert_eq!(general, usual, "{}", path.display());
            one_pass += usize::from(fast);
        }
        assert!(one_pass > 0);
    }
}
