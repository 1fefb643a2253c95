//! The EMR on EKS release catalog: for each release line (`7.12.0`), its newest dated release
//! and end of support. A checked-in catalog is the default; `--release-catalog FILE` replaces it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The built-in catalog (see `data/README.md` for its source and date).
const BUILTIN: &str = include_str!("../data/emr-on-eks-releases.json");

/// One release line, e.g. `7.12.0`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ReleaseLine {
    /// The newest dated release label of the line, e.g. `emr-7.12.0-20251111`.
    pub latest: String,
    /// `YYYY-MM-DD` after which the line is out of support, when announced.
    pub end_of_support: Option<String>,
}

/// The catalog.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ReleaseCatalog {
    /// Where the data came from.
    pub source: String,
    /// When it was compiled (`YYYY-MM-DD`).
    pub date: String,
    /// Lines by version (`7.12.0`).
    pub lines: BTreeMap<String, ReleaseLine>,
}

/// A parsed release label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseLabel {
    /// `X.Y.Z`.
    pub version: String,
    /// `YYYYMMDD` for dated labels.
    pub date: Option<String>,
    /// Whether it is a `-latest` label (always the newest of its line).
    pub latest: bool,
}

/// Parses `emr-X.Y.Z-latest`, `emr-X.Y.Z-YYYYMMDD` and their `-flink-` variants.
pub fn parse_release_label(label: &str) -> Option<ReleaseLabel> {
    let rest = label.strip_prefix("emr-")?;
    let (version, suffix) = rest.split_once('-').unwrap_or((rest, ""));
    let parts: Vec<&str> = version.split('.').collect();
    if parts.len() != 3 || !parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let suffix = suffix.strip_prefix("flink-").unwrap_or(suffix);
    let (date, latest) = match suffix {
        "latest" => (None, true),
        "" => (None, false),
        d if d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()) => (Some(d.to_owned()), false),
        _ => return None,
    };
    Some(ReleaseLabel {
        version: version.to_owned(),
        date,
        latest,
    })
}

/// Compares versions `X.Y.Z` numerically.
pub fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    let parse = |v: &str| -> Vec<u32> { v.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    parse(a).cmp(&parse(b))
}

impl ReleaseCatalog {
    /// The built-in catalog.
    pub fn builtin() -> Self {
        // The built-in file is validated by a unit test, so this only falls back on a broken build.
        Self::from_json(BUILTIN).unwrap_or_default()
    }

    /// Parses a catalog file.
    ///
    /// # Errors
    /// The JSON error, naming line and column.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The line of a version.
    pub fn line(&self, version: &str) -> Option<&ReleaseLine> {
        self.lines.get(version)
    }

    /// The newest line in the catalog.
    pub fn newest_line(&self) -> Option<&str> {
        self.lines
            .keys()
            .max_by(|a, b| compare_versions(a, b))
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_parses_and_is_consistent() {
        let cat = ReleaseCatalog::from_json(BUILTIN).unwrap();
        assert!(!cat.lines.is_empty());
        for (version, line) in &cat.lines {
            let parsed = parse_release_label(&line.latest).unwrap();
            assert_eq!(&parsed.version, version, "{}", line.latest);
            assert!(parsed.date.is_some(), "{}", line.latest);
        }
    }

    #[test]
    fn labels() {
        let l = parse_release_label("emr-6.15.0-20231109").unwrap();
        assert_eq!(l.version, "6.15.0");
        assert_eq!(l.date.as_deref(), Some("20231109"));
        assert!(parse_release_label("emr-7.12.0-latest").unwrap().latest);
        assert!(parse_release_label("emr-7.1.0-flink-latest").unwrap().latest);
        assert!(parse_release_label("6.15.0").is_none());
        assert_eq!(compare_versions("6.15.0", "6.9.0"), std::cmp::Ordering::Greater);
    }
}
