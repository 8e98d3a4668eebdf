//! Page and task streams over real HTTP: walk sizes, laziness, de-duplication under inserts,
//! prefetch order, cancellation on drop and the collect cap.
#![cfg(feature = "emulator")]

mod common;

use std::collections::HashSet;
use std::time::Duration;

use aliyun_ecs_tasks::{DescribeTasksRequest, Error, Task, TaskAction, TaskStatus};
use common::*;
use futures::{StreamExt, TryStreamExt};

fn hz() -> aliyun_ecs_tasks::DescribeTasksRequestBuilder {
    DescribeTasksRequest::builder().region_id("cn-hangzhou")
}

#[tokio::test]
async fn walks_of_every_size_return_each_task_once_in_order() {
    for n in [0usize, 1, 99, 100, 101, 537] {
        let emu = empty_emulator().await;
        emu.add_tasks("cn-hangzhou", tasks(n));
        let client = client_for(&emu);
        for size in [1u32, 10, 100] {
            if size == 1 && n > 101 {
                continue; // 537 one-task pages add nothing the other sizes don't cover
            }
            let before = emu.request_count();
            let all: Vec<Task> = client
                .describe_tasks_stream(hz().page_size(size))
                .try_collect()
                .await
                .unwrap();
            let ids: Vec<String> = all.iter().map(|t| t.task_id.clone()).collect();
            let expected: Vec<String> = (0..n).map(|i| format!("t-{i:05}")).collect();
            assert_eq!(ids, expected, "n={n} size={size}");
            let pages = emu.request_count() - before;
            let expected_pages = n.div_ceil(size as usize).max(1);
            assert_eq!(pages, expected_pages, "n={n} size={size}");
        }
    }
}

#[tokio::test]
async fn five_hundred_thirty_seven_tasks_one_per_page() {
    let emu = empty_emulator().await;
    emu.add_tasks("cn-hangzhou", tasks(537));
    let client = client_for(&emu);
    let all = client.describe_all_tasks(hz().page_size(1)).await.unwrap();
    assert_eq!(all.len(), 537);
    assert_eq!(emu.request_count(), 537);
}

#[tokio::test]
async fn the_default_walk_page_size_is_one_hundred_and_starts_at_the_requested_page() {
    let emu = empty_emulator().await;
    emu.add_tasks("cn-hangzhou", tasks(250));
    let client = client_for(&emu);
    let all = client.describe_all_tasks(hz()).await.unwrap();
    assert_eq!(all.len(), 250);
    let sizes: Vec<String> = emu
        .requests()
        .iter()
        .map(|r| r.params["PageSize"].clone())
        .collect();
    assert_eq!(sizes, ["100", "100", "100"]);
    let from_third = client
        .describe_all_tasks(hz().page_size(100).page_number(3))
        .await
        .unwrap();
    assert_eq!(from_third.len(), 50);
    assert_eq!(from_third[0].task_id, "t-00200");
}

#[tokio::test]
async fn streams_are_lazy_and_validation_errors_come_first() {
    let emu = empty_emulator().await;
    emu.add_tasks("cn-hangzhou", tasks(5));
    let client = client_for(&emu);
    let stream = client.describe_tasks_stream(hz());
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(emu.request_count(), 0, "nothing sent before polling");
    drop(stream);

    let mut bad = client.describe_tasks_pages(hz().page_size(500));
    let first = bad.next().await.unwrap().unwrap_err();
    assert_eq!(first.validation_error().unwrap().field(), "PageSize");
    assert!(bad.next().await.is_none());
    assert_eq!(emu.request_count(), 0);
}

#[tokio::test]
async fn streams_can_be_spawned() {
    let emu = empty_emulator().await;
    emu.add_tasks("cn-hangzhou", tasks(42));
    let client = client_for(&emu);
    let stream = client.describe_tasks_stream(hz().page_size(10));
    let handle = tokio::spawn(async move { stream.try_collect::<Vec<_>>().await });
    assert_eq!(handle.await.unwrap().unwrap().len(), 42);
}

#[tokio::test]
async fn tasks_inserted_during_a_walk_are_not_duplicated() {
    let emu = empty_emulator().await;
    emu.add_tasks("cn-hangzhou", tasks(30));
    let client = client_for(&emu);
    let mut stream = client.describe_tasks_pages(hz().page_size(10));
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.task_set.len(), 10);
    // Five newer tasks push five already-seen ones onto page 2.
    let newer: Vec<Task> = (0..5)
        .map(|i| {
            Task::new(
                format!("t-new-{i}"),
                TaskAction::ImportImage,
                TaskStatus::Processing,
            )
            .with_creation_time(chrono::Utc::now())
        })
        .collect();
    emu.add_tasks("cn-hangzhou", newer);
    let mut ids: Vec<String> = first.tasks().iter().map(|t| t.task_id.clone()).collect();
    while let Some(page) = stream.try_next().await.unwrap() {
        ids.extend(page.tasks().iter().map(|t| t.task_id.clone()));
    }
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "no duplicates: {ids:?}");
    // Every original task was still seen: inserts at the head only shift tasks forward.
    for i in 0..30 {
        assert!(unique.contains(&format!("t-{i:05}")), "t-{i:05} missing");
    }
}

#[tokio::test]
async fn a_repeating_page_ends_the_walk_instead_of_looping() {
    let emu = empty_emulator().await;
    emu.add_tasks("cn-hangzhou", tasks(20));
    let client = client_for(&emu);
    // The service ignores PageNumber: every page is the first one. TotalCount says 20.
    let mut stream = client.describe_tasks_pages(hz().page_size(5));
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.task_set.len(), 5);
    let page_one = std::fs::read(format!(
        "{}/tests/data/service_object.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    // Serve the same body (3 tasks, TotalCount 3) twice: second time nothing is new.
    emu.push_faults([
        aliyun_ecs_tasks::emulator::Fault::Body {
            status: 200,
            content_type: "application/json".into(),
            body: page_one.clone(),
        },
        aliyun_ecs_tasks::emulator::Fault::Body {
            status: 200,
            content_type: "application/json".into(),
            body: page_one,
        },
    ]);
    let rest: Vec<_> = stream.collect().await;
    assert!(rest.len() <= 2, "the walk stopped: {}", rest.len());
    let total: usize = rest
        .iter()
        .map(|p| p.as_ref().unwrap().task_set.len())
        .sum();
    assert!(total <= 3);
}

#[tokio::test]
async fn prefetch_keeps_page_order_and_bounds_requests_in_flight() {
    let emu = empty_emulator().await;
    emu.add_tasks("cn-hangzhou", tasks(537));
    emu.set_latency(Duration::from_millis(5));
    let client = client_for(&emu);
    let sequential: Vec<Task> = client
        .describe_tasks_stream(hz().page_size(10))
        .try_collect()
        .await
        .unwrap();
    let prefetched: Vec<Task> = client
        .describe_tasks_stream(hz().page_size(10))
        .prefetch(8)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(sequential.len(), 537);
    assert_eq!(prefetched, sequential);
    assert!(
        emu.max_concurrent_requests() <= 8,
        "{}",
        emu.max_concurrent_requests()
    );
    assert!(
        emu.max_concurrent_requests() >= 2,
        "{}",
        emu.max_concurrent_requests()
    );
}

#[tokio::test]
async fn dropping_a_stream_mid_walk_leaves_nothing_running() {
    let emu = empty_emulator().await;
    emu.add_tasks("cn-hangzhou", tasks(1000));
    emu.set_latency(Duration::from_millis(30));
    let client = client_for(&emu);
    let mut stream = client.describe_tasks_stream(hz().page_size(10)).prefetch(8);
    for _ in 0..15 {
        stream.try_next().await.unwrap().unwrap();
    }
    drop(stream);
    let after_drop = emu.request_count();
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(emu.request_count(), after_drop, "no request after the drop");
    assert!(after_drop <= 2 + 8, "{after_drop}");
}

#[tokio::test]
async fn collecting_stops_at_the_cap() {
    let emu = empty_emulator().await;
    emu.add_tasks("cn-hangzhou", tasks(537));
    let client = client_for(&emu);
    let err = client
        .describe_all_tasks_with_limit(hz(), 250)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TooManyTasks { limit: 250 }), "{err:?}");
    assert_eq!(emu.request_count(), 3, "stops fetching at the cap");
    assert_eq!(
        client
            .describe_all_tasks_with_limit(hz(), 537)
            .await
            .unwrap()
            .len(),
        537
    );
}

#[tokio::test]
async fn the_first_error_ends_the_walk() {
    let emu = empty_emulator().await;
    emu.add_tasks("cn-hangzhou", tasks(50));
    let client = builder_for(&emu)
        .retry_config(aliyun_ecs_tasks::RetryConfig::disabled())
        .build()
        .unwrap();
    let mut stream = client.describe_tasks_pages(hz().page_size(10));
    stream.next().await.unwrap().unwrap();
    emu.push_faults([aliyun_ecs_tasks::emulator::Fault::Status(503)]);
    let err = stream.next().await.unwrap().unwrap_err();
    assert_eq!(err.http_status(), Some(503));
    assert!(stream.next().await.is_none());
}
