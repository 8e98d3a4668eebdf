//! Typed, async client for the Alibaba Cloud ECS `DescribeTasks` API.
#![warn(missing_docs)]

pub mod error;
pub mod model;
pub mod retry;

#[cfg(feature = "emulator")]
pub mod emulator;

pub use error::{CredentialsError, DecodeError, Error, Result, ServiceError, ValidationError};
pub use model::{DescribeTasksResponse, Task, TaskAction, TaskSet, TaskStatus};
