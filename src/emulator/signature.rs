//! The emulator's own check of RPC signatures (version 1.0, HMAC-SHA1), written from the published
//! specification and deliberately independent of the client's signer, so that a signer bug cannot
//! hide behind a round trip.
//!
//! The specification:
//!
//! 1. take every request parameter except `Signature`;
//! 2. percent-encode names and values per RFC 3986: `A-Z a-z 0-9 - _ . ~` stay, every other byte
//!    of the UTF-8 form becomes `%XX` in upper case (a space is `%20`, `*` is `%2A`);
//! 3. sort the pairs by encoded name, byte-wise, and join them as `name=value` with `&`;
//! 4. `StringToSign = HTTPMethod + "&" + encode("/") + "&" + encode(canonicalized query)`;
//! 5. the signature is the base64 of HMAC-SHA1 over StringToSign, keyed by `secret + "&"`.

use std::collections::BTreeMap;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use sha1::Sha1;

/// Everything but the RFC 3986 unreserved characters is encoded.
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes per RFC 3986 with upper-case hex digits.
pub(crate) fn percent_encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, RFC3986).to_string()
}

/// The canonicalized query: every parameter but `Signature`, encoded, sorted by encoded name.
pub(crate) fn canonical_query(params: &BTreeMap<String, String>) -> String {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(name, _)| name.as_str() != "Signature")
        .map(|(name, value)| (percent_encode(name), percent_encode(value)))
        .collect();
    pairs.sort_unstable();
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// The string to sign for a request made with `method`.
pub(crate) fn string_to_sign(method: &str, params: &BTreeMap<String, String>) -> String {
    format!(
        "{method}&{}&{}",
        percent_encode("/"),
        percent_encode(&canonical_query(params))
    )
}

/// The base64 HMAC-SHA1 of `string_to_sign` keyed by `secret + "&"`.
pub(crate) fn sign(string_to_sign: &str, secret: &str) -> String {
    let key = format!("{secret}&");
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(key.as_bytes()) else {
        // HMAC accepts keys of any length; this branch is unreachable in practice.
        return String::new();
    };
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Checks `provided` against the signature of the request; on mismatch, returns the string to sign
/// the emulator used (the service quotes it in its error message).
pub(crate) fn verify(
    method: &str,
    params: &BTreeMap<String, String>,
    secret: &str,
    provided: &str,
) -> Result<(), String> {
    let to_sign = string_to_sign(method, params);
    let expected = sign(&to_sign, secret);
    if constant_time_eq(expected.as_bytes(), provided.as_bytes()) {
        Ok(())
    } else {
        Err(to_sign)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector_params() -> BTreeMap<String, String> {
        [
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("Format", "XML"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("SignatureVersion", "1.0"),
            ("Timestamp", "2016-02-23T12:46:24Z"),
            ("Version", "2014-05-26"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    #[test]
    fn published_get_vector() {
        let params = vector_params();
        let to_sign = string_to_sign("GET", &params);
        assert_eq!(
            to_sign,
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML\
             %26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf\
             %26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z\
             %26Version%3D2014-05-26"
        );
        assert_eq!(sign(&to_sign, "testsecret"), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
    }

    #[test]
    fn published_post_vector() {
        let params = vector_params();
        let to_sign = string_to_sign("POST", &params);
        assert_eq!(sign(&to_sign, "testsecret"), "MxbnVAM4w6sft9xjVpe/GCKueuk=");
    }

    #[test]
    fn signature_parameter_is_excluded_and_verify_reports_string_to_sign() {
        let mut params = vector_params();
        params.insert("Signature".into(), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=".into());
        assert_eq!(
            verify("GET", &params, "testsecret", "OLeaidS1JvxuMvnyHOwuJ+uX5qY="),
            Ok(())
        );
        let err = verify("GET", &params, "wrong", "OLeaidS1JvxuMvnyHOwuJ+uX5qY=").unwrap_err();
        assert!(err.starts_with("GET&%2F&AccessKeyId%3Dtestid"), "{err}");
        assert!(!err.contains("Signature%3D"), "{err}");
        assert!(verify("GET", &params, "testsecret", "").is_err());
    }

    #[test]
    fn encoding_follows_rfc3986() {
        assert_eq!(percent_encode("a b"), "a%20b");
        assert_eq!(percent_encode("*"), "%2A");
        assert_eq!(percent_encode("~-_."), "~-_.");
        assert_eq!(percent_encode("+/=:&"), "%2B%2F%3D%3A%26");
        assert_eq!(percent_encode("\u{4e2d}"), "%E4%B8%AD");
        assert_eq!(percent_encode("\u{e9}"), "%C3%A9");
    }

    #[test]
    fn sorting_is_by_encoded_name_bytewise() {
        let params: BTreeMap<String, String> = [("b", "1"), ("B", "2"), ("a b", "3"), ("a_b", "4")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        // "%" (0x25) < "B" (0x42) < "_" (0x5F) < "b" (0x62)
        assert_eq!(canonical_query(&params), "B=2&a%20b=3&a_b=4&b=1");
    }
}
