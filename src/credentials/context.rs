//! [`ProviderContext`]: everything the providers read from the outside world, in one injectable
//! place: environment variables, the home directory, the HTTP client, and the IMDS and STS
//! endpoints (so tests point them at the emulator), plus the clock used by caches.

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::EnvLookup;

/// The ECS instance metadata service.
pub const DEFAULT_IMDS_ENDPOINT: &str = "http://100.100.100.200";

/// A clock returning the current UTC time; injectable for tests.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// What providers read from the outside: cheap to clone.
#[derive(Clone)]
pub struct ProviderContext {
    pub(crate) env: EnvLookup,
    pub(crate) home: Option<PathBuf>,
    pub(crate) http: Option<reqwest::Client>,
    pub(crate) imds_endpoint: String,
    pub(crate) sts_endpoint: Option<String>,
    pub(crate) clock: Clock,
    pub(crate) imds_timeout: Duration,
    built_http: Arc<OnceLock<reqwest::Client>>,
    built_imds: Arc<OnceLock<reqwest::Client>>,
}

impl fmt::Debug for ProviderContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderContext")
            .field("home", &self.home)
            .field("imds_endpoint", &self.imds_endpoint)
            .field("sts_endpoint", &self.sts_endpoint)
            .field("imds_timeout", &self.imds_timeout)
            .finish_non_exhaustive()
    }
}

impl Default for ProviderContext {
    fn default() -> Self {
        Self::from_process()
    }
}

impl ProviderContext {
    /// The process environment and the user's real home directory (`HOME`, or `USERPROFILE`
    /// on Windows).
    pub fn from_process() -> Self {
        let env: EnvLookup = Arc::new(|name| std::env::var(name).ok());
        let home = home_from(&*env);
        Self::new(env, home)
    }

    /// An injected environment and home directory (`None`: no home, so no profile files).
    pub fn new(env: EnvLookup, home: Option<PathBuf>) -> Self {
        Self {
            env,
            home,
            http: None,
            imds_endpoint: DEFAULT_IMDS_ENDPOINT.to_owned(),
            sts_endpoint: None,
            clock: Arc::new(Utc::now),
            imds_timeout: Duration::from_secs(1),
            built_http: Arc::default(),
            built_imds: Arc::default(),
        }
    }

    /// An injected environment (a closure) and home directory.
    pub fn with_env(
        lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
        home: Option<PathBuf>,
    ) -> Self {
        Self::new(Arc::new(lookup), home)
    }

    /// Uses this HTTP client for IMDS, STS and credentials URIs (default: a client with no
    /// proxy for IMDS and the system settings otherwise, built on first use).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// The metadata service base URL. Default [`DEFAULT_IMDS_ENDPOINT`].
    pub fn imds_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.imds_endpoint = endpoint.into().trim_end_matches('/').to_owned();
        self
    }

    /// Sends every STS call to this base URL instead of the rule-based STS endpoint.
    pub fn sts_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.sts_endpoint = Some(endpoint.into().trim_end_matches('/').to_owned());
        self
    }

    /// The clock used by credential caches. Default: the system clock.
    pub fn clock(mut self, clock: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Connect and read timeout of metadata-service requests. Default 1 s.
    pub fn imds_timeout(mut self, timeout: Duration) -> Self {
        self.imds_timeout = timeout;
        self.built_imds = Arc::default();
        self
    }

    /// Reads an environment variable; blank values count as unset.
    pub fn var(&self, name: &str) -> Option<String> {
        (self.env)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// Whether an environment variable is `true` (any case).
    pub fn flag(&self, name: &str) -> bool {
        self.var(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// The home directory, if known.
    pub fn home(&self) -> Option<&std::path::Path> {
        self.home.as_deref()
    }

    /// The current time by the context's clock.
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    pub(crate) fn http(&self) -> reqwest::Client {
        match &self.http {
            Some(c) => c.clone(),
            None => self
                .built_http
                .get_or_init(|| {
                    reqwest::Client::builder()
                        .connect_timeout(Duration::from_secs(5))
                        .timeout(Duration::from_secs(10))
                        .build()
                        .unwrap_or_default()
                })
                .clone(),
        }
    }

    /// A client for the metadata service: never through a proxy, with the IMDS timeouts.
    pub(crate) fn imds_http(&self) -> reqwest::Client {
        self.built_imds
            .get_or_init(|| {
                reqwest::Client::builder()
                    .no_proxy()
                    .connect_timeout(self.imds_timeout)
                    .timeout(self.imds_timeout)
                    .build()
                    .unwrap_or_default()
            })
            .clone()
    }

    /// The environment lookup itself.
    pub fn env_lookup(&self) -> EnvLookup {
        Arc::clone(&self.env)
    }
}

fn home_from(env: &(dyn Fn(&str) -> Option<String> + Send + Sync)) -> Option<PathBuf> {
    env("HOME")
        .or_else(|| env("USERPROFILE"))
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}
