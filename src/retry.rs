//! Retry policy as data ([`RetryConfig`]), the one classification function ([`classify`]), the
//! backoff computation and the client-wide retry budget.
//!
//! # What is retried
//!
//! `DescribeTasks` only reads, so every failure that may be transient is retried:
//! the throttling family (`Throttling`, `Throttling.User`, `Throttling.Api`,
//! `Rejected.Throttling`, and any other code starting with `Throttling`; the service sends these
//! with HTTP 400, so they are recognised by Code), `ServiceUnavailable`, `InternalError`,
//! `UnknownError`, HTTP 500/502/503/504, connection failures and timeouts of one attempt.
//!
//! Never retried: validation errors, signature and authentication errors, not-found errors, any
//! other 4xx, decode errors and credential errors. (A body that cannot be decoded but came with
//! HTTP 500/502/503/504, such as a gateway's HTML page, is retried for its status.)
//!
//! # Backoff
//!
//! Exponential with full jitter: before retry *n* (1-based) the client sleeps a uniformly random
//! duration in `[0, min(max_backoff, initial_backoff * 2^(n-1))]`, but never less than the
//! `TimeLeft` the service reported in an `x-ratelimit-user-api` or `x-ratelimit-user` header.
//!
//! # Retry budget
//!
//! A client (and every clone of it) shares one token bucket of [`RetryConfig::budget_capacity`]
//! tokens (default 500). A retry costs 5 tokens (10 after a timeout, which is costlier for both
//! sides). A call that succeeds after retrying returns what its retries cost; a call that
//! succeeds at once returns 1 token; the bucket never exceeds its capacity. When the bucket
//! cannot pay for a retry, the call fails with the error it has instead of retrying. So
//! occasional throttling (a fifth of attempts, say) is retried as usual, while a storm in which
//! retries keep failing drains the bucket after about 100 retries and further calls fail fast
//! instead of multiplying the load on the service.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::error::Error;

/// Retry settings, plain data. The defaults are documented on each field.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryConfig {
    /// Attempts per call, the first included. Default 3; 1 disables retries.
    pub max_attempts: u32,
    /// The backoff ceiling before the first retry. Default 200 ms.
    pub initial_backoff: Duration,
    /// The largest backoff ceiling. Default 20 s.
    pub max_backoff: Duration,
    /// The most time a call may spend across all attempts and waits; no retry is started once
    /// it would be exceeded. Default 60 s.
    pub total_budget: Duration,
    /// Capacity of the client-wide retry token bucket. Default 500; 0 disables the bucket.
    pub budget_capacity: u32,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(20),
            total_budget: Duration::from_secs(60),
            budget_capacity: 500,
        }
    }
}

impl RetryConfig {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// A policy that never retries.
    pub fn disabled() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Sets the number of attempts (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the initial backoff ceiling.
    pub fn with_initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// Sets the largest backoff ceiling.
    pub fn with_max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// Sets the total time budget of one call.
    pub fn with_total_budget(mut self, budget: Duration) -> Self {
        self.total_budget = budget;
        self
    }

    /// Sets the retry bucket capacity (0 disables the bucket).
    pub fn with_budget_capacity(mut self, capacity: u32) -> Self {
        self.budget_capacity = capacity;
        self
    }

    /// The backoff ceiling before retry `retry` (1-based): `initial * 2^(retry-1)`, capped.
    pub fn backoff_ceiling(&self, retry: u32) -> Duration {
        let shift = retry.saturating_sub(1).min(31);
        self.initial_backoff
            .checked_mul(1u32 << shift)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff)
    }

    /// The delay before retry `retry`: full jitter over the ceiling (`unit` in `[0, 1)` is the
    /// random draw), never below `floor` (the service's rate-limit `TimeLeft`).
    pub fn backoff(&self, retry: u32, unit: f64, floor: Option<Duration>) -> Duration {
        let unit = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let jittered = self.backoff_ceiling(retry).mul_f64(unit);
        match floor {
            Some(floor) => jittered.max(floor),
            None => jittered,
        }
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryDecision {
    /// The failure may be transient: retry.
    Retry(RetryReason),
    /// Retrying cannot help: fail now.
    DoNotRetry,
}

impl RetryDecision {
    /// Whether this says retry.
    pub fn is_retry(&self) -> bool {
        matches!(self, RetryDecision::Retry(_))
    }
}

/// Why a failure is worth retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryReason {
    /// The service throttled the call.
    Throttling,
    /// The service reported a transient server-side error.
    ServerError,
    /// The connection failed or broke.
    Transport,
    /// The attempt timed out.
    Timeout,
}

/// Whether a service Code belongs to the throttling family.
pub fn is_throttling_code(code: &str) -> bool {
    code.starts_with("Throttling")
        || code == "Rejected.Throttling"
        || code == "ServiceUnavailable.Throttling"
}

/// The one classification function: decides from the failure alone (transport kind, HTTP
/// status, service Code) whether another attempt may succeed.
pub fn classify(error: &Error) -> RetryDecision {
    match error {
        Error::Service(e) => classify_service(e.http_status, &e.code),
        Error::Transport { .. } => RetryDecision::Retry(RetryReason::Transport),
        Error::Timeout { kind, .. } => match kind {
            crate::error::TimeoutKind::Operation => RetryDecision::DoNotRetry,
            _ => RetryDecision::Retry(RetryReason::Timeout),
        },
        Error::Decode(e) if matches!(e.http_status, 500 | 502 | 503 | 504) => {
            // A gateway answering with an HTML page: the status says it is transient.
            RetryDecision::Retry(RetryReason::ServerError)
        }
        Error::RetriesExhausted { last, .. } => classify(last),
        _ => RetryDecision::DoNotRetry,
    }
}

/// Classification of a service error envelope by Code first, then HTTP status.
pub fn classify_service(http_status: u16, code: &str) -> RetryDecision {
    if is_throttling_code(code) {
        return RetryDecision::Retry(RetryReason::Throttling);
    }
    match code {
        "ServiceUnavailable" | "InternalError" | "UnknownError" | "InternalError.Dispatch" => {
            return RetryDecision::Retry(RetryReason::ServerError)
        }
        _ => {}
    }
    match http_status {
        500 | 502 | 503 | 504 => RetryDecision::Retry(RetryReason::ServerError),
        _ => RetryDecision::DoNotRetry,
    }
}

/// The client-wide token bucket that bounds retries (see the module docs for its numbers).
#[derive(Debug)]
pub(crate) struct RetryBudget {
    capacity: u32,
    tokens: AtomicU32,
}

/// Tokens one retry costs.
pub(crate) const RETRY_COST: u32 = 5;
/// Tokens one retry after a timeout costs.
pub(crate) const TIMEOUT_RETRY_COST: u32 = 10;

impl RetryBudget {
    pub(crate) fn new(capacity: u32) -> Self {
        Self {
            capacity,
            tokens: AtomicU32::new(capacity),
        }
    }

    /// Takes the cost of one retry and returns it, or `None` when the bucket cannot pay (a
    /// disabled bucket always pays, with cost 0).
    pub(crate) fn try_acquire(&self, reason: RetryReason) -> Option<u32> {
        if self.capacity == 0 {
            return Some(0);
        }
        let cost = match reason {
            RetryReason::Timeout => TIMEOUT_RETRY_COST,
            _ => RETRY_COST,
        };
        self.tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(cost))
            .ok()
            .map(|_| cost)
    }

    /// After a successful call: refunds what its retries cost, or 1 token when it needed none.
    pub(crate) fn on_success(&self, retry_cost: u32) {
        if self.capacity == 0 {
            return;
        }
        let cap = self.capacity;
        let refund = retry_cost.max(1);
        let _ = self
            .tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                (t < cap).then(|| t.saturating_add(refund).min(cap))
            });
    }

    #[cfg(test)]
    pub(crate) fn available(&self) -> u32 {
        self.tokens.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_is_recognised_by_code_whatever_the_status() {
        for code in [
            "Throttling",
            "Throttling.User",
            "Throttling.Api",
            "Rejected.Throttling",
        ] {
            assert_eq!(
                classify_service(400, code),
                RetryDecision::Retry(RetryReason::Throttling),
                "{code}"
            );
        }
    }

    #[test]
    fn server_errors_retry_and_client_errors_do_not() {
        for code in ["ServiceUnavailable", "InternalError", "UnknownError"] {
            assert!(classify_service(400, code).is_retry(), "{code}");
        }
        for status in [500, 502, 503, 504] {
            assert!(classify_service(status, "Whatever").is_retry(), "{status}");
        }
        for (status, code) in [
            (400, "SignatureDoesNotMatch"),
            (404, "InvalidAccessKeyId.NotFound"),
            (400, "InvalidRegionId.NotFound"),
            (400, "MissingParameter"),
            (403, "Forbidden.RAM"),
            (501, "NotImplemented"),
            (429, "TooMany"),
        ] {
            assert_eq!(
                classify_service(status, code),
                RetryDecision::DoNotRetry,
                "{code}"
            );
        }
    }

    #[test]
    fn backoff_grows_exponentially_caps_and_honours_the_floor() {
        let c = RetryConfig::default();
        assert_eq!(c.backoff_ceiling(1), Duration::from_millis(200));
        assert_eq!(c.backoff_ceiling(2), Duration::from_millis(400));
        assert_eq!(c.backoff_ceiling(7), Duration::from_millis(12_800));
        assert_eq!(c.backoff_ceiling(8), Duration::from_secs(20));
        assert_eq!(c.backoff_ceiling(1000), Duration::from_secs(20));
        assert_eq!(c.backoff(3, 0.5, None), Duration::from_millis(400));
        assert_eq!(c.backoff(3, 0.0, None), Duration::ZERO);
        assert_eq!(
            c.backoff(3, 0.999, None),
            Duration::from_millis(800).mul_f64(0.999)
        );
        assert_eq!(
            c.backoff(1, 0.1, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(c.backoff(1, f64::NAN, None), Duration::ZERO);
    }

    #[test]
    fn budget_pays_for_retries_until_empty_and_refills_on_success() {
        let b = RetryBudget::new(22);
        assert_eq!(b.try_acquire(RetryReason::Timeout), Some(10));
        assert_eq!(b.try_acquire(RetryReason::Throttling), Some(5));
        assert_eq!(b.try_acquire(RetryReason::Transport), Some(5));
        assert_eq!(b.available(), 2);
        assert_eq!(b.try_acquire(RetryReason::Throttling), None);
        // A success after a retry refunds its cost; a plain success adds one token.
        b.on_success(5);
        assert_eq!(b.available(), 7);
        b.on_success(0);
        assert_eq!(b.available(), 8);
        for _ in 0..100 {
            b.on_success(0);
        }
        assert_eq!(b.available(), 22, "never above capacity");
        let unlimited = RetryBudget::new(0);
        for _ in 0..1000 {
            assert_eq!(unlimited.try_acquire(RetryReason::Throttling), Some(0));
        }
    }
}
