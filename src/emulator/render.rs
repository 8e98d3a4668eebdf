//! Response bodies: the `DescribeTasks` page and the error envelope, in JSON and XML.

use serde::Serialize;

use super::signature::percent_encode;
use super::time::format_minutes;
use crate::model::{Task, TaskAction};

/// The layout of successful JSON responses (and, for XML, the spelling of `TaskAction`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseShape {
    /// What the service sends: `"TaskSet":{"Task":[...]}`, `SupportCancel` as the string
    /// `"true"`/`"false"`, `TaskAction` as `ImportImage`.
    #[default]
    Service,
    /// The layout of the API reference's examples: JSON `"TaskSet":[{"Task":[...]}]` with
    /// `SupportCancel` as a JSON boolean, and XML `TaskAction` in upper snake case
    /// (`IMPORT_IMAGE`).
    ReferenceExample,
}

/// The body format a request asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Xml,
}

impl Format {
    /// `Format=JSON` (any case) is JSON; anything else, or no `Format`, is XML, as on the service.
    pub(crate) fn from_param(value: Option<&str>) -> Self {
        match value {
            Some(v) if v.eq_ignore_ascii_case("json") => Format::Json,
            _ => Format::Xml,
        }
    }

    /// The `Content-Type` of bodies in this format.
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json;charset=utf-8",
            Format::Xml => "text/xml;charset=utf-8",
        }
    }
}

const XML_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";

/// Appends `text` escaped for XML element content: the five special characters become entities,
/// and characters XML 1.0 cannot carry at all (control characters other than tab, line feed and
/// carriage return) become U+FFFD.
pub(crate) fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
}

fn push_element(out: &mut String, name: &str, text: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    push_escaped(out, text);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// An error answer, before rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ErrorEnvelope<'a> {
    pub(crate) request_id: &'a str,
    pub(crate) host_id: &'a str,
    pub(crate) code: &'a str,
    pub(crate) message: &'a str,
}

impl ErrorEnvelope<'_> {
    fn recommend(&self) -> String {
        format!(
            "https://api.aliyun.com/troubleshoot?q={}&product=Ecs",
            percent_encode(self.code)
        )
    }

    /// The envelope in `format`.
    pub(crate) fn render(&self, format: Format) -> Vec<u8> {
        let recommend = self.recommend();
        match format {
            Format::Json => {
                #[derive(Serialize)]
                #[serde(rename_all = "PascalCase")]
                struct Json<'a> {
                    request_id: &'a str,
                    host_id: &'a str,
                    code: &'a str,
                    message: &'a str,
                    recommend: &'a str,
                }
                to_json(&Json {
                    request_id: self.request_id,
                    host_id: self.host_id,
                    code: self.code,
                    message: self.message,
                    recommend: &recommend,
                })
            }
            Format::Xml => {
                let mut out = String::from(XML_DECLARATION);
                out.push_str("<Error>");
                push_element(&mut out, "RequestId", self.request_id);
                push_element(&mut out, "HostId", self.host_id);
                push_element(&mut out, "Code", self.code);
                push_element(&mut out, "Message", self.message);
                push_element(&mut out, "Recommend", &recommend);
                out.push_str("</Error>");
                out.into_bytes()
            }
        }
    }
}

/// A successful `DescribeTasks` answer, before rendering.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PageView<'a> {
    pub(crate) request_id: &'a str,
    pub(crate) region_id: &'a str,
    pub(crate) page_number: u32,
    pub(crate) page_size: u32,
    pub(crate) total_count: u64,
    pub(crate) tasks: &'a [Task],
}

#[derive(Serialize)]
#[serde(untagged)]
enum JsonBool {
    Text(&'static str),
    Bool(bool),
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct JsonTask<'a> {
    task_id: &'a str,
    task_action: &'a str,
    task_status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    creation_time: Option<String>,
    finished_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    support_cancel: Option<JsonBool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    task_group_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failed_reason: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonTaskList<'a> {
    #[serde(rename = "Task")]
    task: Vec<JsonTask<'a>>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum JsonTaskSet<'a> {
    Object(JsonTaskList<'a>),
    Array([JsonTaskList<'a>; 1]),
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct JsonPage<'a> {
    request_id: &'a str,
    region_id: &'a str,
    page_number: u32,
    page_size: u32,
    total_count: u64,
    task_set: JsonTaskSet<'a>,
}

/// `ImportImage` -> `IMPORT_IMAGE`, as the reference's XML example spells known actions.
fn upper_snake(action: &TaskAction) -> String {
    if !action.is_known() {
        return action.as_str().to_owned();
    }
    let mut out = String::new();
    for (i, c) in action.as_str().chars().enumerate() {
        if i > 0 && c.is_ascii_uppercase() {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

impl PageView<'_> {
    /// The page in `format` and `shape`.
    pub(crate) fn render(&self, format: Format, shape: ResponseShape) -> Vec<u8> {
        match format {
            Format::Json => self.render_json(shape),
            Format::Xml => self.render_xml(shape),
        }
    }

    fn render_json(&self, shape: ResponseShape) -> Vec<u8> {
        let tasks = self
            .tasks
            .iter()
            .map(|t| JsonTask {
                task_id: &t.task_id,
                task_action: t.task_action.as_str(),
                task_status: t.task_status.as_str(),
                creation_time: t.creation_time.as_ref().map(format_minutes),
                finished_time: t
                    .finished_time
                    .as_ref()
                    .map(format_minutes)
                    .unwrap_or_default(),
                support_cancel: t.support_cancel.map(|b| match shape {
                    ResponseShape::ReferenceExample => JsonBool::Bool(b),
                    ResponseShape::Service => JsonBool::Text(if b { "true" } else { "false" }),
                }),
                resource_id: t.resource_id.as_deref(),
                task_group_id: t.task_group_id.as_deref(),
                source: t.source.as_deref(),
                failed_reason: t.failed_reason.as_deref(),
            })
            .collect();
        let list = JsonTaskList { task: tasks };
        let task_set = match shape {
            ResponseShape::Service => JsonTaskSet::Object(list),
            ResponseShape::ReferenceExample => JsonTaskSet::Array([list]),
        };
        to_json(&JsonPage {
            request_id: self.request_id,
            region_id: self.region_id,
            page_number: self.page_number,
            page_size: self.page_size,
            total_count: self.total_count,
            task_set,
        })
    }

    fn render_xml(&self, shape: ResponseShape) -> Vec<u8> {
        let mut out = String::with_capacity(256 + self.tasks.len() * 320);
        out.push_str(XML_DECLARATION);
        out.push_str("<DescribeTasksResponse>");
        push_element(&mut out, "RequestId", self.request_id);
        push_element(&mut out, "RegionId", self.region_id);
        push_element(&mut out, "PageNumber", &self.page_number.to_string());
        push_element(&mut out, "PageSize", &self.page_size.to_string());
        push_element(&mut out, "TotalCount", &self.total_count.to_string());
        out.push_str("<TaskSet>");
        for t in self.tasks {
            out.push_str("<Task>");
            push_element(&mut out, "TaskId", &t.task_id);
            match shape {
                ResponseShape::Service => {
                    push_element(&mut out, "TaskAction", t.task_action.as_str())
                }
                ResponseShape::ReferenceExample => {
                    push_element(&mut out, "TaskAction", &upper_snake(&t.task_action))
                }
            }
            push_element(&mut out, "TaskStatus", t.task_status.as_str());
            if let Some(created) = &t.creation_time {
                push_element(&mut out, "CreationTime", &format_minutes(created));
            }
            let finished = t
                .finished_time
                .as_ref()
                .map(format_minutes)
                .unwrap_or_default();
            push_element(&mut out, "FinishedTime", &finished);
            if let Some(cancel) = t.support_cancel {
                push_element(
                    &mut out,
                    "SupportCancel",
                    if cancel { "true" } else { "false" },
                );
            }
            let optional = [
                ("ResourceId", &t.resource_id),
                ("TaskGroupId", &t.task_group_id),
                ("Source", &t.source),
                ("FailedReason", &t.failed_reason),
            ];
            for (name, value) in optional {
                if let Some(value) = value {
                    push_element(&mut out, name, value);
                }
            }
            out.push_str("</Task>");
        }
        out.push_str("</TaskSet></DescribeTasksResponse>");
        out.into_bytes()
    }
}

fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    // Serializing plain structs of strings and numbers into memory cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TaskStatus;
    use chrono::{TimeZone, Utc};

    fn sample() -> Vec<Task> {
        vec![
            Task::new("t-1", TaskAction::ImportImage, TaskStatus::Finished)
                .with_creation_time(Utc.with_ymd_and_hms(2015, 11, 24, 12, 50, 31).unwrap())
                .with_finished_time(Utc.with_ymd_and_hms(2015, 11, 24, 12, 52, 0).unwrap())
                .with_support_cancel(true)
                .with_resource_id("m-<&>\"'"),
            Task::new("t-2", TaskAction::RedeployInstance, TaskStatus::Processing)
                .with_creation_time(Utc.with_ymd_and_hms(2015, 11, 23, 15, 10, 0).unwrap())
                .with_support_cancel(false),
        ]
    }

    fn view(tasks: &[Task]) -> PageView<'_> {
        PageView {
            request_id: "REQ",
            region_id: "cn-hangzhou",
            page_number: 1,
            page_size: 10,
            total_count: 2,
            tasks,
        }
    }

    #[test]
    fn json_service_shape() {
        let tasks = sample();
        let body = view(&tasks).render(Format::Json, ResponseShape::Service);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["TotalCount"], 2);
        assert_eq!(v["RegionId"], "cn-hangzhou");
        let list = &v["TaskSet"]["Task"];
        assert_eq!(list[0]["CreationTime"], "2015-11-24T12:50Z");
        assert_eq!(list[0]["FinishedTime"], "2015-11-24T12:52Z");
        assert_eq!(list[0]["SupportCancel"], "true");
        assert_eq!(list[0]["TaskAction"], "ImportImage");
        assert_eq!(list[1]["FinishedTime"], "");
        assert_eq!(list[1]["SupportCancel"], "false");
        assert!(list[1].get("ResourceId").is_none());
        assert!(list[1].get("TaskGroupId").is_none());

        let empty = view(&[]).render(Format::Json, ResponseShape::Service);
        let v: serde_json::Value = serde_json::from_slice(&empty).unwrap();
        assert_eq!(v["TaskSet"], serde_json::json!({"Task": []}));
    }

    #[test]
    fn json_reference_example_shape() {
        let tasks = sample();
        let body = view(&tasks).render(Format::Json, ResponseShape::ReferenceExample);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["TaskSet"][0]["Task"][0]["SupportCancel"], true);
        assert_eq!(v["TaskSet"][0]["Task"][1]["SupportCancel"], false);
    }

    #[test]
    fn xml_is_escaped_and_complete() {
        let tasks = sample();
        let body =
            String::from_utf8(view(&tasks).render(Format::Xml, ResponseShape::Service)).unwrap();
        assert!(body.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><DescribeTasksResponse><RequestId>REQ</RequestId>"));
        assert!(
            body.contains("<ResourceId>m-&lt;&amp;&gt;&quot;&apos;</ResourceId>"),
            "{body}"
        );
        assert!(body.contains("<FinishedTime></FinishedTime>"));
        assert!(body.contains("<TaskAction>RedeployInstance</TaskAction>"));
        assert!(body.ends_with("</TaskSet></DescribeTasksResponse>"));
        // Well-formed: quick-xml reads it to the end.
        let mut reader = quick_xml::Reader::from_str(&body);
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("{e}: {body}"),
            }
        }
        let reference =
            String::from_utf8(view(&tasks).render(Format::Xml, ResponseShape::ReferenceExample))
                .unwrap();
        assert!(reference.contains("<TaskAction>REDEPLOY_INSTANCE</TaskAction>"));
        assert!(reference.contains("<TaskAction>IMPORT_IMAGE</TaskAction>"));
    }

    #[test]
    fn error_envelope_in_both_formats() {
        let e = ErrorEnvelope {
            request_id: "REQ",
            host_id: "ecs.aliyuncs.com",
            code: "SignatureDoesNotMatch",
            message: "string to sign is:GET&%2F&A%3D1<x>",
        };
        let xml = String::from_utf8(e.render(Format::Xml)).unwrap();
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><RequestId>REQ</RequestId>\
             <HostId>ecs.aliyuncs.com</HostId><Code>SignatureDoesNotMatch</Code>\
             <Message>string to sign is:GET&amp;%2F&amp;A%3D1&lt;x&gt;</Message>\
             <Recommend>https://api.aliyun.com/troubleshoot?q=SignatureDoesNotMatch&amp;product=Ecs</Recommend></Error>"
        );
        let json: serde_json::Value = serde_json::from_slice(&e.render(Format::Json)).unwrap();
        assert_eq!(json["Code"], "SignatureDoesNotMatch");
        assert_eq!(json["Message"], "string to sign is:GET&%2F&A%3D1<x>");
        assert_eq!(
            json["Recommend"],
            "https://api.aliyun.com/troubleshoot?q=SignatureDoesNotMatch&product=Ecs"
        );
    }

    #[test]
    fn xml_escaping_replaces_characters_xml_cannot_carry() {
        let mut out = String::new();
        push_escaped(&mut out, "a\u{0}b\tc\u{1b}\u{4e2d}&");
        assert_eq!(out, "a\u{fffd}b\tc\u{fffd}\u{4e2d}&amp;");
    }

    #[test]
    fn format_parameter_defaults_to_xml() {
        assert_eq!(Format::from_param(None), Format::Xml);
        assert_eq!(Format::from_param(Some("json")), Format::Json);
        assert_eq!(Format::from_param(Some("JSON")), Format::Json);
        assert_eq!(Format::from_param(Some("xml")), Format::Xml);
        assert_eq!(Format::from_param(Some("yaml")), Format::Xml);
    }
}
