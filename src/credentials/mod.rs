//! Credentials and where they come from.
//!
//! [`Credentials`] holds an AccessKey pair and, for STS, a security token. Anything that can
//! produce credentials implements [`ProvideCredentials`]; a `Credentials` value provides itself,
//! and [`EnvironmentProvider`] reads `ALIBABA_CLOUD_ACCESS_KEY_ID`,
//! `ALIBABA_CLOUD_ACCESS_KEY_SECRET` and `ALIBABA_CLOUD_SECURITY_TOKEN`.
//!
//! The default chain ([`CredentialsChain::default_chain`]) looks where the official SDKs look,
//! in their order: the environment, OIDC (RRSA), the aliyun CLI's `~/.aliyun/config.json`, the
//! `~/.alibabacloud/credentials` INI file, the ECS instance RAM role (IMDS) and a credentials URI.
//! Expiring credentials are cached and refreshed early by [`CachingProvider`].
//!
//! Debug output of every type here masks the secret and the token.
//!
//! ```no_run
//! use aliyun_ecs_tasks::{Client, DescribeTasksRequest};
//!
//! # async fn run() -> Result<(), aliyun_ecs_tasks::Error> {
//! // Credentials, region, VPC endpoints and proxy as the aliyun CLI and the SDKs find them.
//! let client = Client::from_env()?;
//! let region = client.region().unwrap_or("cn-hangzhou").to_owned();
//! let page = client
//!     .describe_tasks(DescribeTasksRequest::builder().region_id(region).build()?)
//!     .await?;
//! # let _ = page; Ok(()) }
//! ```
//!
//! Tests inject the environment and the home directory instead of touching the process:
//!
//! ```
//! use aliyun_ecs_tasks::credentials::{CredentialsChain, ProviderContext};
//!
//! let ctx = ProviderContext::with_env(
//!     |name| (name == "ALIBABA_CLOUD_ACCESS_KEY_ID").then(|| "id".to_owned()),
//!     Some(std::env::temp_dir().join("no-such-home")),
//! )
//! .imds_endpoint("http://127.0.0.1:9");
//! let chain = CredentialsChain::default_chain(ctx);
//! assert!(chain.selected().is_none()); // nothing is read until credentials are needed
//! ```

pub mod cache;
pub mod chain;
pub mod context;
pub mod imds;
pub mod ini;
pub mod oidc;
pub mod profile;
mod secret;
pub mod sts;
pub mod uri;

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

use crate::error::CredentialsError;
pub use cache::CachingProvider;
pub use chain::{ChainLink, CredentialsChain};
pub use context::ProviderContext;
pub use imds::EcsRamRoleProvider;
pub use oidc::OidcProvider;
pub use secret::Secret;
pub use sts::{AssumeRoleSettings, RamRoleArnProvider};
pub use uri::CredentialsUriProvider;

/// An AccessKey pair, with an optional STS security token and expiry.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key_id: String,
    access_key_secret: Secret,
    security_token: Option<Secret>,
    expiration: Option<DateTime<Utc>>,
}

impl Credentials {
    /// Long-term credentials: an AccessKey id and its secret.
    pub fn new(access_key_id: impl Into<String>, access_key_secret: impl Into<String>) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            access_key_secret: Secret::new(access_key_secret),
            security_token: None,
            expiration: None,
        }
    }

    /// Adds an STS security token (sent as `SecurityToken`).
    pub fn with_security_token(mut self, token: impl Into<String>) -> Self {
        self.security_token = Some(Secret::new(token));
        self
    }

    /// Sets when these credentials stop working.
    pub fn with_expiration(mut self, expiration: DateTime<Utc>) -> Self {
        self.expiration = Some(expiration);
        self
    }

    /// Reads credentials from the process environment (see [`EnvironmentProvider`]).
    pub fn from_env() -> Result<Self, CredentialsError> {
        EnvironmentProvider::new().load()
    }

    /// The AccessKey id (not a secret; it appears in every request).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The AccessKey secret. Handle with care: never log it.
    pub fn access_key_secret(&self) -> &str {
        self.access_key_secret.expose()
    }

    /// The STS security token, when there is one. Never log it.
    pub fn security_token(&self) -> Option<&str> {
        self.security_token.as_ref().map(Secret::expose)
    }

    /// When the credentials expire, if they do.
    pub fn expiration(&self) -> Option<DateTime<Utc>> {
        self.expiration
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &self.access_key_secret)
            .field("security_token", &self.security_token)
            .field("expiration", &self.expiration)
            .finish()
    }
}

/// Something that can produce credentials, perhaps asynchronously (a file, a metadata service,
/// STS). The client asks before every attempt, so providers should cache.
pub trait ProvideCredentials: Send + Sync + fmt::Debug {
    /// Returns credentials valid for at least the next request.
    fn provide_credentials(&self) -> BoxFuture<'_, Result<Credentials, CredentialsError>>;

    /// Forgets any cached credentials, so the next call fetches fresh ones. The client calls it
    /// when the service rejects a token as expired (`InvalidSecurityToken.Expired`). Default:
    /// nothing to forget.
    fn invalidate(&self) {}
}

impl<T: ProvideCredentials + ?Sized> ProvideCredentials for Arc<T> {
    fn provide_credentials(&self) -> BoxFuture<'_, Result<Credentials, CredentialsError>> {
        (**self).provide_credentials()
    }

    fn invalidate(&self) {
        (**self).invalidate()
    }
}

/// A shared credentials provider, as the client holds it.
pub type SharedCredentialsProvider = Arc<dyn ProvideCredentials>;

impl ProvideCredentials for Credentials {
    fn provide_credentials(&self) -> BoxFuture<'_, Result<Credentials, CredentialsError>> {
        Box::pin(std::future::ready(Ok(self.clone())))
    }
}

/// How a provider reads environment variables; injectable so tests never touch the process
/// environment.
pub type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Environment variable holding the AccessKey id.
pub const ENV_ACCESS_KEY_ID: &str = "ALIBABA_CLOUD_ACCESS_KEY_ID";
/// Environment variable holding the AccessKey secret.
pub const ENV_ACCESS_KEY_SECRET: &str = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
/// Environment variable holding the STS security token.
pub const ENV_SECURITY_TOKEN: &str = "ALIBABA_CLOUD_SECURITY_TOKEN";

/// Reads credentials from `ALIBABA_CLOUD_ACCESS_KEY_ID`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET` and,
/// optionally, `ALIBABA_CLOUD_SECURITY_TOKEN`, at every call (so a rotated environment is seen).
#[derive(Clone)]
pub struct EnvironmentProvider {
    env: EnvLookup,
}

impl fmt::Debug for EnvironmentProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EnvironmentProvider")
    }
}

impl Default for EnvironmentProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl EnvironmentProvider {
    /// Reads the process environment.
    pub fn new() -> Self {
        Self {
            env: Arc::new(|name| std::env::var(name).ok()),
        }
    }

    /// Reads variables through `lookup` instead of the process environment.
    pub fn with_env(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Self {
            env: Arc::new(lookup),
        }
    }

    /// Loads the credentials now.
    pub fn load(&self) -> Result<Credentials, CredentialsError> {
        let get = |name: &str| (self.env)(name).filter(|v| !v.trim().is_empty());
        let id = get(ENV_ACCESS_KEY_ID);
        let secret = get(ENV_ACCESS_KEY_SECRET);
        match (id, secret) {
            (Some(id), Some(secret)) => {
                let mut creds = Credentials::new(id.trim(), secret.trim());
                if let Some(token) = get(ENV_SECURITY_TOKEN) {
                    creds = creds.with_security_token(token.trim());
                }
                Ok(creds)
            }
            (Some(_), None) => Err(CredentialsError::new(
                "environment",
                format!("{ENV_ACCESS_KEY_ID} is set but {ENV_ACCESS_KEY_SECRET} is not"),
            )),
            (None, Some(_)) => Err(CredentialsError::new(
                "environment",
                format!("{ENV_ACCESS_KEY_SECRET} is set but {ENV_ACCESS_KEY_ID} is not"),
            )),
            (None, None) => Err(CredentialsError::new(
                "environment",
                format!("{ENV_ACCESS_KEY_ID} and {ENV_ACCESS_KEY_SECRET} are not set"),
            )),
        }
    }
}

impl ProvideCredentials for EnvironmentProvider {
    fn provide_credentials(&self) -> BoxFuture<'_, Result<Credentials, CredentialsError>> {
        Box::pin(std::future::ready(self.load()))
    }
}

/// A warning when a credentials file can be read by its group or by others (Unix permission
/// bits `0o044`); `None` when it cannot or when permissions are unknown.
pub fn permission_warning(path: &std::path::Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode();
        if mode & 0o044 != 0 {
            return Some(format!(
                "credentials file {} is readable by group or others (mode {:o}); run chmod 600 on it",
                path.display(),
                mode & 0o777
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> EnvironmentProvider {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        EnvironmentProvider::with_env(move |k| map.get(k).cloned())
    }

    #[test]
    fn environment_provider_reads_the_three_variables() {
        let c = env(&[
            (ENV_ACCESS_KEY_ID, "id"),
            (ENV_ACCESS_KEY_SECRET, "sec"),
            (ENV_SECURITY_TOKEN, "tok"),
        ])
        .load()
        .unwrap();
        assert_eq!(c.access_key_id(), "id");
        assert_eq!(c.access_key_secret(), "sec");
        assert_eq!(c.security_token(), Some("tok"));
        let c = env(&[(ENV_ACCESS_KEY_ID, "id"), (ENV_ACCESS_KEY_SECRET, "sec")])
            .load()
            .unwrap();
        assert_eq!(c.security_token(), None);
    }

    #[test]
    fn environment_provider_says_what_is_missing() {
        let e = env(&[(ENV_ACCESS_KEY_ID, "id")]).load().unwrap_err();
        assert_eq!(e.provider(), "environment");
        assert!(e.message().contains(ENV_ACCESS_KEY_SECRET));
        let e = env(&[]).load().unwrap_err();
        assert!(e.message().contains("are not set"));
        let e = env(&[(ENV_ACCESS_KEY_ID, " "), (ENV_ACCESS_KEY_SECRET, "x")])
            .load()
            .unwrap_err();
        assert!(e.message().contains("is set but"));
    }

    #[test]
    fn debug_masks_secret_and_token() {
        let c = Credentials::new("LTAIexampleid", "TopSecretValue123")
            .with_security_token("TokenValue456");
        let text = format!("{c:?} {c:#?}");
        assert!(text.contains("LTAIexampleid"));
        assert!(!text.contains("TopSecretValue123"));
        assert!(!text.contains("TokenValue456"));
    }
}
