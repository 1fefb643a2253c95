//! Data-driven evaluation cases: every file in `tests/cases/*.yaml` is a list of cases, each
//! with policies, a request and the expected decision (or a parse error). Each case runs
//! through the engine and through the reference evaluator; both must give the expected
//! answer. Adding a case needs no Rust code.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use emrguard_iam::eval::ResourcePolicy;
use emrguard_iam::{
    parse_policy, Caller, CompiledPolicy, Decision, DocumentUse, PolicyKind, PolicySet,
    PolicySource, Request,
};
use serde::Deserialize;
use support::reference::{reference_decision, RefPolicy, RefRole};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    policies: Vec<serde_json::Value>,
    #[serde(default)]
    boundary: Option<serde_json::Value>,
    #[serde(default)]
    resource_policies: Vec<ResourcePolicyCase>,
    #[serde(default)]
    caller: Option<String>,
    #[serde(default)]
    request: Option<RequestCase>,
    #[serde(default)]
    want: Option<Decision>,
    /// Expected deciding statements as `policy-name#index`.
    #[serde(default)]
    deciding: Option<Vec<String>>,
    /// Expected JSON path of a parse error (for invalid documents).
    #[serde(default)]
    error_path: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourcePolicyCase {
    resource: String,
    #[serde(default)]
    must_allow: bool,
    policy: serde_json::Value,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestCase {
    action: String,
    resource: String,
    #[serde(default)]
    context: BTreeMap<String, OneOrMany>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

fn run_case(file: &str, case: &Case) -> Result<(), String> {
    let label = format!("{file}: {}", case.name);
    if let Some(path) = &case.error_path {
        let text = case
            .policies
            .first()
            .map(ToString::to_string)
            .ok_or_else(|| format!("{label}: error case without a policy"))?;
        return match parse_policy(&text) {
            Ok(_) => Err(format!(
                "{label}: parsed, but an error at {path} was expected"
            )),
            Err(e) if &e.path == path => Ok(()),
            Err(e) => Err(format!(
                "{label}: error at {} ({}), expected {path}",
                e.path, e.message
            )),
        };
    }
    let mut identity = Vec::new();
    let mut reference = Vec::new();
    for (i, p) in case.policies.iter().enumerate() {
        let doc = parse_policy(&p.to_string()).map_err(|e| format!("{label}: policy {i}: {e}"))?;
        let compiled = CompiledPolicy::compile(
            PolicySource::new(PolicyKind::Custom, format!("p{i}"), None),
            &doc,
            DocumentUse::Identity,
        )
        .map_err(|e| format!("{label}: policy {i}: {e}"))?;
        identity.push(compiled);
        reference.push(RefPolicy {
            document: doc,
            role: RefRole::Identity,
        });
    }
    let mut set = PolicySet::from_policies(identity);
    if let Some(b) = &case.boundary {
        let doc = parse_policy(&b.to_string()).map_err(|e| format!("{label}: boundary: {e}"))?;
        set.boundary = Some(
            CompiledPolicy::compile(
                PolicySource::new(PolicyKind::Boundary, "boundary", None),
                &doc,
                DocumentUse::Identity,
            )
            .map_err(|e| format!("{label}: boundary: {e}"))?,
        );
        reference.push(RefPolicy {
            document: doc,
            role: RefRole::Boundary,
        });
    }
    for (i, rp) in case.resource_policies.iter().enumerate() {
        let doc = parse_policy(&rp.policy.to_string())
            .map_err(|e| format!("{label}: resource policy {i}: {e}"))?;
        let kind = if rp.must_allow {
            PolicyKind::Trust
        } else {
            PolicyKind::ResourceBased
        };
        set.resource_policies.push(ResourcePolicy {
            resource: rp.resource.clone(),
            policy: CompiledPolicy::compile(
                PolicySource::new(kind, format!("r{i}"), None),
                &doc,
                DocumentUse::ResourceBased,
            )
            .map_err(|e| format!("{label}: resource policy {i}: {e}"))?,
            must_allow: rp.must_allow,
        });
        reference.push(RefPolicy {
            document: doc,
            role: RefRole::Resource {
                resource: rp.resource.clone(),
                must_allow: rp.must_allow,
            },
        });
    }
    set.caller = case.caller.as_deref().map(Caller::from_arn);
    let rc = case
        .request
        .as_ref()
        .ok_or_else(|| format!("{label}: no request"))?;
    let mut request = Request::new(rc.action.clone(), rc.resource.clone());
    for (k, v) in &rc.context {
        let values = match v {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(list) => list.clone(),
        };
        request.context.insert(k.clone(), values);
    }
    let want = case.want.ok_or_else(|| format!("{label}: no `want`"))?;
    let got = set.evaluate(&request);
    let oracle = reference_decision(
        &reference,
        set.caller.as_ref(),
        &request.action,
        &request.resource,
        &request.context,
    );
    let mut problems = Vec::new();
    if got.decision != want {
        problems.push(format!(
            "engine says {} ({:?}), expected {}",
            got.decision.as_str(),
            got.reasons,
            want.as_str()
        ));
    }
    if oracle != want {
        problems.push(format!(
            "reference says {}, expected {}",
            oracle.as_str(),
            want.as_str()
        ));
    }
    if let Some(expected) = &case.deciding {
        let mut names: Vec<String> = got
            .deciding
            .iter()
            .map(|s| format!("{}#{}", s.policy.name, s.index))
            .collect();
        names.sort();
        let mut expected = expected.clone();
        expected.sort();
        if names != expected {
            problems.push(format!("deciding {names:?}, expected {expected:?}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{label}{}: {}",
            case.note
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default(),
            problems.join("; ")
        ))
    }
}

#[test]
fn evaluation_cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no case files in {}", dir.display());
    let mut failures = Vec::new();
    let mut count = 0;
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(file).unwrap();
        let cases: Vec<Case> =
            serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        for case in &cases {
            count += 1;
            if let Err(e) = run_case(&name, case) {
                failures.push(e);
            }
        }
    }
    assert!(count >= 100, "only {count} cases");
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
