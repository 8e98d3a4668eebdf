//! The XML decoder must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let _ = aliyun_ecs_tasks::decode::decode_xml(body);
});
