//! EMR on EKS naming: the base36 role-name encoding, EMR-managed service-account names and
//! EMR's own identities (reference: emr-on-eks-security.md, sections 1.2, 1.3, 2.2 and 2.8).

/// The Kubernetes user EMR on EKS acts as (aws-auth mapping or access entry of the SLR).
pub const EMR_USER: &str = "emr-containers";
/// The name of EMR on EKS's service-linked role.
pub const EMR_SERVICE_LINKED_ROLE: &str = "AWSServiceRoleForAmazonEMRContainers";
/// The service principal of EMR on EKS.
pub const EMR_SERVICE_PRINCIPAL: &str = "emr-containers.amazonaws.com";
/// The Pod Identity service principal.
pub const POD_IDENTITY_PRINCIPAL: &str = "pods.eks.amazonaws.com";
/// The IRSA annotation on service accounts.
pub const IRSA_ANNOTATION: &str = "eks.amazonaws.com/role-arn";
/// The kube2iam / kiam pod annotation.
pub const KUBE2IAM_ANNOTATION: &str = "iam.amazonaws.com/role";

/// Fixed-name service accounts EMR's operators and Livy use.
pub const EMR_OPERATOR_SERVICE_ACCOUNTS: &[&str] = &[
    "emr-containers-sa-spark-operator",
    "emr-containers-sa-flink-operator",
    "emr-containers-sa-livy",
    "emr-container-sa-spark-livy",
    "emr-containers-sa-spark",
];

/// Base36-encodes a role name as the aws CLI does: the bytes as a big-endian base-256
/// number written in base 36 with `0-9a-z`; the empty string gives `"0"`.
pub fn base36_encode(name: &str) -> String {
    const ALPHABET: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    // Long division of a base-256 digit vector by 36, repeated.
    let mut digits: Vec<u8> = name.bytes().skip_while(|&b| b == 0).collect();
    let mut out = Vec::new();
    while !digits.is_empty() {
        let mut remainder: u32 = 0;
        let mut quotient = Vec::with_capacity(digits.len());
        for &d in &digits {
            let acc = remainder * 256 + u32::from(d);
            let q = acc / 36;
            remainder = acc % 36;
            if !(quotient.is_empty() && q == 0) {
                // q < 256 because remainder < 36, so acc < 36 * 256.
                quotient.push(u8::try_from(q).unwrap_or(u8::MAX));
            }
        }
        out.push(ALPHABET.get(remainder as usize).copied().unwrap_or(b'0'));
        digits = quotient;
    }
    if out.is_empty() {
        return "0".to_owned();
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Decodes a base36 string back to the role name, if it is valid base36 and decodes to a
/// plausible IAM role name (`[\w+=,.@-]`, 1 to 64 characters).
pub fn base36_decode(encoded: &str) -> Option<String> {
    if encoded.is_empty() {
        return None;
    }
    // Multiply-and-add into a base-256 digit vector (little-endian).
    let mut bytes: Vec<u8> = Vec::new();
    for c in encoded.chars() {
        let digit = c.to_digit(36)?;
        if c.is_ascii_uppercase() {
            return None;
        }
        let mut carry = digit;
        for b in &mut bytes {
            let acc = u32::from(*b) * 36 + carry;
            *b = (acc & 0xff) as u8;
            carry = acc >> 8;
        }
        while carry > 0 {
            bytes.push((carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    bytes.reverse();
    let name = String::from_utf8(bytes).ok()?;
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    valid.then_some(name)
}

/// A parsed EMR-managed service-account name
/// `emr-containers-sa-<framework>-<component>-<account>-<base36 role name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmrServiceAccountName {
    /// `spark` or `flink`.
    pub framework: String,
    /// `client`, `driver`, `executor`, `jeg`, `jeg-kernel`, `session`, `jobmanager`, ...
    pub component: String,
    /// The 12-digit account id.
    pub account_id: String,
    /// The base36 role-name segment.
    pub encoded_role: String,
    /// The decoded role name, when the segment decodes to a valid role name.
    pub role_name: Option<String>,
}

impl EmrServiceAccountName {
    /// The execution role ARN the name encodes, in `partition`.
    pub fn role_arn(&self, partition: &str) -> Option<String> {
        self.role_name
            .as_ref()
            .map(|r| format!("arn:{partition}:iam::{}:role/{r}", self.account_id))
    }
}

/// The segments of an EMR-managed job service-account name, borrowed and not decoded (for hot
/// paths that only compare segments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmrServiceAccountParts<'a> {
    /// `spark` or `flink`.
    pub framework: &'a str,
    /// `client`, `driver`, `executor`, `jeg`, `jeg-kernel`, `session`, `jobmanager`, ...
    pub component: &'a str,
    /// The 12-digit account id.
    pub account_id: &'a str,
    /// The base36 role-name segment.
    pub encoded_role: &'a str,
}

/// Splits an EMR-managed job service-account name into its segments, as
/// [`parse_emr_service_account`] does, without decoding the role name.
pub fn split_emr_service_account(name: &str) -> Option<EmrServiceAccountParts<'_>> {
    let rest = name.strip_prefix("emr-containers-sa-")?;
    let (framework, rest) = rest.split_once('-')?;
    if framework != "spark" && framework != "flink" {
        return None;
    }
    // The last two segments are the account and the encoded role; the middle is the component.
    let (head, encoded) = rest.rsplit_once('-')?;
    let (component, account) = head.rsplit_once('-')?;
    let is_account = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    let is_b36 = !encoded.is_empty()
        && encoded
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase());
    if component.is_empty() || !is_account || !is_b36 {
        return None;
    }
    Some(EmrServiceAccountParts {
        framework,
        component,
        account_id: account,
        encoded_role: encoded,
    })
}

/// Parses an EMR-managed job service-account name. Returns `None` for other names, including
/// the fixed operator names (see [`is_emr_operator_service_account`]).
pub fn parse_emr_service_account(name: &str) -> Option<EmrServiceAccountName> {
    let parts = split_emr_service_account(name)?;
    Some(EmrServiceAccountName {
        framework: parts.framework.to_owned(),
        component: parts.component.to_owned(),
        account_id: parts.account_id.to_owned(),
        encoded_role: parts.encoded_role.to_owned(),
        role_name: base36_decode(parts.encoded_role),
    })
}

/// Whether `name` is one of EMR's fixed operator or Livy service-account names.
pub fn is_emr_operator_service_account(name: &str) -> bool {
    EMR_OPERATOR_SERVICE_ACCOUNTS.contains(&name)
}

/// Whether `name` is any EMR-managed service-account name (job or operator).
pub fn is_emr_service_account_name(name: &str) -> bool {
    is_emr_operator_service_account(name) || split_emr_service_account(name).is_some()
}

/// Whether `name` fits the service-account part of the trust pattern
/// `emr-containers-sa-*-*-<ACCOUNT>-<BASE36>` for some account and encoded role. IAM's `*`
/// matches any characters, so names EMR never creates (`emr-containers-sa-x-y-111122223333-abc`)
/// fit too, and a service account with such a name can assume the execution role.
pub fn matches_emr_trust_pattern(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("emr-containers-sa-") else {
        return false;
    };
    let Some((head, encoded)) = rest.rsplit_once('-') else {
        return false;
    };
    let Some((wildcards, account)) = head.rsplit_once('-') else {
        return false;
    };
    let is_account = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    let is_b36 = !encoded.is_empty()
        && encoded
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase());
    // The two `*` are separated by a literal `-`.
    is_account && is_b36 && wildcards.contains('-')
}

/// The `sub` pattern `aws emr-containers update-role-trust-policy` writes for a role in a
/// namespace.
pub fn emr_trust_sub_pattern(namespace: &str, account_id: &str, role_name: &str) -> String {
    format!(
        "system:serviceaccount:{namespace}:emr-containers-sa-*-*-{account_id}-{}",
        base36_encode(role_name)
    )
}

/// The role name from a role ARN (the part after the last `/`).
pub fn role_name_from_arn(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// Whether an IAM role ARN is EMR on EKS's service-linked role (with or without its path,
/// since aws-auth mappings drop the path).
pub fn is_emr_service_linked_role(arn: &str) -> bool {
    arn.starts_with("arn:")
        && arn.contains(":role/")
        && role_name_from_arn(arn) == EMR_SERVICE_LINKED_ROLE
}

#[cfg(test)]
mod tests {
    use super::*;

    // Vectors from the reference (section 1.2), computed with the aws CLI's algorithm.
    #[test]
    fn base36_vectors() {
        for (name, enc) in [
            (
                "ts-eks-emr-eks-emr-cli",
                "j3uv6jk0kk3sogu231qj91fmo3mvwfl561",
            ),
            ("myrole", "16o0gwny3p"),
            (
                "JobExecutionRoleIRSAv2",
                "c7ohmynrs14q04uudoef8n97xdufwajzua",
            ),
        ] {
            assert_eq!(base36_encode(name), enc, "encode {name}");
            assert_eq!(base36_decode(enc).as_deref(), Some(name), "decode {enc}");
        }
        assert_eq!(base36_encode(""), "0");
    }

    #[test]
    fn doc_bug_vector_decodes_with_newline_and_is_rejected() {
        // The docs' sample was encoded with a trailing newline; it is not a valid role name.
        assert_eq!(base36_decode("2eum5fah1jc1kwyjc19ikdhdkdegh1n26vbe"), None);
    }

    #[test]
    fn parses_emr_sa_names() {
        let sa = parse_emr_service_account(
            "emr-containers-sa-spark-driver-111122223333-j3uv6jk0kk3sogu231qj91fmo3mvwfl561",
        )
        .unwrap();
        assert_eq!(sa.component, "driver");
        assert_eq!(sa.role_name.as_deref(), Some("ts-eks-emr-eks-emr-cli"));
        assert_eq!(
            sa.role_arn("aws").as_deref(),
            Some("arn:aws:iam::111122223333:role/ts-eks-emr-eks-emr-cli")
        );
        let jeg =
            parse_emr_service_account("emr-containers-sa-spark-jeg-kernel-111122223333-16o0gwny3p")
                .unwrap();
        assert_eq!(jeg.component, "jeg-kernel");
        assert!(parse_emr_service_account("emr-containers-sa-spark-operator").is_none());
        assert!(is_emr_service_account_name(
            "emr-containers-sa-spark-operator"
        ));
        assert!(parse_emr_service_account("emr-containers-sa-spark-driver-1234-abc").is_none());
        assert!(parse_emr_service_account("default").is_none());
    }

    #[test]
    fn trust_pattern_names() {
        for name in [
            "emr-containers-sa-spark-driver-111122223333-j3uv6jk0kk3sogu231qj91fmo3mvwfl561",
            "emr-containers-sa-spark-jeg-kernel-111122223333-16o0gwny3p",
            "emr-containers-sa-x-y-111122223333-abc",
            "emr-containers-sa---111122223333-abc",
        ] {
            assert!(matches_emr_trust_pattern(name), "{name}");
        }
        for name in [
            "emr-containers-sa-spark-operator",
            "emr-containers-sa-x-111122223333-abc",
            "emr-containers-sa-x-y-11112222333-abc",
            "emr-containers-sa-x-y-111122223333-ABC",
            "emr-containers-sa-x-y-111122223333-",
            "other-sa-x-y-111122223333-abc",
        ] {
            assert!(!matches_emr_trust_pattern(name), "{name}");
        }
    }

    #[test]
    fn trust_pattern() {
        assert_eq!(
            emr_trust_sub_pattern("emr", "111122223333", "ts-eks-emr-eks-emr-cli"),
            "system:serviceaccount:emr:emr-containers-sa-*-*-111122223333-j3uv6jk0kk3sogu231qj91fmo3mvwfl561"
        );
    }

    #[test]
    fn slr_detection() {
        assert!(is_emr_service_linked_role(
            "arn:aws:iam::1:role/AWSServiceRoleForAmazonEMRContainers"
        ));
        assert!(is_emr_service_linked_role(
            "arn:aws:iam::1:role/aws-service-role/emr-containers.amazonaws.com/AWSServiceRoleForAmazonEMRContainers"
        ));
        assert!(!is_emr_service_linked_role("arn:aws:iam::1:role/other"));
    }
}
