//! Authorization requests (kube-apiserver's authorizer attributes) and the kubectl-style
//! resource notation used on the command line.

use emrguard_model::k8s::Text;
use serde::{Deserialize, Serialize};

/// One authorization request, with the same attributes kube-apiserver's RBAC authorizer sees.
/// Its strings are [`Text`] (short ones kept inline): the capability analysis copies requests
/// by the hundred thousand.
/// Empty strings mean "absent", as in Kubernetes: an empty `namespace` is a cluster-wide request
/// and an empty `name` a request without a name (create, list, watch, deletecollection).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Request {
    /// The verb (`get`, `create`, `impersonate`, ...).
    pub verb: Text,
    /// API group (`""` for the core group). Unused for non-resource requests.
    pub api_group: Text,
    /// Resource (plural, lower case). Empty for non-resource requests.
    #[serde(skip_serializing_if = "Text::is_empty")]
    pub resource: Text,
    /// Subresource (`exec`, `token`, `scale`, ...).
    #[serde(skip_serializing_if = "Text::is_empty")]
    pub subresource: Text,
    /// Namespace; empty for cluster-wide and non-resource requests.
    #[serde(skip_serializing_if = "Text::is_empty")]
    pub namespace: Text,
    /// Object name.
    #[serde(skip_serializing_if = "Text::is_empty")]
    pub name: Text,
    /// The URL path of a non-resource request; `None` for resource requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl Request {
    /// A resource request. `namespace`, `name` and `subresource` may be empty.
    pub fn resource(
        verb: &str,
        api_group: &str,
        resource: &str,
        subresource: &str,
        namespace: &str,
        name: &str,
    ) -> Self {
        Self {
            verb: verb.into(),
            api_group: api_group.into(),
            resource: resource.into(),
            subresource: subresource.into(),
            namespace: namespace.into(),
            name: name.into(),
            path: None,
        }
    }

    /// A non-resource request such as `get /healthz`.
    pub fn non_resource(verb: &str, path: &str) -> Self {
        Self {
            verb: verb.into(),
            path: Some(path.to_owned()),
            ..Self::default()
        }
    }

    /// Parses kubectl-style notation: `pods`, `pods/exec`, `deployments.apps`,
    /// `deployments.apps/scale`, a short name such as `deploy` or `cm`, or a non-resource URL
    /// starting with `/`.
    ///
    /// Bare names are resolved with a built-in table of well-known resources
    /// ([`WELL_KNOWN_RESOURCES`]) because a snapshot has no discovery API; a bare name that is
    /// not in the table is taken to be in the core group, and [`ParsedRequest::notes`] says so.
    /// Unlike `kubectl auth can-i`, where `TYPE/NAME` names an object, the part after `/` is a
    /// subresource, as in RBAC rules; the name is passed separately.
    ///
    /// For `namespaces` with a name and no namespace, the namespace is set to the name, as
    /// kube-apiserver's request info does for `GET /api/v1/namespaces/NAME`.
    ///
    /// # Errors
    /// When the verb or resource is empty, or a non-resource URL is given a name.
    pub fn parse_kubectl(
        verb: &str,
        spec: &str,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> Result<ParsedRequest, RequestError> {
        let verb = verb.trim();
        if verb.is_empty() {
            return Err(RequestError("the verb is empty".into()));
        }
        let namespace = namespace.unwrap_or_default();
        let name = name.unwrap_or_default();
        let mut notes = Vec::new();
        if spec.starts_with('/') {
            if !name.is_empty() {
                return Err(RequestError(format!(
                    "a non-resource URL ({spec}) cannot have a name"
                )));
            }
            if !namespace.is_empty() {
                notes.push(format!(
                    "non-resource URLs are not namespaced: namespace {namespace} is ignored"
                ));
            }
            return Ok(ParsedRequest {
                request: Self::non_resource(verb, spec),
                notes,
            });
        }
        let (type_part, subresource) = match spec.split_once('/') {
            Some((t, s)) => (t, s),
            None => (spec, ""),
        };
        if type_part.is_empty() {
            return Err(RequestError(format!("no resource in `{spec}`")));
        }
        let (resource, group) = match type_part.split_once('.') {
            Some((resource, group)) => {
                let resource = lookup_in_group(resource, group).unwrap_or(resource);
                (resource.to_owned(), group.to_owned())
            }
            None => match lookup_resource(type_part) {
                Some(known) => (known.plural.to_owned(), known.group.to_owned()),
                None => {
                    notes.push(format!(
                        "`{type_part}` is not a well-known resource: assuming the core API group; \
                         write `{type_part}.GROUP` to name its group"
                    ));
                    (type_part.to_owned(), String::new())
                }
            },
        };
        let mut namespace = namespace.to_owned();
        if resource == "namespaces" && group.is_empty() && namespace.is_empty() && !name.is_empty()
        {
            namespace = name.to_owned();
        }
        Ok(ParsedRequest {
            request: Self::resource(verb, &group, &resource, subresource, &namespace, name),
            notes,
        })
    }

    /// `resource/subresource`, or `resource` when there is no subresource. Built without the
    /// formatting machinery, inline when short (`pods/exec`): the authorizer asks for it on
    /// every subresource request.
    pub fn combined_resource(&self) -> Text {
        let mut combined = self.resource.clone();
        if !self.subresource.is_empty() {
            combined.push('/');
            combined.push_str(&self.subresource);
        }
        combined
    }

    /// The request in words for evidence: `` `verb` on `resource/sub.group` `name` `` and its
    /// scope, "cluster-wide" without a namespace, else what `namespace_words` says of the
    /// namespace.
    pub fn describe(&self, namespace_words: impl FnOnce(&str) -> String) -> String {
        let mut out = format!("`{}` on `{}", self.verb, self.combined_resource());
        if !self.api_group.is_empty() {
            out.push('.');
            out.push_str(&self.api_group);
        }
        out.push('`');
        if !self.name.is_empty() {
            out.push_str(" `");
            out.push_str(&self.name);
            out.push('`');
        }
        out.push(' ');
        if self.namespace.is_empty() {
            out.push_str("cluster-wide");
        } else {
            out.push_str(&namespace_words(&self.namespace));
        }
        out
    }

    /// The subresource, empty when there is none.
    pub fn subresource_str(&self) -> &str {
        &self.subresource
    }

    /// The name, empty when there is none.
    pub fn name_str(&self) -> &str {
        &self.name
    }

    /// Whether this is a request for a non-resource URL.
    pub fn is_non_resource(&self) -> bool {
        self.path.is_some()
    }

    /// The same request in another namespace.
    pub fn in_namespace(&self, namespace: &str) -> Self {
        Self {
            namespace: namespace.into(),
            ..self.clone()
        }
    }

    /// The same request for a named object.
    pub fn named(&self, name: &str) -> Self {
        Self {
            name: name.into(),
            ..self.clone()
        }
    }
}

impl std::fmt::Display for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(path) = &self.path {
            return write!(f, "{} {}", self.verb, path);
        }
        write!(f, "{} {}", self.verb, self.resource)?;
        if !self.api_group.is_empty() {
            write!(f, ".{}", self.api_group)?;
        }
        if !self.subresource.is_empty() {
            write!(f, "/{}", self.subresource)?;
        }
        if !self.name.is_empty() {
            write!(f, " named {}", self.name)?;
        }
        if self.namespace.is_empty() {
            write!(f, " cluster-wide")
        } else {
            write!(f, " in namespace {}", self.namespace)
        }
    }
}

/// A parsed request with remarks about assumptions made while parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedRequest {
    /// The request.
    pub request: Request,
    /// Assumptions worth telling the user (unknown resource group, ignored namespace).
    pub notes: Vec<String>,
}

/// A request that cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestError(pub String);

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RequestError {}

/// A well-known resource: its plural, API group, singular and kubectl short names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownResource {
    /// Plural name, as RBAC rules use it.
    pub plural: &'static str,
    /// API group (`""` for core).
    pub group: &'static str,
    /// Singular name.
    pub singular: &'static str,
    /// kubectl short names.
    pub short_names: &'static [&'static str],
}

const fn known(
    plural: &'static str,
    group: &'static str,
    singular: &'static str,
    short_names: &'static [&'static str],
) -> KnownResource {
    KnownResource {
        plural,
        group,
        singular,
        short_names,
    }
}

/// Resources resolved without discovery: the built-in Kubernetes resources an RBAC audit asks
/// about, the pseudo-resources of impersonation and CSR signing, and the EMR on EKS operators'
/// custom resources. Where two groups serve one name (`events`), kubectl's preferred group wins.
pub const WELL_KNOWN_RESOURCES: &[KnownResource] = &[
    known("pods", "", "pod", &["po"]),
    known("services", "", "service", &["svc"]),
    known("configmaps", "", "configmap", &["cm"]),
    known("secrets", "", "secret", &[]),
    known("serviceaccounts", "", "serviceaccount", &["sa"]),
    known("namespaces", "", "namespace", &["ns"]),
    known("nodes", "", "node", &["no"]),
    known(
        "persistentvolumeclaims",
        "",
        "persistentvolumeclaim",
        &["pvc"],
    ),
    known("persistentvolumes", "", "persistentvolume", &["pv"]),
    known("endpoints", "", "endpoints", &["ep"]),
    known("events", "", "event", &["ev"]),
    known(
        "replicationcontrollers",
        "",
        "replicationcontroller",
        &["rc"],
    ),
    known("resourcequotas", "", "resourcequota", &["quota"]),
    known("limitranges", "", "limitrange", &["limits"]),
    known("podtemplates", "", "podtemplate", &[]),
    known("bindings", "", "binding", &[]),
    known("componentstatuses", "", "componentstatus", &["cs"]),
    known("users", "", "user", &[]),
    known("groups", "", "group", &[]),
    known("deployments", "apps", "deployment", &["deploy"]),
    known("replicasets", "apps", "replicaset", &["rs"]),
    known("statefulsets", "apps", "statefulset", &["sts"]),
    known("daemonsets", "apps", "daemonset", &["ds"]),
    known("controllerrevisions", "apps", "controllerrevision", &[]),
    known("jobs", "batch", "job", &[]),
    known("cronjobs", "batch", "cronjob", &["cj"]),
    known("roles", "rbac.authorization.k8s.io", "role", &[]),
    known(
        "rolebindings",
        "rbac.authorization.k8s.io",
        "rolebinding",
        &[],
    ),
    known(
        "clusterroles",
        "rbac.authorization.k8s.io",
        "clusterrole",
        &[],
    ),
    known(
        "clusterrolebindings",
        "rbac.authorization.k8s.io",
        "clusterrolebinding",
        &[],
    ),
    known(
        "mutatingwebhookconfigurations",
        "admissionregistration.k8s.io",
        "mutatingwebhookconfiguration",
        &[],
    ),
    known(
        "validatingwebhookconfigurations",
        "admissionregistration.k8s.io",
        "validatingwebhookconfiguration",
        &[],
    ),
    known(
        "validatingadmissionpolicies",
        "admissionregistration.k8s.io",
        "validatingadmissionpolicy",
        &[],
    ),
    known(
        "validatingadmissionpolicybindings",
        "admissionregistration.k8s.io",
        "validatingadmissionpolicybinding",
        &[],
    ),
    known("ingresses", "networking.k8s.io", "ingress", &["ing"]),
    known(
        "networkpolicies",
        "networking.k8s.io",
        "networkpolicy",
        &["netpol"],
    ),
    known("ingressclasses", "networking.k8s.io", "ingressclass", &[]),
    known(
        "poddisruptionbudgets",
        "policy",
        "poddisruptionbudget",
        &["pdb"],
    ),
    known(
        "horizontalpodautoscalers",
        "autoscaling",
        "horizontalpodautoscaler",
        &["hpa"],
    ),
    known(
        "certificatesigningrequests",
        "certificates.k8s.io",
        "certificatesigningrequest",
        &["csr"],
    ),
    known("signers", "certificates.k8s.io", "signer", &[]),
    known("leases", "coordination.k8s.io", "lease", &[]),
    known("storageclasses", "storage.k8s.io", "storageclass", &["sc"]),
    known("csidrivers", "storage.k8s.io", "csidriver", &[]),
    known("csinodes", "storage.k8s.io", "csinode", &[]),
    known(
        "volumeattachments",
        "storage.k8s.io",
        "volumeattachment",
        &[],
    ),
    known(
        "customresourcedefinitions",
        "apiextensions.k8s.io",
        "customresourcedefinition",
        &["crd", "crds"],
    ),
    known("endpointslices", "discovery.k8s.io", "endpointslice", &[]),
    known(
        "selfsubjectaccessreviews",
        "authorization.k8s.io",
        "selfsubjectaccessreview",
        &[],
    ),
    known(
        "subjectaccessreviews",
        "authorization.k8s.io",
        "subjectaccessreview",
        &[],
    ),
    known(
        "localsubjectaccessreviews",
        "authorization.k8s.io",
        "localsubjectaccessreview",
        &[],
    ),
    known(
        "selfsubjectrulesreviews",
        "authorization.k8s.io",
        "selfsubjectrulesreview",
        &[],
    ),
    known("tokenreviews", "authentication.k8s.io", "tokenreview", &[]),
    known("userextras", "authentication.k8s.io", "userextra", &[]),
    known("uids", "authentication.k8s.io", "uid", &[]),
    known(
        "priorityclasses",
        "scheduling.k8s.io",
        "priorityclass",
        &["pc"],
    ),
    known(
        "sparkapplications",
        "sparkoperator.k8s.io",
        "sparkapplication",
        &["sparkapp"],
    ),
    known(
        "scheduledsparkapplications",
        "sparkoperator.k8s.io",
        "scheduledsparkapplication",
        &["scheduledsparkapp"],
    ),
    known(
        "flinkdeployments",
        "flink.apache.org",
        "flinkdeployment",
        &["flinkdep"],
    ),
];

/// Looks up a bare resource name (plural, singular or short name, any case).
pub fn lookup_resource(name: &str) -> Option<&'static KnownResource> {
    let lower = name.to_ascii_lowercase();
    WELL_KNOWN_RESOURCES.iter().find(|k| {
        k.plural == lower || k.singular == lower || k.short_names.contains(&lower.as_str())
    })
}

/// The plural of a singular or short name within a given group, if the table knows it.
fn lookup_in_group(name: &str, group: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    WELL_KNOWN_RESOURCES
        .iter()
        .find(|k| {
            k.group == group
                && (k.plural == lower
                    || k.singular == lower
                    || k.short_names.contains(&lower.as_str()))
        })
        .map(|k| k.plural)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(spec: &str) -> Request {
        match Request::parse_kubectl("get", spec, Some("ns"), None) {
            Ok(p) => p.request,
            Err(e) => panic!("{spec}: {e}"),
        }
    }

    #[test]
    fn requests_in_words() {
        let words = |ns: &str| format!("in `{ns}`");
        let cases = [
            (
                Request::resource("create", "", "pods", "exec", "team-a", "driver"),
                "`create` on `pods/exec` `driver` in `team-a`",
            ),
            (
                Request::resource("patch", "admissionregistration.k8s.io", "mutatingwebhookconfigurations", "", "", ""),
                "`patch` on `mutatingwebhookconfigurations.admissionregistration.k8s.io` cluster-wide",
            ),
            (
                Request::resource("get", "", "secrets", "", "emr", ""),
                "`get` on `secrets` in `emr`",
            ),
        ];
        for (request, expected) in cases {
            assert_eq!(request.describe(words), expected);
        }
    }

    #[test]
    fn kubectl_notation() {
        let r = parse("pods");
        assert_eq!((r.api_group.as_str(), r.resource.as_str()), ("", "pods"));
        let r = parse("pods/exec");
        assert_eq!(
            (r.resource.as_str(), r.subresource.as_str()),
            ("pods", "exec")
        );
        let r = parse("deployments.apps/scale");
        assert_eq!(
            (
                r.api_group.as_str(),
                r.resource.as_str(),
                r.subresource.as_str()
            ),
            ("apps", "deployments", "scale")
        );
        let r = parse("deployments");
        assert_eq!(r.api_group, "apps");
        let r = parse("deploy");
        assert_eq!(
            (r.api_group.as_str(), r.resource.as_str()),
            ("apps", "deployments")
        );
        let r = parse("mutatingwebhookconfigurations.admissionregistration.k8s.io");
        assert_eq!(r.api_group, "admissionregistration.k8s.io");
        assert_eq!(r.resource, "mutatingwebhookconfigurations");
        let r = parse("/healthz");
        assert_eq!(r.path.as_deref(), Some("/healthz"));
    }

    #[test]
    fn unknown_bare_resource_is_core_with_a_note() {
        let parsed = Request::parse_kubectl("get", "widgets", None, None);
        let Ok(parsed) = parsed else {
            panic!("parse failed")
        };
        assert_eq!(parsed.request.api_group, "");
        assert_eq!(parsed.notes.len(), 1);
    }

    #[test]
    fn namespace_get_uses_its_own_name_as_namespace() {
        let Ok(parsed) = Request::parse_kubectl("get", "namespaces", None, Some("spark")) else {
            panic!("parse failed")
        };
        assert_eq!(parsed.request.namespace, "spark");
    }

    #[test]
    fn non_resource_url_with_name_is_an_error() {
        assert!(Request::parse_kubectl("get", "/metrics", None, Some("x")).is_err());
        assert!(Request::parse_kubectl("", "pods", None, None).is_err());
    }
}
