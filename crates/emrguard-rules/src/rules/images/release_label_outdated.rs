//! IMG001: a dated release label older than the newest release of its line.

use emrguard_model::inventory::area;

use crate::context::CheckContext;
use crate::finding::{Evidence, Finding, Remediation};
use crate::registry::Rule;
use crate::releases::{format_label_date, parse_release_label};
use crate::rules::images::{base_image_uri, custom_images};
use crate::rules::job_config::{emr_objects, EmrObject, EmrObjectKind};

crate::declare_rule! {
    /// ## What it does
    /// Flags job runs, job templates and managed endpoints whose release label is a dated
    /// release (`emr-X.Y.Z-YYYYMMDD`) older than the newest dated release of the same line in
    /// the release catalog. `emr-X.Y.Z-latest` labels always run the newest release and are
    /// never flagged; Flink labels (`-flink-`) follow their own release train and are skipped.
    ///
    /// ## Why is this bad?
    /// Each dated release of a line is "refreshed with recently updated Amazon Linux packages
    /// and critical fixes". A job pinned to an older date runs without those fixes, and custom
    /// images built on that base miss them too: "you must rebuild the custom images whenever
    /// there is a new base image version of the Amazon EMR release."
    ///
    /// ## Example
    /// ```json
    /// {"jobRun": {"id": "0000000abc", "releaseLabel": "emr-6.15.0-20231109"}}
    /// ```
    /// The catalog lists `emr-6.15.0-20240105` as the newest 6.15.0 release.
    ///
    /// ## Remediation
    /// Submit with `emr-X.Y.Z-latest` (or the newest dated label), recreate templates and
    /// endpoints with it (both are immutable), and rebuild custom images `FROM` the newest base
    /// image of the line.
    ///
    /// ## Known limitations
    /// The catalog is compiled from the release pages on its `date`; a release published later
    /// is unknown until the catalog is refreshed (`--release-catalog FILE`). Where the catalog
    /// only knows a line's initial release, a newer refresh may exist.
    ///
    /// ## References
    /// - Amazon EMR on EKS security best practices: "Get the latest security updates for custom images"
    /// - Amazon EMR on EKS Development Guide: Amazon EMR on EKS releases (`emr-X.Y.Z-latest` pages)
    pub struct ReleaseLabelOutdated {
        code: "IMG001",
        name: "release-label-outdated",
        summary: "a job, template or endpoint runs an older dated release than the newest of its line",
        practice: CustomImageUpdates,
        severity: Medium,
        requires: [area::JOB_RUNS],
    }
}

fn resubmit_fix(object: &EmrObject<'_>, latest_label: &str, account: &str) -> (String, String) {
    let role = object
        .execution_role_arn
        .filter(|r| !r.contains("${"))
        .map_or_else(
            || format!("arn:aws:iam::{account}:role/EXECUTION_ROLE"),
            str::to_owned,
        );
    let vc = object.virtual_cluster_id.unwrap_or("VIRTUAL_CLUSTER_ID");
    let name = object.display_name();
    match object.kind {
        EmrObjectKind::JobRun => (
            "Submit the job with the line's `-latest` label".to_owned(),
            format!(
                "aws emr-containers start-job-run --virtual-cluster-id {vc} --name {name} \\\n  --execution-role-arn {role} --release-label {latest_label} \\\n  --job-driver file://job-driver.json --configuration-overrides file://overrides.json"
            ),
        ),
        EmrObjectKind::JobTemplate => (
            "Job templates cannot be updated: create a new one with the `-latest` label and point submitters at it".to_owned(),
            format!(
                "aws emr-containers create-job-template --name {name}-latest \\\n  --job-template-data '{{\"releaseLabel\": \"{latest_label}\", \"executionRoleArn\": \"{role}\", \"jobDriver\": {{...}}}}'"
            ),
        ),
        EmrObjectKind::ManagedEndpoint => (
            "Managed endpoints cannot be updated: create a new one with the `-latest` label, then delete the old one".to_owned(),
            format!(
                "aws emr-containers create-managed-endpoint --type JUPYTER_ENTERPRISE_GATEWAY --virtual-cluster-id {vc} \\\n  --name {name}-latest --execution-role-arn {role} --release-label {latest_label}\naws emr-containers delete-managed-endpoint --id {} --virtual-cluster-id {vc}",
                object.id
            ),
        ),
    }
}

impl Rule for ReleaseLabelOutdated {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        for object in emr_objects(cx.inventory) {
            if !object.is_live() {
                continue;
            }
            let Some(label) = object.release_label.as_deref() else {
                continue;
            };
            let Some(parsed) = parse_release_label(label) else {
                continue;
            };
            let Some(date) = parsed.date_key().filter(|_| !parsed.flink) else {
                continue;
            };
            let Some(line) = cx.releases.line(&parsed.version) else {
                continue;
            };
            let (Some(newest), Some(newest_label)) = (line.latest_label(), line.latest.as_deref())
            else {
                continue;
            };
            let Some(newest_date) = newest.date_key() else {
                continue;
            };
            if date >= newest_date {
                continue;
            }
            let version = &parsed.version;
            let latest_label = format!("emr-{version}-latest");
            let resource = object.resource();
            let mut catalog_text = format!(
                "the release catalog compiled on {} lists `{newest_label}` ({}) as the newest release of EMR {version}",
                cx.releases.date,
                format_label_date(&newest_date)
            );
            if line.latest_is_lower_bound {
                catalog_text.push_str("; it may be older than the newest refresh");
            }
            let mut finding = Self::META
                .finding(format!(
                    "{} uses release `{label}`, older than `{newest_label}`, the newest release of EMR {version}",
                    object.describe()
                ))
                .resource(resource.clone())
                .evidence(
                    Evidence::about(
                        format!(
                            "{} has `releaseLabel` `{label}`, a release dated {}",
                            object.describe(),
                            format_label_date(&date)
                        ),
                        resource,
                    )
                    .with_detail("releaseLabel"),
                )
                .evidence(Evidence::text(catalog_text).with_detail(cx.releases.source.clone()))
                .evidence(Evidence::text(format!(
                    "`{latest_label}` always runs the newest release of the line, with its Amazon Linux and security fixes"
                )));
            let images = custom_images(&object);
            for image in &images {
                finding = finding.evidence(
                    Evidence::text(format!(
                        "it runs the custom image `{}` (set by `{}` in {}), which must be rebuilt on the newest base image",
                        image.image, image.property.key, image.property.origin
                    ))
                    .with_detail(image.property.key.clone()),
                );
            }
            let (description, command) = resubmit_fix(&object, &latest_label, cx.account_id());
            let mut remediation = Remediation::summary(format!(
                "Use `{latest_label}` (or `{newest_label}`) and rebuild custom images on the newest base image of EMR {version}."
            ))
            .fix(description, "shell", command);
            if !images.is_empty() {
                let region = object.region(cx.inventory);
                let flavour = if object.kind == EmrObjectKind::ManagedEndpoint {
                    "notebook-spark"
                } else {
                    "spark"
                };
                remediation = remediation.fix(
                    "Rebuild the custom image on the newest base image and push it",
                    "shell",
                    format!(
                        "# Dockerfile: FROM {}\ndocker build --pull -t CUSTOM_IMAGE:NEW_TAG .\ndocker push CUSTOM_IMAGE:NEW_TAG",
                        base_image_uri(region, version, flavour)
                    ),
                );
            }
            finding.remediation(remediation).push(out);
        }
    }
}
