//! Streams 100,000 tasks (1,000 pages of 100) through `describe_tasks_stream` from a loopback
//! server that synthesizes each page, and prints the process's peak RSS and the walk's wall
//! time next to two baselines in the same run: the same 1,000 page fetches made one by one with
//! `describe_tasks` (the stream's page fetches alone: the target is stream <= 1.15x this, as
//! the median ratio of paired rounds), and
//! raw reqwest fetching the same bytes without decoding (for scale). Target peak RSS <= 40 MB.
//!
//! ```text
//! cargo run --release --features emulator --example stream_memory
//! ```

#[path = "../benches/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use aliyun_ecs_tasks::{Client, Credentials, DescribeTasksRequest};
use futures::TryStreamExt;

const TOTAL: u64 = 100_000;
const PAGE: u64 = 100;
const ROUNDS: usize = 9;

async fn raw_fetches(http: &reqwest::Client, endpoint: &str) -> Duration {
    let started = Instant::now();
    for page in 1..=TOTAL / PAGE {
        let url = format!("{endpoint}/?RegionId=cn-hangzhou&PageNumber={page}&PageSize={PAGE}");
        let body = http
            .post(url)
            .header("content-length", "0")
            .send()
            .await
            .expect("send")
            .bytes()
            .await
            .expect("body");
        assert!(!body.is_empty());
    }
    started.elapsed()
}

async fn page_fetches(client: &Client) -> Duration {
    let started = Instant::now();
    let mut count = 0u64;
    for page in 1..=(TOTAL / PAGE) as u32 {
        let request = DescribeTasksRequest::builder()
            .region_id("cn-hangzhou")
            .page_size(PAGE as u32)
            .page_number(page)
            .build()
            .expect("request");
        let response = client.describe_tasks(request).await.expect("page");
        count += response.task_set.len() as u64;
        std::hint::black_box(&response);
    }
    assert_eq!(count, TOTAL);
    started.elapsed()
}

async fn sdk_walk(client: &Client) -> Duration {
    let started = Instant::now();
    let request = DescribeTasksRequest::builder()
        .region_id("cn-hangzhou")
        .page_size(PAGE as u32);
    let mut tasks = client.describe_tasks_stream(request);
    let mut count = 0u64;
    while let Some(task) = tasks.try_next().await.expect("walk") {
        count += 1;
        std::hint::black_box(&task);
    }
    assert_eq!(count, TOTAL);
    started.elapsed()
}

fn main() {
    let server = support::PageServer::start(support::Answer::Synthesized { total: TOTAL });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let http = reqwest::Client::builder()
        .pool_idle_timeout(Duration::from_secs(60))
        .build()
        .expect("reqwest");
    let client = Client::builder()
        .endpoint(server.endpoint())
        .allow_http(true)
        .credentials(Credentials::new("stream-id", "stream-secret"))
        .http_client(http.clone())
        .build()
        .expect("client");

    let (mut raw_best, mut pages_best, mut sdk_best) =
        (Duration::MAX, Duration::MAX, Duration::MAX);
    // Each round times the page fetches and the stream back to back, alternating which goes
    // first; the ratio reported is the median of the rounds' ratios, so that drift in this
    // machine's speed between rounds cancels out.
    let mut ratios = Vec::with_capacity(ROUNDS);
    runtime.block_on(async {
        for round in 0..ROUNDS {
            raw_best = raw_best.min(raw_fetches(&http, &server.endpoint()).await);
            let (pages, sdk) = if round % 2 == 0 {
                let pages = page_fetches(&client).await;
                (pages, sdk_walk(&client).await)
            } else {
                let sdk = sdk_walk(&client).await;
                (page_fetches(&client).await, sdk)
            };
            pages_best = pages_best.min(pages);
            sdk_best = sdk_best.min(sdk);
            ratios.push(sdk.as_secs_f64() / pages.as_secs_f64());
        }
    });
    let rss_mb = support::peak_rss_kib().map(|k| k as f64 / 1024.0);
    ratios.sort_by(f64::total_cmp);
    let ratio = ratios[ratios.len() / 2];
    let (low, high) = (ratios[0], ratios[ratios.len() - 1]);
    println!(
        "tasks streamed            {TOTAL} ({} pages of {PAGE}), best of {ROUNDS}",
        TOTAL / PAGE
    );
    println!("raw reqwest, no decoding  {:.3} s", raw_best.as_secs_f64());
    println!(
        "page fetches alone        {:.3} s best (describe_tasks, page by page)",
        pages_best.as_secs_f64()
    );
    println!(
        "describe_tasks_stream     {:.3} s best",
        sdk_best.as_secs_f64()
    );
    println!(
        "stream / page fetches     {ratio:.3} median of {ROUNDS} paired rounds, {low:.3} to {high:.3} (target <= 1.15)"
    );
    match rss_mb {
        Some(mb) => println!("peak RSS                  {mb:.1} MB (target <= 40)"),
        None => println!("peak RSS                  unavailable (no /proc)"),
    }
}
