//! Merges the files' results, in path order, into one inventory.
//!
//! The same object read twice (two files, or two pages that overlap) is kept once: the first
//! copy wins. EMR and Pod Identity objects printed by both a list and a describe call keep
//! the describe output, which has more fields. Access entries merge by principal ARN.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher as _, Hash};

use emrguard_model::aws::{
    AccessEntry, CloudTrailEvent, JobRun, JobTemplate, ManagedEndpoint, PodIdentityAssociation,
    Tag, VirtualCluster,
};
use emrguard_model::inventory::SkippedFile;
use emrguard_model::Inventory;

use crate::partial::{AccessEntryPiece, Described, Partial};
use crate::LoadError;

/// A kept object's identity, borrowed from the object: (kind, namespace, name or id).
type RefKey<'a> = (&'a str, Option<&'a str>, &'a str);

/// The objects kept so far in one inventory list, found by key without copying the key:
/// for each key hash the last kept index, and for each kept index the previous kept index
/// with the same hash.
/// Hashes are foldhash's (much faster than the default SipHash on short keys) with a seed
/// per index, so that a snapshot cannot be built to make them collide.
#[derive(Debug, Default)]
struct KeyIndex {
    last: HashMap<u64, usize, foldhash::fast::RandomState>,
    previous: Vec<Option<usize>>,
    hasher: foldhash::fast::RandomState,
}

#[derive(Debug, Default)]
struct Seen {
    namespaces: KeyIndex,
    service_accounts: KeyIndex,
    roles: KeyIndex,
    cluster_roles: KeyIndex,
    role_bindings: KeyIndex,
    cluster_role_bindings: KeyIndex,
    config_maps: KeyIndex,
    secrets: KeyIndex,
    pods: KeyIndex,
    workloads: KeyIndex,
    webhooks: HashSet<(String, String)>,
    services: KeyIndex,
    network_policies: KeyIndex,
    nodes: KeyIndex,
    iam_users: KeyIndex,
    iam_groups: KeyIndex,
    iam_roles: KeyIndex,
    managed_policies: KeyIndex,
    ids: HashSet<(&'static str, String)>,
    subnets: KeyIndex,
    security_groups: KeyIndex,
    instances: KeyIndex,
    event_ids: HashSet<String>,
}

/// Accumulates files in order.
#[derive(Debug, Default)]
pub(crate) struct Merger {
    inv: Inventory,
    seen: Seen,
    aws_auth_file: Option<String>,
    access_entries: Vec<AccessEntry>,
    access_index: HashMap<String, usize>,
    pod_identity: Vec<Described<PodIdentityAssociation>>,
    pod_identity_index: HashMap<String, usize>,
    virtual_clusters: Vec<Described<VirtualCluster>>,
    virtual_cluster_index: HashMap<String, usize>,
    managed_endpoints: Vec<Described<ManagedEndpoint>>,
    managed_endpoint_index: HashMap<String, usize>,
    job_runs: Vec<Described<JobRun>>,
    job_run_index: HashMap<String, usize>,
    job_templates: Vec<Described<JobTemplate>>,
    job_template_index: HashMap<String, usize>,
    load_balancer_tags: Vec<(String, Vec<Tag>)>,
}

fn name_key(meta: &emrguard_model::k8s::ObjectMeta) -> Option<RefKey<'_>> {
    (!meta.name.is_empty()).then_some(("", meta.namespace.as_deref(), meta.name.as_str()))
}

fn id_key(id: &str) -> Option<RefKey<'_>> {
    (!id.is_empty()).then_some(("", None, id))
}

/// [`append_unique`] with keys borrowed from the objects: the same result, without copying
/// every name into a set.
fn append_unique_indexed<T>(
    dst: &mut Vec<T>,
    index: &mut KeyIndex,
    src: Vec<T>,
    key: impl Fn(&T) -> Option<RefKey<'_>>,
) -> usize {
    let hasher = index.hasher.clone();
    append_unique_hashed(dst, index, src, key, |k| hasher.hash_one(k))
}

fn append_unique_hashed<T>(
    dst: &mut Vec<T>,
    index: &mut KeyIndex,
    src: Vec<T>,
    key: impl Fn(&T) -> Option<RefKey<'_>>,
    hash: impl Fn(&RefKey<'_>) -> u64,
) -> usize {
    let mut dropped = 0;
    dst.reserve(src.len());
    // Objects put in `dst` some other way are not indexed, as they were not seen before.
    index.previous.resize(dst.len(), None);
    for item in src {
        let Some(k) = key(&item) else {
            dst.push(item);
            index.previous.push(None);
            continue;
        };
        let hash = hash(&k);
        let head = index.last.get(&hash).copied();
        let mut at = head;
        let mut duplicate = false;
        while let Some(i) = at {
            if dst.get(i).and_then(&key) == Some(k) {
                duplicate = true;
                break;
            }
            at = index.previous.get(i).copied().flatten();
        }
        if duplicate {
            dropped += 1;
        } else {
            index.last.insert(hash, dst.len());
            index.previous.push(head);
            dst.push(item);
        }
    }
    dropped
}

/// Appends the items of `src` whose key was not seen; returns how many were dropped.
fn append_unique<T, K: Hash + Eq>(
    dst: &mut Vec<T>,
    seen: &mut HashSet<K>,
    src: Vec<T>,
    key: impl Fn(&T) -> Option<K>,
) -> usize {
    let mut dropped = 0;
    dst.reserve(src.len());
    for item in src {
        let fresh = key(&item).is_none_or(|k| seen.insert(k));
        if fresh {
            dst.push(item);
        } else {
            dropped += 1;
        }
    }
    dropped
}

fn arn_key(kind: &'static str, arn: &str) -> Option<(&'static str, String)> {
    (!arn.is_empty()).then(|| (kind, arn.to_owned()))
}

/// Adds list/describe objects by id; a describe copy replaces a list copy.
fn merge_described<T>(
    dst: &mut Vec<Described<T>>,
    index: &mut HashMap<String, usize>,
    src: Vec<Described<T>>,
    key: impl Fn(&T) -> String,
) -> usize {
    let mut dropped = 0;
    for item in src {
        let k = key(&item.value);
        if k.is_empty() {
            dst.push(item);
            continue;
        }
        match index.get(&k).and_then(|&i| dst.get_mut(i)) {
            Some(existing) if item.described && !existing.described => *existing = item,
            Some(existing) if item.described == existing.described => dropped += 1,
            Some(_) => {}
            None => {
                index.insert(k, dst.len());
                dst.push(item);
            }
        }
    }
    dropped
}

impl Merger {
    pub(crate) fn skip(&mut self, file: SkippedFile) {
        self.inv.skipped.push(file);
    }

    /// A malformed or unreadable file under `keep_going`.
    pub(crate) fn skip_malformed(&mut self, file: String, error: &LoadError) {
        let reason = match error {
            LoadError::Malformed {
                location, message, ..
            } => format!("malformed at {location}: {message}"),
            LoadError::Io { message, .. } => format!("could not be read: {message}"),
        };
        self.inv.warnings.push(format!("{file}: skipped, {reason}"));
        self.inv.skipped.push(SkippedFile { file, reason });
    }

    pub(crate) fn add(&mut self, file: &str, partial: Partial) {
        let Partial {
            inv: p,
            access_entries,
            pod_identity,
            virtual_clusters,
            managed_endpoints,
            job_runs,
            job_templates,
            load_balancer_tags,
            events,
            ..
        } = partial;
        let inv = &mut self.inv;
        let seen = &mut self.seen;
        let mut dropped = 0;
        dropped += append_unique_indexed(
            &mut inv.namespaces,
            &mut seen.namespaces,
            p.namespaces,
            |o| name_key(&o.metadata),
        );
        dropped += append_unique_indexed(
            &mut inv.service_accounts,
            &mut seen.service_accounts,
            p.service_accounts,
            |o| name_key(&o.metadata),
        );
        dropped += append_unique_indexed(&mut inv.roles, &mut seen.roles, p.roles, |o| {
            name_key(&o.metadata)
        });
        dropped += append_unique_indexed(
            &mut inv.cluster_roles,
            &mut seen.cluster_roles,
            p.cluster_roles,
            |o| name_key(&o.metadata),
        );
        dropped += append_unique_indexed(
            &mut inv.role_bindings,
            &mut seen.role_bindings,
            p.role_bindings,
            |o| name_key(&o.metadata),
        );
        dropped += append_unique_indexed(
            &mut inv.cluster_role_bindings,
            &mut seen.cluster_role_bindings,
            p.cluster_role_bindings,
            |o| name_key(&o.metadata),
        );
        dropped += append_unique_indexed(
            &mut inv.config_maps,
            &mut seen.config_maps,
            p.config_maps,
            |o| name_key(&o.metadata),
        );
        dropped += append_unique_indexed(&mut inv.secrets, &mut seen.secrets, p.secrets, |o| {
            name_key(&o.metadata)
        });
        dropped += append_unique_indexed(&mut inv.pods, &mut seen.pods, p.pods, |o| {
            name_key(&o.metadata)
        });
        dropped +=
            append_unique_indexed(&mut inv.workloads, &mut seen.workloads, p.workloads, |o| {
                name_key(&o.metadata).map(|(_, ns, name)| (o.kind.as_str(), ns, name))
            });
        dropped += append_unique(
            &mut inv.webhook_configurations,
            &mut seen.webhooks,
            p.webhook_configurations,
            |o| {
                (!o.metadata.name.is_empty())
                    .then(|| (format!("{:?}", o.kind), o.metadata.name.to_string()))
            },
        );
        dropped += append_unique_indexed(&mut inv.services, &mut seen.services, p.services, |o| {
            name_key(&o.metadata)
        });
        dropped += append_unique_indexed(
            &mut inv.network_policies,
            &mut seen.network_policies,
            p.network_policies,
            |o| name_key(&o.metadata),
        );
        dropped += append_unique_indexed(&mut inv.nodes, &mut seen.nodes, p.nodes, |o| {
            name_key(&o.metadata)
        });
        dropped +=
            append_unique_indexed(&mut inv.iam_users, &mut seen.iam_users, p.iam_users, |o| {
                id_key(&o.arn)
            });
        dropped += append_unique_indexed(
            &mut inv.iam_groups,
            &mut seen.iam_groups,
            p.iam_groups,
            |o| id_key(&o.arn),
        );
        dropped +=
            append_unique_indexed(&mut inv.iam_roles, &mut seen.iam_roles, p.iam_roles, |o| {
                id_key(&o.arn)
            });
        dropped += append_unique_indexed(
            &mut inv.managed_policies,
            &mut seen.managed_policies,
            p.managed_policies,
            |o| id_key(&o.arn),
        );
        dropped += append_unique(&mut inv.clusters, &mut seen.ids, p.clusters, |o| {
            arn_key("cluster", &o.name)
        });
        dropped += append_unique(&mut inv.nodegroups, &mut seen.ids, p.nodegroups, |o| {
            arn_key(
                "nodegroup",
                &format!(
                    "{}/{}",
                    o.cluster_name.as_deref().unwrap_or_default(),
                    o.nodegroup_name
                ),
            )
        });
        dropped += append_unique_indexed(&mut inv.subnets, &mut seen.subnets, p.subnets, |o| {
            id_key(&o.subnet_id)
        });
        dropped += append_unique(&mut inv.route_tables, &mut seen.ids, p.route_tables, |o| {
            arn_key("route-table", &o.route_table_id)
        });
        dropped += append_unique_indexed(
            &mut inv.security_groups,
            &mut seen.security_groups,
            p.security_groups,
            |o| id_key(&o.group_id),
        );
        dropped += append_unique(
            &mut inv.launch_template_versions,
            &mut seen.ids,
            p.launch_template_versions,
            |o| {
                let id = o.launch_template_id.as_deref().unwrap_or_default();
                (!id.is_empty()).then(|| {
                    (
                        "launch-template-version",
                        format!("{id}/{}", o.version_number.unwrap_or_default()),
                    )
                })
            },
        );
        dropped +=
            append_unique_indexed(&mut inv.instances, &mut seen.instances, p.instances, |o| {
                id_key(&o.instance_id)
            });
        dropped += append_unique(
            &mut inv.load_balancers,
            &mut seen.ids,
            p.load_balancers,
            |o| arn_key("load-balancer", &o.load_balancer_arn),
        );
        if let Some(auth) = p.aws_auth {
            match &self.aws_auth_file {
                None => {
                    inv.aws_auth = Some(auth);
                    self.aws_auth_file = Some(file.to_owned());
                }
                Some(first) => inv.warnings.push(format!(
                    "{file}: kube-system/aws-auth was already read from {first}; this copy is ignored"
                )),
            }
        }
        inv.present.extend(p.present);
        inv.warnings.extend(p.warnings);
        inv.skipped.extend(p.skipped);

        for piece in access_entries {
            self.add_access_entry(piece);
        }
        dropped += merge_described(
            &mut self.pod_identity,
            &mut self.pod_identity_index,
            pod_identity,
            |a| {
                a.association_id
                    .clone()
                    .or_else(|| a.association_arn.clone())
                    .unwrap_or_else(|| {
                        format!(
                            "{}/{}/{}",
                            a.cluster_name.as_deref().unwrap_or_default(),
                            a.namespace,
                            a.service_account
                        )
                    })
            },
        );
        dropped += merge_described(
            &mut self.virtual_clusters,
            &mut self.virtual_cluster_index,
            virtual_clusters,
            |v| v.id.clone(),
        );
        dropped += merge_described(
            &mut self.managed_endpoints,
            &mut self.managed_endpoint_index,
            managed_endpoints,
            |e| e.id.clone(),
        );
        dropped += merge_described(&mut self.job_runs, &mut self.job_run_index, job_runs, |j| {
            if j.id.is_empty() {
                String::new()
            } else {
                format!("{}/{}", j.virtual_cluster_id, j.id)
            }
        });
        dropped += merge_described(
            &mut self.job_templates,
            &mut self.job_template_index,
            job_templates,
            |t| t.id.clone(),
        );
        self.load_balancer_tags.extend(load_balancer_tags);
        for (id, event) in events {
            self.add_event(id, event);
        }
        if dropped > 0 {
            self.inv.warnings.push(format!(
                "{file}: {dropped} object(s) already read (from this or an earlier file) were ignored; the first copy is used"
            ));
        }
    }

    fn add_event(&mut self, id: Option<String>, event: CloudTrailEvent) {
        if let Some(id) = id {
            if !self.seen.event_ids.insert(id) {
                return;
            }
        }
        self.inv.cloudtrail_events.push(event);
    }

    fn add_access_entry(&mut self, piece: AccessEntryPiece) {
        let principal = match &piece {
            AccessEntryPiece::Listed { principal_arn, .. }
            | AccessEntryPiece::Policies { principal_arn, .. } => principal_arn.clone(),
            AccessEntryPiece::Described(entry) => entry.principal_arn.clone(),
        };
        let index = match self.access_index.get(&principal) {
            Some(&i) => i,
            None => {
                let (cluster_name, source) = match &piece {
                    AccessEntryPiece::Listed { source, .. } => (None, source.clone()),
                    AccessEntryPiece::Policies {
                        cluster_name,
                        source,
                        ..
                    } => (cluster_name.clone(), source.clone()),
                    AccessEntryPiece::Described(entry) => {
                        (entry.cluster_name.clone(), entry.source.clone())
                    }
                };
                self.access_index
                    .insert(principal.clone(), self.access_entries.len());
                self.access_entries.push(AccessEntry {
                    cluster_name,
                    principal_arn: principal,
                    source,
                    ..AccessEntry::default()
                });
                self.access_entries.len() - 1
            }
        };
        let Some(existing) = self.access_entries.get_mut(index) else {
            return;
        };
        match piece {
            AccessEntryPiece::Listed { .. } => {}
            AccessEntryPiece::Described(entry) => {
                if !existing.described {
                    let policies = std::mem::take(&mut existing.access_policies);
                    *existing = entry;
                    existing.access_policies = policies;
                    existing.described = true;
                }
            }
            AccessEntryPiece::Policies {
                cluster_name,
                policies,
                ..
            } => {
                if existing.cluster_name.is_none() {
                    existing.cluster_name = cluster_name;
                }
                for policy in policies {
                    if !existing.access_policies.contains(&policy) {
                        existing.access_policies.push(policy);
                    }
                }
            }
        }
    }

    pub(crate) fn finish(mut self) -> Inventory {
        let mut inv = self.inv;
        inv.access_entries = self.access_entries;
        inv.pod_identity_associations = self.pod_identity.into_iter().map(|d| d.value).collect();
        inv.virtual_clusters = self.virtual_clusters.into_iter().map(|d| d.value).collect();
        inv.managed_endpoints = self
            .managed_endpoints
            .into_iter()
            .map(|d| d.value)
            .collect();
        inv.job_runs = self.job_runs.into_iter().map(|d| d.value).collect();
        inv.job_templates = self.job_templates.into_iter().map(|d| d.value).collect();
        let by_arn: HashMap<String, usize> = inv
            .load_balancers
            .iter()
            .enumerate()
            .map(|(i, lb)| (lb.load_balancer_arn.clone(), i))
            .collect();
        for (arn, tags) in self.load_balancer_tags.drain(..) {
            if let Some(lb) = by_arn
                .get(&arn)
                .and_then(|&i| inv.load_balancers.get_mut(i))
            {
                if lb.tags.is_empty() {
                    lb.tags = tags;
                }
            }
        }
        resolve_page_warnings(&mut inv.warnings);
        inv.finalize();
        inv
    }
}

/// Marks a paging warning (followed by the page group, NUL, and the warning text).
pub(crate) const PAGE_MARK: &str = "\u{1}page\u{1}";
/// Marks a last (or only) page of a paged result (followed by the page group).
pub(crate) const LAST_PAGE_MARK: &str = "\u{1}last\u{1}";

/// The group of pages a file belongs to: its directory and the file-name prefix before the
/// first `.`.
pub(crate) fn page_group(file: &str) -> String {
    let (dir, name) = file.rsplit_once('/').unwrap_or(("", file));
    let stem = name.split('.').next().unwrap_or(name);
    format!("{dir}/{stem}")
}

/// Keeps a paging warning only when no last page of its group was read, and removes the
/// markers.
fn resolve_page_warnings(warnings: &mut Vec<String>) {
    let complete: std::collections::BTreeSet<String> = warnings
        .iter()
        .filter_map(|w| w.strip_prefix(LAST_PAGE_MARK).map(str::to_owned))
        .collect();
    let mut out = Vec::with_capacity(warnings.len());
    for w in warnings.drain(..) {
        if w.starts_with(LAST_PAGE_MARK) {
            continue;
        }
        match w
            .strip_prefix(PAGE_MARK)
            .and_then(|rest| rest.split_once('\u{0}'))
        {
            Some((group, text)) => {
                if !complete.contains(group) {
                    out.push(text.to_owned());
                }
            }
            None => out.push(w),
        }
    }
    *warnings = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    type Item = (Option<&'static str>, &'static str, u32);

    fn item_key(item: &Item) -> Option<RefKey<'_>> {
        (!item.1.is_empty()).then_some(("", item.0, item.1))
    }

    fn batches() -> Vec<Vec<Item>> {
        let names = ["a", "b", "", "c", "a"];
        let namespaces = [None, Some("x"), Some("y")];
        let mut batches = Vec::new();
        let mut n = 0;
        for round in 0..4 {
            let mut batch = Vec::new();
            for (i, name) in names.iter().enumerate() {
                if (i + round) % 3 != 0 {
                    batch.push((namespaces[(i * round) % 3], *name, n));
                    n += 1;
                }
            }
            batches.push(batch);
        }
        batches
    }

    /// Keys borrowed from the kept items give what a set of copied keys gives, also when
    /// every key has the same hash.
    #[test]
    fn indexed_dedup_equals_set_dedup() {
        let mut expected: Vec<Item> = Vec::new();
        let mut seen = HashSet::new();
        let mut expected_dropped = 0;
        for batch in batches() {
            expected_dropped += append_unique(&mut expected, &mut seen, batch, |o| {
                (!o.1.is_empty()).then(|| (o.0.map(str::to_owned), o.1.to_owned()))
            });
        }
        assert!(expected_dropped > 0);
        assert!(expected.len() > 3);
        for same_hash in [false, true] {
            let mut kept: Vec<Item> = Vec::new();
            let mut index = KeyIndex::default();
            let mut dropped = 0;
            for batch in batches() {
                dropped += if same_hash {
                    append_unique_hashed(&mut kept, &mut index, batch, item_key, |_| 7)
                } else {
                    append_unique_indexed(&mut kept, &mut index, batch, item_key)
                };
            }
            assert_eq!(
                (&kept, dropped),
                (&expected, expected_dropped),
                "{same_hash}"
            );
        }
    }
}
