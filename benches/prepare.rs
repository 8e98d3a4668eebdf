//! Preparing a request: validation, parameters, timestamp, nonce, canonicalization, signature
//! and URL, next to the HMAC-SHA1 alone as the floor.

use aliyun_ecs_tasks::signer::{self, CommonParams};
use aliyun_ecs_tasks::{DescribeTasksRequest, TaskAction, TaskStatus};
use criterion::{black_box, criterion_group, criterion_main, Criterion};

const SECRET: &str = "testsecretAbCdEfGhIjKlMnOpQrStU";

fn params() -> Vec<(&'static str, &'static str)> {
    vec![
        ("RegionId", "cn-hangzhou"),
        ("PageNumber", "3"),
        ("PageSize", "100"),
        ("TaskAction", "ImportImage"),
        ("TaskStatus", "Finished"),
        ("StartTime", "2024-05-01T00:00:00Z"),
        ("EndTime", "2024-05-31T23:59:59Z"),
    ]
}

fn common() -> CommonParams<'static> {
    CommonParams {
        action: "DescribeTasks",
        version: "2014-05-26",
        format: "JSON",
        access_key_id: "LTAI5tAbCdEfGhIjKlMnOpQr",
        security_token: None,
        timestamp: "2024-05-31T12:00:00Z",
        nonce: "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    }
}

fn bench(c: &mut Criterion) {
    let p = params();
    let common = common();
    let mut group = c.benchmark_group("prepare");
    group.bench_function("baseline/hmac_sha1_only", |b| {
        let sts = signer::string_to_sign(
            "POST",
            &[p.as_slice(), &[("Action", "DescribeTasks")]].concat(),
        );
        b.iter(|| signer::sign_string(black_box(&sts), black_box(SECRET)))
    });
    group.bench_function("signer/sign_rpc", |b| {
        b.iter(|| signer::sign_rpc("POST", black_box(&common), black_box(&p), SECRET))
    });
    group.bench_function("full/validate_sign_url", |b| {
        let start = chrono::DateTime::parse_from_rfc3339("2024-05-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let end = chrono::DateTime::parse_from_rfc3339("2024-05-31T23:59:59Z")
            .unwrap()
            .to_utc();
        b.iter(|| {
            let request = DescribeTasksRequest::builder()
                .region_id("cn-hangzhou")
                .task_action(TaskAction::ImportImage)
                .task_status(TaskStatus::Finished)
                .start_time(start)
                .end_time(end)
                .page_number(3)
                .page_size(100)
                .build()
                .unwrap();
            let owned = request.to_params();
            let params: Vec<(&str, &str)> = owned
                .iter()
                .map(|(k, v)| (k.as_ref(), v.as_str()))
                .collect();
            // The timestamp and nonce as the client makes them for every attempt.
            let timestamp = signer::format_timestamp(chrono::Utc::now());
            let nonce = signer::new_nonce();
            let common = CommonParams {
                timestamp: &timestamp,
                nonce: &nonce,
                ..common
            };
            let signed = signer::sign_rpc("POST", &common, &params, SECRET);
            let mut url = String::with_capacity(48 + signed.query.len());
            url.push_str("https://ecs.cn-hangzhou.aliyuncs.com/?");
            url.push_str(&signed.query);
            black_box(url)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
