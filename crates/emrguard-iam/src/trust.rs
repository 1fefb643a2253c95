//! Who may assume a role: web identities (IRSA), service principals (EKS Pod Identity, EC2,
//! ...) and IAM principals, plus the EMR on EKS trust-policy analysis the audit needs.
//!
//! For `sts:AssumeRole` by an IAM principal, AWS requires the role's trust policy to allow
//! the caller. Within one account, a trust policy that names the caller's ARN is enough
//! (still bounded by the caller's permissions boundary), while one that trusts the account
//! (`"AWS": "111122223333"` or `...:root`) also needs an identity-based policy of the caller
//! that allows `sts:AssumeRole` on the role. Across accounts, both the trust policy and the
//! caller's identity policy must allow it ("Cross-account policy evaluation logic").

use std::collections::{BTreeMap, BTreeSet};

use emrguard_model::aws::IamRole;
use emrguard_model::emr::{emr_trust_sub_pattern, POD_IDENTITY_PRINCIPAL};
use emrguard_model::policy::{Effect, Principal};
use emrguard_model::Inventory;
use serde::Serialize;

use crate::compile::{CompiledPolicy, DocumentUse, PolicyKind, PolicySource, StatementRef};
use crate::condition::{Comparison, Qualifier};
use crate::eval::{account_principal, Caller, Decision, Evaluation, PolicySet, Request};
use crate::pattern::{glob_excess, has_wildcard};

/// One action checked for an assume-role question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionCheck {
    /// The action, e.g. `sts:AssumeRoleWithWebIdentity`.
    pub action: String,
    /// Its evaluation.
    pub evaluation: Evaluation,
}

/// The answer to "may X assume role R", with the reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrustDecision {
    /// Yes or no.
    pub allowed: bool,
    /// Each action that had to be allowed, and how it was decided.
    pub checks: Vec<ActionCheck>,
    /// Why, in words.
    pub reasons: Vec<String>,
}

fn partition_and_account(arn: &str) -> (String, String) {
    let mut parts = arn.split(':');
    let partition = parts.nth(1).unwrap_or("aws").to_owned();
    let account = parts.nth(2).unwrap_or("").to_owned();
    (partition, account)
}

/// The OIDC provider host/path of an issuer URL (`https://` removed).
pub fn oidc_provider_of(issuer: &str) -> &str {
    issuer.strip_prefix("https://").unwrap_or(issuer)
}

/// The IAM OIDC provider ARN for an issuer in a role's account and partition.
pub fn oidc_provider_arn(partition: &str, account: &str, issuer: &str) -> String {
    format!(
        "arn:{partition}:iam::{account}:oidc-provider/{}",
        oidc_provider_of(issuer)
    )
}

fn trust_only(role: &IamRole, caller: Caller) -> PolicySet {
    let mut set = PolicySet {
        caller: Some(caller),
        ..PolicySet::default()
    };
    set.add_trust_policy(role);
    set
}

fn decide(checks: Vec<ActionCheck>, mut reasons: Vec<String>) -> TrustDecision {
    let allowed = !checks.is_empty() && checks.iter().all(|c| c.evaluation.decision.is_allowed());
    for c in &checks {
        for r in &c.evaluation.reasons {
            reasons.push(format!("{}: {}", c.action, r));
        }
    }
    TrustDecision {
        allowed,
        checks,
        reasons,
    }
}

/// May a web identity from `issuer` with `sub` and `aud` call
/// `sts:AssumeRoleWithWebIdentity` on `role`? The provider must be registered in the role's
/// account, so its ARN is built from the role's account and partition.
pub fn can_assume_web_identity(
    role: &IamRole,
    issuer: &str,
    sub: &str,
    aud: &str,
) -> TrustDecision {
    let (partition, account) = partition_and_account(&role.arn);
    let provider = oidc_provider_of(issuer);
    let provider_arn = oidc_provider_arn(&partition, &account, issuer);
    let set = trust_only(
        role,
        Caller::Federated {
            provider: provider_arn.clone(),
        },
    );
    let request = Request::new("sts:AssumeRoleWithWebIdentity", role.arn.clone())
        .with(&format!("{provider}:sub"), sub)
        .with(&format!("{provider}:aud"), aud)
        .with("aws:FederatedProvider", provider_arn);
    let evaluation = set.evaluate(&request);
    decide(
        vec![ActionCheck {
            action: "sts:AssumeRoleWithWebIdentity".into(),
            evaluation,
        }],
        Vec::new(),
    )
}

/// May the service principal `service` assume `role`? For `pods.eks.amazonaws.com` (EKS
/// Pod Identity) both `sts:AssumeRole` and `sts:TagSession` must be allowed. `context` adds
/// keys the service sends (e.g. `aws:SourceAccount`, `aws:SourceArn`, session tags).
pub fn can_assume_service_with(
    role: &IamRole,
    service: &str,
    context: &BTreeMap<String, Vec<String>>,
) -> TrustDecision {
    let set = trust_only(
        role,
        Caller::Service {
            name: service.to_owned(),
        },
    );
    let mut actions = vec!["sts:AssumeRole"];
    if service.eq_ignore_ascii_case(POD_IDENTITY_PRINCIPAL) {
        actions.push("sts:TagSession");
    }
    let checks = actions
        .into_iter()
        .map(|action| {
            let mut request =
                Request::new(action, role.arn.clone()).with("aws:PrincipalServiceName", service);
            for (k, vs) in context {
                for v in vs {
                    request = request.with(k, v.clone());
                }
            }
            ActionCheck {
                action: action.into(),
                evaluation: set.evaluate(&request),
            }
        })
        .collect();
    decide(checks, Vec::new())
}

/// May the service principal `service` assume `role` (no extra context keys)?
pub fn can_assume_service(role: &IamRole, service: &str) -> TrustDecision {
    can_assume_service_with(role, service, &BTreeMap::new())
}

/// The context keys EKS Pod Identity sends when it assumes a role for a service account:
/// `aws:SourceAccount`, `aws:SourceArn` and the session tags it sets
/// (`kubernetes-namespace`, `kubernetes-service-account`, `eks-cluster-arn`,
/// `eks-cluster-name`) as `aws:RequestTag/...` and `aws:TagKeys`.
pub fn pod_identity_context(
    cluster_arn: &str,
    cluster_name: &str,
    namespace: &str,
    service_account: &str,
) -> BTreeMap<String, Vec<String>> {
    let account = cluster_arn.split(':').nth(4).unwrap_or("").to_owned();
    let tags = [
        ("kubernetes-namespace", namespace),
        ("kubernetes-service-account", service_account),
        ("eks-cluster-arn", cluster_arn),
        ("eks-cluster-name", cluster_name),
    ];
    let mut ctx = BTreeMap::new();
    ctx.insert("aws:sourceaccount".to_owned(), vec![account]);
    ctx.insert("aws:sourcearn".to_owned(), vec![cluster_arn.to_owned()]);
    for (k, v) in tags {
        ctx.insert(format!("aws:requesttag/{k}"), vec![v.to_owned()]);
    }
    ctx.insert(
        "aws:tagkeys".to_owned(),
        tags.iter().map(|(k, _)| (*k).to_owned()).collect(),
    );
    ctx
}

/// May the IAM principal `principal_arn` (user, role or role session) call `sts:AssumeRole`
/// on `role`? Counts the role's trust policy and, as AWS does, the caller's identity
/// policies and permissions boundary when the snapshot has them.
pub fn can_assume_role(
    inventory: &Inventory,
    principal_arn: &str,
    role: &IamRole,
) -> TrustDecision {
    let (_, role_account) = partition_and_account(&role.arn);
    let found = PolicySet::for_principal_arn(inventory, principal_arn);
    let identity_known = found.is_ok();
    let mut reasons = Vec::new();
    let mut set = match found {
        Ok(set) => set,
        Err(_) => {
            reasons.push(format!(
                "`{principal_arn}` is not in the snapshot; only the trust policy is checked"
            ));
            PolicySet {
                caller: Some(Caller::from_arn(principal_arn)),
                ..PolicySet::default()
            }
        }
    };
    let caller_account = set
        .caller
        .as_ref()
        .and_then(Caller::account)
        .unwrap_or("")
        .to_owned();
    let mut request = Request::new("sts:AssumeRole", role.arn.clone());
    request.context = set.principal_context.clone();
    if caller_account == role_account && identity_known {
        set.add_trust_policy(role);
        let evaluation = set.evaluate(&request);
        return decide(
            vec![ActionCheck {
                action: "sts:AssumeRole".into(),
                evaluation,
            }],
            reasons,
        );
    }
    // Across accounts (or with unknown identity policies): the trust policy must name the
    // caller or its account, and the caller's own policies must allow it.
    let trust = trust_only(
        role,
        set.caller
            .clone()
            .unwrap_or_else(|| Caller::from_arn(principal_arn)),
    );
    let trust_eval = trust_side(&trust, &request);
    let mut checks = vec![ActionCheck {
        action: "sts:AssumeRole (trust policy)".into(),
        evaluation: trust_eval,
    }];
    if identity_known {
        checks.push(ActionCheck {
            action: "sts:AssumeRole (caller's policies)".into(),
            evaluation: set.evaluate(&request),
        });
    } else {
        reasons.push(
            "the caller's identity policies are not in the snapshot; assuming they allow it".into(),
        );
    }
    decide(checks, reasons)
}

/// Evaluates only the trust side: allowed when the trust policy names the caller or its
/// account and nothing denies.
fn trust_side(trust: &PolicySet, request: &Request) -> Evaluation {
    // An account-level grant counts here: the other side is checked separately.
    let mut lenient = trust.clone();
    for rp in &mut lenient.resource_policies {
        rp.must_allow = false;
    }
    let caller = lenient.caller.clone();
    if let Some(Caller::Aws { account, arn, .. }) = &caller {
        // Treat the caller as its own account root so account grants count as direct.
        let (partition, _) = partition_and_account(arn);
        let mut as_root = lenient.clone();
        as_root.caller = Some(Caller::Aws {
            arn: format!(
                "arn:{partition}:iam::{}:root",
                account.as_deref().unwrap_or("")
            ),
            session_arn: None,
            account: account.clone(),
            kind: crate::eval::AwsPrincipalKind::Root,
        });
        let direct = lenient.evaluate(request);
        if direct.decision != Decision::ImplicitDeny {
            return direct;
        }
        let via_account = as_root.evaluate(request);
        if via_account.decision == Decision::Allowed {
            let mut e = via_account;
            e.reasons = vec!["the trust policy trusts the caller's account".into()];
            return e;
        }
        return direct;
    }
    lenient.evaluate(request)
}

/// The cluster a trust policy is judged against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterTrustContext {
    /// The OIDC provider host/path (`oidc.eks.REGION.amazonaws.com/id/ID`).
    pub oidc_provider: String,
    /// The cluster's account.
    pub account_id: String,
    /// The cluster's partition.
    pub partition: String,
}

impl ClusterTrustContext {
    /// From the snapshot's EKS cluster, when it has one with an OIDC issuer.
    pub fn from_inventory(inventory: &Inventory) -> Option<Self> {
        let cluster = inventory.cluster()?;
        Some(Self {
            oidc_provider: cluster.oidc_provider()?.to_owned(),
            account_id: cluster.account_id()?.to_owned(),
            partition: cluster.partition().to_owned(),
        })
    }

    /// The provider's IAM ARN.
    pub fn provider_arn(&self) -> String {
        oidc_provider_arn(&self.partition, &self.account_id, &self.oidc_provider)
    }
}

/// What one trust statement admits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TrustScope {
    /// This cluster's service accounts matching EMR's pattern for the role in one namespace
    /// (`system:serviceaccount:<ns>:emr-containers-sa-*-*-<account>-<base36(role)>`).
    EmrPattern {
        /// The namespace.
        namespace: String,
    },
    /// One named service account of this cluster.
    SpecificServiceAccount {
        /// Namespace.
        namespace: String,
        /// Service account name.
        service_account: String,
    },
    /// This cluster's provider without a `sub` condition: every service account.
    NoSubCondition,
    /// A `sub` pattern whose namespace part is a wildcard.
    AnyNamespace {
        /// The pattern.
        pattern: String,
    },
    /// Every service account of one namespace (`system:serviceaccount:<ns>:*`).
    AnyServiceAccountInNamespace {
        /// Namespace.
        namespace: String,
        /// The pattern.
        pattern: String,
    },
    /// A `sub` pattern that matches names EMR's pattern does not.
    BroaderThanEmrPattern {
        /// Namespace.
        namespace: String,
        /// The pattern.
        pattern: String,
        /// A `sub` the pattern admits and EMR's pattern does not.
        example: String,
    },
    /// Another cluster's (or any other) OIDC provider.
    OtherCluster {
        /// Provider ARN.
        provider: String,
    },
    /// A SAML or other federated provider.
    OtherFederated {
        /// Provider.
        provider: String,
    },
    /// An account (root) principal.
    AccountRoot {
        /// Account id.
        account: String,
    },
    /// `"*"`: everyone.
    Everyone,
    /// A named IAM principal.
    AwsPrincipal {
        /// ARN.
        arn: String,
    },
    /// A service principal.
    Service {
        /// Service name.
        name: String,
    },
    /// No principal element (e.g. the `aws:userid` form shown in one EMR guide page).
    NoPrincipal,
}

impl TrustScope {
    /// Whether this is a narrow, expected scope for an EMR execution role.
    pub fn is_emr_scoped(&self) -> bool {
        matches!(
            self,
            Self::EmrPattern { .. } | Self::SpecificServiceAccount { .. }
        )
    }

    /// Whether this admits a whole namespace or more of this cluster's service accounts.
    pub fn is_broader_web_identity(&self) -> bool {
        matches!(
            self,
            Self::NoSubCondition
                | Self::AnyNamespace { .. }
                | Self::AnyServiceAccountInNamespace { .. }
                | Self::BroaderThanEmrPattern { .. }
        )
    }
}

/// The analysis of one `Allow` statement of a trust policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrustStatementAnalysis {
    /// The statement.
    pub statement: StatementRef,
    /// What it admits (one entry per principal value or `sub` value).
    pub scopes: Vec<TrustScope>,
    /// Namespaces of this cluster it admits (`*` for all).
    pub namespaces: BTreeSet<String>,
    /// Whether it has conditions other than `sub` / `aud`.
    pub other_conditions: bool,
}

const SA_PREFIX: &str = "system:serviceaccount:";

fn classify_sub(
    value: &str,
    wildcards: bool,
    cluster: &ClusterTrustContext,
    role_name: &str,
) -> TrustScope {
    let literal = !wildcards || !has_wildcard(value);
    let Some(rest) = value.strip_prefix(SA_PREFIX) else {
        return if literal {
            TrustScope::SpecificServiceAccount {
                namespace: String::new(),
                service_account: value.to_owned(),
            }
        } else {
            TrustScope::AnyNamespace {
                pattern: value.to_owned(),
            }
        };
    };
    let Some((namespace, name)) = rest.split_once(':') else {
        return if literal {
            TrustScope::SpecificServiceAccount {
                namespace: rest.to_owned(),
                service_account: String::new(),
            }
        } else {
            TrustScope::AnyNamespace {
                pattern: value.to_owned(),
            }
        };
    };
    if literal {
        return TrustScope::SpecificServiceAccount {
            namespace: namespace.to_owned(),
            service_account: name.to_owned(),
        };
    }
    if has_wildcard(namespace) {
        return TrustScope::AnyNamespace {
            pattern: value.to_owned(),
        };
    }
    let emr = emr_trust_sub_pattern(namespace, &cluster.account_id, role_name);
    match glob_excess(&emr, value) {
        None => TrustScope::EmrPattern {
            namespace: namespace.to_owned(),
        },
        Some(_) if name == "*" => TrustScope::AnyServiceAccountInNamespace {
            namespace: namespace.to_owned(),
            pattern: value.to_owned(),
        },
        Some(example) => TrustScope::BroaderThanEmrPattern {
            namespace: namespace.to_owned(),
            pattern: value.to_owned(),
            example,
        },
    }
}

fn breadth(scope: &TrustScope) -> u8 {
    match scope {
        TrustScope::SpecificServiceAccount { .. } => 0,
        TrustScope::EmrPattern { .. } => 1,
        TrustScope::BroaderThanEmrPattern { .. } => 2,
        TrustScope::AnyServiceAccountInNamespace { .. } => 3,
        TrustScope::AnyNamespace { .. } => 4,
        _ => 5,
    }
}

/// Classifies every `Allow` statement of a role's trust policy against the cluster: scoped
/// to EMR's service-account pattern or to one named service account, broader (no `sub`
/// condition, any namespace, any service account of a namespace, or a pattern that matches a
/// name EMR's pattern does not), or another kind of principal. An `aud` condition is not
/// required (the statement `aws emr-containers update-role-trust-policy` writes has none).
pub fn analyze_emr_trust(
    role: &IamRole,
    cluster: &ClusterTrustContext,
) -> Vec<TrustStatementAnalysis> {
    let Some(doc) = &role.assume_role_policy_document else {
        return Vec::new();
    };
    let source = PolicySource::new(PolicyKind::Trust, &role.arn, None);
    let (policy, _) = CompiledPolicy::compile_lenient(source, doc, DocumentUse::ResourceBased);
    let provider_arn = cluster.provider_arn();
    let sub_key = format!("{}:sub", cluster.oidc_provider).to_ascii_lowercase();
    let aud_key = format!("{}:aud", cluster.oidc_provider).to_ascii_lowercase();
    let mut out = Vec::new();
    for (index, st) in doc.statements.iter().enumerate() {
        if st.effect != Effect::Allow {
            continue;
        }
        let compiled = policy
            .statements
            .iter()
            .find(|c| c.reference.index == index);
        let conditions = compiled.map(|c| c.conditions.as_slice()).unwrap_or(&[]);
        let reference = compiled.map_or_else(
            || StatementRef {
                policy: PolicySource::new(PolicyKind::Trust, &role.arn, None),
                index,
                sid: st.sid.clone(),
                effect: st.effect,
            },
            |c| c.reference.clone(),
        );
        let mut scopes = Vec::new();
        let principal = st.principal.as_ref().or(st.not_principal.as_ref());
        match principal {
            None => scopes.push(TrustScope::NoPrincipal),
            Some(_) if st.not_principal.is_some() => scopes.push(TrustScope::Everyone),
            Some(Principal::Any) => scopes.push(TrustScope::Everyone),
            Some(Principal::Typed(map)) => {
                for (kind, values) in map {
                    for v in values {
                        match kind.as_str() {
                            "AWS" if v == "*" => scopes.push(TrustScope::Everyone),
                            "AWS" => match account_principal(v) {
                                Some(a) => scopes.push(TrustScope::AccountRoot {
                                    account: a.to_owned(),
                                }),
                                None => scopes.push(TrustScope::AwsPrincipal { arn: v.clone() }),
                            },
                            "Service" => scopes.push(TrustScope::Service { name: v.clone() }),
                            "Federated" if *v == provider_arn => {
                                scopes.extend(web_identity_scopes(
                                    conditions,
                                    &sub_key,
                                    cluster,
                                    &role.role_name,
                                ));
                            }
                            "Federated" if v.contains(":oidc-provider/") => {
                                scopes.push(TrustScope::OtherCluster {
                                    provider: v.clone(),
                                });
                            }
                            _ => scopes.push(TrustScope::OtherFederated {
                                provider: v.clone(),
                            }),
                        }
                    }
                }
            }
        }
        scopes.sort();
        scopes.dedup();
        let mut namespaces = BTreeSet::new();
        for s in &scopes {
            match s {
                TrustScope::EmrPattern { namespace }
                | TrustScope::SpecificServiceAccount { namespace, .. }
                | TrustScope::AnyServiceAccountInNamespace { namespace, .. }
                | TrustScope::BroaderThanEmrPattern { namespace, .. } => {
                    namespaces.insert(namespace.clone());
                }
                TrustScope::NoSubCondition | TrustScope::AnyNamespace { .. } => {
                    namespaces.insert("*".to_owned());
                }
                _ => {}
            }
        }
        let other_conditions = conditions
            .iter()
            .any(|c| c.key != sub_key && c.key != aud_key);
        out.push(TrustStatementAnalysis {
            statement: reference,
            scopes,
            namespaces,
            other_conditions,
        });
    }
    out
}

fn web_identity_scopes(
    conditions: &[crate::condition::Condition],
    sub_key: &str,
    cluster: &ClusterTrustContext,
    role_name: &str,
) -> Vec<TrustScope> {
    // Conditions are ANDed, so the narrowest positive `sub` condition bounds the statement.
    let mut best: Option<Vec<TrustScope>> = None;
    for c in conditions {
        let op = c.operator;
        let positive_string = !op.negated
            && op.qualifier != Qualifier::ForAllValues
            && matches!(
                op.comparison,
                Comparison::StringEquals
                    | Comparison::StringLike
                    | Comparison::StringEqualsIgnoreCase
            );
        if c.key != sub_key || !positive_string {
            continue;
        }
        let wildcards = op.comparison == Comparison::StringLike;
        let scopes: Vec<TrustScope> = c
            .raw_values
            .iter()
            .map(|v| classify_sub(v, wildcards, cluster, role_name))
            .collect();
        let width = scopes.iter().map(breadth).max().unwrap_or(0);
        let better = best
            .as_ref()
            .is_none_or(|b| width < b.iter().map(breadth).max().unwrap_or(0));
        if better {
            best = Some(scopes);
        }
    }
    best.unwrap_or_else(|| vec![TrustScope::NoSubCondition])
}
