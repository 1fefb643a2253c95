//! Kubernetes RBAC engine with kube-apiserver's exact semantics. Pure, no IO.
