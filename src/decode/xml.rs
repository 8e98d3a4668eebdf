//! The XML decoder: a single pass over the body's elements and text that fills the same model as
//! the JSON decoder. One `<Task>` or many, `<FinishedTime/>` or `<FinishedTime></FinishedTime>`,
//! unknown elements skipped, entities and CDATA resolved.
//!
//! [`Document`] decides what the elements mean. Two tokenizers feed it: quick-xml, which reads
//! any XML and words the errors, and the fast path in [`super::xml_scan`] for the plain XML the
//! service sends.

use std::borrow::Cow;

use quick_xml::events::Event;
use quick_xml::Reader;

use super::{blank_task, check_task, lenient, set_task_field, TaskField};
use crate::model::{DescribeTasksResponse, Task, TaskSet};

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

/// Decodes an XML `DescribeTasks` body: through the fast path when the body allows, otherwise
/// through quick-xml.
pub(crate) fn decode(body: &[u8]) -> Result<DescribeTasksResponse, String> {
    let whole = std::str::from_utf8(body).ok();
    if let Some(page) = whole.and_then(super::xml_scan::decode) {
        return Ok(page);
    }
    decode_with_quick_xml(body)
}

/// Decodes any XML body with quick-xml: the general decoder, and the one that words errors.
pub(crate) fn decode_with_quick_xml(body: &[u8]) -> Result<DescribeTasksResponse, String> {
    let mut reader = Reader::from_reader(body);
    reader.config_mut().trim_text(false);
    // End tags are matched by our own stack (by depth, not name): a mismatched name is
    // tolerated, an unclosed element (a truncated body) is not.
    reader.config_mut().check_end_names = false;
    let whole = std::str::from_utf8(body).ok();
    let mut doc = Document::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("malformed XML at byte {}: {e}", reader.error_position()))?;
        match event {
            Event::Start(e) => doc.start(e.name().as_ref())?,
            Event::Empty(e) => doc.empty(e.name().as_ref())?,
            Event::Text(e) if doc.wants_text() => {
                let chunk = match as_str_within(whole, body, &e) {
                    Some(borrowed) => Cow::Borrowed(borrowed),
                    None => Cow::Owned(
                        e.decode()
                            .map_err(|e| format!("text is not UTF-8: {e}"))?
                            .into_owned(),
                    ),
                };
                doc.text(chunk);
            }
            Event::CData(e) if doc.wants_text() => {
                let chunk = e.decode().map_err(|e| format!("CDATA is not UTF-8: {e}"))?;
                doc.text(Cow::Owned(chunk.into_owned()));
            }
            Event::GeneralRef(e) if doc.wants_text() => {
                let mut chunk = String::new();
                push_entity(&mut chunk, &e)?;
                doc.text(Cow::Owned(chunk));
            }
            Event::Text(_) | Event::CData(_) | Event::GeneralRef(_) => {}
            Event::End(_) => doc.end()?,
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    doc.finish()
}

/// The model built from a stream of elements and text, whichever tokenizer reads the body: the
/// one place that decides what an XML body means.
pub(super) struct Document<'a> {
    out: DescribeTasksResponse,
    tasks: Vec<Task>,
    /// The places of the open elements.
    stack: Vec<Place>,
    /// The leaf element whose text is being collected, if any.
    field: Option<Key>,
    /// The leaf's text: borrowed from the body when it arrives in one piece.
    text: Cow<'a, str>,
    saw_root: bool,
}

impl<'a> Document<'a> {
    pub(super) fn new() -> Self {
        Self {
            out: DescribeTasksResponse::default(),
            // A page holds at most 100 tasks.
            tasks: Vec::with_capacity(100),
            stack: Vec::with_capacity(8),
            field: None,
            text: Cow::Borrowed(""),
            saw_root: false,
        }
    }

    /// An element opens; `name` may carry a `prefix:`.
    pub(super) fn start(&mut self, name: &[u8]) -> Result<(), String> {
        self.start_local(local(name))
    }

    /// An element opens; `name` is its local part.
    pub(super) fn start_local(&mut self, name: &[u8]) -> Result<(), String> {
        let place = match self.stack.last().copied() {
            None => {
                if self.saw_root {
                    return Err("more than one root element".into());
                }
                self.saw_root = true;
                if name == b"Error" {
                    return Err("the body is an error envelope".into());
                }
                Place::Root
            }
            Some(Place::Root) if name == b"TaskSet" => Place::TaskSet,
            Some(Place::TaskSet) if name == b"Task" => {
                // The task is filled in its place, the end of `tasks`, until it closes.
                self.tasks.push(blank_task());
                Place::Task
            }
            // A TaskSet wrapped once more (as in some SDK renderings): look through it.
            Some(Place::TaskSet) if name == b"TaskSet" => Place::TaskSet,
            Some(Place::Root) => {
                self.field = root_key(name).map(Key::Root);
                self.text = Cow::Borrowed("");
                Place::Elsewhere
            }
            Some(Place::Task) => {
                self.field = task_key(name).map(Key::Task);
                self.text = Cow::Borrowed("");
                Place::Elsewhere
            }
            _ => {
                // Something nested in a leaf or unknown element: not a leaf after all.
                self.field = None;
                Place::Elsewhere
            }
        };
        self.stack.push(place);
        Ok(())
    }

    /// An element without content (`<FinishedTime/>`); `name` may carry a `prefix:`.
    pub(super) fn empty(&mut self, name: &[u8]) -> Result<(), String> {
        self.empty_local(local(name))
    }

    /// An element without content; `name` is its local part.
    pub(super) fn empty_local(&mut self, name: &[u8]) -> Result<(), String> {
        match self.stack.last() {
            None => return Err("the body has an empty root element".into()),
            Some(Place::Root) => {
                if let Some(key) = root_key(name) {
                    set_root(&mut self.out, key, "")?;
                }
            }
            Some(Place::Task) => {
                if let (Some(task), Some(key)) = (self.tasks.last_mut(), task_key(name)) {
                    set_task_field(task, key, "")?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Whether text here is a value we read; other text is skipped unread.
    #[inline]
    pub(super) fn wants_text(&self) -> bool {
        self.field.is_some()
    }

    /// A piece of the current leaf's text.
    pub(super) fn text(&mut self, chunk: Cow<'a, str>) {
        if self.text.is_empty() {
            self.text = chunk;
        } else {
            self.text.to_mut().push_str(&chunk);
        }
    }

    /// The innermost open element closes, whatever name its end tag carries.
    pub(super) fn end(&mut self) -> Result<(), String> {
        let place = self.stack.pop().ok_or("unbalanced end tag")?;
        match (place, self.stack.last().copied()) {
            (Place::Elsewhere, Some(parent)) => match (self.field.take(), parent) {
                (Some(Key::Root(name)), Place::Root) => set_root(&mut self.out, name, &self.text)?,
                (Some(Key::Task(key)), Place::Task) => {
                    if let Some(task) = self.tasks.last_mut() {
                        set_task_field(task, key, &self.text)?;
                    }
                }
                _ => {}
            },
            (Place::Task, _) => {
                if let Some(task) = self.tasks.last() {
                    check_task(task)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The body has ended.
    pub(super) fn finish(mut self) -> Result<DescribeTasksResponse, String> {
        if !self.saw_root {
            return Err("the body holds no XML element".into());
        }
        if !self.stack.is_empty() {
            return Err("the XML ends before its root element closes (truncated body?)".into());
        }
        self.out.task_set = TaskSet::new(self.tasks);
        Ok(self.out)
    }
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
