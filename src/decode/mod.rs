//! Decoding response bodies: JSON or XML into one tolerant model, and error envelopes.
//!
//! Accepted shapes, in both formats:
//!
//! * `TaskSet: {"Task": [...]}` (the real service), `TaskSet: {"Task": {...}}` (one task),
//!   `TaskSet: [{"Task": [...]}]` (the reference's example), an empty or missing `TaskSet`, and a
//!   single `<Task>` in XML;
//! * `TaskAction` as `ImportImage` or `IMPORT_IMAGE`, unknown actions and statuses kept as
//!   `Other`;
//! * `SupportCancel` as `true`, `"true"` or `"True"`; numbers as numbers or strings;
//! * times with minute precision (`2015-11-24T12:50Z`) or with seconds; an empty
//!   `FinishedTime` as `None`;
//! * unknown fields, ignored.
//!
//! The format is read from the body itself (`{` or `<`), so a JSON error from a gateway in front
//! of an XML call still decodes. Nothing here panics on any input; everything that cannot be
//! decoded is a [`DecodeError`] with the status and a short excerpt.
//!
//! Each format has two decoders. A fast path reads the plain subset the service sends (strings
//! without escapes, tags without attributes, no entities or comments) in one pass straight into
//! the model. At anything outside that subset, and at every error, it steps aside and the general
//! decoder (serde_json or quick-xml) reads the body and words the error. The fast paths never
//! decide alone what a body means: property tests check, over generated and mangled bodies, that
//! wherever a fast path returns a page the general decoder returns the same page.

mod envelope;
#[cfg(test)]
mod fast_path_tests;
mod json;
mod json_scan;
pub mod lenient;
mod scan;
mod xml;
mod xml_scan;

use crate::error::{DecodeError, Error, ServiceError};
use crate::model::{DescribeTasksResponse, Task, TaskAction, TaskStatus};

pub use envelope::decode_error_envelope;

/// What the body looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyKind {
    Json,
    Xml,
    Html,
    Empty,
    Other,
}

/// Sniffs the body's format from its first meaningful bytes.
pub(crate) fn sniff(body: &[u8]) -> BodyKind {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let start = match body.iter().position(|b| !b.is_ascii_whitespace()) {
        Some(i) => &body[i..],
        None => return BodyKind::Empty,
    };
    match start[0] {
        b'{' | b'[' => BodyKind::Json,
        b'<' => {
            let head = &start[..start.len().min(64)];
            let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
            if lower.starts_with(b"<!doctype html") || lower.starts_with(b"<html") {
                BodyKind::Html
            } else {
                BodyKind::Xml
            }
        }
        _ => BodyKind::Other,
    }
}

/// Decodes a successful JSON body into the model.
pub fn decode_json(body: &[u8]) -> Result<DescribeTasksResponse, DecodeError> {
    json::decode(body).map_err(|reason| DecodeError::new(200, reason, body))
}

/// Decodes a successful XML body into the model.
pub fn decode_xml(body: &[u8]) -> Result<DescribeTasksResponse, DecodeError> {
    xml::decode(body).map_err(|reason| DecodeError::new(200, reason, body))
}

/// Decodes any response: a 2xx body into the model (JSON or XML, whichever the body is), any
/// other status into a [`ServiceError`] from its envelope, and anything else into a
/// [`DecodeError`]. `request_id` is the `x-acs-request-id` header, used when the body has none.
pub fn decode_response(
    http_status: u16,
    body: &[u8],
    request_id: Option<&str>,
) -> Result<DescribeTasksResponse, Error> {
    let kind = sniff(body);
    let fail = |reason: String| {
        let mut e = DecodeError::new(http_status, reason, body);
        e.request_id = request_id.map(str::to_owned);
        Error::decode(e)
    };
    if !(200..300).contains(&http_status) {
        return Err(match decode_error_envelope(http_status, body) {
            Some(mut e) => {
                if e.request_id.is_none() {
                    e.request_id = request_id.map(str::to_owned);
                }
                Error::service(e)
            }
            None => fail(match kind {
                BodyKind::Html => {
                    "an HTML page instead of an API response (a proxy or gateway?)".into()
                }
                BodyKind::Empty => "an empty body with an error status".into(),
                _ => "the body is not an error envelope".into(),
            }),
        });
    }
    let decoded = match kind {
        BodyKind::Json => json::decode(body),
        BodyKind::Xml => xml::decode(body),
        BodyKind::Html => {
            Err("an HTML page instead of an API response (a proxy or gateway?)".into())
        }
        BodyKind::Empty => Err("an empty body".into()),
        BodyKind::Other => Err("the body is neither JSON nor XML".into()),
    };
    match decoded {
        // A 2xx carrying an error envelope (seen behind some gateways) is still an error.
        Ok(r) if r.request_id.is_empty() && r.total_count == 0 && r.task_set.is_empty() => {
            match decode_error_envelope(http_status, body) {
                Some(e) => Err(Error::service(e)),
                None => Ok(r),
            }
        }
        Ok(r) => Ok(r),
        Err(reason) => match decode_error_envelope(http_status, body) {
            Some(e) => Err(Error::service(e)),
            None => Err(fail(reason)),
        },
    }
}

/// The task fields this crate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TaskField {
    TaskId,
    TaskAction,
    TaskStatus,
    CreationTime,
    FinishedTime,
    SupportCancel,
    ResourceId,
    Source,
    FailedReason,
    TaskGroupId,
}

impl TaskField {
    /// The field named `name` on the wire.
    pub(crate) fn from_name(name: &[u8]) -> Option<Self> {
        Some(match name {
            b"TaskId" => TaskField::TaskId,
            b"TaskAction" => TaskField::TaskAction,
            b"TaskStatus" => TaskField::TaskStatus,
            b"CreationTime" => TaskField::CreationTime,
            b"FinishedTime" => TaskField::FinishedTime,
            b"SupportCancel" => TaskField::SupportCancel,
            b"ResourceId" => TaskField::ResourceId,
            b"Source" => TaskField::Source,
            b"FailedReason" => TaskField::FailedReason,
            b"TaskGroupId" => TaskField::TaskGroupId,
            _ => return None,
        })
    }

    /// The wire name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            TaskField::TaskId => "TaskId",
            TaskField::TaskAction => "TaskAction",
            TaskField::TaskStatus => "TaskStatus",
            TaskField::CreationTime => "CreationTime",
            TaskField::FinishedTime => "FinishedTime",
            TaskField::SupportCancel => "SupportCancel",
            TaskField::ResourceId => "ResourceId",
            TaskField::Source => "Source",
            TaskField::FailedReason => "FailedReason",
            TaskField::TaskGroupId => "TaskGroupId",
        }
    }
}

/// A task before any field arrives: what a task without TaskAction or TaskStatus reads as.
pub(crate) fn blank_task() -> Task {
    Task::new(
        String::new(),
        TaskAction::Other(String::new()),
        TaskStatus::Other(String::new()),
    )
}

fn non_empty(value: &str) -> Option<String> {
    let v = lenient::trim(value);
    (!v.is_empty()).then(|| v.to_owned())
}

/// Sets a known field of `task` from its text, in place.
pub(crate) fn set_task_field(task: &mut Task, field: TaskField, value: &str) -> Result<(), String> {
    let in_field = |e: String| format!("{}: {e}", field.name());
    match field {
        TaskField::TaskId => {
            // An empty id reads as a missing one (see `check_task`).
            task.task_id = lenient::trim(value).to_owned();
        }
        TaskField::TaskAction => task.task_action = TaskAction::from_wire(lenient::trim(value)),
        TaskField::TaskStatus => task.task_status = TaskStatus::from_wire(lenient::trim(value)),
        TaskField::CreationTime => {
            task.creation_time = lenient::parse_time(value).map_err(in_field)?
        }
        TaskField::FinishedTime => {
            task.finished_time = lenient::parse_time(value).map_err(in_field)?
        }
        TaskField::SupportCancel => {
            task.support_cancel = lenient::parse_bool(value).map_err(in_field)?
        }
        TaskField::ResourceId => task.resource_id = non_empty(value),
        TaskField::Source => task.source = non_empty(value),
        TaskField::FailedReason => task.failed_reason = non_empty(value),
        TaskField::TaskGroupId => task.task_group_id = non_empty(value),
    }
    Ok(())
}

/// Whether a decoded task is whole: `TaskId` is the one required field.
pub(crate) fn check_task(task: &Task) -> Result<(), String> {
    if task.task_id.is_empty() {
        Err("a task without TaskId".into())
    } else {
        Ok(())
    }
}

/// A task as its fields arrive, for decoders that cannot fill it in its final place.
pub(crate) struct TaskFields(Task);

impl Default for TaskFields {
    fn default() -> Self {
        Self(blank_task())
    }
}

impl TaskFields {
    /// Sets a known field from its text.
    pub(crate) fn set_field(&mut self, field: TaskField, value: &str) -> Result<(), String> {
        set_task_field(&mut self.0, field, value)
    }

    /// The task, if it is whole.
    pub(crate) fn finish(self) -> Result<Task, String> {
        check_task(&self.0)?;
        Ok(self.0)
    }
}

/// A [`ServiceError`] with only the envelope fields known.
pub(crate) fn service_error(http_status: u16, code: String) -> ServiceError {
    ServiceError {
        http_status,
        code,
        message: String::new(),
        request_id: None,
        host_id: None,
        recommend: None,
        diagnosis: None,
    }
}
