//! `[webhook]`: the admission webhook's namespaces, exemptions and per-policy modes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The admission policies' codes, the keys `policy-modes` accepts.
pub const POLICY_CODES: [&str; 7] = [
    "WH001", "WH002", "WH003", "WH004", "WH005", "WH006", "WH007",
];

/// `[webhook]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct WebhookConfig {
    /// Default mode for every policy: `enforce`, `warn` or `audit`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Per-policy mode overrides (policy code to mode).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub policy_modes: BTreeMap<String, String>,
    /// EMR namespaces, in addition to those of virtual clusters in a snapshot.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub emr_namespaces: Vec<String>,
    /// Namespaces whose labels match this selector (`key=value` pairs) are EMR namespaces.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub namespace_labels: BTreeMap<String, String>,
    /// Subjects never denied (`User:`, `Group:`, `ServiceAccount:NS/NAME`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exempt_subjects: Vec<String>,
}

impl WebhookConfig {
    /// Checks values the type system cannot.
    ///
    /// # Errors
    /// A message naming the bad key.
    pub fn validate(&self) -> Result<(), String> {
        let check = |key: &str, mode: &str| {
            if matches!(mode, "enforce" | "warn" | "audit") {
                Ok(())
            } else {
                Err(format!(
                    "{key}: expected enforce, warn or audit, found {mode:?}"
                ))
            }
        };
        if let Some(mode) = &self.mode {
            check("webhook.mode", mode)?;
        }
        for (policy, mode) in &self.policy_modes {
            // A misspelt code would silently leave the policy in the default mode.
            if !POLICY_CODES.contains(&policy.as_str()) {
                return Err(format!(
                    "webhook.policy-modes.{policy}: unknown policy (expected one of {})",
                    POLICY_CODES.join(", ")
                ));
            }
            check(&format!("webhook.policy-modes.{policy}"), mode)?;
        }
        for ns in &self.emr_namespaces {
            if ns.is_empty() {
                return Err("webhook.emr-namespaces: a namespace name is empty".to_owned());
            }
        }
        for key in self.namespace_labels.keys() {
            if key.is_empty() {
                return Err("webhook.namespace-labels: a label key is empty".to_owned());
            }
        }
        for s in &self.exempt_subjects {
            if crate::parse_subject(s).is_none() {
                return Err(format!(
                    "webhook.exempt-subjects: {s:?} is not User:NAME, Group:NAME or ServiceAccount:NAMESPACE/NAME"
                ));
            }
        }
        Ok(())
    }

    /// This section as an `emrguard.toml` document (a `[webhook]` table), for deploying the
    /// webhook with exactly the settings it was rendered from.
    ///
    /// # Errors
    /// A message if the section cannot be written as TOML.
    pub fn to_toml_document(&self) -> Result<String, String> {
        #[derive(Serialize)]
        struct Document<'a> {
            webhook: &'a WebhookConfig,
        }
        toml::to_string(&Document { webhook: self }).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;

    #[test]
    fn webhook_section_parses_and_validates() {
        let cfg = Config::parse(
            r#"
[webhook]
mode = "warn"
policy-modes = { WH001 = "enforce" }
emr-namespaces = ["emr"]
namespace-labels = { "emrguard.io/emr" = "true" }
exempt-subjects = ["Group:sre", "ServiceAccount:ci/deployer"]
"#,
            "emrguard.toml",
        )
        .unwrap();
        assert_eq!(cfg.webhook.mode.as_deref(), Some("warn"));
        assert_eq!(cfg.webhook.policy_modes["WH001"], "enforce");
        let err = Config::parse(
            "[webhook]\npolicy-modes = { WH01 = \"warn\" }\n",
            "emrguard.toml",
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("webhook.policy-modes.WH01"),
            "{err}"
        );
        let err = Config::parse("[webhook]\nmode = \"block\"\n", "emrguard.toml").unwrap_err();
        assert!(err.to_string().contains("webhook.mode"), "{err}");
        let err = Config::parse(
            "[webhook]\nexempt-subjects = [\"alice\"]\n",
            "emrguard.toml",
        )
        .unwrap_err();
        assert!(err.to_string().contains("exempt-subjects"), "{err}");
    }

    #[test]
    fn toml_document_round_trips() {
        let section = WebhookConfig {
            mode: Some("audit".into()),
            policy_modes: [("WH003".to_owned(), "enforce".to_owned())].into(),
            emr_namespaces: vec!["emr".into(), "emr-b".into()],
            namespace_labels: BTreeMap::new(),
            exempt_subjects: vec!["Group:sre".into()],
        };
        let text = section.to_toml_document().unwrap();
        let back = Config::parse(&text, "rendered").unwrap();
        assert_eq!(back.webhook, section);
    }
}
