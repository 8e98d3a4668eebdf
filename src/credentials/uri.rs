//! [`CredentialsUriProvider`]: GET a URL that answers
//! `{"AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"}`
//! (`ALIBABA_CLOUD_CREDENTIALS_URI`, CLI mode `CredentialsURI`).

use futures::future::BoxFuture;

use super::sts::{parse_session, read_body};
use super::{Credentials, ProvideCredentials, ProviderContext};
use crate::error::CredentialsError;

/// The credentials URI variable.
pub const ENV_CREDENTIALS_URI: &str = "ALIBABA_CLOUD_CREDENTIALS_URI";

const NAME: &str = "credentials_uri";

/// Fetches credentials from a URL at every call: wrap it in a [`super::CachingProvider`] (the
/// chain does).
#[derive(Debug)]
pub struct CredentialsUriProvider {
    uri: String,
    ctx: ProviderContext,
}

impl CredentialsUriProvider {
    /// A provider for `uri`.
    pub fn new(uri: impl Into<String>, ctx: ProviderContext) -> Self {
        Self {
            uri: uri.into(),
            ctx,
        }
    }

    async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        let response = self.ctx.http().get(&self.uri).send().await.map_err(|e| {
            CredentialsError::new(NAME, format!("GET {}: {}", self.uri, e.without_url()))
        })?;
        let (status, body) = read_body(response, NAME).await?;
        if status != 200 {
            return Err(CredentialsError::new(
                NAME,
                format!("GET {} answered HTTP {status}", self.uri),
            ));
        }
        let value: serde_json::Value = serde_json::from_slice(&body).map_err(|_| {
            CredentialsError::new(
                NAME,
                format!("GET {} answered a body that is not JSON", self.uri),
            )
        })?;
        parse_session(&value, NAME)
    }
}

impl ProvideCredentials for CredentialsUriProvider {
    fn provide_credentials(&self) -> BoxFuture<'_, Result<Credentials, CredentialsError>> {
        Box::pin(self.fetch())
    }
}
