//! Practice 3: security updates for custom images (release currency, support, pinning).

pub mod image_mutable_tag;
pub mod release_label_outdated;
pub mod release_line_end_of_support;

use crate::rules::job_config::{ConfProperty, EmrObject};

/// Spark properties that choose a container image.
pub(crate) const SPARK_IMAGE_PROPERTIES: [&str; 3] = [
    "spark.kubernetes.container.image",
    "spark.kubernetes.driver.container.image",
    "spark.kubernetes.executor.container.image",
];

/// The accounts of EMR on EKS's base-image registries, by Region (EMR on EKS Development
/// Guide, "How to select a base image URI").
const EMR_REGISTRY_ACCOUNTS: &[(&str, &str)] = &[
    ("af-south-1", "358491847878"),
    ("ap-east-1", "736135916053"),
    ("ap-northeast-1", "059004520145"),
    ("ap-northeast-2", "996579266876"),
    ("ap-northeast-3", "705689932349"),
    ("ap-south-1", "235914868574"),
    ("ap-south-2", "691480105545"),
    ("ap-southeast-1", "671219180197"),
    ("ap-southeast-2", "038297999601"),
    ("ap-southeast-3", "946962994502"),
    ("ca-central-1", "351826393999"),
    ("cn-north-1", "068337069695"),
    ("cn-northwest-1", "068420816659"),
    ("eu-central-1", "107292555468"),
    ("eu-central-2", "314408114945"),
    ("eu-north-1", "830386416364"),
    ("eu-south-1", "238014973495"),
    ("eu-south-2", "350796622945"),
    ("eu-west-1", "483788554619"),
    ("eu-west-2", "118780647275"),
    ("eu-west-3", "307523725174"),
    ("il-central-1", "395734710648"),
    ("me-central-1", "818935616732"),
    ("me-south-1", "008085056818"),
    ("sa-east-1", "052806832358"),
    ("us-east-1", "755674844232"),
    ("us-east-2", "711395599931"),
    ("us-gov-east-1", "299393998622"),
    ("us-gov-west-1", "299385240661"),
    ("us-west-1", "608033475327"),
    ("us-west-2", "895885662937"),
];

/// The EMR base-image registry account of a Region.
pub(crate) fn emr_registry_account(region: &str) -> Option<&'static str> {
    EMR_REGISTRY_ACCOUNTS
        .iter()
        .find(|(r, _)| *r == region)
        .map(|(_, a)| *a)
}

/// An image reference split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageRef<'a> {
    /// Everything before the tag and digest (`registry/repository`).
    pub(crate) name: &'a str,
    /// The tag, when one is written.
    pub(crate) tag: Option<&'a str>,
    /// The digest (`sha256:...`), when one is written.
    pub(crate) digest: Option<&'a str>,
}

impl<'a> ImageRef<'a> {
    /// Parses `registry/repo:tag@sha256:...` (tag and digest optional).
    pub(crate) fn parse(image: &'a str) -> Self {
        let image = image.trim();
        let (rest, digest) = match image.split_once('@') {
            Some((r, d)) => (r, Some(d)),
            None => (image, None),
        };
        // A `:` after the last `/` starts the tag; one before it is a registry port.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest.get(last_slash..).and_then(|seg| seg.rfind(':')) {
            Some(colon) => (
                rest.get(..last_slash + colon).unwrap_or(rest),
                rest.get(last_slash + colon + 1..),
            ),
            None => (rest, None),
        };
        Self { name, tag, digest }
    }

    /// Whether the reference is pinned to a content digest.
    pub(crate) fn is_pinned(&self) -> bool {
        self.digest.is_some_and(|d| d.starts_with("sha256:"))
    }

    /// The registry host, when the name has one.
    pub(crate) fn registry(&self) -> Option<&'a str> {
        self.name
            .split_once('/')
            .map(|(host, _)| host)
            .filter(|h| h.contains('.') || h.contains(':') || *h == "localhost")
    }

    /// For an ECR image, the account, Region and repository.
    pub(crate) fn ecr(&self) -> Option<(&'a str, &'a str, &'a str)> {
        let host = self.registry()?;
        let repo = self.name.get(host.len() + 1..)?;
        let rest = host
            .strip_suffix(".amazonaws.com")
            .or_else(|| host.strip_suffix(".amazonaws.com.cn"))?;
        let (account, rest) = rest.split_once(".dkr.ecr.")?;
        Some((account, rest, repo))
    }

    /// Whether this is one of EMR on EKS's own base images (EMR's registry account for the
    /// Region, or the ECR Public `emr-on-eks` gallery): those are not custom images.
    pub(crate) fn is_emr_base_image(&self) -> bool {
        if let Some(repo) = self.name.strip_prefix("public.ecr.aws/") {
            return repo.starts_with("emr-on-eks/");
        }
        let Some((account, region, repo)) = self.ecr() else {
            return false;
        };
        emr_registry_account(region) == Some(account)
            && repo
                .rsplit('/')
                .next()
                .is_some_and(|last| last.starts_with("emr-"))
    }
}

/// A custom image an EMR object runs, and where it is set.
#[derive(Debug, Clone)]
pub(crate) struct CustomImage {
    pub(crate) image: String,
    pub(crate) property: ConfProperty,
}

/// Whether a property chooses a container image: the Spark image properties, or a
/// `container-image` under `jupyter-kernel-overrides`.
pub(crate) fn is_image_property(p: &ConfProperty) -> bool {
    SPARK_IMAGE_PROPERTIES.contains(&p.key.as_str())
        || (p.key == "container-image"
            && p.classification_path()
                .is_some_and(|c| c.starts_with("jupyter-kernel-overrides")))
}

/// The custom (non-EMR) images an object runs.
pub(crate) fn custom_images(object: &EmrObject<'_>) -> Vec<CustomImage> {
    object
        .properties()
        .into_iter()
        .filter(|p| is_image_property(p) && !p.value.trim().is_empty())
        .filter(|p| !ImageRef::parse(&p.value).is_emr_base_image())
        .map(|p| CustomImage {
            image: p.value.trim().to_owned(),
            property: p,
        })
        .collect()
}

/// The base image URI for a release line in a Region, as EMR publishes it.
pub(crate) fn base_image_uri(region: Option<&str>, version: &str, flavour: &str) -> String {
    match region.and_then(|r| emr_registry_account(r).map(|a| (r, a))) {
        Some((r, a)) => {
            let domain = if r.starts_with("cn-") {
                "amazonaws.com.cn"
            } else {
                "amazonaws.com"
            };
            format!("{a}.dkr.ecr.{r}.{domain}/{flavour}/emr-{version}:latest")
        }
        None => format!(
            "EMR_REGISTRY_ACCOUNT.dkr.ecr.REGION.amazonaws.com/{flavour}/emr-{version}:latest"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_split() {
        let r = ImageRef::parse("111122223333.dkr.ecr.us-west-2.amazonaws.com/team/spark:3.5");
        assert_eq!(
            r.name,
            "111122223333.dkr.ecr.us-west-2.amazonaws.com/team/spark"
        );
        assert_eq!(r.tag, Some("3.5"));
        assert!(!r.is_pinned());
        assert_eq!(r.ecr(), Some(("111122223333", "us-west-2", "team/spark")));
        let p = ImageRef::parse("registry:5000/spark@sha256:abc");
        assert_eq!(p.name, "registry:5000/spark");
        assert_eq!(p.tag, None);
        assert!(p.is_pinned());
        let both = ImageRef::parse("repo/spark:1@sha256:abc");
        assert_eq!((both.tag, both.is_pinned()), (Some("1"), true));
        assert_eq!(ImageRef::parse("busybox").tag, None);
        assert_eq!(ImageRef::parse("busybox").registry(), None);
    }

    #[test]
    fn emr_base_images_are_recognised() {
        assert!(ImageRef::parse(
            "895885662937.dkr.ecr.us-west-2.amazonaws.com/spark/emr-7.12.0:latest"
        )
        .is_emr_base_image());
        assert!(
            ImageRef::parse("public.ecr.aws/emr-on-eks/spark/emr-7.1.0:latest").is_emr_base_image()
        );
        // The right repository in the wrong Region's account is not EMR's.
        assert!(!ImageRef::parse(
            "895885662937.dkr.ecr.us-east-1.amazonaws.com/spark/emr-7.12.0:latest"
        )
        .is_emr_base_image());
        assert!(!ImageRef::parse(
            "111122223333.dkr.ecr.us-west-2.amazonaws.com/spark/emr-7.12.0:latest"
        )
        .is_emr_base_image());
        assert!(!ImageRef::parse(
            "895885662937.dkr.ecr.us-west-2.amazonaws.com/spark/custom:latest"
        )
        .is_emr_base_image());
    }

    #[test]
    fn base_image_uri_uses_the_region_account() {
        assert_eq!(
            base_image_uri(Some("us-west-2"), "7.12.0", "spark"),
            "895885662937.dkr.ecr.us-west-2.amazonaws.com/spark/emr-7.12.0:latest"
        );
        assert!(base_image_uri(None, "7.12.0", "spark").starts_with("EMR_REGISTRY_ACCOUNT"));
    }
}
