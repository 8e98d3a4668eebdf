//! The identity side of the emulator: the ECS metadata service (IMDS) and STS, so that every
//! credentials provider can be tested over HTTP.
//!
//! * IMDS: `PUT /latest/api/token` (needs `X-aliyun-ecs-metadata-token-ttl-seconds`, 1 to
//!   21600) returns a token; `GET /latest/meta-data/ram/security-credentials/` lists the role;
//!   `GET .../security-credentials/<role>` returns `{"Code": "Success", "AccessKeyId", ...}`.
//!   GETs with an unknown token are 401; GETs without a token are 401 when IMDSv1 is disabled
//!   on the emulator. Without a configured role, every IMDS path is 404.
//! * STS: `Action=AssumeRole` must be signed (v1) by an accepted key (an issued STS key needs its
//!   token); `Action=AssumeRoleWithOIDC` is unsigned and needs `OIDCToken`,
//!   `OIDCProviderArn`, `RoleArn`. Both need `RoleArn` and answer
//!   `{"RequestId", "AssumedRoleUser", "Credentials": {...}}`.
//!
//! Every key issued expires after the configured TTL; until then `DescribeTasks` accepts it
//! with its token, and after that it is refused with `InvalidSecurityToken.Expired`.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::params::Params;
use super::signature;
use super::Shared;

/// A key issued by the emulator's IMDS or STS.
#[derive(Clone)]
pub(crate) struct IssuedKey {
    pub(crate) id: String,
    pub(crate) secret: String,
    pub(crate) token: String,
    pub(crate) expires: DateTime<Utc>,
}

impl std::fmt::Debug for IssuedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedKey")
            .field("id", &self.id)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

/// A plain answer.
pub(crate) struct Plain {
    pub(crate) status: u16,
    pub(crate) content_type: &'static str,
    pub(crate) body: Vec<u8>,
}

fn json_answer(status: u16, value: serde_json::Value) -> Plain {
    Plain {
        status,
        content_type: "application/json;charset=utf-8",
        body: value.to_string().into_bytes(),
    }
}

fn text(status: u16, body: &str) -> Plain {
    Plain {
        status,
        content_type: "text/plain",
        body: body.as_bytes().to_vec(),
    }
}

fn sts_error(status: u16, code: &str, message: &str, request_id: &str) -> Plain {
    json_answer(
        status,
        json!({"RequestId": request_id, "HostId": "sts.aliyuncs.com", "Code": code, "Message": message}),
    )
}

fn issue(shared: &Shared, prefix: &str) -> IssuedKey {
    let mut state = shared.lock();
    let now = state.now();
    let n = state.rng.u64(..);
    let ttl =
        chrono::Duration::from_std(shared.config.sts_ttl).unwrap_or(chrono::Duration::hours(1));
    let key = IssuedKey {
        id: format!("{prefix}.{n:016x}"),
        secret: format!("secret-{:016x}", state.rng.u64(..)),
        token: format!("token-{:032x}", state.rng.u128(..)),
        expires: now
            .checked_add_signed(ttl)
            .unwrap_or(DateTime::<Utc>::MAX_UTC),
    };
    state.issued.push(key.clone());
    key
}

fn credentials_json(key: &IssuedKey) -> serde_json::Value {
    json!({
        "AccessKeyId": key.id,
        "AccessKeySecret": key.secret,
        "SecurityToken": key.token,
        "Expiration": key.expires.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    })
}

/// Whether a request is for IMDS.
pub(crate) fn is_imds(path: &str) -> bool {
    path.starts_with("/latest/")
}

/// Whether a request is an STS action.
pub(crate) fn is_sts(params: &Params) -> bool {
    matches!(
        params.get("Action"),
        Some("AssumeRole" | "AssumeRoleWithOIDC")
    )
}

/// Answers an IMDS request.
pub(crate) fn imds(
    shared: &Shared,
    method: &str,
    path: &str,
    headers: &[(String, String)],
) -> Plain {
    shared.lock().imds_requests += 1;
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let Some(role) = shared.config.ecs_ram_role.clone() else {
        return text(404, "Not Found");
    };
    if path == "/latest/api/token" {
        if method != "PUT" {
            return text(405, "Method Not Allowed");
        }
        if shared.config.imds_v2_unavailable {
            return text(403, "Forbidden");
        }
        let ttl = header("x-aliyun-ecs-metadata-token-ttl-seconds")
            .and_then(|v| v.trim().parse::<u32>().ok());
        if !ttl.is_some_and(|t| (1..=21_600).contains(&t)) {
            return text(400, "Bad Request");
        }
        let mut state = shared.lock();
        let token = format!("imds-token-{:016x}", state.rng.u64(..));
        state.imds_tokens.insert(token.clone());
        return text(200, &token);
    }
    if method != "GET" {
        return text(405, "Method Not Allowed");
    }
    let authorized = match header("x-aliyun-ecs-metadata-token") {
        Some(token) => shared.lock().imds_tokens.contains(token),
        None => !shared.config.imds_v1_disabled,
    };
    if !authorized {
        return text(401, "Unauthorized");
    }
    const PREFIX: &str = "/latest/meta-data/ram/security-credentials/";
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return text(404, "Not Found");
    };
    if rest.is_empty() {
        return text(200, &role);
    }
    if rest != role {
        return text(404, "Not Found");
    }
    let key = issue(shared, "STS.imds");
    let mut body = credentials_json(&key);
    body["Code"] = json!("Success");
    body["LastUpdated"] = json!(Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string());
    json_answer(200, body)
}

/// Answers an STS request.
pub(crate) fn sts(shared: &Shared, method: &str, params: &Params, request_id: &str) -> Plain {
    let action = params.get("Action").unwrap_or("");
    {
        let mut recorded = params.map.clone();
        for secret in ["Signature", "SecurityToken", "OIDCToken"] {
            recorded.remove(secret);
        }
        let mut state = shared.lock();
        state.sts_requests += 1;
        state.sts_calls.push(recorded);
    }
    let Some(role_arn) = params.get("RoleArn") else {
        return sts_error(
            400,
            "MissingRoleArn",
            "RoleArn is mandatory for this action.",
            request_id,
        );
    };
    if let Some(d) = params.get("DurationSeconds") {
        if !d.parse::<u64>().is_ok_and(|d| (900..=43_200).contains(&d)) {
            return sts_error(
                400,
                "InvalidParameter.DurationSeconds",
                "The parameter DurationSeconds is out of range.",
                request_id,
            );
        }
    }
    let session = params
        .get("RoleSessionName")
        .unwrap_or("session")
        .to_owned();
    if action == "AssumeRoleWithOIDC" {
        let (Some(token), Some(_provider)) =
            (params.get("OIDCToken"), params.get("OIDCProviderArn"))
        else {
            return sts_error(
                400,
                "MissingParameter",
                "OIDCToken and OIDCProviderArn are mandatory.",
                request_id,
            );
        };
        shared.lock().oidc_tokens.push(token.to_owned());
    } else {
        let (Some(id), Some(signature_value)) =
            (params.get("AccessKeyId"), params.get("Signature"))
        else {
            return sts_error(
                400,
                "MissingParameter",
                "AssumeRole must be signed.",
                request_id,
            );
        };
        let now = shared.now();
        let known = shared
            .config
            .keys
            .iter()
            .find(|k| k.id == id)
            .map(|k| (k.secret.clone(), k.security_token.clone(), None))
            .or_else(|| {
                shared
                    .lock()
                    .issued
                    .iter()
                    .find(|k| k.id == id)
                    .map(|k| (k.secret.clone(), Some(k.token.clone()), Some(k.expires)))
            });
        let Some((secret, token, expires)) = known else {
            return sts_error(
                404,
                "InvalidAccessKeyId.NotFound",
                "Specified access key is not found.",
                request_id,
            );
        };
        if signature::verify(method, &params.map, &secret, signature_value).is_err() {
            return sts_error(
                400,
                "SignatureDoesNotMatch",
                "Specified signature is not matched with our calculation.",
                request_id,
            );
        }
        if expires.is_some_and(|e| e <= now) {
            return sts_error(
                400,
                "InvalidSecurityToken.Expired",
                "Specified SecurityToken is expired.",
                request_id,
            );
        }
        if token.as_deref() != params.get("SecurityToken") {
            return sts_error(
                400,
                "InvalidSecurityToken.Mismatch",
                "Specified SecurityToken is invalid.",
                request_id,
            );
        }
        shared.lock().assume_role_callers.push(id.to_owned());
    }
    let key = issue(shared, "STS.sts");
    json_answer(
        200,
        json!({
            "RequestId": request_id,
            "AssumedRoleUser": {
                "Arn": format!("{role_arn}/{session}"),
                "AssumedRoleId": format!("3000000000:{session}"),
            },
            "Credentials": credentials_json(&key),
        }),
    )
}
