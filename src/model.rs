//! The typed response model: [`DescribeTasksResponse`], [`TaskSet`], [`Task`], [`TaskStatus`] and
//! [`TaskAction`].
//!
//! The same model is produced from JSON and XML bodies; see [`crate::decode`] for the shapes that are
//! accepted.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use crate::error::ValidationError;

/// One page of `DescribeTasks` results.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DescribeTasksResponse {
    /// The request id the service assigned to this call; quote it in support tickets.
    pub request_id: String,
    /// The region the tasks belong to, when the service reports it.
    pub region_id: Option<String>,
    /// The page number of this page (1-based).
    pub page_number: u32,
    /// The page size the service used for this page.
    pub page_size: u32,
    /// The number of tasks that match the request, across all pages.
    pub total_count: u64,
    /// The tasks on this page.
    pub task_set: TaskSet,
}

impl DescribeTasksResponse {
    /// The tasks on this page, in the order the service returned them.
    pub fn tasks(&self) -> &[Task] {
        &self.task_set.tasks
    }

    /// Consumes the page and returns its tasks.
    pub fn into_tasks(self) -> Vec<Task> {
        self.task_set.tasks
    }
}

/// The tasks on one page (`TaskSet` on the wire).
///
/// Iterate it with `for task in &page.task_set` or use [`TaskSet::tasks`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct TaskSet {
    /// The tasks, in the order the service returned them.
    pub tasks: Vec<Task>,
}

impl TaskSet {
    /// Wraps a list of tasks.
    pub fn new(tasks: Vec<Task>) -> Self {
        Self { tasks }
    }

    /// The tasks as a slice.
    pub fn tasks(&self) -> &[Task] {
        &self.tasks
    }

    /// The number of tasks on the page.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether the page holds no task.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// An iterator over the tasks.
    pub fn iter(&self) -> std::slice::Iter<'_, Task> {
        self.tasks.iter()
    }
}

impl IntoIterator for TaskSet {
    type Item = Task;
    type IntoIter = std::vec::IntoIter<Task>;
    fn into_iter(self) -> Self::IntoIter {
        self.tasks.into_iter()
    }
}

impl<'a> IntoIterator for &'a TaskSet {
    type Item = &'a Task;
    type IntoIter = std::slice::Iter<'a, Task>;
    fn into_iter(self) -> Self::IntoIter {
        self.tasks.iter()
    }
}

/// One asynchronous ECS task.
///
/// Construct one with [`Task::new`] and the `with_*` setters (useful when seeding the emulator or
/// writing tests); the service fills in the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Task {
    /// The task id, for example `t-bp10e8or74o8x`.
    pub task_id: String,
    /// The API operation that started the task.
    pub task_action: TaskAction,
    /// The task's current status.
    pub task_status: TaskStatus,
    /// When the task was created (UTC). The service sometimes sends minute precision only.
    pub creation_time: Option<DateTime<Utc>>,
    /// When the task ended; `None` while it runs (the service sends an empty string).
    pub finished_time: Option<DateTime<Utc>>,
    /// Whether the task can be cancelled; `None` when the service did not say.
    pub support_cancel: Option<bool>,
    /// The resource the task works on (an image or instance id), when reported.
    pub resource_id: Option<String>,
    /// The task's source (for example `user`), when reported.
    pub source: Option<String>,
    /// Why the task failed, when reported.
    pub failed_reason: Option<String>,
    /// The task group the task belongs to, when reported.
    pub task_group_id: Option<String>,
}

impl Task {
    /// A task with the given id, action and status, and no other field set.
    pub fn new(
        task_id: impl Into<String>,
        task_action: TaskAction,
        task_status: TaskStatus,
    ) -> Self {
        Self {
            task_id: task_id.into(),
            task_action,
            task_status,
            creation_time: None,
            finished_time: None,
            support_cancel: None,
            resource_id: None,
            source: None,
            failed_reason: None,
            task_group_id: None,
        }
    }

    /// Sets the creation time.
    pub fn with_creation_time(mut self, time: DateTime<Utc>) -> Self {
        self.creation_time = Some(time);
        self
    }

    /// Sets the finished time.
    pub fn with_finished_time(mut self, time: DateTime<Utc>) -> Self {
        self.finished_time = Some(time);
        self
    }

    /// Sets whether the task can be cancelled.
    pub fn with_support_cancel(mut self, support_cancel: bool) -> Self {
        self.support_cancel = Some(support_cancel);
        self
    }

    /// Sets the resource id.
    pub fn with_resource_id(mut self, resource_id: impl Into<String>) -> Self {
        self.resource_id = Some(resource_id.into());
        self
    }

    /// Sets the task group id.
    pub fn with_task_group_id(mut self, task_group_id: impl Into<String>) -> Self {
        self.task_group_id = Some(task_group_id.into());
        self
    }

    /// Sets the failure reason.
    pub fn with_failed_reason(mut self, reason: impl Into<String>) -> Self {
        self.failed_reason = Some(reason.into());
        self
    }

    /// Sets the source.
    pub fn with_source(mut self, source: impl Into<String>) -> Self {
        self.source = Some(source.into());
        self
    }
}

/// Compares a wire value with a documented name, ignoring ASCII case and underscores, so that
/// `IMPORT_IMAGE`, `import_image` and `ImportImage` all match `ImportImage`.
fn loosely_equal(wire: &str, name: &str) -> bool {
    let mut wire = wire.bytes().filter(|b| *b != b'_');
    let mut name = name.bytes();
    loop {
        match (wire.next(), name.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(&b) => {}
            _ => return false,
        }
    }
}

macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident, field = $field:literal, {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version of the crate does not know, kept as the service sent it.
            Other(String),
        }

        impl $name {
            /// Every documented value, in the reference's order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),+];

            /// The value as the API spells it in requests.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::Other(s) => s.as_str(),
                }
            }

            /// Reads a value the service sent, never failing: known values are matched ignoring
            /// case and underscores (`IMPORT_IMAGE` is `ImportImage`); anything else is kept as
            /// [`Self::Other`].
            pub fn from_wire(value: &str) -> Self {
                // The documented spelling first (the common case), then the loose match.
                match value {
                    $( $wire => return $name::$variant, )+
                    _ => {}
                }
                $( if loosely_equal(value, $wire) { return $name::$variant; } )+
                $name::Other(value.to_owned())
            }

            /// Whether this is a documented value (not [`Self::Other`]).
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Other(_))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = ValidationError;

            /// Parses a documented value (ignoring case and underscores); anything else is an
            /// error that lists the allowed values.
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                match Self::from_wire(value) {
                    $name::Other(_) => Err(ValidationError::new(
                        $field,
                        value,
                        concat!("one of ", $crate::model::join_names!($($wire),+)),
                    )),
                    known => Ok(known),
                }
            }
        }
    };
}

macro_rules! join_names {
    ($first:literal $(, $rest:literal)*) => { concat!($first $(, ", ", $rest)*) };
}
pub(crate) use join_names;

wire_enum! {
    /// The status of a task.
    ///
    /// Only [`Finished`](Self::Finished), [`Processing`](Self::Processing) and
    /// [`Failed`](Self::Failed) work as a `DescribeTasks` filter; see
    /// [`TaskStatus::is_filterable`].
    TaskStatus, field = "TaskStatus", {
        /// The task completed.
        Finished = "Finished",
        /// The task is running.
        Processing = "Processing",
        /// The task is queued behind other tasks.
        Waiting = "Waiting",
        /// The task was cancelled.
        Deleted = "Deleted",
        /// The task is paused.
        Paused = "Paused",
        /// The task failed.
        Failed = "Failed",
    }
}

impl TaskStatus {
    /// The statuses the service honours as a `TaskStatus` filter (it silently ignores others).
    pub const FILTERABLE: &'static [TaskStatus] = &[
        TaskStatus::Finished,
        TaskStatus::Processing,
        TaskStatus::Failed,
    ];

    /// Whether the service honours this status as a filter.
    pub fn is_filterable(&self) -> bool {
        matches!(
            self,
            TaskStatus::Finished | TaskStatus::Processing | TaskStatus::Failed
        )
    }

    /// Whether the status is final by default: `Finished`, `Failed` or `Deleted`.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            TaskStatus::Finished | TaskStatus::Failed | TaskStatus::Deleted
        )
    }
}

wire_enum! {
    /// The API operation that started a task.
    ///
    /// The service reports some actions in upper snake case (`IMPORT_IMAGE`); both spellings
    /// decode to the same variant.
    TaskAction, field = "TaskAction", {
        /// `ImportImage`: an image import.
        ImportImage = "ImportImage",
        /// `ExportImage`: an image export.
        ExportImage = "ExportImage",
        /// `RedeployInstance`: an instance redeployment.
        RedeployInstance = "RedeployInstance",
        /// `ModifyDiskSpec`: a disk specification change.
        ModifyDiskSpec = "ModifyDiskSpec",
        /// `ArchiveSnapshot`: a snapshot archival.
        ArchiveSnapshot = "ArchiveSnapshot",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_spellings_map_to_known_variants() {
        assert_eq!(
            TaskAction::from_wire("IMPORT_IMAGE"),
            TaskAction::ImportImage
        );
        assert_eq!(
            TaskAction::from_wire("ImportImage"),
            TaskAction::ImportImage
        );
        assert_eq!(
            TaskAction::from_wire("export_image"),
            TaskAction::ExportImage
        );
        assert_eq!(TaskStatus::from_wire("FINISHED"), TaskStatus::Finished);
        assert_eq!(
            TaskAction::from_wire("ResizeDisk"),
            TaskAction::Other("ResizeDisk".into())
        );
        assert_eq!(TaskStatus::from_wire(""), TaskStatus::Other(String::new()));
        // Partial matches are not matches.
        assert_eq!(
            TaskStatus::from_wire("Finish"),
            TaskStatus::Other("Finish".into())
        );
        assert_eq!(
            TaskStatus::from_wire("Finishedd"),
            TaskStatus::Other("Finishedd".into())
        );
    }

    #[test]
    fn parse_errors_name_field_value_and_allowed() {
        let err = "Done".parse::<TaskStatus>().unwrap_err();
        assert_eq!(err.field(), "TaskStatus");
        assert_eq!(err.value(), "Done");
        let text = err.to_string();
        assert!(text.contains("TaskStatus"), "{text}");
        assert!(text.contains("Done"), "{text}");
        assert!(
            text.contains("Finished, Processing, Waiting, Deleted, Paused, Failed"),
            "{text}"
        );
        let err = "Snapshot".parse::<TaskAction>().unwrap_err();
        assert!(err.to_string().contains(
            "ImportImage, ExportImage, RedeployInstance, ModifyDiskSpec, ArchiveSnapshot"
        ));
        assert_eq!(
            "Finished".parse::<TaskStatus>().unwrap(),
            TaskStatus::Finished
        );
        assert_eq!(
            "archive_snapshot".parse::<TaskAction>().unwrap(),
            TaskAction::ArchiveSnapshot
        );
    }

    #[test]
    fn as_str_round_trips_for_every_known_value() {
        for s in TaskStatus::KNOWN {
            assert_eq!(&TaskStatus::from_wire(s.as_str()), s);
        }
        for a in TaskAction::KNOWN {
            assert_eq!(&a.as_str().parse::<TaskAction>().unwrap(), a);
        }
    }
}
