//! What each IAM user's and role's documents may allow of the EMR submission actions and
//! `iam:PassRole`, read from the documents as written, once per run.
//!
//! Three rules and the path rule's sources ask this of every principal before compiling
//! anything; each used to walk every document of every principal (at 20,000 roles, a sixth of
//! the rules' time). One walk now answers all of them, and any other set of actions is
//! answered by a walk of its own with the same code.

use std::borrow::Cow;

use emrguard_iam::audit::EXECUTION_ROLE_ACTIONS;
use emrguard_iam::glob_matches_lowercase;
use emrguard_model::aws::{AttachedPolicy, InlinePolicy, ManagedPolicy};
use emrguard_model::hash::HashMap;
use emrguard_model::policy::{Effect, PolicyDocument};
use emrguard_model::Inventory;

/// The actions read for in the shared walk: EMR's submission actions (jobs, managed endpoints
/// and their session credentials) and `iam:PassRole`.
fn watched() -> Vec<&'static str> {
    EXECUTION_ROLE_ACTIONS
        .iter()
        .copied()
        .chain(["iam:PassRole"])
        .collect()
}

/// At most this many actions are read for in one walk (a bit each).
const MAX_ACTIONS: usize = u32::BITS as usize;

/// What the `Allow` statements of some documents may grant of a list of actions, a bit per
/// action of the list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Grants {
    /// The actions an `Action` of an `Allow` statement matches.
    named: u32,
    /// Whether an `Allow` statement has a `NotAction` (it may allow what it does not name).
    not_action: bool,
    /// For each `Allow` statement with a `NotAction` and no `Action`: the actions it names,
    /// i.e. does not allow (each set once).
    excluded: Vec<u32>,
}

impl Grants {
    fn add_document(&mut self, doc: &PolicyDocument, actions: &[String]) {
        let bits = |patterns: &[String]| {
            actions
                .iter()
                .enumerate()
                .filter(|(_, a)| patterns.iter().any(|p| glob_matches_lowercase(p, a)))
                .fold(0u32, |acc, (i, _)| acc | 1 << i)
        };
        for st in doc
            .statements
            .iter()
            .filter(|st| st.effect == Effect::Allow)
        {
            self.not_action |= st.not_action.is_some();
            match (&st.action, &st.not_action) {
                (Some(patterns), _) => self.named |= bits(patterns),
                (None, Some(patterns)) => self.exclude(bits(patterns)),
                (None, None) => {}
            }
        }
    }

    fn exclude(&mut self, set: u32) {
        if !self.excluded.contains(&set) {
            self.excluded.push(set);
        }
    }

    fn add(&mut self, other: &Self) {
        self.named |= other.named;
        self.not_action |= other.not_action;
        for &set in &other.excluded {
            self.exclude(set);
        }
    }

    /// Whether an `Allow` statement names one of `wanted` in its `Action`, or has a
    /// `NotAction` at all.
    pub(crate) fn may_allow(&self, wanted: u32) -> bool {
        self.not_action || self.named & wanted != 0
    }

    /// Whether an `Allow` statement names one of `wanted` in its `Action`, or has only a
    /// `NotAction` that names none of them.
    pub(crate) fn may_allow_one_not_excluded(&self, wanted: u32) -> bool {
        self.named & wanted != 0 || self.excluded.iter().any(|set| set & wanted == 0)
    }
}

/// [`Grants`] of every IAM user (its groups' documents included) and role, in inventory order.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawGrants {
    actions: Vec<String>,
    users: Vec<Grants>,
    roles: Vec<Grants>,
}

impl RawGrants {
    /// The shared walk, for the watched actions.
    pub(crate) fn watched(inventory: &Inventory) -> Self {
        Self::walk(inventory, &watched())
    }

    /// The grants of `actions` (any case). Past [`MAX_ACTIONS`] actions, which no caller asks
    /// about, every principal may allow every action: callers use this to pass over
    /// principals, so erring means more work, never a missed principal.
    pub(crate) fn walk<'i>(inventory: &'i Inventory, actions: &[&str]) -> Self {
        if actions.len() > MAX_ACTIONS {
            let anything = Grants {
                named: u32::MAX,
                not_action: true,
                excluded: vec![0],
            };
            return Self {
                actions: Vec::new(),
                users: vec![anything.clone(); inventory.iam_users.len()],
                roles: vec![anything; inventory.iam_roles.len()],
            };
        }
        let actions: Vec<String> = actions.iter().map(|a| a.to_ascii_lowercase()).collect();
        let mut managed: HashMap<&'i str, Grants> = HashMap::default();
        let mut of =
            |inline: &'i [InlinePolicy], attached: &'i [AttachedPolicy], into: &mut Grants| {
                for p in inline {
                    into.add_document(&p.policy_document, &actions);
                }
                for a in attached {
                    let grants = managed.entry(a.policy_arn.as_str()).or_insert_with(|| {
                        let mut g = Grants::default();
                        if let Some(doc) = inventory
                            .policy_by_arn(&a.policy_arn)
                            .and_then(ManagedPolicy::default_document)
                        {
                            g.add_document(doc, &actions);
                        }
                        g
                    });
                    into.add(grants);
                }
            };
        let users = inventory
            .iam_users
            .iter()
            .map(|user| {
                let mut g = Grants::default();
                of(
                    &user.user_policy_list,
                    &user.attached_managed_policies,
                    &mut g,
                );
                for group in user
                    .group_list
                    .iter()
                    .filter_map(|name| inventory.group_by_name(name))
                {
                    of(
                        &group.group_policy_list,
                        &group.attached_managed_policies,
                        &mut g,
                    );
                }
                g
            })
            .collect();
        let roles = inventory
            .iam_roles
            .iter()
            .map(|role| {
                let mut g = Grants::default();
                of(
                    &role.role_policy_list,
                    &role.attached_managed_policies,
                    &mut g,
                );
                g
            })
            .collect();
        Self {
            actions,
            users,
            roles,
        }
    }

    /// These grants and the bits of `actions` in them when this walk read for every one of
    /// `actions`, else a walk of the inventory for `actions` alone.
    pub(crate) fn for_actions(
        &self,
        inventory: &Inventory,
        actions: &[&str],
    ) -> (Cow<'_, Self>, u32) {
        match self.bits(actions) {
            Some(bits) => (Cow::Borrowed(self), bits),
            None => {
                let own = Self::walk(inventory, actions);
                let bits = own.bits(actions).unwrap_or(u32::MAX);
                (Cow::Owned(own), bits)
            }
        }
    }

    /// The bits of `actions` (any case) in this walk; `None` when one was not read for.
    pub(crate) fn bits(&self, actions: &[&str]) -> Option<u32> {
        actions.iter().try_fold(0u32, |acc, action| {
            let i = self
                .actions
                .iter()
                .position(|a| a.eq_ignore_ascii_case(action))?;
            Some(acc | 1 << i)
        })
    }

    /// The grants of the `i`-th IAM user of the inventory.
    pub(crate) fn user(&self, i: usize) -> Option<&Grants> {
        self.users.get(i)
    }

    /// The grants of the `i`-th IAM role of the inventory.
    pub(crate) fn role(&self, i: usize) -> Option<&Grants> {
        self.roles.get(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use emrguard_model::aws::{IamGroup, IamRole, IamUser, PolicyVersion};
    use proptest::prelude::*;

    /// The walk every caller made before, for one document: an `Allow` with a `NotAction`, or
    /// an `Action` matching one of `targets` (lower case).
    fn document_may_allow(doc: &PolicyDocument, targets: &[String]) -> bool {
        doc.statements.iter().any(|st| {
            st.effect == Effect::Allow
                && (st.not_action.is_some()
                    || st.action.as_ref().is_some_and(|actions| {
                        actions
                            .iter()
                            .any(|a| targets.iter().any(|t| glob_matches_lowercase(a, t)))
                    }))
        })
    }

    /// The path rule's former check, for one document: an `Allow` whose `Action` names one of
    /// `targets`, or whose `NotAction` (without `Action`) names none of them.
    fn document_may_submit(doc: &PolicyDocument, targets: &[String]) -> bool {
        doc.statements.iter().any(|st| {
            if st.effect != Effect::Allow {
                return false;
            }
            let matches = |patterns: &[String]| {
                targets
                    .iter()
                    .any(|t| patterns.iter().any(|p| glob_matches_lowercase(p, t)))
            };
            match (&st.action, &st.not_action) {
                (Some(actions), _) => matches(actions),
                (None, Some(not_actions)) => !matches(not_actions),
                (None, None) => false,
            }
        })
    }

    const PATTERNS: &[&str] = &[
        "*",
        "emr-containers:*",
        "EMR-Containers:StartJobRun",
        "emr-containers:Start*",
        "emr-containers:*ManagedEndpoint*",
        "emr-containers:GetManagedEndpointSessionCredentials",
        "iam:PassRole",
        "iam:Pass?ole",
        "iam:*",
        "s3:GetObject",
        "*:*Job*",
        "ec2:*",
    ];

    fn statement() -> impl Strategy<Value = serde_json::Value> {
        let patterns = || proptest::collection::vec(proptest::sample::select(PATTERNS), 1..4);
        (
            any::<bool>(),
            proptest::option::of(patterns()),
            proptest::option::of(patterns()),
        )
            .prop_map(|(allow, action, not_action)| {
                let mut st = serde_json::json!({
                    "Effect": if allow { "Allow" } else { "Deny" },
                    "Resource": "*",
                });
                if let Some(a) = action {
                    st["Action"] = serde_json::json!(a);
                }
                if let Some(n) = not_action {
                    st["NotAction"] = serde_json::json!(n);
                }
                st
            })
    }

    fn document() -> impl Strategy<Value = PolicyDocument> {
        proptest::collection::vec(statement(), 0..4).prop_map(|statements| {
            serde_json::from_value(serde_json::json!({
                "Version": "2012-10-17",
                "Statement": statements,
            }))
            .unwrap_or_default()
        })
    }

    fn inline(doc: &PolicyDocument) -> InlinePolicy {
        InlinePolicy {
            policy_name: "p".into(),
            policy_document: doc.clone(),
        }
    }

    /// An inventory with a role, a user in a group and a managed policy on each, from four
    /// documents.
    fn inventory(docs: &[PolicyDocument; 4]) -> Inventory {
        let [role_doc, user_doc, group_doc, managed_doc] = docs;
        let attached = || {
            vec![AttachedPolicy {
                policy_name: Some("m".into()),
                policy_arn: "arn:aws:iam::1:policy/m".into(),
            }]
        };
        let mut inventory = Inventory::default();
        inventory.iam_roles = vec![IamRole {
            role_name: "r".into(),
            arn: "arn:aws:iam::1:role/r".into(),
            role_policy_list: vec![inline(role_doc)],
            attached_managed_policies: attached(),
            ..IamRole::default()
        }];
        inventory.iam_users = vec![IamUser {
            user_name: "u".into(),
            arn: "arn:aws:iam::1:user/u".into(),
            user_policy_list: vec![inline(user_doc)],
            group_list: vec!["g".into()],
            ..IamUser::default()
        }];
        inventory.iam_groups = vec![IamGroup {
            group_name: "g".into(),
            arn: "arn:aws:iam::1:group/g".into(),
            group_policy_list: vec![inline(group_doc)],
            attached_managed_policies: attached(),
            ..IamGroup::default()
        }];
        inventory.managed_policies = vec![ManagedPolicy {
            policy_name: Some("m".into()),
            arn: "arn:aws:iam::1:policy/m".into(),
            default_version_id: Some("v1".into()),
            policy_version_list: vec![PolicyVersion {
                document: managed_doc.clone(),
                version_id: Some("v1".into()),
                is_default_version: true,
            }],
            ..ManagedPolicy::default()
        }];
        inventory.finalize();
        inventory
    }

    proptest! {
        /// For any documents and any of the watched actions, the shared walk answers what
        /// reading each principal's documents one by one answers.
        #[test]
        fn the_shared_walk_answers_as_each_document_read_alone(
            docs in [document(), document(), document(), document()],
            wanted in proptest::sample::subsequence(watched(), 1..=watched().len()),
        ) {
            let inventory = inventory(&docs);
            let [role_doc, user_doc, group_doc, managed_doc] = &docs;
            let targets: Vec<String> = wanted.iter().map(|a| a.to_ascii_lowercase()).collect();
            let grants = RawGrants::watched(&inventory);
            let bits = grants.bits(&wanted);
            prop_assert!(bits.is_some());
            let bits = bits.unwrap_or_default();
            let role = grants.role(0).cloned().unwrap_or_default();
            let user = grants.user(0).cloned().unwrap_or_default();
            prop_assert_eq!(
                role.may_allow(bits),
                [role_doc, managed_doc].iter().any(|d| document_may_allow(d, &targets))
            );
            prop_assert_eq!(
                role.may_allow_one_not_excluded(bits),
                [role_doc, managed_doc].iter().any(|d| document_may_submit(d, &targets))
            );
            prop_assert_eq!(
                user.may_allow(bits),
                [user_doc, group_doc, managed_doc]
                    .iter()
                    .any(|d| document_may_allow(d, &targets))
            );
            // A walk for just these actions, in another case, answers the same.
            let upper: Vec<String> = wanted.iter().map(|a| a.to_ascii_uppercase()).collect();
            let upper: Vec<&str> = upper.iter().map(String::as_str).collect();
            let own = RawGrants::walk(&inventory, &upper);
            let own_bits = own.bits(&wanted).unwrap_or_default();
            prop_assert_eq!(
                own.role(0).map(|g| g.may_allow(own_bits)),
                Some(role.may_allow(bits))
            );
        }
    }

    #[test]
    fn document_scan_matches_wildcards_and_not_action() {
        let targets = vec!["emr-containers:startjobrun".to_owned()];
        let doc = |json: &str| emrguard_model::policy::parse_policy_document(json).unwrap();
        let grants_of = |d: &PolicyDocument| {
            let mut g = Grants::default();
            g.add_document(d, &targets);
            g
        };
        for yes in [
            r#"{"Statement":{"Effect":"Allow","Action":"emr-containers:Start*","Resource":"*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
            r#"{"Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":["s3:GetObject","EMR-Containers:StartJobRun"],"Resource":"*"}}"#,
        ] {
            assert!(document_may_allow(&doc(yes), &targets), "{yes}");
            assert!(grants_of(&doc(yes)).may_allow(1), "{yes}");
        }
        for no in [
            r#"{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}"#,
            r#"{"Statement":{"Effect":"Allow","Action":"emr-containers:Describe*","Resource":"*"}}"#,
        ] {
            assert!(!document_may_allow(&doc(no), &targets), "{no}");
            assert!(!grants_of(&doc(no)).may_allow(1), "{no}");
        }
    }

    #[test]
    fn actions_not_read_for_are_read_by_a_walk_of_their_own() {
        let doc = |action: &str| -> PolicyDocument {
            serde_json::from_value(serde_json::json!({
                "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]
            }))
            .unwrap_or_default()
        };
        let s3 = doc("s3:Get*");
        let inventory = inventory(&[s3.clone(), s3.clone(), s3.clone(), s3]);
        let grants = RawGrants::watched(&inventory);
        // Each watched action's bit is its position in the watched list, in any case.
        let bit = |action: &str| {
            let at = watched().iter().position(|a| *a == action);
            at.map(|i| 1u32 << i)
        };
        let (pass_role, start) = (bit("iam:PassRole"), bit("emr-containers:StartJobRun"));
        assert!(pass_role.is_some() && start.is_some() && pass_role != start);
        assert_eq!(grants.bits(&["iam:PassRole"]), pass_role);
        assert_eq!(
            grants.bits(&["IAM:PASSROLE", "emr-containers:StartJobRun"]),
            pass_role.zip(start).map(|(p, s)| p | s)
        );
        assert_eq!(grants.bits(&["s3:GetObject"]), None);
        assert!(grants.user(1).is_none());

        let (watched, bits) = grants.for_actions(&inventory, &["iam:PassRole"]);
        assert!(matches!(watched, Cow::Borrowed(_)));
        assert_eq!(watched.role(0).map(|g| g.may_allow(bits)), Some(false));
        let (own, bits) = grants.for_actions(&inventory, &["s3:GetObject"]);
        assert!(matches!(own, Cow::Owned(_)));
        assert_eq!(own.role(0).map(|g| g.may_allow(bits)), Some(true));
        assert_eq!(own.user(0).map(|g| g.may_allow(bits)), Some(true));

        // Too many actions for one walk: every principal may allow them.
        let many: Vec<String> = (0..=MAX_ACTIONS).map(|i| format!("s3:Action{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let (all, bits) = grants.for_actions(&inventory, &many);
        assert_eq!(
            all.role(0)
                .map(|g| (g.may_allow(bits), g.may_allow_one_not_excluded(bits))),
            Some((true, true))
        );
    }
}
