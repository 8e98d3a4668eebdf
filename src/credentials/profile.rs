//! The aliyun CLI profile file, `~/.aliyun/config.json`:
//! `{"current": "<name>", "profiles": [{"name", "mode", ...}]}`.
//!
//! The file is `ALIBABA_CLOUD_CONFIG_FILE` or `<home>/.aliyun/config.json`; the profile is
//! `ALIBABA_CLOUD_PROFILE`, else `current`. Modes: `AK`, `StsToken`, `RamRoleArn`,
//! `ChainableRamRoleArn` (via `source_profile`), `EcsRamRole`, `OIDC`, `CredentialsURI`.
//! A profile's `region_id` and `enable_vpc` also feed the client's region and endpoint.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::chain::cached;
use super::sts::{AssumeRoleSettings, RamRoleArnProvider};
use super::{
    permission_warning, Credentials, CredentialsUriProvider, EcsRamRoleProvider, OidcProvider,
    ProviderContext, SharedCredentialsProvider,
};
use crate::error::CredentialsError;

/// Overrides the CLI config file path.
pub const ENV_CONFIG_FILE: &str = "ALIBABA_CLOUD_CONFIG_FILE";
/// The profile name (CLI file and INI file).
pub const ENV_PROFILE: &str = "ALIBABA_CLOUD_PROFILE";
/// `true` skips the CLI config file.
pub const ENV_CLI_PROFILE_DISABLED: &str = "ALIBABA_CLOUD_CLI_PROFILE_DISABLED";

const NAME: &str = "cli_profile";
/// The largest profile file read: 1 MiB.
pub(crate) const MAX_FILE: u64 = 1024 * 1024;

/// One profile of the CLI config file.
#[derive(Clone)]
pub struct CliProfile {
    name: String,
    mode: String,
    path: PathBuf,
    profile: Value,
    all: Arc<Vec<Value>>,
    warning: Option<String>,
}

impl fmt::Debug for CliProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CliProfile")
            .field("name", &self.name)
            .field("mode", &self.mode)
            .field("path", &self.path)
            .field("region_id", &self.region_id())
            .field("enable_vpc", &self.enable_vpc())
            .finish()
    }
}

/// Reads a small file, refusing large ones; `Ok(None)` when it does not exist.
pub(crate) fn read_small_file(
    path: &Path,
    provider: &'static str,
) -> Result<Option<String>, CredentialsError> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(CredentialsError::new(
                provider,
                format!("cannot read {}: {e}", path.display()),
            ))
        }
    };
    if meta.len() > MAX_FILE {
        return Err(CredentialsError::new(
            provider,
            format!("{} is larger than 1 MiB", path.display()),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| {
        CredentialsError::new(provider, format!("cannot read {}: {e}", path.display()))
    })?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| CredentialsError::new(provider, format!("{} is not UTF-8", path.display())))
}

/// Where a configuration file is: the path in `env_name` when set (explicit), else
/// `~/<default>` (not explicit); `None` without either.
pub(crate) fn locate_config_file(
    ctx: &ProviderContext,
    env_name: &str,
    default: &[&str],
) -> Option<(PathBuf, bool)> {
    if let Some(p) = ctx.var(env_name) {
        return Some((PathBuf::from(p), true));
    }
    ctx.home().map(|home| {
        (
            default
                .iter()
                .fold(home.to_path_buf(), |path, part| path.join(part)),
            false,
        )
    })
}

/// Reads a configuration file found at `path`: `Ok(None)` when it does not exist at its default
/// place, an error when `explicit` (an environment variable, `env_name`, named it) and missing.
pub(crate) fn read_config_file(
    path: &Path,
    explicit: bool,
    env_name: &str,
    provider: &'static str,
) -> Result<Option<String>, CredentialsError> {
    match read_small_file(path, provider)? {
        Some(text) => Ok(Some(text)),
        None if explicit => Err(CredentialsError::new(
            provider,
            format!("{env_name} names {}, which does not exist", path.display()),
        )),
        None => Ok(None),
    }
}

fn str_field<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v.get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn bool_field(v: &Value, name: &str) -> bool {
    match v.get(name) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.trim().eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn secs_field(v: &Value, name: &str) -> Option<u64> {
    match v.get(name)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|n| *n > 0)
}

impl CliProfile {
    /// The config file path the context points at, and whether it was named explicitly.
    pub fn config_path(ctx: &ProviderContext) -> Option<(PathBuf, bool)> {
        locate_config_file(ctx, ENV_CONFIG_FILE, &[".aliyun", "config.json"])
    }

    /// Loads the selected profile: `Ok(None)` when there is no file (at the default path) or
    /// it has no profile of that name; an error when the file is unreadable or malformed.
    pub fn load(ctx: &ProviderContext) -> Result<Option<CliProfile>, CredentialsError> {
        if ctx.flag(ENV_CLI_PROFILE_DISABLED) {
            return Ok(None);
        }
        let Some((path, explicit)) = Self::config_path(ctx) else {
            return Ok(None);
        };
        let Some(text) = read_config_file(&path, explicit, ENV_CONFIG_FILE, NAME)? else {
            return Ok(None);
        };
        let config: Value = serde_json::from_str(&text).map_err(|e| {
            CredentialsError::new(
                NAME,
                format!("{} is not valid JSON (line {})", path.display(), e.line()),
            )
        })?;
        let profiles = match config.get("profiles") {
            Some(Value::Array(p)) => p.clone(),
            _ => Vec::new(),
        };
        let name = ctx
            .var(ENV_PROFILE)
            .or_else(|| str_field(&config, "current").map(str::to_owned))
            .unwrap_or_else(|| "default".to_owned());
        let Some(profile) = profiles
            .iter()
            .find(|p| str_field(p, "name") == Some(name.as_str()))
            .cloned()
        else {
            return Ok(None);
        };
        let warning = permission_warning(&path);
        Ok(Some(CliProfile {
            mode: str_field(&profile, "mode").unwrap_or("AK").to_owned(),
            name,
            path,
            profile,
            all: Arc::new(profiles),
            warning,
        }))
    }

    /// The profile name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The mode, e.g. `AK` (default when absent).
    pub fn mode(&self) -> &str {
        &self.mode
    }

    /// The file the profile came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The profile's `region_id`.
    pub fn region_id(&self) -> Option<&str> {
        str_field(&self.profile, "region_id")
    }

    /// The profile's `enable_vpc`.
    pub fn enable_vpc(&self) -> bool {
        bool_field(&self.profile, "enable_vpc")
    }

    /// The permission warning, when the file is readable by group or others.
    pub fn warning(&self) -> Option<&str> {
        self.warning.as_deref()
    }

    /// Builds the provider the profile's mode describes.
    pub fn provider(
        &self,
        ctx: &ProviderContext,
    ) -> Result<SharedCredentialsProvider, CredentialsError> {
        self.provider_for(&self.profile, ctx, 0)
    }

    fn provider_for(
        &self,
        p: &Value,
        ctx: &ProviderContext,
        depth: usize,
    ) -> Result<SharedCredentialsProvider, CredentialsError> {
        let pname = str_field(p, "name").unwrap_or("?").to_owned();
        let err = |m: String| CredentialsError::new(NAME, format!("profile {pname}: {m}"));
        let need = |field: &str| {
            str_field(p, field)
                .map(str::to_owned)
                .ok_or_else(|| err(format!("{field} is missing")))
        };
        let mode = str_field(p, "mode").unwrap_or("AK");
        let role_settings = |arn: String| {
            let mut s = AssumeRoleSettings::new(arn)
                .session_name(str_field(p, "ram_session_name").unwrap_or(""))
                .policy(str_field(p, "policy").unwrap_or(""))
                .external_id(str_field(p, "external_id").unwrap_or(""))
                .sts_region(
                    str_field(p, "sts_region").map(str::to_owned),
                    bool_field(p, "enable_vpc"),
                );
            if let Some(secs) = secs_field(p, "expired_seconds") {
                s = s.duration(Duration::from_secs(secs));
            }
            s
        };
        match mode {
            "AK" => Ok(Arc::new(Credentials::new(
                need("access_key_id")?,
                need("access_key_secret")?,
            ))),
            "StsToken" => Ok(Arc::new(
                Credentials::new(need("access_key_id")?, need("access_key_secret")?)
                    .with_security_token(need("sts_token")?),
            )),
            "RamRoleArn" => {
                let source: SharedCredentialsProvider = Arc::new(Credentials::new(
                    need("access_key_id")?,
                    need("access_key_secret")?,
                ));
                let settings = role_settings(need("ram_role_arn")?);
                Ok(cached(
                    ctx,
                    RamRoleArnProvider::new(source, settings, ctx.clone()),
                ))
            }
            "ChainableRamRoleArn" => {
                if depth >= 8 {
                    return Err(err("source_profile chain is too long (a loop?)".into()));
                }
                let source_name = need("source_profile")?;
                let source = self
                    .all
                    .iter()
                    .find(|q| str_field(q, "name") == Some(source_name.as_str()))
                    .ok_or_else(|| err(format!("source_profile {source_name} does not exist")))?;
                let source = self.provider_for(source, ctx, depth + 1)?;
                let settings = role_settings(need("ram_role_arn")?);
                Ok(cached(
                    ctx,
                    RamRoleArnProvider::new(source, settings, ctx.clone()),
                ))
            }
            "EcsRamRole" => Ok(cached(
                ctx,
                EcsRamRoleProvider::new(
                    str_field(p, "ram_role_name").map(str::to_owned),
                    ctx.clone(),
                ),
            )),
            "OIDC" => {
                let settings = role_settings(need("ram_role_arn")?);
                Ok(cached(
                    ctx,
                    OidcProvider::new(
                        settings,
                        need("oidc_provider_arn")?,
                        need("oidc_token_file")?,
                        ctx.clone(),
                    ),
                ))
            }
            "CredentialsURI" => Ok(cached(
                ctx,
                CredentialsUriProvider::new(need("credentials_uri")?, ctx.clone()),
            )),
            other => Err(err(format!(
                "unsupported mode {other:?} (supported: AK, StsToken, RamRoleArn, \
                 ChainableRamRoleArn, EcsRamRole, OIDC, CredentialsURI)"
            ))),
        }
    }
}
