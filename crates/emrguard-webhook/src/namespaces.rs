//! Which namespaces are EMR namespaces, and whether a label selector can reach one of them.

use std::collections::{BTreeMap, BTreeSet};

use emrguard_model::k8s::{LabelSelector, StringMap};

/// The label every namespace carries with its own name (Kubernetes 1.21 and later).
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// The EMR namespaces: named ones (virtual clusters' namespaces, configured names) and, with a
/// label selector, every namespace the API server's `namespaceSelector` sends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmrNamespaces {
    names: BTreeSet<String>,
    label_selector: BTreeMap<String, String>,
    known_labels: BTreeMap<String, StringMap>,
}

impl EmrNamespaces {
    /// EMR namespaces by name.
    pub fn from_names<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            names: names.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// Adds namespaces by name.
    pub fn add_names<I, S>(&mut self, names: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.names.extend(names.into_iter().map(Into::into));
    }

    /// Namespaces whose labels include all of `labels` are EMR namespaces too.
    pub fn set_label_selector(&mut self, labels: BTreeMap<String, String>) {
        self.label_selector = labels;
    }

    /// Records namespaces' current labels (from a snapshot), which sharpens
    /// [`Self::selector_may_reach`] for named namespaces.
    pub fn set_known_labels(&mut self, labels: BTreeMap<String, StringMap>) {
        self.known_labels = labels;
    }

    /// The named EMR namespaces, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }

    /// The label selector (empty when namespaces are only named).
    pub fn label_selector(&self) -> &BTreeMap<String, String> {
        &self.label_selector
    }

    /// Whether no EMR namespace is known at all.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty() && self.label_selector.is_empty()
    }

    /// Whether a request in `namespace` is in an EMR namespace. With a label selector the
    /// webhook configuration's `namespaceSelector` already chose the namespace (the request
    /// carries no namespace labels), so every namespaced request counts.
    pub fn contains(&self, namespace: &str) -> bool {
        !namespace.is_empty() && (self.names.contains(namespace) || !self.label_selector.is_empty())
    }

    /// Whether a webhook `namespaceSelector` can match an EMR namespace. Labels not known for
    /// certain are assumed to be able to match, so the answer errs towards "yes".
    pub fn selector_may_reach(&self, selector: Option<&LabelSelector>) -> bool {
        let Some(selector) = selector else {
            return true;
        };
        let by_name = self.names.iter().any(|ns| {
            let known = self.known_labels.get(ns);
            may_match(selector, |key| {
                if key == NAMESPACE_NAME_LABEL {
                    Label::Value(ns)
                } else {
                    match known {
                        Some(labels) => labels
                            .get(key)
                            .map_or(Label::Absent, |v| Label::Value(v.as_str())),
                        None => Label::Unknown,
                    }
                }
            })
        });
        by_name
            || (!self.label_selector.is_empty()
                && may_match(selector, |key| {
                    self.label_selector
                        .get(key)
                        .map_or(Label::Unknown, |v| Label::Value(v.as_str()))
                }))
    }
}

/// What is known about one label of a namespace.
#[derive(Debug, Clone, Copy)]
enum Label<'a> {
    Value(&'a str),
    Absent,
    Unknown,
}

/// Whether `selector` can match a namespace whose labels `label` describes: false only when
/// some requirement certainly fails.
fn may_match<'a>(selector: &LabelSelector, label: impl Fn(&str) -> Label<'a>) -> bool {
    let labels_ok = selector
        .match_labels
        .iter()
        .all(|(key, want)| match label(key) {
            Label::Value(v) => v == want,
            Label::Absent => false,
            Label::Unknown => true,
        });
    labels_ok
        && selector.match_expressions.iter().all(|req| {
            let value = label(&req.key);
            let listed = |v: &str| req.values.iter().any(|x| x == v);
            match (req.operator.as_str(), value) {
                (_, Label::Unknown) => true,
                ("In", Label::Value(v)) => listed(v),
                ("NotIn", Label::Value(v)) => !listed(v),
                ("In", Label::Absent) | ("Exists", Label::Absent) => false,
                ("NotIn", Label::Absent) | ("Exists", Label::Value(_)) => true,
                ("DoesNotExist", Label::Absent) => true,
                ("DoesNotExist", Label::Value(_)) => false,
                // The API server rejects other operators; such a selector selects nothing.
                _ => false,
            }
        })
}

#[cfg(test)]
mod tests {
    use emrguard_model::k8s::LabelSelectorRequirement;

    use super::*;

    fn selector(labels: &[(&str, &str)], exprs: &[(&str, &str, &[&str])]) -> LabelSelector {
        LabelSelector {
            match_labels: labels.iter().map(|(k, v)| (*k, *v)).collect(),
            match_expressions: exprs
                .iter()
                .map(|(k, op, vs)| LabelSelectorRequirement {
                    key: (*k).into(),
                    operator: (*op).into(),
                    values: vs.iter().map(|v| (*v).into()).collect(),
                })
                .collect(),
        }
    }

    #[test]
    fn named_namespaces() {
        let ns = EmrNamespaces::from_names(["emr"]);
        assert!(ns.contains("emr"));
        assert!(!ns.contains("other"));
        assert!(!ns.contains(""));
        assert!(ns.selector_may_reach(None));
        assert!(ns.selector_may_reach(Some(&selector(&[], &[]))));
        // The name label is always known.
        assert!(!ns.selector_may_reach(Some(&selector(&[(NAMESPACE_NAME_LABEL, "other")], &[]))));
        assert!(ns.selector_may_reach(Some(&selector(&[(NAMESPACE_NAME_LABEL, "emr")], &[]))));
        assert!(!ns.selector_may_reach(Some(&selector(
            &[],
            &[(NAMESPACE_NAME_LABEL, "NotIn", &["emr", "kube-system"])]
        ))));
        assert!(!ns.selector_may_reach(Some(&selector(
            &[],
            &[(NAMESPACE_NAME_LABEL, "DoesNotExist", &[])]
        ))));
        // Other labels are unknown without a snapshot: assume they can match.
        assert!(ns.selector_may_reach(Some(&selector(&[("team", "a")], &[]))));
    }

    #[test]
    fn known_labels_sharpen_the_answer() {
        let mut ns = EmrNamespaces::from_names(["emr"]);
        ns.set_known_labels([("emr".to_owned(), StringMap::from([("team", "data")]))].into());
        assert!(!ns.selector_may_reach(Some(&selector(&[("team", "web")], &[]))));
        assert!(ns.selector_may_reach(Some(&selector(&[("team", "data")], &[]))));
        assert!(!ns.selector_may_reach(Some(&selector(&[], &[("env", "Exists", &[])]))));
        assert!(ns.selector_may_reach(Some(&selector(&[], &[("env", "DoesNotExist", &[])]))));
    }

    #[test]
    fn label_selected_namespaces() {
        let mut ns = EmrNamespaces::default();
        assert!(ns.is_empty());
        ns.set_label_selector([("emr".to_owned(), "true".to_owned())].into());
        assert!(ns.contains("anything"));
        assert!(!ns.contains(""));
        assert!(!ns.selector_may_reach(Some(&selector(&[("emr", "false")], &[]))));
        assert!(!ns.selector_may_reach(Some(&selector(&[], &[("emr", "DoesNotExist", &[])]))));
        assert!(ns.selector_may_reach(Some(&selector(&[("team", "x")], &[]))));
        assert!(ns.selector_may_reach(Some(&selector(&[], &[("emr", "In", &["true"])]))));
    }
}
