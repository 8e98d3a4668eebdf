//! [`CredentialsChain`]: the default credentials chain, in the official order.
//!
//! 1. [`ChainLink::Environment`] — `ALIBABA_CLOUD_ACCESS_KEY_ID`, `..._SECRET`, `..._SECURITY_TOKEN`;
//! 2. [`ChainLink::Oidc`] — `ALIBABA_CLOUD_ROLE_ARN`, `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`,
//!    `ALIBABA_CLOUD_OIDC_TOKEN_FILE`;
//! 3. [`ChainLink::CliProfile`] — `~/.aliyun/config.json`;
//! 4. [`ChainLink::CredentialsFile`] — `~/.alibabacloud/credentials`;
//! 5. [`ChainLink::EcsRamRole`] — the instance metadata service;
//! 6. [`ChainLink::CredentialsUri`] — `ALIBABA_CLOUD_CREDENTIALS_URI`.
//!
//! The chain moves on only when a link has nothing configured (no variables, no file, no such
//! profile, no metadata service answering). A link that is configured but fails stops the chain
//! with an error naming it. When nothing is found, the error lists what was tried and why each
//! was skipped. The first link that works is kept for the life of the chain.

use std::fmt;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;

use super::imds::{ImdsFailure, ENV_ECS_METADATA, ENV_ECS_METADATA_DISABLED};
use super::ini::IniProfile;
use super::profile::CliProfile;
use super::uri::ENV_CREDENTIALS_URI;
use super::{
    CachingProvider, Credentials, CredentialsUriProvider, EcsRamRoleProvider, EnvironmentProvider,
    OidcProvider, ProvideCredentials, ProviderContext, SharedCredentialsProvider,
    ENV_ACCESS_KEY_ID, ENV_ACCESS_KEY_SECRET,
};
use crate::error::CredentialsError;

/// Wraps a fetching provider in a [`CachingProvider`] that uses the context's clock.
pub(crate) fn cached(
    ctx: &ProviderContext,
    provider: impl ProvideCredentials + 'static,
) -> SharedCredentialsProvider {
    Arc::new(CachingProvider::new(provider).clock(Arc::clone(&ctx.clock)))
}

/// One place the chain looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChainLink {
    /// Environment variables.
    Environment,
    /// OIDC from environment variables (STS `AssumeRoleWithOIDC`).
    Oidc,
    /// The aliyun CLI config file.
    CliProfile,
    /// The shared credentials INI file.
    CredentialsFile,
    /// The ECS instance RAM role (IMDS).
    EcsRamRole,
    /// A credentials URI from `ALIBABA_CLOUD_CREDENTIALS_URI`.
    CredentialsUri,
}

impl ChainLink {
    /// The official order.
    pub const DEFAULT_ORDER: [ChainLink; 6] = [
        ChainLink::Environment,
        ChainLink::Oidc,
        ChainLink::CliProfile,
        ChainLink::CredentialsFile,
        ChainLink::EcsRamRole,
        ChainLink::CredentialsUri,
    ];

    /// The name used in errors: `environment`, `oidc`, `cli_profile`, `credentials_file`,
    /// `ecs_ram_role`, `credentials_uri`.
    pub fn name(&self) -> &'static str {
        match self {
            ChainLink::Environment => "environment",
            ChainLink::Oidc => "oidc",
            ChainLink::CliProfile => "cli_profile",
            ChainLink::CredentialsFile => "credentials_file",
            ChainLink::EcsRamRole => "ecs_ram_role",
            ChainLink::CredentialsUri => "credentials_uri",
        }
    }
}

enum Resolution {
    NotConfigured(String),
    Provider(SharedCredentialsProvider),
    /// Configured, and the first credentials already fetched.
    Loaded(SharedCredentialsProvider, Credentials),
}

/// Names a failure after the link that failed, keeping the message.
fn named(link: &str, e: CredentialsError) -> CredentialsError {
    if e.provider() == link {
        e
    } else {
        CredentialsError::new(
            link.to_owned(),
            format!("{}: {}", e.provider(), e.message()),
        )
    }
}

/// A chain of credential sources; see the module docs.
pub struct CredentialsChain {
    ctx: ProviderContext,
    links: Vec<ChainLink>,
    selected: tokio::sync::OnceCell<(&'static str, SharedCredentialsProvider)>,
    warnings: Mutex<Vec<String>>,
}

impl fmt::Debug for CredentialsChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialsChain")
            .field("links", &self.links)
            .field("selected", &self.selected.get())
            .field("context", &self.ctx)
            .finish()
    }
}

impl CredentialsChain {
    /// The official chain over the process environment and real home directory.
    pub fn from_env() -> Self {
        Self::default_chain(ProviderContext::from_process())
    }

    /// The official chain over `ctx`.
    pub fn default_chain(ctx: ProviderContext) -> Self {
        Self::new(ctx, ChainLink::DEFAULT_ORDER)
    }

    /// A chain of these links, in this order, over `ctx`.
    pub fn new(ctx: ProviderContext, links: impl IntoIterator<Item = ChainLink>) -> Self {
        Self {
            ctx,
            links: links.into_iter().collect(),
            selected: tokio::sync::OnceCell::new(),
            warnings: Mutex::new(Vec::new()),
        }
    }

    /// The name of the link in use, once one was chosen.
    pub fn selected(&self) -> Option<&'static str> {
        self.selected.get().map(|(name, _)| *name)
    }

    /// Warnings met while looking (a credentials file readable by group or others). Each is
    /// also written once to standard error.
    pub fn warnings(&self) -> Vec<String> {
        self.warnings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn warn(&self, warning: Option<&str>) {
        if let Some(w) = warning {
            let mut all = self.warnings.lock().unwrap_or_else(|p| p.into_inner());
            if !all.iter().any(|x| x == w) {
                eprintln!("aliyun-ecs-tasks: warning: {w}");
                all.push(w.to_owned());
            }
        }
    }

    async fn resolve(&self, link: ChainLink) -> Result<Resolution, CredentialsError> {
        let ctx = &self.ctx;
        match link {
            ChainLink::Environment => {
                if ctx.var(ENV_ACCESS_KEY_ID).is_none() && ctx.var(ENV_ACCESS_KEY_SECRET).is_none()
                {
                    return Ok(Resolution::NotConfigured(format!(
                        "{ENV_ACCESS_KEY_ID} not set"
                    )));
                }
                let env = EnvironmentProvider {
                    env: ctx.env_lookup(),
                };
                Ok(Resolution::Provider(Arc::new(env)))
            }
            ChainLink::Oidc => Ok(match OidcProvider::from_env(ctx)? {
                None => Resolution::NotConfigured("ALIBABA_CLOUD_ROLE_ARN not set".into()),
                Some(p) => Resolution::Provider(cached(ctx, p)),
            }),
            ChainLink::CliProfile => match CliProfile::load(ctx)? {
                None => Ok(Resolution::NotConfigured(
                    match CliProfile::config_path(ctx) {
                        Some((path, _)) => format!("no profile in {}", path.display()),
                        None => "no home directory".into(),
                    },
                )),
                Some(profile) => {
                    self.warn(profile.warning());
                    Ok(Resolution::Provider(profile.provider(ctx)?))
                }
            },
            ChainLink::CredentialsFile => match IniProfile::load(ctx)? {
                None => Ok(Resolution::NotConfigured(
                    match IniProfile::file_path(ctx) {
                        Some((path, _)) => format!("no profile in {}", path.display()),
                        None => "no home directory".into(),
                    },
                )),
                Some(profile) => {
                    self.warn(profile.warning());
                    Ok(Resolution::Provider(profile.provider(ctx)?))
                }
            },
            ChainLink::EcsRamRole => {
                if ctx.flag(ENV_ECS_METADATA_DISABLED) {
                    return Ok(Resolution::NotConfigured(format!(
                        "{ENV_ECS_METADATA_DISABLED} is true"
                    )));
                }
                let role = ctx.var(ENV_ECS_METADATA);
                let explicit = role.is_some();
                let raw = EcsRamRoleProvider::new(role, ctx.clone());
                match raw.fetch_detailed().await {
                    Ok(creds) => {
                        let cache = CachingProvider::new(raw).clock(Arc::clone(&ctx.clock));
                        cache.seed(creds.clone());
                        Ok(Resolution::Loaded(Arc::new(cache), creds))
                    }
                    Err(ImdsFailure::Unreachable(e)) if !explicit => {
                        Ok(Resolution::NotConfigured(format!(
                            "no metadata service at {} ({})",
                            ctx.imds_endpoint,
                            e.message()
                        )))
                    }
                    Err(failure) => Err(failure.into_error()),
                }
            }
            ChainLink::CredentialsUri => match ctx.var(ENV_CREDENTIALS_URI) {
                None => Ok(Resolution::NotConfigured(format!(
                    "{ENV_CREDENTIALS_URI} not set"
                ))),
                Some(uri) => Ok(Resolution::Provider(cached(
                    ctx,
                    CredentialsUriProvider::new(uri, ctx.clone()),
                ))),
            },
        }
    }

    async fn select(
        &self,
    ) -> Result<(&'static str, SharedCredentialsProvider, Option<Credentials>), CredentialsError>
    {
        let mut tried = Vec::new();
        for &link in &self.links {
            let name = link.name();
            match self.resolve(link).await.map_err(|e| named(name, e))? {
                Resolution::NotConfigured(why) => tried.push(format!("{name} ({why})")),
                Resolution::Loaded(p, creds) => return Ok((name, p, Some(creds))),
                Resolution::Provider(p) => {
                    let creds = p.provide_credentials().await.map_err(|e| named(name, e))?;
                    return Ok((name, p, Some(creds)));
                }
            }
        }
        Err(CredentialsError::new(
            "default chain",
            format!("no credentials found; tried {}", tried.join(", ")),
        ))
    }

    async fn load(&self) -> Result<Credentials, CredentialsError> {
        let mut first = None;
        let (name, provider) = self
            .selected
            .get_or_try_init(|| async {
                let (name, provider, creds) = self.select().await?;
                first = creds;
                Ok::<_, CredentialsError>((name, provider))
            })
            .await?;
        if let Some(creds) = first {
            return Ok(creds);
        }
        provider
            .provide_credentials()
            .await
            .map_err(|e| named(name, e))
    }
}

impl ProvideCredentials for CredentialsChain {
    fn provide_credentials(&self) -> BoxFuture<'_, Result<Credentials, CredentialsError>> {
        Box::pin(self.load())
    }

    fn invalidate(&self) {
        if let Some((_, p)) = self.selected.get() {
            p.invalidate();
        }
    }
}
