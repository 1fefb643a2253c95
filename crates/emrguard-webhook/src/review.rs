//! `admission.k8s.io/v1` AdmissionReview: the request the API server sends and the response it
//! expects. Objects inside the request stay raw JSON until a policy needs them, so requests no
//! policy looks at are never decoded further.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// The API version this webhook speaks.
pub const ADMISSION_API_VERSION: &str = "admission.k8s.io/v1";
/// The kind of the envelope.
pub const ADMISSION_KIND: &str = "AdmissionReview";

/// An AdmissionReview as sent by the API server; objects are borrowed from the body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionReview<'a> {
    /// Must be `admission.k8s.io/v1`.
    #[serde(default)]
    pub api_version: String,
    /// Must be `AdmissionReview`.
    #[serde(default)]
    pub kind: String,
    /// The request; absent in a malformed review.
    #[serde(borrow)]
    pub request: Option<AdmissionRequest<'a>>,
}

/// Why a request body is not a usable AdmissionReview.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// Not JSON, or JSON of the wrong shape.
    #[error("the body is not an AdmissionReview: {0}")]
    Malformed(String),
    /// A different `apiVersion` or `kind`.
    #[error("expected apiVersion {ADMISSION_API_VERSION} and kind {ADMISSION_KIND}, found {api_version:?} and {kind:?}")]
    WrongType {
        /// The `apiVersion` found.
        api_version: String,
        /// The `kind` found.
        kind: String,
    },
    /// No `request`.
    #[error("the AdmissionReview has no request")]
    NoRequest,
}

impl AdmissionReview<'_> {
    /// Decodes a review body and returns its request, which borrows the body's objects.
    ///
    /// # Errors
    /// [`ReviewError`] naming what is wrong with the body.
    pub fn decode_request(body: &[u8]) -> Result<AdmissionRequest<'_>, ReviewError> {
        let review: AdmissionReview =
            serde_json::from_slice(body).map_err(|e| ReviewError::Malformed(e.to_string()))?;
        if review.api_version != ADMISSION_API_VERSION || review.kind != ADMISSION_KIND {
            return Err(ReviewError::WrongType {
                api_version: review.api_version,
                kind: review.kind,
            });
        }
        review.request.ok_or(ReviewError::NoRequest)
    }

    /// The `request.uid` of a body that could not be decoded as a whole, when it can still be
    /// found, so that even a denial of a malformed review names the request it answers.
    pub fn salvage_uid(body: &[u8]) -> Option<String> {
        #[derive(Deserialize)]
        struct UidOnly {
            request: Option<RequestUid>,
        }
        #[derive(Deserialize)]
        struct RequestUid {
            uid: Option<String>,
        }
        serde_json::from_slice::<UidOnly>(body).ok()?.request?.uid
    }
}

/// `request.operation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Operation {
    /// `CREATE`.
    Create,
    /// `UPDATE`.
    Update,
    /// `DELETE`.
    Delete,
    /// `CONNECT` (exec, attach, port-forward, proxy).
    Connect,
}

impl Operation {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "CREATE",
            Self::Update => "UPDATE",
            Self::Delete => "DELETE",
            Self::Connect => "CONNECT",
        }
    }
}

/// A group, version and resource.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct GroupVersionResource {
    /// API group (`""` for the core group).
    pub group: String,
    /// Version.
    pub version: String,
    /// Resource (plural, lower case).
    pub resource: String,
}

/// A group, version and kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct GroupVersionKind {
    /// API group.
    pub group: String,
    /// Version.
    pub version: String,
    /// Kind.
    pub kind: String,
}

/// `request.userInfo`: who made the request, as the API server authenticated it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct UserInfo {
    /// Username (`system:serviceaccount:NS:NAME` for service accounts).
    pub username: String,
    /// Groups.
    pub groups: Vec<String>,
}

/// `request` of an AdmissionReview. The objects stay raw JSON, borrowed from the body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionRequest<'a> {
    /// Echoed in the response.
    pub uid: String,
    /// Kind of the object (for subresources, the subresource's kind, e.g. `PodExecOptions`).
    #[serde(default)]
    pub kind: GroupVersionKind,
    /// The resource being requested.
    pub resource: GroupVersionResource,
    /// The subresource (`exec`, `token`, ...), if any.
    #[serde(default)]
    pub sub_resource: Option<String>,
    /// Name of the object (may be empty on CREATE with `generateName`).
    #[serde(default)]
    pub name: Option<String>,
    /// Namespace; absent for cluster-scoped resources.
    #[serde(default)]
    pub namespace: Option<String>,
    /// The operation.
    pub operation: Operation,
    /// The requester.
    #[serde(default)]
    pub user_info: UserInfo,
    /// The new object (CREATE, UPDATE, CONNECT options), raw.
    #[serde(default, borrow)]
    pub object: Option<&'a RawValue>,
    /// The existing object (UPDATE, DELETE), raw.
    #[serde(default, borrow)]
    pub old_object: Option<&'a RawValue>,
    /// Whether the request is a dry run.
    #[serde(default)]
    pub dry_run: Option<bool>,
}

impl AdmissionRequest<'_> {
    /// The subresource, or `""`.
    pub fn subresource(&self) -> &str {
        self.sub_resource.as_deref().unwrap_or("")
    }

    /// The namespace, or `""` for cluster-scoped requests.
    pub fn namespace(&self) -> &str {
        self.namespace.as_deref().unwrap_or("")
    }

    /// The object name, or `""`.
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or("")
    }
}

/// `metav1.Status` in a denial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    /// HTTP-like code: 403 for policy denials, 400 for undecodable requests.
    pub code: u16,
    /// `Forbidden` or `BadRequest`.
    pub reason: &'static str,
    /// The message shown to the user by kubectl.
    pub message: String,
}

/// `response` of an AdmissionReview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionResponse {
    /// The request's uid.
    pub uid: String,
    /// Whether the request may proceed.
    pub allowed: bool,
    /// Why not, when denied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Warnings shown to the client (warn mode).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Added to the API server's audit event for this request.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub audit_annotations: BTreeMap<String, String>,
}

impl AdmissionResponse {
    /// An allowing response.
    pub fn allow(uid: &str) -> Self {
        Self {
            uid: uid.to_owned(),
            allowed: true,
            status: None,
            warnings: Vec::new(),
            audit_annotations: BTreeMap::new(),
        }
    }

    /// A policy denial (code 403).
    pub fn deny(uid: &str, message: String) -> Self {
        Self {
            allowed: false,
            status: Some(Status {
                code: 403,
                reason: "Forbidden",
                message,
            }),
            ..Self::allow(uid)
        }
    }

    /// A denial of a request that could not be decoded (code 400).
    pub fn invalid(uid: &str, message: String) -> Self {
        Self {
            allowed: false,
            status: Some(Status {
                code: 400,
                reason: "BadRequest",
                message,
            }),
            ..Self::allow(uid)
        }
    }

    /// The response wrapped in an AdmissionReview envelope, serialized.
    pub fn to_review_json(&self) -> Vec<u8> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Envelope<'a> {
            api_version: &'static str,
            kind: &'static str,
            response: &'a AdmissionResponse,
        }
        // Serializing plain structs of strings and bools cannot fail.
        serde_json::to_vec(&Envelope {
            api_version: ADMISSION_API_VERSION,
            kind: ADMISSION_KIND,
            response: self,
        })
        .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_connect_request() {
        let body = br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{
            "uid":"u1","kind":{"group":"","version":"v1","kind":"PodExecOptions"},
            "resource":{"group":"","version":"v1","resource":"pods"},"subResource":"exec",
            "name":"p","namespace":"emr","operation":"CONNECT",
            "userInfo":{"username":"alice","groups":["dev"]},
            "object":{"kind":"PodExecOptions","command":["sh"]},"oldObject":null}}"#;
        let req = AdmissionReview::decode_request(body).unwrap();
        assert_eq!(req.uid, "u1");
        assert_eq!(req.operation, Operation::Connect);
        assert_eq!(req.subresource(), "exec");
        assert_eq!(req.namespace(), "emr");
        assert_eq!(req.user_info.groups, vec!["dev".to_owned()]);
        assert!(req.object.is_some());
        assert!(req.old_object.is_none());
    }

    #[test]
    fn rejects_wrong_envelopes() {
        assert!(matches!(
            AdmissionReview::decode_request(b"not json"),
            Err(ReviewError::Malformed(_))
        ));
        assert!(matches!(
            AdmissionReview::decode_request(
                br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview"}"#
            ),
            Err(ReviewError::WrongType { .. })
        ));
        assert!(matches!(
            AdmissionReview::decode_request(
                br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#
            ),
            Err(ReviewError::NoRequest)
        ));
        assert_eq!(
            AdmissionReview::salvage_uid(br#"{"request":{"uid":"x","operation":"BOGUS"}}"#)
                .as_deref(),
            Some("x")
        );
    }

    #[test]
    fn response_envelope_shape() {
        let json: serde_json::Value =
            serde_json::from_slice(&AdmissionResponse::deny("u", "no".into()).to_review_json())
                .unwrap();
        assert_eq!(json["apiVersion"], "admission.k8s.io/v1");
        assert_eq!(json["kind"], "AdmissionReview");
        assert_eq!(json["response"]["uid"], "u");
        assert_eq!(json["response"]["allowed"], false);
        assert_eq!(json["response"]["status"]["code"], 403);
        assert!(json["response"].get("warnings").is_none());
    }
}
