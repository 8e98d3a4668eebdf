//! Lenient scalars shared by the JSON and XML decoders: booleans, integers and times in the
//! spellings the service and its documentation use.

use std::cell::Cell;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

/// `value` without leading and trailing whitespace, as [`str::trim`] returns it. Values rarely
/// carry any, and looking at the two end bytes first is cheaper than `str::trim`'s walk.
#[inline]
pub(crate) fn trim(value: &str) -> &str {
    // Bytes above space and below 0x80 are never (part of) whitespace.
    let plain = |b: Option<&u8>| b.is_some_and(|&b| b > b' ' && b < 0x80);
    let bytes = value.as_bytes();
    if plain(bytes.first()) && plain(bytes.last()) {
        value
    } else {
        value.trim()
    }
}

/// Reads a boolean sent as `true`/`false` in any case, or `1`/`0`; an empty value is `None`.
pub fn parse_bool(value: &str) -> Result<Option<bool>, String> {
    let v = trim(value);
    if v.is_empty() {
        Ok(None)
    } else if v.eq_ignore_ascii_case("true") || v == "1" {
        Ok(Some(true))
    } else if v.eq_ignore_ascii_case("false") || v == "0" {
        Ok(Some(false))
    } else {
        Err(format!("expected a boolean, got {v:?}"))
    }
}

/// Reads an unsigned integer sent as a number or a numeric string; an empty value is `None`.
pub fn parse_u64(value: &str) -> Result<Option<u64>, String> {
    let v = trim(value);
    if v.is_empty() {
        return Ok(None);
    }
    v.parse::<u64>()
        .map(Some)
        .map_err(|_| format!("expected a non-negative integer, got {v:?}"))
}

/// Reads an unsigned 32-bit integer (see [`parse_u64`]).
pub fn parse_u32(value: &str) -> Result<Option<u32>, String> {
    match parse_u64(value)? {
        None => Ok(None),
        Some(n) => u32::try_from(n)
            .map(Some)
            .map_err(|_| format!("integer {n} is out of range")),
    }
}

/// Reads a time in the forms the service sends: `2015-11-24T12:50Z` (minute precision),
/// `2015-11-24T12:50:30Z`, with an optional fraction, or any RFC 3339 offset. An empty value is
/// `None` (the service sends `""` for a task that has not finished).
pub fn parse_time(value: &str) -> Result<Option<DateTime<Utc>>, String> {
    let v = trim(value);
    if v.is_empty() {
        return Ok(None);
    }
    if let Some(t) = parse_utc_fast(v.as_bytes()) {
        return Ok(Some(t));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    // Minute precision with an offset, e.g. 2015-11-24T12:50+08:00.
    if let Ok(t) = DateTime::parse_from_str(v, "%Y-%m-%dT%H:%M%:z") {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    Err(format!(
        "expected a time such as 2015-11-24T12:50Z, got {v:?}"
    ))
}

fn digits(b: &[u8]) -> Option<u32> {
    let mut n = 0u32;
    for &d in b {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(d - b'0');
    }
    Some(n)
}

/// The date `YYYY-MM-DD`. Tasks on a page share a few days, so the last date read on this thread
/// is kept and reused when the same ten bytes come again.
fn date_of(ymd: &[u8]) -> Option<NaiveDate> {
    thread_local! {
        static LAST: Cell<Option<([u8; 10], NaiveDate)>> = const { Cell::new(None) };
    }
    let key: [u8; 10] = ymd.try_into().ok()?;
    LAST.with(|last| {
        if let Some((seen, date)) = last.get() {
            if seen == key {
                return Some(date);
            }
        }
        let date = NaiveDate::from_ymd_opt(
            digits(&ymd[0..4])? as i32,
            digits(&ymd[5..7])?,
            digits(&ymd[8..10])?,
        )?;
        last.set(Some((key, date)));
        Some(date)
    })
}

/// `YYYY-MM-DDTHH:MM[:SS[.f+]]Z` without going through a format parser.
fn parse_utc_fast(b: &[u8]) -> Option<DateTime<Utc>> {
    if b.len() < 17 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || !matches!(b[b.len() - 1], b'Z' | b'z') {
        return None;
    }
    let date = date_of(b.get(..10)?)?;
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let rest = &b[16..b.len() - 1];
    let (second, nanos) = match rest {
        [] => (0, 0),
        [b':', s1, s2, frac @ ..] => {
            let second = digits(&[*s1, *s2])?;
            let nanos = match frac {
                [] => 0,
                [b'.', f @ ..] if !f.is_empty() && f.len() <= 9 => {
                    digits(f)? * 10u32.pow(9 - f.len() as u32)
                }
                _ => return None,
            };
            (second, nanos)
        }
        _ => return None,
    };
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    Some(NaiveDateTime::new(date, time).and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn times_with_and_without_seconds() {
        let minute = Utc.with_ymd_and_hms(2015, 11, 24, 12, 50, 0).unwrap();
        assert_eq!(parse_time("2015-11-24T12:50Z").unwrap(), Some(minute));
        assert_eq!(parse_time("2015-11-24T12:50:00Z").unwrap(), Some(minute));
        assert_eq!(
            parse_time("2015-11-24T12:50:07Z").unwrap(),
            Some(minute + chrono::Duration::seconds(7))
        );
        assert_eq!(
            parse_time("2015-11-24T12:50:07.250Z").unwrap(),
            Some(minute + chrono::Duration::milliseconds(7250))
        );
        assert_eq!(
            parse_time("2015-11-24T20:50:00+08:00").unwrap(),
            Some(minute)
        );
        assert_eq!(parse_time("2015-11-24T20:50+08:00").unwrap(), Some(minute));
        assert_eq!(parse_time("").unwrap(), None);
        assert_eq!(parse_time("  ").unwrap(), None);
        for bad in [
            "yesterday",
            "2015-13-24T12:50Z",
            "2015-11-24T25:50Z",
            "2015-11-24T12:50:7Z",
            "2015-11-24",
            "2015-11-24T12:50:00.Z",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn booleans_and_integers() {
        for t in ["true", "True", "TRUE", "1", " true "] {
            assert_eq!(parse_bool(t).unwrap(), Some(true), "{t}");
        }
        for f in ["false", "False", "0"] {
            assert_eq!(parse_bool(f).unwrap(), Some(false), "{f}");
        }
        assert_eq!(parse_bool("").unwrap(), None);
        assert!(parse_bool("yes").is_err());
        assert_eq!(parse_u32("42").unwrap(), Some(42));
        assert_eq!(parse_u32("").unwrap(), None);
        assert!(parse_u32("-1").is_err());
        assert!(parse_u32("99999999999").is_err());
        assert_eq!(parse_u64("99999999999").unwrap(), Some(99_999_999_999));
    }
}
