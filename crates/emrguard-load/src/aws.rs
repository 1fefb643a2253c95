//! aws CLI output, recognised by its top-level keys.

use emrguard_model::aws::{
    AccessEntry, AssociatedAccessPolicy, EksCluster, IamGroup, IamRole, IamUser, Instance, JobRun,
    JobTemplate, LaunchTemplateVersion, LoadBalancer, ManagedEndpoint, ManagedPolicy, Nodegroup,
    PodIdentityAssociation, RouteTable, SecurityGroup, Subnet, Tag, VirtualCluster,
};
use emrguard_model::inventory::area;
use emrguard_model::Source;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::cloudtrail::{LookupEvent, Record};
use crate::error::{join_path, FileError};
use crate::json::{JsonDoc, JsonElem, TopValue};
use crate::parallel::par_collect;
use crate::partial::{AccessEntryPiece, Described, Partial};

/// Lists larger than this (in bytes of JSON) are parsed on several threads.
const PARALLEL_BYTES: usize = 4 << 20;

/// Keys that identify aws CLI output this loader reads.
const RECOGNISED: &[&str] = &[
    "UserDetailList",
    "GroupDetailList",
    "RoleDetailList",
    "Policies",
    "cluster",
    "nodegroup",
    "accessEntries",
    "accessEntry",
    "associatedAccessPolicies",
    "associations",
    "association",
    "virtualClusters",
    "virtualCluster",
    "endpoints",
    "endpoint",
    "jobRuns",
    "jobRun",
    "templates",
    "jobTemplate",
    "Subnets",
    "RouteTables",
    "SecurityGroups",
    "LaunchTemplateVersions",
    "Reservations",
    "LoadBalancers",
    "TagDescriptions",
    "Events",
    "Records",
];

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
struct Reservation {
    #[serde(deserialize_with = "null_default")]
    instances: Vec<Instance>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
struct TagDescription {
    resource_arn: String,
    #[serde(deserialize_with = "null_default")]
    tags: Vec<Tag>,
}

fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Reads the aws CLI shapes in `doc`. Returns whether any key was recognised.
pub(crate) fn load(
    doc: &JsonDoc<'_>,
    file: &str,
    threads: usize,
    out: &mut Partial,
) -> Result<bool, FileError> {
    let reader = Reader { doc, file, threads };
    let has = |key: &str| doc.entries().iter().any(|(k, _)| k == key);
    let auth_details = has("UserDetailList") || has("GroupDetailList") || has("RoleDetailList");
    let mut recognised = false;
    for (key, value) in doc.entries() {
        if !RECOGNISED.contains(&key.as_str()) {
            continue;
        }
        let key = key.as_str();
        match key {
            "UserDetailList" => add_users(reader.many(key, value)?, out),
            "GroupDetailList" => add_groups(reader.many(key, value)?, out),
            "RoleDetailList" => add_roles(reader.many(key, value)?, out),
            "Policies" => {
                if !add_policies(reader.many(key, value)?, auth_details, out) {
                    continue;
                }
            }
            "cluster" => {
                let (mut cluster, source) = reader.one::<EksCluster>(key, value)?;
                cluster.source = source;
                out.inv.clusters.push(cluster);
                out.mark(area::EKS_CLUSTER);
            }
            "nodegroup" => {
                let (mut nodegroup, source) = reader.one::<Nodegroup>(key, value)?;
                nodegroup.source = source;
                out.inv.nodegroups.push(nodegroup);
                out.mark(area::NODEGROUPS);
            }
            "accessEntries" => {
                for (principal_arn, source) in reader.many::<String>(key, value)? {
                    out.access_entries.push(AccessEntryPiece::Listed {
                        principal_arn,
                        source,
                    });
                }
                out.mark(area::ACCESS_ENTRIES);
            }
            "accessEntry" => {
                let (mut entry, source) = reader.one::<AccessEntry>(key, value)?;
                entry.source = source;
                entry.described = true;
                out.access_entries.push(AccessEntryPiece::Described(entry));
                out.mark(area::ACCESS_ENTRIES);
            }
            "associatedAccessPolicies" => {
                let Some(principal_arn) = doc.string("principalArn") else {
                    return Err(FileError::at_path(
                        "principalArn",
                        "missing: eks list-associated-access-policies output names the principal in `principalArn`",
                    ));
                };
                let items = reader.many::<AssociatedAccessPolicy>(key, value)?;
                let source = reader.source(doc.whole().line);
                out.access_entries.push(AccessEntryPiece::Policies {
                    cluster_name: doc.string("clusterName"),
                    principal_arn,
                    policies: items.into_iter().map(|(p, _)| p).collect(),
                    source,
                });
                out.mark(area::ACCESS_ENTRIES);
            }
            "associations" | "association" => {
                let described = key == "association";
                for (mut value, source) in
                    reader.one_or_many::<PodIdentityAssociation>(key, value)?
                {
                    value.source = source;
                    out.pod_identity.push(Described { value, described });
                }
                out.mark(area::POD_IDENTITY);
            }
            "virtualClusters" | "virtualCluster" => {
                let described = key == "virtualCluster";
                for (mut value, source) in reader.one_or_many::<VirtualCluster>(key, value)? {
                    value.source = source;
                    out.virtual_clusters.push(Described { value, described });
                }
                out.mark(area::VIRTUAL_CLUSTERS);
            }
            "endpoints" | "endpoint" => {
                let described = key == "endpoint";
                for (mut value, source) in reader.one_or_many::<ManagedEndpoint>(key, value)? {
                    value.source = source;
                    out.managed_endpoints.push(Described { value, described });
                }
                out.mark(area::MANAGED_ENDPOINTS);
            }
            "jobRuns" | "jobRun" => {
                let described = key == "jobRun";
                for (mut value, source) in reader.one_or_many::<JobRun>(key, value)? {
                    value.source = source;
                    out.job_runs.push(Described { value, described });
                }
                out.mark(area::JOB_RUNS);
            }
            "templates" | "jobTemplate" => {
                let described = key == "jobTemplate";
                for (mut value, source) in reader.one_or_many::<JobTemplate>(key, value)? {
                    value.source = source;
                    out.job_templates.push(Described { value, described });
                }
                out.mark(area::JOB_TEMPLATES);
            }
            "Subnets" => {
                for (mut subnet, source) in reader.many::<Subnet>(key, value)? {
                    subnet.source = source;
                    out.inv.subnets.push(subnet);
                }
                out.mark(area::SUBNETS);
            }
            "RouteTables" => {
                for (mut table, source) in reader.many::<RouteTable>(key, value)? {
                    table.source = source;
                    out.inv.route_tables.push(table);
                }
                out.mark(area::ROUTE_TABLES);
            }
            "SecurityGroups" => {
                for (mut group, source) in reader.many::<SecurityGroup>(key, value)? {
                    group.source = source;
                    out.inv.security_groups.push(group);
                }
                out.mark(area::SECURITY_GROUPS);
            }
            "LaunchTemplateVersions" => {
                for (mut version, source) in reader.many::<LaunchTemplateVersion>(key, value)? {
                    version.source = source;
                    out.inv.launch_template_versions.push(version);
                }
                out.mark(area::LAUNCH_TEMPLATES);
            }
            "Reservations" => {
                for (reservation, source) in reader.many::<Reservation>(key, value)? {
                    for mut instance in reservation.instances {
                        instance.source = source.clone();
                        out.inv.instances.push(instance);
                    }
                }
                out.mark(area::INSTANCES);
            }
            "LoadBalancers" => {
                for (mut balancer, source) in reader.many::<LoadBalancer>(key, value)? {
                    balancer.source = source;
                    out.inv.load_balancers.push(balancer);
                }
                out.mark(area::LOAD_BALANCERS);
            }
            "TagDescriptions" => {
                for (description, _) in reader.many::<TagDescription>(key, value)? {
                    out.load_balancer_tags
                        .push((description.resource_arn, description.tags));
                }
            }
            "Events" => {
                let elements = reader.list(key, value)?;
                let events = par_collect(
                    &elements,
                    reader.threads,
                    is_large(&elements),
                    |i, element| {
                        let path = format!("{key}[{i}]");
                        let event: LookupEvent = element.parse().map_err(|e| e.under(&path))?;
                        let record = match &event.cloud_trail_event {
                            Some(text) => {
                                Some(serde_json::from_str::<Record>(text).map_err(|e| {
                                    FileError::at_path(
                                        join_path(&path, "CloudTrailEvent"),
                                        format!("not a CloudTrail record in JSON: {e}"),
                                    )
                                })?)
                            }
                            None => None,
                        };
                        Ok((event.normalise(record), element.line))
                    },
                )?;
                for ((id, mut event), line) in events {
                    event.source = reader.source(line);
                    out.events.push((id, event));
                }
                out.mark(area::CLOUDTRAIL);
            }
            "Records" => {
                for (record, source) in reader.many::<Record>(key, value)? {
                    let (id, mut event) = record.normalise();
                    event.source = source;
                    out.events.push((id, event));
                }
                out.mark(area::CLOUDTRAIL);
            }
            _ => continue,
        }
        recognised = true;
    }
    if recognised {
        page_warning(doc, file, out);
    }
    doc.check_unread(|key| RECOGNISED.contains(&key))?;
    Ok(recognised)
}

/// The lists of `iam get-account-authorization-details`.
const AUTH_DETAILS_LISTS: &[&str] = &[
    "UserDetailList",
    "GroupDetailList",
    "RoleDetailList",
    "Policies",
];

/// The other keys of its pages.
const AUTH_DETAILS_OTHER: &[&str] = &["IsTruncated", "Marker", "NextToken"];

/// A page of `iam get-account-authorization-details` (most of an account's aws CLI output by
/// size) with each list element typed as it is found instead of located by a scan first, as
/// [`load`] would read it. `None` when the file is of another shape or anything is unusual
/// (an error included); then it must be read the usual way, which reports errors.
pub(crate) fn load_auth_details_once(
    file: &str,
    text: &str,
    threads: usize,
    out: &mut Partial,
) -> Option<()> {
    // A large page is read on several threads the usual way.
    if threads > 1 && text.len() > PARALLEL_BYTES {
        return None;
    }
    let mut users = Vec::new();
    let mut groups = Vec::new();
    let mut roles = Vec::new();
    let mut policies = Vec::new();
    let mut lines = crate::decode::LineCounter::new(text);
    let source = |line: usize| crate::file::source_at(file, Some(line));
    let entries = crate::scan::scan_with_lists(
        text,
        |key| AUTH_DETAILS_LISTS.contains(&key),
        |key| AUTH_DETAILS_OTHER.contains(&key),
        |key, start| {
            let at = source(lines.line_at(start));
            match key {
                "UserDetailList" => read_into(text, start, at, &mut users),
                "GroupDetailList" => read_into(text, start, at, &mut groups),
                "RoleDetailList" => read_into(text, start, at, &mut roles),
                _ => read_into(text, start, at, &mut policies),
            }
        },
    )?;
    let doc = crate::json::scanned_document(text, entries).ok()?;
    let has = |key: &str| doc.entries().iter().any(|(k, _)| k == key);
    let auth_details = has("UserDetailList") || has("GroupDetailList") || has("RoleDetailList");
    let policies_read = has("Policies") && add_policies(policies, auth_details, out);
    if !auth_details && !policies_read {
        // Nothing recognised: the usual way says so.
        return None;
    }
    if has("UserDetailList") {
        add_users(users, out);
    }
    if has("GroupDetailList") {
        add_groups(groups, out);
    }
    if has("RoleDetailList") {
        add_roles(roles, out);
    }
    page_warning(&doc, file, out);
    Some(())
}

/// Reads the element at `start` into `list` with its source; returns the offset after it.
fn read_into<T: DeserializeOwned>(
    text: &str,
    start: usize,
    source: Source,
    list: &mut Vec<(T, Source)>,
) -> Option<usize> {
    let (value, end) = crate::scan::read_value_at(text, start, |de| T::deserialize(de))?;
    list.push((value, source));
    Some(end)
}

fn add_users(users: Vec<(IamUser, Source)>, out: &mut Partial) {
    for (mut user, source) in users {
        user.source = source;
        out.inv.iam_users.push(user);
    }
    out.mark(area::IAM);
}

fn add_groups(groups: Vec<(IamGroup, Source)>, out: &mut Partial) {
    for (mut group, source) in groups {
        group.source = source;
        out.inv.iam_groups.push(group);
    }
    out.mark(area::IAM);
}

fn add_roles(roles: Vec<(IamRole, Source)>, out: &mut Partial) {
    for (mut role, source) in roles {
        role.source = source;
        out.inv.iam_roles.push(role);
    }
    out.mark(area::IAM);
}

/// Adds managed policies, unless they say nothing about permissions: `iam list-policies`
/// also prints `Policies`, without documents, which is not IAM data (but a page of
/// authorization details without documents is). Returns whether they were added.
fn add_policies(
    policies: Vec<(ManagedPolicy, Source)>,
    auth_details: bool,
    out: &mut Partial,
) -> bool {
    let documents = policies
        .iter()
        .any(|(p, _)| !p.policy_version_list.is_empty());
    if !auth_details && !documents {
        return false;
    }
    for (mut policy, source) in policies {
        policy.source = source;
        out.inv.managed_policies.push(policy);
    }
    out.mark(area::IAM);
    true
}

/// Pages of one result sit in one directory and share the file-name prefix before the first
/// `.` (`x.page-1.json`, `x.page-2.json`). The merge drops the warning when a last page of the
/// same result is present.
fn page_warning(doc: &JsonDoc<'_>, file: &str, out: &mut Partial) {
    let group = crate::merge::page_group(file);
    if is_one_page(doc) {
        out.inv.warnings.push(format!(
            "{}{group}\u{0}{file}: one page of a paged result; the snapshot may be incomplete",
            crate::merge::PAGE_MARK
        ));
    } else {
        out.inv
            .warnings
            .push(format!("{}{group}", crate::merge::LAST_PAGE_MARK));
    }
}

/// Whether the output says more pages exist (`NextToken`, `nextToken`, `NextMarker`, or
/// IAM's `IsTruncated: true` with `Marker`).
fn is_one_page(doc: &JsonDoc<'_>) -> bool {
    let token = |key: &str| doc.string(key).is_some_and(|t| !t.is_empty());
    let truncated = doc
        .raw("IsTruncated")
        .and_then(|raw| serde_json::from_str::<bool>(raw.text).ok())
        .unwrap_or(false);
    token("NextToken") || token("nextToken") || token("NextMarker") || truncated
}

fn is_large(elements: &[JsonElem<'_>]) -> bool {
    elements.len() > 1 && elements.iter().map(|e| e.text.len()).sum::<usize>() > PARALLEL_BYTES
}

struct Reader<'d, 'a> {
    doc: &'d JsonDoc<'a>,
    file: &'d str,
    threads: usize,
}

impl<'a> Reader<'_, 'a> {
    fn source(&self, line: Option<usize>) -> Source {
        crate::file::source_at(self.file, line)
    }

    fn list(&self, key: &str, value: &TopValue<'a>) -> Result<Vec<JsonElem<'a>>, FileError> {
        match value {
            TopValue::List(items) => Ok(self.doc.elements(items)),
            _ => Err(FileError::at_path(key, "expected a list")),
        }
    }

    /// Every element of a list, typed, with its source.
    fn many<T: DeserializeOwned + Send>(
        &self,
        key: &str,
        value: &TopValue<'a>,
    ) -> Result<Vec<(T, Source)>, FileError> {
        let elements = self.list(key, value)?;
        let parsed = par_collect(
            &elements,
            self.threads,
            is_large(&elements),
            |i, element| {
                let value: T = element
                    .parse()
                    .map_err(|e| e.under(&format!("{key}[{i}]")))?;
                Ok((value, element.line))
            },
        )?;
        Ok(parsed
            .into_iter()
            .map(|(value, line)| (value, self.source(line)))
            .collect())
    }

    /// A single object (`describe-*` output).
    fn one<T: DeserializeOwned>(
        &self,
        key: &str,
        value: &TopValue<'a>,
    ) -> Result<(T, Source), FileError> {
        let TopValue::Raw(raw) = value else {
            return Err(FileError::at_path(key, "expected an object"));
        };
        let element = self.doc.element(raw);
        let parsed: T = element.parse().map_err(|e| e.under(key))?;
        Ok((parsed, self.source(element.line)))
    }

    /// A list (`list-*`) or a single object (`describe-*`), by key.
    fn one_or_many<T: DeserializeOwned + Send>(
        &self,
        key: &str,
        value: &TopValue<'a>,
    ) -> Result<Vec<(T, Source)>, FileError> {
        match value {
            TopValue::Raw(_) => Ok(vec![self.one(key, value)?]),
            _ => self.many(key, value),
        }
    }
}
