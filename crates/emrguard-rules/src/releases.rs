//! The EMR on EKS release catalog: for each release line (`7.12.0`), its newest dated release
//! and end of support. A checked-in catalog is the default; `--release-catalog FILE` replaces it.
//!
//! The catalog carries its own `date`: support is judged as of that date, never the clock, so
//! an audit of the same snapshot with the same catalog always gives the same answer.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The built-in catalog (see `data/README.md` for its source and date).
const BUILTIN: &str = include_str!("../data/emr-on-eks-releases.json");

/// One release line, e.g. `7.12.0`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ReleaseLine {
    /// The newest dated release label of the line, e.g. `emr-7.12.0-20251111`, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest: Option<String>,
    /// Whether `latest` is only the newest release the compiler of the catalog could confirm
    /// (for example the initial release), so a newer one may exist.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub latest_is_lower_bound: bool,
    /// `YYYY-MM-DD` on which the line's support ends, when AWS publishes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_of_support: Option<String>,
    /// Where a doubtful value came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl ReleaseLine {
    /// The parsed `latest` label, when it is a valid dated label.
    pub fn latest_label(&self) -> Option<ReleaseLabel> {
        self.latest
            .as_deref()
            .and_then(parse_release_label)
            .filter(|l| l.date.is_some())
    }
}

/// The catalog.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ReleaseCatalog {
    /// Where the data came from.
    pub source: String,
    /// When it was compiled (`YYYY-MM-DD`); support is judged as of this date.
    pub date: String,
    /// The oldest line still supported on `date`; older lines are out of support even when
    /// the catalog has no end date for them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oldest_supported_line: Option<String>,
    /// Lines by version (`7.12.0`).
    pub lines: BTreeMap<String, ReleaseLine>,
}

/// A parsed release label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseLabel {
    /// `X.Y.Z`.
    pub version: String,
    /// The date part of dated labels as written: `YYYYMMDD`, or seven digits for the one
    /// release AWS labelled `YYYYMDD` (`emr-7.0.0-2024321`); compare with [`Self::date_key`].
    pub date: Option<String>,
    /// Whether it is a `-latest` label (always the newest of its line).
    pub latest: bool,
    /// Whether it is a Flink label (`emr-X.Y.Z-flink-...`), which has its own release train.
    pub flink: bool,
}

/// Parses `emr-X.Y.Z-latest`, `emr-X.Y.Z-YYYYMMDD` and their `-flink-` variants.
pub fn parse_release_label(label: &str) -> Option<ReleaseLabel> {
    let rest = label.strip_prefix("emr-")?;
    let (version, suffix) = rest.split_once('-').unwrap_or((rest, ""));
    let parts: Vec<&str> = version.split('.').collect();
    if parts.len() != 3
        || !parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let flink = suffix.starts_with("flink-");
    let suffix = suffix.strip_prefix("flink-").unwrap_or(suffix);
    let (date, latest) = match suffix {
        "latest" => (None, true),
        "" => (None, false),
        d if (d.len() == 7 || d.len() == 8) && d.bytes().all(|b| b.is_ascii_digit()) => {
            (Some(d.to_owned()), false)
        }
        _ => return None,
    };
    Some(ReleaseLabel {
        version: version.to_owned(),
        date,
        latest,
        flink,
    })
}

impl ReleaseLabel {
    /// The date as a sortable `YYYYMMDD`: seven digits are read as `YYYYMDD` (AWS published
    /// `emr-7.0.0-2024321` for its 2024-03-21 refresh).
    pub fn date_key(&self) -> Option<String> {
        let d = self.date.as_deref()?;
        match (d.len(), d.get(..4), d.get(4..)) {
            (7, Some(year), Some(rest)) => Some(format!("{year}0{rest}")),
            _ => Some(d.to_owned()),
        }
    }
}

/// Compares versions `X.Y.Z` numerically.
pub fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    let parse = |v: &str| -> Vec<u32> { v.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    parse(a).cmp(&parse(b))
}

/// Formats `YYYYMMDD` as `YYYY-MM-DD` (other text is returned unchanged).
pub fn format_label_date(date: &str) -> String {
    match (date.get(0..4), date.get(4..6), date.get(6..8)) {
        (Some(y), Some(m), Some(d)) if date.len() == 8 => format!("{y}-{m}-{d}"),
        _ => date.to_owned(),
    }
}

/// Why a release line is out of support.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndOfSupport {
    /// The catalog's end-of-support date for the line is on or before the catalog's date.
    Ended {
        /// The end-of-support date (`YYYY-MM-DD`).
        on: String,
    },
    /// The line is older than the catalog's oldest supported line.
    OlderThanOldestSupported {
        /// The oldest supported line.
        oldest: String,
    },
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

    /// Whether (and why) `version` is out of support on the catalog's date. The date the line
    /// ended wins over the oldest-supported-line rule, as it is the more precise statement.
    pub fn end_of_support(&self, version: &str) -> Option<EndOfSupport> {
        if let Some(on) = self
            .line(version)
            .and_then(|l| l.end_of_support.as_deref())
            .filter(|on| !self.date.is_empty() && *on <= self.date.as_str())
        {
            return Some(EndOfSupport::Ended { on: on.to_owned() });
        }
        self.oldest_supported_line
            .as_deref()
            .filter(|oldest| compare_versions(version, oldest).is_lt())
            .map(|oldest| EndOfSupport::OlderThanOldestSupported {
                oldest: oldest.to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_parses_and_is_consistent() {
        let cat = ReleaseCatalog::from_json(BUILTIN).unwrap();
        assert!(!cat.lines.is_empty());
        assert!(emrguard_config::is_iso_date(&cat.date), "{}", cat.date);
        if let Some(oldest) = &cat.oldest_supported_line {
            assert!(cat.lines.contains_key(oldest), "{oldest}");
        }
        for (version, line) in &cat.lines {
            assert!(
                line.latest.is_some() || line.end_of_support.is_some(),
                "{version} has no data"
            );
            if let Some(latest) = &line.latest {
                let parsed = parse_release_label(latest).unwrap();
                assert_eq!(&parsed.version, version, "{latest}");
                assert!(parsed.date.is_some(), "{latest}");
                assert!(line.latest_label().is_some());
            }
            if let Some(eos) = &line.end_of_support {
                assert!(emrguard_config::is_iso_date(eos), "{version}: {eos}");
            }
        }
    }

    #[test]
    fn labels() {
        let l = parse_release_label("emr-6.15.0-20231109").unwrap();
        assert_eq!(l.version, "6.15.0");
        assert_eq!(l.date.as_deref(), Some("20231109"));
        assert!(!l.flink);
        assert!(parse_release_label("emr-7.12.0-latest").unwrap().latest);
        let flink = parse_release_label("emr-7.1.0-flink-latest").unwrap();
        assert!(flink.latest && flink.flink);
        assert!(parse_release_label("6.15.0").is_none());
        let seven = parse_release_label("emr-7.0.0-2024321").unwrap();
        assert_eq!(seven.date.as_deref(), Some("2024321"));
        assert_eq!(seven.date_key().as_deref(), Some("20240321"));
        assert!(
            seven.date_key()
                > parse_release_label("emr-7.0.0-20231211")
                    .unwrap()
                    .date_key()
        );
        assert!(parse_release_label("emr-7.0.0-202403").is_none());
        assert_eq!(
            compare_versions("6.15.0", "6.9.0"),
            std::cmp::Ordering::Greater
        );
        assert_eq!(format_label_date("20231109"), "2023-11-09");
    }

    fn catalog(date: &str, oldest: Option<&str>, lines: &[(&str, Option<&str>)]) -> ReleaseCatalog {
        ReleaseCatalog {
            source: "test".into(),
            date: date.into(),
            oldest_supported_line: oldest.map(str::to_owned),
            lines: lines
                .iter()
                .map(|(v, eos)| {
                    (
                        (*v).to_owned(),
                        ReleaseLine {
                            end_of_support: eos.map(str::to_owned),
                            ..ReleaseLine::default()
                        },
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn end_of_support_is_judged_on_the_catalog_date() {
        let cat = catalog(
            "2026-11-26",
            None,
            &[("7.5.0", Some("2026-11-21")), ("7.7.0", Some("2027-02-06"))],
        );
        assert_eq!(
            cat.end_of_support("7.5.0"),
            Some(EndOfSupport::Ended {
                on: "2026-11-21".into()
            })
        );
        assert_eq!(cat.end_of_support("7.7.0"), None);
        // The same line is supported in a catalog compiled before the end date.
        let earlier = catalog("2026-11-20", None, &[("7.5.0", Some("2026-11-21"))]);
        assert_eq!(earlier.end_of_support("7.5.0"), None);
        // The end date itself is out of support.
        let on_the_day = catalog("2026-11-21", None, &[("7.5.0", Some("2026-11-21"))]);
        assert!(on_the_day.end_of_support("7.5.0").is_some());
    }

    #[test]
    fn lines_older_than_the_oldest_supported_line_are_out_of_support() {
        let cat = catalog("2026-11-26", Some("7.6.0"), &[("7.6.0", None)]);
        assert_eq!(
            cat.end_of_support("6.15.0"),
            Some(EndOfSupport::OlderThanOldestSupported {
                oldest: "7.6.0".into()
            })
        );
        assert_eq!(cat.end_of_support("7.6.0"), None);
        assert_eq!(cat.end_of_support("7.10.0"), None);
        // Unknown lines newer than the oldest supported one are not judged.
        assert_eq!(cat.end_of_support("8.0.0"), None);
    }
}
