//! Wire time formats: strict ISO 8601 parsing of request times, minute-precision rendering of task
//! times and the HTTP `Date` header.

use chrono::{DateTime, NaiveDate, Utc};

/// Parses `yyyy-MM-ddTHH:mm:ssZ` (UTC), and also `yyyy-MM-ddTHH:mmZ` when `allow_minutes` is set.
///
/// Anything else (fractional seconds, offsets, missing `Z`, out-of-range fields) is `None`.
pub(crate) fn parse_utc(value: &str, allow_minutes: bool) -> Option<DateTime<Utc>> {
    let b = value.as_bytes();
    let with_seconds = match b.len() {
        20 => true,
        17 if allow_minutes => false,
        _ => return None,
    };
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let mut n = 0u32;
        for &c in b.get(range)? {
            if !c.is_ascii_digit() {
                return None;
            }
            n = n * 10 + u32::from(c - b'0');
        }
        Some(n)
    };
    let punct_ok = b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':';
    if !punct_ok || b[b.len() - 1] != b'Z' {
        return None;
    }
    let second = if with_seconds {
        if b[16] != b':' {
            return None;
        }
        digits(17..19)?
    } else {
        0
    };
    let year = i32::try_from(digits(0..4)?).ok()?;
    let date = NaiveDate::from_ymd_opt(year, digits(5..7)?, digits(8..10)?)?;
    let time = date.and_hms_opt(digits(11..13)?, digits(14..16)?, second)?;
    Some(time.and_utc())
}

/// Renders a task time the way the service does: `yyyy-MM-ddTHH:mmZ` (minute precision).
pub(crate) fn format_minutes(time: &DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%MZ").to_string()
}

/// Renders an HTTP `Date` header value (RFC 7231 IMF-fixdate).
pub(crate) fn http_date(time: &DateTime<Utc>) -> String {
    time.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn parses_second_and_minute_precision() {
        let t = Utc.with_ymd_and_hms(2016, 2, 23, 12, 46, 24).unwrap();
        assert_eq!(parse_utc("2016-02-23T12:46:24Z", false), Some(t));
        let m = Utc.with_ymd_and_hms(2015, 11, 23, 15, 10, 0).unwrap();
        assert_eq!(parse_utc("2015-11-23T15:10Z", true), Some(m));
        assert_eq!(parse_utc("2015-11-23T15:10Z", false), None);
    }

    #[test]
    fn rejects_malformed_times() {
        for bad in [
            "",
            "2016-02-23T12:46:24",
            "2016-02-23T12:46:24.123Z",
            "2016-02-23 12:46:24Z",
            "2016-02-30T12:46:24Z",
            "2016-02-23T24:00:00Z",
            "2016-02-23T12:46:60Z",
            "2016-02-23T12:46:24+08:00",
            "+016-02-23T12:46:24Z",
            "２０16-02-23T12:46Z",
            "2016-02-23T12:4\u{e9}Z",
        ] {
            assert_eq!(parse_utc(bad, true), None, "{bad:?}");
        }
    }

    #[test]
    fn formats_minutes_and_http_dates() {
        let t = Utc.with_ymd_and_hms(2015, 11, 24, 12, 50, 59).unwrap();
        assert_eq!(format_minutes(&t), "2015-11-24T12:50Z");
        let d = Utc.with_ymd_and_hms(1994, 11, 6, 8, 49, 37).unwrap();
        assert_eq!(http_date(&d), "Sun, 06 Nov 1994 08:49:37 GMT");
    }
}
