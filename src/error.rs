//! The crate's one error type, [`Error`], and its parts.
//!
//! Every failure a call can meet is a variant: a request that fails validation before anything is
//! sent, an error the service answered with, a transport failure, a timeout, a body that could not
//! be decoded, or credentials that could not be loaded. None of them ever carries a secret.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a call.
///
/// Display carries the service's Code, Message and RequestId where there are some, so logging the
/// error is enough to open a support ticket. Use the accessors ([`code`](Self::code),
/// [`request_id`](Self::request_id), [`http_status`](Self::http_status)) and predicates
/// ([`is_throttling`](Self::is_throttling), [`is_timeout`](Self::is_timeout),
/// [`is_retryable`](Self::is_retryable)) rather than matching on messages.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request (or a client setting) was refused before anything was sent.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// The service answered with an error envelope.
    #[error(transparent)]
    Service(Box<ServiceError>),
    /// The connection failed or broke (DNS, connect, TLS, reset, ...).
    #[error("transport error: {message}")]
    Transport {
        /// What failed, in words.
        message: String,
        /// The underlying error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
        /// Whether the failure happened while connecting (nothing reached the service).
        connect: bool,
    },
    /// A timeout expired.
    #[error("{kind} timeout after {after:?}")]
    Timeout {
        /// Which timeout expired.
        kind: TimeoutKind,
        /// The configured limit.
        after: Duration,
    },
    /// The response body could not be decoded.
    #[error(transparent)]
    Decode(Box<DecodeError>),
    /// Credentials could not be obtained.
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    /// Collecting every task would exceed the configured cap.
    #[error("the walk returned more than {limit} tasks; narrow the request or raise the cap")]
    TooManyTasks {
        /// The cap that was reached.
        limit: usize,
    },
    /// The waiter gave up before every task reached a terminal status.
    #[error(transparent)]
    WaitTimeout(Box<WaitTimeoutError>),
    /// The service did not return some of the tasks the waiter was asked to watch.
    #[error("the service did not return these tasks: {}", task_ids.join(", "))]
    TasksNotFound {
        /// The ids the service did not return.
        task_ids: Vec<String>,
    },
    /// The call was retried and the last attempt failed too.
    #[error("{last} (after {attempts} attempts; {})", RetryHistory(retries))]
    RetriesExhausted {
        /// How many attempts were made.
        attempts: u32,
        /// Why each earlier attempt was retried, in order.
        retries: Vec<RetryRecord>,
        /// The error of the last attempt.
        last: Box<Error>,
    },
}

/// Why one attempt was retried.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryRecord {
    /// The 1-based attempt that failed.
    pub attempt: u32,
    /// A short reason: the service Code with the HTTP status, or the transport failure.
    pub reason: String,
    /// How long the client waited before the next attempt.
    pub delay: Duration,
}

struct RetryHistory<'a>(&'a [RetryRecord]);

impl fmt::Display for RetryHistory<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("retried")?;
        for (i, r) in self.0.iter().enumerate() {
            let sep = if i == 0 { ": " } else { "; " };
            write!(
                f,
                "{sep}attempt {} ({}) after {:?}",
                r.attempt, r.reason, r.delay
            )?;
        }
        Ok(())
    }
}

/// The waiter's timeout expired; carries the last state seen of every task.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WaitTimeoutError {
    /// How long the waiter waited.
    pub waited: Duration,
    /// Every watched task id with the last state seen (`None`: never returned).
    pub last_seen: Vec<(String, Option<crate::model::Task>)>,
}

impl fmt::Display for WaitTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tasks not finished after {:?}:", self.waited)?;
        for (i, (id, task)) in self.last_seen.iter().enumerate() {
            let sep = if i == 0 { " " } else { ", " };
            match task {
                Some(t) => write!(f, "{sep}{id} {}", t.task_status)?,
                None => write!(f, "{sep}{id} not seen")?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for WaitTimeoutError {}

/// Which timeout expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// Establishing the connection.
    Connect,
    /// Waiting for the next bytes of the response.
    Read,
    /// One attempt: sending the request and reading the whole response.
    Attempt,
    /// The whole operation, across retries.
    Operation,
}

impl fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutKind::Connect => "connect",
            TimeoutKind::Read => "read",
            TimeoutKind::Attempt => "attempt",
            TimeoutKind::Operation => "operation",
        })
    }
}

impl Error {
    /// The error of the last attempt, looking through [`Error::RetriesExhausted`].
    pub fn last_attempt(&self) -> &Error {
        match self {
            Error::RetriesExhausted { last, .. } => last.last_attempt(),
            other => other,
        }
    }

    /// How many attempts the call made (1 when it was not retried).
    pub fn attempts(&self) -> u32 {
        match self {
            Error::RetriesExhausted { attempts, .. } => *attempts,
            _ => 1,
        }
    }

    /// The service error, when the service answered with one.
    pub fn service_error(&self) -> Option<&ServiceError> {
        match self.last_attempt() {
            Error::Service(e) => Some(e),
            _ => None,
        }
    }

    /// The validation error, when the request was refused before sending.
    pub fn validation_error(&self) -> Option<&ValidationError> {
        match self.last_attempt() {
            Error::Validation(e) => Some(e),
            _ => None,
        }
    }

    /// The decode error, when a body could not be decoded.
    pub fn decode_error(&self) -> Option<&DecodeError> {
        match self.last_attempt() {
            Error::Decode(e) => Some(e),
            _ => None,
        }
    }

    /// The service's error Code (for example `Throttling.User`), when there is one.
    pub fn code(&self) -> Option<&str> {
        self.service_error().map(|e| e.code.as_str())
    }

    /// The service's RequestId, when the response carried one.
    pub fn request_id(&self) -> Option<&str> {
        match self.last_attempt() {
            Error::Service(e) => e.request_id.as_deref(),
            Error::Decode(e) => e.request_id.as_deref(),
            _ => None,
        }
    }

    /// The HTTP status of the response, when one arrived.
    pub fn http_status(&self) -> Option<u16> {
        match self.last_attempt() {
            Error::Service(e) => Some(e.http_status),
            Error::Decode(e) => Some(e.http_status),
            _ => None,
        }
    }

    /// Whether the service throttled the call.
    pub fn is_throttling(&self) -> bool {
        self.code().is_some_and(crate::retry::is_throttling_code)
    }

    /// Whether a timeout expired (an HTTP timeout or the waiter's).
    pub fn is_timeout(&self) -> bool {
        matches!(
            self.last_attempt(),
            Error::Timeout { .. } | Error::WaitTimeout(_)
        )
    }

    /// Whether the call was refused before sending.
    pub fn is_validation(&self) -> bool {
        matches!(self.last_attempt(), Error::Validation(_))
    }

    /// Whether a further attempt of the same call could succeed (throttling, a 5xx, a broken
    /// connection, a timeout). See [`crate::retry::classify`].
    pub fn is_retryable(&self) -> bool {
        crate::retry::classify(self.last_attempt()).is_retry()
    }

    pub(crate) fn service(e: ServiceError) -> Self {
        Error::Service(Box::new(e))
    }

    pub(crate) fn decode(e: DecodeError) -> Self {
        Error::Decode(Box::new(e))
    }
}

/// A request or setting refused before anything was sent.
///
/// It names the field, the value given and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: got {value:?}, expected {allowed}")]
pub struct ValidationError {
    field: Cow<'static, str>,
    value: String,
    allowed: Cow<'static, str>,
}

impl ValidationError {
    /// A validation error for `field`, which was given `value` but allows `allowed`.
    pub fn new(
        field: impl Into<Cow<'static, str>>,
        value: impl Into<String>,
        allowed: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            field: field.into(),
            value: value.into(),
            allowed: allowed.into(),
        }
    }

    /// The field, as the API names it (for example `PageSize`).
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The value that was given (or a summary of it, such as `101 ids`).
    pub fn value(&self) -> &str {
        &self.value
    }

    /// What the field allows.
    pub fn allowed(&self) -> &str {
        &self.allowed
    }
}

/// An error the service answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServiceError {
    /// The HTTP status.
    pub http_status: u16,
    /// The error Code, for example `InvalidRegionId.NotFound`.
    pub code: String,
    /// The service's message.
    pub message: String,
    /// The request id.
    pub request_id: Option<String>,
    /// The host that answered.
    pub host_id: Option<String>,
    /// The service's recommendation (often a link to its diagnosis page).
    pub recommend: Option<String>,
    /// What the client found when it looked into the error (for example, for
    /// `SignatureDoesNotMatch`, whether the secret or the encoding is at fault).
    pub diagnosis: Option<String>,
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "service error {} (HTTP {}): {}",
            self.code, self.http_status, self.message
        )?;
        if let Some(id) = &self.request_id {
            write!(f, " [RequestId: {id}]")?;
        }
        if let Some(d) = &self.diagnosis {
            write!(f, "; {d}")?;
        }
        if let Some(r) = &self.recommend {
            write!(f, "; see {r}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ServiceError {}

/// A response body that could not be decoded into the model or an error envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeError {
    /// The HTTP status of the response.
    pub http_status: u16,
    /// The request id, when it could be found (body or `x-acs-request-id` header).
    pub request_id: Option<String>,
    /// What was wrong.
    pub reason: String,
    /// The start of the body (at most 256 characters), for diagnosis.
    pub excerpt: String,
}

impl DecodeError {
    pub(crate) fn new(http_status: u16, reason: impl Into<String>, body: &[u8]) -> Self {
        Self {
            http_status,
            request_id: None,
            reason: reason.into(),
            excerpt: excerpt(body),
        }
    }
}

/// At most 256 characters of the body, lossily decoded, for error messages.
pub(crate) fn excerpt(body: &[u8]) -> String {
    const MAX: usize = 256;
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX * 4)]);
    let mut out: String = text.chars().take(MAX).collect();
    if out.len() < text.len() || body.len() > MAX * 4 {
        out.push('…');
    }
    out
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "could not decode response (HTTP {}): {}",
            self.http_status, self.reason
        )?;
        if let Some(id) = &self.request_id {
            write!(f, " [RequestId: {id}]")?;
        }
        write!(f, "; body starts: {:?}", self.excerpt)
    }
}

impl std::error::Error for DecodeError {}

/// Credentials could not be obtained.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("credentials from {provider}: {message}")]
pub struct CredentialsError {
    provider: Cow<'static, str>,
    message: String,
}

impl CredentialsError {
    /// An error from the named provider.
    pub fn new(provider: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self {
            provider: provider.into(),
            message: message.into(),
        }
    }

    /// The provider that failed (for example `environment`).
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// What went wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_is_bounded_and_never_panics_on_bad_utf8() {
        let body = vec![0xff; 5000];
        let e = excerpt(&body);
        assert!(e.chars().count() <= 257);
        let e = excerpt("ab\u{4e2d}".as_bytes());
        assert_eq!(e, "ab\u{4e2d}");
        // cutting inside a multi-byte character must not panic
        let long = "\u{4e2d}".repeat(400);
        let e = excerpt(long.as_bytes());
        assert!(e.ends_with('…'));
    }

    #[test]
    fn service_error_display_carries_code_message_and_request_id() {
        let e = Error::service(ServiceError {
            http_status: 400,
            code: "InvalidRegionId.NotFound".into(),
            message: "The specified RegionId does not exist.".into(),
            request_id: Some("REQ-1".into()),
            host_id: Some("ecs.aliyuncs.com".into()),
            recommend: None,
            diagnosis: None,
        });
        let text = e.to_string();
        assert!(text.contains("InvalidRegionId.NotFound"));
        assert!(text.contains("The specified RegionId does not exist."));
        assert!(text.contains("REQ-1"));
        assert_eq!(e.code(), Some("InvalidRegionId.NotFound"));
        assert_eq!(e.request_id(), Some("REQ-1"));
        assert_eq!(e.http_status(), Some(400));
        assert!(!e.is_retryable());
    }

    #[test]
    fn retries_exhausted_delegates_accessors_and_lists_reasons() {
        let last = Error::service(ServiceError {
            http_status: 400,
            code: "Throttling.User".into(),
            message: "Request was denied due to user flow control.".into(),
            request_id: Some("R3".into()),
            host_id: None,
            recommend: None,
            diagnosis: None,
        });
        let e = Error::RetriesExhausted {
            attempts: 3,
            retries: vec![
                RetryRecord {
                    attempt: 1,
                    reason: "Throttling.User (HTTP 400)".into(),
                    delay: Duration::from_millis(100),
                },
                RetryRecord {
                    attempt: 2,
                    reason: "HTTP 503".into(),
                    delay: Duration::from_millis(300),
                },
            ],
            last: Box::new(last),
        };
        assert_eq!(e.attempts(), 3);
        assert_eq!(e.code(), Some("Throttling.User"));
        assert!(e.is_throttling());
        let text = e.to_string();
        assert!(text.contains("after 3 attempts"), "{text}");
        assert!(
            text.contains("attempt 1 (Throttling.User (HTTP 400))"),
            "{text}"
        );
        assert!(text.contains("attempt 2 (HTTP 503)"), "{text}");
    }

    #[test]
    fn every_variant_formats_without_secrets_and_with_its_facts() {
        let service = ServiceError {
            http_status: 400,
            code: "Throttling.User".into(),
            message: "Request was denied due to user flow control.".into(),
            request_id: Some("REQ".into()),
            host_id: Some("ecs.aliyuncs.com".into()),
            recommend: Some("https://api.aliyun.com/troubleshoot".into()),
            diagnosis: None,
        };
        let errors = vec![
            Error::Validation(ValidationError::new("RegionId", "x", "y")),
            Error::service(service.clone()),
            Error::Transport {
                message: "connection reset".into(),
                source: Box::new(std::io::Error::other("reset")),
                connect: false,
            },
            Error::Timeout {
                kind: TimeoutKind::Attempt,
                after: Duration::from_secs(1),
            },
            Error::decode(DecodeError::new(502, "html", b"<html>")),
            Error::Credentials(CredentialsError::new("environment", "not set")),
            Error::TooManyTasks { limit: 1 },
            Error::WaitTimeout(Box::new(WaitTimeoutError {
                waited: Duration::from_secs(1),
                last_seen: vec![("t-1".into(), None)],
            })),
            Error::TasksNotFound {
                task_ids: vec!["t-1".into()],
            },
            Error::RetriesExhausted {
                attempts: 2,
                retries: vec![RetryRecord {
                    attempt: 1,
                    reason: "Throttling.User (HTTP 400)".into(),
                    delay: Duration::from_millis(1),
                }],
                last: Box::new(Error::service(service)),
            },
        ];
        for e in &errors {
            let text = format!("{e} {e:?} {e:#?}");
            assert!(!text.is_empty());
            for secret in ["secret", "SecurityToken=", "Signature="] {
                assert!(!text.contains(secret), "{text}");
            }
        }
        assert!(errors[1].to_string().contains("REQ"));
        assert!(errors[9].to_string().contains("REQ"));
        assert!(errors[7].is_timeout());
        assert!(errors[3].is_timeout());
        assert!(errors[2].is_retryable());
        assert!(
            errors[4].is_retryable(),
            "a 502 page is retried for its status"
        );
        assert!(!Error::decode(DecodeError::new(200, "truncated", b"{")).is_retryable());
    }
}
