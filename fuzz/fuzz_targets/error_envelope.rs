//! The error-envelope parser (JSON and XML) must never panic, whatever the status.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u16, &[u8])| {
    let (status, body) = input;
    let _ = aliyun_ecs_tasks::decode::decode_error_envelope(status, body);
    let _ = aliyun_ecs_tasks::decode::decode_response(status, body, Some("fuzz"));
});
