//! CloudTrail: `cloudtrail lookup-events` output and log files (`{"Records": [...]}`),
//! normalised into [`CloudTrailEvent`].

use std::fmt;

use emrguard_model::aws::CloudTrailEvent;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// One record of a CloudTrail log file, or the `CloudTrailEvent` of `lookup-events`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Record {
    #[serde(rename = "eventID")]
    event_id: Option<String>,
    event_source: Option<String>,
    event_name: Option<String>,
    event_time: Option<Timestamp>,
    user_identity: Option<UserIdentity>,
    #[serde(deserialize_with = "null_default")]
    resources: Vec<RecordResource>,
    error_code: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct UserIdentity {
    #[serde(rename = "type")]
    identity_type: Option<String>,
    arn: Option<String>,
    session_context: Option<SessionContext>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct SessionContext {
    session_issuer: Option<SessionIssuer>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SessionIssuer {
    arn: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RecordResource {
    #[serde(rename = "ARN")]
    arn: Option<String>,
}

/// One `Events[]` entry of `cloudtrail lookup-events`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub(crate) struct LookupEvent {
    event_id: Option<String>,
    event_name: Option<String>,
    event_source: Option<String>,
    event_time: Option<Timestamp>,
    #[serde(deserialize_with = "null_default")]
    resources: Vec<LookupResource>,
    /// The full record, as a JSON string.
    pub cloud_trail_event: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
struct LookupResource {
    resource_name: Option<String>,
}

/// A time as the CLI prints it: ISO 8601 text, or epoch seconds with some output settings.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Timestamp(String);

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an ISO 8601 time or epoch seconds")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Timestamp(v.to_owned()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Timestamp(iso8601(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Timestamp(iso8601(i64::try_from(v).unwrap_or(i64::MAX))))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                if !v.is_finite() {
                    return Err(E::custom("expected an ISO 8601 time or epoch seconds"));
                }
                // Whole seconds are enough to order events; `as` saturates out-of-range values.
                Ok(Timestamp(iso8601(v.floor() as i64)))
            }
        }
        d.deserialize_any(V)
    }
}

/// Epoch seconds as `YYYY-MM-DDTHH:MM:SSZ` (the form CloudTrail records use).
fn iso8601(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let rest = seconds.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm), valid for the whole i64 day range used here.
    let z = days.saturating_add(719_468);
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe
        .saturating_add(era.saturating_mul(400))
        .saturating_add(i64::from(month <= 2));
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

impl Record {
    /// The normalised event and its `eventID`.
    pub(crate) fn normalise(self) -> (Option<String>, CloudTrailEvent) {
        let principal_arn = self.user_identity.and_then(|identity| {
            let issuer = identity
                .session_context
                .and_then(|c| c.session_issuer)
                .and_then(|i| i.arn);
            match identity.identity_type.as_deref() {
                Some("AssumedRole") => issuer.or(identity.arn),
                _ => identity.arn,
            }
        });
        let mut resources = Vec::new();
        for arn in self.resources.into_iter().filter_map(|r| r.arn) {
            if !resources.contains(&arn) {
                resources.push(arn);
            }
        }
        (
            self.event_id,
            CloudTrailEvent {
                event_source: self.event_source.unwrap_or_default(),
                event_name: self.event_name.unwrap_or_default(),
                event_time: self.event_time.map(|t| t.0),
                principal_arn,
                resources,
                error_code: self.error_code,
                source: Default::default(),
            },
        )
    }
}

impl LookupEvent {
    /// Combines the summary fields with the embedded record (already parsed, when present).
    pub(crate) fn normalise(self, record: Option<Record>) -> (Option<String>, CloudTrailEvent) {
        let (record_id, mut event) = record.unwrap_or_default().normalise();
        if event.event_source.is_empty() {
            event.event_source = self.event_source.unwrap_or_default();
        }
        if event.event_name.is_empty() {
            event.event_name = self.event_name.unwrap_or_default();
        }
        if event.event_time.is_none() {
            event.event_time = self.event_time.map(|t| t.0);
        }
        for name in self.resources.into_iter().filter_map(|r| r.resource_name) {
            if !event.resources.contains(&name) {
                event.resources.push(name);
            }
        }
        (record_id.or(self.event_id), event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assumed_roles_act_as_their_role() {
        let record: Record = serde_json::from_str(
            r#"{"eventID": "e1", "eventSource": "s3.amazonaws.com", "eventName": "GetObject",
                "eventTime": "2026-01-02T03:04:05Z",
                "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/etl/s",
                  "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::111122223333:role/etl"}}},
                "resources": [{"ARN": "arn:aws:s3:::b/k", "type": "AWS::S3::Object"}, {"ARN": "arn:aws:s3:::b/k"}]}"#,
        )
        .unwrap_or_default();
        let (id, event) = record.normalise();
        assert_eq!(id.as_deref(), Some("e1"));
        assert_eq!(
            event.principal_arn.as_deref(),
            Some("arn:aws:iam::111122223333:role/etl")
        );
        assert_eq!(event.resources, vec!["arn:aws:s3:::b/k".to_owned()]);
        assert_eq!(event.action(), "s3:GetObject");
    }

    #[test]
    fn users_act_as_themselves() {
        let record: Record = serde_json::from_str(
            r#"{"userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::1:user/alice"}}"#,
        )
        .unwrap_or_default();
        assert_eq!(
            record.normalise().1.principal_arn.as_deref(),
            Some("arn:aws:iam::1:user/alice")
        );
    }

    #[test]
    fn epoch_times() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
        let event: LookupEvent =
            serde_json::from_str(r#"{"EventTime": 1700000000.5}"#).unwrap_or_default();
        assert_eq!(
            event.normalise(None).1.event_time.as_deref(),
            Some("2023-11-14T22:13:20Z")
        );
    }
}
