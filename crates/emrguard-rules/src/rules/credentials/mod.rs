//! Practice 4: pod credentials only through IRSA (or EKS Pod Identity).

pub mod kube2iam_or_kiam_present;
