//! Where an object came from.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// The file (relative to the snapshot root) and, where known, the 1-based line of an object.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Source {
    /// Path of the file, relative to the snapshot directory, with `/` separators. Shared by
    /// every object of the file (a snapshot holds hundreds of thousands of objects).
    pub file: Arc<str>,
    /// 1-based line of the start of the object, when the loader could tell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

impl Source {
    /// A source in `file` at `line`.
    pub fn new(file: impl Into<Arc<str>>, line: Option<u32>) -> Self {
        Self {
            file: file.into(),
            line,
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}", self.file, line),
            None => write!(f, "{}", self.file),
        }
    }
}
