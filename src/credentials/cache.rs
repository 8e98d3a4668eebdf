//! [`CachingProvider`]: keeps expiring credentials and refreshes them before they expire.
//!
//! * Credentials are refreshed `margin + jitter` before their expiry (default margin 180 s,
//!   jitter drawn from 0 to 60 s per fetch), so a fleet does not refresh in lock step.
//! * One refresh at a time: a single task fetches while the others either keep using the old
//!   credentials (when they are still valid) or wait for the fetch and share its result.
//! * When a refresh fails but the old credentials are still valid, they are served and the next
//!   call tries again.
//! * [`ProvideCredentials::invalidate`] drops the cached value, so the next call fetches (the
//!   client does this after `InvalidSecurityToken.Expired`).
//! * Credentials without an expiry are kept until invalidated.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

use super::context::Clock;
use super::{Credentials, ProvideCredentials, SharedCredentialsProvider};
use crate::error::CredentialsError;

/// The least time before expiry at which credentials are refreshed by default: 180 s.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(180);
/// The largest random extra added to the margin by default: 60 s.
pub const DEFAULT_REFRESH_JITTER: Duration = Duration::from_secs(60);

#[derive(Clone)]
struct Cached {
    credentials: Credentials,
    refresh_at: Option<DateTime<Utc>>,
}

/// Caches the credentials of an inner provider that fetches fresh ones at every call.
pub struct CachingProvider {
    inner: SharedCredentialsProvider,
    clock: Clock,
    margin: Duration,
    jitter: Duration,
    state: Mutex<Option<Cached>>,
    refresh: tokio::sync::Mutex<()>,
    fetches: AtomicU64,
}

impl fmt::Debug for CachingProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let expiration = self.current().and_then(|c| c.credentials.expiration());
        f.debug_struct("CachingProvider")
            .field("inner", &self.inner)
            .field("margin", &self.margin)
            .field("jitter", &self.jitter)
            .field("cached_expiration", &expiration)
            .finish()
    }
}

impl CachingProvider {
    /// Caches `inner` with the default margin and jitter and the system clock.
    pub fn new(inner: impl ProvideCredentials + 'static) -> Self {
        Self::from_shared(Arc::new(inner))
    }

    /// Caches an already shared provider.
    pub fn from_shared(inner: SharedCredentialsProvider) -> Self {
        Self {
            inner,
            clock: Arc::new(Utc::now),
            margin: DEFAULT_REFRESH_MARGIN,
            jitter: DEFAULT_REFRESH_JITTER,
            state: Mutex::new(None),
            refresh: tokio::sync::Mutex::new(()),
            fetches: AtomicU64::new(0),
        }
    }

    /// Refreshes this long before expiry (plus the jitter). Default 180 s.
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// The largest random extra added to the margin. Default 60 s; zero for none.
    pub fn refresh_jitter(mut self, jitter: Duration) -> Self {
        self.jitter = jitter;
        self
    }

    /// The clock deciding when to refresh. Default: the system clock.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// How many times the inner provider was asked (successfully or not).
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::SeqCst)
    }

    /// Stores credentials fetched elsewhere (the chain's probe), as if fetched now.
    pub(crate) fn seed(&self, credentials: Credentials) {
        let refresh_at = self.refresh_at(&credentials, (self.clock)());
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = Some(Cached {
            credentials,
            refresh_at,
        });
    }

    fn current(&self) -> Option<Cached> {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn is_fresh(cached: &Cached, now: DateTime<Utc>) -> bool {
        cached.refresh_at.is_none_or(|at| now < at)
    }

    fn is_valid(cached: &Cached, now: DateTime<Utc>) -> bool {
        cached.credentials.expiration().is_none_or(|e| now < e)
    }

    /// When to refresh credentials fetched at `now`.
    fn refresh_at(&self, credentials: &Credentials, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let expires = credentials.expiration()?;
        let jitter = self.jitter.mul_f64(fastrand::f64());
        let early = chrono::Duration::from_std(self.margin.saturating_add(jitter))
            .unwrap_or(chrono::Duration::MAX);
        let at = expires.checked_sub_signed(early).unwrap_or(now);
        if at > now {
            Some(at)
        } else {
            // Lifetimes shorter than the margin: refresh half-way, never on every call.
            Some(now + (expires - now) / 2)
        }
    }

    async fn fetch(&self) -> Result<Credentials, CredentialsError> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let credentials = self.inner.provide_credentials().await?;
        let now = (self.clock)();
        let refresh_at = self.refresh_at(&credentials, now);
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = Some(Cached {
            credentials: credentials.clone(),
            refresh_at,
        });
        Ok(credentials)
    }

    async fn load(&self) -> Result<Credentials, CredentialsError> {
        let now = (self.clock)();
        let current = self.current();
        if let Some(c) = &current {
            if Self::is_fresh(c, now) {
                return Ok(c.credentials.clone());
            }
        }
        match current.filter(|c| Self::is_valid(c, now)) {
            Some(old) => match self.refresh.try_lock() {
                // We refresh (unless someone just did); the old credentials cover a failure.
                Ok(_guard) => match self.current() {
                    Some(c) if Self::is_fresh(&c, (self.clock)()) => Ok(c.credentials),
                    _ => Ok(self.fetch().await.unwrap_or(old.credentials)),
                },
                // Someone else refreshes: keep using the old ones meanwhile.
                Err(_) => Ok(old.credentials),
            },
            None => {
                let _guard = self.refresh.lock().await;
                if let Some(c) = self.current() {
                    if Self::is_fresh(&c, (self.clock)()) {
                        return Ok(c.credentials);
                    }
                }
                self.fetch().await
            }
        }
    }
}

impl ProvideCredentials for CachingProvider {
    fn provide_credentials(&self) -> BoxFuture<'_, Result<Credentials, CredentialsError>> {
        Box::pin(self.load())
    }

    fn invalidate(&self) {
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = None;
        self.inner.invalidate();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicI64;

    #[derive(Debug)]
    struct Counting {
        calls: AtomicU64,
        now: Arc<AtomicI64>,
        ttl: i64,
    }

    impl ProvideCredentials for Counting {
        fn provide_credentials(&self) -> BoxFuture<'_, Result<Credentials, CredentialsError>> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            let now = DateTime::from_timestamp(self.now.load(Ordering::SeqCst), 0).unwrap();
            let ttl = self.ttl;
            Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                Ok(Credentials::new(format!("id-{n}"), "s")
                    .with_expiration(now + chrono::Duration::seconds(ttl)))
            })
        }
    }

    fn setup(ttl: i64) -> (Arc<CachingProvider>, Arc<AtomicI64>, Arc<Counting>) {
        let now = Arc::new(AtomicI64::new(1_700_000_000));
        let inner = Arc::new(Counting {
            calls: AtomicU64::new(0),
            now: Arc::clone(&now),
            ttl,
        });
        let clock_now = Arc::clone(&now);
        let cache = CachingProvider::from_shared(inner.clone())
            .refresh_jitter(Duration::ZERO)
            .clock(Arc::new(move || {
                DateTime::from_timestamp(clock_now.load(Ordering::SeqCst), 0).unwrap()
            }));
        (Arc::new(cache), now, inner)
    }

    #[tokio::test]
    async fn refreshes_at_least_the_margin_before_expiry() {
        let (cache, now, inner) = setup(3600);
        assert_eq!(
            cache.provide_credentials().await.unwrap().access_key_id(),
            "id-0"
        );
        now.fetch_add(3600 - 181, Ordering::SeqCst);
        assert_eq!(
            cache.provide_credentials().await.unwrap().access_key_id(),
            "id-0"
        );
        now.fetch_add(2, Ordering::SeqCst); // 179 s before expiry
        assert_eq!(
            cache.provide_credentials().await.unwrap().access_key_id(),
            "id-1"
        );
        assert_eq!(inner.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn one_refresh_for_many_waiters_and_old_credentials_meanwhile() {
        let (cache, now, inner) = setup(3600);
        // Cold start: 50 callers, one fetch.
        let calls: Vec<_> = (0..50)
            .map(|_| {
                let c = Arc::clone(&cache);
                tokio::spawn(async move { c.provide_credentials().await.unwrap() })
            })
            .collect();
        for c in calls {
            assert_eq!(c.await.unwrap().access_key_id(), "id-0");
        }
        assert_eq!(inner.calls.load(Ordering::SeqCst), 1);
        // In the refresh window: one fetch, the others get the still valid id-0 meanwhile.
        now.fetch_add(3500, Ordering::SeqCst);
        let calls: Vec<_> = (0..50)
            .map(|_| {
                let c = Arc::clone(&cache);
                tokio::spawn(async move { c.provide_credentials().await.unwrap() })
            })
            .collect();
        let mut ids = Vec::new();
        for c in calls {
            ids.push(c.await.unwrap().access_key_id().to_owned());
        }
        assert_eq!(inner.calls.load(Ordering::SeqCst), 2);
        assert!(ids.iter().any(|i| i == "id-0"));
        assert_eq!(
            cache.provide_credentials().await.unwrap().access_key_id(),
            "id-1"
        );
    }

    #[test]
    fn extreme_settings_and_expiries_never_panic() {
        let cache = CachingProvider::new(Credentials::new("a", "b"))
            .refresh_margin(Duration::MAX)
            .refresh_jitter(Duration::MAX);
        let now = Utc::now();
        for expires in [DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC, now] {
            let c = Credentials::new("a", "b").with_expiration(expires);
            let _ = cache.refresh_at(&c, now);
        }
    }

    #[tokio::test]
    async fn invalidate_forces_a_fetch_and_jitter_stays_in_bounds() {
        let (cache, _now, inner) = setup(3600);
        cache.provide_credentials().await.unwrap();
        cache.invalidate();
        assert_eq!(
            cache.provide_credentials().await.unwrap().access_key_id(),
            "id-1"
        );
        assert_eq!(inner.calls.load(Ordering::SeqCst), 2);
        let jittered = CachingProvider::new(Credentials::new("a", "b"));
        let now = Utc::now();
        let c = Credentials::new("a", "b").with_expiration(now + chrono::Duration::seconds(3600));
        for _ in 0..100 {
            let at = jittered.refresh_at(&c, now).unwrap();
            let early = (now + chrono::Duration::seconds(3600)) - at;
            assert!(early >= chrono::Duration::seconds(180), "{early}");
            assert!(early <= chrono::Duration::seconds(240), "{early}");
        }
    }
}
