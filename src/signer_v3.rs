//! Signature V3 (`ACS3-HMAC-SHA256`), as pure functions.
//!
//! The steps, as the service documents them:
//!
//! 1. the *canonical query*: every query parameter, name and value percent-encoded per RFC 3986
//!    (as in [`crate::signer::percent_encode`]), sorted by encoded name, joined as `name=value`
//!    with `&` (an empty value gives `name=`);
//! 2. the *canonical headers*: `host`, `content-type` and every `x-acs-*` header, names in lower
//!    case, values trimmed, sorted by name; a name given more than once lists its sorted values
//!    joined with `,`; each line is `name:value\n`. *Signed headers* are those names joined with
//!    `;`;
//! 3. `CanonicalRequest = METHOD \n PATH \n canonical query \n canonical headers \n signed
//!    headers \n hex(sha256(body))` (an empty path is `/`);
//! 4. `StringToSign = "ACS3-HMAC-SHA256\n" + hex(sha256(CanonicalRequest))`;
//! 5. `Signature = hex(HMAC-SHA256(secret, StringToSign))`, sent as
//!    `Authorization: ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<names>,Signature=<hex>`.
//!
//! Nothing here reads the clock or draws a nonce.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::signer::percent_encode_into;

/// The algorithm name, first word of the `Authorization` header.
pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// `hex(sha256(""))`, the payload hash of an empty body.
pub const EMPTY_BODY_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Lower-case hex of `bytes`.
pub fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Lower-case hex of the SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex_lower(&Sha256::digest(data))
}

/// The canonical query string (step 1).
pub fn canonical_query(query: &[(&str, &str)]) -> String {
    let mut encoded: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| {
            let mut name = String::new();
            percent_encode_into(&mut name, k);
            let mut value = String::new();
            percent_encode_into(&mut value, v);
            (name, value)
        })
        .collect();
    encoded.sort();
    let parts: Vec<String> = encoded
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    parts.join("&")
}

/// Whether a header takes part in the signature: `host`, `content-type` or `x-acs-*`.
fn is_signed_header(lower_name: &str) -> bool {
    lower_name == "host" || lower_name == "content-type" || lower_name.starts_with("x-acs-")
}

/// The canonical headers and the signed header names (step 2).
pub fn canonical_headers(headers: &[(&str, &str)]) -> (String, String) {
    let mut grouped: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        if is_signed_header(&lower) {
            grouped
                .entry(lower)
                .or_default()
                .push(value.trim().to_owned());
        }
    }
    let mut canonical = String::new();
    let mut names = Vec::with_capacity(grouped.len());
    for (name, mut values) in grouped {
        values.sort();
        canonical.push_str(&name);
        canonical.push(':');
        canonical.push_str(&values.join(","));
        canonical.push('\n');
        names.push(name);
    }
    (canonical, names.join(";"))
}

/// Everything a V3 signature covers.
#[derive(Debug, Clone, Copy)]
pub struct V3Input<'a> {
    /// The HTTP method, e.g. `POST`.
    pub method: &'a str,
    /// The path, e.g. `/` (empty means `/`).
    pub path: &'a str,
    /// The query parameters, in any order.
    pub query: &'a [(&'a str, &'a str)],
    /// The request headers; only `host`, `content-type` and `x-acs-*` are signed.
    pub headers: &'a [(&'a str, &'a str)],
    /// `hex(sha256(body))`, as sent in `x-acs-content-sha256`.
    pub payload_hash: &'a str,
}

/// The canonical request (step 3) and the signed header names.
pub fn canonical_request(input: &V3Input<'_>) -> (String, String) {
    let path = if input.path.is_empty() {
        "/"
    } else {
        input.path
    };
    let (headers, signed) = canonical_headers(input.headers);
    let request = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        input.method,
        path,
        canonical_query(input.query),
        headers,
        signed,
        input.payload_hash
    );
    (request, signed)
}

/// The string to sign (step 4) for a canonical request.
pub fn string_to_sign(canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{}", sha256_hex(canonical_request.as_bytes()))
}

/// `hex(HMAC-SHA256(secret, string_to_sign))` (step 5).
pub fn signature(string_to_sign: &str, secret: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(string_to_sign.as_bytes());
    hex_lower(&mac.finalize().into_bytes())
}

/// The `Authorization` header value for `input`.
pub fn authorization(input: &V3Input<'_>, access_key_id: &str, secret: &str) -> String {
    let (request, signed) = canonical_request(input);
    let sig = signature(&string_to_sign(&request), secret);
    format!("{ALGORITHM} Credential={access_key_id},SignedHeaders={signed},Signature={sig}")
}

/// What the client needs to send one V3-signed RPC call.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedV3 {
    /// The canonical query string, to follow `?`.
    pub query: String,
    /// The headers to send, `authorization` included.
    pub headers: Vec<(String, String)>,
    /// The string that was signed, for diagnosis.
    pub string_to_sign: String,
}

impl std::fmt::Debug for SignedV3 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedV3")
            .field("query", &self.query)
            .field("string_to_sign", &self.string_to_sign)
            .field("headers", &"** redacted **")
            .finish()
    }
}

/// The per-request values of a V3 RPC call.
#[derive(Clone, Copy)]
pub struct V3Call<'a> {
    /// The HTTP method, e.g. `POST`.
    pub method: &'a str,
    /// The `host` header (authority of the endpoint).
    pub host: &'a str,
    /// `x-acs-action`, e.g. `DescribeTasks`.
    pub action: &'a str,
    /// `x-acs-version`, e.g. `2014-05-26`.
    pub version: &'a str,
    /// `x-acs-date`, `yyyy-MM-ddTHH:mm:ssZ`.
    pub date: &'a str,
    /// `x-acs-signature-nonce`, unique per request.
    pub nonce: &'a str,
    /// The AccessKey id.
    pub access_key_id: &'a str,
    /// The AccessKey secret.
    pub secret: &'a str,
    /// `x-acs-security-token`, for STS credentials.
    pub security_token: Option<&'a str>,
}

impl std::fmt::Debug for V3Call<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("V3Call")
            .field("method", &self.method)
            .field("host", &self.host)
            .field("action", &self.action)
            .field("version", &self.version)
            .field("date", &self.date)
            .field("nonce", &self.nonce)
            .field("access_key_id", &self.access_key_id)
            .field("secret", &"** redacted **")
            .field(
                "security_token",
                &self.security_token.map(|_| "** redacted **"),
            )
            .finish()
    }
}

/// Signs an RPC call with an empty body: the operation's parameters go in the query, the
/// common ones in `x-acs-*` headers.
pub fn sign_rpc_v3(call: &V3Call<'_>, params: &[(&str, &str)]) -> SignedV3 {
    let mut headers: Vec<(&str, &str)> = vec![
        ("host", call.host),
        ("x-acs-action", call.action),
        ("x-acs-version", call.version),
        ("x-acs-date", call.date),
        ("x-acs-signature-nonce", call.nonce),
        ("x-acs-content-sha256", EMPTY_BODY_SHA256),
    ];
    if let Some(token) = call.security_token {
        headers.push(("x-acs-security-token", token));
    }
    let input = V3Input {
        method: call.method,
        path: "/",
        query: params,
        headers: &headers,
        payload_hash: EMPTY_BODY_SHA256,
    };
    let (request, signed) = canonical_request(&input);
    let to_sign = string_to_sign(&request);
    let sig = signature(&to_sign, call.secret);
    let auth = format!(
        "{ALGORITHM} Credential={},SignedHeaders={signed},Signature={sig}",
        call.access_key_id
    );
    let mut out: Vec<(String, String)> = headers
        .iter()
        .filter(|(n, _)| *n != "host")
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    out.push(("authorization".to_owned(), auth));
    SignedV3 {
        query: canonical_query(params),
        headers: out,
        string_to_sign: to_sign,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The published vector of the official V3 signer's unit tests
    /// (aliyun/darabonba-openapi, `golang/utils/client_test.go`, `Test_GetAuthorization`): no
    /// method, an empty path, query `test=ok` and `empty=`, two spellings of `x-acs-test`.
    #[test]
    fn published_get_authorization_vector() {
        let query = [("test", "ok"), ("empty", "")];
        let headers = [("x-acs-test", "http"), ("x-acs-TEST", "https")];
        let input = V3Input {
            method: "",
            path: "",
            query: &query,
            headers: &headers,
            payload_hash: "55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23",
        };
        assert_eq!(
            authorization(&input, "acesskey", "secret"),
            "ACS3-HMAC-SHA256 Credential=acesskey,SignedHeaders=x-acs-test,\
             Signature=4ab59fffe3c5738ff8a2729f90cc04fe18b02a4b15b2102cbaf92f9ff3df2ea3"
        );
        let (request, signed) = canonical_request(&input);
        assert_eq!(signed, "x-acs-test");
        assert_eq!(
            request,
            "\n/\nempty=&test=ok\nx-acs-test:http,https\n\nx-acs-test\n\
             55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23"
        );
    }

    #[test]
    fn empty_body_hash_and_hex() {
        assert_eq!(sha256_hex(b""), EMPTY_BODY_SHA256);
        assert_eq!(hex_lower(&[0, 0xab, 0x10]), "00ab10");
    }

    #[test]
    fn rpc_call_signs_headers_and_encodes_query() {
        let call = V3Call {
            method: "POST",
            host: "ecs.cn-hangzhou.aliyuncs.com",
            action: "DescribeTasks",
            version: "2014-05-26",
            date: "2024-01-01T00:00:00Z",
            nonce: "n-1",
            access_key_id: "id",
            secret: "TopSecretV3",
            security_token: Some("TokenV3"),
        };
        let signed = sign_rpc_v3(&call, &[("RegionId", "cn-hangzhou"), ("TaskIds", "a,b c")]);
        assert_eq!(signed.query, "RegionId=cn-hangzhou&TaskIds=a%2Cb%20c");
        let auth = &signed.headers.last().unwrap().1;
        assert!(auth.starts_with(
            "ACS3-HMAC-SHA256 Credential=id,SignedHeaders=host;x-acs-action;\
             x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;\
             x-acs-version,Signature="
        ));
        let text = format!("{signed:?} {call:?}");
        assert!(
            !text.contains("TopSecretV3") && !text.contains("TokenV3"),
            "{text}"
        );
    }
}
