//! Typed, async client for the Alibaba Cloud ECS task API (`DescribeTasks`, API version
//! 2014-05-26), with a bundled offline emulator.
//!
//! * **Validated requests**: [`DescribeTasksRequest::builder`] refuses bad input before anything
//!   is sent, with an error naming the field, the value and what is allowed.
//! * **Correct on the wire**: RPC signature v1 ([`signer`]), a fresh `Timestamp` and
//!   `SignatureNonce` on every attempt, retries included.
//! * **Tolerant decoding**: JSON or XML into one model ([`decode`]), whatever shape of `TaskSet`
//!   the service or its documentation produces; unknown values kept, not rejected.
//! * **Typed errors**: one [`Error`] with the service's Code, Message and RequestId.
//! * **Resilient**: retries classified by Code and status with jittered backoff and a retry
//!   budget ([`retry`]), connect/attempt/operation timeouts, clock-skew correction.
//! * **Streams and waiting**: every page or task as a `futures::Stream` ([`paginate`]), and a
//!   waiter for tasks to finish ([`wait`]).
//! * **Testable**: the [`emulator`] (feature `emulator`) serves the API on 127.0.0.1.
//!
//! # Quick start
//!
//! Against the bundled emulator (no account, no network):
//!
//! ```
//! # #[cfg(feature = "emulator")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use aliyun_ecs_tasks::emulator::Emulator;
//! use aliyun_ecs_tasks::{Client, Credentials, DescribeTasksRequest, TaskStatus};
//! use futures::TryStreamExt;
//!
//! let emulator = Emulator::start().await?;
//! let client = Client::builder()
//!     .endpoint(emulator.endpoint())
//!     .allow_http(true)
//!     .credentials(Credentials::new(emulator.access_key_id(), emulator.access_key_secret()))
//!     .build()?;
//!
//! // One page.
//! let request = DescribeTasksRequest::builder()
//!     .region_id("cn-hangzhou")
//!     .task_status(TaskStatus::Finished)
//!     .page_size(10)
//!     .build()?;
//! let page = client.describe_tasks(request).await?;
//! assert!(page.total_count > 0);
//!
//! // Every task, page after page.
//! let mut tasks = client.describe_tasks_stream(DescribeTasksRequest::builder().region_id("cn-hangzhou"));
//! while let Some(task) = tasks.try_next().await? {
//!     assert!(!task.task_id.is_empty());
//! }
//! # Ok(()) }
//! # #[cfg(not(feature = "emulator"))]
//! # fn main() {}
//! ```
//!
//! Against the service, credentials come from [`Credentials::new`] or the environment
//! (`ALIBABA_CLOUD_ACCESS_KEY_ID`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET`, optionally
//! `ALIBABA_CLOUD_SECURITY_TOKEN`, which is also the default when none are given):
//!
//! ```no_run
//! # async fn run() -> Result<(), aliyun_ecs_tasks::Error> {
//! use aliyun_ecs_tasks::{Client, DescribeTasksRequest, TaskAction};
//!
//! let client = Client::builder().build()?; // https://ecs.<region>.aliyuncs.com, JSON
//! let request = DescribeTasksRequest::builder()
//!     .region_id("cn-hangzhou")
//!     .task_action(TaskAction::ImportImage)
//!     .build()?;
//! match client.describe_tasks(request).await {
//!     Ok(page) => println!("{} tasks", page.total_count),
//!     Err(e) if e.is_throttling() => eprintln!("throttled after {} attempts", e.attempts()),
//!     Err(e) => eprintln!("{e} (code {:?}, request {:?})", e.code(), e.request_id()),
//! }
//! # Ok(()) }
//! ```
//!
//! # Defaults
//!
//! | setting | default | where |
//! |---|---|---|
//! | format | JSON | [`ClientBuilder::format`] |
//! | connect timeout | 5 s | [`ClientBuilder::connect_timeout`] |
//! | read timeout | 11 s | [`ClientBuilder::read_timeout`] |
//! | attempt timeout | 30 s | [`ClientBuilder::attempt_timeout`] |
//! | operation timeout | 120 s | [`ClientBuilder::operation_timeout`] |
//! | attempts | 3, backoff 200 ms to 20 s with full jitter, 60 s budget | [`RetryConfig`] |
//! | retry budget | 500 tokens, 5 a retry (10 after a timeout) | [`retry`] |
//! | body cap | 16 MiB | [`ClientBuilder::max_body_size`] |
//! | walk page size | 100 | [`paginate::DEFAULT_WALK_PAGE_SIZE`] |
//! | collect cap | 100,000 tasks | [`paginate::DEFAULT_COLLECT_LIMIT`] |
//! | waiter | polls 2 s growing to 30 s, 30 min timeout | [`WaitOptions`] |
//!
//! # Features
//!
//! | feature | default | what it does |
//! |---|---|---|
//! | `rustls-tls` | yes | TLS through rustls with the webpki roots |
//! | `native-tls` | no | TLS through the platform library instead |
//! | `emulator` | no | the in-process ECS emulator (hyper on loopback) |
//! | `tracing` | no | a span per call (action, region, attempt) and an event per attempt (RequestId, HTTP status, latency); never secrets or signatures |
#![warn(missing_docs)]

pub mod client;
pub mod credentials;
pub mod decode;
pub mod endpoint;
pub mod error;
pub mod model;
pub mod paginate;
pub mod request;
pub mod retry;
pub mod signer;
pub mod signer_v3;
mod telemetry;
mod transport;
pub mod wait;

#[cfg(feature = "emulator")]
pub mod emulator;

pub use client::{Client, ClientBuilder, Format, SignatureVersion};
pub use credentials::{
    CachingProvider, Credentials, CredentialsChain, EnvironmentProvider, ProvideCredentials,
    ProviderContext,
};
pub use error::{CredentialsError, DecodeError, Error, Result, ServiceError, ValidationError};
pub use model::{DescribeTasksResponse, Task, TaskAction, TaskSet, TaskStatus};
pub use paginate::{IntoDescribeTasksRequest, Pages, Tasks};
pub use request::{DescribeTasksRequest, DescribeTasksRequestBuilder};
pub use retry::RetryConfig;
pub use wait::WaitOptions;
