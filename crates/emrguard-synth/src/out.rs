//! Writes files as the tools print them: JSON with four-space indentation (kubectl and the
//! aws CLI), YAML in kubectl's layout, gzip for CloudTrail log files.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::SynthError;

/// The snapshot directory being written, with what was written so far.
#[derive(Debug)]
pub(crate) struct Out {
    root: PathBuf,
    /// Relative path -> size in bytes.
    pub(crate) files: BTreeMap<String, u64>,
}

impl Out {
    pub(crate) fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            files: BTreeMap::new(),
        }
    }

    /// Writes `bytes` at `relative` (with `/` separators), creating directories.
    pub(crate) fn bytes(&mut self, relative: &str, bytes: &[u8]) -> Result<(), SynthError> {
        let path = self.root.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| SynthError::io(parent, &e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| SynthError::io(&path, &e))?;
        self.files.insert(relative.to_owned(), bytes.len() as u64);
        Ok(())
    }

    /// Pretty JSON, four-space indentation, trailing newline.
    pub(crate) fn json(&mut self, relative: &str, value: &Value) -> Result<(), SynthError> {
        let bytes = to_json(value)?;
        self.bytes(relative, &bytes)
    }

    /// YAML, as `kubectl get -o yaml` prints it.
    pub(crate) fn yaml(&mut self, relative: &str, value: &Value) -> Result<(), SynthError> {
        let text =
            serde_yaml_ng::to_string(value).map_err(|e| SynthError::Encode(e.to_string()))?;
        self.bytes(relative, text.as_bytes())
    }

    /// Compact JSON, gzip-compressed: CloudTrail's own log-file format.
    pub(crate) fn json_gz(&mut self, relative: &str, value: &Value) -> Result<(), SynthError> {
        let raw = serde_json::to_vec(value).map_err(|e| SynthError::Encode(e.to_string()))?;
        let mut encoder = flate2::write::GzEncoder::new(
            Vec::with_capacity(raw.len() / 4),
            flate2::Compression::fast(),
        );
        encoder
            .write_all(&raw)
            .map_err(|e| SynthError::Encode(e.to_string()))?;
        let gz = encoder
            .finish()
            .map_err(|e| SynthError::Encode(e.to_string()))?;
        self.bytes(relative, &gz)
    }

    /// A Kubernetes `kind: List` as kubectl prints it, in JSON or YAML by the file's extension.
    pub(crate) fn k8s_list(
        &mut self,
        relative: &str,
        mut items: Vec<Value>,
    ) -> Result<(), SynthError> {
        in_api_order(&mut items);
        let list = serde_json::json!({
            "apiVersion": "v1",
            "items": items,
            "kind": "List",
            "metadata": {"resourceVersion": ""},
        });
        if relative.ends_with(".yaml") {
            self.yaml(relative, &list)
        } else {
            self.json(relative, &list)
        }
    }
}

/// Puts a list's items in the order kubectl prints them: the API server lists each kind by
/// namespace and name, and `kubectl get KIND,KIND` prints one kind's list after the other
/// (here in the order each kind first appears).
fn in_api_order(items: &mut [Value]) {
    let mut kinds: Vec<String> = Vec::new();
    items.sort_by_cached_key(|item| {
        let kind = item["kind"].as_str().unwrap_or_default();
        let group = kinds.iter().position(|k| k == kind).unwrap_or_else(|| {
            kinds.push(kind.to_owned());
            kinds.len() - 1
        });
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        (
            group,
            text(&item["metadata"]["namespace"]),
            text(&item["metadata"]["name"]),
        )
    });
}

/// Pretty JSON with four-space indentation and a trailing newline.
pub(crate) fn to_json(value: &Value) -> Result<Vec<u8>, SynthError> {
    let mut buf = Vec::with_capacity(4096);
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
    serde::Serialize::serialize(value, &mut ser).map_err(|e| SynthError::Encode(e.to_string()))?;
    buf.push(b'\n');
    Ok(buf)
}
