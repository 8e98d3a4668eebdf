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
/// chain does). Debug output and errors show the URL without its query (which may hold a
/// token).
pub struct CredentialsUriProvider {
    uri: String,
    ctx: ProviderContext,
}

impl std::fmt::Debug for CredentialsUriProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialsUriProvider")
            .field("uri", &self.shown())
            .finish_non_exhaustive()
    }
}

impl CredentialsUriProvider {
    /// A provider for `uri`.
    pub fn new(uri: impl Into<String>, ctx: ProviderContext) -> Self {
        Self {
            uri: uri.into(),
            ctx,
        }
    }

    /// The URL without query or fragment.
    fn shown(&self) -> &str {
        self.uri.split(['?', '#']).next().unwrap_or("")
    }

    async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        let response = self.ctx.http().get(&self.uri).send().await.map_err(|e| {
            CredentialsError::new(NAME, format!("GET {}: {}", self.shown(), e.without_url()))
        })?;
        let (status, body) = read_body(response, NAME).await?;
        if status != 200 {
            return Err(CredentialsError::new(
                NAME,
                format!("GET {} answered HTTP {status}", self.shown()),
            ));
        }
        let value: serde_json::Value = serde_json::from_slice(&body).map_err(|_| {
            CredentialsError::new(
                NAME,
                format!("GET {} answered a body that is not JSON", self.shown()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_query() {
        let p = CredentialsUriProvider::new(
            "http://127.0.0.1:1/creds?token=QueryTokenValue",
            ProviderContext::with_env(|_| None, None),
        );
        let text = format!("{p:?}");
        assert!(text.contains("127.0.0.1:1/creds"), "{text}");
        assert!(!text.contains("QueryTokenValue"), "{text}");
    }
}
