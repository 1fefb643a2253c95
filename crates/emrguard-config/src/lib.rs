//! `emrguard.toml`: who the admins and tenants are, thresholds, rule settings, suppressions and
//! the admission webhook's policies. Unknown keys are errors that name the key.
#![deny(missing_docs)]

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub mod webhook;

/// The whole configuration file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Subjects and principals trusted with administrative access; never reported as tenants.
    pub admins: Admins,
    /// Tenants by name.
    pub tenants: BTreeMap<String, Tenant>,
    /// Numeric limits for checks.
    pub thresholds: Thresholds,
    /// Rule enable/disable and severity overrides.
    pub rules: RuleSettings,
    /// Accepted findings, each with a reason and an expiry date.
    pub suppressions: Vec<Suppression>,
    /// The admission webhook.
    pub webhook: webhook::WebhookConfig,
}

/// `[admins]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Admins {
    /// Kubernetes subjects: `User:NAME`, `Group:NAME` or `ServiceAccount:NS/NAME`.
    pub subjects: Vec<String>,
    /// IAM principal ARNs.
    pub iam_principals: Vec<String>,
    /// Break-glass subjects or ARNs: like admins, and listed separately in reports.
    pub break_glass: Vec<String>,
}

/// `[tenants.NAME]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Tenant {
    /// Whether the tenant's code is trusted (default: untrusted).
    pub trusted: bool,
    /// Namespaces the tenant submits to.
    pub namespaces: Vec<String>,
    /// Kubernetes subjects of the tenant (`User:`, `Group:`, `ServiceAccount:NS/NAME`).
    pub subjects: Vec<String>,
    /// IAM principals of the tenant.
    pub iam_principals: Vec<String>,
    /// The highest privilege tier the tenant is meant to reach (a tier name of the IAM
    /// engine, e.g. `data-write`).
    pub max_tier: Option<String>,
}

/// `[thresholds]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Thresholds {
    /// The widest IPv4 ingress prefix accepted on endpoint security groups (e.g. 16 accepts a
    /// /16 and narrower).
    pub max_ingress_prefix_v4: u8,
    /// The widest IPv6 ingress prefix accepted.
    pub max_ingress_prefix_v6: u8,
    /// The largest IMDS hop limit accepted on nodes that run EMR pods.
    pub max_imds_hop_limit: u8,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            max_ingress_prefix_v4: 16,
            max_ingress_prefix_v6: 48,
            max_imds_hop_limit: 1,
        }
    }
}

/// `[rules]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuleSettings {
    /// Only these rules (codes or names) run, when not empty.
    pub enable: Vec<String>,
    /// These rules (codes or names) never run.
    pub disable: Vec<String>,
    /// Severity overrides: code or name to `info`, `low`, `medium`, `high` or `critical`.
    pub severity: BTreeMap<String, String>,
}

/// `[[suppressions]]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Suppression {
    /// Rule code or name.
    pub rule: String,
    /// A resource the finding names (`Kind/namespace/name`, `Kind/name` or an ARN); empty for
    /// every finding of the rule.
    pub resource: String,
    /// Why the finding is accepted (required).
    pub reason: String,
    /// `YYYY-MM-DD` after which the suppression stops applying (required).
    pub expires: String,
}

/// Why a configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: {message}")]
    Io {
        /// Path.
        path: String,
        /// Message.
        message: String,
    },
    /// The file is not a valid configuration (names the key and line).
    #[error("{path}: {message}")]
    Invalid {
        /// Path.
        path: String,
        /// Message from the TOML parser, naming the key and position.
        message: String,
    },
}

impl Config {
    /// Parses configuration text; `origin` names it in errors.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the unknown or malformed key and its line.
    pub fn parse(text: &str, origin: &str) -> Result<Self, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            path: origin.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        config.validate(origin)?;
        Ok(config)
    }

    /// Reads and parses a configuration file.
    ///
    /// # Errors
    /// [`ConfigError`] when the file cannot be read or is invalid.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    fn validate(&self, origin: &str) -> Result<(), ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: origin.to_owned(),
            message,
        };
        for (i, s) in self.suppressions.iter().enumerate() {
            if s.rule.is_empty() {
                return Err(invalid(format!(
                    "suppressions[{i}].rule: a rule code or name is required"
                )));
            }
            if s.reason.trim().is_empty() {
                return Err(invalid(format!(
                    "suppressions[{i}].reason: a reason is required"
                )));
            }
            if !is_iso_date(&s.expires) {
                return Err(invalid(format!(
                    "suppressions[{i}].expires: expected a date YYYY-MM-DD, found {:?}",
                    s.expires
                )));
            }
        }
        for (key, sev) in &self.rules.severity {
            if !matches!(
                sev.as_str(),
                "info" | "low" | "medium" | "high" | "critical"
            ) {
                return Err(invalid(format!(
                    "rules.severity.{key}: expected info, low, medium, high or critical, found {sev:?}"
                )));
            }
        }
        for subject in self
            .admins
            .subjects
            .iter()
            .chain(self.tenants.values().flat_map(|t| t.subjects.iter()))
        {
            if parse_subject(subject).is_none() {
                return Err(invalid(format!(
                    "subject {subject:?}: expected User:NAME, Group:NAME or ServiceAccount:NAMESPACE/NAME"
                )));
            }
        }
        self.webhook.validate().map_err(invalid)
    }

    /// Whether a Kubernetes subject (`kind`, `namespace`, `name`) or an IAM ARN is an admin or
    /// break-glass identity.
    pub fn is_admin_subject(&self, kind: &str, namespace: Option<&str>, name: &str) -> bool {
        self.admins
            .subjects
            .iter()
            .chain(self.admins.break_glass.iter())
            .filter_map(|s| parse_subject(s))
            .any(|(k, ns, n)| k == kind && n == name && (k != "ServiceAccount" || ns == namespace))
    }

    /// Whether an IAM principal ARN is an admin or break-glass principal.
    pub fn is_admin_principal(&self, arn: &str) -> bool {
        self.admins
            .iam_principals
            .iter()
            .chain(self.admins.break_glass.iter())
            .any(|a| a == arn)
    }
}

/// Parses `User:NAME`, `Group:NAME` or `ServiceAccount:NS/NAME` into (kind, namespace, name).
pub fn parse_subject(s: &str) -> Option<(&str, Option<&str>, &str)> {
    let (kind, rest) = s.split_once(':')?;
    match kind {
        "User" | "Group" if !rest.is_empty() => Some((kind, None, rest)),
        "ServiceAccount" => {
            let (ns, name) = rest.split_once('/')?;
            (!ns.is_empty() && !name.is_empty()).then_some((kind, Some(ns), name))
        }
        _ => None,
    }
}

/// Whether `s` is a `YYYY-MM-DD` date with a plausible month and day.
pub fn is_iso_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    match parts.as_slice() {
        [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2 => {
            let (Ok(_), Ok(m), Ok(d)) = (y.parse::<u16>(), m.parse::<u8>(), d.parse::<u8>()) else {
                return false;
            };
            (1..=12).contains(&m) && (1..=31).contains(&d)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_is_named() {
        let err = Config::parse("[admins]\nsubject = []\n", "emrguard.toml").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("subject"), "{msg}");
        assert!(msg.contains("line 2"), "{msg}");
    }

    #[test]
    fn full_config_parses() {
        let cfg = Config::parse(
            r#"
[admins]
subjects = ["Group:platform-admins", "ServiceAccount:ops/deployer"]
iam-principals = ["arn:aws:iam::111122223333:role/Admin"]

[tenants.team-a]
namespaces = ["emr-team-a"]
subjects = ["Group:team-a"]

[thresholds]
max-ingress-prefix-v4 = 24

[rules]
disable = ["IMG003"]
severity = { RBAC006 = "critical" }

[[suppressions]]
rule = "RBAC003"
resource = "Group/team-a"
reason = "CI needs it until the migration"
expires = "2027-01-31"
"#,
            "emrguard.toml",
        )
        .unwrap();
        assert!(cfg.is_admin_subject("Group", None, "platform-admins"));
        assert!(cfg.is_admin_subject("ServiceAccount", Some("ops"), "deployer"));
        assert!(!cfg.is_admin_subject("ServiceAccount", Some("other"), "deployer"));
        assert_eq!(cfg.thresholds.max_ingress_prefix_v4, 24);
        assert!(!cfg.tenants["team-a"].trusted);
    }

    #[test]
    fn suppression_needs_reason_and_date() {
        let err = Config::parse(
            "[[suppressions]]\nrule = \"X\"\nreason = \"\"\nexpires = \"2027-01-01\"\n",
            "c.toml",
        )
        .unwrap_err();
        assert!(err.to_string().contains("reason"));
        let err = Config::parse(
            "[[suppressions]]\nrule = \"X\"\nreason = \"r\"\nexpires = \"soon\"\n",
            "c.toml",
        )
        .unwrap_err();
        assert!(err.to_string().contains("expires"));
    }
}
