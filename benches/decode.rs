//! Decoding a realistic 100-task page into the typed model, next to untyped parsing of the same
//! bytes (serde_json into a Value; a bare quick-xml event scan) as baselines.

#[path = "support/mod.rs"]
mod support;

use aliyun_ecs_tasks::decode::{decode_json, decode_xml};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

fn bench(c: &mut Criterion) {
    let json = support::page_json(1, 100, 1000, 0, 100);
    let xml = support::page_xml(1, 100, 1000, 0, 100);
    assert_eq!(decode_json(&json).unwrap().task_set.len(), 100);
    assert_eq!(decode_xml(&xml).unwrap().task_set.len(), 100);

    let mut group = c.benchmark_group("decode_100_tasks");
    group.throughput(Throughput::Bytes(json.len() as u64));
    group.bench_function("json/typed_model", |b| {
        b.iter(|| decode_json(black_box(&json)).unwrap())
    });
    group.bench_function("json/baseline_serde_value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&json)).unwrap())
    });
    group.throughput(Throughput::Bytes(xml.len() as u64));
    group.bench_function("xml/typed_model", |b| {
        b.iter(|| decode_xml(black_box(&xml)).unwrap())
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
