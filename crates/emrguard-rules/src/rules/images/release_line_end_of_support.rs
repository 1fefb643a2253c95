//! IMG002: a release line past its end of support.

use emrguard_model::inventory::area;

use crate::context::CheckContext;
use crate::finding::{Evidence, Finding, Remediation};
use crate::registry::Rule;
use crate::releases::{parse_release_label, EndOfSupport};
use crate::rules::job_config::{emr_objects, EmrObjectKind};

crate::declare_rule! {
    /// ## What it does
    /// Flags job runs, job templates and live managed endpoints whose release line
    /// (`emr-X.Y.Z-...`, dated or `-latest`) is out of support on the release catalog's date:
    /// the line's `end-of-support` date has passed, or the line is older than the catalog's
    /// `oldest-supported-line`.
    ///
    /// ## Why is this bad?
    /// A line past its end of support gets no more refreshed images: no Amazon Linux package
    /// updates and no security fixes, even under its `-latest` label. Custom images built on
    /// it inherit every vulnerability found after that date.
    ///
    /// ## Example
    /// ```json
    /// {"jobRun": {"id": "0000000abc", "releaseLabel": "emr-6.9.0-latest"}}
    /// ```
    /// With a catalog whose oldest supported line is `7.6.0`, EMR 6.9.0 is out of support.
    ///
    /// ## Remediation
    /// Move the job, template or endpoint to a supported line (the newest is safest), test it,
    /// and rebuild custom images on that line's base image.
    ///
    /// ## Known limitations
    /// Support is judged on the catalog's `date`, not today's: refresh the catalog
    /// (`--release-catalog FILE`) to judge against a later date.
    ///
    /// ## References
    /// - Amazon EMR Release Guide: Amazon EMR standard support, and each release's "supported lifecycle" table
    /// - Amazon EMR on EKS security best practices: "Get the latest security updates for custom images"
    pub struct ReleaseLineEndOfSupport {
        code: "IMG002",
        name: "release-line-end-of-support",
        summary: "a job, template or endpoint runs a release line that is out of support",
        practice: CustomImageUpdates,
        severity: High,
        requires: [area::JOB_RUNS],
    }
}

impl Rule for ReleaseLineEndOfSupport {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let newest_line = cx.releases.newest_line();
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
            let version = &parsed.version;
            let Some(why) = cx.releases.end_of_support(version) else {
                continue;
            };
            let (headline, because) = match &why {
                EndOfSupport::Ended { on } => (
                    format!("whose support ended on {on}"),
                    format!(
                        "the release catalog compiled on {} gives {on} as the end of support of EMR {version}",
                        cx.releases.date
                    ),
                ),
                EndOfSupport::OlderThanOldestSupported { oldest } => (
                    format!("older than EMR {oldest}, the oldest supported line"),
                    format!(
                        "the release catalog compiled on {} gives EMR {oldest} as the oldest line still supported on that date",
                        cx.releases.date
                    ),
                ),
            };
            let resource = object.resource();
            let target = newest_line.map_or_else(
                || "emr-X.Y.Z-latest".to_owned(),
                |v| format!("emr-{v}-latest"),
            );
            let command = match object.kind {
                EmrObjectKind::JobRun => format!(
                    "aws emr-containers start-job-run --virtual-cluster-id {} --name {} \\\n  --execution-role-arn EXECUTION_ROLE_ARN --release-label {target} --job-driver file://job-driver.json",
                    object.virtual_cluster_id.unwrap_or("VIRTUAL_CLUSTER_ID"),
                    object.display_name()
                ),
                EmrObjectKind::JobTemplate => format!(
                    "aws emr-containers create-job-template --name {}-{} \\\n  --job-template-data '{{\"releaseLabel\": \"{target}\", \"executionRoleArn\": \"EXECUTION_ROLE_ARN\", \"jobDriver\": {{...}}}}'",
                    object.display_name(),
                    newest_line.unwrap_or("new")
                ),
                EmrObjectKind::ManagedEndpoint => format!(
                    "aws emr-containers create-managed-endpoint --type JUPYTER_ENTERPRISE_GATEWAY --virtual-cluster-id {vc} \\\n  --name {name}-new --execution-role-arn EXECUTION_ROLE_ARN --release-label {target}\naws emr-containers delete-managed-endpoint --id {id} --virtual-cluster-id {vc}",
                    vc = object.virtual_cluster_id.unwrap_or("VIRTUAL_CLUSTER_ID"),
                    name = object.display_name(),
                    id = object.id
                ),
            };
            Self::META
                .finding(format!(
                    "{} uses release `{label}` of EMR {version}, {headline}",
                    object.describe()
                ))
                .resource(resource.clone())
                .evidence(
                    Evidence::about(
                        format!("{} has `releaseLabel` `{label}` (line {version})", object.describe()),
                        resource,
                    )
                    .with_detail("releaseLabel"),
                )
                .evidence(Evidence::text(because).with_detail(cx.releases.source.clone()))
                .evidence(Evidence::text(
                    "a line out of support gets no refreshed images, so no Amazon Linux or security fixes, even under `-latest`",
                ))
                .remediation(
                    Remediation::summary(format!(
                        "Move to a supported release line (newest: `{target}`), test the job on it, and rebuild custom images on its base image."
                    ))
                    .fix("Run on a supported line", "shell", command),
                )
                .push(out);
        }
    }
}
