//! Resilience over real HTTP: which failures are retried, with a fresh nonce each time, the
//! rate-limit floor, timeouts, clock-skew correction, the body cap and the retry budget.
#![cfg(feature = "emulator")]

mod common;

use std::collections::HashSet;
use std::time::Duration;

use aliyun_ecs_tasks::emulator::Fault;
use aliyun_ecs_tasks::error::TimeoutKind;
use aliyun_ecs_tasks::{DescribeTasksRequest, Error, RetryConfig};
use common::*;

fn req() -> DescribeTasksRequest {
    DescribeTasksRequest::builder()
        .region_id("cn-hangzhou")
        .build()
        .unwrap()
}

#[tokio::test]
async fn throttling_is_retried_with_a_fresh_nonce_and_timestamp_each_attempt() {
    let emu = empty_emulator().await;
    emu.push_faults([Fault::Throttle, Fault::Throttle]);
    let page = client_for(&emu).describe_tasks(req()).await.unwrap();
    assert!(!page.request_id.is_empty());
    let recorded = emu.requests();
    assert_eq!(recorded.len(), 3);
    let nonces: HashSet<&String> = recorded
        .iter()
        .map(|r| &r.params["SignatureNonce"])
        .collect();
    assert_eq!(nonces.len(), 3, "each attempt signs afresh");
    let signatures: HashSet<&String> = recorded.iter().map(|r| &r.params["Signature"]).collect();
    assert_eq!(signatures.len(), 3);
}

#[tokio::test]
async fn exhausted_retries_report_every_attempt() {
    let emu = empty_emulator().await;
    emu.push_faults([Fault::Throttle, Fault::Status(503), Fault::Throttle]);
    let err = client_for(&emu).describe_tasks(req()).await.unwrap_err();
    assert_eq!(err.attempts(), 3);
    assert_eq!(err.code(), Some("Throttling.User"));
    assert!(err.is_throttling());
    let text = err.to_string();
    assert!(text.contains("after 3 attempts"), "{text}");
    assert!(
        text.contains("attempt 1 (Throttling.User (HTTP 400))"),
        "{text}"
    );
    assert!(
        text.contains("attempt 2 (ServiceUnavailable (HTTP 503))"),
        "{text}"
    );
    assert_eq!(emu.request_count(), 3);
}

#[tokio::test]
async fn server_errors_and_broken_connections_are_retried() {
    for fault in [
        Fault::Status(500),
        Fault::Status(502),
        Fault::Status(503),
        Fault::Status(504),
        Fault::ServiceError {
            status: 400,
            code: "Throttling.Api".into(),
            message: "api flow control".into(),
        },
        Fault::ServiceError {
            status: 400,
            code: "Rejected.Throttling".into(),
            message: "rejected".into(),
        },
        Fault::ServiceError {
            status: 500,
            code: "InternalError".into(),
            message: "oops".into(),
        },
        Fault::ServiceError {
            status: 400,
            code: "UnknownError".into(),
            message: "?".into(),
        },
        Fault::ConnectionReset,
        Fault::HtmlPage(502),
    ] {
        let emu = empty_emulator().await;
        let name = format!("{fault:?}");
        emu.push_faults([fault]);
        client_for(&emu)
            .describe_tasks(req())
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(emu.request_count(), 2, "{name}");
    }
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    for (fault, code) in [
        (
            Fault::ServiceError {
                status: 400,
                code: "SignatureDoesNotMatch".into(),
                message: "no".into(),
            },
            Some("SignatureDoesNotMatch"),
        ),
        (
            Fault::ServiceError {
                status: 404,
                code: "InvalidAccessKeyId.NotFound".into(),
                message: "no".into(),
            },
            Some("InvalidAccessKeyId.NotFound"),
        ),
        (
            Fault::ServiceError {
                status: 403,
                code: "Forbidden.RAM".into(),
                message: "no".into(),
            },
            Some("Forbidden.RAM"),
        ),
        (Fault::Status(400), None),
        (Fault::HtmlPage(403), None),
        (Fault::TruncatedBody, None),
    ] {
        let emu = empty_emulator().await;
        let name = format!("{fault:?}");
        emu.push_faults([fault]);
        let err = client_for(&emu).describe_tasks(req()).await.unwrap_err();
        if let Some(code) = code {
            assert_eq!(err.code(), Some(code), "{name}");
        }
        assert_eq!(err.attempts(), 1, "{name}");
        assert_eq!(emu.request_count(), 1, "{name}");
    }
}

#[tokio::test]
async fn html_truncated_and_oversized_bodies_are_typed_decode_errors() {
    let emu = empty_emulator().await;
    emu.add_tasks("cn-hangzhou", tasks(50));
    let client = builder_for(&emu)
        .retry_config(RetryConfig::disabled())
        .build()
        .unwrap();
    emu.push_faults([Fault::HtmlPage(502)]);
    let err = client.describe_tasks(req()).await.unwrap_err();
    let d = err.decode_error().expect("decode error");
    assert_eq!(d.http_status, 502);
    assert!(d.reason.contains("HTML"), "{}", d.reason);
    assert!(!d.excerpt.is_empty());

    emu.push_faults([Fault::TruncatedBody]);
    let err = client.describe_tasks(req()).await.unwrap_err();
    assert_eq!(err.decode_error().expect("decode error").http_status, 200);

    let small = builder_for(&emu).max_body_size(512).build().unwrap();
    let err = small.describe_tasks(req()).await.unwrap_err();
    assert!(
        err.decode_error()
            .unwrap()
            .reason
            .contains("512-byte limit"),
        "{err}"
    );
}

#[tokio::test]
async fn the_rate_limit_time_left_is_a_floor_for_the_next_delay() {
    let emu = empty_emulator().await;
    emu.push_faults([
        Fault::RateLimit { time_left_ms: 250 },
        Fault::RateLimit { time_left_ms: 250 },
    ]);
    let client = builder_for(&emu)
        .retry_config(
            RetryConfig::default()
                .with_max_attempts(2)
                .with_initial_backoff(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = client.describe_tasks(req()).await.unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(250));
    let Error::RetriesExhausted { retries, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(
        retries[0].delay >= Duration::from_millis(250),
        "{retries:?}"
    );
}

#[tokio::test]
async fn attempt_and_operation_timeouts_hold() {
    let emu = empty_emulator().await;
    emu.push_faults([Fault::Delay(Duration::from_millis(800))]);
    let client = builder_for(&emu)
        .attempt_timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    // The slow attempt times out and the retry succeeds.
    client.describe_tasks(req()).await.unwrap();
    assert_eq!(emu.request_count(), 2);

    emu.push_faults([Fault::Delay(Duration::from_millis(800))]);
    let no_retry = builder_for(&emu)
        .attempt_timeout(Duration::from_millis(100))
        .retry_config(RetryConfig::disabled())
        .build()
        .unwrap();
    let err = no_retry.describe_tasks(req()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                kind: TimeoutKind::Attempt,
                ..
            }
        ),
        "{err:?}"
    );

    emu.push_faults([
        Fault::Delay(Duration::from_millis(800)),
        Fault::Delay(Duration::from_millis(800)),
    ]);
    let started = std::time::Instant::now();
    let err = builder_for(&emu)
        .operation_timeout(Duration::from_millis(200))
        .build()
        .unwrap()
        .describe_tasks(req())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                kind: TimeoutKind::Operation,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_millis(700));
}

#[tokio::test]
async fn a_skewed_clock_is_corrected_once_and_remembered() {
    let emu = empty_emulator().await;
    emu.set_clock_offset(chrono::Duration::hours(2));
    let client = client_for(&emu);
    client.describe_tasks(req()).await.unwrap();
    let outcomes: Vec<String> = emu.requests().iter().map(|r| r.outcome.clone()).collect();
    assert_eq!(outcomes, ["InvalidTimeStamp.Expired", "ok"]);
    let offset = client.clock_offset();
    assert!(
        (offset - chrono::Duration::hours(2)).num_seconds().abs() < 5,
        "{offset}"
    );
    client.describe_tasks(req()).await.unwrap();
    assert_eq!(emu.request_count(), 3, "later calls use the learnt offset");
}

#[tokio::test]
async fn the_retry_budget_stops_a_throttling_storm_from_amplifying() {
    let emu = empty_emulator().await;
    emu.set_throttle_ratio(1.0);
    let client = builder_for(&emu)
        .retry_config(
            RetryConfig::default()
                .with_initial_backoff(Duration::from_millis(1))
                .with_max_backoff(Duration::from_millis(2))
                .with_budget_capacity(30),
        )
        .build()
        .unwrap();
    for _ in 0..20 {
        let err = client.describe_tasks(req()).await.unwrap_err();
        assert!(err.is_throttling());
    }
    // 20 calls, and the 30-token bucket paid for 6 retries (5 tokens each), never refunded
    // since every retry failed too.
    assert_eq!(emu.request_count(), 26);
}

#[tokio::test]
async fn backoff_delays_stay_within_their_jittered_bounds() {
    let emu = empty_emulator().await;
    emu.push_faults([
        Fault::Throttle,
        Fault::Throttle,
        Fault::Throttle,
        Fault::Throttle,
    ]);
    let config = RetryConfig::default()
        .with_max_attempts(4)
        .with_initial_backoff(Duration::from_millis(20))
        .with_max_backoff(Duration::from_millis(50));
    let client = builder_for(&emu)
        .retry_config(config.clone())
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = client.describe_tasks(req()).await.unwrap_err();
    let elapsed = started.elapsed();
    let Error::RetriesExhausted {
        attempts, retries, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*attempts, 4);
    assert_eq!(retries.len(), 3);
    let ceilings = [20, 40, 50].map(Duration::from_millis);
    for (record, ceiling) in retries.iter().zip(ceilings) {
        assert!(record.delay <= ceiling, "{record:?} over {ceiling:?}");
        assert_eq!(config.backoff_ceiling(record.attempt), ceiling);
    }
    let slept: Duration = retries.iter().map(|r| r.delay).sum();
    assert!(elapsed >= slept, "{elapsed:?} < {slept:?}");
    let nonces: HashSet<String> = emu
        .requests()
        .iter()
        .map(|r| r.params["SignatureNonce"].clone())
        .collect();
    assert_eq!(nonces.len(), 4);
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error_retried_then_reported() {
    // Bind and drop a listener to get a loopback port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = aliyun_ecs_tasks::Client::builder()
        .endpoint(format!("http://127.0.0.1:{port}"))
        .allow_http(true)
        .credentials(aliyun_ecs_tasks::Credentials::new("id", "secret"))
        .retry_config(RetryConfig::default().with_initial_backoff(Duration::from_millis(1)))
        .build()
        .unwrap();
    let err = client.describe_tasks(req()).await.unwrap_err();
    assert_eq!(err.attempts(), 3);
    assert!(
        matches!(err.last_attempt(), Error::Transport { connect: true, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("connection failed"), "{err}");
    assert!(!err.to_string().contains("Signature="), "{err}");
}

#[tokio::test]
async fn dropping_the_call_cancels_it_and_its_retries() {
    let emu = empty_emulator().await;
    emu.push_faults([Fault::Delay(Duration::from_millis(300))]);
    let client = client_for(&emu);
    let call = client.describe_tasks(req());
    assert!(tokio::time::timeout(Duration::from_millis(50), call)
        .await
        .is_err());
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        emu.request_count(),
        1,
        "no retry after the caller went away"
    );
}
