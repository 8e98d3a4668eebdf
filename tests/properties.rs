//! Properties over generated input: decoders never panic on arbitrary bytes, percent-encoding
//! round-trips, and a signature does not depend on parameter order.

use aliyun_ecs_tasks::decode::{decode_error_envelope, decode_json, decode_response, decode_xml};
use aliyun_ecs_tasks::signer;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decoders_never_panic_on_arbitrary_bytes(body in proptest::collection::vec(any::<u8>(), 0..512), status in 100u16..600) {
        let _ = decode_json(&body);
        let _ = decode_xml(&body);
        let _ = decode_error_envelope(status, &body);
        let _ = decode_response(status, &body, None);
    }

    #[test]
    fn decoders_never_panic_on_mangled_real_bodies(cut in 0usize..2000, flip in 0usize..2000, byte in any::<u8>()) {
        for fixture in ["reference_example.json", "reference_example.xml", "service_object.json", "single_task.xml", "error_missing_parameter.xml"] {
            let mut body = std::fs::read(format!("{}/tests/data/{fixture}", env!("CARGO_MANIFEST_DIR"))).unwrap();
            if !body.is_empty() {
                let i = flip % body.len();
                body[i] = byte;
                body.truncate(cut % (body.len() + 1));
            }
            let _ = decode_response(200, &body, None);
            let _ = decode_response(400, &body, Some("R"));
        }
    }

    #[test]
    fn percent_encoding_round_trips_and_uses_only_unreserved_bytes(input in any::<String>()) {
        let encoded = signer::percent_encode(&input);
        prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b)));
        let decoded = percent_encoding::percent_decode_str(&encoded).decode_utf8().unwrap();
        prop_assert_eq!(decoded, input);
    }

    #[test]
    fn signature_does_not_depend_on_parameter_order(
        params in proptest::collection::btree_map("[A-Za-z][A-Za-z0-9.]{0,12}", any::<String>(), 1..12),
        seed in any::<u64>(),
        secret in "[ -~]{1,40}",
    ) {
        let sorted: Vec<(String, String)> = params.into_iter().collect();
        let mut shuffled = sorted.clone();
        let mut rng = seed;
        for i in (1..shuffled.len()).rev() {
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (rng >> 33) as usize % (i + 1));
        }
        prop_assert_eq!(signer::sign("POST", &sorted, &secret), signer::sign("POST", &shuffled, &secret));
        prop_assert_eq!(signer::canonical_query(&sorted), signer::canonical_query(&shuffled));
    }

    #[test]
    fn request_builder_never_panics_on_any_input(region in any::<String>(), ids in proptest::collection::vec(any::<String>(), 0..3), size in any::<u32>(), page in any::<u32>()) {
        let _ = aliyun_ecs_tasks::DescribeTasksRequest::builder()
            .region_id(region)
            .task_ids(ids)
            .page_size(size)
            .page_number(page)
            .build()
            .map(|r| r.to_params());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// `sign_rpc` places the common parameters by merging; it must sign exactly what sorting
    /// the whole list would, whatever names the operation adds (before, between or after the
    /// common ones, repeated, or needing encoding).
    #[test]
    fn sign_rpc_signs_what_sorting_every_parameter_would(
        params in proptest::collection::vec(
            (
                prop_oneof![
                    Just("Action".to_owned()),
                    Just("AAA".to_owned()),
                    Just("Signature".to_owned()),
                    Just("SignatureNonce".to_owned()),
                    Just("Zone".to_owned()),
                    Just("a b".to_owned()),
                    "[A-Za-z][A-Za-z0-9._~ -]{0,12}",
                ],
                "[ -~]{0,12}",
            ),
            0..10,
        ),
        token in proptest::option::of("[A-Za-z0-9]{1,20}"),
        post in any::<bool>(),
    ) {
        let method = if post { "POST" } else { "GET" };
        let common = signer::CommonParams {
            action: "DescribeTasks",
            version: "2014-05-26",
            format: "JSON",
            access_key_id: "id",
            security_token: token.as_deref(),
            timestamp: "2024-05-31T12:00:00Z",
            nonce: "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        };
        let own: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut every = vec![
            ("Action", "DescribeTasks"),
            ("Version", "2014-05-26"),
            ("Format", "JSON"),
            ("AccessKeyId", "id"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("Timestamp", "2024-05-31T12:00:00Z"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
        ];
        if let Some(token) = token.as_deref() {
            every.push(("SecurityToken", token));
        }
        every.extend(own.iter().copied());
        let merged = signer::sign_rpc(method, &common, &own, "secret");
        let sorted = signer::sign_query(method, &every, "secret");
        prop_assert_eq!(merged.string_to_sign, sorted.string_to_sign);
        prop_assert_eq!(merged.query, sorted.query);
    }
}
