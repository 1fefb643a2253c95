//! IMG003: a custom image referenced by a mutable tag instead of a digest.

use emrguard_model::inventory::area;

use crate::context::CheckContext;
use crate::finding::{Evidence, Finding, Remediation};
use crate::registry::Rule;
use crate::rules::images::{custom_images, ImageRef};
use crate::rules::job_config::emr_objects;

crate::declare_rule! {
    /// ## What it does
    /// Flags job runs, job templates and live managed endpoints that run a custom container
    /// image by tag, without an `@sha256:` digest. It reads
    /// `spark.kubernetes.container.image`, `spark.kubernetes.driver.container.image` and
    /// `spark.kubernetes.executor.container.image` (in `configurationOverrides` and as
    /// `--conf` in `sparkSubmitParameters` / `sparkSqlParameters`), and the `container-image`
    /// of `jupyter-kernel-overrides`. EMR's own base images (EMR's registry account for the
    /// Region, or `public.ecr.aws/emr-on-eks/`) are not custom images and are not flagged.
    ///
    /// ## Why is this bad?
    /// A tag can be moved: whoever can push to the repository changes what every job runs,
    /// with the execution role's permissions, and an audit cannot tell which base image (and
    /// so which security fixes) a job actually ran. A digest names exactly one image, so a
    /// rebuild on a new base image is a deliberate, reviewable change.
    ///
    /// ## Example
    /// ```json
    /// {"applicationConfiguration": [{"classification": "spark-defaults",
    ///   "properties": {"spark.kubernetes.container.image": "111122223333.dkr.ecr.us-west-2.amazonaws.com/team/spark:latest"}}]}
    /// ```
    ///
    /// Use instead:
    /// ```json
    /// {"spark.kubernetes.container.image": "111122223333.dkr.ecr.us-west-2.amazonaws.com/team/spark@sha256:4f1c..."}
    /// ```
    ///
    /// ## Remediation
    /// Resolve the tag to its digest and reference the image by digest; make the ECR
    /// repository's tags immutable so a tag cannot be moved silently.
    ///
    /// ## References
    /// - Amazon EMR on EKS security best practices: "Get the latest security updates for custom images"
    /// - Amazon EMR on EKS Development Guide: Customizing Docker images
    /// - Amazon ECR User Guide: Image tag mutability
    pub struct ImageMutableTag {
        code: "IMG003",
        name: "image-mutable-tag",
        summary: "a custom image is referenced by a mutable tag instead of a digest",
        practice: CustomImageUpdates,
        severity: Medium,
        requires: [area::JOB_RUNS],
    }
}

impl Rule for ImageMutableTag {
    fn meta(&self) -> &'static crate::RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        for object in emr_objects(cx.inventory) {
            if !object.is_live() {
                continue;
            }
            let mut mutable: Vec<_> = custom_images(&object)
                .into_iter()
                .filter(|i| !ImageRef::parse(&i.image).is_pinned())
                .collect();
            mutable.sort_by(|a, b| (&a.image, &a.property.key).cmp(&(&b.image, &b.property.key)));
            mutable.dedup_by(|a, b| a.image == b.image && a.property.key == b.property.key);
            let Some(first) = mutable.first() else {
                continue;
            };
            let resource = object.resource();
            let message = if mutable.len() == 1 {
                format!(
                    "{} runs the custom image `{}` by a mutable tag, without a digest",
                    object.describe(),
                    first.image
                )
            } else {
                format!(
                    "{} runs {} custom images by mutable tags, without digests",
                    object.describe(),
                    mutable.len()
                )
            };
            let mut finding = Self::META.finding(message).resource(resource.clone());
            let mut commands = Vec::new();
            let mut images_seen = Vec::new();
            for image in &mutable {
                let parsed = ImageRef::parse(&image.image);
                let tag = parsed.tag.unwrap_or("latest");
                finding = finding.evidence(
                    Evidence::about(
                        format!(
                            "`{}` in {} is `{}`: tag `{tag}`{}, no `@sha256:` digest",
                            image.property.key,
                            image.property.origin,
                            image.image,
                            if parsed.tag.is_none() {
                                " (implicit)"
                            } else {
                                ""
                            }
                        ),
                        resource.clone(),
                    )
                    .with_detail(image.property.key.clone()),
                );
                if images_seen.contains(&image.image) {
                    continue;
                }
                images_seen.push(image.image.clone());
                let resolve = match parsed.ecr() {
                    Some((account, region, repo)) => format!(
                        "aws ecr describe-images --registry-id {account} --region {region} --repository-name {repo} \\\n  --image-ids imageTag={tag} --query 'imageDetails[0].imageDigest' --output text"
                    ),
                    None => format!("docker buildx imagetools inspect {} --format '{{{{.Manifest.Digest}}}}'", image.image),
                };
                commands.push(format!(
                    "{resolve}\n# then set {}={}@sha256:DIGEST",
                    image.property.key, parsed.name
                ));
                if let Some((account, region, repo)) = parsed.ecr() {
                    commands.push(format!(
                        "aws ecr put-image-tag-mutability --registry-id {account} --region {region} --repository-name {repo} --image-tag-mutability IMMUTABLE"
                    ));
                }
            }
            finding
                .evidence(Evidence::text(
                    "anyone who can push to the repository can change what the job runs under the same tag",
                ))
                .remediation(
                    Remediation::summary(
                        "Reference the image by digest (`REPOSITORY@sha256:DIGEST`) and make the repository's tags immutable.",
                    )
                    .fix("Resolve the tag to a digest and pin it", "shell", commands.join("\n")),
                )
                .push(out);
        }
    }
}
