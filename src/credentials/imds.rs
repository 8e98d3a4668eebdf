//! [`EcsRamRoleProvider`]: the RAM role of the ECS instance, from the metadata service.
//!
//! IMDSv2 first: `PUT /latest/api/token` with `X-aliyun-ecs-metadata-token-ttl-seconds`, then
//! every GET carries `X-aliyun-ecs-metadata-token`. When the token cannot be had, the provider
//! falls back to IMDSv1 (plain GETs) unless v1 is disabled. Without a configured role name, the
//! role is discovered from `GET /latest/meta-data/ram/security-credentials/`. The credentials
//! (`GET .../security-credentials/<role>`) must carry `Code == "Success"`. Every request has a
//! 1 s connect and read timeout by default.

use futures::future::BoxFuture;

use super::sts::{parse_session, read_body};
use super::{Credentials, ProvideCredentials, ProviderContext};
use crate::error::CredentialsError;

/// The role name (skips discovery).
pub const ENV_ECS_METADATA: &str = "ALIBABA_CLOUD_ECS_METADATA";
/// `true` turns the provider off.
pub const ENV_ECS_METADATA_DISABLED: &str = "ALIBABA_CLOUD_ECS_METADATA_DISABLED";
/// `true` forbids the IMDSv1 fallback.
pub const ENV_IMDSV1_DISABLED: &str = "ALIBABA_CLOUD_IMDSV1_DISABLED";

/// The path of the IMDSv2 token.
pub const TOKEN_PATH: &str = "/latest/api/token";
/// The path listing the role, and prefix of the credentials path.
pub const CREDENTIALS_PATH: &str = "/latest/meta-data/ram/security-credentials/";
/// The header carrying the IMDSv2 token.
pub const TOKEN_HEADER: &str = "X-aliyun-ecs-metadata-token";
/// The header asking for a token lifetime.
pub const TOKEN_TTL_HEADER: &str = "X-aliyun-ecs-metadata-token-ttl-seconds";
/// The token lifetime asked for: 21600 s (6 hours).
pub const TOKEN_TTL_SECONDS: u32 = 21_600;

const NAME: &str = "ecs_ram_role";

/// Why a fetch failed: the service could not be reached at all (not on ECS), or it answered
/// badly.
#[derive(Debug)]
pub(crate) enum ImdsFailure {
    Unreachable(CredentialsError),
    Failed(CredentialsError),
}

impl ImdsFailure {
    pub(crate) fn into_error(self) -> CredentialsError {
        match self {
            ImdsFailure::Unreachable(e) | ImdsFailure::Failed(e) => e,
        }
    }
}

/// The ECS instance RAM role. Fetches at every call: wrap it in a [`super::CachingProvider`]
/// (the chain does).
#[derive(Debug)]
pub struct EcsRamRoleProvider {
    role_name: Option<String>,
    disable_v1: bool,
    ctx: ProviderContext,
}

impl EcsRamRoleProvider {
    /// A provider for `role_name` (`None`: discover it), reading the metadata service at the
    /// context's IMDS endpoint; IMDSv1 fallback as `ALIBABA_CLOUD_IMDSV1_DISABLED` says.
    pub fn new(role_name: Option<String>, ctx: ProviderContext) -> Self {
        let disable_v1 = ctx.flag(ENV_IMDSV1_DISABLED);
        Self {
            role_name: role_name.filter(|r| !r.trim().is_empty()),
            disable_v1,
            ctx,
        }
    }

    /// Forbids (or allows) the IMDSv1 fallback.
    pub fn disable_imds_v1(mut self, disable: bool) -> Self {
        self.disable_v1 = disable;
        self
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.ctx.imds_endpoint)
    }

    async fn token(&self, http: &reqwest::Client) -> Result<Option<String>, ImdsFailure> {
        let sent = http
            .put(self.url(TOKEN_PATH))
            .header(TOKEN_TTL_HEADER, TOKEN_TTL_SECONDS.to_string())
            .send()
            .await;
        let failure = match sent {
            Ok(response) => {
                let (status, body) = read_body(response, NAME)
                    .await
                    .map_err(ImdsFailure::Failed)?;
                match String::from_utf8(body) {
                    Ok(token) if status == 200 && !token.trim().is_empty() => {
                        return Ok(Some(token.trim().to_owned()))
                    }
                    _ => ImdsFailure::Failed(CredentialsError::new(
                        NAME,
                        format!("the IMDSv2 token request answered HTTP {status}"),
                    )),
                }
            }
            Err(e) => ImdsFailure::Unreachable(CredentialsError::new(
                NAME,
                format!("the metadata service did not answer: {}", e.without_url()),
            )),
        };
        if self.disable_v1 {
            Err(failure)
        } else {
            match failure {
                // Not reachable at all: v1 will not do better.
                ImdsFailure::Unreachable(e) => Err(ImdsFailure::Unreachable(e)),
                ImdsFailure::Failed(_) => Ok(None),
            }
        }
    }

    async fn get(
        &self,
        http: &reqwest::Client,
        path: &str,
        token: Option<&str>,
    ) -> Result<Vec<u8>, ImdsFailure> {
        let mut request = http.get(self.url(path));
        if let Some(token) = token {
            request = request.header(TOKEN_HEADER, token);
        }
        let response = request.send().await.map_err(|e| {
            ImdsFailure::Unreachable(CredentialsError::new(
                NAME,
                format!("GET {path}: {}", e.without_url()),
            ))
        })?;
        let (status, body) = read_body(response, NAME)
            .await
            .map_err(ImdsFailure::Failed)?;
        if status != 200 {
            return Err(ImdsFailure::Failed(CredentialsError::new(
                NAME,
                format!("GET {path} answered HTTP {status}"),
            )));
        }
        Ok(body)
    }

    /// Fetches, telling an unreachable service apart from a failing one.
    pub(crate) async fn fetch_detailed(&self) -> Result<Credentials, ImdsFailure> {
        let http = self.ctx.imds_http();
        let token = self.token(&http).await?;
        let role = match &self.role_name {
            Some(r) => r.clone(),
            None => {
                let body = self.get(&http, CREDENTIALS_PATH, token.as_deref()).await?;
                let text = String::from_utf8_lossy(&body);
                let role = text.lines().next().unwrap_or("").trim().to_owned();
                if role.is_empty() {
                    return Err(ImdsFailure::Failed(CredentialsError::new(
                        NAME,
                        "the instance has no RAM role attached",
                    )));
                }
                role
            }
        };
        let path = format!("{CREDENTIALS_PATH}{role}");
        let body = self.get(&http, &path, token.as_deref()).await?;
        let value: serde_json::Value = serde_json::from_slice(&body).map_err(|_| {
            ImdsFailure::Failed(CredentialsError::new(NAME, "the credentials are not JSON"))
        })?;
        let code = value.get("Code").and_then(|c| c.as_str()).unwrap_or("");
        if code != "Success" {
            return Err(ImdsFailure::Failed(CredentialsError::new(
                NAME,
                format!("the metadata service answered Code {code:?} for role {role}"),
            )));
        }
        parse_session(&value, NAME).map_err(ImdsFailure::Failed)
    }
}

impl ProvideCredentials for EcsRamRoleProvider {
    fn provide_credentials(&self) -> BoxFuture<'_, Result<Credentials, CredentialsError>> {
        Box::pin(async move { self.fetch_detailed().await.map_err(ImdsFailure::into_error) })
    }
}
