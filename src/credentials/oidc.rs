//! [`OidcProvider`]: `AssumeRoleWithOIDC` with a token read from a file at every refresh (RRSA
//! on ACK rotates the file).

use std::fmt;
use std::path::PathBuf;

use futures::future::BoxFuture;

use super::sts::{assume_role_with_oidc, AssumeRoleSettings};
use super::{Credentials, ProvideCredentials, ProviderContext};
use crate::error::CredentialsError;

/// The role to assume with OIDC.
pub const ENV_ROLE_ARN: &str = "ALIBABA_CLOUD_ROLE_ARN";
/// The OIDC provider ARN.
pub const ENV_OIDC_PROVIDER_ARN: &str = "ALIBABA_CLOUD_OIDC_PROVIDER_ARN";
/// The file holding the OIDC token.
pub const ENV_OIDC_TOKEN_FILE: &str = "ALIBABA_CLOUD_OIDC_TOKEN_FILE";
/// The session name for OIDC and RAM role sessions.
pub const ENV_ROLE_SESSION_NAME: &str = "ALIBABA_CLOUD_ROLE_SESSION_NAME";
/// The STS region.
pub const ENV_STS_REGION: &str = "ALIBABA_CLOUD_STS_REGION";
/// `true` to use VPC endpoints (STS and ECS).
pub const ENV_VPC_ENDPOINT_ENABLED: &str = "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED";

/// The largest token file read: 64 KiB.
const MAX_TOKEN_FILE: u64 = 64 * 1024;

/// Exchanges the OIDC token in a file for STS credentials. Fetches at every call: wrap it in a
/// [`super::CachingProvider`] (the chain does).
pub struct OidcProvider {
    settings: AssumeRoleSettings,
    oidc_provider_arn: String,
    token_file: PathBuf,
    ctx: ProviderContext,
}

impl fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcProvider")
            .field("settings", &self.settings)
            .field("oidc_provider_arn", &self.oidc_provider_arn)
            .field("token_file", &self.token_file)
            .finish()
    }
}

impl OidcProvider {
    /// A provider for `settings.role_arn`, trusting `oidc_provider_arn`, with the token in
    /// `token_file`.
    pub fn new(
        settings: AssumeRoleSettings,
        oidc_provider_arn: impl Into<String>,
        token_file: impl Into<PathBuf>,
        ctx: ProviderContext,
    ) -> Self {
        Self {
            settings,
            oidc_provider_arn: oidc_provider_arn.into(),
            token_file: token_file.into(),
            ctx,
        }
    }

    /// From `ALIBABA_CLOUD_ROLE_ARN`, `ALIBABA_CLOUD_OIDC_PROVIDER_ARN` and
    /// `ALIBABA_CLOUD_OIDC_TOKEN_FILE` (plus the optional session name, STS region and VPC
    /// flag): `Ok(None)` when none of the three is set, an error when only some are.
    pub fn from_env(ctx: &ProviderContext) -> Result<Option<Self>, CredentialsError> {
        let vars = [ENV_ROLE_ARN, ENV_OIDC_PROVIDER_ARN, ENV_OIDC_TOKEN_FILE];
        let values: Vec<Option<String>> = vars.iter().map(|v| ctx.var(v)).collect();
        if values.iter().all(Option::is_none) {
            return Ok(None);
        }
        let missing: Vec<&str> = vars
            .iter()
            .zip(&values)
            .filter(|(_, v)| v.is_none())
            .map(|(n, _)| *n)
            .collect();
        if !missing.is_empty() {
            return Err(CredentialsError::new(
                "oidc",
                format!(
                    "{} not set (the OIDC variables go together)",
                    missing.join(", ")
                ),
            ));
        }
        let [Some(role), Some(provider), Some(file)] =
            <[Option<String>; 3]>::try_from(values).unwrap_or([None, None, None])
        else {
            return Ok(None);
        };
        let settings = AssumeRoleSettings::new(role)
            .session_name(ctx.var(ENV_ROLE_SESSION_NAME).unwrap_or_default())
            .sts_region(ctx.var(ENV_STS_REGION), ctx.flag(ENV_VPC_ENDPOINT_ENABLED));
        Ok(Some(Self::new(settings, provider, file, ctx.clone())))
    }

    async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        let token = read_token(&self.token_file).await?;
        assume_role_with_oidc(&self.ctx, &self.settings, &self.oidc_provider_arn, &token).await
    }
}

async fn read_token(path: &std::path::Path) -> Result<String, CredentialsError> {
    let err = |what: String| CredentialsError::new("oidc", what);
    let meta = std::fs::metadata(path).map_err(|e| {
        err(format!(
            "cannot read the OIDC token file {}: {e}",
            path.display()
        ))
    })?;
    if meta.len() > MAX_TOKEN_FILE {
        return Err(err(format!(
            "the OIDC token file {} is too large",
            path.display()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| {
        err(format!(
            "cannot read the OIDC token file {}: {e}",
            path.display()
        ))
    })?;
    let token = String::from_utf8(bytes).map_err(|_| {
        err(format!(
            "the OIDC token file {} is not UTF-8",
            path.display()
        ))
    })?;
    let token = token.trim().to_owned();
    if token.is_empty() {
        return Err(err(format!(
            "the OIDC token file {} is empty",
            path.display()
        )));
    }
    Ok(token)
}

impl ProvideCredentials for OidcProvider {
    fn provide_credentials(&self) -> BoxFuture<'_, Result<Credentials, CredentialsError>> {
        Box::pin(self.fetch())
    }
}
