//! The HTTP side: a hyper 1 HTTP/1.1 server on loopback that decodes requests, applies latency and
//! faults, runs the [`super::handler`] pipeline and writes the answer with `Date` and
//! `x-acs-request-id`.

use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, Limited, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, DATE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use super::faults::{self, Fault, THROTTLING_USER};
use super::handler::{self, Answer, ApiError};
use super::identity;
use super::params::Params;
use super::time::http_date;
use super::{RecordedRequest, Shared};

/// The largest request body the emulator reads.
const MAX_BODY: usize = 1024 * 1024;

type Body = UnsyncBoxBody<Bytes, std::io::Error>;

/// Returned by the service to make hyper close the connection without answering.
#[derive(Debug)]
struct DropConnection;

impl fmt::Display for DropConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by a fault script")
    }
}

impl std::error::Error for DropConnection {}

/// Accepts connections until the task is aborted; aborting also ends every open connection (they
/// live in a `JoinSet` owned by this future).
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let shared = Arc::clone(&shared);
                    connections.spawn(async move {
                        let service = service_fn(move |request| respond(Arc::clone(&shared), request));
                        let _ = http1::Builder::new()
                            .timer(TokioTimer::new())
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
                // Out of file descriptors and the like: back off briefly instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// How the body of an answer is sent.
enum Delivery {
    /// The whole body.
    Whole,
    /// The first half, with a matching `Content-Length`.
    Truncated,
    /// The full `Content-Length`, the first half, then the connection breaks.
    Incomplete,
}

/// An answer plus what the HTTP layer needs beyond it.
struct Reply {
    answer: Answer,
    headers: Vec<(&'static str, String)>,
    with_request_id: bool,
    delivery: Delivery,
}

impl Reply {
    fn plain(answer: Answer) -> Self {
        Self {
            answer,
            headers: Vec::new(),
            with_request_id: true,
            delivery: Delivery::Whole,
        }
    }
}

async fn respond(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Body>, DropConnection> {
    let (parts, body) = request.into_parts();
    let method = parts.method.as_str().to_owned();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let is_form = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            mime.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });

    let mut params = Params::default();
    params.extend_form(parts.uri.query().unwrap_or("").as_bytes());
    let query_params = params.map.clone();
    let path = parts.uri.path().to_owned();
    let mut too_large = false;
    let mut body_bytes = Bytes::new();
    match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => {
            body_bytes = collected.to_bytes();
            if method == "POST" && is_form {
                params.extend_form(&body_bytes);
            }
        }
        Err(e) if e.is::<http_body_util::LengthLimitError>() => too_large = true,
        // The client went away mid-body; there is nobody to answer.
        Err(_) => return Err(DropConnection),
    }

    let request_id = uuid::Uuid::new_v4().to_string().to_ascii_uppercase();
    if identity::is_imds(&path) {
        return Ok(plain_response(identity::imds(
            &shared, &method, &path, &headers,
        )));
    }
    if identity::is_sts(&params) {
        return Ok(plain_response(identity::sts(
            &shared,
            &method,
            &params,
            &request_id,
        )));
    }
    let v3 = handler::V3Parts {
        path,
        query: query_params,
        headers: headers.clone(),
        body_sha256: super::signature::sha256_hex(&body_bytes),
    };
    let _in_flight = super::InFlight::enter(&shared);
    let (seq, latency, fault) = shared.lock().receive(RecordedRequest {
        method: method.clone(),
        params: params.map.clone(),
        headers,
        outcome: "pending".to_owned(),
    });
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }

    let normal = || {
        if too_large {
            let error = ApiError::new(
                413,
                "RequestEntityTooLarge",
                "The request body exceeds 1 MiB.",
            );
            handler::error_answer(&error, &params, &request_id)
        } else {
            handler::handle(&shared, &method, &params, &v3, &request_id)
        }
    };
    let service_error = |status: u16, code: &str, message: &str| {
        let error = ApiError::new(status, code.to_owned(), message);
        handler::error_answer(&error, &params, &request_id)
    };

    let Some(fault) = fault else {
        let reply = Reply::plain(normal());
        return Ok(finish(&shared, seq, reply, None, &request_id));
    };
    // A delayed request is then handled normally and logged with its normal outcome.
    let label = (!matches!(fault, Fault::Delay(_))).then(|| fault.label());
    if fault.consumes_nonce() {
        if let Some(nonce) = params.get("SignatureNonce") {
            let mut state = shared.lock();
            let now = state.now();
            state.nonces.remember(nonce, now, shared.config.nonce_ttl);
        }
    }
    let reply = match fault {
        Fault::ConnectionReset => {
            shared.lock().finish(seq, fault.label());
            return Err(DropConnection);
        }
        Fault::Throttle => Reply::plain(service_error(400, THROTTLING_USER.0, THROTTLING_USER.1)),
        Fault::RateLimit { time_left_ms } => {
            let now_ms = shared.now().timestamp_millis();
            let value = faults::rate_limit_header(time_left_ms, now_ms);
            let mut reply = Reply::plain(service_error(400, THROTTLING_USER.0, THROTTLING_USER.1));
            reply.headers = vec![
                ("x-ratelimit-user-api", value.clone()),
                ("x-ratelimit-user", value),
            ];
            reply
        }
        Fault::ServiceError {
            status,
            code,
            message,
        } => Reply::plain(service_error(status, &code, &message)),
        Fault::Status(status) => {
            let (code, message) = faults::status_error(status);
            Reply::plain(service_error(status, code, message))
        }
        Fault::TruncatedBody => Reply {
            delivery: Delivery::Truncated,
            ..Reply::plain(normal())
        },
        Fault::IncompleteBody => Reply {
            delivery: Delivery::Incomplete,
            ..Reply::plain(normal())
        },
        Fault::Delay(delay) => {
            tokio::time::sleep(delay).await;
            Reply::plain(normal())
        }
        Fault::HtmlPage(status) => {
            let reason = status_code(status).canonical_reason().unwrap_or("Error");
            Reply {
                with_request_id: false,
                ..Reply::plain(Answer {
                    status,
                    content_type: "text/html",
                    body: faults::html_page(status, reason).into_bytes(),
                    outcome: String::new(),
                })
            }
        }
        Fault::Body {
            status,
            content_type,
            body,
        } => {
            let mut reply = Reply::plain(Answer {
                status,
                content_type: "",
                body,
                outcome: String::new(),
            });
            reply.headers.push(("content-type", content_type));
            reply
        }
    };
    Ok(finish(&shared, seq, reply, label, &request_id))
}

fn plain_response(answer: identity::Plain) -> Response<Body> {
    let mut response = Response::new(
        Full::new(Bytes::from(answer.body))
            .map_err(|e: Infallible| match e {})
            .boxed_unsync(),
    );
    *response.status_mut() = status_code(answer.status);
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(answer.content_type));
    response
}

fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Records the outcome and builds the HTTP response.
fn finish(
    shared: &Shared,
    seq: u64,
    reply: Reply,
    label: Option<String>,
    request_id: &str,
) -> Response<Body> {
    let Reply {
        answer,
        headers,
        with_request_id,
        delivery,
    } = reply;
    let now = {
        let mut state = shared.lock();
        state.finish(seq, label.unwrap_or(answer.outcome));
        state.now()
    };

    let full_length = answer.body.len();
    let mut body = Bytes::from(answer.body);
    let response_body: Body = match delivery {
        Delivery::Whole => Full::new(body)
            .map_err(|e: Infallible| match e {})
            .boxed_unsync(),
        Delivery::Truncated => {
            body.truncate(full_length / 2);
            Full::new(body)
                .map_err(|e: Infallible| match e {})
                .boxed_unsync()
        }
        Delivery::Incomplete => {
            body.truncate(full_length / 2);
            // Send the head and the first half, give hyper a moment to flush them, then fail the
            // body so that hyper closes the connection short of the declared length.
            let frames = futures::stream::unfold(Some(Some(body)), |step| async move {
                match step? {
                    Some(half) => Some((Ok(Frame::data(half)), Some(None))),
                    None => {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        let error = std::io::Error::new(
                            std::io::ErrorKind::ConnectionAborted,
                            "incomplete body fault",
                        );
                        Some((Err(error), None))
                    }
                }
            });
            StreamBody::new(frames).boxed_unsync()
        }
    };

    let mut response = Response::new(response_body);
    *response.status_mut() = status_code(answer.status);
    let out = response.headers_mut();
    if !answer.content_type.is_empty() {
        out.insert(CONTENT_TYPE, HeaderValue::from_static(answer.content_type));
    }
    if let Ok(date) = HeaderValue::from_str(&http_date(&now)) {
        out.insert(DATE, date);
    }
    if with_request_id {
        if let Ok(id) = HeaderValue::from_str(request_id) {
            out.insert(HeaderName::from_static("x-acs-request-id"), id);
        }
    }
    if matches!(delivery, Delivery::Incomplete) {
        out.insert(CONTENT_LENGTH, HeaderValue::from(full_length));
    }
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            out.insert(HeaderName::from_static(name), value);
        }
    }
    response
}
