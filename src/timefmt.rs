//! Times as AWS License Manager writes them: UTC, `YYYY-MM-DDThh:mm:ss`, held here as Unix
//! seconds.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// The last second that the time grammar can write: 9999-12-31T23:59:59 UTC.
pub const MAX_UNIX_SECONDS: i64 = 253_402_300_799;

/// The first second that the time grammar can write: 0001-01-01T00:00:00 UTC.
pub const MIN_UNIX_SECONDS: i64 = -62_135_596_800;

/// Parses a time as it appears in a token: `YYYY-MM-DDThh:mm:ss`, optionally followed by
/// `.` and 1 to 9 digits, then optionally by `Z`. Years run from 0001 to 9999; offsets,
/// lowercase letters and second 60 are rejected. Fractions are floored to whole seconds.
pub fn parse_token_time(text: &str) -> Option<i64> {
    let (seconds, rest) = parse_date_time(text)?;
    match rest {
        "" | "Z" => Some(seconds),
        _ => None,
    }
}

/// Parses a time as a request may give it: the token grammar, or with a `±hh:mm` offset,
/// converted to UTC.
pub fn parse_request_time(text: &str) -> Option<i64> {
    let (seconds, rest) = parse_date_time(text)?;
    if rest.is_empty() || rest == "Z" {
        return Some(seconds);
    }
    let offset = parse_offset(rest)?;
    let utc = seconds.checked_sub(offset)?;
    (MIN_UNIX_SECONDS..=MAX_UNIX_SECONDS)
        .contains(&utc)
        .then_some(utc)
}

/// Formats Unix seconds as `YYYY-MM-DDThh:mm:ss` in UTC, the form every writer here emits.
///
/// Times outside years 0001 to 9999 are clamped to those bounds, which callers avoid by
/// clamping expirations to [`MAX_UNIX_SECONDS`].
pub fn format_time(unix_seconds: i64) -> String {
    let clamped = unix_seconds.clamp(MIN_UNIX_SECONDS, MAX_UNIX_SECONDS);
    let moment = OffsetDateTime::from_unix_timestamp(clamped).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        moment.year(),
        u8::from(moment.month()),
        moment.day(),
        moment.hour(),
        moment.minute(),
        moment.second()
    )
}

/// Parses the fixed `YYYY-MM-DDThh:mm:ss[.fraction]` prefix; returns Unix seconds and the
/// rest of the text.
fn parse_date_time(text: &str) -> Option<(i64, &str)> {
    let bytes = text.as_bytes();
    if bytes.len() < 19 {
        return None;
    }
    let shape_ok = bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes[10] == b'T'
        && bytes[13] == b':'
        && bytes[16] == b':';
    if !shape_ok {
        return None;
    }
    let year = digits(&bytes[0..4])?;
    let month = digits(&bytes[5..7])?;
    let day = digits(&bytes[8..10])?;
    let hour = digits(&bytes[11..13])?;
    let minute = digits(&bytes[14..16])?;
    let second = digits(&bytes[17..19])?;
    if year == 0 {
        return None;
    }

    let date = Date::from_calendar_date(
        i32::try_from(year).ok()?,
        Month::try_from(u8::try_from(month).ok()?).ok()?,
        u8::try_from(day).ok()?,
    )
    .ok()?;
    let clock = Time::from_hms(
        u8::try_from(hour).ok()?,
        u8::try_from(minute).ok()?,
        u8::try_from(second).ok()?,
    )
    .ok()?;
    let seconds = PrimitiveDateTime::new(date, clock)
        .assume_utc()
        .unix_timestamp();

    let mut rest = &text[19..];
    if let Some(after_dot) = rest.strip_prefix('.') {
        let count = after_dot.bytes().take_while(u8::is_ascii_digit).count();
        if !(1..=9).contains(&count) {
            return None;
        }
        rest = &after_dot[count..];
    }
    Some((seconds, rest))
}

/// Parses `+hh:mm` or `-hh:mm` into seconds east of UTC.
fn parse_offset(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() != 6 || bytes[3] != b':' {
        return None;
    }
    let sign = match bytes[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let hours = digits(&bytes[1..3])?;
    let minutes = digits(&bytes[4..6])?;
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some(sign * i64::from(hours * 3600 + minutes * 60))
}

fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_time_accepts_grammar() {
        assert_eq!(parse_token_time("2020-11-30T23:47:35"), Some(1_606_780_055));
        assert_eq!(
            parse_token_time("2020-11-30T23:47:35Z"),
            Some(1_606_780_055)
        );
        assert_eq!(
            parse_token_time("2020-11-30T23:47:35.999999999Z"),
            Some(1_606_780_055)
        );
        assert_eq!(
            parse_token_time("0001-01-01T00:00:00"),
            Some(MIN_UNIX_SECONDS)
        );
        assert_eq!(
            parse_token_time("9999-12-31T23:59:59"),
            Some(MAX_UNIX_SECONDS)
        );
    }

    #[test]
    fn token_time_rejects_other_forms() {
        for text in [
            "2020-11-30T23:47:35+00:00",
            "2020-11-30t23:47:35",
            "2020-11-30T23:47:35z",
            "2020-11-30T23:47:60",
            "0000-01-01T00:00:00",
            "2020-02-30T00:00:00",
            "2020-11-30T23:47:35.",
            "2020-11-30T23:47:35.1234567890",
            "2020-11-30 23:47:35",
            "+020-11-30T23:47:35",
            "2020-11-30T23:47",
            "2020-11-30T23:47:35Z ",
        ] {
            assert_eq!(parse_token_time(text), None, "{text}");
        }
    }

    #[test]
    fn request_time_converts_offsets() {
        assert_eq!(
            parse_request_time("2020-12-01T01:47:35+02:00"),
            Some(1_606_780_055)
        );
        assert_eq!(
            parse_request_time("2020-11-30T18:47:35-05:00"),
            Some(1_606_780_055)
        );
        assert_eq!(parse_request_time("2020-11-30T23:47:35+24:00"), None);
        assert_eq!(parse_request_time("2020-11-30T23:47:35+0200"), None);
    }

    #[test]
    fn format_time_writes_whole_seconds() {
        assert_eq!(format_time(1_606_780_055), "2020-11-30T23:47:35");
        assert_eq!(format_time(MAX_UNIX_SECONDS), "9999-12-31T23:59:59");
    }
}
