//! The fast path for JSON: a single pass over the bodies the service actually sends, straight
//! into the model, without serde's per-value dispatch.
//!
//! It reads a strict subset of JSON: strings without escapes or control characters, plain
//! non-negative integers where a scalar is read, `true`/`false`/`null`, and nesting at most
//! [`MAX_DEPTH`] deep. At the first byte outside that subset it gives up and returns `None`, and
//! the serde decoder in [`super::json`] reads the body instead. It gives up on every error too, so
//! error messages always come from serde. It therefore never decides on its own what a body means:
//! wherever it returns a page, the serde decoder returns the same page, which
//! `fast_path_tests` checks over generated bodies.

use super::scan::first_stop;
use super::{blank_task, check_task, set_task_field, TaskField};
use crate::model::{DescribeTasksResponse, Task, TaskSet};

/// Deeper nesting (only ever inside unknown fields) is left to serde, whose own limit is higher.
const MAX_DEPTH: u32 = 64;

/// Decodes `text`, or returns `None` when it holds anything outside the subset (see the module
/// docs).
pub(super) fn decode(text: &str) -> Option<DescribeTasksResponse> {
    let mut scan = Scanner {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    let mut request_id = None;
    let mut region_id = None;
    let mut page_number = None;
    let mut page_size = None;
    let mut total_count = None;
    let mut tasks = Vec::new();
    scan.object(|scan, key| {
        match key {
            "RequestId" => request_id = scan.scalar()?,
            "RegionId" => region_id = scan.scalar()?,
            "PageNumber" => page_number = scan.number::<u32>()?,
            "PageSize" => page_size = scan.number::<u32>()?,
            "TotalCount" => total_count = scan.number::<u64>()?,
            "TaskSet" => {
                // A repeated key replaces the earlier value, as in serde.
                tasks = Vec::with_capacity(100);
                scan.task_list(&mut tasks, 1)?;
            }
            _ => scan.skip(1)?,
        }
        Some(())
    })?;
    scan.skip_whitespace();
    if scan.pos != scan.bytes.len() {
        return None;
    }
    Some(DescribeTasksResponse {
        request_id: request_id.map(str::to_owned).unwrap_or_default(),
        region_id: region_id.map(str::to_owned),
        page_number: page_number.unwrap_or(0),
        page_size: page_size.unwrap_or(0),
        total_count: total_count.unwrap_or(0),
        task_set: TaskSet::new(tasks),
    })
}

/// A cursor over a body already checked as UTF-8.
struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    #[inline]
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The next byte after any whitespace, not consumed.
    #[inline]
    fn peek(&mut self) -> Option<u8> {
        self.skip_whitespace();
        self.bytes.get(self.pos).copied()
    }

    /// Consumes `byte` (after any whitespace), or gives up.
    #[inline]
    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    /// Consumes `word` exactly (the scanner is at its first byte).
    #[inline]
    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.pos + word.len();
        (self.bytes.get(self.pos..end)? == word).then(|| self.pos = end)
    }

    /// A string without escapes or control characters, borrowed from the body.
    #[inline]
    fn string(&mut self) -> Option<&'a str> {
        self.expect(b'"')?;
        let start = self.pos;
        let rest = self.bytes.get(start..)?;
        // Strings on a page are short (ids, times, names).
        let len = first_stop(rest, b'"', b'\\', 0x20)?;
        if rest.get(len) != Some(&b'"') {
            return None;
        }
        self.pos = start + len + 1;
        self.text.get(start..start + len)
    }

    /// Digits `0` or `[1-9][0-9]*` that fit a `u64` for certain, not followed by a fraction or
    /// an exponent: the text serde would print back for the same number.
    fn plain_integer(&mut self) -> Option<&'a str> {
        let start = self.pos;
        let digits = self.bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let leading_zero = digits > 1 && self.bytes[start] == b'0';
        if digits == 0 || digits > 19 || leading_zero {
            return None;
        }
        self.pos += digits;
        if let Some(b'.' | b'e' | b'E') = self.bytes.get(self.pos) {
            return None;
        }
        self.text.get(start..self.pos)
    }

    /// A scalar as text: a string, a plain integer or a boolean; `null` is `None`.
    fn scalar(&mut self) -> Option<Option<&'a str>> {
        match self.peek()? {
            b'"' => self.string().map(Some),
            b'0'..=b'9' => self.plain_integer().map(Some),
            b't' => self.literal(b"true").map(|()| Some("true")),
            b'f' => self.literal(b"false").map(|()| Some("false")),
            b'n' => self.literal(b"null").map(|()| None),
            _ => None,
        }
    }

    /// A count sent as a number or a numeric string; `null` and `""` are `None`.
    fn number<N: TryFrom<u64>>(&mut self) -> Option<Option<N>> {
        match super::lenient::parse_u64(self.scalar()?.unwrap_or("")).ok()? {
            None => Some(None),
            Some(n) => N::try_from(n).ok().map(Some),
        }
    }

    /// Walks an object, calling `member` with the scanner just after each key's `:`.
    #[inline]
    fn object(&mut self, member: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.object_with_keys(Self::string, member)
    }

    /// Walks an object whose keys `read_key` reads.
    #[inline]
    fn object_with_keys<K>(
        &mut self,
        mut read_key: impl FnMut(&mut Self) -> Option<K>,
        mut member: impl FnMut(&mut Self, K) -> Option<()>,
    ) -> Option<()> {
        self.expect(b'{')?;
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(());
        }
        loop {
            let key = read_key(self)?;
            self.expect(b':')?;
            member(self, key)?;
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Walks an array, calling `element` at each element.
    #[inline]
    fn array(&mut self, mut element: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.expect(b'[')?;
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(());
        }
        loop {
            element(self)?;
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Skips any value, checking its grammar as serde would.
    fn skip(&mut self, depth: u32) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' => self.object(|scan, _| scan.skip(depth + 1)),
            b'[' => self.array(|scan| scan.skip(depth + 1)),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.skip_number(),
            _ => None,
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn skip_number(&mut self) -> Option<()> {
        if self.bytes.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        let int = self.digits();
        if int == 0 || (int > 1 && self.bytes[self.pos - int] == b'0') {
            return None;
        }
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.pos) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        Some(())
    }

    fn digits(&mut self) -> usize {
        let n = self.bytes[self.pos..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        self.pos += n;
        n
    }

    /// A key of an entry. The names this crate reads are recognised in place, without a string
    /// scan: a name followed by `"` is that whole key.
    #[inline]
    fn entry_key(&mut self) -> Option<EntryKey> {
        self.skip_whitespace();
        let name = self.bytes.get(self.pos + 1..)?;
        let guess = match (name.first()?, name.get(1), name.get(4)) {
            (b'T', _, Some(b'"')) => Some(EntryKey::Task),
            (b'T', _, Some(b'I')) => Some(EntryKey::Field(TaskField::TaskId)),
            (b'T', _, Some(b'A')) => Some(EntryKey::Field(TaskField::TaskAction)),
            (b'T', _, Some(b'S')) => Some(EntryKey::Field(TaskField::TaskStatus)),
            (b'T', _, Some(b'G')) => Some(EntryKey::Field(TaskField::TaskGroupId)),
            (b'C', _, _) => Some(EntryKey::Field(TaskField::CreationTime)),
            (b'F', Some(b'i'), _) => Some(EntryKey::Field(TaskField::FinishedTime)),
            (b'F', Some(b'a'), _) => Some(EntryKey::Field(TaskField::FailedReason)),
            (b'S', Some(b'u'), _) => Some(EntryKey::Field(TaskField::SupportCancel)),
            (b'S', Some(b'o'), _) => Some(EntryKey::Field(TaskField::Source)),
            (b'R', _, _) => Some(EntryKey::Field(TaskField::ResourceId)),
            _ => None,
        };
        if self.bytes.get(self.pos) == Some(&b'"') {
            if let Some(key) = guess {
                let wire = key.wire_name().as_bytes();
                if has_prefix(name, wire) && name.get(wire.len()) == Some(&b'"') {
                    self.pos += wire.len() + 2;
                    return Some(key);
                }
            }
        }
        let key = self.string()?;
        Some(match key {
            "Task" => EntryKey::Task,
            other => {
                TaskField::from_name(other.as_bytes()).map_or(EntryKey::Other, EntryKey::Field)
            }
        })
    }

    /// `TaskSet` or `Task`: `null`, a blank string, one entry, or an array of entries. Appends
    /// the tasks found to `tasks`.
    fn task_list(&mut self, tasks: &mut Vec<Task>, depth: u32) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'n' => self.literal(b"null"),
            b'"' => self.string()?.trim().is_empty().then_some(()),
            b'{' => self.entry(tasks, depth),
            b'[' => self.array(|scan| scan.entry(tasks, depth)),
            _ => None,
        }
    }

    /// An object that is a `{"Task": ...}` wrapper, a task, or (oddly) both: tasks under `Task`
    /// come first, then the object itself if it holds any task field. A task is filled in its
    /// place at the end of `tasks`, from its first field on.
    fn entry(&mut self, tasks: &mut Vec<Task>, depth: u32) -> Option<()> {
        if self.peek()? != b'{' {
            return None;
        }
        let mut own: Option<usize> = None;
        self.object_with_keys(Self::entry_key, |scan, key| match key {
            EntryKey::Task => {
                // Tasks listed after some of this object's own fields would have to go before
                // it: rare enough to leave to serde.
                match own {
                    None => scan.task_list(tasks, depth + 1),
                    Some(_) => None,
                }
            }
            EntryKey::Field(field) => {
                let value = scan.scalar()?.unwrap_or("");
                let slot = *own.get_or_insert_with(|| {
                    tasks.push(blank_task());
                    tasks.len() - 1
                });
                set_task_field(tasks.get_mut(slot)?, field, value).ok()
            }
            EntryKey::Other => scan.skip(depth + 1),
        })?;
        match own {
            Some(slot) => check_task(tasks.get(slot)?).ok(),
            None => Some(()),
        }
    }
}

/// A key of a `TaskSet` entry: the `Task` wrapper, a task field, or anything else.
#[derive(Clone, Copy)]
enum EntryKey {
    Task,
    Field(TaskField),
    Other,
}

impl EntryKey {
    fn wire_name(self) -> &'static str {
        match self {
            EntryKey::Task => "Task",
            EntryKey::Field(field) => field.name(),
            EntryKey::Other => "",
        }
    }
}

/// Whether `bytes` starts with `name`, a field name of 4 to 16 bytes: two overlapping 8-byte
/// compares instead of a call to `memcmp`.
#[inline]
fn has_prefix(bytes: &[u8], name: &[u8]) -> bool {
    let word = |b: &[u8], at: usize| -> Option<u64> {
        let mut w = [0u8; 8];
        w.copy_from_slice(b.get(at..at + 8)?);
        Some(u64::from_le_bytes(w))
    };
    let n = name.len();
    match n {
        8..=16 => word(bytes, 0) == word(name, 0) && word(bytes, n - 8) == word(name, n - 8),
        _ => bytes.get(..n) == Some(name),
    }
}

#[cfg(test)]
mod tests {
    use super::has_prefix;

    #[test]
    fn has_prefix_compares_every_byte_of_the_name() {
        for name in [
            "Task",
            "Source",
            "TaskId",
            "ResourceId",
            "SupportCancel",
            "FinishedTime",
        ] {
            let name = name.as_bytes();
            let mut bytes = name.to_vec();
            bytes.extend_from_slice(b"\":\"value\"");
            assert!(has_prefix(&bytes, name));
            for i in 0..name.len() {
                let mut changed = bytes.clone();
                changed[i] ^= 0x20;
                assert!(!has_prefix(&changed, name), "{i}");
            }
            assert!(!has_prefix(&name[..name.len() - 1], name));
        }
    }
}
