//! The JSON decoder: serde visitors that accept every shape of `TaskSet` the service and its
//! documentation produce, and lenient scalars. Bodies in the common subset take the fast path in
//! [`super::json_scan`] first; this decoder reads everything else and words every error.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::lenient;
use super::{TaskField, TaskFields};
use crate::model::{DescribeTasksResponse, Task, TaskSet};

/// Decodes a JSON `DescribeTasks` body: through the fast path when the body allows, otherwise
/// through serde.
pub(crate) fn decode(body: &[u8]) -> Result<DescribeTasksResponse, String> {
    // Checking UTF-8 once for the whole body is cheaper than checking each string.
    if let Some(page) = std::str::from_utf8(body)
        .ok()
        .and_then(super::json_scan::decode)
    {
        return Ok(page);
    }
    decode_with_serde(body)
}

/// Decodes any JSON body through serde: the general decoder, and the one that words errors.
pub(crate) fn decode_with_serde(body: &[u8]) -> Result<DescribeTasksResponse, String> {
    let wire: WireResponse = match std::str::from_utf8(body) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(body),
    }
    .map_err(|e| e.to_string())?;
    Ok(DescribeTasksResponse {
        request_id: wire.request_id.unwrap_or_default(),
        region_id: wire.region_id,
        page_number: wire.page_number.unwrap_or(0),
        page_size: wire.page_size.unwrap_or(0),
        total_count: wire.total_count.unwrap_or(0),
        task_set: TaskSet::new(wire.tasks),
    })
}

#[derive(Default)]
struct WireResponse {
    request_id: Option<String>,
    region_id: Option<String>,
    page_number: Option<u32>,
    page_size: Option<u32>,
    total_count: Option<u64>,
    tasks: Vec<Task>,
}

impl<'de> Deserialize<'de> for WireResponse {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = WireResponse;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a DescribeTasks response object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<WireResponse, A::Error> {
                let mut out = WireResponse::default();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    match key.as_ref() {
                        "RequestId" => out.request_id = map.next_value::<Scalar>()?.into_string(),
                        "RegionId" => out.region_id = map.next_value::<Scalar>()?.into_string(),
                        "PageNumber" => {
                            out.page_number = map
                                .next_value::<Scalar>()?
                                .to_u32()
                                .map_err(de::Error::custom)?
                        }
                        "PageSize" => {
                            out.page_size = map
                                .next_value::<Scalar>()?
                                .to_u32()
                                .map_err(de::Error::custom)?
                        }
                        "TotalCount" => {
                            out.total_count = map
                                .next_value::<Scalar>()?
                                .to_u64()
                                .map_err(de::Error::custom)?
                        }
                        "TaskSet" => out.tasks = map.next_value::<WireTaskSet>()?.0,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
}

/// `TaskSet`: `{"Task": [...]}`, `{"Task": {...}}`, `[{"Task": [...]}]`, `[{...task...}]`,
/// `null`, `""` or absent.
struct WireTaskSet(Vec<Task>);

impl<'de> Deserialize<'de> for WireTaskSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = WireTaskSet;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a TaskSet object or array")
            }
            fn visit_unit<E: de::Error>(self) -> Result<WireTaskSet, E> {
                Ok(WireTaskSet(Vec::new()))
            }
            fn visit_none<E: de::Error>(self) -> Result<WireTaskSet, E> {
                Ok(WireTaskSet(Vec::new()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<WireTaskSet, E> {
                if v.trim().is_empty() {
                    Ok(WireTaskSet(Vec::new()))
                } else {
                    Err(E::invalid_value(de::Unexpected::Str(v), &self))
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<WireTaskSet, A::Error> {
                let mut tasks = Vec::new();
                visit_entry(map, &mut tasks)?;
                Ok(WireTaskSet(tasks))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<WireTaskSet, A::Error> {
                let mut tasks = Vec::new();
                while let Some(entry) = seq.next_element::<Entry>()? {
                    tasks.extend(entry.0);
                }
                Ok(WireTaskSet(tasks))
            }
        }
        d.deserialize_any(V)
    }
}

/// One element of a `TaskSet` array: a `{"Task": ...}` wrapper or a task itself.
struct Entry(Vec<Task>);

impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entry;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a TaskSet entry")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Entry, A::Error> {
                let mut tasks = Vec::new();
                visit_entry(map, &mut tasks)?;
                Ok(Entry(tasks))
            }
        }
        d.deserialize_map(V)
    }
}

/// Reads an object that is either a `{"Task": ...}` wrapper or a task; pushes what it holds.
fn visit_entry<'de, A: MapAccess<'de>>(mut map: A, tasks: &mut Vec<Task>) -> Result<(), A::Error> {
    let mut fields = TaskFields::default();
    let mut is_task = false;
    while let Some(key) = map.next_key::<EntryKey>()? {
        match key {
            EntryKey::Task => tasks.extend(map.next_value::<TaskList>()?.0),
            EntryKey::Field(field) => {
                is_task = true;
                let value = map.next_value::<Scalar>()?;
                fields
                    .set_field(field, value.as_text())
                    .map_err(de::Error::custom)?;
            }
            EntryKey::Other => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    if is_task {
        tasks.push(fields.finish().map_err(de::Error::custom)?);
    }
    Ok(())
}

/// A key of a `TaskSet` entry: the `Task` wrapper, a task field, or anything else.
enum EntryKey {
    Task,
    Field(TaskField),
    Other,
}

impl<'de> Deserialize<'de> for EntryKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = EntryKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<EntryKey, E> {
                Ok(match v {
                    "Task" => EntryKey::Task,
                    other => TaskField::from_name(other.as_bytes())
                        .map_or(EntryKey::Other, EntryKey::Field),
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

/// `Task`: an array of tasks, one task object, or nothing.
struct TaskList(Vec<Task>);

impl<'de> Deserialize<'de> for TaskList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TaskList;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a task or a list of tasks")
            }
            fn visit_unit<E: de::Error>(self) -> Result<TaskList, E> {
                Ok(TaskList(Vec::new()))
            }
            fn visit_none<E: de::Error>(self) -> Result<TaskList, E> {
                Ok(TaskList(Vec::new()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TaskList, E> {
                if v.trim().is_empty() {
                    Ok(TaskList(Vec::new()))
                } else {
                    Err(E::invalid_value(de::Unexpected::Str(v), &self))
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<TaskList, A::Error> {
                let mut tasks = Vec::with_capacity(1);
                visit_entry(map, &mut tasks)?;
                Ok(TaskList(tasks))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TaskList, A::Error> {
                // serde_json gives no length; a page holds at most 100 tasks.
                let mut tasks = Vec::with_capacity(seq.size_hint().unwrap_or(100).min(1024));
                while let Some(entry) = seq.next_element::<Entry>()? {
                    tasks.extend(entry.0);
                }
                Ok(TaskList(tasks))
            }
        }
        d.deserialize_any(V)
    }
}

/// A scalar in any JSON spelling: string, number, boolean or null.
pub(crate) enum Scalar<'de> {
    Text(Cow<'de, str>),
    Null,
}

impl Scalar<'_> {
    fn as_text(&self) -> &str {
        match self {
            Scalar::Text(t) => t,
            Scalar::Null => "",
        }
    }

    fn into_string(self) -> Option<String> {
        match self {
            Scalar::Text(t) => Some(t.into_owned()),
            Scalar::Null => None,
        }
    }

    fn to_u32(&self) -> Result<Option<u32>, String> {
        lenient::parse_u32(self.as_text())
    }

    fn to_u64(&self) -> Result<Option<u64>, String> {
        lenient::parse_u64(self.as_text())
    }
}

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number, boolean or null")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Text(Cow::Owned(v)))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Text(Cow::Borrowed(if v {
                    "true"
                } else {
                    "false"
                })))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Text(Cow::Owned(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Text(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar<'de>, E> {
                // Integral floats (3.0) read as integers; others keep their text.
                if v.fract() == 0.0 && v >= 0.0 && v < u64::MAX as f64 {
                    Ok(Scalar::Text(Cow::Owned((v as u64).to_string())))
                } else {
                    Ok(Scalar::Text(Cow::Owned(v.to_string())))
                }
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Null)
            }
        }
        d.deserialize_any(V)
    }
}
