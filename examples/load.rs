//! Load: 10,000 `DescribeTasks` calls at concurrency 64 against the emulator while it throttles
//! 20% of attempts. Every call must end as `Ok` or a typed error, retries must stay bounded, and
//! nothing may panic. Prints calls/s and latency percentiles.
//!
//! ```text
//! cargo run --release --features emulator --example load [-- CALLS CONCURRENCY THROTTLE_RATIO]
//! ```

use std::time::{Duration, Instant};

use aliyun_ecs_tasks::emulator::Emulator;
use aliyun_ecs_tasks::{Client, Credentials, DescribeTasksRequest, Error};
use futures::StreamExt;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let calls: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(10_000);
    let concurrency: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(64);
    let ratio: f64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(0.2);

    let emulator = Emulator::start().await?;
    emulator.set_throttle_ratio(ratio);
    let client = Client::builder()
        .endpoint(emulator.endpoint())
        .allow_http(true)
        .credentials(Credentials::new(
            emulator.access_key_id(),
            emulator.access_key_secret(),
        ))
        .build()?;
    let request = DescribeTasksRequest::builder()
        .region_id("cn-hangzhou")
        .page_size(10)
        .build()?;

    let started = Instant::now();
    let results: Vec<(Duration, Result<(), Error>)> = futures::stream::iter(0..calls)
        .map(|_| {
            let client = client.clone();
            let request = request.clone();
            async move {
                let t = Instant::now();
                let r = client.describe_tasks(request).await.map(|_| ());
                (t.elapsed(), r)
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let elapsed = started.elapsed();

    let mut latencies: Vec<Duration> = results.iter().map(|(d, _)| *d).collect();
    latencies.sort();
    let ok = results.iter().filter(|(_, r)| r.is_ok()).count();
    let throttled = results
        .iter()
        .filter(|(_, r)| r.as_ref().err().is_some_and(Error::is_throttling))
        .count();
    let other = calls - ok - throttled;
    let attempts = emulator.request_count();
    let max_attempts = results
        .iter()
        .map(|(_, r)| r.as_ref().err().map_or(1, Error::attempts))
        .max()
        .unwrap_or(0);

    println!(
        "calls            {calls} at concurrency {concurrency}, throttling {:.0}% of attempts",
        ratio * 100.0
    );
    println!("ok               {ok}");
    println!("throttled        {throttled} (typed Throttling errors after retries or an empty retry budget)");
    println!("other errors     {other}");
    println!(
        "attempts sent    {attempts} ({:.3} per call, at most {max_attempts} for one call)",
        attempts as f64 / calls as f64
    );
    println!("wall time        {:.2} s", elapsed.as_secs_f64());
    println!(
        "calls/s          {:.0}",
        calls as f64 / elapsed.as_secs_f64()
    );
    println!(
        "latency p50      {:.1} ms",
        percentile(&latencies, 50.0).as_secs_f64() * 1e3
    );
    println!(
        "latency p99      {:.1} ms",
        percentile(&latencies, 99.0).as_secs_f64() * 1e3
    );
    println!(
        "latency max      {:.1} ms",
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );

    if ok + throttled + other != calls || results.len() != calls {
        return Err("a call was lost".into());
    }
    if other != 0 {
        return Err(format!("{other} calls failed with something other than throttling").into());
    }
    if attempts > calls * 3 {
        return Err("retries were not bounded".into());
    }
    Ok(())
}
