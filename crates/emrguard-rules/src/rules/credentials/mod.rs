//! Practice 4: pod credentials only through IRSA (or EKS Pod Identity).

pub mod emr_service_account_role_annotation_mismatch;
pub mod kube2iam_or_kiam_present;
pub mod pod_identity_mixed_with_irsa;
pub mod pod_identity_role_mismatch;
pub mod static_aws_credentials;

use emrguard_model::emr::{role_name_from_arn, EmrServiceAccountName};

/// Whether a role ARN names the role an EMR service-account name encodes: same account and
/// same role name, whatever the role's path (annotations and associations may carry one).
pub(crate) fn arn_matches_encoded_role(arn: &str, parsed: &EmrServiceAccountName) -> bool {
    let account = arn.split(':').nth(4).unwrap_or_default();
    arn.contains(":role/")
        && account == parsed.account_id
        && parsed
            .role_name
            .as_deref()
            .is_some_and(|name| name == role_name_from_arn(arn))
}

/// How a message names the actual and the expected role: by name, or by full ARN when the
/// names are equal (the account differs).
pub(crate) fn shown<'a>(actual: &'a str, expected: &'a str) -> (&'a str, &'a str) {
    let (a, e) = (role_name_from_arn(actual), role_name_from_arn(expected));
    if a == e {
        (actual, expected)
    } else {
        (a, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use emrguard_model::emr::parse_emr_service_account;

    #[test]
    fn role_comparison_tolerates_paths_and_checks_the_account() {
        let sa = parse_emr_service_account(
            "emr-containers-sa-spark-driver-111122223333-j3uv6jk0kk3sogu231qj91fmo3mvwfl561",
        )
        .unwrap();
        assert!(arn_matches_encoded_role(
            "arn:aws:iam::111122223333:role/ts-eks-emr-eks-emr-cli",
            &sa
        ));
        assert!(arn_matches_encoded_role(
            "arn:aws:iam::111122223333:role/team/ts-eks-emr-eks-emr-cli",
            &sa
        ));
        assert!(!arn_matches_encoded_role(
            "arn:aws:iam::444455556666:role/ts-eks-emr-eks-emr-cli",
            &sa
        ));
        assert!(!arn_matches_encoded_role(
            "arn:aws:iam::111122223333:role/admin",
            &sa
        ));
        assert!(!arn_matches_encoded_role(
            "arn:aws:iam::111122223333:user/ts-eks-emr-eks-emr-cli",
            &sa
        ));
    }
}
