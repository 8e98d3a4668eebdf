//! RPC signature version 1 (HMAC-SHA1), as pure functions.
//!
//! The steps, as the service defines them:
//!
//! 1. percent-encode every parameter name and value per RFC 3986: `A-Z a-z 0-9 - _ . ~` are kept,
//!    every other byte of the UTF-8 form becomes `%XX` in upper case (space is `%20`, `*` is
//!    `%2A`, `~` stays);
//! 2. sort the pairs by encoded name, byte-wise, and join them as `name=value` with `&` (the
//!    *canonicalized query*);
//! 3. `StringToSign = METHOD & %2F & encode(canonicalized query)`;
//! 4. `Signature = base64(HMAC-SHA1(key = secret + "&", StringToSign))`.
//!
//! Nothing here reads the clock or draws a nonce: the caller passes every parameter in, which
//! keeps these functions testable against fixed vectors and usable for any RPC action.
//!
//! ```
//! use aliyun_ecs_tasks::signer;
//!
//! let params = [
//!     ("AccessKeyId", "testid"),
//!     ("Action", "DescribeRegions"),
//!     ("Format", "XML"),
//!     ("SignatureMethod", "HMAC-SHA1"),
//!     ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
//!     ("SignatureVersion", "1.0"),
//!     ("Timestamp", "2016-02-23T12:46:24Z"),
//!     ("Version", "2014-05-26"),
//! ];
//! assert_eq!(signer::sign("GET", &params, "testsecret"), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
//! ```

use std::fmt::Write as _;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Which bytes RFC 3986 leaves unencoded: `A-Z a-z 0-9 - _ . ~`, as a lookup table.
const UNRESERVED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        table[b] = byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~');
        b += 1;
    }
    table
};

/// Whether RFC 3986 leaves `byte` unencoded.
#[inline]
fn is_unreserved(byte: u8) -> bool {
    UNRESERVED[usize::from(byte)]
}

/// Upper-case hex digits.
const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Walks `input` for percent-encoding: calls `run` with each maximal run of unreserved bytes
/// (copied as they are) and `escape` with the two hex digits of every other byte. A run always
/// starts and ends on a character boundary: it holds ASCII only, and an escaped byte ends it.
#[inline]
fn for_each_encoded<S>(
    sink: &mut S,
    input: &str,
    run: impl Fn(&mut S, &str),
    escape: impl Fn(&mut S, char, char),
) {
    let bytes = input.as_bytes();
    let mut run_start = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        if is_unreserved(byte) {
            continue;
        }
        if run_start < i {
            run(sink, &input[run_start..i]);
        }
        escape(
            sink,
            char::from(HEX[usize::from(byte >> 4)]),
            char::from(HEX[usize::from(byte & 0x0f)]),
        );
        run_start = i + 1;
    }
    if run_start < bytes.len() {
        run(sink, &input[run_start..]);
    }
}

/// Percent-encodes `input` per RFC 3986 (upper-case hex), appending to `out`.
pub fn percent_encode_into(out: &mut String, input: &str) {
    out.reserve(input.len());
    for_each_encoded(
        out,
        input,
        |out, run| out.push_str(run),
        |out, hi, lo| {
            out.push('%');
            out.push(hi);
            out.push(lo);
        },
    );
}

/// Percent-encodes `input`, borrowing it when nothing needs encoding (parameter names
/// usually).
fn encode_cow(input: &str) -> std::borrow::Cow<'_, str> {
    if input.bytes().all(is_unreserved) {
        std::borrow::Cow::Borrowed(input)
    } else {
        std::borrow::Cow::Owned(percent_encode(input))
    }
}

/// Percent-encodes `input` per RFC 3986 (upper-case hex).
pub fn percent_encode(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + input.len() / 2);
    percent_encode_into(&mut out, input);
    out
}

/// A name/value pair to sign, the name already encoded.
type Pair<'a> = (std::borrow::Cow<'a, str>, &'a str);

/// Adds `params` to `pairs` with encoded names, leaving out `Signature`.
fn push_pairs<'a, K, V>(pairs: &mut Vec<Pair<'a>>, params: &'a [(K, V)])
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    pairs.extend(
        params
            .iter()
            .filter(|(k, _)| k.as_ref() != "Signature")
            .map(|(k, v)| (encode_cow(k.as_ref()), v.as_ref())),
    );
}

/// Sorts pairs by encoded name, byte-wise (then by value, for repeated names).
fn sort_pairs(pairs: &mut [Pair<'_>]) {
    pairs.sort_unstable_by(pair_order);
}

/// The order of signed pairs: by encoded name, byte-wise, then by value.
#[inline]
fn pair_order(a: &Pair<'_>, b: &Pair<'_>) -> std::cmp::Ordering {
    cmp_bytes(a.0.as_bytes(), b.0.as_bytes())
        .then_with(|| cmp_bytes(a.1.as_bytes(), b.1.as_bytes()))
}

/// Byte-wise comparison, inlined: parameter names are short and usually differ in their first
/// bytes, where a call to `memcmp` costs more than the comparison.
#[inline]
fn cmp_bytes(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    for (x, y) in a.iter().zip(b) {
        if x != y {
            return x.cmp(y);
        }
    }
    a.len().cmp(&b.len())
}

/// The pairs to sign, with encoded names, sorted by encoded name (then value); `Signature`
/// left out.
fn sorted_pairs<K, V>(params: &[(K, V)]) -> Vec<Pair<'_>>
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut pairs = Vec::with_capacity(params.len());
    push_pairs(&mut pairs, params);
    sort_pairs(&mut pairs);
    pairs
}

/// Builds the canonicalized query: encoded pairs sorted by encoded name, joined with `&`.
///
/// Pairs may come in any order; a pair named `Signature` is left out.
pub fn canonical_query<K, V>(params: &[(K, V)]) -> String
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    let encoded = sorted_pairs(params);
    let len: usize = encoded.iter().map(|(k, v)| k.len() + v.len() * 3 + 2).sum();
    let mut out = String::with_capacity(len + 64);
    for (i, (k, v)) in encoded.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        percent_encode_into(&mut out, v);
    }
    out
}

/// Appends `encode(input)` to `once` and `encode(encode(input))` to `twice` in one pass (the
/// second encoding only turns each `%` of the first into `%25`).
fn encode_once_and_twice(once: &mut String, twice: &mut String, input: &str) {
    for_each_encoded(
        &mut (once, twice),
        input,
        |(once, twice), run| {
            once.push_str(run);
            twice.push_str(run);
        },
        |(once, twice), hi, lo| {
            once.push('%');
            once.push(hi);
            once.push(lo);
            twice.push_str("%25");
            twice.push(hi);
            twice.push(lo);
        },
    );
}

/// The string to sign for an already canonicalized query.
pub fn string_to_sign_for_query(method: &str, canonical_query: &str) -> String {
    let mut out = String::with_capacity(method.len() + 6 + canonical_query.len() * 5 / 4);
    out.push_str(method);
    out.push_str("&%2F&");
    percent_encode_into(&mut out, canonical_query);
    out
}

/// The string to sign: `METHOD & %2F & encode(canonicalized query)`.
pub fn string_to_sign<K, V>(method: &str, params: &[(K, V)]) -> String
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    string_to_sign_for_query(method, &canonical_query(params))
}

/// HMAC-SHA1 over `string_to_sign` with key `secret + "&"`, base64-encoded.
pub fn sign_string(string_to_sign: &str, secret: &str) -> String {
    let mut signature = [0u8; SIGNATURE_LEN];
    signature_into(string_to_sign, secret, &mut signature).to_owned()
}

/// The length of a signature: an HMAC-SHA1 digest (20 bytes) in base64.
const SIGNATURE_LEN: usize = 28;

/// Computes the signature into `out` (no heap allocation) and returns it.
fn signature_into<'o>(
    string_to_sign: &str,
    secret: &str,
    out: &'o mut [u8; SIGNATURE_LEN],
) -> &'o str {
    // A 64-byte stack buffer covers every real secret (they are 30 characters); longer ones are
    // still handled, through a heap key.
    let mut mac = if secret.len() < 64 {
        let mut key = [0u8; 64];
        key[..secret.len()].copy_from_slice(secret.as_bytes());
        key[secret.len()] = b'&';
        <Hmac<Sha1> as Mac>::new_from_slice(&key[..=secret.len()])
    } else {
        let mut key = Vec::with_capacity(secret.len() + 1);
        key.extend_from_slice(secret.as_bytes());
        key.push(b'&');
        <Hmac<Sha1> as Mac>::new_from_slice(&key)
    }
    .expect("HMAC accepts keys of any length");
    mac.update(string_to_sign.as_bytes());
    let written = base64::engine::general_purpose::STANDARD
        .encode_slice(mac.finalize().into_bytes(), out)
        .unwrap_or(0);
    // Base64 is ASCII, so the text is always valid.
    std::str::from_utf8(&out[..written]).unwrap_or_default()
}

/// Signs `params` for `method` (`GET` or `POST`) with `secret`: the value for the `Signature`
/// parameter.
pub fn sign<K, V>(method: &str, params: &[(K, V)], secret: &str) -> String
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    sign_string(&string_to_sign(method, params), secret)
}

/// A signed query: the canonicalized query with `&Signature=...` appended, ready to follow `?`.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedQuery {
    /// The full query string, `Signature` included.
    pub query: String,
    /// The string that was signed, kept for diagnosing `SignatureDoesNotMatch`.
    pub string_to_sign: String,
}

impl std::fmt::Debug for SignedQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The signature is a credential for the lifetime of the nonce: keep it out of logs.
        f.debug_struct("SignedQuery")
            .field("string_to_sign", &self.string_to_sign)
            .field("query", &"** redacted **")
            .finish()
    }
}

/// Canonicalizes, signs and returns the query string to send, with the signature appended.
pub fn sign_query<K, V>(method: &str, params: &[(K, V)], secret: &str) -> SignedQuery
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    sign_sorted(method, &sorted_pairs(params), secret)
}

/// Signs pairs already sorted by [`sort_pairs`].
fn sign_sorted(method: &str, encoded: &[Pair<'_>], secret: &str) -> SignedQuery {
    // The canonical query and the string to sign are built together, in one pass over the
    // values, rather than encoding the finished query a second time.
    let len: usize = encoded.iter().map(|(k, v)| k.len() + v.len() * 2 + 2).sum();
    let mut query = String::with_capacity(len + 48);
    let mut string_to_sign = String::with_capacity(method.len() + len * 5 / 4 + 16);
    string_to_sign.push_str(method);
    string_to_sign.push_str("&%2F&");
    for (i, (k, v)) in encoded.iter().enumerate() {
        if i > 0 {
            query.push('&');
            string_to_sign.push_str("%26");
        }
        // Names are encoded already; the string to sign encodes them once more.
        query.push_str(k);
        percent_encode_into(&mut string_to_sign, k);
        query.push('=');
        string_to_sign.push_str("%3D");
        encode_once_and_twice(&mut query, &mut string_to_sign, v);
    }
    let mut signature = [0u8; SIGNATURE_LEN];
    query.push_str("&Signature=");
    percent_encode_into(
        &mut query,
        signature_into(&string_to_sign, secret, &mut signature),
    );
    SignedQuery {
        query,
        string_to_sign,
    }
}

/// The common parameters of an RPC call (signature v1), added to the operation's own.
#[derive(Clone, Copy)]
pub struct CommonParams<'a> {
    /// `Action`, e.g. `DescribeTasks`.
    pub action: &'a str,
    /// `Version`, e.g. `2014-05-26`.
    pub version: &'a str,
    /// `Format`: `JSON` or `XML`.
    pub format: &'a str,
    /// `AccessKeyId`.
    pub access_key_id: &'a str,
    /// `SecurityToken`, for STS credentials.
    pub security_token: Option<&'a str>,
    /// `Timestamp`, `yyyy-MM-ddTHH:mm:ssZ` (see [`format_timestamp`]).
    pub timestamp: &'a str,
    /// `SignatureNonce`: unique per request (a random UUID).
    pub nonce: &'a str,
}

impl std::fmt::Debug for CommonParams<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommonParams")
            .field("action", &self.action)
            .field("version", &self.version)
            .field("format", &self.format)
            .field("access_key_id", &self.access_key_id)
            .field(
                "security_token",
                &self.security_token.map(|_| "** redacted **"),
            )
            .field("timestamp", &self.timestamp)
            .field("nonce", &self.nonce)
            .finish()
    }
}

/// Signs an RPC call: the common parameters (with `SignatureMethod=HMAC-SHA1` and
/// `SignatureVersion=1.0`) plus the operation's `params`, for `method`. Pure: the caller passes
/// the timestamp and nonce, fresh for every attempt.
pub fn sign_rpc(
    method: &str,
    common: &CommonParams<'_>,
    params: &[(&str, &str)],
    secret: &str,
) -> SignedQuery {
    // The common pairs are listed in sorted order already (their names need no encoding), so
    // only the operation's own pairs are sorted; the common ones are then put in place.
    let token = common
        .security_token
        .map(|token| (std::borrow::Cow::Borrowed("SecurityToken"), token));
    let sorted_common = [
        Some((
            std::borrow::Cow::Borrowed("AccessKeyId"),
            common.access_key_id,
        )),
        Some((std::borrow::Cow::Borrowed("Action"), common.action)),
        Some((std::borrow::Cow::Borrowed("Format"), common.format)),
        token,
        Some((std::borrow::Cow::Borrowed("SignatureMethod"), "HMAC-SHA1")),
        Some((std::borrow::Cow::Borrowed("SignatureNonce"), common.nonce)),
        Some((std::borrow::Cow::Borrowed("SignatureVersion"), "1.0")),
        Some((std::borrow::Cow::Borrowed("Timestamp"), common.timestamp)),
        Some((std::borrow::Cow::Borrowed("Version"), common.version)),
    ];
    let mut common: [Pair<'_>; 9] = Default::default();
    let mut m = 0;
    for pair in sorted_common.into_iter().flatten() {
        common[m] = pair;
        m += 1;
    }
    let mut pairs: Vec<Pair<'_>> = Vec::with_capacity(params.len() + m);
    push_pairs(&mut pairs, params);
    sort_pairs(&mut pairs);
    // Merge from the back, in place: the vector has room for the common pairs, so nothing is
    // allocated again. `i` and `j` count the pairs of each list not placed yet.
    let n = pairs.len();
    pairs.resize(n + m, Pair::default());
    let (mut i, mut j) = (n, m);
    while j > 0 {
        let k = i + j - 1;
        if i > 0 && pair_order(&pairs[i - 1], &common[j - 1]).is_gt() {
            pairs.swap(k, i - 1);
            i -= 1;
        } else {
            pairs[k] = std::mem::take(&mut common[j - 1]);
            j -= 1;
        }
    }
    sign_sorted(method, &pairs, secret)
}

/// Formats a UTC instant as the service wants it: `yyyy-MM-ddTHH:mm:ssZ`, no fraction.
pub fn format_timestamp(time: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::{Datelike, Timelike};
    // The calendar fields of the naive time, read once (each accessor of a zoned time converts
    // it again).
    let time = time.naive_utc();
    let year = time.year();
    if !(0..=9999).contains(&year) {
        // Outside four-digit years, let chrono spell it (never the case for a real clock).
        let mut out = String::with_capacity(24);
        let _ = write!(out, "{}", time.format("%Y-%m-%dT%H:%M:%SZ"));
        return out;
    }
    // Fixed width digits, without a format parser: this runs for every attempt.
    let mut buf = *b"0000-00-00T00:00:00Z";
    let mut put = |at: usize, value: u32, width: usize| {
        let mut v = value;
        for i in (0..width).rev() {
            buf[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, year as u32, 4);
    put(5, time.month(), 2);
    put(8, time.day(), 2);
    put(11, time.hour(), 2);
    put(14, time.minute(), 2);
    put(17, time.second().min(59), 2);
    // Digits and separators only: always valid text.
    std::str::from_utf8(&buf).unwrap_or_default().to_owned()
}

/// A fresh `SignatureNonce`: a random (version 4) UUID, lower-case and hyphenated.
///
/// The bits come from the thread's fast generator (seeded from the operating system), which
/// avoids a system call per request; a nonce needs to be unique, not secret.
pub fn new_nonce() -> String {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&fastrand::u64(..).to_le_bytes());
    bytes[8..].copy_from_slice(&fastrand::u64(..).to_le_bytes());
    let uuid = uuid::Builder::from_random_bytes(bytes).into_uuid();
    let mut buf = uuid::Uuid::encode_buffer();
    uuid.hyphenated().encode_lower(&mut buf).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn published_vector() -> Vec<(&'static str, &'static str)> {
        vec![
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("Format", "XML"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("SignatureVersion", "1.0"),
            ("Timestamp", "2016-02-23T12:46:24Z"),
            ("Version", "2014-05-26"),
        ]
    }

    #[test]
    fn published_get_vector() {
        assert_eq!(
            sign("GET", &published_vector(), "testsecret"),
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
        );
    }

    #[test]
    fn published_post_vector() {
        assert_eq!(
            sign("POST", &published_vector(), "testsecret"),
            "MxbnVAM4w6sft9xjVpe/GCKueuk="
        );
    }

    #[test]
    fn string_to_sign_matches_the_documented_form() {
        let s = string_to_sign("GET", &published_vector());
        assert_eq!(
            s,
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26\
             SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26\
             SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
        );
    }

    #[test]
    fn rfc3986_encoding() {
        assert_eq!(percent_encode("a b"), "a%20b");
        assert_eq!(percent_encode("*"), "%2A");
        assert_eq!(percent_encode("~-_."), "~-_.");
        assert_eq!(percent_encode("a+b/c=d&e"), "a%2Bb%2Fc%3Dd%26e");
        assert_eq!(percent_encode("\u{4e2d}"), "%E4%B8%AD");
        assert_eq!(percent_encode("AZaz09"), "AZaz09");
    }

    #[test]
    fn order_of_parameters_does_not_matter_and_signature_param_is_ignored() {
        let mut params = published_vector();
        params.reverse();
        params.push(("Signature", "whatever"));
        assert_eq!(
            sign("GET", &params, "testsecret"),
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
        );
    }

    #[test]
    fn long_secrets_sign_like_short_ones_would_with_the_same_key() {
        // A 64+ byte secret goes through the heap path; check it against a reference HMAC.
        let secret = "s".repeat(100);
        let sts = string_to_sign("POST", &published_vector());
        let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(format!("{secret}&").as_bytes()).unwrap();
        mac.update(sts.as_bytes());
        let expected =
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        assert_eq!(sign("POST", &published_vector(), &secret), expected);
    }

    #[test]
    fn signed_query_appends_encoded_signature() {
        let q = sign_query("POST", &published_vector(), "testsecret");
        assert!(
            q.query
                .ends_with("&Signature=MxbnVAM4w6sft9xjVpe%2FGCKueuk%3D"),
            "{}",
            q.query
        );
        assert!(q
            .query
            .starts_with("AccessKeyId=testid&Action=DescribeRegions"));
        assert!(!format!("{q:?}").contains("MxbnVAM4w6sft9xjVpe"));
    }

    #[test]
    fn sign_rpc_adds_the_common_parameters_of_the_published_vector() {
        let common = CommonParams {
            action: "DescribeRegions",
            version: "2014-05-26",
            format: "XML",
            access_key_id: "testid",
            security_token: None,
            timestamp: "2016-02-23T12:46:24Z",
            nonce: "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        };
        let get = sign_rpc("GET", &common, &[], "testsecret");
        assert!(
            get.query
                .ends_with("&Signature=OLeaidS1JvxuMvnyHOwuJ%2BuX5qY%3D"),
            "{}",
            get.query
        );
        let post = sign_rpc("POST", &common, &[], "testsecret");
        assert!(post
            .query
            .ends_with("&Signature=MxbnVAM4w6sft9xjVpe%2FGCKueuk%3D"));
        let with_token = sign_rpc(
            "POST",
            &CommonParams {
                security_token: Some("tok en"),
                ..common
            },
            &[("RegionId", "cn-hangzhou")],
            "testsecret",
        );
        assert!(with_token.query.contains("&SecurityToken=tok%20en&"));
        assert!(with_token.query.contains("RegionId=cn-hangzhou"));
        assert!(!format!(
            "{:?}",
            CommonParams {
                security_token: Some("tok en"),
                ..common
            }
        )
        .contains("tok en"));
    }

    #[test]
    fn one_pass_signing_matches_the_two_step_definition() {
        let params = [
            ("Name With Space", "a b*c~d/e"),
            ("RegionId", "cn-hangzhou"),
            ("Key\u{4e2d}", "\u{6587}%"),
            ("Empty", ""),
        ];
        let signed = sign_query("GET", &params, "s");
        let canonical = canonical_query(&params);
        assert_eq!(
            signed.string_to_sign,
            string_to_sign_for_query("GET", &canonical)
        );
        assert!(signed.query.starts_with(&canonical));
        assert_eq!(
            signed.query,
            format!(
                "{canonical}&Signature={}",
                percent_encode(&sign("GET", &params, "s"))
            )
        );
    }

    #[test]
    fn nonces_are_version_4_uuids_and_unique() {
        let nonces: std::collections::HashSet<String> = (0..10_000).map(|_| new_nonce()).collect();
        assert_eq!(nonces.len(), 10_000);
        for n in nonces.iter().take(100) {
            let u = uuid::Uuid::parse_str(n).unwrap();
            assert_eq!(u.get_version_num(), 4);
            assert_eq!(n, &n.to_lowercase());
            assert_eq!(n.len(), 36);
        }
    }

    #[test]
    fn manual_timestamp_matches_chrono_format() {
        use chrono::TimeZone;
        for (y, mo, d, h, mi, s) in [
            (2016, 2, 23, 12, 46, 24),
            (1, 1, 1, 0, 0, 0),
            (9999, 12, 31, 23, 59, 59),
            (2024, 2, 29, 7, 5, 9),
        ] {
            let t = chrono::Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap();
            assert_eq!(
                format_timestamp(t),
                t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
            );
        }
        let far = chrono::Utc.with_ymd_and_hms(12345, 1, 1, 0, 0, 0).unwrap();
        assert!(
            format_timestamp(far).starts_with("+12345")
                || format_timestamp(far).starts_with("12345")
        );
    }

    #[test]
    fn timestamp_format_has_no_fraction() {
        use chrono::TimeZone;
        let t = chrono::Utc
            .with_ymd_and_hms(2016, 2, 23, 12, 46, 24)
            .unwrap()
            + chrono::Duration::milliseconds(789);
        assert_eq!(format_timestamp(t), "2016-02-23T12:46:24Z");
    }
}
