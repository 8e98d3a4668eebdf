//! [`Client`] and [`ClientBuilder`]: configuration and the call loop.
//!
//! One call: the operation's parameters are built once; then, for each attempt, the client gets
//! credentials, adds fresh common parameters (`Timestamp`, `SignatureNonce`), signs, sends,
//! decodes, and lets [`crate::retry::classify`] decide whether to try again.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::time::Instant;

use crate::credentials::{
    CredentialsChain, EnvironmentProvider, ProvideCredentials, ProviderContext,
    SharedCredentialsProvider,
};
use crate::decode::decode_response;
use crate::endpoint::{parse_endpoint, EndpointRule};
use crate::error::{Error, RetryRecord, TimeoutKind, ValidationError};
use crate::model::DescribeTasksResponse;
use crate::request::DescribeTasksRequest;
use crate::retry::{classify, RetryBudget, RetryConfig, RetryDecision, RetryReason};
use crate::signer;
use crate::signer_v3;
use crate::transport::{self, RawResponse};

/// The API version of every ECS call this crate makes.
pub const API_VERSION: &str = "2014-05-26";

/// Default connect timeout: 5 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default read timeout (the longest wait for the next bytes of a response): 11 s.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(11);
/// Default limit on one attempt, from sending to the last body byte: 30 s.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default limit on a whole call, across retries and backoff: 120 s.
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(120);
/// Default cap on a response body: 16 MiB.
pub const DEFAULT_MAX_BODY_SIZE: usize = 16 * 1024 * 1024;

/// The response format requested from the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Format {
    /// `Format=JSON` (the default).
    #[default]
    Json,
    /// `Format=XML`.
    Xml,
}

impl Format {
    /// The value of the `Format` parameter.
    pub fn as_str(&self) -> &'static str {
        match self {
            Format::Json => "JSON",
            Format::Xml => "XML",
        }
    }
}

/// How requests are signed.
///
/// The default is [`SignatureVersion::V1`] (the RPC `Signature` parameter, HMAC-SHA1): it is what
/// the `DescribeTasks` reference documents, the published signing vectors anchor it, and every
/// ECS endpoint accepts it. [`SignatureVersion::V3`] (`ACS3-HMAC-SHA256` in the
/// `Authorization` header) is what current official SDKs send by default; choose it where
/// policy requires SHA-256. The bundled emulator verifies both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SignatureVersion {
    /// RPC signature v1 (HMAC-SHA1 over the canonical query). The default.
    #[default]
    V1,
    /// Signature V3, `ACS3-HMAC-SHA256`.
    V3,
}

/// Environment variable holding the default region.
pub const ENV_REGION_ID: &str = "ALIBABA_CLOUD_REGION_ID";
/// Environment variable turning VPC endpoints on (`true`).
pub const ENV_VPC_ENDPOINT_ENABLED: &str = "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED";

/// A client for the ECS task API. Cheap to clone: clones share one connection pool, one
/// credentials provider, one retry budget and one clock-skew estimate.
///
/// ```no_run
/// use aliyun_ecs_tasks::{Client, Credentials, DescribeTasksRequest};
///
/// # async fn run() -> Result<(), aliyun_ecs_tasks::Error> {
/// let client = Client::builder()
///     .credentials(Credentials::new("<access key id>", "<access key secret>"))
///     .build()?;
/// let request = DescribeTasksRequest::builder().region_id("cn-hangzhou").build()?;
/// let page = client.describe_tasks(request).await?;
/// for task in &page.task_set {
///     println!("{} {} {}", task.task_id, task.task_action, task.task_status);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    endpoint: EndpointRule,
    format: Format,
    credentials: SharedCredentialsProvider,
    region: Option<String>,
    signature_version: SignatureVersion,
    user_agent: String,
    retry: RetryConfig,
    budget: RetryBudget,
    connect_timeout: Duration,
    read_timeout: Duration,
    attempt_timeout: Duration,
    operation_timeout: Duration,
    max_body_size: usize,
    /// Server time minus local time, in milliseconds, learnt from a rejected timestamp.
    clock_offset_ms: AtomicI64,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Client")
            .field("endpoint", &i.endpoint)
            .field("format", &i.format)
            .field("credentials", &i.credentials)
            .field("region", &i.region)
            .field("signature_version", &i.signature_version)
            .field("user_agent", &i.user_agent)
            .field("retry", &i.retry)
            .field("connect_timeout", &i.connect_timeout)
            .field("read_timeout", &i.read_timeout)
            .field("attempt_timeout", &i.attempt_timeout)
            .field("operation_timeout", &i.operation_timeout)
            .field("max_body_size", &i.max_body_size)
            .field(
                "clock_offset_ms",
                &i.clock_offset_ms.load(Ordering::Relaxed),
            )
            .finish()
    }
}

impl Client {
    /// A builder with the documented defaults.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured the way the aliyun CLI, Terraform and the official SDKs are: see
    /// [`ClientBuilder::from_env`].
    pub fn from_env() -> Result<Client, Error> {
        ClientBuilder::from_env().build()
    }

    /// The default region (from [`ClientBuilder::region`] or the environment), for building
    /// requests: `DescribeTasksRequest::builder().region_id(client.region().unwrap_or(..))`.
    pub fn region(&self) -> Option<&str> {
        self.inner.region.as_deref()
    }

    /// A request builder with the client's default region filled in (when it has one), so a
    /// client from [`Client::from_env`] needs no region in code:
    /// `client.request_builder().task_status(TaskStatus::Finished).build()?`.
    pub fn request_builder(&self) -> crate::request::DescribeTasksRequestBuilder {
        let builder = DescribeTasksRequest::builder();
        match self.region() {
            Some(region) => builder.region_id(region),
            None => builder,
        }
    }

    /// How this client signs requests.
    pub fn signature_version(&self) -> SignatureVersion {
        self.inner.signature_version
    }

    /// Calls `DescribeTasks` once (with retries as configured) and returns one page.
    pub async fn describe_tasks(
        &self,
        request: DescribeTasksRequest,
    ) -> Result<DescribeTasksResponse, Error> {
        self.describe_tasks_ref(&request).await
    }

    pub(crate) async fn describe_tasks_ref(
        &self,
        request: &DescribeTasksRequest,
    ) -> Result<DescribeTasksResponse, Error> {
        let params = request.to_params();
        let params: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_ref(), v.as_str()))
            .collect();
        let raw = self
            .call("DescribeTasks", request.region_id(), &params)
            .await?;
        decode_response(raw.status, &raw.body, raw.request_id.as_deref())
    }

    /// The clock offset (server minus local) the client has learnt, if any.
    pub fn clock_offset(&self) -> chrono::Duration {
        chrono::Duration::milliseconds(self.inner.clock_offset_ms.load(Ordering::Relaxed))
    }

    /// Runs one RPC call with retries under the operation timeout; returns the successful raw
    /// response (2xx and decodable) or the final error.
    async fn call(
        &self,
        action: &str,
        region_id: &str,
        params: &[(&str, &str)],
    ) -> Result<RawResponse, Error> {
        let limit = self.inner.operation_timeout;
        let calls = crate::telemetry::instrument(
            self.call_with_retries(action, region_id, params),
            action,
            region_id,
        );
        match tokio::time::timeout(limit, calls).await {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout {
                kind: TimeoutKind::Operation,
                after: limit,
            }),
        }
    }

    async fn call_with_retries(
        &self,
        action: &str,
        region_id: &str,
        params: &[(&str, &str)],
    ) -> Result<RawResponse, Error> {
        let inner = &*self.inner;
        let started = Instant::now();
        let base_url = inner.endpoint.base_url(region_id);
        let mut retries: Vec<RetryRecord> = Vec::new();
        let mut skew_corrected = false;
        let mut token_refreshed = false;
        // Tokens this call's retries took from the budget, refunded if it succeeds.
        let mut retry_cost: u32 = 0;
        let mut attempt: u32 = 0;
        // Attempts counted against max_attempts (a clock-skew correction is free, once).
        let mut counted: u32 = 0;
        loop {
            attempt += 1;
            counted += 1;
            crate::telemetry::attempt_started(attempt);
            let sent = Instant::now();
            let result = self.attempt(action, &base_url, params).await;
            crate::telemetry::attempt_finished(
                attempt,
                match &result {
                    Ok(raw) => Some(raw.status),
                    Err(f) => f.error.http_status(),
                },
                match &result {
                    Ok(raw) => raw.request_id.as_deref(),
                    Err(f) => f.error.request_id(),
                },
                sent.elapsed(),
                match &result {
                    Ok(_) => "ok",
                    Err(f) => f.error.code().unwrap_or("error"),
                },
            );
            let failure = match result {
                Ok(raw) => {
                    inner.budget.on_success(retry_cost);
                    return Ok(raw);
                }
                Err(failure) => failure,
            };
            let AttemptFailure {
                mut error,
                string_to_sign,
                date,
                rate_limit_time_left,
            } = failure;

            let code = error.code().map(str::to_owned);
            if code.as_deref() == Some("InvalidSecurityToken.Expired") && !token_refreshed {
                // The cached token expired early (clock skew, revocation): refresh, retry once.
                token_refreshed = true;
                inner.credentials.invalidate();
                counted -= 1;
                retries.push(RetryRecord {
                    attempt,
                    reason: "InvalidSecurityToken.Expired: refreshed the credentials".to_owned(),
                    delay: Duration::ZERO,
                });
                continue;
            }
            if let Some(code) = code.as_deref() {
                if is_clock_skew_code(code) && !skew_corrected {
                    if let Some(server_now) = date {
                        skew_corrected = true;
                        let offset = (server_now - Utc::now()).num_milliseconds();
                        inner.clock_offset_ms.store(offset, Ordering::Relaxed);
                        counted -= 1;
                        retries.push(RetryRecord {
                            attempt,
                            reason: format!(
                                "{code}: corrected the clock by {} ms from the Date header",
                                offset
                            ),
                            delay: Duration::ZERO,
                        });
                        continue;
                    }
                }
                if code == "SignatureDoesNotMatch" {
                    if let Error::Service(e) = &mut error {
                        e.diagnosis =
                            Some(diagnose_signature_mismatch(&e.message, &string_to_sign));
                    }
                }
            }

            let reason = match classify(&error) {
                RetryDecision::Retry(reason) => reason,
                _ => return Err(finish(error, attempt, retries)),
            };
            if counted >= inner.retry.max_attempts {
                return Err(finish(error, attempt, retries));
            }
            match inner.budget.try_acquire(reason) {
                Some(cost) => retry_cost += cost,
                None => return Err(finish(error, attempt, retries)),
            }
            let delay = inner
                .retry
                .backoff(counted, fastrand::f64(), rate_limit_time_left);
            if started.elapsed() + delay > inner.retry.total_budget {
                return Err(finish(error, attempt, retries));
            }
            retries.push(RetryRecord {
                attempt,
                reason: describe_failure(&error, reason),
                delay,
            });
            tokio::time::sleep(delay).await;
        }
    }

    /// One attempt: credentials, fresh common parameters, signature, HTTP, status check.
    async fn attempt(
        &self,
        action: &str,
        base_url: &str,
        params: &[(&str, &str)],
    ) -> Result<RawResponse, AttemptFailure> {
        let inner = &*self.inner;
        let credentials = inner
            .credentials
            .provide_credentials()
            .await
            .map_err(|e| AttemptFailure::plain(Error::Credentials(e)))?;
        let now = Utc::now()
            + chrono::Duration::milliseconds(inner.clock_offset_ms.load(Ordering::Relaxed));
        let timestamp = signer::format_timestamp(now);
        let nonce = signer::new_nonce();

        let common = signer::CommonParams {
            action,
            version: API_VERSION,
            format: inner.format.as_str(),
            access_key_id: credentials.access_key_id(),
            security_token: credentials.security_token(),
            timestamp: &timestamp,
            nonce: &nonce,
        };
        let (query, headers, string_to_sign) = match inner.signature_version {
            SignatureVersion::V1 => {
                let signed =
                    signer::sign_rpc("POST", &common, params, credentials.access_key_secret());
                (signed.query, Vec::new(), signed.string_to_sign)
            }
            SignatureVersion::V3 => {
                let host = host_of(base_url);
                let mut with_format: Vec<(&str, &str)> = Vec::with_capacity(params.len() + 1);
                with_format.push(("Format", common.format));
                with_format.extend_from_slice(params);
                let call = signer_v3::V3Call {
                    method: "POST",
                    host: &host,
                    action,
                    version: API_VERSION,
                    date: &timestamp,
                    nonce: &nonce,
                    access_key_id: credentials.access_key_id(),
                    secret: credentials.access_key_secret(),
                    security_token: credentials.security_token(),
                };
                let signed = signer_v3::sign_rpc_v3(&call, &with_format);
                (signed.query, signed.headers, signed.string_to_sign)
            }
        };
        let mut url = String::with_capacity(base_url.len() + 2 + query.len());
        url.push_str(base_url);
        url.push_str("/?");
        url.push_str(&query);

        let exchange = transport::post_with_headers(
            &inner.http,
            &url,
            &inner.user_agent,
            &headers,
            inner.max_body_size,
            (inner.connect_timeout, inner.read_timeout),
        );
        let raw = match tokio::time::timeout(inner.attempt_timeout, exchange).await {
            Ok(Ok(raw)) => raw,
            Ok(Err(error)) => return Err(AttemptFailure::plain(error)),
            Err(_) => {
                return Err(AttemptFailure::plain(Error::Timeout {
                    kind: TimeoutKind::Attempt,
                    after: inner.attempt_timeout,
                }))
            }
        };
        if (200..300).contains(&raw.status) {
            return Ok(raw);
        }
        let mut error = match decode_response(raw.status, &raw.body, raw.request_id.as_deref()) {
            Err(e) => e,
            // A non-2xx status never decodes as a page; keep the compiler honest anyway.
            Ok(_) => unreachable_page(raw.status),
        };
        if let (Some(token), Error::Service(e)) = (credentials.security_token(), &mut error) {
            e.message = redact(&e.message, token);
        }
        let redacted_sts = match credentials.security_token() {
            Some(token) => redact(&string_to_sign, token),
            None => string_to_sign,
        };
        Err(AttemptFailure {
            error,
            string_to_sign: redacted_sts,
            date: raw.date,
            rate_limit_time_left: raw.rate_limit_time_left,
        })
    }
}

/// The authority (host and port) of a base URL, for the V3 `host` header.
fn host_of(base_url: &str) -> String {
    match reqwest::Url::parse(base_url) {
        Ok(url) => match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            _ => String::new(),
        },
        Err(_) => String::new(),
    }
}

fn unreachable_page(status: u16) -> Error {
    Error::decode(crate::error::DecodeError::new(
        status,
        "a page with an error status",
        b"",
    ))
}

/// What a failed attempt leaves for the retry loop.
struct AttemptFailure {
    error: Error,
    /// Our string to sign (security token redacted), for diagnosing signature mismatches.
    string_to_sign: String,
    date: Option<chrono::DateTime<Utc>>,
    rate_limit_time_left: Option<Duration>,
}

impl AttemptFailure {
    fn plain(error: Error) -> Self {
        Self {
            error,
            string_to_sign: String::new(),
            date: None,
            rate_limit_time_left: None,
        }
    }
}

fn is_clock_skew_code(code: &str) -> bool {
    matches!(code, "InvalidTimeStamp.Expired" | "IllegalTimestamp")
}

/// The final error: the last attempt's, wrapped with the retry history when there was one.
fn finish(error: Error, attempts: u32, retries: Vec<RetryRecord>) -> Error {
    if retries.is_empty() {
        error
    } else {
        Error::RetriesExhausted {
            attempts,
            retries,
            last: Box::new(error),
        }
    }
}

fn describe_failure(error: &Error, reason: RetryReason) -> String {
    match error.last_attempt() {
        Error::Service(e) => format!("{} (HTTP {})", e.code, e.http_status),
        Error::Decode(e) => format!("undecodable HTTP {} body", e.http_status),
        Error::Timeout { kind, .. } => format!("{kind} timeout"),
        Error::Transport { connect, .. } => {
            if *connect {
                "connection failed".to_owned()
            } else {
                "connection broke".to_owned()
            }
        }
        _ => format!("{reason:?}"),
    }
}

/// Replaces a secret, raw or percent-encoded (once or twice, as in a string to sign), with a
/// mask.
pub(crate) fn redact(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        return text.to_owned();
    }
    let once = signer::percent_encode(secret);
    let twice = signer::percent_encode(&once);
    let mut out = text.replace(&twice, "** redacted **");
    out = out.replace(&once, "** redacted **");
    out.replace(secret, "** redacted **")
}

/// Compares our string to sign with the one the service echoes after
/// `server string to sign is:` and says which side is at fault.
pub(crate) fn diagnose_signature_mismatch(message: &str, ours: &str) -> String {
    const MARKER: &str = "server string to sign is:";
    let Some(pos) = message.find(MARKER) else {
        return "the service did not echo its string to sign; check the AccessKey secret".into();
    };
    let theirs = message[pos + MARKER.len()..].trim();
    if ours.is_empty() {
        return "the request was not signed by this client".into();
    }
    if theirs == ours {
        return "the service computed the same string to sign, so the AccessKey secret is wrong"
            .into();
    }
    let at = ours
        .bytes()
        .zip(theirs.bytes())
        .position(|(a, b)| a != b)
        .unwrap_or(ours.len().min(theirs.len()));
    let context = |s: &str| {
        let start = s.floor_char_boundary_compat(at.saturating_sub(20));
        let end = s.floor_char_boundary_compat((at + 20).min(s.len()));
        s[start..end].to_owned()
    };
    format!(
        "the string to sign differs from the service's at byte {at} (ours: {:?}, service: {:?}), \
         so the encoding differs rather than the secret",
        context(ours),
        context(theirs)
    )
}

trait FloorCharBoundary {
    fn floor_char_boundary_compat(&self, index: usize) -> usize;
}

impl FloorCharBoundary for str {
    fn floor_char_boundary_compat(&self, index: usize) -> usize {
        let mut i = index.min(self.len());
        while !self.is_char_boundary(i) {
            i -= 1;
        }
        i
    }
}

/// Builds a [`Client`]. Every setting has a documented default.
#[derive(Clone)]
pub struct ClientBuilder {
    endpoint: Option<String>,
    vpc: bool,
    format: Format,
    credentials: Option<SharedCredentialsProvider>,
    region: Option<String>,
    proxy: Option<String>,
    no_proxy: Option<String>,
    signature_version: SignatureVersion,
    connect_timeout: Duration,
    read_timeout: Duration,
    attempt_timeout: Duration,
    operation_timeout: Duration,
    user_agent: Option<String>,
    allow_http: bool,
    http_client: Option<reqwest::Client>,
    retry: RetryConfig,
    max_body_size: usize,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("endpoint", &self.endpoint)
            .field("vpc", &self.vpc)
            .field("format", &self.format)
            .field("credentials", &self.credentials)
            .field("region", &self.region)
            .field("proxy", &self.proxy.as_deref().map(redact_proxy))
            .field("no_proxy", &self.no_proxy)
            .field("signature_version", &self.signature_version)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("operation_timeout", &self.operation_timeout)
            .field("user_agent", &self.user_agent)
            .field("allow_http", &self.allow_http)
            .field("http_client", &self.http_client.is_some())
            .field("retry", &self.retry)
            .field("max_body_size", &self.max_body_size)
            .finish()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            endpoint: None,
            vpc: false,
            format: Format::Json,
            credentials: None,
            region: None,
            proxy: None,
            no_proxy: None,
            signature_version: SignatureVersion::V1,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            attempt_timeout: DEFAULT_ATTEMPT_TIMEOUT,
            operation_timeout: DEFAULT_OPERATION_TIMEOUT,
            user_agent: None,
            allow_http: false,
            http_client: None,
            retry: RetryConfig::default(),
            max_body_size: DEFAULT_MAX_BODY_SIZE,
        }
    }
}

impl ClientBuilder {
    /// A builder configured from the process environment and the real home directory; see
    /// [`from_context`](Self::from_context).
    pub fn from_env() -> Self {
        Self::from_context(ProviderContext::from_process())
    }

    /// A builder configured from `ctx` the way the official tools are:
    ///
    /// * credentials: the default chain ([`CredentialsChain::default_chain`]);
    /// * region: `ALIBABA_CLOUD_REGION_ID`, else the CLI profile's `region_id`;
    /// * VPC endpoints: `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED=true`, else the CLI profile's
    ///   `enable_vpc`;
    /// * proxy: `HTTPS_PROXY` (or `https_proxy`, `ALL_PROXY`), with `NO_PROXY` (or `no_proxy`).
    ///
    /// Every other setting keeps its default, and later builder calls override these.
    pub fn from_context(ctx: ProviderContext) -> Self {
        let profile = crate::credentials::profile::CliProfile::load(&ctx)
            .ok()
            .flatten();
        let region = ctx.var(ENV_REGION_ID).or_else(|| {
            profile
                .as_ref()
                .and_then(|p| p.region_id().map(str::to_owned))
        });
        let vpc =
            ctx.flag(ENV_VPC_ENDPOINT_ENABLED) || profile.as_ref().is_some_and(|p| p.enable_vpc());
        let proxy = ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
            .iter()
            .find_map(|v| ctx.var(v));
        let no_proxy = ["NO_PROXY", "no_proxy"].iter().find_map(|v| ctx.var(v));
        Self {
            region,
            vpc,
            proxy,
            no_proxy,
            credentials: Some(Arc::new(CredentialsChain::default_chain(ctx))),
            ..Self::default()
        }
    }

    /// The default region reported by [`Client::region`]. Default: none (or, with
    /// [`from_env`](Self::from_env), the environment's).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Sends every request through this proxy (`http://host:port`, credentials in the URL
    /// allowed). Default: none set here (reqwest still honours the system proxy variables).
    /// Ignored with a caller-supplied [`reqwest::Client`].
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Some(url.into());
        self
    }

    /// Hosts that bypass the proxy, in `NO_PROXY` syntax (`localhost,.internal,10.0.0.0/8`).
    pub fn no_proxy(mut self, hosts: impl Into<String>) -> Self {
        self.no_proxy = Some(hosts.into());
        self
    }

    /// How requests are signed. Default [`SignatureVersion::V1`] (see there why).
    pub fn signature_version(mut self, version: SignatureVersion) -> Self {
        self.signature_version = version;
        self
    }

    /// A credentials chain (for example [`CredentialsChain::default_chain`] over an injected
    /// [`ProviderContext`]).
    pub fn credentials_chain(mut self, chain: CredentialsChain) -> Self {
        self.credentials = Some(Arc::new(chain));
        self
    }

    /// The region this builder will report, if any.
    pub fn region_id(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// Whether VPC endpoints will be used when no endpoint is set.
    pub fn uses_vpc_endpoints(&self) -> bool {
        self.vpc
    }

    /// The proxy this builder will set (credentials in it masked).
    pub fn proxy_url(&self) -> Option<String> {
        self.proxy.as_deref().map(redact_proxy)
    }

    /// Sends every request to this endpoint instead of the regional one, e.g.
    /// `https://ecs.cn-hangzhou.aliyuncs.com` or the emulator's `http://127.0.0.1:PORT`
    /// (plain HTTP also needs [`allow_http`](Self::allow_http)). A bare host means HTTPS.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Uses the VPC endpoints (`https://ecs-vpc.<region>.aliyuncs.com`) when no endpoint is set.
    /// Default: off (public endpoints).
    pub fn vpc_endpoints(mut self, vpc: bool) -> Self {
        self.vpc = vpc;
        self
    }

    /// The response format to request. Default: [`Format::Json`]. Either decodes into the same
    /// model.
    pub fn format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// Static credentials. Default: read from the environment at each call
    /// ([`EnvironmentProvider`]).
    pub fn credentials(mut self, credentials: crate::credentials::Credentials) -> Self {
        self.credentials = Some(Arc::new(credentials));
        self
    }

    /// A credentials provider (for refreshing or custom sources).
    pub fn credentials_provider(mut self, provider: impl ProvideCredentials + 'static) -> Self {
        self.credentials = Some(Arc::new(provider));
        self
    }

    /// Connect timeout. Default 5 s. Ignored with a caller-supplied [`reqwest::Client`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Read timeout: the longest wait for the next bytes of a response. Default 11 s. Ignored
    /// with a caller-supplied [`reqwest::Client`].
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Limit on one attempt, from sending the request to the last body byte. Default 30 s.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// Limit on a whole call, across retries and backoff. Default 120 s.
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = timeout;
        self
    }

    /// Text appended to the `User-Agent` (which starts `aliyun-ecs-tasks/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Permits `http://` endpoints (the emulator, a local proxy). Default: off.
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// Uses this HTTP client (and its pool, proxy and TLS settings) instead of building one.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// The retry policy. Default: [`RetryConfig::default`] (3 attempts, 200 ms to 20 s full
    /// jitter backoff, 60 s budget).
    pub fn retry_config(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// The largest response body accepted. Default 16 MiB.
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.max_body_size = bytes;
        self
    }

    /// Validates the settings and builds the client (and its connection pool).
    pub fn build(self) -> Result<Client, Error> {
        let endpoint = match &self.endpoint {
            Some(e) => EndpointRule::Fixed(parse_endpoint(e, self.allow_http)?),
            None if self.vpc => EndpointRule::Vpc,
            None => EndpointRule::Public,
        };
        for (field, value) in [
            ("connect_timeout", self.connect_timeout),
            ("read_timeout", self.read_timeout),
            ("attempt_timeout", self.attempt_timeout),
            ("operation_timeout", self.operation_timeout),
        ] {
            if value.is_zero() {
                return Err(ValidationError::new(field, "0s", "a positive duration").into());
            }
        }
        if self.max_body_size == 0 {
            return Err(ValidationError::new("max_body_size", "0", "at least 1 byte").into());
        }
        let mut user_agent = format!(
            "aliyun-ecs-tasks/{} (rust; {})",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS
        );
        if let Some(extra) = &self.user_agent {
            user_agent.push(' ');
            user_agent.push_str(extra);
        }
        if reqwest::header::HeaderValue::from_str(&user_agent).is_err() {
            return Err(ValidationError::new(
                "user_agent",
                self.user_agent.unwrap_or_default(),
                "visible ASCII text",
            )
            .into());
        }
        let proxy = match &self.proxy {
            Some(url) => Some(
                reqwest::Proxy::all(url.as_str())
                    .map_err(|_| {
                        ValidationError::new(
                            "proxy",
                            redact_proxy(url),
                            "a URL such as http://proxy:3128",
                        )
                    })?
                    .no_proxy(
                        self.no_proxy
                            .as_deref()
                            .and_then(reqwest::NoProxy::from_string),
                    ),
            ),
            None => None,
        };
        let http = match self.http_client {
            Some(client) => client,
            None => {
                let mut builder = reqwest::Client::builder()
                    .connect_timeout(self.connect_timeout)
                    .read_timeout(self.read_timeout)
                    .pool_idle_timeout(Duration::from_secs(60))
                    .redirect(reqwest::redirect::Policy::none())
                    .https_only(!self.allow_http);
                if let Some(proxy) = proxy {
                    builder = builder.proxy(proxy);
                }
                builder.build().map_err(|e| {
                    transport::transport_error(e, (self.connect_timeout, self.read_timeout))
                })?
            }
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                endpoint,
                format: self.format,
                credentials: self
                    .credentials
                    .unwrap_or_else(|| Arc::new(EnvironmentProvider::new())),
                region: self.region,
                signature_version: self.signature_version,
                user_agent,
                budget: RetryBudget::new(self.retry.budget_capacity),
                retry: self.retry,
                connect_timeout: self.connect_timeout,
                read_timeout: self.read_timeout,
                attempt_timeout: self.attempt_timeout,
                operation_timeout: self.operation_timeout,
                max_body_size: self.max_body_size,
                clock_offset_ms: AtomicI64::new(0),
            }),
        })
    }
}

/// A proxy URL with any password masked.
fn redact_proxy(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("redacted"));
            parsed.to_string()
        }
        Ok(_) => url.to_owned(),
        Err(_) => "<unparsable proxy URL>".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_masks_raw_and_encoded_forms() {
        let token = "abc/+=def";
        let once = signer::percent_encode(token);
        let twice = signer::percent_encode(&once);
        let text = format!("x {token} y {once} z {twice}");
        let out = redact(&text, token);
        assert!(!out.contains(token));
        assert!(!out.contains(&once));
        assert!(!out.contains(&twice));
        assert_eq!(out.matches("** redacted **").count(), 3);
    }

    #[test]
    fn signature_mismatch_diagnosis() {
        let ours = "POST&%2F&A%3D1%26B%3D2";
        let same = format!("Specified signature is not matched with our calculation. server string to sign is:{ours}");
        assert!(diagnose_signature_mismatch(&same, ours).contains("secret is wrong"));
        let other = "Specified signature is not matched with our calculation. server string to sign is:POST&%2F&A%3D1%26B%3D3";
        let d = diagnose_signature_mismatch(other, ours);
        assert!(d.contains("encoding differs"), "{d}");
        assert!(d.contains("byte 21"), "{d}");
        assert!(diagnose_signature_mismatch("nope", ours).contains("did not echo"));
        // Never panics on multi-byte text near the difference.
        let _ =
            diagnose_signature_mismatch("server string to sign is:\u{4e2d}\u{4e2d}", "\u{4e2d}x");
    }

    #[test]
    fn builder_refuses_http_without_allow_http_and_zero_timeouts() {
        let e = Client::builder()
            .endpoint("http://127.0.0.1:1")
            .build()
            .unwrap_err();
        assert_eq!(e.validation_error().unwrap().field(), "endpoint");
        Client::builder()
            .endpoint("http://127.0.0.1:1")
            .allow_http(true)
            .build()
            .unwrap();
        let e = Client::builder()
            .attempt_timeout(Duration::ZERO)
            .build()
            .unwrap_err();
        assert_eq!(e.validation_error().unwrap().field(), "attempt_timeout");
        let e = Client::builder()
            .user_agent("bad\nagent")
            .build()
            .unwrap_err();
        assert_eq!(e.validation_error().unwrap().field(), "user_agent");
    }

    #[test]
    fn request_builder_uses_the_default_region() {
        let with = Client::builder().region("cn-shanghai").build().unwrap();
        assert_eq!(
            with.request_builder().build().unwrap().region_id(),
            "cn-shanghai"
        );
        let without = Client::builder().build().unwrap();
        assert_eq!(
            without.request_builder().build().unwrap_err().field(),
            "RegionId"
        );
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let c = Client::builder()
            .credentials(
                crate::credentials::Credentials::new("id", "SuperSecretValue")
                    .with_security_token("SuperSecretToken"),
            )
            .build()
            .unwrap();
        let text = format!(
            "{c:?} {:?}",
            Client::builder().credentials(crate::credentials::Credentials::new(
                "id",
                "SuperSecretValue"
            ))
        );
        assert!(!text.contains("SuperSecretValue"));
        assert!(!text.contains("SuperSecretToken"));
    }
}
