//! The shared credentials INI file, `~/.alibabacloud/credentials`.
//!
//! The file is `ALIBABA_CLOUD_CREDENTIALS_FILE` or `<home>/.alibabacloud/credentials`; the
//! section is `ALIBABA_CLOUD_PROFILE`, else `default`. `type` is one of `access_key`
//! (`access_key_id`, `access_key_secret`), `ecs_ram_role` (`role_name`), `ram_role_arn`
//! (`access_key_id`, `access_key_secret`, `role_arn`, `role_session_name`, optional `policy`)
//! or `oidc_role_arn` (`role_arn`, `oidc_provider_arn`, `oidc_token_file_path`, optional
//! `role_session_name`, `policy`).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::chain::cached;
use super::profile::{locate_config_file, read_config_file, ENV_PROFILE};
use super::sts::{AssumeRoleSettings, RamRoleArnProvider};
use super::{
    permission_warning, Credentials, EcsRamRoleProvider, OidcProvider, ProviderContext,
    SharedCredentialsProvider,
};
use crate::error::CredentialsError;

/// Overrides the INI file path.
pub const ENV_CREDENTIALS_FILE: &str = "ALIBABA_CLOUD_CREDENTIALS_FILE";

const NAME: &str = "credentials_file";

/// Parses INI text: `[section]` headers, `key = value` lines, `#` and `;` comments. Keys before
/// any section are ignored; a repeated key keeps its last value. Never fails.
pub fn parse_ini(text: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut section: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let name = rest.split(']').next().unwrap_or("").trim().to_owned();
            out.entry(name.clone()).or_default();
            section = Some(name);
            continue;
        }
        if let (Some(s), Some((k, v))) = (&section, line.split_once('=')) {
            out.entry(s.clone())
                .or_default()
                .insert(k.trim().to_owned(), v.trim().to_owned());
        }
    }
    out
}

/// One section of the INI file.
#[derive(Clone)]
pub struct IniProfile {
    name: String,
    path: PathBuf,
    keys: BTreeMap<String, String>,
    warning: Option<String>,
}

impl fmt::Debug for IniProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IniProfile")
            .field("name", &self.name)
            .field("path", &self.path)
            .field("type", &self.keys.get("type"))
            .finish()
    }
}

impl IniProfile {
    /// The file path the context points at, and whether it was named explicitly.
    pub fn file_path(ctx: &ProviderContext) -> Option<(PathBuf, bool)> {
        locate_config_file(ctx, ENV_CREDENTIALS_FILE, &[".alibabacloud", "credentials"])
    }

    /// Loads the selected section: `Ok(None)` when there is no file (at the default path) or
    /// no such section.
    pub fn load(ctx: &ProviderContext) -> Result<Option<IniProfile>, CredentialsError> {
        let Some((path, explicit)) = Self::file_path(ctx) else {
            return Ok(None);
        };
        let Some(text) = read_config_file(&path, explicit, ENV_CREDENTIALS_FILE, NAME)? else {
            return Ok(None);
        };
        let name = ctx.var(ENV_PROFILE).unwrap_or_else(|| "default".to_owned());
        let mut sections = parse_ini(&text);
        let Some(keys) = sections.remove(&name) else {
            return Ok(None);
        };
        let warning = permission_warning(&path);
        Ok(Some(IniProfile {
            name,
            path,
            keys,
            warning,
        }))
    }

    /// The section name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file the section came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The permission warning, when the file is readable by group or others.
    pub fn warning(&self) -> Option<&str> {
        self.warning.as_deref()
    }

    /// Builds the provider the section's `type` describes.
    pub fn provider(
        &self,
        ctx: &ProviderContext,
    ) -> Result<SharedCredentialsProvider, CredentialsError> {
        let err = |m: String| CredentialsError::new(NAME, format!("profile {}: {m}", self.name));
        let get = |k: &str| {
            self.keys
                .get(k)
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let need = |k: &str| get(k).ok_or_else(|| err(format!("{k} is missing")));
        let settings = |arn: String| {
            AssumeRoleSettings::new(arn)
                .session_name(get("role_session_name").unwrap_or_default())
                .policy(get("policy").unwrap_or_default())
        };
        match get("type").as_deref() {
            Some("access_key") => Ok(Arc::new(Credentials::new(
                need("access_key_id")?,
                need("access_key_secret")?,
            ))),
            Some("ecs_ram_role") => Ok(cached(
                ctx,
                EcsRamRoleProvider::new(get("role_name"), ctx.clone()),
            )),
            Some("ram_role_arn") => {
                let source: SharedCredentialsProvider = Arc::new(Credentials::new(
                    need("access_key_id")?,
                    need("access_key_secret")?,
                ));
                let s = settings(need("role_arn")?);
                Ok(cached(ctx, RamRoleArnProvider::new(source, s, ctx.clone())))
            }
            Some("oidc_role_arn") => {
                let s = settings(need("role_arn")?);
                Ok(cached(
                    ctx,
                    OidcProvider::new(
                        s,
                        need("oidc_provider_arn")?,
                        need("oidc_token_file_path")?,
                        ctx.clone(),
                    ),
                ))
            }
            Some(other) => Err(err(format!(
                "unsupported type {other:?} (supported: access_key, ecs_ram_role, ram_role_arn, \
                 oidc_role_arn)"
            ))),
            None => Err(err("type is missing".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_parsing_is_forgiving() {
        let s = parse_ini(
            "top = ignored\n# c\n[default]\ntype = access_key\n; c\naccess_key_id=a=b\n\n[ other ]\nx\n[broken\nk = v\n",
        );
        assert_eq!(s["default"]["type"], "access_key");
        assert_eq!(s["default"]["access_key_id"], "a=b");
        assert!(s["other"].is_empty());
        assert_eq!(s["broken"]["k"], "v");
        assert!(!s.contains_key(""));
    }
}
