//! End to end against a static loopback server that always answers the same 100-task page:
//! the SDK call (sign, send, decode into the typed model) next to a baseline of raw reqwest
//! sending a pre-signed request and parsing the body into a `serde_json::Value`, with the same
//! server, the same pool settings and the same runtime, at concurrency 1 and 32.

#[path = "support/mod.rs"]
mod support;

use std::time::Duration;

use aliyun_ecs_tasks::signer::{self, CommonParams};
use aliyun_ecs_tasks::{Client, Credentials, DescribeTasksRequest, RetryConfig};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const SECRET: &str = "bench-secret-value";

/// The pool and timeout settings both sides use.
fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .read_timeout(Duration::from_secs(11))
        .pool_idle_timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("reqwest client")
}

fn bench(c: &mut Criterion) {
    let body = support::page_json(1, 100, 1000, 0, 100);
    let server = support::PageServer::start(support::Answer::Fixed(body.into()));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");

    let sdk = Client::builder()
        .endpoint(server.endpoint())
        .allow_http(true)
        .credentials(Credentials::new("bench-id", SECRET))
        .http_client(http_client())
        .retry_config(RetryConfig::disabled())
        .build()
        .expect("sdk client");
    let request = DescribeTasksRequest::builder()
        .region_id("cn-hangzhou")
        .page_size(100)
        .build()
        .expect("request");

    let raw = http_client();
    let common = CommonParams {
        action: "DescribeTasks",
        version: "2014-05-26",
        format: "JSON",
        access_key_id: "bench-id",
        security_token: None,
        timestamp: "2024-05-31T12:00:00Z",
        nonce: "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    };
    let signed = signer::sign_rpc(
        "POST",
        &common,
        &[("RegionId", "cn-hangzhou"), ("PageSize", "100")],
        SECRET,
    );
    let url = format!("{}/?{}", server.endpoint(), signed.query);

    let sdk_call = || {
        let sdk = sdk.clone();
        let request = request.clone();
        async move {
            let page = sdk.describe_tasks(request).await.expect("sdk call");
            assert_eq!(page.task_set.len(), 100);
        }
    };
    let raw_call = || {
        let raw = raw.clone();
        let url = url.clone();
        async move {
            let bytes = raw
                .post(url)
                .header("content-length", "0")
                .send()
                .await
                .expect("send")
                .bytes()
                .await
                .expect("body");
            let value: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
            assert_eq!(value["TaskSet"]["Task"].as_array().map(Vec::len), Some(100));
        }
    };

    let mut one = c.benchmark_group("end_to_end/concurrency_1");
    one.throughput(Throughput::Elements(1));
    one.bench_function("baseline_reqwest_presigned_serde_value", |b| {
        b.to_async(&runtime).iter(raw_call)
    });
    one.bench_function("sdk_describe_tasks", |b| {
        b.to_async(&runtime).iter(sdk_call)
    });
    one.finish();

    let mut many = c.benchmark_group("end_to_end/concurrency_32");
    many.throughput(Throughput::Elements(32));
    many.bench_function("baseline_reqwest_presigned_serde_value", |b| {
        b.to_async(&runtime)
            .iter(|| futures::future::join_all((0..32).map(|_| raw_call())))
    });
    many.bench_function("sdk_describe_tasks", |b| {
        b.to_async(&runtime)
            .iter(|| futures::future::join_all((0..32).map(|_| sdk_call())))
    });
    many.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
