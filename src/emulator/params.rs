//! Request parameters: form decoding of the query string and of
//! `application/x-www-form-urlencoded` bodies, merged into one map.
//!
//! Decoding never fails and never panics: `+` is a space, `%XX` is a byte, and a `%` that is not
//! followed by two hex digits is kept literally (as browsers and most servers do). A name or value
//! whose bytes are not UTF-8 is remembered so that the request can be refused with an error
//! envelope, while the other parameters (notably `Format`) still decode.

use std::collections::BTreeMap;

/// The decoded parameters of one request.
#[derive(Debug, Default, Clone)]
pub(crate) struct Params {
    /// Every parameter; when a name repeats, the last occurrence wins (the body comes after the
    /// query string, so a body value overrides a query value).
    pub(crate) map: BTreeMap<String, String>,
    /// The (lossily decoded) name of the first parameter that was not valid UTF-8.
    pub(crate) invalid_utf8: Option<String>,
}

impl Params {
    /// Decodes a query string (without the leading `?`).
    #[cfg(test)]
    pub(crate) fn from_query(query: &str) -> Self {
        let mut params = Self::default();
        params.extend_form(query.as_bytes());
        params
    }

    /// Adds the pairs of a form-encoded byte string (`a=1&b=2`).
    pub(crate) fn extend_form(&mut self, input: &[u8]) {
        for pair in input.split(|&b| b == b'&') {
            if pair.is_empty() {
                continue;
            }
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &[][..]),
            };
            let name = decode_component(name);
            if name.is_empty() {
                continue;
            }
            let value = decode_component(value);
            match (String::from_utf8(name), String::from_utf8(value)) {
                (Ok(name), Ok(value)) => {
                    self.map.insert(name, value);
                }
                (name, _) => {
                    if self.invalid_utf8.is_none() {
                        let name = match name {
                            Ok(name) => name,
                            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
                        };
                        self.invalid_utf8 = Some(name);
                    }
                }
            }
        }
    }

    /// A parameter's value; an empty value counts as absent.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.map
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// Form-decodes one component: `+` is a space, `%XX` a byte, a malformed `%` stays as it is.
fn decode_component(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = input.get(i + 1).and_then(|&c| hex_value(c));
                let lo = input.get(i + 2).and_then(|&c| hex_value(c));
                if let (Some(hi), Some(lo)) = (hi, lo) {
                    out.push(hi << 4 | lo);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            other => out.push(other),
        }
        i += 1;
    }
    out
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_plus_percent_and_utf8() {
        let p = Params::from_query("A=a+b%20c&B=%2A%7E~&C=%E4%B8%AD&D&=skip&&E=x=y");
        assert_eq!(p.map["A"], "a b c");
        assert_eq!(p.map["B"], "*~~");
        assert_eq!(p.map["C"], "\u{4e2d}");
        assert_eq!(p.map["D"], "");
        assert_eq!(p.get("D"), None);
        assert_eq!(p.map["E"], "x=y");
        assert_eq!(p.map.len(), 5);
        assert!(p.invalid_utf8.is_none());
    }

    #[test]
    fn malformed_escapes_are_kept_literally() {
        let p = Params::from_query("A=%zz&B=%&C=%4&D=100%25&E=%%41");
        assert_eq!(p.map["A"], "%zz");
        assert_eq!(p.map["B"], "%");
        assert_eq!(p.map["C"], "%4");
        assert_eq!(p.map["D"], "100%");
        assert_eq!(p.map["E"], "%A");
    }

    #[test]
    fn invalid_utf8_is_reported_not_panicked_on() {
        let p = Params::from_query("Format=JSON&Bad=%FF%FE&%C3=x");
        assert_eq!(p.invalid_utf8.as_deref(), Some("Bad"));
        assert_eq!(p.get("Format"), Some("JSON"));

        let mut raw = Params::default();
        raw.extend_form(b"A=\xff\xfe&B=1");
        assert_eq!(raw.invalid_utf8.as_deref(), Some("A"));
        assert_eq!(raw.get("B"), Some("1"));

        let mut name = Params::default();
        name.extend_form(b"\xffname=1");
        assert_eq!(name.invalid_utf8.as_deref(), Some("\u{fffd}name"));
    }

    #[test]
    fn body_values_are_merged_after_the_query() {
        let mut p = Params::from_query("Action=DescribeTasks&RegionId=cn-beijing");
        p.extend_form(b"RegionId=cn-hangzhou&PageSize=5");
        assert_eq!(p.get("Action"), Some("DescribeTasks"));
        assert_eq!(p.get("RegionId"), Some("cn-hangzhou"));
        assert_eq!(p.get("PageSize"), Some("5"));
    }

    #[test]
    fn garbage_never_panics() {
        let mut rng = fastrand::Rng::with_seed(7);
        let alphabet = b"%+=&aZ09\xff\xc3\x80~*";
        for _ in 0..2000 {
            let len = rng.usize(0..24);
            let bytes: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.usize(0..alphabet.len())])
                .collect();
            let mut p = Params::default();
            p.extend_form(&bytes);
        }
    }
}
