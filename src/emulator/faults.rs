//! Fault scripts: answers the emulator gives instead of (or before) normal handling.

use std::time::Duration;

/// One scripted misbehaviour, consumed by one incoming request.
///
/// Faults queued with [`Emulator::push_faults`](super::Emulator::push_faults) are taken first in,
/// first out, one per request, before the request is checked. Faults that stand for an answer of
/// the service itself ([`Throttle`](Self::Throttle), [`RateLimit`](Self::RateLimit),
/// [`ServiceError`](Self::ServiceError), [`Status`](Self::Status)) remember the request's
/// `SignatureNonce` as used, as the service would, so a client that resends the same nonce on retry
/// is caught with `SignatureNonceUsed`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// HTTP 400, Code `Throttling.User`, Message `Request was denied due to user flow control.`
    Throttle,
    /// An error envelope with this HTTP status, Code and Message.
    ServiceError {
        /// The HTTP status (an invalid status becomes 500).
        status: u16,
        /// The error Code.
        code: String,
        /// The error Message.
        message: String,
    },
    /// This HTTP status with a matching error envelope: 500 `InternalError`, 502 `BadGateway`,
    /// 503 `ServiceUnavailable`, 504 `GatewayTimeout`, 429 `Throttling`, 403 `Forbidden`,
    /// 404 `NotFound`, 400 `InvalidParameter`, anything else `UnknownError`.
    Status(u16),
    /// Reads the request, then closes the connection without answering.
    ConnectionReset,
    /// Sleeps this long, then handles the request normally.
    Delay(Duration),
    /// Handles the request normally, then sends only the first half of the body, with a
    /// `Content-Length` that matches the cut body (so the client receives a complete HTTP message
    /// whose body does not decode).
    TruncatedBody,
    /// Handles the request normally, then declares the full `Content-Length`, sends the first half
    /// of the body and closes the connection (so the client sees the transfer break).
    IncompleteBody,
    /// An HTML error page such as a proxy or load balancer produces, with this status and
    /// `Content-Type: text/html`. It carries no `x-acs-request-id`.
    HtmlPage(u16),
    /// HTTP 400 `Throttling.User` with the rate-limit headers `x-ratelimit-user-api` and
    /// `x-ratelimit-user`, both `Limit:100,Remain:0,TimeLeft:<ms>,Reset:<unix ms>`.
    RateLimit {
        /// Milliseconds until the window resets.
        time_left_ms: u64,
    },
    /// An arbitrary raw response (it still carries `Date` and `x-acs-request-id`).
    Body {
        /// The HTTP status (an invalid status becomes 500).
        status: u16,
        /// The `Content-Type` header (omitted when it is not a valid header value).
        content_type: String,
        /// The body bytes, sent as they are.
        body: Vec<u8>,
    },
}

impl Fault {
    /// A `ServiceError` fault.
    pub fn service_error(status: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        Fault::ServiceError {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    /// The label recorded as a request's outcome (`fault:<label>`).
    pub(crate) fn label(&self) -> String {
        match self {
            Fault::Throttle => "fault:throttle".into(),
            Fault::ServiceError { code, .. } => format!("fault:service-error:{code}"),
            Fault::Status(status) => format!("fault:status:{status}"),
            Fault::ConnectionReset => "fault:connection-reset".into(),
            Fault::Delay(_) => "fault:delay".into(),
            Fault::TruncatedBody => "fault:truncated-body".into(),
            Fault::IncompleteBody => "fault:incomplete-body".into(),
            Fault::HtmlPage(status) => format!("fault:html-page:{status}"),
            Fault::RateLimit { .. } => "fault:rate-limit".into(),
            Fault::Body { status, .. } => format!("fault:body:{status}"),
        }
    }

    /// Whether the fault stands for an answer of the service (which consumes the nonce).
    pub(crate) fn consumes_nonce(&self) -> bool {
        matches!(
            self,
            Fault::Throttle
                | Fault::RateLimit { .. }
                | Fault::ServiceError { .. }
                | Fault::Status(_)
        )
    }
}

/// The Code and Message of `Throttling.User`.
pub(crate) const THROTTLING_USER: (&str, &str) = (
    "Throttling.User",
    "Request was denied due to user flow control.",
);

/// The Code and Message the emulator uses for a bare HTTP status.
pub(crate) fn status_error(status: u16) -> (&'static str, &'static str) {
    match status {
        400 => ("InvalidParameter", "The specified parameter is not valid."),
        403 => (
            "Forbidden",
            "User not authorized to operate on the specified resource.",
        ),
        404 => ("NotFound", "The specified resource is not found."),
        429 => (
            "Throttling",
            "Request was denied due to request throttling.",
        ),
        500 => (
            "InternalError",
            "The request processing has failed due to some unknown error, exception or failure.",
        ),
        502 => (
            "BadGateway",
            "The gateway received an invalid response from the server.",
        ),
        503 => (
            "ServiceUnavailable",
            "The request has failed due to a temporary failure of the server.",
        ),
        504 => (
            "GatewayTimeout",
            "The gateway timed out waiting for the server.",
        ),
        _ => (
            "UnknownError",
            "The request processing has failed due to some unknown error.",
        ),
    }
}

/// The value of the rate-limit headers.
pub(crate) fn rate_limit_header(time_left_ms: u64, now_unix_ms: i64) -> String {
    let reset = now_unix_ms.saturating_add(i64::try_from(time_left_ms).unwrap_or(i64::MAX));
    format!("Limit:100,Remain:0,TimeLeft:{time_left_ms},Reset:{reset}")
}

/// An HTML error page like the ones a proxy in front of the service produces.
pub(crate) fn html_page(status: u16, reason: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html>\n<head><title>{status} {reason}</title></head>\n<body>\n\
         <center><h1>{status} {reason}</h1></center>\n<hr><center>Tengine</center>\n</body>\n</html>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_header_shape() {
        assert_eq!(
            rate_limit_header(1500, 1_700_000_000_000),
            "Limit:100,Remain:0,TimeLeft:1500,Reset:1700000001500"
        );
        assert!(rate_limit_header(u64::MAX, i64::MAX).ends_with(&format!("Reset:{}", i64::MAX)));
    }

    #[test]
    fn status_errors_and_labels() {
        assert_eq!(status_error(503).0, "ServiceUnavailable");
        assert_eq!(status_error(500).0, "InternalError");
        assert_eq!(status_error(418).0, "UnknownError");
        assert_eq!(Fault::Status(503).label(), "fault:status:503");
        assert!(Fault::Throttle.consumes_nonce());
        assert!(!Fault::ConnectionReset.consumes_nonce());
        assert!(html_page(502, "Bad Gateway").contains("<h1>502 Bad Gateway</h1>"));
    }
}
