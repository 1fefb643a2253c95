//! Any bytes, as any kind of snapshot file: the loader returns a result and never panics,
//! and with `keep_going` it never fails.
#![no_main]

use emrguard_load::{load_files, LoadOptions, SnapshotFile};
use libfuzzer_sys::fuzz_target;

/// The first input byte picks the file name, so one target reaches the JSON, YAML, sniffing
/// and gzip paths.
const NAMES: &[&str] = &["f.json", "f.yaml", "f", "f.json.gz", "k8s/pods.yml"];

fuzz_target!(|data: &[u8]| {
    let (name, bytes) = match data.split_first() {
        Some((first, rest)) => (NAMES[usize::from(*first) % NAMES.len()], rest),
        None => ("f.json", data),
    };
    let files = vec![SnapshotFile {
        path: name.to_owned(),
        bytes: bytes.to_vec(),
    }];
    let _ = load_files(files.clone(), &LoadOptions::default());
    let lenient = load_files(files, &LoadOptions { keep_going: true });
    assert!(lenient.is_ok(), "keep-going failed: {lenient:?}");
});
