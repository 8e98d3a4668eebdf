//! The request pipeline of `DescribeTasks`: authentication checks in the service's order, then
//! parameter validation and the query. Pure of I/O: it takes decoded parameters and returns the
//! answer to send.
//!
//! The checks, in order (each failure is an error envelope in the requested `Format`):
//!
//! 0. method GET or POST (else 400 `UnsupportedHTTPMethod`), every parameter valid UTF-8 (else
//!    400 `InvalidParameter`), the body within 1 MiB (else 413 `RequestEntityTooLarge`);
//! 1. `Signature`, `AccessKeyId`, `Timestamp`, `SignatureNonce`, `SignatureMethod`,
//!    `SignatureVersion` present (else 400 `MissingParameter`);
//! 2. `Timestamp` is `yyyy-MM-ddTHH:mm:ssZ` (else 400 `InvalidTimeStamp.Format`) and within the
//!    tolerance of the emulator clock (else 400 `InvalidTimeStamp.Expired`);
//! 3. the access key exists, configured or issued by the emulator's IMDS or STS (else 404
//!    `InvalidAccessKeyId.NotFound`);
//! 4. `SignatureMethod` is `HMAC-SHA1` and `SignatureVersion` is `1.0` (else 400
//!    `InvalidParameter`), and the signature matches (else 400 `SignatureDoesNotMatch`, quoting the
//!    string to sign);
//! 5. the security token: an issued key past its expiry is refused (400
//!    `InvalidSecurityToken.Expired`); an STS key needs its exact `SecurityToken`, and a plain key
//!    must not send one (else 400 `InvalidSecurityToken.Mismatch`);
//! 6. the nonce is fresh (else 400 `SignatureNonceUsed`); then the random throttle, if configured
//!    (400 `Throttling.User`);
//! 7. `Action` is `DescribeTasks` (missing: 400 `MissingParameter`; other: 404
//!    `InvalidAction.NotFound`) and `Version` is `2014-05-26` (missing: 400 `MissingParameter`;
//!    other: 400 `InvalidVersion`);
//! 8. `RegionId` present (400 `MissingParameter`) and known (400 `InvalidRegionId.NotFound`);
//! 9. `PageNumber`, `PageSize`, `StartTime`, `EndTime`, `TaskIds` and `ResourceIds.N` valid
//!    (else 400 `InvalidParameter` naming the parameter).
//!
//! A request carrying `Authorization: ACS3-HMAC-SHA256 ...` takes the Signature V3 path for
//! steps 1 to 4 instead: the `x-acs-date`, `x-acs-signature-nonce`, `x-acs-action`,
//! `x-acs-version` and `x-acs-content-sha256` headers present (400 `MissingParameter`), the body
//! hash matching (400 `InvalidParameter`), the date within the tolerance, the key known, `host`
//! and every `x-acs-*` header signed and the signature matching (400 `SignatureDoesNotMatch`);
//! the token comes from `x-acs-security-token`, and `Action` and `Version` from the headers.

use std::borrow::Cow;
use std::collections::{HashSet, VecDeque};
use std::ops::Bound;

use chrono::{DateTime, Utc};

use super::faults::THROTTLING_USER;
use super::params::Params;
use super::render::{ErrorEnvelope, Format, PageView};
use super::signature;
use super::store::{PageResult, Query};
use super::time::parse_utc;
use super::Shared;
use crate::model::{TaskAction, TaskStatus};

/// The API version the emulator serves.
pub(crate) const API_VERSION: &str = "2014-05-26";

/// The most `TaskIds` (and `ResourceIds.N`) one request may carry.
const MAX_IDS: usize = 100;

/// The parameters every signed request must carry, in the order they are checked.
const AUTH_PARAMS: [&str; 6] = [
    "Signature",
    "AccessKeyId",
    "Timestamp",
    "SignatureNonce",
    "SignatureMethod",
    "SignatureVersion",
];

/// An error answer: HTTP status, Code and Message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) code: Cow<'static, str>,
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn new(
        status: u16,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    fn missing(name: &str) -> Self {
        Self::new(
            400,
            "MissingParameter",
            format!("An input parameter \"{name}\" that is mandatory for processing the request is not supplied."),
        )
    }

    fn invalid(name: &str, detail: &str) -> Self {
        Self::new(
            400,
            "InvalidParameter",
            format!("The specified parameter \"{name}\" is not valid.{detail}"),
        )
    }
}

/// A rendered answer, ready for the HTTP layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) content_type: &'static str,
    pub(crate) body: Vec<u8>,
    /// `ok` or the error Code, for the request log.
    pub(crate) outcome: String,
}

/// The `HostId` of error envelopes: the regional endpoint when the request names a region.
pub(crate) fn host_id(params: &Params) -> String {
    match params.get("RegionId") {
        Some(region) => format!("ecs.{region}.aliyuncs.com"),
        None => "ecs.aliyuncs.com".to_owned(),
    }
}

/// Renders an error answer.
pub(crate) fn error_answer(error: &ApiError, params: &Params, request_id: &str) -> Answer {
    let format = Format::from_param(params.get("Format"));
    let host = host_id(params);
    let body = ErrorEnvelope {
        request_id,
        host_id: &host,
        code: &error.code,
        message: &error.message,
    }
    .render(format);
    Answer {
        status: error.status,
        content_type: format.content_type(),
        body,
        outcome: error.code.clone().into_owned(),
    }
}

/// What a Signature V3 check needs beyond the merged parameters.
#[derive(Debug, Clone, Default)]
pub(crate) struct V3Parts {
    /// The request path.
    pub(crate) path: String,
    /// The query-string parameters only.
    pub(crate) query: std::collections::BTreeMap<String, String>,
    /// The headers, names in lower case.
    pub(crate) headers: Vec<(String, String)>,
    /// hex(SHA-256(body)).
    pub(crate) body_sha256: String,
}

impl V3Parts {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Handles one request normally.
pub(crate) fn handle(
    shared: &Shared,
    method: &str,
    params: &Params,
    v3: &V3Parts,
    request_id: &str,
) -> Answer {
    match describe_tasks(shared, method, params, v3) {
        Ok((region, page, query)) => {
            let format = Format::from_param(params.get("Format"));
            let body = PageView {
                request_id,
                region_id: &region,
                page_number: query.page_number,
                page_size: query.page_size,
                total_count: page.total_count,
                tasks: &page.tasks,
            }
            .render(format, shared.config.shape);
            Answer {
                status: 200,
                content_type: format.content_type(),
                body,
                outcome: "ok".to_owned(),
            }
        }
        Err(error) => error_answer(&error, params, request_id),
    }
}

fn describe_tasks(
    shared: &Shared,
    method: &str,
    params: &Params,
    v3: &V3Parts,
) -> Result<(String, PageResult, Query), ApiError> {
    if method != "GET" && method != "POST" {
        return Err(ApiError::new(
            400,
            "UnsupportedHTTPMethod",
            "This http method is not supported.",
        ));
    }
    if let Some(name) = &params.invalid_utf8 {
        return Err(ApiError::invalid(name, " It is not valid UTF-8."));
    }
    let merged;
    let params = match v3.header("authorization") {
        Some(auth) if auth.trim_start().starts_with("ACS3-") => {
            authenticate_v3(shared, method, v3, auth)?;
            let mut with_headers = params.clone();
            for (header, name) in [("x-acs-action", "Action"), ("x-acs-version", "Version")] {
                if let Some(value) = v3.header(header) {
                    with_headers.map.insert(name.to_owned(), value.to_owned());
                }
            }
            merged = with_headers;
            &merged
        }
        _ => {
            authenticate(shared, method, params)?;
            params
        }
    };

    match params.get("Action") {
        None => return Err(ApiError::missing("Action")),
        Some("DescribeTasks") => {}
        Some(_) => {
            return Err(ApiError::new(
                404,
                "InvalidAction.NotFound",
                "Specified api is not found, please check your url and method.",
            ))
        }
    }
    match params.get("Version") {
        None => return Err(ApiError::missing("Version")),
        Some(API_VERSION) => {}
        Some(_) => {
            return Err(ApiError::new(
                400,
                "InvalidVersion",
                "Specified parameter Version is not valid.",
            ))
        }
    }
    let region = params
        .get("RegionId")
        .ok_or_else(|| ApiError::missing("RegionId"))?;
    let query = parse_query(params);

    let mut state = shared.lock();
    if !state.regions.contains(region) {
        return Err(ApiError::new(
            400,
            "InvalidRegionId.NotFound",
            "The specified RegionId does not exist.",
        ));
    }
    let query = query?;
    let now = state.now();
    let page = state.store.query(region, &query, now);
    Ok((region.to_owned(), page, query))
}

/// Steps 1 to 6: the signature and everything around it.
fn authenticate(shared: &Shared, method: &str, params: &Params) -> Result<(), ApiError> {
    let mut values = [""; AUTH_PARAMS.len()];
    for (value, name) in values.iter_mut().zip(AUTH_PARAMS) {
        *value = params.get(name).ok_or_else(|| ApiError::missing(name))?;
    }
    let [signature, access_key_id, timestamp, nonce, signature_method, signature_version] = values;

    let Some(timestamp) = parse_utc(timestamp, false) else {
        return Err(ApiError::new(
            400,
            "InvalidTimeStamp.Format",
            "The specified parameter \"Timestamp\" is not valid.",
        ));
    };
    let now = shared.now();
    let skew = (now - timestamp).abs();
    if skew > shared.config.tolerance {
        return Err(ApiError::new(
            400,
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        ));
    }

    let (key, expires) = find_key(shared, access_key_id)?;

    if signature_method != "HMAC-SHA1" {
        return Err(ApiError::invalid(
            "SignatureMethod",
            " Only HMAC-SHA1 is supported.",
        ));
    }
    if signature_version != "1.0" {
        return Err(ApiError::invalid(
            "SignatureVersion",
            " Only 1.0 is supported.",
        ));
    }
    if let Err(string_to_sign) = signature::verify(method, &params.map, &key.secret, signature) {
        return Err(ApiError::new(
            400,
            "SignatureDoesNotMatch",
            format!("Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}"),
        ));
    }

    finish_auth(
        shared,
        &key,
        expires,
        params.get("SecurityToken"),
        nonce,
        now,
    )
}

/// Finds an accepted key: a configured one, or one issued by IMDS or STS (with its expiry).
fn find_key(
    shared: &Shared,
    access_key_id: &str,
) -> Result<(super::AccessKey, Option<DateTime<Utc>>), ApiError> {
    if let Some(key) = shared.config.keys.iter().find(|k| k.id == access_key_id) {
        return Ok((key.clone(), None));
    }
    let state = shared.lock();
    match state.issued.iter().find(|k| k.id == access_key_id) {
        Some(k) => Ok((
            super::AccessKey {
                id: k.id.clone(),
                secret: k.secret.clone(),
                security_token: Some(k.token.clone()),
            },
            Some(k.expires),
        )),
        None => Err(ApiError::new(
            404,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        )),
    }
}

/// Steps 5 and 6, shared by both signature versions: expiry and token of STS keys, the nonce,
/// the random throttle.
fn finish_auth(
    shared: &Shared,
    key: &super::AccessKey,
    expires: Option<DateTime<Utc>>,
    token_sent: Option<&str>,
    nonce: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if expires.is_some_and(|e| e <= now) {
        return Err(ApiError::new(
            400,
            "InvalidSecurityToken.Expired",
            "Specified SecurityToken is expired.",
        ));
    }
    if key.security_token.as_deref() != token_sent {
        return Err(ApiError::new(
            400,
            "InvalidSecurityToken.Mismatch",
            "Specified SecurityToken is invalid.",
        ));
    }

    let mut state = shared.lock();
    if !state.nonces.remember(nonce, now, shared.config.nonce_ttl) {
        return Err(ApiError::new(
            400,
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        ));
    }
    if state.throttle_ratio > 0.0 && state.rng.f64() < state.throttle_ratio {
        let (code, message) = THROTTLING_USER;
        return Err(ApiError::new(400, code, message));
    }
    Ok(())
}

/// Steps 1 to 6 for Signature V3 (`Authorization: ACS3-HMAC-SHA256 ...`): the `x-acs-*`
/// headers, the body hash, the date window, the key, the signature (checked by the emulator's
/// own V3 code), then the token and nonce as for V1.
fn authenticate_v3(
    shared: &Shared,
    method: &str,
    v3: &V3Parts,
    authorization: &str,
) -> Result<(), ApiError> {
    let Some(auth) = signature::v3::parse_authorization(authorization) else {
        return Err(ApiError::new(
            400,
            "InvalidAuthorization",
            "The Authorization header is not a valid ACS3-HMAC-SHA256 authorization.",
        ));
    };
    let mut values = [""; 5];
    let names = [
        "x-acs-date",
        "x-acs-signature-nonce",
        "x-acs-action",
        "x-acs-version",
        "x-acs-content-sha256",
    ];
    for (value, name) in values.iter_mut().zip(names) {
        *value = v3.header(name).ok_or_else(|| ApiError::missing(name))?;
    }
    let [date, nonce, _, _, content_sha256] = values;
    if !content_sha256.eq_ignore_ascii_case(&v3.body_sha256) {
        return Err(ApiError::invalid(
            "x-acs-content-sha256",
            " It does not match the body.",
        ));
    }
    let Some(timestamp) = parse_utc(date, false) else {
        return Err(ApiError::new(
            400,
            "InvalidTimeStamp.Format",
            "The specified header \"x-acs-date\" is not valid.",
        ));
    };
    let now = shared.now();
    if (now - timestamp).abs() > shared.config.tolerance {
        return Err(ApiError::new(
            400,
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        ));
    }
    let (key, expires) = find_key(shared, &auth.credential)?;
    let unsigned = v3.headers.iter().find(|(n, _)| {
        let n = n.to_ascii_lowercase();
        (n == "host" || n.starts_with("x-acs-")) && !auth.signed_headers.contains(&n)
    });
    if let Some((name, _)) = unsigned {
        return Err(ApiError::new(
            400,
            "SignatureDoesNotMatch",
            format!("The header {name} must be signed."),
        ));
    }
    let canonical = signature::v3::canonical_request(
        method,
        &v3.path,
        &v3.query,
        &v3.headers,
        &auth.signed_headers,
        content_sha256,
    );
    if let Err(canonical) = signature::v3::verify(&canonical, &key.secret, &auth.signature) {
        return Err(ApiError::new(
            400,
            "SignatureDoesNotMatch",
            format!("Specified signature is not matched with our calculation. server canonical request is:{canonical}"),
        ));
    }
    finish_auth(
        shared,
        &key,
        expires,
        v3.header("x-acs-security-token"),
        nonce,
        now,
    )
}

/// Step 9: the operation's own parameters.
fn parse_query(params: &Params) -> Result<Query, ApiError> {
    let int = |name: &str, default: u32, max: u32| -> Result<u32, ApiError> {
        match params.get(name) {
            None => Ok(default),
            Some(raw) => raw
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| {
                    ApiError::invalid(name, &format!(" It must be an integer from 1 to {max}."))
                }),
        }
    };
    let page_number = int("PageNumber", 1, u32::MAX)?;
    let page_size = int("PageSize", 10, 100)?;
    let time = |name: &str| -> Result<Option<DateTime<Utc>>, ApiError> {
        params
            .get(name)
            .map(|raw| {
                parse_utc(raw, true)
                    .ok_or_else(|| ApiError::invalid(name, " Use the format yyyy-MM-ddTHH:mm:ssZ."))
            })
            .transpose()
    };
    let start = time("StartTime")?;
    let end = time("EndTime")?;
    let task_ids = params.get("TaskIds").map(parse_task_ids).transpose()?;
    let resource_ids = parse_resource_ids(params)?;
    Ok(Query {
        task_ids,
        action: params.get("TaskAction").map(TaskAction::from_wire),
        status: params
            .get("TaskStatus")
            .map(TaskStatus::from_wire)
            .filter(TaskStatus::is_filterable),
        start,
        end,
        resource_ids,
        task_group_id: params.get("TaskGroupId").map(str::to_owned),
        page_number,
        page_size,
    })
}

/// `TaskIds`: comma-separated (spaces trimmed, empty entries skipped), or a JSON array of strings
/// as the reference's example shows it; at most 100.
fn parse_task_ids(raw: &str) -> Result<HashSet<String>, ApiError> {
    let ids: Vec<String> = if raw.trim_start().starts_with('[') {
        serde_json::from_str::<Vec<String>>(raw)
            .map_err(|_| ApiError::invalid("TaskIds", " Use comma-separated task ids."))?
            .into_iter()
            .map(|id| id.trim().to_owned())
            .filter(|id| !id.is_empty())
            .collect()
    } else {
        raw.split(',')
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
            .collect()
    };
    if ids.len() > MAX_IDS {
        return Err(ApiError::invalid(
            "TaskIds",
            " At most 100 task ids are allowed.",
        ));
    }
    Ok(ids.into_iter().collect())
}

/// `ResourceIds.1` .. `ResourceIds.100`; `None` when no non-empty one is given.
fn parse_resource_ids(params: &Params) -> Result<Option<HashSet<String>>, ApiError> {
    let mut ids = HashSet::new();
    let from = (Bound::Included("ResourceIds."), Bound::Unbounded);
    for (name, value) in params.map.range::<str, (Bound<&str>, Bound<&str>)>(from) {
        let Some(index) = name.strip_prefix("ResourceIds.") else {
            break;
        };
        let valid = index.bytes().all(|b| b.is_ascii_digit())
            && index
                .parse::<usize>()
                .is_ok_and(|n| (1..=MAX_IDS).contains(&n));
        if !valid {
            return Err(ApiError::invalid(name, " N must be from 1 to 100."));
        }
        if !value.is_empty() {
            ids.insert(value.clone());
        }
    }
    Ok((!ids.is_empty()).then_some(ids))
}

/// The nonces seen recently, each kept until it could no longer pass the timestamp check.
#[derive(Debug, Default)]
pub(crate) struct NonceCache {
    seen: HashSet<String>,
    expiry: VecDeque<(DateTime<Utc>, String)>,
}

impl NonceCache {
    /// Remembers `nonce` for `keep`; `false` when it was already remembered.
    pub(crate) fn remember(
        &mut self,
        nonce: &str,
        now: DateTime<Utc>,
        keep: chrono::Duration,
    ) -> bool {
        while self.expiry.front().is_some_and(|(until, _)| *until < now) {
            if let Some((_, old)) = self.expiry.pop_front() {
                self.seen.remove(&old);
            }
        }
        if self.seen.contains(nonce) {
            return false;
        }
        self.seen.insert(nonce.to_owned());
        let until = now
            .checked_add_signed(keep)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        self.expiry.push_back((until, nonce.to_owned()));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn nonces_are_refused_within_the_window_and_forgotten_after() {
        let mut cache = NonceCache::default();
        let t = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        let keep = Duration::minutes(30);
        assert!(cache.remember("a", t, keep));
        assert!(!cache.remember("a", t + Duration::minutes(29), keep));
        assert!(cache.remember("b", t + Duration::minutes(29), keep));
        assert!(cache.remember("a", t + Duration::minutes(31), keep));
        assert!(!cache.remember("b", t + Duration::minutes(31), keep));
    }

    fn params(query: &str) -> Params {
        Params::from_query(query)
    }

    #[test]
    fn query_defaults_and_bounds() {
        let q = parse_query(&params("")).unwrap();
        assert_eq!((q.page_number, q.page_size), (1, 10));
        assert!(q.task_ids.is_none() && q.status.is_none() && q.resource_ids.is_none());
        let q = parse_query(&params("PageSize=100&PageNumber=4294967295&PageSize=")).unwrap();
        assert_eq!(q.page_size, 10, "an empty value counts as absent");
        for bad in [
            "PageSize=0",
            "PageSize=101",
            "PageSize=-1",
            "PageSize=ten",
            "PageSize=1.5",
        ] {
            let e = parse_query(&params(bad)).unwrap_err();
            assert_eq!(e.code, "InvalidParameter");
            assert!(e.message.contains("\"PageSize\""), "{}", e.message);
        }
        for bad in ["PageNumber=0", "PageNumber=4294967296"] {
            assert!(parse_query(&params(bad))
                .unwrap_err()
                .message
                .contains("PageNumber"));
        }
    }

    #[test]
    fn times_and_filters() {
        let q = parse_query(&params(
            "StartTime=2015-11-23T15:10:00Z&EndTime=2015-11-23T15:16Z&TaskStatus=finished&TaskAction=IMPORT_IMAGE",
        ))
        .unwrap();
        assert_eq!(
            q.start,
            Some(Utc.with_ymd_and_hms(2015, 11, 23, 15, 10, 0).unwrap())
        );
        assert_eq!(
            q.end,
            Some(Utc.with_ymd_and_hms(2015, 11, 23, 15, 16, 0).unwrap())
        );
        assert_eq!(q.status, Some(TaskStatus::Finished));
        assert_eq!(q.action, Some(TaskAction::ImportImage));
        let e = parse_query(&params("EndTime=2015-11-23")).unwrap_err();
        assert!(e.message.contains("EndTime"));
        // Statuses the service does not filter on are ignored.
        for ignored in ["Waiting", "Deleted", "Paused", "Bogus"] {
            assert_eq!(
                parse_query(&params(&format!("TaskStatus={ignored}")))
                    .unwrap()
                    .status,
                None
            );
        }
    }

    #[test]
    fn task_ids_and_resource_ids() {
        let q = parse_query(&params("TaskIds=t-1,+t-2+,,t-3,")).unwrap();
        let ids = q.task_ids.unwrap();
        assert_eq!(ids.len(), 3);
        assert!(ids.contains("t-2"));
        let q = parse_query(&params("TaskIds=%5B%22t-1%22%2C%22t-2%22%5D")).unwrap();
        assert_eq!(q.task_ids.unwrap().len(), 2);
        assert!(parse_query(&params("TaskIds=%5Bnot-json")).is_err());
        let many = (0..101)
            .map(|i| format!("t-{i}"))
            .collect::<Vec<_>>()
            .join(",");
        let e = parse_query(&params(&format!("TaskIds={many}"))).unwrap_err();
        assert!(e.message.contains("TaskIds"));
        let hundred = (0..100)
            .map(|i| format!("t-{i}"))
            .collect::<Vec<_>>()
            .join(",");
        assert!(parse_query(&params(&format!("TaskIds={hundred}"))).is_ok());

        let q = parse_query(&params(
            "ResourceIds.1=m-1&ResourceIds.2=i-2&ResourceIds.3=&ResourceIdsX=1",
        ))
        .unwrap();
        assert_eq!(q.resource_ids.unwrap().len(), 2);
        for bad in [
            "ResourceIds.0=x",
            "ResourceIds.101=x",
            "ResourceIds.a=x",
            "ResourceIds.+1=x",
        ] {
            assert!(parse_query(&params(bad)).is_err(), "{bad}");
        }
    }
}
