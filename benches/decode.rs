//! Decoding a realistic 100-task page into the typed model, next to untyped parsing of the same
//! bytes (serde_json into a Value; a bare quick-xml event scan) as baselines.

#[path = "support/mod.rs"]
mod support;

use aliyun_ecs_tasks::decode::{decode_json, decode_xml};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use serde::Deserialize;

/// The floor of serde_json on this page: tasks as borrowed strings, no allocation, no parsing
/// of times, booleans or enums. No owned model can decode faster with serde_json.
#[derive(Deserialize)]
#[allow(dead_code)]
struct FloorTask<'a> {
    #[serde(rename = "TaskId", borrow)]
    task_id: &'a str,
    #[serde(rename = "TaskAction", borrow)]
    task_action: &'a str,
    #[serde(rename = "TaskStatus", borrow)]
    task_status: &'a str,
    #[serde(rename = "CreationTime", borrow)]
    creation_time: &'a str,
    #[serde(rename = "FinishedTime", borrow)]
    finished_time: &'a str,
    #[serde(rename = "SupportCancel", borrow)]
    support_cancel: &'a str,
    #[serde(rename = "ResourceId", borrow)]
    resource_id: &'a str,
    #[serde(rename = "TaskGroupId", borrow)]
    task_group_id: &'a str,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct FloorTaskSet<'a> {
    #[serde(rename = "Task", borrow)]
    task: Vec<FloorTask<'a>>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct FloorPage<'a> {
    #[serde(rename = "RequestId", borrow)]
    request_id: &'a str,
    #[serde(rename = "TotalCount")]
    total_count: u64,
    #[serde(rename = "TaskSet", borrow)]
    task_set: FloorTaskSet<'a>,
}

/// `page` with the last occurrence of `from` replaced by `to`.
fn with_last(page: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let at = page
        .windows(from.len())
        .rposition(|w| w == from)
        .expect("the page holds the pattern");
    [&page[..at], to, &page[at + from.len()..]].concat()
}

fn bench(c: &mut Criterion) {
    let json = support::page_json(1, 100, 1000, 0, 100);
    let xml = support::page_xml(1, 100, 1000, 0, 100);
    assert_eq!(decode_json(&json).unwrap().task_set.len(), 100);
    assert_eq!(decode_xml(&xml).unwrap().task_set.len(), 100);

    // The same pages with one escaped character in the last task: the fast path reads almost
    // the whole page before it steps aside, so these time the worst case, fast path plus the
    // general decoder (serde_json, quick-xml).
    let json_escaped = with_last(
        &json,
        b"\"TaskGroupId\":\"tg-",
        b"\"TaskGroupId\":\"tg\\u002d",
    );
    let xml_escaped = with_last(&xml, b"<TaskGroupId>tg-", b"<TaskGroupId>tg&#45;");
    let reference = decode_json(&json).unwrap();
    assert_eq!(decode_json(&json_escaped).unwrap(), reference);
    assert_eq!(decode_xml(&xml_escaped).unwrap(), decode_xml(&xml).unwrap());

    let mut group = c.benchmark_group("decode_100_tasks");
    group.throughput(Throughput::Bytes(json.len() as u64));
    group.bench_function("json/typed_model", |b| {
        b.iter(|| decode_json(black_box(&json)).unwrap())
    });
    group.bench_function("json/baseline_serde_value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&json)).unwrap())
    });
    group.bench_function("json/floor_serde_borrowed_no_alloc", |b| {
        let text = std::str::from_utf8(&json).unwrap();
        b.iter(|| {
            serde_json::from_str::<FloorPage>(black_box(text))
                .unwrap()
                .task_set
                .task
                .len()
        })
    });
    group.bench_function("json/fallback_after_last_task", |b| {
        b.iter(|| decode_json(black_box(&json_escaped)).unwrap())
    });
    group.throughput(Throughput::Bytes(xml.len() as u64));
    group.bench_function("xml/typed_model", |b| {
        b.iter(|| decode_xml(black_box(&xml)).unwrap())
    });
    group.bench_function("xml/fallback_after_last_task", |b| {
        b.iter(|| decode_xml(black_box(&xml_escaped)).unwrap())
    });
    group.bench_function("xml/baseline_event_scan", |b| {
        b.iter(|| {
            let mut reader = quick_xml::Reader::from_reader(black_box(xml.as_slice()));
            let mut events = 0usize;
            loop {
                match reader.read_event().unwrap() {
                    quick_xml::events::Event::Eof => break,
                    _ => events += 1,
                }
            }
            events
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
