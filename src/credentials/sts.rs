//! STS: `AssumeRole` (signed with the source credentials, their token included) and
//! `AssumeRoleWithOIDC` (unsigned), API version `2015-04-01`, and [`RamRoleArnProvider`].
//!
//! Endpoints: `https://sts.aliyuncs.com` by default, `https://sts.<region>.aliyuncs.com` with an
//! STS region, `https://sts-vpc.<region>.aliyuncs.com` with an STS region and VPC endpoints, or
//! the context's override ([`ProviderContext::sts_endpoint`]).

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde::Deserialize;

use super::{Credentials, ProvideCredentials, ProviderContext, SharedCredentialsProvider};
use crate::error::CredentialsError;
use crate::signer;

/// The STS API version.
pub const STS_VERSION: &str = "2015-04-01";
/// The default session lifetime asked for: 3600 s.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(3600);
/// The shortest session STS grants: 900 s.
pub const MIN_DURATION: Duration = Duration::from_secs(900);

/// The largest STS response body read.
const MAX_BODY: usize = 1024 * 1024;

/// The STS base URL for an optional region, with or without VPC.
pub fn sts_endpoint(region: Option<&str>, vpc: bool) -> String {
    match region {
        Some(r) if vpc => format!("https://sts-vpc.{r}.aliyuncs.com"),
        Some(r) => format!("https://sts.{r}.aliyuncs.com"),
        None => "https://sts.aliyuncs.com".to_owned(),
    }
}

/// What an assumed-role session asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRoleSettings {
    /// The role to assume, `acs:ram::<account>:role/<name>`.
    pub role_arn: String,
    /// The session name (default `aliyun-ecs-tasks-<unix ms>`).
    pub session_name: String,
    /// The session lifetime. Default 3600 s; at least 900 s.
    pub duration: Duration,
    /// An optional policy narrowing the role's permissions (JSON).
    pub policy: Option<String>,
    /// An optional external id (AssumeRole only).
    pub external_id: Option<String>,
    /// The STS region (`None`: the central endpoint).
    pub sts_region: Option<String>,
    /// Whether to use the STS VPC endpoint (needs a region).
    pub vpc: bool,
}

impl AssumeRoleSettings {
    /// Settings for `role_arn` with the defaults.
    pub fn new(role_arn: impl Into<String>) -> Self {
        Self {
            role_arn: role_arn.into(),
            session_name: default_session_name(),
            duration: DEFAULT_DURATION,
            policy: None,
            external_id: None,
            sts_region: None,
            vpc: false,
        }
    }

    /// Sets the session name (empty keeps the default).
    pub fn session_name(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        if !name.trim().is_empty() {
            self.session_name = name;
        }
        self
    }

    /// Sets the session lifetime.
    pub fn duration(mut self, duration: Duration) -> Self {
        self.duration = duration;
        self
    }

    /// Sets the policy (empty means none).
    pub fn policy(mut self, policy: impl Into<String>) -> Self {
        self.policy = Some(policy.into()).filter(|p| !p.trim().is_empty());
        self
    }

    /// Sets the external id (empty means none).
    pub fn external_id(mut self, id: impl Into<String>) -> Self {
        self.external_id = Some(id.into()).filter(|p| !p.trim().is_empty());
        self
    }

    /// Sets the STS region (empty means the central endpoint) and the VPC choice.
    pub fn sts_region(mut self, region: Option<String>, vpc: bool) -> Self {
        self.sts_region = region.filter(|r| !r.trim().is_empty());
        self.vpc = vpc;
        self
    }

    fn validate(&self, provider: &'static str) -> Result<(), CredentialsError> {
        if self.role_arn.trim().is_empty() {
            return Err(CredentialsError::new(provider, "the role ARN is empty"));
        }
        if self.duration < MIN_DURATION {
            return Err(CredentialsError::new(
                provider,
                format!(
                    "session duration {} s is below the minimum of 900 s",
                    self.duration.as_secs()
                ),
            ));
        }
        Ok(())
    }

    fn base_url(&self, ctx: &ProviderContext) -> String {
        ctx.sts_endpoint
            .clone()
            .unwrap_or_else(|| sts_endpoint(self.sts_region.as_deref(), self.vpc))
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![
            ("RoleArn", self.role_arn.clone()),
            ("RoleSessionName", self.session_name.clone()),
            ("DurationSeconds", self.duration.as_secs().to_string()),
        ];
        if let Some(p) = &self.policy {
            out.push(("Policy", p.clone()));
        }
        out
    }
}

/// `aliyun-ecs-tasks-<unix ms>`.
pub fn default_session_name() -> String {
    format!("aliyun-ecs-tasks-{}", Utc::now().timestamp_millis())
}

/// The credential fields STS, IMDS and credentials URIs return.
#[derive(Deserialize)]
struct SessionJson {
    #[serde(rename = "AccessKeyId")]
    access_key_id: Option<String>,
    #[serde(rename = "AccessKeySecret")]
    access_key_secret: Option<String>,
    #[serde(rename = "SecurityToken")]
    security_token: Option<String>,
    #[serde(rename = "Expiration")]
    expiration: Option<String>,
}

/// Parses `{"AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"}` (all required);
/// never echoes the body (it holds secrets).
pub(crate) fn parse_session(
    value: &serde_json::Value,
    provider: &'static str,
) -> Result<Credentials, CredentialsError> {
    let s: SessionJson = serde_json::from_value(value.clone()).map_err(|e| {
        CredentialsError::new(
            provider,
            format!("unexpected credentials JSON ({})", e.classify_name()),
        )
    })?;
    let (Some(id), Some(secret), Some(token), Some(exp)) = (
        s.access_key_id,
        s.access_key_secret,
        s.security_token,
        s.expiration,
    ) else {
        return Err(CredentialsError::new(
            provider,
            "the response lacks AccessKeyId, AccessKeySecret, SecurityToken or Expiration",
        ));
    };
    let expiration = DateTime::parse_from_rfc3339(exp.trim())
        .map_err(|_| {
            CredentialsError::new(
                provider,
                format!("Expiration {exp:?} is not an RFC 3339 time"),
            )
        })?
        .with_timezone(&Utc);
    Ok(Credentials::new(id, secret)
        .with_security_token(token)
        .with_expiration(expiration))
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "wrong field types",
            serde_json::error::Category::Eof => "truncated",
        }
    }
}

/// Reads a response body of at most [`MAX_BODY`] bytes.
pub(crate) async fn read_body(
    response: reqwest::Response,
    provider: &'static str,
) -> Result<(u16, Vec<u8>), CredentialsError> {
    let status = response.status().as_u16();
    let mut response = response;
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| {
        CredentialsError::new(
            provider,
            format!("reading the response: {}", e.without_url()),
        )
    })? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(CredentialsError::new(
                provider,
                "the response body is too large",
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((status, body))
}

/// Sends one STS action as a form POST and returns the session credentials.
async fn call_sts(
    ctx: &ProviderContext,
    base_url: &str,
    form: String,
    provider: &'static str,
    action: &str,
    secrets: &[&str],
) -> Result<Credentials, CredentialsError> {
    let response = ctx
        .http()
        .post(format!("{base_url}/"))
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(form)
        .send()
        .await
        .map_err(|e| {
            CredentialsError::new(provider, format!("STS {action}: {}", e.without_url()))
        })?;
    let (status, body) = read_body(response, provider).await?;
    let value: serde_json::Value = serde_json::from_slice(&body).map_err(|_| {
        CredentialsError::new(
            provider,
            format!("STS {action}: HTTP {status} with a body that is not JSON"),
        )
    })?;
    if !(200..300).contains(&status) {
        let field = |n: &str| value.get(n).and_then(|v| v.as_str()).unwrap_or("");
        let mut message = format!(
            "STS {action} failed: HTTP {status} {}: {} [RequestId: {}]",
            field("Code"),
            field("Message"),
            field("RequestId")
        );
        for secret in secrets {
            message = crate::client::redact(&message, secret);
        }
        return Err(CredentialsError::new(provider, message));
    }
    let creds = value.get("Credentials").ok_or_else(|| {
        CredentialsError::new(
            provider,
            format!("STS {action}: the response has no Credentials"),
        )
    })?;
    parse_session(creds, provider)
}

fn encode_form(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        signer::percent_encode_into(&mut out, k);
        out.push('=');
        signer::percent_encode_into(&mut out, v);
    }
    out
}

/// Calls `AssumeRole` signed (signature v1) with `source`, its security token included.
pub async fn assume_role(
    ctx: &ProviderContext,
    settings: &AssumeRoleSettings,
    source: &Credentials,
) -> Result<Credentials, CredentialsError> {
    const NAME: &str = "ram_role_arn";
    settings.validate(NAME)?;
    let timestamp = signer::format_timestamp(Utc::now());
    let nonce = crate::signer::new_nonce();
    let common = signer::CommonParams {
        action: "AssumeRole",
        version: STS_VERSION,
        format: "JSON",
        access_key_id: source.access_key_id(),
        security_token: source.security_token(),
        timestamp: &timestamp,
        nonce: &nonce,
    };
    let mut own = settings.params();
    if let Some(id) = &settings.external_id {
        own.push(("ExternalId", id.clone()));
    }
    let own: Vec<(&str, &str)> = own.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let signed = signer::sign_rpc("POST", &common, &own, source.access_key_secret());
    let mut secrets = vec![source.access_key_secret()];
    secrets.extend(source.security_token());
    call_sts(
        ctx,
        &settings.base_url(ctx),
        signed.query,
        NAME,
        "AssumeRole",
        &secrets,
    )
    .await
}

/// Calls `AssumeRoleWithOIDC` (unsigned) with `oidc_token`.
pub async fn assume_role_with_oidc(
    ctx: &ProviderContext,
    settings: &AssumeRoleSettings,
    oidc_provider_arn: &str,
    oidc_token: &str,
) -> Result<Credentials, CredentialsError> {
    const NAME: &str = "oidc";
    settings.validate(NAME)?;
    let timestamp = signer::format_timestamp(Utc::now());
    let own = settings.params();
    let mut pairs: Vec<(&str, &str)> = vec![
        ("Action", "AssumeRoleWithOIDC"),
        ("Version", STS_VERSION),
        ("Format", "JSON"),
        ("Timestamp", &timestamp),
        ("OIDCProviderArn", oidc_provider_arn),
        ("OIDCToken", oidc_token),
    ];
    pairs.extend(own.iter().map(|(k, v)| (*k, v.as_str())));
    call_sts(
        ctx,
        &settings.base_url(ctx),
        encode_form(&pairs),
        NAME,
        "AssumeRoleWithOIDC",
        &[oidc_token],
    )
    .await
}

/// Assumes a RAM role with credentials from a source provider (modes `RamRoleArn` and
/// `ChainableRamRoleArn`, INI type `ram_role_arn`). Fetches at every call: wrap it in a
/// [`super::CachingProvider`] (the chain does).
pub struct RamRoleArnProvider {
    source: SharedCredentialsProvider,
    settings: AssumeRoleSettings,
    ctx: ProviderContext,
}

impl fmt::Debug for RamRoleArnProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RamRoleArnProvider")
            .field("source", &self.source)
            .field("settings", &self.settings)
            .finish()
    }
}

impl RamRoleArnProvider {
    /// Assumes `settings.role_arn` with credentials from `source`.
    pub fn new(
        source: SharedCredentialsProvider,
        settings: AssumeRoleSettings,
        ctx: ProviderContext,
    ) -> Self {
        Self {
            source,
            settings,
            ctx,
        }
    }
}

impl ProvideCredentials for RamRoleArnProvider {
    fn provide_credentials(&self) -> BoxFuture<'_, Result<Credentials, CredentialsError>> {
        Box::pin(async move {
            let source = self.source.provide_credentials().await?;
            assume_role(&self.ctx, &self.settings, &source).await
        })
    }

    fn invalidate(&self) {
        self.source.invalidate();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_follow_region_and_vpc() {
        assert_eq!(sts_endpoint(None, false), "https://sts.aliyuncs.com");
        assert_eq!(sts_endpoint(None, true), "https://sts.aliyuncs.com");
        assert_eq!(
            sts_endpoint(Some("cn-hangzhou"), false),
            "https://sts.cn-hangzhou.aliyuncs.com"
        );
        assert_eq!(
            sts_endpoint(Some("cn-hangzhou"), true),
            "https://sts-vpc.cn-hangzhou.aliyuncs.com"
        );
    }

    #[test]
    fn session_parsing_is_strict_and_never_echoes_secrets() {
        let ok = serde_json::json!({
            "AccessKeyId": "STS.id", "AccessKeySecret": "SecretX", "SecurityToken": "TokenX",
            "Expiration": "2015-04-09T11:52:19Z"
        });
        let c = parse_session(&ok, "t").unwrap();
        assert_eq!(c.security_token(), Some("TokenX"));
        assert_eq!(
            c.expiration().unwrap().to_rfc3339(),
            "2015-04-09T11:52:19+00:00"
        );
        let missing = serde_json::json!({"AccessKeyId": "a", "AccessKeySecret": "SecretX"});
        let e = parse_session(&missing, "t").unwrap_err();
        assert!(!e.to_string().contains("SecretX"));
        let bad = serde_json::json!({
            "AccessKeyId": 1, "AccessKeySecret": "SecretX", "SecurityToken": "TokenX",
            "Expiration": "x"
        });
        let e = parse_session(&bad, "t").unwrap_err();
        assert!(!e.to_string().contains("SecretX") && !e.to_string().contains("TokenX"));
    }

    #[test]
    fn settings_validate_duration_and_arn() {
        let s = AssumeRoleSettings::new("acs:ram::1:role/r").duration(Duration::from_secs(10));
        assert!(s.validate("x").unwrap_err().message().contains("900"));
        assert!(AssumeRoleSettings::new(" ").validate("x").is_err());
        let s = AssumeRoleSettings::new("a").session_name("");
        assert!(s.session_name.starts_with("aliyun-ecs-tasks-"));
        assert_eq!(s.duration, DEFAULT_DURATION);
    }
}
