//! The XML decoder: a single pass over quick-xml events that fills the same model as the JSON
//! decoder. One `<Task>` or many, `<FinishedTime/>` or `<FinishedTime></FinishedTime>`, unknown
//! elements skipped, entities and CDATA resolved.

use quick_xml::events::Event;
use quick_xml::Reader;

use super::{lenient, TaskField, TaskFields};
use crate::model::{DescribeTasksResponse, TaskSet};

/// Appends the text of an entity reference (`&amp;`, `&#x4e2d;`) to `out`.
pub(crate) fn push_entity(out: &mut String, name: &[u8]) -> Result<(), String> {
    let name = std::str::from_utf8(name).map_err(|_| "entity is not UTF-8".to_owned())?;
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix('x').or_else(|| num.strip_prefix('X')) {
            Some(hex) => u32::from_str_radix(hex, 16),
            None => num.parse::<u32>(),
        }
        .map_err(|_| format!("bad character reference &{name};"))?;
        let ch = char::from_u32(code)
            .filter(|c| *c != '\0')
            .ok_or_else(|| format!("bad character reference &{name};"))?;
        out.push(ch);
        return Ok(());
    }
    match quick_xml::escape::resolve_predefined_entity(name) {
        Some(text) => {
            out.push_str(text);
            Ok(())
        }
        None => Err(format!("unknown entity &{name};")),
    }
}

/// Where the reader is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Outside any element we care about (or inside an unknown one).
    Elsewhere,
    /// Directly inside the root element.
    Root,
    /// Directly inside `<TaskSet>`.
    TaskSet,
    /// Directly inside a `<Task>`.
    Task,
}

/// Decodes an XML `DescribeTasks` body.
pub(crate) fn decode(body: &[u8]) -> Result<DescribeTasksResponse, String> {
    let mut reader = Reader::from_reader(body);
    reader.config_mut().trim_text(false);
    // End tags are matched by our own stack (by depth, not name): a mismatched name is
    // tolerated, an unclosed element (a truncated body) is not.
    reader.config_mut().check_end_names = false;
    let mut out = DescribeTasksResponse::default();
    // A page holds at most 100 tasks.
    let mut tasks = Vec::with_capacity(100);

    // The stack of places of the open elements; `field` is the leaf element whose text we are
    // collecting, if any.
    let mut stack: Vec<Place> = Vec::with_capacity(8);
    let mut field: Option<Key> = None;
    // The leaf's text: borrowed from the body when it arrives in one piece.
    let mut text: std::borrow::Cow<'_, str> = std::borrow::Cow::Borrowed("");
    let whole = std::str::from_utf8(body).ok();
    let mut task: Option<TaskFields> = None;
    let mut saw_root = false;

    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("malformed XML at byte {}: {e}", reader.error_position()))?;
        match event {
            Event::Start(e) => {
                let qualified = e.name();
                let name = local(qualified.as_ref());
                let parent = stack.last().copied();
                let place = match parent {
                    None => {
                        if saw_root {
                            return Err("more than one root element".into());
                        }
                        saw_root = true;
                        if name == b"Error" {
                            return Err("the body is an error envelope".into());
                        }
                        Place::Root
                    }
                    Some(Place::Root) if name == b"TaskSet" => Place::TaskSet,
                    Some(Place::TaskSet) if name == b"Task" => {
                        task = Some(TaskFields::default());
                        Place::Task
                    }
                    // A TaskSet wrapped once more (as in some SDK renderings): look through it.
                    Some(Place::TaskSet) if name == b"TaskSet" => Place::TaskSet,
                    Some(Place::Root) => {
                        field = root_key(name).map(Key::Root);
                        text = std::borrow::Cow::Borrowed("");
                        Place::Elsewhere
                    }
                    Some(Place::Task) => {
                        field = task_key(name).map(Key::Task);
                        text = std::borrow::Cow::Borrowed("");
                        Place::Elsewhere
                    }
                    _ => {
                        // Something nested in a leaf or unknown element: not a leaf after all.
                        field = None;
                        Place::Elsewhere
                    }
                };
                stack.push(place);
            }
            Event::Empty(e) => {
                let qualified = e.name();
                let name = local(qualified.as_ref());
                match stack.last() {
                    None => return Err("the body has an empty root element".into()),
                    Some(Place::Root) => {
                        if let Some(key) = root_key(name) {
                            set_root(&mut out, key, "")?;
                        }
                    }
                    Some(Place::Task) => {
                        if let (Some(t), Some(key)) = (task.as_mut(), task_key(name)) {
                            t.set_field(key, "")?;
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(e) if field.is_some() => {
                let chunk = match as_str_within(whole, body, &e) {
                    Some(borrowed) => std::borrow::Cow::Borrowed(borrowed),
                    None => e.decode().map_err(|e| format!("text is not UTF-8: {e}"))?,
                };
                if text.is_empty() {
                    text = chunk;
                } else {
                    text.to_mut().push_str(&chunk);
                }
            }
            Event::CData(e) if field.is_some() => {
                let chunk = e.decode().map_err(|e| format!("CDATA is not UTF-8: {e}"))?;
                text.to_mut().push_str(&chunk);
            }
            Event::GeneralRef(e) if field.is_some() => push_entity(text.to_mut(), &e)?,
            Event::Text(_) | Event::CData(_) | Event::GeneralRef(_) => {}
            Event::End(_) => {
                let place = stack.pop().ok_or("unbalanced end tag")?;
                match (place, stack.last().copied()) {
                    (Place::Elsewhere, Some(parent)) => match (field.take(), parent) {
                        (Some(Key::Root(name)), Place::Root) => set_root(&mut out, name, &text)?,
                        (Some(Key::Task(key)), Place::Task) => {
                            if let Some(t) = task.as_mut() {
                                t.set_field(key, &text)?;
                            }
                        }
                        _ => {}
                    },
                    (Place::Task, _) => {
                        if let Some(t) = task.take() {
                            tasks.push(t.finish()?);
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    if !saw_root {
        return Err("the body holds no XML element".into());
    }
    if !stack.is_empty() {
        return Err("the XML ends before its root element closes (truncated body?)".into());
    }
    out.task_set = TaskSet::new(tasks);
    Ok(out)
}

/// The response field an element of the root holds, if it is one we read.
fn root_key(name: &[u8]) -> Option<&'static str> {
    Some(match name {
        b"RequestId" => "RequestId",
        b"RegionId" => "RegionId",
        b"PageNumber" => "PageNumber",
        b"PageSize" => "PageSize",
        b"TotalCount" => "TotalCount",
        _ => return None,
    })
}

/// The local part of an element name (after any `prefix:`), found with a short loop: names are
/// a few bytes long.
#[inline]
fn local(name: &[u8]) -> &[u8] {
    match name.iter().rposition(|&b| b == b':') {
        Some(colon) => &name[colon + 1..],
        None => name,
    }
}

/// The task field an element of `<Task>` holds, if it is one we read.
fn task_key(name: &[u8]) -> Option<TaskField> {
    TaskField::from_name(name)
}

/// `part` as a slice of `whole` (the body checked as UTF-8 once), when `part` lies inside the
/// body: text events of a slice reader borrow from it, so their text needs no second check.
fn as_str_within<'a>(whole: Option<&'a str>, body: &[u8], part: &[u8]) -> Option<&'a str> {
    let whole = whole?;
    let start = (part.as_ptr() as usize).checked_sub(body.as_ptr() as usize)?;
    whole.get(start..start.checked_add(part.len())?)
}

/// The leaf whose text is being collected.
#[derive(Clone, Copy)]
enum Key {
    Root(&'static str),
    Task(TaskField),
}

fn set_root(out: &mut DescribeTasksResponse, key: &str, value: &str) -> Result<(), String> {
    match key {
        "RequestId" => out.request_id = value.trim().to_owned(),
        "RegionId" => out.region_id = Some(value.trim().to_owned()).filter(|s| !s.is_empty()),
        "PageNumber" => out.page_number = lenient::parse_u32(value)?.unwrap_or(0),
        "PageSize" => out.page_size = lenient::parse_u32(value)?.unwrap_or(0),
        "TotalCount" => out.total_count = lenient::parse_u64(value)?.unwrap_or(0),
        _ => {}
    }
    Ok(())
}
