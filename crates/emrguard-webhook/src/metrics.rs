//! Prometheus metrics: requests by result, decisions by policy and result, review latency and
//! certificate reloads. The label sets are fixed, so every series is an atomic counter created
//! up front and the exposition is written by hand in a stable order.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::policy::{Decision, Mode, PolicyCode};

/// The `Content-Type` of [`Metrics::encode`]'s output (text format 0.0.4).
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What happened to one review request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestResult {
    /// Answered with `allowed: true`.
    Allowed,
    /// Answered with `allowed: false` by a policy.
    Denied,
    /// Not a usable review (malformed, too large, too slow).
    Invalid,
}

impl RequestResult {
    const ALL: [Self; 3] = [Self::Allowed, Self::Denied, Self::Invalid];

    fn as_str(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::Denied => "denied",
            Self::Invalid => "invalid",
        }
    }
}

/// Per-policy outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PolicyResult {
    Allowed,
    Denied,
    Warned,
    Audited,
    Exempt,
}

impl PolicyResult {
    const ALL: [Self; 5] = [
        Self::Allowed,
        Self::Denied,
        Self::Warned,
        Self::Audited,
        Self::Exempt,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::Denied => "denied",
            Self::Warned => "warned",
            Self::Audited => "audited",
            Self::Exempt => "exempt",
        }
    }
}

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

/// The webhook's metrics.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: [AtomicU64; 3],
    decisions: [[AtomicU64; 5]; 7],
    // Non-cumulative bucket counts; the last slot is +Inf.
    latency_buckets: [AtomicU64; 13],
    latency_count: AtomicU64,
    latency_sum_nanos: AtomicU64,
    reloads_success: AtomicU64,
    reloads_failure: AtomicU64,
}

fn bump(counter: Option<&AtomicU64>) {
    if let Some(c) = counter {
        c.fetch_add(1, Ordering::Relaxed);
    }
}

fn read(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

impl Metrics {
    /// All counters at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one request and its latency.
    pub fn observe_request(&self, result: RequestResult, seconds: f64) {
        let index = RequestResult::ALL.iter().position(|r| *r == result);
        bump(index.and_then(|i| self.requests.get(i)));
        let bucket = BUCKETS
            .iter()
            .position(|le| seconds <= *le)
            .unwrap_or(BUCKETS.len());
        bump(self.latency_buckets.get(bucket));
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        // Saturating float-to-int conversion; latencies are far below u64::MAX nanoseconds.
        let nanos = (seconds.max(0.0) * 1e9) as u64;
        self.latency_sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Counts the per-policy outcome of a decision.
    pub fn observe_decision(&self, decision: &Decision) {
        for &policy in &decision.checked {
            let result = if decision.exempt.is_some() {
                PolicyResult::Exempt
            } else {
                match decision
                    .violations
                    .iter()
                    .find(|v| v.policy == policy)
                    .map(|v| v.mode)
                {
                    None => PolicyResult::Allowed,
                    Some(Mode::Enforce) => PolicyResult::Denied,
                    Some(Mode::Warn) => PolicyResult::Warned,
                    Some(Mode::Audit) => PolicyResult::Audited,
                }
            };
            let row = PolicyCode::ALL
                .iter()
                .position(|p| *p == policy)
                .and_then(|i| self.decisions.get(i));
            let column = PolicyResult::ALL.iter().position(|r| *r == result);
            bump(row.and_then(|r| column.and_then(|c| r.get(c))));
        }
    }

    /// Counts a certificate reload.
    pub fn observe_reload(&self, success: bool) {
        let counter = if success {
            &self.reloads_success
        } else {
            &self.reloads_failure
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The metrics in the Prometheus text format, series in a fixed order.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(4096);
        // Writing to a String cannot fail.
        let _ = self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) -> std::fmt::Result {
        const P: &str = "emrguard_webhook";
        writeln!(
            out,
            "# HELP {P}_requests_total Admission review requests by result."
        )?;
        writeln!(out, "# TYPE {P}_requests_total counter")?;
        for (result, count) in RequestResult::ALL.iter().zip(&self.requests) {
            writeln!(
                out,
                "{P}_requests_total{{result=\"{}\"}} {}",
                result.as_str(),
                read(count)
            )?;
        }
        writeln!(
            out,
            "# HELP {P}_decisions_total Policy outcomes by policy and result."
        )?;
        writeln!(out, "# TYPE {P}_decisions_total counter")?;
        for (policy, row) in PolicyCode::ALL.iter().zip(&self.decisions) {
            for (result, count) in PolicyResult::ALL.iter().zip(row) {
                writeln!(
                    out,
                    "{P}_decisions_total{{policy=\"{policy}\",result=\"{}\"}} {}",
                    result.as_str(),
                    read(count)
                )?;
            }
        }
        let name = format!("{P}_request_duration_seconds");
        writeln!(
            out,
            "# HELP {name} Time from a review request's headers to its response."
        )?;
        writeln!(out, "# TYPE {name} histogram")?;
        let mut cumulative = 0;
        for (i, count) in self.latency_buckets.iter().enumerate() {
            cumulative += read(count);
            match BUCKETS.get(i) {
                Some(le) => writeln!(out, "{name}_bucket{{le=\"{le}\"}} {cumulative}")?,
                None => writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}")?,
            }
        }
        let sum = read(&self.latency_sum_nanos) as f64 / 1e9;
        writeln!(out, "{name}_sum {sum}")?;
        writeln!(out, "{name}_count {}", read(&self.latency_count))?;
        writeln!(out, "# HELP {P}_certificate_reloads_total Serving certificate reloads after its files changed.")?;
        writeln!(out, "# TYPE {P}_certificate_reloads_total counter")?;
        writeln!(
            out,
            "{P}_certificate_reloads_total{{result=\"success\"}} {}",
            read(&self.reloads_success)
        )?;
        writeln!(
            out,
            "{P}_certificate_reloads_total{{result=\"failure\"}} {}",
            read(&self.reloads_failure)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Violation;

    #[test]
    fn counts_by_policy_and_result() {
        let metrics = Metrics::new();
        metrics.observe_request(RequestResult::Denied, 0.000_3);
        metrics.observe_request(RequestResult::Allowed, 5.0);
        metrics.observe_decision(&Decision {
            checked: vec![PolicyCode::Wh003, PolicyCode::Wh007],
            violations: vec![Violation {
                policy: PolicyCode::Wh007,
                mode: Mode::Warn,
                message: String::new(),
            }],
            exempt: None,
        });
        let text = metrics.encode();
        for line in [
            "emrguard_webhook_requests_total{result=\"denied\"} 1",
            "emrguard_webhook_requests_total{result=\"invalid\"} 0",
            "emrguard_webhook_decisions_total{policy=\"WH003\",result=\"allowed\"} 1",
            "emrguard_webhook_decisions_total{policy=\"WH007\",result=\"warned\"} 1",
            "emrguard_webhook_decisions_total{policy=\"WH001\",result=\"denied\"} 0",
            "emrguard_webhook_request_duration_seconds_bucket{le=\"0.00025\"} 0",
            "emrguard_webhook_request_duration_seconds_bucket{le=\"0.0005\"} 1",
            "emrguard_webhook_request_duration_seconds_bucket{le=\"1\"} 1",
            "emrguard_webhook_request_duration_seconds_bucket{le=\"+Inf\"} 2",
            "emrguard_webhook_request_duration_seconds_sum 5.0003",
            "emrguard_webhook_request_duration_seconds_count 2",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from\n{text}"
            );
        }
        // Stable order: the same state encodes the same way.
        assert_eq!(text, metrics.encode());
    }
}
