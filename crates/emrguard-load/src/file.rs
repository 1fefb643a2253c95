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
use serde::de::DeserializeSeed as _;

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

/// Reads one file's bytes, on up to `threads` threads (a large list is split between them).
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
        let read_once = load_kubernetes_list_once(relative, &text, threads, &mut out).is_some()
            || {
                out = Partial::default();
                aws::load_auth_details_once(relative, &text, threads, &mut out).is_some()
            };
        let fast = if read_once {
            Ok(Vec::new())
        } else {
            out = Partial::default();
            load_json(relative, &text, threads, true, &mut out)
        };
        if fast.is_ok() {
            fast
        } else {
            // The loose scan may have split invalid JSON differently: read it again the
            // strict way, which reports the error.
            out = Partial::default();
            load_json(relative, &text, threads, false, &mut out)
        }
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

/// A Kubernetes List (`kubectl get -o json`) not to be parsed on several threads (`threads`
/// is 1, or it is at most [`PARALLEL_BYTES`]), each item read once: typed as it is found, its
/// end given by the parser, instead of located by a scan first. `None` when the file is of
/// another shape or anything is unusual, an error included; then it must be read the usual
/// way, which reports errors.
fn load_kubernetes_list_once(
    relative: &str,
    text: &str,
    threads: usize,
    out: &mut Partial,
) -> Option<()> {
    if threads > 1 && text.len() > PARALLEL_BYTES {
        return None;
    }
    // Each item goes straight into `out` as it is read (an intermediate list of a file's
    // objects was copied twice, and at 500 bytes an object it was 10% of the memory first
    // touched). What was added is of no use if the file is not such a List after all: the
    // caller then starts again from an empty `out`.
    let mut lines = decode::LineCounter::new(text);
    let mut items = 0;
    let entries = crate::scan::scan_with_items(text, |start| {
        let KindScan::Found(kind) = json::scan_kind(text.get(start..)?) else {
            return None;
        };
        let (object, end) = crate::scan::read_value_at(text, start, |de| {
            KindSeed { kind: Some(kind) }.deserialize(de)
        })?;
        let source = source_at(relative, Some(lines.line_at(start)));
        // An item the model refuses is reported by the usual reading.
        k8s::add_object(object, source, Some(items), out).ok()?;
        items += 1;
        Some(end)
    })?;
    let doc = json::scanned_document(text, entries).ok()?;
    let kind = doc.string("kind")?;
    if doc.raw("apiVersion").is_none() || !yaml::is_list_kind(&kind) || items == 0 {
        return None;
    }
    Some(())
}

/// Reads the JSON documents of a file. Returns why documents were not recognised.
fn load_json(
    relative: &str,
    text: &str,
    threads: usize,
    loose: bool,
    out: &mut Partial,
) -> Result<Vec<String>, FileError> {
    let docs = if loose {
        json::parse_documents_loose(text)?
    } else {
        json::parse_documents(text, Origin::File)?
    };
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
    let source = |line: Option<usize>| source_at(relative, line);
    let kind = doc.string("kind").unwrap_or_default();
    if !yaml::is_list_kind(&kind) {
        let element = doc.whole();
        let object = element.parse_seed(KindSeed {
            kind: Some(kind.as_str()),
        })?;
        k8s::add_object(object, source(element.line), None, out)?;
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
        k8s::add_object(object, source(line), Some(i), out)?;
    }
    doc.check_unread(|key| key == "items")?;
    Ok(None)
}

/// Where an object at `line` of `file` was read. Every object of a file shares one copy of
/// its path: a snapshot has hundreds of thousands of objects in a few thousand files.
pub(crate) fn source_at(file: &str, line: Option<usize>) -> Source {
    thread_local! {
        static LAST: std::cell::RefCell<Option<std::sync::Arc<str>>> =
            const { std::cell::RefCell::new(None) };
    }
    let shared = LAST.with(|last| {
        let mut last = last.borrow_mut();
        match last.as_ref() {
            Some(path) if **path == *file => path.clone(),
            _ => {
                let path: std::sync::Arc<str> = file.into();
                *last = Some(path.clone());
                path
            }
        }
    });
    Source::new(shared, line.and_then(|l| u32::try_from(l).ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict(text: &str) -> Result<Vec<String>, FileError> {
        load_json("x.json", text, 1, false, &mut Partial::default())
    }

    fn malformed(outcome: FileOutcome) -> Option<FileError> {
        match outcome {
            FileOutcome::Malformed(e) => Some(e),
            _ => None,
        }
    }

    #[test]
    fn errors_are_those_of_the_strict_scan() {
        for text in [
            // Brackets that do not balance inside an object: the loose scan splits the list
            // where the braces balance, and the strict one declines.
            "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n{\"kind\": \"Pod\", \"a\": [},\n{\"kind\": \"Pod\", \"metadata\": {\"name\": \"p\"}}]}\n",
            "{\"RoleDetailList\": [{\"RoleName\": \"r\", \"x\": [1}, {\"RoleName\": 5}]}",
            "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [{\"kind\": \"Pod\", \"spec\": 5}]}",
            "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [{\"kind\": \"Pod\", \"spec\": 5}, {\"kind\": \"Pod\", \"a\": [}]}",
        ] {
            let expected = strict(text).err();
            assert!(expected.is_some(), "{text}");
            if text.contains("\"spec\": 5}, {") {
                // Read loosely, the bad `spec` of the first item would be reported instead.
                let loose = load_json("x.json", text, 1, true, &mut Partial::default()).err();
                assert_ne!(loose, expected);
            }
            assert_eq!(malformed(process("x.json", text.as_bytes(), 1)), expected, "{text}");
        }
    }

    fn usual(text: &str) -> (String, Option<Vec<String>>) {
        let mut out = Partial::default();
        let result = load_json("k8s/pods.json", text, 1, false, &mut out).ok();
        (format!("{:?}", out), result)
    }

    /// A kubectl List of pods, an event, a Secret and aws-auth.
    const PODS: &str = r#"{
    "apiVersion": "v1",
    "items": [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "a", "namespace": "n", "labels": {"x": "}]"}},
            "spec": {"containers": [{"name": "c", "image": "i", "env": [{"name": "E", "value": "[{"}]}]}
        },
        {"kind": "Event", "metadata": {"name": "e"}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "Q0FOQVJZ"}},
        {"apiVersion": "v1", "data": {"mapRoles": "- rolearn: arn:aws:iam::1:role/r\n  groups: [g]\n"},
         "kind": "ConfigMap", "metadata": {"name": "aws-auth", "namespace": "kube-system"}}
    ],
    "kind": "List",
    "metadata": {"resourceVersion": ""}
}
"#;

    #[test]
    fn lists_read_once_equal_lists_read_after_a_scan() {
        let pods = PODS;
        let mut out = Partial::default();
        let once = load_kubernetes_list_once("k8s/pods.json", pods, 2, &mut out);
        assert_eq!(once, Some(()));
        assert_eq!(out.inv.pods.len(), 1);
        assert_eq!(out.inv.pods.first().and_then(|p| p.source.line), Some(4));
        assert_eq!((format!("{out:?}"), Some(Vec::new())), usual(pods));

        for other in [
            // Not read in one pass: items without a kind, an empty or null list, not a
            // List, concatenated documents.
            r#"{"apiVersion": "v1", "items": [{"metadata": {"name": "a"}}], "kind": "PodList"}"#,
            r#"{"apiVersion": "v1", "items": [], "kind": "List"}"#,
            r#"{"apiVersion": "v1", "items": null, "kind": "List"}"#,
            r#"{"apiVersion": "v1", "items": [{"kind": "Pod"}], "kind": "Pod"}"#,
            r#"{"items": [{"kind": "Pod"}], "kind": "List"}"#,
            r#"{"apiVersion": "v1", "items": [{"kind": "Pod"}], "kind": "List"} {"a": 1}"#,
            // Errors: left to the usual reading.
            r#"{"apiVersion": "v1", "items": [{"kind": "Pod", "spec": 5}], "kind": "List"}"#,
            r#"{"apiVersion": "v1", "items": [{"kind": "Pod"}], "kind": "List", "metadata": {"a": [}}"#,
        ] {
            let mut out = Partial::default();
            let once = load_kubernetes_list_once("k8s/pods.json", other, 2, &mut out);
            assert_eq!(once, None, "{other}");
        }
    }

    /// A page of authorization details with a group, a managed policy and a role.
    const AUTH_DETAILS_PAGE: &str = r#"{"GroupDetailList": [{"GroupName": "g", "Arn": "arn:aws:iam::1:group/g"}],
"Policies": [{"PolicyName": "p", "Arn": "arn:aws:iam::1:policy/p", "DefaultVersionId": "v1",
  "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true,
    "Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}}]}],
"RoleDetailList": [{"RoleName": "r", "Arn": "arn:aws:iam::1:role/r", "Path": "/",
  "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []},
  "AttachedManagedPolicies": [{"PolicyName": "p", "PolicyArn": "arn:aws:iam::1:policy/p"}]}],
"UserDetailList": [], "IsTruncated": false}"#;

    #[test]
    fn the_sample_page_is_read_once() {
        let mut out = Partial::default();
        let once = aws::load_auth_details_once("aws/iam/a.json", AUTH_DETAILS_PAGE, 1, &mut out);
        assert!(once.is_some());
        assert_eq!(
            (out.inv.iam_roles.len(), out.inv.managed_policies.len()),
            (1, 1)
        );
        assert_eq!(out.inv.iam_groups.len(), 1);
    }

    /// What the usual reading of an aws CLI file loads.
    fn usual_aws(file: &str, text: &str) -> String {
        let mut out = Partial::default();
        let result = load_json(file, text, 1, false, &mut out);
        format!("{result:?} {out:?}")
    }

    #[test]
    fn authorization_details_read_once_equal_those_read_after_a_scan() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
        let mut read_once = 0;
        for lab in ["insecure-lab", "hardened-lab"] {
            let dir = root.join(lab).join("aws/iam");
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let text = std::fs::read_to_string(&path).unwrap();
                let file = format!("aws/iam/{}", path.file_name().unwrap().to_string_lossy());
                let mut out = Partial::default();
                if aws::load_auth_details_once(&file, &text, 1, &mut out).is_some() {
                    read_once += 1;
                    assert_eq!(format!("Ok([]) {out:?}"), usual_aws(&file, &text), "{file}");
                }
            }
        }
        assert!(read_once >= 3, "{read_once}");

        let page = r#"{
    "UserDetailList": [{"UserName": "u", "Arn": "arn:aws:iam::1:user/u", "UserPolicyList": []}],
    "RoleDetailList": [
        {"RoleName": "r", "Arn": "arn:aws:iam::1:role/r", "Path": "/",
         "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}}
    ],
    "Policies": [],
    "IsTruncated": true,
    "Marker": "abc"
}"#;
        let mut out = Partial::default();
        assert!(aws::load_auth_details_once("aws/iam/p.page-1.json", page, 1, &mut out).is_some());
        assert_eq!(
            out.inv.iam_roles.first().and_then(|r| r.source.line),
            Some(4)
        );
        assert_eq!(
            format!("Ok([]) {out:?}"),
            usual_aws("aws/iam/p.page-1.json", page)
        );

        for other in [
            // Other keys, or nothing recognised: the usual reading.
            r#"{"RoleDetailList": [], "SecurityGroups": []}"#,
            r#"{"Policies": [{"PolicyName": "p", "Arn": "arn:aws:iam::1:policy/p"}]}"#,
            r#"{"RoleDetailList": [], "RoleDetailList": []}"#,
            r#"{"RoleDetailList": {}}"#,
            // Errors: left to the usual reading.
            r#"{"RoleDetailList": [{"RoleName": 5}]}"#,
            r#"{"RoleDetailList": [{"RoleName": "r"} {"RoleName": "s"}]}"#,
            r#"{"RoleDetailList": [], "Marker": [}"#,
        ] {
            let mut out = Partial::default();
            let once = aws::load_auth_details_once("aws/iam/x.json", other, 1, &mut out);
            assert!(once.is_none(), "{other}");
        }
        // A large page is split between threads the usual way, unless it has one thread.
        let large = format!(
            r#"{{"RoleDetailList": [], "Marker": "{}"}}"#,
            "m".repeat(PARALLEL_BYTES)
        );
        let mut out = Partial::default();
        assert!(aws::load_auth_details_once("aws/iam/x.json", &large, 2, &mut out).is_none());
        assert!(aws::load_auth_details_once("aws/iam/x.json", &large, 1, &mut out).is_some());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        /// Whatever the text (a kubectl List with bytes replaced, removed or inserted), the one
        /// pass, when it is taken, loads what the usual reading loads.
        #[test]
        fn lists_once_load_what_the_usual_reading_loads(
            edits in crate::test_edits::edits(b" :\n{}[],\"0aP")
        ) {
            let text = crate::test_edits::edited(PODS, &edits);
            let mut out = Partial::default();
            if load_kubernetes_list_once("k8s/pods.json", &text, 2, &mut out).is_some() {
                proptest::prop_assert_eq!((format!("{out:?}"), Some(Vec::new())), usual(&text), "{}", text);
            }
        }

        /// Whatever the text (a page of authorization details with bytes replaced, removed or
        /// inserted), the one pass, when it is taken, loads what the usual reading loads.
        #[test]
        fn authorization_details_once_load_what_the_usual_reading_loads(
            edits in crate::test_edits::edits(b" :\n{}[],\"0aP")
        ) {
            let text = crate::test_edits::edited(AUTH_DETAILS_PAGE, &edits);
            let mut out = Partial::default();
            if aws::load_auth_details_once("aws/iam/a.json", &text, 1, &mut out).is_some() {
                proptest::prop_assert_eq!(
                    format!("Ok([]) {out:?}"),
                    usual_aws("aws/iam/a.json", &text),
                    "{}",
                    text
                );
            }
        }
    }
}
