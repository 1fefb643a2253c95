//! `[webhook]`: the admission webhook's namespaces, exemptions and per-policy modes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `[webhook]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct WebhookConfig {
    /// Default mode for every policy: `enforce`, `warn` or `audit`.
    pub mode: Option<String>,
    /// Per-policy mode overrides (policy code to mode).
    pub policy_modes: BTreeMap<String, String>,
    /// EMR namespaces, in addition to those of virtual clusters in a snapshot.
    pub emr_namespaces: Vec<String>,
    /// Namespaces whose labels match this selector (`key=value` pairs) are EMR namespaces.
    pub namespace_labels: BTreeMap<String, String>,
    /// Subjects never denied (`User:`, `Group:`, `ServiceAccount:NS/NAME`).
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
            check(&format!("webhook.policy-modes.{policy}"), mode)?;
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
}
