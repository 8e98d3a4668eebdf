//! An in-process ECS emulator: a real HTTP/1.1 server on loopback that speaks the `DescribeTasks`
//! wire (API version 2014-05-26), for offline tests and examples.
//!
//! It checks requests the way the service does (required parameters, timestamp window, access
//! key, an RPC signature verified from the published specification, security token, nonce reuse,
//! action, version, region and parameter ranges), serves tasks from an in-memory store with the
//! service's filters and pagination, and answers in JSON or XML. Tests can seed tasks, script
//! status changes that advance as tasks are polled, queue faults (throttling, 5xx, HTML proxy
//! pages, broken connections, truncated bodies), add latency, skew the clock, and inspect every
//! request received.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use aliyun_ecs_tasks::emulator::{Emulator, Fault};
//!
//! let emulator = Emulator::start().await?;
//! println!("endpoint {}", emulator.endpoint());
//! emulator.push_faults([Fault::Throttle, Fault::Status(503)]);
//! // ... point a client at emulator.endpoint() with emulator.access_key_id() and
//! // emulator.access_key_secret() ...
//! assert!(emulator.requests().iter().all(|r| r.method == "GET" || r.method == "POST"));
//! # Ok(()) }
//! ```
//!
//! # Behaviour where the service leaves room
//!
//! * The response `Format` is JSON for `Format=JSON` in any case, XML otherwise (also when
//!   absent), as on the service.
//! * A `Version` other than `2014-05-26` is 400 `InvalidVersion`; `SignatureMethod` and
//!   `SignatureVersion` are required and must be `HMAC-SHA1` and `1.0`.
//! * A plain (non-STS) access key that sends a `SecurityToken` is refused with
//!   `InvalidSecurityToken.Mismatch`, so a client that leaks a stale token is noticed.
//! * An unknown `TaskAction` matches no task (an empty page, not an error); a `TaskStatus` other
//!   than `Finished`, `Processing` or `Failed` is ignored, as the reference says.
//! * `TaskIds` may be comma-separated or a JSON array of strings (the reference shows both).
//! * An empty parameter value counts as absent.
//! * When a parameter repeats, the last value wins; form-body values override query values.
//! * `Throttling.User` from [`Emulator::set_throttle_ratio`] is decided after the nonce is
//!   recorded, so a client that retries with the same nonce is refused with `SignatureNonceUsed`.
//! * `StartTime` after `EndTime` is an empty page, not an error.
//! * Methods other than GET and POST get 400 `UnsupportedHTTPMethod`; a body over 1 MiB gets 413
//!   `RequestEntityTooLarge`; a parameter that is not UTF-8 after decoding gets 400
//!   `InvalidParameter`; a malformed `%` escape is kept literally.
//! * Task times are rendered at minute precision (`2015-11-24T12:50Z`) and `FinishedTime` is `""`
//!   while a task has none, as on the service.
//!
//! * IMDS (`/latest/...`, see [`EmulatorBuilder::ecs_ram_role`]) and STS (`Action=AssumeRole`,
//!   signed v1 by an accepted key; `Action=AssumeRoleWithOIDC`, unsigned) are served on the same
//!   port and are not recorded in [`Emulator::requests`] (see [`Emulator::imds_requests`] and
//!   [`Emulator::sts_requests`]); faults and latency do not apply to them, and STS does not
//!   check `Timestamp` or `SignatureNonce`. The keys they issue expire after
//!   [`EmulatorBuilder::sts_credentials_ttl`]; `DescribeTasks` then answers
//!   `InvalidSecurityToken.Expired`.
//! * A `DescribeTasks` request with `Authorization: ACS3-HMAC-SHA256 ...` is checked as
//!   Signature V3 (the `x-acs-*` headers replace the signature parameters; `Action` and
//!   `Version` come from `x-acs-action` and `x-acs-version`), by code written from the published
//!   algorithm, independent of the client's signer.
//!
//! The full order of the checks, with every Code, is in the `handler` module's source.

mod faults;
mod handler;
mod identity;
mod params;
mod render;
mod seed;
mod server;
mod signature;
mod store;
mod time;

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::task::JoinHandle;

pub use faults::Fault;
pub use render::ResponseShape;
pub use seed::Seed;
pub use store::StatusSchedule;

use crate::model::{Task, TaskStatus};
use handler::NonceCache;
use store::TaskStore;

/// The access key id accepted when the builder is given no key.
pub const DEFAULT_ACCESS_KEY_ID: &str = "emulator-access-key-id";
/// The access key secret accepted when the builder is given no key.
pub const DEFAULT_ACCESS_KEY_SECRET: &str = "emulator-access-key-secret";

/// The regions an emulator knows unless [`EmulatorBuilder::regions`] says otherwise.
pub const DEFAULT_REGIONS: &[&str] = &[
    "cn-qingdao",
    "cn-beijing",
    "cn-zhangjiakou",
    "cn-huhehaote",
    "cn-wulanchabu",
    "cn-hangzhou",
    "cn-shanghai",
    "cn-nanjing",
    "cn-fuzhou",
    "cn-shenzhen",
    "cn-heyuan",
    "cn-guangzhou",
    "cn-chengdu",
    "cn-hongkong",
    "ap-southeast-1",
    "ap-southeast-3",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ap-northeast-1",
    "ap-northeast-2",
    "us-west-1",
    "us-east-1",
    "eu-central-1",
    "eu-west-1",
    "me-east-1",
    "me-central-1",
];

/// The largest timestamp tolerance the emulator applies (100 years).
const MAX_TOLERANCE: chrono::Duration = chrono::Duration::days(36_525);

/// The default number of requests kept by [`Emulator::requests`].
pub const DEFAULT_MAX_RECORDED_REQUESTS: usize = 100_000;

/// One request the emulator received.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The HTTP method.
    pub method: String,
    /// The decoded parameters, query string and form body merged.
    pub params: std::collections::BTreeMap<String, String>,
    /// The request headers, names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    /// `ok`, the error Code returned (for example `SignatureNonceUsed`), or `fault:<kind>` when a
    /// queued [`Fault`] answered (`pending` while the request is being handled).
    pub outcome: String,
}

impl RecordedRequest {
    /// A parameter's value.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// The first header with this name (compared ignoring case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An access key the emulator accepts.
#[derive(Clone)]
pub(crate) struct AccessKey {
    pub(crate) id: String,
    pub(crate) secret: String,
    pub(crate) security_token: Option<String>,
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKey")
            .field("id", &self.id)
            .field("secret", &"** redacted **")
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "** redacted **"),
            )
            .finish()
    }
}

/// Settings fixed at start.
#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) keys: Vec<AccessKey>,
    pub(crate) tolerance: chrono::Duration,
    /// How long a nonce is remembered: twice the tolerance, the longest a timestamp stays valid
    /// (from `tolerance` ahead of the clock to `tolerance` behind it).
    pub(crate) nonce_ttl: chrono::Duration,
    pub(crate) shape: ResponseShape,
    /// The instance RAM role IMDS serves (`None`: IMDS answers 404).
    pub(crate) ecs_ram_role: Option<String>,
    /// Whether IMDS refuses GETs without a token.
    pub(crate) imds_v1_disabled: bool,
    /// Whether IMDS refuses to hand out tokens (an IMDSv1-only metadata service).
    pub(crate) imds_v2_unavailable: bool,
    /// The lifetime of keys issued by IMDS and STS.
    pub(crate) sts_ttl: Duration,
}

/// Everything that changes while the emulator runs.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) store: TaskStore,
    pub(crate) regions: HashSet<String>,
    pub(crate) nonces: NonceCache,
    pub(crate) faults: VecDeque<Fault>,
    pub(crate) requests: VecDeque<RecordedRequest>,
    pub(crate) max_recorded: usize,
    pub(crate) received: u64,
    pub(crate) throttle_ratio: f64,
    pub(crate) latency: Duration,
    pub(crate) clock_offset: chrono::Duration,
    pub(crate) rng: fastrand::Rng,
    /// Keys issued by IMDS and STS.
    pub(crate) issued: Vec<identity::IssuedKey>,
    /// IMDSv2 tokens handed out.
    pub(crate) imds_tokens: HashSet<String>,
    pub(crate) imds_requests: u64,
    pub(crate) sts_requests: u64,
    /// Every OIDC token received by `AssumeRoleWithOIDC`, in order.
    pub(crate) oidc_tokens: Vec<String>,
    /// The access key id that signed each `AssumeRole`, in order.
    pub(crate) assume_role_callers: Vec<String>,
    /// The parameters of every STS request, secrets removed.
    pub(crate) sts_calls: Vec<std::collections::BTreeMap<String, String>>,
}

impl State {
    /// The emulator clock: real UTC now plus the offset.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        let real = Utc::now();
        real.checked_add_signed(self.clock_offset).unwrap_or(
            if self.clock_offset < chrono::Duration::zero() {
                DateTime::<Utc>::MIN_UTC
            } else {
                DateTime::<Utc>::MAX_UTC
            },
        )
    }

    /// Logs a new request; returns its sequence number, the latency to apply and the next fault.
    pub(crate) fn receive(&mut self, request: RecordedRequest) -> (u64, Duration, Option<Fault>) {
        let seq = self.received;
        self.received += 1;
        self.requests.push_back(request);
        while self.requests.len() > self.max_recorded {
            self.requests.pop_front();
        }
        (seq, self.latency, self.faults.pop_front())
    }

    /// Sets the outcome of request `seq`, if it is still in the log.
    pub(crate) fn finish(&mut self, seq: u64, outcome: String) {
        let first = self.received - self.requests.len() as u64;
        if let Some(index) = seq.checked_sub(first) {
            if let Some(request) = usize::try_from(index)
                .ok()
                .and_then(|i| self.requests.get_mut(i))
            {
                request.outcome = outcome;
            }
        }
    }
}

/// What the server task and the [`Emulator`] handle share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: Config,
    state: Mutex<State>,
    /// Requests being handled right now, and the most there ever were at once.
    pub(crate) in_flight: std::sync::atomic::AtomicUsize,
    pub(crate) max_in_flight: std::sync::atomic::AtomicUsize,
}

/// Counts one request as in flight until dropped (also when the client goes away).
pub(crate) struct InFlight<'a>(&'a Shared);

impl<'a> InFlight<'a> {
    pub(crate) fn enter(shared: &'a Shared) -> Self {
        use std::sync::atomic::Ordering;
        let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
        Self(shared)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0
            .in_flight
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Shared {
    /// Locks the state (a panic elsewhere while holding the lock does not poison it for us).
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The emulator clock.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.lock().now()
    }
}

/// A running emulator. Dropping it stops the server (and closes its connections).
///
/// Start one with [`Emulator::start`] (defaults) or [`Emulator::builder`]. All methods take
/// `&self` and may be called while requests are in flight.
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: Option<JoinHandle<()>>,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("addr", &self.addr)
            .field("access_key_id", &self.access_key_id())
            .field("access_key_secret", &"** redacted **")
            .finish_non_exhaustive()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

impl Emulator {
    /// A builder with every default (see [`EmulatorBuilder`]).
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// Starts an emulator with the defaults: an ephemeral port on 127.0.0.1, the default access
    /// key, the default regions and the [`Seed::Default`] tasks. Must be called within a tokio
    /// runtime.
    pub async fn start() -> std::io::Result<Emulator> {
        Self::builder().start().await
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The endpoint URL, `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The id of the first configured access key.
    pub fn access_key_id(&self) -> &str {
        self.first_key().map_or("", |k| k.id.as_str())
    }

    /// The secret of the first configured access key (a test key, safe to hand out).
    pub fn access_key_secret(&self) -> &str {
        self.first_key().map_or("", |k| k.secret.as_str())
    }

    /// The security token the first configured access key requires, when it is an STS key.
    pub fn security_token(&self) -> Option<&str> {
        self.first_key().and_then(|k| k.security_token.as_deref())
    }

    fn first_key(&self) -> Option<&AccessKey> {
        self.shared.config.keys.first()
    }

    /// Adds a task to a region (registering the region if it is not known yet). A task with the
    /// same id, in any region, is replaced.
    pub fn add_task(&self, region_id: &str, task: Task) {
        self.add_task_with_schedule(region_id, task, StatusSchedule::new());
    }

    /// Adds several tasks to a region (see [`add_task`](Self::add_task)).
    pub fn add_tasks(&self, region_id: &str, tasks: impl IntoIterator<Item = Task>) {
        let mut state = self.shared.lock();
        let now = state.now();
        state.regions.insert(region_id.to_owned());
        for task in tasks {
            state
                .store
                .insert(region_id, task, StatusSchedule::new(), now);
        }
    }

    /// Adds a task whose status follows `schedule` as `DescribeTasks` responses return it.
    pub fn add_task_with_schedule(&self, region_id: &str, task: Task, schedule: StatusSchedule) {
        let mut state = self.shared.lock();
        let now = state.now();
        state.regions.insert(region_id.to_owned());
        state.store.insert(region_id, task, schedule, now);
    }

    /// Removes every task, in every region (the regions stay known).
    pub fn clear_tasks(&self) {
        self.shared.lock().store.clear();
    }

    /// Sets a task's status; `false` when no task has this id. `Finished`, `Failed` and
    /// `Deleted` set the finished time to the emulator clock's now; other statuses clear it.
    pub fn set_task_status(&self, task_id: &str, status: TaskStatus) -> bool {
        let mut state = self.shared.lock();
        let now = state.now();
        state.store.set_status(task_id, status, now)
    }

    /// A copy of the task with this id, as it is now.
    pub fn task(&self, task_id: &str) -> Option<Task> {
        self.shared.lock().store.get(task_id)
    }

    /// The number of tasks in a region.
    pub fn task_count(&self, region_id: &str) -> usize {
        self.shared.lock().store.count(region_id)
    }

    /// The requests received, oldest first (at most the builder's
    /// [`max_recorded_requests`](EmulatorBuilder::max_recorded_requests), the most recent ones).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.iter().cloned().collect()
    }

    /// How many requests were received in total (not capped like [`requests`](Self::requests)).
    pub fn request_count(&self) -> usize {
        usize::try_from(self.shared.lock().received).unwrap_or(usize::MAX)
    }

    /// Forgets the recorded requests (the total count is kept).
    pub fn clear_requests(&self) {
        self.shared.lock().requests.clear();
    }

    /// Queues faults; each incoming request takes the next one, first in first out, before it
    /// is checked. See [`Fault`].
    pub fn push_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        self.shared.lock().faults.extend(faults);
    }

    /// How many queued faults have not been used yet.
    pub fn pending_faults(&self) -> usize {
        self.shared.lock().faults.len()
    }

    /// Drops the queued faults.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Answers this fraction of otherwise valid requests (0.0 to 1.0, chosen at random) with
    /// HTTP 400 `Throttling.User`, after authentication. For load tests; 0 turns it off.
    pub fn set_throttle_ratio(&self, ratio: f64) {
        let ratio = if ratio.is_nan() {
            0.0
        } else {
            ratio.clamp(0.0, 1.0)
        };
        self.shared.lock().throttle_ratio = ratio;
    }

    /// Adds this delay before every request is handled (faults included).
    pub fn set_latency(&self, latency: Duration) {
        self.shared.lock().latency = latency;
    }

    /// Sets the emulator clock to real UTC now plus `offset`. The clock drives the timestamp
    /// check, the `Date` header, schedule finish times and rate-limit resets.
    pub fn set_clock_offset(&self, offset: chrono::Duration) {
        self.shared.lock().clock_offset = offset;
    }

    /// The emulator clock's current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.shared.now()
    }

    /// The most requests the emulator has handled at once (latency included).
    pub fn max_concurrent_requests(&self) -> usize {
        self.shared
            .max_in_flight
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The requests being handled right now.
    pub fn in_flight_requests(&self) -> usize {
        self.shared
            .in_flight
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The IMDS base URL (`http://127.0.0.1:PORT`; IMDS lives under `/latest/`).
    pub fn imds_endpoint(&self) -> String {
        self.endpoint()
    }

    /// The STS base URL (`http://127.0.0.1:PORT`; STS actions are told apart by `Action`).
    pub fn sts_endpoint(&self) -> String {
        self.endpoint()
    }

    /// How many IMDS requests were received.
    pub fn imds_requests(&self) -> u64 {
        self.shared.lock().imds_requests
    }

    /// How many STS requests (`AssumeRole`, `AssumeRoleWithOIDC`) were received.
    pub fn sts_requests(&self) -> u64 {
        self.shared.lock().sts_requests
    }

    /// Every OIDC token received by `AssumeRoleWithOIDC`, in order.
    pub fn oidc_tokens_received(&self) -> Vec<String> {
        self.shared.lock().oidc_tokens.clone()
    }

    /// The access key id that signed each accepted `AssumeRole`, in order.
    pub fn assume_role_callers(&self) -> Vec<String> {
        self.shared.lock().assume_role_callers.clone()
    }

    /// The parameters of every STS request received, in order, without `Signature`,
    /// `SecurityToken` and `OIDCToken`.
    pub fn sts_calls(&self) -> Vec<std::collections::BTreeMap<String, String>> {
        self.shared.lock().sts_calls.clone()
    }

    /// How many keys IMDS and STS have issued.
    pub fn issued_key_count(&self) -> usize {
        self.shared.lock().issued.len()
    }

    /// Makes every key issued so far expire now (`DescribeTasks` then refuses them with
    /// `InvalidSecurityToken.Expired`).
    pub fn expire_issued_credentials(&self) {
        let mut state = self.shared.lock();
        let now = state.now();
        for key in &mut state.issued {
            key.expires = now;
        }
    }

    /// Stops the server and waits until it has released the port.
    pub async fn shutdown(mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
            let _ = server.await;
        }
    }
}

/// Configures and starts an [`Emulator`]. Every setting is optional.
#[derive(Clone)]
pub struct EmulatorBuilder {
    port: u16,
    keys: Vec<AccessKey>,
    regions: Option<Vec<String>>,
    seed: Seed,
    tolerance: Duration,
    latency: Duration,
    shape: ResponseShape,
    max_recorded: usize,
    ecs_ram_role: Option<String>,
    imds_v1_disabled: bool,
    imds_v2_unavailable: bool,
    sts_ttl: Duration,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            port: 0,
            keys: Vec::new(),
            regions: None,
            seed: Seed::Default,
            tolerance: Duration::from_secs(15 * 60),
            latency: Duration::ZERO,
            shape: ResponseShape::Service,
            max_recorded: DEFAULT_MAX_RECORDED_REQUESTS,
            ecs_ram_role: None,
            imds_v1_disabled: false,
            imds_v2_unavailable: false,
            sts_ttl: Duration::from_secs(3600),
        }
    }
}

impl fmt::Debug for EmulatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorBuilder")
            .field("port", &self.port)
            .field("keys", &self.keys)
            .field("regions", &self.regions)
            .field("seed", &self.seed)
            .field("tolerance", &self.tolerance)
            .field("latency", &self.latency)
            .field("shape", &self.shape)
            .field("max_recorded", &self.max_recorded)
            .field("ecs_ram_role", &self.ecs_ram_role)
            .field("imds_v1_disabled", &self.imds_v1_disabled)
            .field("imds_v2_unavailable", &self.imds_v2_unavailable)
            .field("sts_ttl", &self.sts_ttl)
            .finish()
    }
}

impl EmulatorBuilder {
    /// The port on 127.0.0.1; default 0 (an ephemeral port, see [`Emulator::addr`]).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Accepts this access key. May be called several times to accept several keys; the first
    /// key given is the one [`Emulator::access_key_id`] reports. Without any key, the emulator
    /// accepts [`DEFAULT_ACCESS_KEY_ID`] / [`DEFAULT_ACCESS_KEY_SECRET`].
    pub fn access_key(mut self, id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.keys.push(AccessKey {
            id: id.into(),
            secret: secret.into(),
            security_token: None,
        });
        self
    }

    /// Accepts this STS access key, which requires `SecurityToken` to equal `security_token`.
    pub fn sts_access_key(
        mut self,
        id: impl Into<String>,
        secret: impl Into<String>,
        security_token: impl Into<String>,
    ) -> Self {
        self.keys.push(AccessKey {
            id: id.into(),
            secret: secret.into(),
            security_token: Some(security_token.into()),
        });
        self
    }

    /// The regions that exist; default [`DEFAULT_REGIONS`]. Seed tasks go only to regions in
    /// this list.
    pub fn regions<I, S>(mut self, regions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.regions = Some(regions.into_iter().map(|r| r.as_ref().to_owned()).collect());
        self
    }

    /// The tasks to start with; default [`Seed::Default`].
    pub fn seed(mut self, seed: Seed) -> Self {
        self.seed = seed;
        self
    }

    /// How far `Timestamp` may differ from the emulator clock; default 15 minutes. Nonces are
    /// remembered for twice this long.
    pub fn timestamp_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// A delay added before every request is handled; default none. See
    /// [`Emulator::set_latency`].
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// The layout of successful responses; default [`ResponseShape::Service`].
    pub fn response_shape(mut self, shape: ResponseShape) -> Self {
        self.shape = shape;
        self
    }

    /// How many of the most recent requests [`Emulator::requests`] keeps; default
    /// [`DEFAULT_MAX_RECORDED_REQUESTS`]. Lower it for long load tests.
    pub fn max_recorded_requests(mut self, max: usize) -> Self {
        self.max_recorded = max;
        self
    }

    /// Serves IMDS with this instance RAM role (see [`Emulator::imds_endpoint`]). Default: no
    /// role, and every IMDS path answers 404.
    pub fn ecs_ram_role(mut self, role: impl Into<String>) -> Self {
        self.ecs_ram_role = Some(role.into());
        self
    }

    /// Makes IMDS refuse GETs without an IMDSv2 token (401). Default: off.
    pub fn imds_v1_disabled(mut self, disabled: bool) -> Self {
        self.imds_v1_disabled = disabled;
        self
    }

    /// Makes IMDS answer the token request (`PUT /latest/api/token`) with 403, like a metadata
    /// service without IMDSv2, so that clients must fall back to IMDSv1. Default: off.
    pub fn imds_v2_unavailable(mut self, unavailable: bool) -> Self {
        self.imds_v2_unavailable = unavailable;
        self
    }

    /// The lifetime of the credentials IMDS and STS issue. Default 3600 s. Second precision
    /// (the `Expiration` field has no fraction).
    pub fn sts_credentials_ttl(mut self, ttl: Duration) -> Self {
        self.sts_ttl = ttl;
        self
    }

    /// Binds the port and starts serving. Must be called within a tokio runtime.
    pub async fn start(self) -> std::io::Result<Emulator> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, self.port)).await?;
        let addr = listener.local_addr()?;
        let keys = if self.keys.is_empty() {
            vec![AccessKey {
                id: DEFAULT_ACCESS_KEY_ID.to_owned(),
                secret: DEFAULT_ACCESS_KEY_SECRET.to_owned(),
                security_token: None,
            }]
        } else {
            self.keys
        };
        let regions: HashSet<String> = match self.regions {
            Some(regions) => regions.into_iter().collect(),
            None => DEFAULT_REGIONS.iter().map(|r| (*r).to_owned()).collect(),
        };
        let now = Utc::now();
        let mut store = TaskStore::default();
        for (region, task) in seed::tasks(self.seed, now, |r| regions.contains(r)) {
            store.insert(region, task, StatusSchedule::new(), now);
        }
        // Capped at 100 years so that the arithmetic on it can never overflow.
        let tolerance = chrono::Duration::from_std(self.tolerance)
            .unwrap_or(MAX_TOLERANCE)
            .min(MAX_TOLERANCE);
        let shared = Arc::new(Shared {
            config: Config {
                keys,
                tolerance,
                nonce_ttl: tolerance * 2,
                shape: self.shape,
                ecs_ram_role: self.ecs_ram_role,
                imds_v1_disabled: self.imds_v1_disabled,
                imds_v2_unavailable: self.imds_v2_unavailable,
                sts_ttl: self.sts_ttl,
            },
            in_flight: Default::default(),
            max_in_flight: Default::default(),
            state: Mutex::new(State {
                store,
                regions,
                nonces: NonceCache::default(),
                faults: VecDeque::new(),
                requests: VecDeque::new(),
                max_recorded: self.max_recorded,
                received: 0,
                throttle_ratio: 0.0,
                latency: self.latency,
                clock_offset: chrono::Duration::zero(),
                rng: fastrand::Rng::new(),
                issued: Vec::new(),
                imds_tokens: HashSet::new(),
                imds_requests: 0,
                sts_requests: 0,
                oidc_tokens: Vec::new(),
                assume_role_callers: Vec::new(),
                sts_calls: Vec::new(),
            }),
        });
        let server = tokio::spawn(server::serve(listener, Arc::clone(&shared)));
        Ok(Emulator {
            shared,
            addr,
            server: Some(server),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn debug_output_never_shows_secrets() {
        let builder = Emulator::builder()
            .access_key("id-1", "very-secret-1")
            .sts_access_key("id-2", "very-secret-2", "token-3");
        let text = format!("{builder:?}");
        assert!(text.contains("id-1") && text.contains("id-2"));
        assert!(
            !text.contains("very-secret") && !text.contains("token-3"),
            "{text}"
        );
        let emulator = builder.start().await.unwrap();
        let text = format!("{emulator:?}");
        assert!(text.contains("id-1"));
        assert!(!text.contains("very-secret"), "{text}");
        assert_eq!(emulator.access_key_secret(), "very-secret-1");
        emulator.shutdown().await;
    }

    #[tokio::test]
    async fn defaults_seed_tasks_and_accept_the_default_key() {
        let emulator = Emulator::start().await.unwrap();
        assert_eq!(emulator.access_key_id(), DEFAULT_ACCESS_KEY_ID);
        assert_eq!(emulator.access_key_secret(), DEFAULT_ACCESS_KEY_SECRET);
        assert_eq!(emulator.task_count("cn-hangzhou"), 320);
        assert!(emulator.endpoint().starts_with("http://127.0.0.1:"));
        emulator.clear_tasks();
        assert_eq!(emulator.task_count("cn-hangzhou"), 0);
        let empty = Emulator::builder()
            .seed(Seed::Empty)
            .regions(["eu-west-1"])
            .start()
            .await
            .unwrap();
        assert_eq!(empty.task_count("cn-hangzhou"), 0);
    }

    #[test]
    fn request_log_is_capped_and_outcomes_follow_sequence_numbers() {
        let mut state = State {
            store: TaskStore::default(),
            regions: HashSet::new(),
            nonces: NonceCache::default(),
            faults: VecDeque::from([Fault::Throttle]),
            requests: VecDeque::new(),
            max_recorded: 2,
            received: 0,
            throttle_ratio: 0.0,
            latency: Duration::ZERO,
            clock_offset: chrono::Duration::zero(),
            rng: fastrand::Rng::with_seed(1),
            issued: Vec::new(),
            imds_tokens: HashSet::new(),
            imds_requests: 0,
            sts_requests: 0,
            oidc_tokens: Vec::new(),
            assume_role_callers: Vec::new(),
            sts_calls: Vec::new(),
        };
        let request = |n: &str| RecordedRequest {
            method: n.to_owned(),
            params: Default::default(),
            headers: Vec::new(),
            outcome: "pending".into(),
        };
        let (s0, _, f0) = state.receive(request("a"));
        let (s1, _, f1) = state.receive(request("b"));
        let (s2, _, _) = state.receive(request("c"));
        assert_eq!((s0, s1, s2), (0, 1, 2));
        assert_eq!(f0, Some(Fault::Throttle));
        assert_eq!(f1, None);
        state.finish(s0, "gone".into());
        state.finish(s2, "ok".into());
        let methods: Vec<_> = state
            .requests
            .iter()
            .map(|r| (r.method.as_str(), r.outcome.as_str()))
            .collect();
        assert_eq!(methods, [("b", "pending"), ("c", "ok")]);
    }
}
