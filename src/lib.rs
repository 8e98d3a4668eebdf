//! Typed, async client for the Alibaba Cloud ECS `DescribeTasks` API.
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
