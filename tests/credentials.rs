//! Credentials, regions and endpoints: every provider over HTTP against the emulator (IMDS and
//! STS) or with temporary files, an injected environment and an injected home directory; the
//! chain's order and error semantics; the cache; refresh-and-retry on an expired token;
//! Signature V3; secrets kept out of Debug, Display and errors.
#![cfg(feature = "emulator")]

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aliyun_ecs_tasks::credentials::{ChainLink, CredentialsChain, ProviderContext};
use aliyun_ecs_tasks::emulator::{Emulator, Seed};
use aliyun_ecs_tasks::{
    Client, ClientBuilder, Credentials, DescribeTasksRequest, ProvideCredentials, RetryConfig,
    SignatureVersion,
};

const ROLE_ARN: &str = "acs:ram::1234567890:role/test-role";
const OIDC_ARN: &str = "acs:ram::1234567890:oidc-provider/ack";

/// A unique temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "aliyun-ecs-tasks-creds-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `rel` (creating parents) with owner-only permissions.
    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.0.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        set_mode(&path, 0o600);
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) {}

/// A port nothing listens on (connection refused at once).
fn closed_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// A context over an injected environment and home, with IMDS and STS on the emulator.
fn ctx(emu: &Emulator, vars: &[(&str, &str)], home: Option<&Path>) -> ProviderContext {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    ProviderContext::with_env(move |k| map.get(k).cloned(), home.map(Path::to_path_buf))
        .imds_endpoint(emu.imds_endpoint())
        .sts_endpoint(emu.sts_endpoint())
}

/// A context whose IMDS does not exist.
fn ctx_no_imds(emu: &Emulator, vars: &[(&str, &str)], home: Option<&Path>) -> ProviderContext {
    ctx(emu, vars, home).imds_endpoint(closed_endpoint())
}

async fn emulator() -> Emulator {
    Emulator::builder()
        .seed(Seed::Empty)
        .ecs_ram_role("EcsTestRole")
        .start()
        .await
        .unwrap()
}

fn client_with(emu: &Emulator, builder: ClientBuilder) -> Client {
    builder
        .endpoint(emu.endpoint())
        .allow_http(true)
        .retry_config(
            RetryConfig::default()
                .with_initial_backoff(Duration::from_millis(1))
                .with_max_backoff(Duration::from_millis(5)),
        )
        .build()
        .unwrap()
}

fn hz() -> DescribeTasksRequest {
    DescribeTasksRequest::builder()
        .region_id("cn-hangzhou")
        .build()
        .unwrap()
}

fn cli_config(emu: &Emulator, current: &str) -> String {
    serde_json::json!({
        "current": current,
        "profiles": [
            {"name": "ak", "mode": "AK", "access_key_id": emu.access_key_id(),
             "access_key_secret": emu.access_key_secret(), "region_id": "cn-shanghai"},
            {"name": "sts", "mode": "StsToken", "access_key_id": "id-sts",
             "access_key_secret": "SecretOfSts", "sts_token": "TokenOfSts"},
            {"name": "role", "mode": "RamRoleArn", "access_key_id": emu.access_key_id(),
             "access_key_secret": emu.access_key_secret(), "ram_role_arn": ROLE_ARN,
             "ram_session_name": "s1", "expired_seconds": 900, "enable_vpc": true,
             "region_id": "cn-beijing"},
            {"name": "chain", "mode": "ChainableRamRoleArn", "source_profile": "role",
             "ram_role_arn": ROLE_ARN},
            {"name": "ecs", "mode": "EcsRamRole", "ram_role_name": "EcsTestRole"},
            {"name": "loop", "mode": "ChainableRamRoleArn", "source_profile": "loop",
             "ram_role_arn": ROLE_ARN},
            {"name": "short", "mode": "RamRoleArn", "access_key_id": emu.access_key_id(),
             "access_key_secret": emu.access_key_secret(), "ram_role_arn": ROLE_ARN,
             "expired_seconds": 100},
            {"name": "weird", "mode": "Telepathy"}
        ]
    })
    .to_string()
}

async fn chain_creds(chain: &CredentialsChain) -> Credentials {
    chain.provide_credentials().await.unwrap()
}

// ---------------------------------------------------------------- environment and the order

#[tokio::test]
async fn environment_comes_first_and_is_read_through_the_injected_lookup() {
    let emu = emulator().await;
    let home = TempDir::new();
    home.write(".aliyun/config.json", &cli_config(&emu, "ak"));
    let chain = CredentialsChain::default_chain(ctx(
        &emu,
        &[
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret"),
            ("ALIBABA_CLOUD_SECURITY_TOKEN", "env-token"),
        ],
        Some(home.path()),
    ));
    let c = chain_creds(&chain).await;
    assert_eq!(c.access_key_id(), "env-id");
    assert_eq!(c.security_token(), Some("env-token"));
    assert_eq!(chain.selected(), Some("environment"));
    assert_eq!(emu.imds_requests() + emu.sts_requests(), 0);
}

#[tokio::test]
async fn oidc_comes_before_the_cli_profile_and_rereads_the_token_file() {
    let emu = emulator().await;
    let home = TempDir::new();
    home.write(".aliyun/config.json", &cli_config(&emu, "ak"));
    let token_file = home.write("oidc-token", "token-one\n");
    let file = token_file.to_str().unwrap().to_owned();
    let chain = CredentialsChain::default_chain(ctx(
        &emu,
        &[
            ("ALIBABA_CLOUD_ROLE_ARN", ROLE_ARN),
            ("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", OIDC_ARN),
            ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", &file),
        ],
        Some(home.path()),
    ));
    let c = chain_creds(&chain).await;
    assert_eq!(chain.selected(), Some("oidc"));
    assert!(c.access_key_id().starts_with("STS."));
    assert!(c.security_token().is_some() && c.expiration().is_some());
    // The token file rotates; a refresh reads the new one.
    home.write("oidc-token", "token-two");
    chain.invalidate();
    chain_creds(&chain).await;
    assert_eq!(emu.oidc_tokens_received(), ["token-one", "token-two"]);
}

#[tokio::test]
async fn partial_oidc_configuration_stops_the_chain_naming_oidc() {
    let emu = emulator().await;
    let chain =
        CredentialsChain::default_chain(ctx(&emu, &[("ALIBABA_CLOUD_ROLE_ARN", ROLE_ARN)], None));
    let e = chain.provide_credentials().await.unwrap_err();
    assert_eq!(e.provider(), "oidc");
    assert!(e.message().contains("ALIBABA_CLOUD_OIDC_TOKEN_FILE"), "{e}");
}

#[tokio::test]
async fn a_configured_provider_that_fails_stops_the_chain() {
    let emu = emulator().await;
    let home = TempDir::new();
    home.write(
        ".alibabacloud/credentials",
        "[default]\ntype = access_key\naccess_key_id = a\naccess_key_secret = b\n",
    );
    // Half-configured environment: an error, not a fall-through to the INI file.
    let chain = CredentialsChain::default_chain(ctx(
        &emu,
        &[("ALIBABA_CLOUD_ACCESS_KEY_ID", "only-id")],
        Some(home.path()),
    ));
    let e = chain.provide_credentials().await.unwrap_err();
    assert_eq!(e.provider(), "environment");
    // A malformed CLI file: an error naming the CLI profile.
    home.write(".aliyun/config.json", "{ not json");
    let chain = CredentialsChain::default_chain(ctx(&emu, &[], Some(home.path())));
    let e = chain.provide_credentials().await.unwrap_err();
    assert_eq!(e.provider(), "cli_profile");
    assert!(e.message().contains("not valid JSON"), "{e}");
}

#[tokio::test]
async fn nothing_found_lists_every_link_tried() {
    let emu = emulator().await;
    let home = TempDir::new();
    let chain = CredentialsChain::default_chain(ctx_no_imds(&emu, &[], Some(home.path())));
    let e = chain.provide_credentials().await.unwrap_err();
    let text = e.to_string();
    for link in ChainLink::DEFAULT_ORDER {
        assert!(
            text.contains(link.name()),
            "{} missing in {text}",
            link.name()
        );
    }
    assert!(text.contains("no credentials found"), "{text}");
    assert!(text.contains("config.json"), "{text}");
}

#[tokio::test]
async fn chain_falls_through_to_imds_when_nothing_else_is_configured() {
    let emu = emulator().await;
    let home = TempDir::new();
    let chain = CredentialsChain::default_chain(ctx(&emu, &[], Some(home.path())));
    let c = chain_creds(&chain).await;
    assert_eq!(chain.selected(), Some("ecs_ram_role"));
    assert!(c.access_key_id().starts_with("STS.imds"));
    // Token, role discovery, credentials: three requests, and the first fetch is kept.
    assert_eq!(emu.imds_requests(), 3);
    chain_creds(&chain).await;
    assert_eq!(emu.imds_requests(), 3);
}

// ---------------------------------------------------------------- the CLI profile file

#[tokio::test]
async fn cli_profile_uses_current_or_the_profile_variable() {
    let emu = emulator().await;
    let home = TempDir::new();
    home.write(".aliyun/config.json", &cli_config(&emu, "ak"));
    // Both files hold a profile: the CLI file wins.
    home.write(
        ".alibabacloud/credentials",
        "[default]\ntype = access_key\naccess_key_id = ini\naccess_key_secret = s\n",
    );
    let chain = CredentialsChain::default_chain(ctx(&emu, &[], Some(home.path())));
    assert_eq!(
        chain_creds(&chain).await.access_key_id(),
        emu.access_key_id()
    );
    assert_eq!(chain.selected(), Some("cli_profile"));
    let chain = CredentialsChain::default_chain(ctx(
        &emu,
        &[("ALIBABA_CLOUD_PROFILE", "sts")],
        Some(home.path()),
    ));
    let c = chain_creds(&chain).await;
    assert_eq!(c.access_key_id(), "id-sts");
    assert_eq!(c.security_token(), Some("TokenOfSts"));
}

#[tokio::test]
async fn cli_config_file_variable_overrides_the_home_directory() {
    let emu = emulator().await;
    let dir = TempDir::new();
    let path = dir.write("elsewhere.json", &cli_config(&emu, "sts"));
    let chain = CredentialsChain::default_chain(ctx(
        &emu,
        &[("ALIBABA_CLOUD_CONFIG_FILE", path.to_str().unwrap())],
        None,
    ));
    assert_eq!(chain_creds(&chain).await.access_key_id(), "id-sts");
    // Named but missing: an error, not a fall-through.
    let chain = CredentialsChain::default_chain(ctx(
        &emu,
        &[(
            "ALIBABA_CLOUD_CONFIG_FILE",
            "/nonexistent/aliyun/config.json",
        )],
        None,
    ));
    assert_eq!(
        chain.provide_credentials().await.unwrap_err().provider(),
        "cli_profile"
    );
}

#[tokio::test]
async fn cli_ram_role_arn_assumes_the_role_signed_with_the_source_key() {
    let emu = emulator().await;
    let home = TempDir::new();
    home.write(".aliyun/config.json", &cli_config(&emu, "role"));
    let chain = CredentialsChain::default_chain(ctx(&emu, &[], Some(home.path())));
    let client = client_with(&emu, Client::builder().credentials_chain(chain));
    client.describe_tasks(hz()).await.unwrap();
    assert_eq!(emu.sts_requests(), 1);
    assert_eq!(emu.assume_role_callers(), [emu.access_key_id()]);
    let sts = &emu.sts_calls()[0];
    assert_eq!(sts["Action"], "AssumeRole");
    assert_eq!(sts["Version"], "2015-04-01");
    assert_eq!(sts["RoleArn"], ROLE_ARN);
    assert_eq!(sts["RoleSessionName"], "s1");
    assert_eq!(sts["DurationSeconds"], "900");
    assert_eq!(sts["SignatureMethod"], "HMAC-SHA1");
    let recorded = emu.requests();
    assert!(recorded[0]
        .param("AccessKeyId")
        .unwrap()
        .starts_with("STS.sts"));
    assert!(recorded[0].param("SecurityToken").is_some());
}

#[tokio::test]
async fn chainable_ram_role_arn_signs_with_the_source_profiles_sts_token() {
    let emu = emulator().await;
    let home = TempDir::new();
    home.write(".aliyun/config.json", &cli_config(&emu, "chain"));
    let chain = CredentialsChain::default_chain(ctx(&emu, &[], Some(home.path())));
    let c = chain_creds(&chain).await;
    assert!(c.access_key_id().starts_with("STS.sts"));
    let callers = emu.assume_role_callers();
    assert_eq!(callers.len(), 2);
    assert_eq!(callers[0], emu.access_key_id());
    assert!(callers[1].starts_with("STS.sts"), "{callers:?}");
}

#[tokio::test]
async fn cli_profile_errors_name_the_problem() {
    let emu = emulator().await;
    let home = TempDir::new();
    home.write(".aliyun/config.json", &cli_config(&emu, "loop"));
    let e = CredentialsChain::default_chain(ctx(&emu, &[], Some(home.path())))
        .provide_credentials()
        .await
        .unwrap_err();
    assert_eq!(e.provider(), "cli_profile");
    assert!(e.message().contains("too long"), "{e}");
    for (profile, needle) in [("weird", "Telepathy"), ("short", "900")] {
        let e = CredentialsChain::default_chain(ctx(
            &emu,
            &[("ALIBABA_CLOUD_PROFILE", profile)],
            Some(home.path()),
        ))
        .provide_credentials()
        .await
        .unwrap_err();
        assert_eq!(e.provider(), "cli_profile");
        assert!(e.message().contains(needle), "{e}");
    }
}

#[tokio::test]
async fn cli_ecs_ram_role_oidc_and_credentials_uri_modes() {
    let emu = emulator().await;
    let home = TempDir::new();
    let token = home.write("tok", "oidc-from-cli");
    let uri = format!(
        "{}/latest/meta-data/ram/security-credentials/EcsTestRole",
        emu.imds_endpoint()
    );
    let config = serde_json::json!({
        "current": "ecs",
        "profiles": [
            {"name": "ecs", "mode": "EcsRamRole", "ram_role_name": "EcsTestRole"},
            {"name": "oidc", "mode": "OIDC", "ram_role_arn": ROLE_ARN,
             "oidc_provider_arn": OIDC_ARN, "oidc_token_file": token.to_str().unwrap()},
            {"name": "uri", "mode": "CredentialsURI", "credentials_uri": uri}
        ]
    });
    home.write(".aliyun/config.json", &config.to_string());
    let c = chain_creds(&CredentialsChain::default_chain(ctx(
        &emu,
        &[],
        Some(home.path()),
    )))
    .await;
    assert!(c.access_key_id().starts_with("STS.imds"));
    // The role name is configured: no discovery request (token + credentials only).
    assert_eq!(emu.imds_requests(), 2);
    let c = chain_creds(&CredentialsChain::default_chain(ctx(
        &emu,
        &[("ALIBABA_CLOUD_PROFILE", "oidc")],
        Some(home.path()),
    )))
    .await;
    assert!(c.access_key_id().starts_with("STS.sts"));
    assert_eq!(emu.oidc_tokens_received(), ["oidc-from-cli"]);
    let c = chain_creds(&CredentialsChain::default_chain(ctx(
        &emu,
        &[("ALIBABA_CLOUD_PROFILE", "uri")],
        Some(home.path()),
    )))
    .await;
    assert!(c.expiration().is_some() && c.security_token().is_some());
}

// ---------------------------------------------------------------- the INI file

#[tokio::test]
async fn ini_file_types() {
    let emu = emulator().await;
    let home = TempDir::new();
    let token = home.write("tok", "oidc-from-ini");
    home.write(
        ".alibabacloud/credentials",
        &format!(
            "[default]\ntype = access_key\naccess_key_id = {id}\naccess_key_secret = {secret}\n\
             [ecs]\ntype = ecs_ram_role\nrole_name = EcsTestRole\n\
             [role]\ntype = ram_role_arn\naccess_key_id = {id}\naccess_key_secret = {secret}\n\
             role_arn = {ROLE_ARN}\nrole_session_name = ini-session\npolicy = {{}}\n\
             [oidc]\ntype = oidc_role_arn\nrole_arn = {ROLE_ARN}\noidc_provider_arn = {OIDC_ARN}\n\
             oidc_token_file_path = {tok}\nrole_session_name = s\n\
             [bad]\ntype = magic\n",
            id = emu.access_key_id(),
            secret = emu.access_key_secret(),
            tok = token.display()
        ),
    );
    let for_profile = |p: &str| {
        let vars: Vec<(&str, &str)> = if p.is_empty() {
            vec![]
        } else {
            vec![("ALIBABA_CLOUD_PROFILE", p)]
        };
        CredentialsChain::default_chain(ctx(&emu, &vars, Some(home.path())))
    };
    let chain = for_profile("");
    assert_eq!(
        chain_creds(&chain).await.access_key_id(),
        emu.access_key_id()
    );
    assert_eq!(chain.selected(), Some("credentials_file"));
    assert!(chain_creds(&for_profile("ecs"))
        .await
        .access_key_id()
        .starts_with("STS.imds"));
    assert!(chain_creds(&for_profile("role"))
        .await
        .access_key_id()
        .starts_with("STS.sts"));
    assert_eq!(emu.assume_role_callers(), [emu.access_key_id()]);
    assert!(chain_creds(&for_profile("oidc"))
        .await
        .access_key_id()
        .starts_with("STS.sts"));
    assert_eq!(emu.oidc_tokens_received(), ["oidc-from-ini"]);
    let e = for_profile("bad").provide_credentials().await.unwrap_err();
    assert_eq!(e.provider(), "credentials_file");
    assert!(e.message().contains("magic"), "{e}");
}

#[tokio::test]
async fn ini_file_variable_overrides_the_home_directory() {
    let emu = emulator().await;
    let dir = TempDir::new();
    let path = dir.write(
        "creds.ini",
        "[default]\ntype = access_key\naccess_key_id = from-var\naccess_key_secret = s\n",
    );
    let chain = CredentialsChain::default_chain(ctx(
        &emu,
        &[("ALIBABA_CLOUD_CREDENTIALS_FILE", path.to_str().unwrap())],
        None,
    ));
    assert_eq!(chain_creds(&chain).await.access_key_id(), "from-var");
}

#[cfg(unix)]
#[tokio::test]
async fn group_or_world_readable_credentials_files_produce_a_warning() {
    let emu = emulator().await;
    let home = TempDir::new();
    let path = home.write(
        ".alibabacloud/credentials",
        "[default]\ntype = access_key\naccess_key_id = a\naccess_key_secret = b\n",
    );
    let chain = CredentialsChain::default_chain(ctx(&emu, &[], Some(home.path())));
    chain_creds(&chain).await;
    assert!(chain.warnings().is_empty());
    set_mode(&path, 0o644);
    let chain = CredentialsChain::default_chain(ctx(&emu, &[], Some(home.path())));
    chain_creds(&chain).await;
    let warnings = chain.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("readable by group or others"));
    assert!(aliyun_ecs_tasks::credentials::permission_warning(&path).is_some());
}

// ---------------------------------------------------------------- IMDS

#[tokio::test]
async fn imds_role_name_variable_and_disabled_switch() {
    let emu = emulator().await;
    let chain = CredentialsChain::new(
        ctx(&emu, &[("ALIBABA_CLOUD_ECS_METADATA", "EcsTestRole")], None),
        [ChainLink::EcsRamRole],
    );
    chain_creds(&chain).await;
    assert_eq!(emu.imds_requests(), 2);
    let chain = CredentialsChain::new(
        ctx(
            &emu,
            &[("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")],
            None,
        ),
        [ChainLink::EcsRamRole],
    );
    let e = chain.provide_credentials().await.unwrap_err();
    assert!(
        e.message().contains("ALIBABA_CLOUD_ECS_METADATA_DISABLED"),
        "{e}"
    );
    assert_eq!(emu.imds_requests(), 2);
}

#[tokio::test]
async fn imds_with_v1_disabled_on_the_server_uses_the_token() {
    let emu = Emulator::builder()
        .seed(Seed::Empty)
        .ecs_ram_role("R")
        .imds_v1_disabled(true)
        .start()
        .await
        .unwrap();
    let chain = CredentialsChain::new(ctx(&emu, &[], None), [ChainLink::EcsRamRole]);
    let client = client_with(&emu, Client::builder().credentials_chain(chain));
    client.describe_tasks(hz()).await.unwrap();
}

#[tokio::test]
async fn imds_configured_but_failing_is_an_error_not_a_fall_through() {
    // An emulator without a role: IMDS answers 404.
    let emu = Emulator::builder().seed(Seed::Empty).start().await.unwrap();
    let chain = CredentialsChain::default_chain(ctx(
        &emu,
        &[("ALIBABA_CLOUD_CREDENTIALS_URI", "http://127.0.0.1:1/never")],
        None,
    ));
    let e = chain.provide_credentials().await.unwrap_err();
    assert_eq!(e.provider(), "ecs_ram_role");
    // With v1 disabled, a missing token is fatal too.
    let chain = CredentialsChain::new(
        ctx(
            &emu,
            &[
                ("ALIBABA_CLOUD_ECS_METADATA", "R"),
                ("ALIBABA_CLOUD_IMDSV1_DISABLED", "true"),
            ],
            None,
        ),
        [ChainLink::EcsRamRole],
    );
    let e = chain.provide_credentials().await.unwrap_err();
    assert!(e.message().contains("token"), "{e}");
}

// ---------------------------------------------------------------- credentials URI

#[tokio::test]
async fn credentials_uri_is_last_in_the_chain() {
    let emu = emulator().await;
    let uri = format!(
        "{}/latest/meta-data/ram/security-credentials/EcsTestRole",
        emu.imds_endpoint()
    );
    let chain = CredentialsChain::default_chain(ctx_no_imds(
        &emu,
        &[("ALIBABA_CLOUD_CREDENTIALS_URI", &uri)],
        None,
    ));
    let c = chain_creds(&chain).await;
    assert_eq!(chain.selected(), Some("credentials_uri"));
    assert!(c.security_token().is_some());
    let chain = CredentialsChain::default_chain(ctx_no_imds(
        &emu,
        &[(
            "ALIBABA_CLOUD_CREDENTIALS_URI",
            &format!("{}/nope", emu.endpoint()),
        )],
        None,
    ));
    assert_eq!(
        chain.provide_credentials().await.unwrap_err().provider(),
        "credentials_uri"
    );
}

// ---------------------------------------------------------------- caching and refresh

fn oidc_ctx(emu: &Emulator, home: &TempDir) -> ProviderContext {
    let token = home.write("tok", "t");
    let token = token.to_str().unwrap().to_owned();
    ctx(
        emu,
        &[
            ("ALIBABA_CLOUD_ROLE_ARN", ROLE_ARN),
            ("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", OIDC_ARN),
            ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", &token),
        ],
        None,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_calls_share_one_sts_call_and_refresh_happens_early() {
    let emu = emulator().await;
    let home = TempDir::new();
    let offset = Arc::new(AtomicI64::new(0));
    let clock_offset = Arc::clone(&offset);
    let ctx = oidc_ctx(&emu, &home).clock(move || {
        chrono::Utc::now() + chrono::Duration::seconds(clock_offset.load(Ordering::SeqCst))
    });
    let client = client_with(
        &emu,
        Client::builder().credentials_chain(CredentialsChain::default_chain(ctx)),
    );
    let calls: Vec<_> = (0..40)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.describe_tasks(hz()).await })
        })
        .collect();
    for c in calls {
        c.await.unwrap().unwrap();
    }
    assert_eq!(emu.sts_requests(), 1);
    // 239 s before expiry is outside the refresh window (180 s + up to 60 s jitter)...
    offset.store(3600 - 241, Ordering::SeqCst);
    client.describe_tasks(hz()).await.unwrap();
    assert_eq!(emu.sts_requests(), 1);
    // ...179 s before expiry is inside it, whatever the jitter.
    offset.store(3600 - 179, Ordering::SeqCst);
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.describe_tasks(hz()).await })
        })
        .collect();
    for c in calls {
        c.await.unwrap().unwrap();
    }
    assert_eq!(emu.sts_requests(), 2);
}

#[tokio::test]
async fn an_expired_token_is_refreshed_and_the_call_retried_once() {
    let emu = emulator().await;
    let home = TempDir::new();
    let client = client_with(
        &emu,
        Client::builder().credentials_chain(CredentialsChain::default_chain(oidc_ctx(&emu, &home))),
    );
    client.describe_tasks(hz()).await.unwrap();
    emu.expire_issued_credentials();
    client.describe_tasks(hz()).await.unwrap();
    assert_eq!(emu.sts_requests(), 2);
    let outcomes: Vec<String> = emu.requests().into_iter().map(|r| r.outcome).collect();
    assert_eq!(outcomes, ["ok", "InvalidSecurityToken.Expired", "ok"]);
}

#[tokio::test]
async fn an_expired_token_is_retried_only_once() {
    let emu = Emulator::builder()
        .seed(Seed::Empty)
        .sts_credentials_ttl(Duration::ZERO)
        .start()
        .await
        .unwrap();
    let home = TempDir::new();
    let client = client_with(
        &emu,
        Client::builder().credentials_chain(CredentialsChain::default_chain(oidc_ctx(&emu, &home))),
    );
    let e = client.describe_tasks(hz()).await.unwrap_err();
    assert_eq!(e.code(), Some("InvalidSecurityToken.Expired"));
    assert_eq!(e.attempts(), 2);
    assert_eq!(emu.request_count(), 2);
}

// ---------------------------------------------------------------- Signature V3

#[tokio::test]
async fn signature_v3_round_trip_with_static_and_sts_keys() {
    let emu = emulator().await;
    emu.add_tasks("cn-hangzhou", common::tasks(3));
    let client = client_with(
        &emu,
        common::builder_for(&emu).signature_version(SignatureVersion::V3),
    );
    assert_eq!(client.signature_version(), SignatureVersion::V3);
    let page = client.describe_tasks(hz()).await.unwrap();
    assert_eq!(page.total_count, 3);
    let r = &emu.requests()[0];
    assert!(r
        .header("authorization")
        .unwrap()
        .starts_with("ACS3-HMAC-SHA256 Credential="));
    assert_eq!(r.header("x-acs-action"), Some("DescribeTasks"));
    assert!(r.param("Signature").is_none());
    // STS credentials: the token travels in x-acs-security-token.
    let home = TempDir::new();
    let client = client_with(
        &emu,
        Client::builder()
            .credentials_chain(CredentialsChain::default_chain(oidc_ctx(&emu, &home)))
            .signature_version(SignatureVersion::V3),
    );
    client.describe_tasks(hz()).await.unwrap();
    assert!(emu.requests()[1].header("x-acs-security-token").is_some());
    // A wrong secret is refused by the emulator's own V3 check.
    let client = client_with(
        &emu,
        Client::builder()
            .credentials(Credentials::new(emu.access_key_id(), "wrong-secret"))
            .signature_version(SignatureVersion::V3),
    );
    let e = client.describe_tasks(hz()).await.unwrap_err();
    assert_eq!(e.code(), Some("SignatureDoesNotMatch"));
}

// ---------------------------------------------------------------- region, endpoint, proxy

#[tokio::test]
async fn region_vpc_and_proxy_come_from_the_environment_or_the_profile() {
    let emu = emulator().await;
    let home = TempDir::new();
    home.write(".aliyun/config.json", &cli_config(&emu, "role"));
    let b = ClientBuilder::from_context(ctx(&emu, &[], Some(home.path())));
    assert_eq!(b.region_id(), Some("cn-beijing"));
    assert!(b.uses_vpc_endpoints());
    assert_eq!(b.proxy_url(), None);
    let b = ClientBuilder::from_context(ctx(
        &emu,
        &[
            ("ALIBABA_CLOUD_REGION_ID", "eu-west-1"),
            ("HTTPS_PROXY", "http://user:ProxyPassword@proxy.local:3128"),
            ("NO_PROXY", "127.0.0.1,localhost"),
        ],
        Some(home.path()),
    ));
    assert_eq!(b.region_id(), Some("eu-west-1"));
    let shown = format!("{b:?} {:?}", b.proxy_url());
    assert!(shown.contains("proxy.local"), "{shown}");
    assert!(!shown.contains("ProxyPassword"), "{shown}");
    // NO_PROXY covers the emulator, so calls still go straight to it.
    let client = client_with(&emu, b);
    assert_eq!(client.region(), Some("eu-west-1"));
    client.describe_tasks(hz()).await.unwrap();
    let b = ClientBuilder::from_context(ctx(
        &emu,
        &[("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED", "true")],
        None,
    ));
    assert!(b.uses_vpc_endpoints());
    assert_eq!(b.region_id(), None);
    let b = Client::builder().region("cn-hangzhou").proxy("http://p:1");
    assert_eq!(b.clone().build().unwrap().region(), Some("cn-hangzhou"));
    let e = Client::builder().proxy("::bad::").build().unwrap_err();
    assert_eq!(e.validation_error().unwrap().field(), "proxy");
}

// ---------------------------------------------------------------- secrets

#[tokio::test]
async fn secrets_never_show_in_debug_display_or_errors() {
    let emu = emulator().await;
    let home = TempDir::new();
    let config = serde_json::json!({
        "current": "role",
        "profiles": [
            {"name": "role", "mode": "RamRoleArn", "access_key_id": emu.access_key_id(),
             "access_key_secret": "WrongButSecretValue", "ram_role_arn": ROLE_ARN},
            {"name": "sts", "mode": "StsToken", "access_key_id": "i",
             "access_key_secret": "StsSecretValue", "sts_token": "StsTokenValue"}
        ]
    });
    home.write(".aliyun/config.json", &config.to_string());
    let chain = CredentialsChain::default_chain(ctx(&emu, &[], Some(home.path())));
    let e = chain.provide_credentials().await.unwrap_err();
    assert_eq!(e.provider(), "cli_profile");
    assert!(e.message().contains("SignatureDoesNotMatch"), "{e}");
    let mut text = format!("{e} {e:?} {chain:?}");
    let chain = CredentialsChain::default_chain(ctx(
        &emu,
        &[("ALIBABA_CLOUD_PROFILE", "sts")],
        Some(home.path()),
    ));
    let c = chain_creds(&chain).await;
    let client = client_with(&emu, Client::builder().credentials_chain(chain));
    let err = client.describe_tasks(hz()).await.unwrap_err();
    text.push_str(&format!(
        "{c:?} {chain_dbg:?} {client:?} {err} {err:?}",
        chain_dbg = client
    ));
    // STS-issued credentials in flight and in the cache.
    let home2 = TempDir::new();
    let chain = CredentialsChain::default_chain(oidc_ctx(&emu, &home2));
    let sts = chain_creds(&chain).await;
    text.push_str(&format!(
        "{sts:?} {chain:?} {:?}",
        ProviderContext::default()
    ));
    for secret in [
        "WrongButSecretValue",
        "StsSecretValue",
        "StsTokenValue",
        sts.access_key_secret(),
        sts.security_token().unwrap(),
    ] {
        assert!(!text.contains(secret), "{secret} leaked in {text}");
    }
}

#[tokio::test]
async fn imds_falls_back_to_v1_unless_v1_is_disabled() {
    let emu = Emulator::builder()
        .seed(Seed::Empty)
        .ecs_ram_role("R")
        .imds_v2_unavailable(true)
        .start()
        .await
        .unwrap();
    let chain = CredentialsChain::new(ctx(&emu, &[], None), [ChainLink::EcsRamRole]);
    let client = client_with(&emu, Client::builder().credentials_chain(chain));
    client.describe_tasks(hz()).await.unwrap();
    // Token (refused), role discovery, credentials.
    assert_eq!(emu.imds_requests(), 3);
    let chain = CredentialsChain::new(
        ctx(&emu, &[("ALIBABA_CLOUD_IMDSV1_DISABLED", "true")], None),
        [ChainLink::EcsRamRole],
    );
    let e = chain.provide_credentials().await.unwrap_err();
    assert_eq!(e.provider(), "ecs_ram_role");
    assert!(e.message().contains("HTTP 403"), "{e}");
    assert_eq!(emu.imds_requests(), 4);
}

#[tokio::test]
async fn sts_settings_reach_the_service_with_documented_defaults() {
    let emu = emulator().await;
    let home = TempDir::new();
    let token = home.write("tok", "t");
    let config = serde_json::json!({
        "current": "full",
        "profiles": [
            {"name": "full", "mode": "RamRoleArn", "access_key_id": emu.access_key_id(),
             "access_key_secret": emu.access_key_secret(), "ram_role_arn": ROLE_ARN,
             "ram_session_name": "named", "expired_seconds": 1800,
             "policy": "{\"Version\":\"1\"}", "external_id": "ext-1"},
            {"name": "bare", "mode": "OIDC", "ram_role_arn": ROLE_ARN,
             "oidc_provider_arn": OIDC_ARN, "oidc_token_file": token.to_str().unwrap()}
        ]
    });
    home.write(".aliyun/config.json", &config.to_string());
    chain_creds(&CredentialsChain::default_chain(ctx(
        &emu,
        &[],
        Some(home.path()),
    )))
    .await;
    chain_creds(&CredentialsChain::default_chain(ctx(
        &emu,
        &[("ALIBABA_CLOUD_PROFILE", "bare")],
        Some(home.path()),
    )))
    .await;
    let calls = emu.sts_calls();
    assert_eq!(calls[0]["RoleSessionName"], "named");
    assert_eq!(calls[0]["DurationSeconds"], "1800");
    assert_eq!(calls[0]["Policy"], "{\"Version\":\"1\"}");
    assert_eq!(calls[0]["ExternalId"], "ext-1");
    assert_eq!(calls[1]["Action"], "AssumeRoleWithOIDC");
    assert_eq!(calls[1]["OIDCProviderArn"], OIDC_ARN);
    assert_eq!(calls[1]["DurationSeconds"], "3600");
    assert!(calls[1]["RoleSessionName"].starts_with("aliyun-ecs-tasks-"));
    assert!(!calls[1].contains_key("Signature") && !calls[1].contains_key("AccessKeyId"));
}
