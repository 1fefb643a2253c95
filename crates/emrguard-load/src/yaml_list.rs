//! A Kubernetes List in YAML read in one pass, when it has the layout kubectl prints.
//!
//! The general YAML path ([`crate::yaml`]) reads each document twice: once for the kinds,
//! once for the objects, because an object's keys come in alphabetical order and a Secret's
//! `data` comes before its `kind`, so that its values, which must never be read, cannot be
//! told from a ConfigMap's, which are kept. This reads a List once: each item's kind is first
//! taken from the text (the `  kind: ` line of kubectl's layout), which says how to read a
//! `data` that comes before the parsed `kind` (a ConfigMap's values, anything else's key names
//! only, values skipped unread); a `data` read one way for an object of the other kind is not
//! used. It gives up on anything else: a second document, such a `data`, an item with other
//! keys before its kind, a key repeated, an empty list, or any error. The caller then reads
//! the file the general way, which also reports errors, so what is loaded and every message
//! are the same either way.
//!
//! A Secret's values are read only if its text names another kind at an item's top level
//! before its own `kind` line, which kubectl never prints (it prints a Secret's `data` values
//! in base64, on one line each); they are then dropped at once, with the file read again the
//! general way.

use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, IgnoredAny, IntoDeserializer, MapAccess, SeqAccess,
    Visitor,
};

use emrguard_model::k8s::StringMap;

use crate::k8s::{self, K8sObject, KeyNames, KindSeed};
use crate::yaml::LenientString;

/// The objects of a file holding one `kind: *List` YAML document in kubectl's layout; `None`
/// when the file must be read the general way.
pub(crate) fn objects(text: &str) -> Option<Vec<K8sObject>> {
    // Parsing is the cost: a file that will not fit is not tried.
    if !worth_trying(text) {
        return None;
    }
    let kinds = item_kinds(text);
    let mut documents = serde_yaml_ng::Deserializer::from_str(text);
    let list = documents
        .next()?
        .deserialize_map(ListVisitor { kinds: &kinds })
        .ok()?;
    if documents.next().is_some() {
        return None;
    }
    list
}

/// Whether the text looks like a List as kubectl prints it (`items:` and `kind: ...List` at
/// the top level). Only a guess: the pass itself checks.
fn worth_trying(text: &str) -> bool {
    const TOP_KIND: &str = "\nkind: ";
    let top_level_list = text
        .rfind(TOP_KIND)
        .and_then(|at| text.get(at + TOP_KIND.len()..))
        .and_then(|rest| rest.lines().next())
        .is_some_and(|kind| crate::yaml::is_list_kind(kind.trim()));
    let has_items = text.starts_with("items:") || text.contains("\nitems:\n");
    top_level_list && has_items
}

/// The kind each item of the top-level `items:` names in kubectl's layout (items start with
/// `- ` at the line's start, their keys are indented by two spaces), in order; `None` for an
/// item without such a line. Only a hint: a `data` read the wrong way for the kind the parse
/// finds is not used.
fn item_kinds(text: &str) -> Vec<Option<&str>> {
    let mut kinds = Vec::new();
    let mut in_items = false;
    for line in text.lines() {
        if !in_items {
            in_items = line == "items:";
            continue;
        }
        if let Some(rest) = line.strip_prefix("- ") {
            kinds.push(rest.strip_prefix("kind: ").map(str::trim));
        } else if let Some(kind) = line.strip_prefix("  kind: ") {
            if let Some(last @ None) = kinds.last_mut() {
                *last = Some(kind.trim());
            }
        } else if !line.is_empty() && !line.starts_with(' ') {
            // The next top-level key.
            break;
        }
    }
    kinds
}

/// Any reason to read the file the general way.
fn give_up<E: de::Error>() -> E {
    E::custom("not a List in kubectl's layout")
}

/// The whole document: `Some(items)` for a non-empty `*List` with an `apiVersion`.
struct ListVisitor<'k> {
    /// Each item's kind as the text gives it.
    kinds: &'k [Option<&'k str>],
}

impl<'de> Visitor<'de> for ListVisitor<'_> {
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
                "items" => items = Some(map.next_value_seed(ItemsVisitor { kinds: self.kinds })?),
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
struct ItemsVisitor<'k> {
    kinds: &'k [Option<&'k str>],
}

impl<'de> DeserializeSeed<'de> for ItemsVisitor<'_> {
    type Value = Vec<K8sObject>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ItemsVisitor<'_> {
    type Value = Vec<K8sObject>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of Kubernetes objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut objects = Vec::new();
        loop {
            let kind = self.kinds.get(objects.len()).copied().flatten();
            match seq.next_element_seed(ItemVisitor { kind })? {
                Some(object) => objects.push(object),
                None => break,
            }
        }
        Ok(objects)
    }
}

/// One item: the keys before `kind`, then the rest of the object as the type its kind names.
struct ItemVisitor<'k> {
    /// The item's kind as the text gives it.
    kind: Option<&'k str>,
}

impl<'de> DeserializeSeed<'de> for ItemVisitor<'_> {
    type Value = K8sObject;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

/// A `data` read before the item's `kind`.
enum DataBeforeKind {
    /// A ConfigMap's, by the text: its values.
    Values(StringMap),
    /// Anything else's: key names only, values skipped unread.
    Keys(KeyNames),
}

impl<'de> Visitor<'de> for ItemVisitor<'_> {
    type Value = K8sObject;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Kubernetes object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut seen = Seen::default();
        let mut data: Option<DataBeforeKind> = None;
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
                "data" if self.kind == Some("ConfigMap") => {
                    let values = map.next_value::<Option<StringMap>>()?;
                    data = Some(DataBeforeKind::Values(values.unwrap_or_default()));
                }
                "data" => data = Some(DataBeforeKind::Keys(map.next_value()?)),
                "kind" => {
                    let LenientString(Some(kind)) = map.next_value()? else {
                        return Err(give_up());
                    };
                    let rest = de::value::MapAccessDeserializer::new(Rest { map, seen });
                    return match (kind.as_str(), data) {
                        ("Secret", Some(DataBeforeKind::Keys(keys))) => {
                            k8s::secret_after_kind(rest, keys).map(K8sObject::Secret)
                        }
                        ("Secret", None) => {
                            k8s::secret_after_kind(rest, KeyNames::default()).map(K8sObject::Secret)
                        }
                        ("ConfigMap", Some(DataBeforeKind::Values(values))) => {
                            k8s::config_map_after_kind(rest, values).map(K8sObject::ConfigMap)
                        }
                        // Read the wrong way for its kind, or a `data` no object type reads.
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
    fn config_maps_are_read_in_one_pass_with_their_values() {
        let config_map_first = "apiVersion: v1
items:
- apiVersion: v1
  data:
    k: v
    spark-defaults.conf: |
      spark.master k8s://https://kubernetes.default.svc:443
      kind: not-a-key
  kind: ConfigMap
  metadata:
    name: c
    namespace: team-a
kind: List
";
        let config_map_later =
            SECRETS.replace("kind: Namespace", "data:\n    k: v\n  kind: ConfigMap");
        let empty_data = config_map_first.replace(
            "  data:\n    k: v\n    spark-defaults.conf: |\n      spark.master k8s://https://kubernetes.default.svc:443\n      kind: not-a-key\n",
            "  data: null\n",
        );
        for text in [config_map_first, &config_map_later, &empty_data] {
            let (general, usual, one_pass) = both_ways(text);
            assert!(one_pass, "{text}");
            assert_eq!(general, usual, "{text}");
        }
        let (_, usual, _) = both_ways(config_map_first);
        assert!(usual.contains("kind: not-a-key"), "{usual}");
        let (_, usual, _) = both_ways(&config_map_later);
        assert!(!usual.contains("c2VjcmV0"), "{usual}");
    }

    #[test]
    fn a_kind_the_text_gives_wrongly_takes_the_general_path() {
        // A flow mapping whose second line, at an item key's indentation, reads like the
        // item's kind: the text says ConfigMap, the parse finds a Secret.
        let disguised = "apiVersion: v1
items:
- apiVersion: v1
  data: {password: c2VjcmV0,
  kind: ConfigMap
  }
  kind: Secret
  metadata:
    name: db
kind: List
";
        assert_eq!(item_kinds(disguised), [Some("ConfigMap")]);
        let (general, usual, one_pass) = both_ways(disguised);
        assert!(!one_pass);
        assert_eq!(general, usual);
        assert!(!usual.contains("c2VjcmV0"), "{usual}");
        assert!(usual.contains("\"password\""), "{usual}");
        // The other way round: a ConfigMap the text calls a Secret.
        let config_map = "apiVersion: v1
items:
- apiVersion: v1
  data: {k: v,
  kind: Secret
  }
  kind: ConfigMap
  metadata:
    name: c
kind: List
";
        let (general, usual, one_pass) = both_ways(config_map);
        assert!(!one_pass);
        assert_eq!(general, usual);
        // No kind line in kubectl's place: a Secret's data is read as key names, the safe way.
        let no_kind_line = SECRETS.replace(
            "  kind: Secret\n  metadata:\n    name: db",
            "  kind:\n    Secret\n  metadata:\n    name: db",
        );
        assert_eq!(item_kinds(&no_kind_line).first(), Some(&None));
        let (general, usual, one_pass) = both_ways(&no_kind_line);
        assert!(one_pass);
        assert_eq!(general, usual);
        assert!(!usual.contains("c2VjcmV0"), "{usual}");
    }

    #[test]
    fn item_kinds_follow_kubectls_layout() {
        assert_eq!(
            item_kinds(SECRETS),
            [Some("Secret"), Some("Secret"), Some("Namespace")]
        );
        let kind_first = "items:\n- kind: Role\n  metadata: {}\n- apiVersion: v1\n\n  kind: Pod\nkind: List\n  kind: Node\n";
        assert_eq!(item_kinds(kind_first), [Some("Role"), Some("Pod")]);
        assert!(item_kinds("kind: List\n").is_empty());
    }

    #[test]
    fn other_layouts_take_the_general_path() {
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

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        /// Whatever the text (a kubectl List of Secrets, ConfigMaps and a Namespace with
        /// bytes replaced, removed or inserted), the one pass, when it is taken, loads what
        /// the general path loads.
        #[test]
        fn the_one_pass_loads_what_the_general_path_loads(
            edits in crate::test_edits::edits(b" :-\n{}[],kaK|")
        ) {
            let base = SECRETS.replace("kind: Namespace", "data:\n    k: v\n  kind: ConfigMap");
            let text = crate::test_edits::edited(&base, &edits);
            let (general, usual, _) = both_ways(&text);
            proptest::prop_assert_eq!(general, usual, "{}", text);
        }
    }
}
