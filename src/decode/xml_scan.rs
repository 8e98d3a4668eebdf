//! The fast path for XML: a tokenizer for the plain XML the service sends, feeding the same
//! [`Document`] as quick-xml does, without quick-xml's generality.
//!
//! It reads a strict subset: an optional `<?xml ...?>` declaration at the very start, then
//! elements whose tags hold a name only (`<Name>`, `<Name/>`, `</Name>`), and text without
//! entity references. At anything else (attributes, comments, CDATA, `&`, a malformed tag) it
//! gives up and returns `None`, and quick-xml reads the body instead; it gives up on every error
//! too, so error messages always come from the general decoder. Wherever it returns a page, the
//! general decoder returns the same page, which `fast_path_tests` checks over generated bodies.

use std::borrow::Cow;

use super::scan::first_stop;
use super::xml::Document;
use crate::model::DescribeTasksResponse;

/// Decodes `text`, or returns `None` when it holds anything outside the subset (see the module
/// docs).
pub(super) fn decode(text: &str) -> Option<DescribeTasksResponse> {
    let bytes = text.as_bytes();
    let mut doc = Document::new();
    let mut pos = 0;
    if bytes.starts_with(b"<?") {
        pos = declaration_end(bytes)?;
    }
    while let Some(&first) = bytes.get(pos) {
        if first != b'<' {
            let rest = &bytes[pos..];
            let len = first_stop(rest, b'<', b'&', 0).unwrap_or(rest.len());
            if rest.get(len) == Some(&b'&') {
                return None;
            }
            if doc.wants_text() {
                doc.text(Cow::Borrowed(text.get(pos..pos + len)?));
            }
            pos += len;
            continue;
        }
        pos += 1;
        let closing = bytes.get(pos) == Some(&b'/');
        pos += usize::from(closing);
        let (name_len, local_start) = name_at(&bytes[pos..]);
        if name_len == 0 || local_start == name_len {
            return None;
        }
        let local = &bytes[pos + local_start..pos + name_len];
        pos += name_len;
        if closing {
            while bytes.get(pos).is_some_and(u8::is_ascii_whitespace) {
                pos += 1;
            }
            if bytes.get(pos) != Some(&b'>') {
                return None;
            }
            doc.end().ok()?;
        } else {
            match bytes.get(pos..pos + 2)? {
                [b'>', _] => doc.start_local(local).ok()?,
                b"/>" => {
                    pos += 1;
                    doc.empty_local(local).ok()?;
                }
                _ => return None,
            }
        }
        pos += 1;
    }
    doc.finish().ok()
}

/// The length of the name at the start of `bytes`, and where its local part starts (after the
/// last `:`).
#[inline]
fn name_at(bytes: &[u8]) -> (usize, usize) {
    let mut local_start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        match NAME_BYTES[usize::from(b)] {
            NameByte::Plain => {}
            NameByte::Colon => local_start = i + 1,
            NameByte::Not => return (i, local_start),
        }
    }
    (bytes.len(), local_start)
}

#[derive(Clone, Copy)]
enum NameByte {
    Not,
    Plain,
    Colon,
}

/// The bytes a name may hold in the subset: ASCII letters, digits, `_`, `-`, `.`, and `:` before
/// the local part.
static NAME_BYTES: [NameByte; 256] = {
    let mut table = [NameByte::Not; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.' {
            table[b] = NameByte::Plain;
        }
        b += 1;
    }
    table[b':' as usize] = NameByte::Colon;
    table
};

/// The end of a leading `<?xml ...?>` declaration: plain printable ASCII, nothing that could
/// make it something else.
fn declaration_end(bytes: &[u8]) -> Option<usize> {
    if !bytes.starts_with(b"<?xml ") {
        return None;
    }
    let end = bytes.windows(2).position(|w| w == b"?>")?;
    let inside = &bytes[6..end];
    inside
        .iter()
        .all(|&b| (b' '..=b'~').contains(&b) && b != b'<' && b != b'>' && b != b'&')
        .then_some(end + 2)
}
