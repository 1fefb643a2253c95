//! Nothing may panic on any input: arbitrary bytes and mutated real files. With `keep_going`
//! an in-memory load never fails either: every bad file becomes a skipped file.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use emrguard_load::{load_files, LoadError, LoadOptions, SnapshotFile};
use proptest::prelude::*;

const NAMES: &[&str] = &["f.json", "f.yaml", "f", "f.json.gz", "k8s/pods.yml"];

/// Every fixture file (text and gzip), read once.
fn fixtures() -> &'static [Vec<u8>] {
    static FILES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    FILES.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
        let mut pending: Vec<PathBuf> = vec![root];
        let mut files = Vec::new();
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    pending.push(path);
                } else if let Ok(bytes) = std::fs::read(&path) {
                    files.push(bytes);
                }
            }
        }
        files.sort();
        files
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, u8),
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (
            any::<usize>(),
            prop::sample::select(b"{}[]:,\"\\ \n-#&*!|>0a\xff".to_vec())
        )
            .prop_map(|(at, b)| Mutation::Replace(at, b)),
        (any::<usize>(), 0usize..64).prop_map(|(at, n)| Mutation::Delete(at, n)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 0..16))
            .prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len().max(1);
        match m {
            Mutation::Replace(at, b) => {
                if let Some(slot) = bytes.get_mut(at % len) {
                    *slot = *b;
                }
            }
            Mutation::Delete(at, n) => {
                let start = at % len;
                let end = (start + n).min(bytes.len());
                if start < end {
                    bytes.drain(start..end);
                }
            }
            Mutation::Insert(at, insert) => {
                let at = (at % len).min(bytes.len());
                bytes.splice(at..at, insert.iter().copied());
            }
            Mutation::Truncate(at) => bytes.truncate(at % len),
        }
    }
    bytes
}

fn check(name: &str, bytes: Vec<u8>) -> Result<(), TestCaseError> {
    let files = vec![SnapshotFile {
        path: name.to_owned(),
        bytes,
    }];
    // Without keep-going: any outcome but a panic.
    let strict = load_files(files.clone(), &LoadOptions::default());
    if let Err(LoadError::Malformed { file, .. }) = &strict {
        prop_assert_eq!(file.as_str(), name);
    }
    // With keep-going: never an error.
    let lenient = load_files(files, &LoadOptions { keep_going: true });
    prop_assert!(lenient.is_ok(), "{:?}", lenient.err());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(name in prop::sample::select(NAMES), bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        check(name, bytes)?;
    }

    #[test]
    fn mutated_fixtures(
        index in any::<prop::sample::Index>(),
        name in prop::sample::select(NAMES),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let files = fixtures();
        prop_assume!(!files.is_empty());
        let original = index.get(files).clone();
        check(name, apply(original, &mutations))?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Whatever path parses a file, text that is not JSON never loads from a `.json` file.
    #[test]
    fn invalid_json_is_never_accepted(
        index in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let files = fixtures();
        prop_assume!(!files.is_empty());
        let bytes = apply(index.get(files).clone(), &mutations);
        let Ok(text) = std::str::from_utf8(&bytes) else {
            return Ok(());
        };
        prop_assume!(!text.starts_with('\u{feff}') && !bytes.starts_with(&[0x1f, 0x8b]));
        let valid = serde_json::Deserializer::from_str(text)
            .into_iter::<serde::de::IgnoredAny>()
            .all(|value| value.is_ok());
        if !valid {
            let result = load_files(
                vec![SnapshotFile { path: "f.json".into(), bytes: bytes.clone() }],
                &LoadOptions::default(),
            );
            prop_assert!(result.is_err(), "invalid JSON loaded: {}", text);
        }
    }
}

#[test]
fn fixtures_are_found() {
    assert!(fixtures().len() > 40, "{}", fixtures().len());
}
