//! What one file contributes, before files are merged.

use std::collections::BTreeMap;

use emrguard_model::aws::{
    AccessEntry, AssociatedAccessPolicy, CloudTrailEvent, JobRun, JobTemplate, ManagedEndpoint,
    PodIdentityAssociation, Tag, VirtualCluster,
};
use emrguard_model::{Inventory, Source};

/// An object from a list call (`described == false`) or a describe call.
#[derive(Debug, Clone)]
pub(crate) struct Described<T> {
    pub value: T,
    pub described: bool,
}

/// A piece of an EKS access entry; pieces merge by principal ARN.
#[derive(Debug, Clone)]
pub(crate) enum AccessEntryPiece {
    /// `list-access-entries`: only the ARN.
    Listed {
        principal_arn: String,
        source: Source,
    },
    /// `describe-access-entry`.
    Described(AccessEntry),
    /// `list-associated-access-policies`.
    Policies {
        cluster_name: Option<String>,
        principal_arn: String,
        policies: Vec<AssociatedAccessPolicy>,
        source: Source,
    },
}

/// Everything read from one file.
#[derive(Debug, Default)]
pub(crate) struct Partial {
    /// Objects that need no merging beyond de-duplication, plus areas, warnings and aws-auth.
    pub inv: Inventory,
    pub access_entries: Vec<AccessEntryPiece>,
    pub pod_identity: Vec<Described<PodIdentityAssociation>>,
    pub virtual_clusters: Vec<Described<VirtualCluster>>,
    pub managed_endpoints: Vec<Described<ManagedEndpoint>>,
    pub job_runs: Vec<Described<JobRun>>,
    pub job_templates: Vec<Described<JobTemplate>>,
    /// `elbv2 describe-tags`: load balancer ARN and its tags.
    pub load_balancer_tags: Vec<(String, Vec<Tag>)>,
    /// CloudTrail events with their `eventID`, for de-duplication across files.
    pub events: Vec<(Option<String>, CloudTrailEvent)>,
    /// Kubernetes objects of kinds the audit does not read, by kind.
    pub ignored_kinds: BTreeMap<String, usize>,
    /// Objects used (Kubernetes objects and AWS records).
    pub objects: usize,
}

impl Partial {
    pub(crate) fn mark(&mut self, area: &str) {
        if !self.inv.present.contains(area) {
            self.inv.present.insert(area.to_owned());
        }
    }

    pub(crate) fn ignore_kind(&mut self, kind: &str) {
        *self.ignored_kinds.entry(kind.to_owned()).or_default() += 1;
    }

    /// Whether the file contributed anything: objects, or a (possibly empty) kind of data.
    pub(crate) fn is_empty(&self) -> bool {
        self.objects == 0 && self.inv.present.is_empty() && self.load_balancer_tags.is_empty()
    }
}
