//! Rule matching, transcribed line by line from kube-apiserver
//! (`pkg/apis/rbac/v1/evaluation_helpers.go` and `RuleAllows` in
//! `plugin/pkg/auth/authorizer/rbac/rbac.go`).
//!
//! These string-based functions are the reference semantics. [`crate::RbacIndex`] evaluates a
//! compiled (interned) form of the same rules for speed; a property test checks that both agree.

use emrguard_model::k8s::PolicyRule;

use crate::request::Request;

/// `*` in `verbs`.
pub const VERB_ALL: &str = "*";
/// `*` in `apiGroups`.
pub const API_GROUP_ALL: &str = "*";
/// `*` in `resources`.
pub const RESOURCE_ALL: &str = "*";
/// `*` in `nonResourceURLs`.
pub const NON_RESOURCE_ALL: &str = "*";

/// Whether the rule lists the verb or `*`.
pub fn verb_matches(rule: &PolicyRule, verb: &str) -> bool {
    rule.verbs.iter().any(|v| v == VERB_ALL || v == verb)
}

/// Whether the rule lists the API group or `*`.
pub fn api_group_matches(rule: &PolicyRule, group: &str) -> bool {
    rule.api_groups
        .iter()
        .any(|g| g == API_GROUP_ALL || g == group)
}

/// Whether the rule lists `*`, the combined `resource/subresource`, or `*/subresource`.
pub fn resource_matches(rule: &PolicyRule, combined: &str, subresource: &str) -> bool {
    rule.resources.iter().any(|r| {
        r == RESOURCE_ALL
            || r == combined
            || (!subresource.is_empty()
                && r.len() == subresource.len() + 2
                && r.starts_with("*/")
                && r.ends_with(subresource))
    })
}

/// Whether the rule has no `resourceNames` or lists the name. A request without a name (create,
/// list and watch without a field selector, deletecollection) never matches a rule that has
/// `resourceNames`, because the empty name is not in the list.
pub fn resource_name_matches(rule: &PolicyRule, name: &str) -> bool {
    rule.resource_names.is_empty() || rule.resource_names.iter().any(|n| n == name)
}

/// Whether the rule lists `*`, the exact path, or a prefix ending in `*` that the path starts with.
pub fn non_resource_url_matches(rule: &PolicyRule, path: &str) -> bool {
    rule.non_resource_urls.iter().any(|u| {
        u == NON_RESOURCE_ALL
            || u == path
            || u.strip_suffix('*')
                .is_some_and(|_| path.starts_with(u.trim_end_matches('*')))
    })
}

/// Whether one rule allows a request (`RuleAllows`).
pub fn rule_allows(rule: &PolicyRule, request: &Request) -> bool {
    match &request.path {
        None => {
            let combined = request.combined_resource();
            verb_matches(rule, &request.verb)
                && api_group_matches(rule, &request.api_group)
                && resource_matches(rule, &combined, request.subresource_str())
                && resource_name_matches(rule, request.name_str())
        }
        Some(path) => verb_matches(rule, &request.verb) && non_resource_url_matches(rule, path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(verbs: &[&str], groups: &[&str], resources: &[&str], names: &[&str]) -> PolicyRule {
        let v = |xs: &[&str]| xs.iter().map(|s| (*s).into()).collect();
        PolicyRule {
            verbs: v(verbs),
            api_groups: v(groups),
            resources: v(resources),
            resource_names: v(names),
            non_resource_urls: Vec::new(),
        }
    }

    #[test]
    fn star_slash_subresource_matches_only_that_subresource() {
        let r = rule(&["get"], &[""], &["*/exec"], &[]);
        assert!(resource_matches(&r, "pods/exec", "exec"));
        assert!(!resource_matches(&r, "pods/log", "log"));
        assert!(!resource_matches(&r, "pods", ""));
    }

    #[test]
    fn star_slash_alone_matches_nothing() {
        let r = rule(&["get"], &[""], &["*/"], &[]);
        assert!(!resource_matches(&r, "pods", ""));
        assert!(!resource_matches(&r, "pods/exec", "exec"));
    }

    #[test]
    fn trailing_star_url_is_a_prefix() {
        let r = PolicyRule {
            verbs: vec!["get".into()],
            non_resource_urls: vec!["/healthz*".into(), "/api".into()],
            ..PolicyRule::default()
        };
        assert!(non_resource_url_matches(&r, "/healthz"));
        assert!(non_resource_url_matches(&r, "/healthz/etcd"));
        assert!(non_resource_url_matches(&r, "/api"));
        assert!(!non_resource_url_matches(&r, "/api/v1"));
        assert!(!non_resource_url_matches(&r, "/livez"));
    }

    #[test]
    fn names_exclude_nameless_requests() {
        let r = rule(&["create"], &[""], &["pods"], &["web"]);
        assert!(!resource_name_matches(&r, ""));
        assert!(resource_name_matches(&r, "web"));
    }
}
