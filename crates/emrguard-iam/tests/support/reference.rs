//! A deliberately simple reference evaluator, written straight from AWS's documentation
//! ("Policy evaluation logic", "IAM JSON policy elements: Condition operators", "IAM policy
//! elements: Variables and tags", "IAM JSON policy elements: Principal"). It works on the
//! policy documents as written, re-reads everything on every call and uses a naive
//! recursive glob, so it shares no matching or condition code with the engine. Only value
//! parsers (dates, IP ranges) are shared.

use std::collections::BTreeMap;

use emrguard_iam::condition::{parse_date, parse_ip_range};
use emrguard_iam::{Caller, Decision};
use emrguard_model::policy::{Effect, PolicyDocument, Principal, Statement};

/// One policy as the reference evaluator sees it.
#[derive(Debug, Clone)]
pub struct RefPolicy {
    pub document: PolicyDocument,
    pub role: RefRole,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefRole {
    Identity,
    Boundary,
    /// A resource-based policy on `resource`; `must_allow` for role trust policies.
    Resource {
        resource: String,
        must_allow: bool,
    },
}

/// A pattern character: literal, or a wildcard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum P {
    Lit(char),
    Star,
    One,
}

fn glob(p: &[P], s: &[char]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((P::Star, rest)) => glob(rest, s) || (!s.is_empty() && glob(p, &s[1..])),
        Some((P::One, rest)) => !s.is_empty() && glob(rest, &s[1..]),
        Some((P::Lit(c), rest)) => s.first() == Some(c) && glob(rest, &s[1..]),
    }
}

fn lookup<'a>(ctx: &'a BTreeMap<String, Vec<String>>, key: &str) -> Option<&'a Vec<String>> {
    ctx.iter()
        .find(|(k, v)| k.eq_ignore_ascii_case(key) && !v.is_empty())
        .map(|(_, v)| v)
}

/// Reads a policy string into pattern characters, substituting variables when `vars`.
/// `None` when a variable has no single value and no default.
fn read(
    text: &str,
    wildcards: bool,
    vars: bool,
    ctx: &BTreeMap<String, Vec<String>>,
) -> Option<Vec<P>> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if vars && chars[i] == '$' && chars.get(i + 1) == Some(&'{') {
            if let Some(close) = (i + 2..chars.len()).find(|&j| chars[j] == '}') {
                let inner: String = chars[i + 2..close].iter().collect();
                let (key, default) = match inner.split_once(',') {
                    Some((k, d)) => {
                        let d = d.trim();
                        match d.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')) {
                            Some(d) => (k.trim().to_owned(), Some(d.replace("''", "'"))),
                            None => (inner.clone(), None),
                        }
                    }
                    None => (inner.trim().to_owned(), None),
                };
                let value = match key.as_str() {
                    "*" | "?" | "$" => Some(key.clone()),
                    _ => match lookup(ctx, &key) {
                        Some(v) if v.len() == 1 => Some(v[0].clone()),
                        _ => default,
                    },
                };
                let value = value?;
                out.extend(value.chars().map(P::Lit));
                i = close + 1;
                continue;
            }
        }
        out.push(match chars[i] {
            '*' if wildcards => P::Star,
            '?' if wildcards => P::One,
            c => P::Lit(c),
        });
        i += 1;
    }
    Some(out)
}

fn like(pattern: &[P], s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    glob(pattern, &chars)
}

fn text(pattern: &[P]) -> String {
    pattern
        .iter()
        .map(|p| match p {
            P::Lit(c) => *c,
            P::Star => '*',
            P::One => '?',
        })
        .collect()
}

fn arn_like(pattern: &str, value: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let p: Vec<&str> = pattern.splitn(6, ':').collect();
    let v: Vec<&str> = value.splitn(6, ':').collect();
    p.len() == v.len()
        && p.iter().zip(&v).all(|(pp, vv)| {
            let pat: Vec<P> = pp
                .chars()
                .map(|c| match c {
                    '*' => P::Star,
                    '?' => P::One,
                    c => P::Lit(c),
                })
                .collect();
            like(&pat, vv)
        })
}

/// Whether one request value matches one policy value for the positive form of `base`.
fn compare(
    base: &str,
    policy_value: &str,
    request_value: &str,
    vars: bool,
    ctx: &BTreeMap<String, Vec<String>>,
) -> bool {
    match base {
        "StringEquals" => {
            read(policy_value, false, vars, ctx).is_some_and(|p| text(&p) == request_value)
        }
        "StringEqualsIgnoreCase" => read(policy_value, false, vars, ctx)
            .is_some_and(|p| text(&p).to_lowercase() == request_value.to_lowercase()),
        "StringLike" => {
            read(policy_value, true, vars, ctx).is_some_and(|p| like(&p, request_value))
        }
        "Bool" => read(policy_value, false, vars, ctx)
            .is_some_and(|p| text(&p).eq_ignore_ascii_case(request_value)),
        "BinaryEquals" => policy_value == request_value,
        "ArnLike" => {
            read(policy_value, true, vars, ctx).is_some_and(|p| arn_like(&text(&p), request_value))
        }
        "IpAddress" => match (parse_ip_range(policy_value), parse_ip_range(request_value)) {
            (Some(p), Some(r)) => p.contains(&r),
            _ => false,
        },
        b if b.starts_with("Numeric") => {
            match (
                policy_value.trim().parse::<f64>(),
                request_value.trim().parse::<f64>(),
            ) {
                (Ok(p), Ok(r)) if r.is_finite() => match b {
                    "NumericEquals" => r == p,
                    "NumericLessThan" => r < p,
                    "NumericLessThanEquals" => r <= p,
                    "NumericGreaterThan" => r > p,
                    "NumericGreaterThanEquals" => r >= p,
                    _ => false,
                },
                _ => false,
            }
        }
        b if b.starts_with("Date") => match (parse_date(policy_value), parse_date(request_value)) {
            (Some(p), Some(r)) => match b {
                "DateEquals" => r == p,
                "DateLessThan" => r < p,
                "DateLessThanEquals" => r <= p,
                "DateGreaterThan" => r > p,
                "DateGreaterThanEquals" => r >= p,
                _ => false,
            },
            _ => false,
        },
        _ => false,
    }
}

/// Splits `ForAnyValue:StringNotLikeIfExists` into (qualifier, positive base, negated,
/// if_exists).
fn split_operator(op: &str) -> (&str, String, bool, bool) {
    let (qualifier, rest) = match op.split_once(':') {
        Some((q, r)) => (q, r),
        None => ("", op),
    };
    let (rest, if_exists) = match rest.strip_suffix("IfExists") {
        Some(r) => (r, true),
        None => (rest, false),
    };
    let (base, negated) = match rest {
        "StringNotEquals" => ("StringEquals", true),
        "StringNotEqualsIgnoreCase" => ("StringEqualsIgnoreCase", true),
        "StringNotLike" => ("StringLike", true),
        "NumericNotEquals" => ("NumericEquals", true),
        "DateNotEquals" => ("DateEquals", true),
        "NotIpAddress" => ("IpAddress", true),
        "ArnNotEquals" | "ArnNotLike" => ("ArnLike", true),
        "ArnEquals" => ("ArnLike", false),
        other => (other, false),
    };
    (qualifier, base.to_owned(), negated, if_exists)
}

fn condition_holds(
    op: &str,
    key: &str,
    values: &[String],
    vars: bool,
    ctx: &BTreeMap<String, Vec<String>>,
) -> bool {
    let (qualifier, base, negated, if_exists) = split_operator(op);
    let request = lookup(ctx, key);
    if base == "Null" {
        // "true": the key must be absent; "false": present.
        return values
            .iter()
            .any(|v| v.eq_ignore_ascii_case("true") == request.is_none());
    }
    let Some(request) = request else {
        return match qualifier {
            "ForAllValues" => true,
            "ForAnyValue" => if_exists,
            _ => if_exists || negated,
        };
    };
    let vars = vars
        && matches!(
            base.as_str(),
            "StringEquals" | "StringEqualsIgnoreCase" | "StringLike" | "ArnLike" | "Bool"
        );
    let matches_any = |rv: &str| values.iter().any(|pv| compare(&base, pv, rv, vars, ctx));
    match qualifier {
        "ForAllValues" => request.iter().all(|rv| matches_any(rv) != negated),
        "ForAnyValue" => request.iter().any(|rv| matches_any(rv) != negated),
        _ => request.iter().any(|rv| matches_any(rv)) != negated,
    }
}

/// Every variable used in the statement's Resource and (variable-taking) Condition values
/// must resolve, or the statement does not apply.
fn variables_resolve(st: &Statement, vars: bool, ctx: &BTreeMap<String, Vec<String>>) -> bool {
    if !vars {
        return true;
    }
    let resources = st.resource.iter().chain(st.not_resource.iter()).flatten();
    if resources
        .into_iter()
        .any(|r| read(r, true, true, ctx).is_none())
    {
        return false;
    }
    for (op, keys) in &st.condition {
        let (_, base, _, _) = split_operator(op);
        if !matches!(
            base.as_str(),
            "StringEquals" | "StringEqualsIgnoreCase" | "StringLike" | "ArnLike" | "Bool"
        ) {
            continue;
        }
        for values in keys.values() {
            if values.iter().any(|v| read(v, true, true, ctx).is_none()) {
                return false;
            }
        }
    }
    true
}

fn statement_applies(
    st: &Statement,
    vars: bool,
    action: &str,
    resource: &str,
    ctx: &BTreeMap<String, Vec<String>>,
) -> bool {
    if !variables_resolve(st, vars, ctx) {
        return false;
    }
    let action_match = |list: &Vec<String>| {
        list.iter().any(|a| {
            let p: Vec<P> = a
                .to_lowercase()
                .chars()
                .map(|c| match c {
                    '*' => P::Star,
                    '?' => P::One,
                    c => P::Lit(c),
                })
                .collect();
            like(&p, &action.to_lowercase())
        })
    };
    let action_ok = match (&st.action, &st.not_action) {
        (Some(a), _) => action_match(a),
        (None, Some(a)) => !action_match(a),
        (None, None) => false,
    };
    if !action_ok {
        return false;
    }
    let resource_match = |list: &Vec<String>| {
        list.iter()
            .any(|r| read(r, true, vars, ctx).is_some_and(|p| like(&p, resource)))
    };
    let resource_ok = match (&st.resource, &st.not_resource) {
        (Some(r), _) => resource_match(r),
        (None, Some(r)) => !resource_match(r),
        (None, None) => true,
    };
    resource_ok
        && st.condition.iter().all(|(op, keys)| {
            keys.iter()
                .all(|(key, values)| condition_holds(op, key, values, vars, ctx))
        })
}

/// How a principal element covers the caller: 0 no, 1 via account, 2 role ARN (bounded by
/// the boundary), 3 directly.
fn coverage(p: &Principal, caller: &Caller) -> u8 {
    let Principal::Typed(map) = p else { return 3 };
    let mut best = 0;
    for (kind, values) in map {
        for v in values {
            let c = match (kind.as_str(), caller) {
                ("AWS", _) if v == "*" => 3,
                (
                    "AWS",
                    Caller::Aws {
                        arn,
                        session_arn,
                        account,
                        kind,
                    },
                ) => {
                    let acct = account.as_deref().unwrap_or("-");
                    let root_arn =
                        v.starts_with("arn:") && v.ends_with(&format!(":iam::{acct}:root"));
                    if v == acct || root_arn {
                        if *kind == emrguard_iam::eval::AwsPrincipalKind::Root {
                            3
                        } else {
                            1
                        }
                    } else if session_arn.as_deref() == Some(v.as_str()) {
                        3
                    } else if v == arn
                        || (v.contains(":iam::")
                            && arn.contains(":iam::")
                            && v.rsplit('/').next() == arn.rsplit('/').next()
                            && v.split(':').nth(4) == arn.split(':').nth(4)
                            && v.contains(":role/") == arn.contains(":role/"))
                    {
                        if *kind == emrguard_iam::eval::AwsPrincipalKind::Role {
                            2
                        } else {
                            3
                        }
                    } else {
                        0
                    }
                }
                ("Service", Caller::Service { name }) if v.eq_ignore_ascii_case(name) => 3,
                ("Federated", Caller::Federated { provider }) if v == provider => 3,
                ("CanonicalUser", Caller::CanonicalUser { id }) if v == id => 3,
                _ => 0,
            };
            best = best.max(c);
        }
    }
    best
}

/// Evaluates a request.
pub fn reference_decision(
    policies: &[RefPolicy],
    caller: Option<&Caller>,
    action: &str,
    resource: &str,
    ctx: &BTreeMap<String, Vec<String>>,
) -> Decision {
    let has_boundary = policies.iter().any(|p| p.role == RefRole::Boundary);
    let mut deny = false;
    let mut identity_allow = false;
    let mut boundary_allow = false;
    let mut must_allow = false;
    let (mut direct, mut role_arn, mut account) = (false, false, false);
    for p in policies {
        let vars = p.document.version.as_deref() == Some("2012-10-17");
        for st in &p.document.statements {
            match &p.role {
                RefRole::Identity | RefRole::Boundary => {
                    if !statement_applies(st, vars, action, resource, ctx) {
                        continue;
                    }
                    match (st.effect, &p.role) {
                        (Effect::Deny, _) => deny = true,
                        (Effect::Allow, RefRole::Identity) => identity_allow = true,
                        _ => boundary_allow = true,
                    }
                }
                RefRole::Resource {
                    resource: on,
                    must_allow: required,
                } => {
                    if on != resource {
                        continue;
                    }
                    must_allow |= *required;
                    let cov = match (&st.principal, &st.not_principal, caller) {
                        (Some(p), None, Some(c)) => coverage(p, c),
                        // NotPrincipal covers everyone not listed; with Deny, AWS documents
                        // that it also covers any principal with a permissions boundary.
                        (None, Some(np), Some(c))
                            if (st.effect == Effect::Deny && has_boundary)
                                || coverage(np, c) == 0 =>
                        {
                            3
                        }
                        _ => 0,
                    };
                    if cov == 0 || !statement_applies(st, vars, action, resource, ctx) {
                        continue;
                    }
                    match (st.effect, cov) {
                        (Effect::Deny, _) => deny = true,
                        (Effect::Allow, 1) => account = true,
                        (Effect::Allow, 2) => role_arn = true,
                        (Effect::Allow, _) => direct = true,
                    }
                }
            }
        }
    }
    if deny {
        return Decision::ExplicitDeny;
    }
    let boundary_ok = !has_boundary || boundary_allow;
    let allowed = if must_allow {
        ((direct || role_arn) && boundary_ok) || (account && identity_allow && boundary_ok)
    } else {
        direct || (role_arn && boundary_ok) || (identity_allow && boundary_ok)
    };
    if allowed {
        Decision::Allowed
    } else {
        Decision::ImplicitDeny
    }
}
