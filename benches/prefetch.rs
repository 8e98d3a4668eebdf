//! A 50-page walk against the emulator with 20 ms added to every call: sequential next to
//! prefetching 8 pages at a time.

use std::time::Duration;

use aliyun_ecs_tasks::emulator::{Emulator, Seed};
use aliyun_ecs_tasks::{Client, Credentials, DescribeTasksRequest, Task, TaskAction, TaskStatus};
use criterion::{criterion_group, criterion_main, Criterion};
use futures::TryStreamExt;

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (emulator, client) = runtime.block_on(async {
        let emulator = Emulator::builder()
            .seed(Seed::Empty)
            .latency(Duration::from_millis(20))
            .start()
            .await
            .expect("emulator");
        let base = chrono::Utc::now();
        emulator.add_tasks(
            "cn-hangzhou",
            (0..500).map(|i| {
                Task::new(
                    format!("t-{i:05}"),
                    TaskAction::ImportImage,
                    TaskStatus::Finished,
                )
                .with_creation_time(base - chrono::Duration::minutes(i))
            }),
        );
        let client = Client::builder()
            .endpoint(emulator.endpoint())
            .allow_http(true)
            .credentials(Credentials::new(
                emulator.access_key_id(),
                emulator.access_key_secret(),
            ))
            .build()
            .expect("client");
        (emulator, client)
    });
    let walk = |prefetch: usize| {
        let client = client.clone();
        async move {
            let request = DescribeTasksRequest::builder()
                .region_id("cn-hangzhou")
                .page_size(10);
            let tasks: Vec<Task> = client
                .describe_tasks_stream(request)
                .prefetch(prefetch)
                .try_collect()
                .await
                .expect("walk");
            assert_eq!(tasks.len(), 500);
        }
    };
    let mut group = c.benchmark_group("walk_50_pages_20ms_latency");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));
    group.bench_function("sequential", |b| b.to_async(&runtime).iter(|| walk(1)));
    group.bench_function("prefetch_8", |b| b.to_async(&runtime).iter(|| walk(8)));
    group.finish();
    drop(emulator);
}

criterion_group!(benches, bench);
criterion_main!(benches);
