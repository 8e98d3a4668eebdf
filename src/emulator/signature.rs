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

/// The emulator's own check of Signature V3 (`ACS3-HMAC-SHA256`), from the published algorithm:
///
/// 1. canonical query: every query parameter, name and value RFC 3986-encoded, sorted by
///    encoded name, `name=value` joined with `&`;
/// 2. canonical headers: each name listed in `SignedHeaders` (lower case, sorted), as
///    `name:value\n` with the trimmed value (several values sorted and joined with `,`);
/// 3. canonical request: method, path, canonical query, canonical headers, signed headers and
///    the payload hash, joined with `\n`;
/// 4. string to sign: `ACS3-HMAC-SHA256\n` + hex(SHA-256(canonical request));
/// 5. signature: hex(HMAC-SHA256(secret, string to sign)).
pub(crate) mod v3 {
    use std::collections::BTreeMap;

    use hmac::{Hmac, Mac};
    use sha2::{Digest, Sha256};

    use super::{constant_time_eq, percent_encode};

    /// The parts of an `Authorization: ACS3-HMAC-SHA256 ...` header.
    #[derive(Debug, PartialEq, Eq)]
    pub(crate) struct Authorization {
        pub(crate) credential: String,
        pub(crate) signed_headers: Vec<String>,
        pub(crate) signature: String,
    }

    /// Parses the header; `None` when it is not a well-formed V3 authorization.
    pub(crate) fn parse_authorization(value: &str) -> Option<Authorization> {
        let rest = value.trim().strip_prefix("ACS3-HMAC-SHA256")?;
        if !rest.starts_with(' ') {
            return None;
        }
        let (mut credential, mut signed, mut signature) = (None, None, None);
        for part in rest.split(',') {
            let (name, value) = part.trim().split_once('=')?;
            match name.trim() {
                "Credential" => credential = Some(value.trim().to_owned()),
                "SignedHeaders" => {
                    signed = Some(
                        value
                            .split(';')
                            .map(|h| h.trim().to_ascii_lowercase())
                            .filter(|h| !h.is_empty())
                            .collect::<Vec<_>>(),
                    )
                }
                "Signature" => signature = Some(value.trim().to_owned()),
                _ => return None,
            }
        }
        Some(Authorization {
            credential: credential?,
            signed_headers: signed?,
            signature: signature?,
        })
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Lower-case hex SHA-256.
    pub(crate) fn sha256_hex(data: &[u8]) -> String {
        hex(&Sha256::digest(data))
    }

    /// The canonical request for the listed signed headers.
    pub(crate) fn canonical_request(
        method: &str,
        path: &str,
        query: &BTreeMap<String, String>,
        headers: &[(String, String)],
        signed_headers: &[String],
        payload_hash: &str,
    ) -> String {
        let mut pairs: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (percent_encode(k), percent_encode(v)))
            .collect();
        pairs.sort();
        let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let mut canonical_headers = String::new();
        for name in signed_headers {
            let mut values: Vec<&str> = headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim())
                .collect();
            values.sort_unstable();
            canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
        }
        format!(
            "{method}\n{}\n{}\n{canonical_headers}\n{}\n{payload_hash}",
            if path.is_empty() { "/" } else { path },
            query.join("&"),
            signed_headers.join(";")
        )
    }

    /// Checks a V3 signature; on mismatch returns the canonical request the emulator used.
    pub(crate) fn verify(
        canonical_request: &str,
        secret: &str,
        provided: &str,
    ) -> Result<(), String> {
        let to_sign = format!(
            "ACS3-HMAC-SHA256\n{}",
            sha256_hex(canonical_request.as_bytes())
        );
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
            return Err(canonical_request.to_owned());
        };
        mac.update(to_sign.as_bytes());
        let expected = hex(&mac.finalize().into_bytes());
        if constant_time_eq(expected.as_bytes(), provided.as_bytes()) {
            Ok(())
        } else {
            Err(canonical_request.to_owned())
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn published_vector_through_the_emulator_check() {
            // aliyun/darabonba-openapi golang/utils/client_test.go, Test_GetAuthorization.
            let query: BTreeMap<String, String> = [("test", "ok"), ("empty", "")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            let headers = vec![
                ("x-acs-test".to_owned(), "http".to_owned()),
                ("x-acs-TEST".to_owned(), "https".to_owned()),
            ];
            let request = canonical_request(
                "",
                "",
                &query,
                &headers,
                &["x-acs-test".to_owned()],
                "55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23",
            );
            assert_eq!(
                verify(
                    &request,
                    "secret",
                    "4ab59fffe3c5738ff8a2729f90cc04fe18b02a4b15b2102cbaf92f9ff3df2ea3"
                ),
                Ok(())
            );
            assert!(verify(&request, "other", "4ab5").is_err());
        }

        #[test]
        fn authorization_parsing() {
            let a = parse_authorization(
                "ACS3-HMAC-SHA256 Credential=id,SignedHeaders=host;x-acs-date,Signature=ab",
            )
            .unwrap();
            assert_eq!(a.credential, "id");
            assert_eq!(a.signed_headers, ["host", "x-acs-date"]);
            assert_eq!(a.signature, "ab");
            assert!(parse_authorization("ACS3-HMAC-SHA256Credential=x").is_none());
            assert!(parse_authorization("ACS3-HMAC-SHA256 Credential=x").is_none());
            assert!(parse_authorization("Bearer x").is_none());
        }
    }
}

pub(crate) use v3::sha256_hex;
