//! The bundled insecure lab (`examples/insecure-lab`), embedded: the generator places it,
//! unchanged, inside every synthetic snapshot as the incident tenants. Its planted problems and
//! their consequences are already worked out in its `expected-findings.json`, so they are
//! carried over as they are; the synthetic tenants around them are clean.

use serde_json::Value;

use crate::SynthError;

macro_rules! lab {
    ($path:literal) => {
        (
            $path,
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../examples/insecure-lab/",
                $path
            )),
        )
    };
}

/// Every snapshot file of the lab: (relative path, text).
pub(crate) const FILES: &[(&str, &str)] = &[
    lab!("aws/cloudtrail/AWSLogs/111122223333_CloudTrail_us-west-2_20251124T0955Z_Hq4Lp9Vd2Xc6TfJa.json"),
    lab!("aws/cloudtrail/lookup-events.json"),
    lab!("aws/ec2/describe-instances.json"),
    lab!("aws/ec2/describe-launch-template-versions/analytics-ng-spark.json"),
    lab!("aws/ec2/describe-launch-template-versions/analytics-ng-system.json"),
    lab!("aws/ec2/describe-route-tables.yaml"),
    lab!("aws/ec2/describe-security-groups.json"),
    lab!("aws/ec2/describe-subnets.json"),
    lab!("aws/eks/describe-access-entry/PlatformAdmin.json"),
    lab!("aws/eks/describe-access-entry/analytics-ng-spark-node-role.json"),
    lab!("aws/eks/describe-access-entry/analytics-ng-system-node-role.json"),
    lab!("aws/eks/describe-access-entry/ci-team-b.json"),
    lab!("aws/eks/describe-access-entry/ds-analyst.json"),
    lab!("aws/eks/describe-cluster.json"),
    lab!("aws/eks/describe-nodegroup/ng-spark.json"),
    lab!("aws/eks/describe-nodegroup/ng-system.json"),
    lab!("aws/eks/describe-pod-identity-association/a-7kq2m9x4c8v1b5n3z.json"),
    lab!("aws/eks/list-access-entries.json"),
    lab!("aws/eks/list-associated-access-policies/PlatformAdmin.json"),
    lab!("aws/eks/list-associated-access-policies/analytics-ng-spark-node-role.json"),
    lab!("aws/eks/list-associated-access-policies/analytics-ng-system-node-role.json"),
    lab!("aws/eks/list-associated-access-policies/ci-team-b.json"),
    lab!("aws/eks/list-associated-access-policies/ds-analyst.json"),
    lab!("aws/eks/list-nodegroups.json"),
    lab!("aws/eks/list-pod-identity-associations.json"),
    lab!("aws/elbv2/describe-load-balancers.json"),
    lab!("aws/elbv2/describe-tags.json"),
    lab!("aws/emr-containers/describe-job-template/d3f5h7j9l1n4p6r8t0v2x5z7b.json"),
    lab!("aws/emr-containers/describe-job-template/e6g8i0k2m4o7q9s1u3w5y8a0c.json"),
    lab!("aws/emr-containers/list-job-runs/2m4o6q8s0u3w5y7a9c1e4g6i8.json"),
    lab!("aws/emr-containers/list-job-runs/4xjqe1z7p2k9m0r3t5v8w6y1b.page-1.json"),
    lab!("aws/emr-containers/list-job-runs/4xjqe1z7p2k9m0r3t5v8w6y1b.page-2.json"),
    lab!("aws/emr-containers/list-job-runs/7hb2n4c6r8t0v1x3z5a7d9f2g.json"),
    lab!("aws/emr-containers/list-job-runs/9q1s3u5w7y0a2c4e6g8i1k3m5.json"),
    lab!("aws/emr-containers/list-managed-endpoints/2m4o6q8s0u3w5y7a9c1e4g6i8.json"),
    lab!("aws/emr-containers/list-managed-endpoints/4xjqe1z7p2k9m0r3t5v8w6y1b.json"),
    lab!("aws/emr-containers/list-virtual-clusters.json"),
    lab!("aws/iam/get-account-authorization-details.page-1.json"),
    lab!("aws/iam/get-account-authorization-details.page-2.json"),
    lab!("k8s/clusterroles-clusterrolebindings.json"),
    lab!("k8s/configmaps.yaml"),
    lab!("k8s/daemonsets-deployments-jobs.json"),
    lab!("k8s/kube-system/aws-auth.yaml"),
    lab!("k8s/namespaces.yaml"),
    lab!("k8s/networkpolicies.yaml"),
    lab!("k8s/nodes.yaml"),
    lab!("k8s/pods/emr-ds.yaml"),
    lab!("k8s/pods/emr-team-a.yaml"),
    lab!("k8s/pods/emr-team-b.yaml"),
    lab!("k8s/roles-rolebindings.yaml"),
    lab!("k8s/secrets.yaml"),
    lab!("k8s/serviceaccounts.json"),
    lab!("k8s/webhookconfigurations.yaml"),
];

/// The lab's acceptance list.
pub(crate) const EXPECTED_FINDINGS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/insecure-lab/expected-findings.json"
));

/// The lab's configuration: admins, its three tenants, thresholds.
pub(crate) const CONFIG: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/insecure-lab/emrguard.toml"
));

/// The lab's account, region, cluster and OIDC provider, which the synthetic part shares.
pub(crate) const ACCOUNT: &str = "111122223333";
/// The region.
pub(crate) const REGION: &str = "us-west-2";
/// The EKS cluster.
pub(crate) const CLUSTER: &str = "analytics";
/// The cluster's OIDC provider (issuer without `https://`).
pub(crate) const OIDC_PROVIDER: &str =
    "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
/// The VPC.
pub(crate) const VPC: &str = "vpc-0b7e3f5a9c2d41e68";
/// The cluster's subnets (the lab's three public subnets).
pub(crate) const SUBNETS: [(&str, &str, &str); 3] = [
    ("subnet-0a1f3c5e7b9d2f401", "us-west-2a", "10.40"),
    ("subnet-0b2e4d6f8a1c3e502", "us-west-2b", "10.40"),
    ("subnet-0c3d5f7a9b2e4c603", "us-west-2c", "10.40"),
];
/// The EKS cluster security group.
pub(crate) const CLUSTER_SG: &str = "sg-0c1b2a3d4e5f60718";

/// The text of a lab file.
pub(crate) fn text(path: &str) -> Option<&'static str> {
    FILES.iter().find(|(p, _)| *p == path).map(|(_, t)| *t)
}

/// A lab file parsed (JSON or YAML by extension) into a JSON value.
pub(crate) fn parse(path: &str) -> Result<Value, SynthError> {
    let text = text(path).ok_or_else(|| SynthError::Lab(format!("{path}: not bundled")))?;
    if path.ends_with(".yaml") {
        serde_yaml_ng::from_str(text).map_err(|e| SynthError::Lab(format!("{path}: {e}")))
    } else {
        serde_json::from_str(text).map_err(|e| SynthError::Lab(format!("{path}: {e}")))
    }
}

/// The items of a lab list under `key` (`items` for Kubernetes lists).
pub(crate) fn items(path: &str, key: &str) -> Result<Vec<Value>, SynthError> {
    match parse(path)?.get_mut(key).map(Value::take) {
        Some(Value::Array(items)) => Ok(items),
        Some(Value::Null) | None => Ok(Vec::new()),
        Some(_) => Err(SynthError::Lab(format!("{path}: `{key}` is not a list"))),
    }
}
