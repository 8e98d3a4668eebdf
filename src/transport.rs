//! One HTTP exchange: send the signed request, read the head and a size-capped body. Nothing
//! here retries or decodes; errors never carry the URL (it holds the signature and, with STS,
//! the security token).

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::error::{DecodeError, Error, TimeoutKind};

/// What came back from one attempt, before decoding.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub(crate) status: u16,
    pub(crate) request_id: Option<String>,
    /// The `Date` header, for clock-skew correction.
    pub(crate) date: Option<DateTime<Utc>>,
    /// The largest `TimeLeft` of the `x-ratelimit-user-api` / `x-ratelimit-user` headers.
    pub(crate) rate_limit_time_left: Option<Duration>,
    pub(crate) body: Vec<u8>,
}

/// Sends `POST url` with an empty body and reads the response, refusing bodies over `max_body`.
#[allow(dead_code)]
pub(crate) async fn post(
    http: &reqwest::Client,
    url: &str,
    user_agent: &str,
    max_body: usize,
    timeouts: (Duration, Duration),
) -> Result<RawResponse, Error> {
    post_with_headers(http, url, user_agent, &[], max_body, timeouts).await
}

/// [`post`] with extra headers (the `x-acs-*` and `authorization` headers of Signature V3).
pub(crate) async fn post_with_headers(
    http: &reqwest::Client,
    url: &str,
    user_agent: &str,
    headers: &[(String, String)],
    max_body: usize,
    timeouts: (Duration, Duration),
) -> Result<RawResponse, Error> {
    let mut request = http
        .post(url)
        .header(reqwest::header::USER_AGENT, user_agent)
        .header(reqwest::header::ACCEPT, "application/json, text/xml;q=0.9")
        .header(reqwest::header::CONTENT_LENGTH, "0");
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let response = request
        .send()
        .await
        .map_err(|e| transport_error(e, timeouts))?;
    let status = response.status().as_u16();
    let headers = response.headers();
    let request_id = header_str(headers, "x-acs-request-id").map(str::to_owned);
    let date = header_str(headers, "date")
        .and_then(|d| DateTime::parse_from_rfc2822(d).ok())
        .map(|d| d.with_timezone(&Utc));
    let rate_limit_time_left = ["x-ratelimit-user-api", "x-ratelimit-user"]
        .iter()
        .filter_map(|h| header_str(headers, h).and_then(rate_limit_time_left))
        .max();
    let too_large = |len: u64| {
        let mut e = DecodeError::new(
            status,
            format!("the body is larger than the {max_body}-byte limit ({len} bytes or more)"),
            b"",
        );
        e.request_id = request_id.clone();
        Error::decode(e)
    };
    if let Some(len) = response.content_length() {
        if len > max_body as u64 {
            return Err(too_large(len));
        }
    }
    let mut body = Vec::with_capacity(
        response
            .content_length()
            .map_or(8 * 1024, |l| l as usize)
            .min(max_body),
    );
    let mut response = response;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > max_body {
                    return Err(too_large((body.len() + chunk.len()) as u64));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => {
                // The head arrived but the body broke off: say so, with what we have.
                let mut err = DecodeError::new(
                    status,
                    format!(
                        "the body broke off after {} bytes: {}",
                        body.len(),
                        e.without_url()
                    ),
                    &body,
                );
                err.request_id = request_id;
                return Err(Error::decode(err));
            }
        }
    }
    Ok(RawResponse {
        status,
        request_id,
        date,
        rate_limit_time_left,
        body,
    })
}

fn header_str<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Reads `TimeLeft` (milliseconds) from a rate-limit header such as
/// `Limit:100,Remain:0,TimeLeft:1500,Reset:1700000000000`.
pub(crate) fn rate_limit_time_left(header: &str) -> Option<Duration> {
    header.split([',', ';']).find_map(|part| {
        let (name, value) = part.split_once(':')?;
        if name.trim().eq_ignore_ascii_case("TimeLeft") {
            value.trim().parse::<u64>().ok().map(Duration::from_millis)
        } else {
            None
        }
    })
}

/// Maps a reqwest error to ours, dropping the URL. `timeouts` are the connect and read
/// timeouts, to say which limit expired.
pub(crate) fn transport_error(e: reqwest::Error, timeouts: (Duration, Duration)) -> Error {
    let e = e.without_url();
    if e.is_timeout() {
        return Error::Timeout {
            kind: if e.is_connect() {
                TimeoutKind::Connect
            } else {
                TimeoutKind::Read
            },
            after: if e.is_connect() {
                timeouts.0
            } else {
                timeouts.1
            },
        };
    }
    let connect = e.is_connect();
    let mut message = e.to_string();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(&e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    Error::Transport {
        message,
        source: Box::new(e),
        connect,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_header_time_left() {
        assert_eq!(
            rate_limit_time_left("Limit:100,Remain:0,TimeLeft:1500,Reset:1700000000000"),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            rate_limit_time_left("TimeLeft: 20"),
            Some(Duration::from_millis(20))
        );
        assert_eq!(rate_limit_time_left("Limit:100"), None);
        assert_eq!(rate_limit_time_left("TimeLeft:abc"), None);
        assert_eq!(rate_limit_time_left(""), None);
    }
}
