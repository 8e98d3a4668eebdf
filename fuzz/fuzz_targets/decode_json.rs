//! The JSON decoder and the response dispatcher must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let _ = aliyun_ecs_tasks::decode::decode_json(body);
    let _ = aliyun_ecs_tasks::decode::decode_response(200, body, None);
});
