//! Optional tracing (feature `tracing`).
//!
//! Each call runs in an `ecs_call` span (target `aliyun_ecs_tasks`) with fields `action`,
//! `region` and `attempt` (the current attempt number); each attempt ends with a debug event
//! carrying `attempt`, `http_status`, `request_id`, `latency_ms` and `outcome`. Neither ever
//! carries a secret, a security token, a signature or a URL. Without the feature these are
//! no-ops that compile away.

use std::future::Future;
use std::time::Duration;

#[cfg(feature = "tracing")]
mod imp {
    use super::*;
    use tracing::Instrument as _;

    pub(crate) fn instrument<F: Future>(
        future: F,
        action: &str,
        region: &str,
    ) -> impl Future<Output = F::Output> {
        let span = tracing::info_span!(
            target: "aliyun_ecs_tasks",
            "ecs_call",
            action,
            region,
            attempt = tracing::field::Empty
        );
        future.instrument(span)
    }

    pub(crate) fn attempt_started(attempt: u32) {
        tracing::Span::current().record("attempt", attempt);
    }

    pub(crate) fn attempt_finished(
        attempt: u32,
        http_status: Option<u16>,
        request_id: Option<&str>,
        latency: Duration,
        outcome: &str,
    ) {
        tracing::debug!(
            target: "aliyun_ecs_tasks",
            attempt,
            http_status = http_status.unwrap_or(0),
            request_id = request_id.unwrap_or(""),
            latency_ms = latency.as_secs_f64() * 1e3,
            outcome,
            "attempt finished"
        );
    }
}

#[cfg(not(feature = "tracing"))]
mod imp {
    use super::*;

    pub(crate) fn instrument<F: Future>(
        future: F,
        _action: &str,
        _region: &str,
    ) -> impl Future<Output = F::Output> {
        future
    }

    pub(crate) fn attempt_started(_attempt: u32) {}

    pub(crate) fn attempt_finished(
        _attempt: u32,
        _http_status: Option<u16>,
        _request_id: Option<&str>,
        _latency: Duration,
        _outcome: &str,
    ) {
    }
}

pub(crate) use imp::{attempt_finished, attempt_started, instrument};
