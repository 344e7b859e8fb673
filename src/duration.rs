//! Go's `time.Duration` text: parsing flag values like `1m30s`, and printing the
//! request duration in the access log exactly as Go's `%v` does (`41.2µs`, `1.5ms`).

use std::time::Duration;

/// Parses a Go duration string: an optional sign is refused (no negative durations
/// here), then numbers with optional fractions, each followed by a unit among `ns`,
/// `us`, `µs`, `ms`, `s`, `m`, `h`. A bare `0` is allowed, as in Go.
pub fn parse(text: &str) -> Result<Duration, String> {
    let invalid = || format!("invalid duration {text:?}");
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    if text.is_empty() || text.starts_with('-') {
        return Err(invalid());
    }
    let mut rest = text.strip_prefix('+').unwrap_or(text);
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total_nanos: u128 = 0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_len);
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') {
            return Err(invalid());
        }
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, tail) = after.split_at(unit_len);
        let unit_nanos: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => return Err(format!("missing unit in duration {text:?}")),
            _ => return Err(format!("unknown unit {unit:?} in duration {text:?}")),
        };
        let whole: u128 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| invalid())?
        };
        let mut nanos = whole.checked_mul(unit_nanos).ok_or_else(invalid)?;
        let mut scale = unit_nanos;
        for digit in fraction.bytes() {
            scale /= 10;
            nanos += u128::from(digit - b'0') * scale;
        }
        total_nanos = total_nanos.checked_add(nanos).ok_or_else(invalid)?;
        rest = tail;
    }
    // Go durations are int64 nanoseconds; keep the same ceiling.
    if total_nanos > i64::MAX as u128 {
        return Err(invalid());
    }
    Ok(Duration::from_nanos(total_nanos as u64))
}

/// Appends `d` formatted as Go's `Duration.String` (`0s`, `850ns`, `41.2µs`,
/// `1.5ms`, `2.000001s`, `1m0s`, `1h2m3.5s`).
pub fn write_go(out: &mut Vec<u8>, d: Duration) {
    let nanos = d.as_nanos().min(i64::MAX as u128) as u64;
    if nanos == 0 {
        out.extend_from_slice(b"0s");
        return;
    }
    if nanos < 1_000 {
        write_uint(out, nanos);
        out.extend_from_slice(b"ns");
    } else if nanos < 1_000_000 {
        write_fraction(out, nanos, 3);
        out.extend_from_slice("µs".as_bytes());
    } else if nanos < 1_000_000_000 {
        write_fraction(out, nanos, 6);
        out.extend_from_slice(b"ms");
    } else {
        let seconds_nanos = nanos % 60_000_000_000;
        let minutes_total = nanos / 60_000_000_000;
        let hours = minutes_total / 60;
        let minutes = minutes_total % 60;
        if hours > 0 {
            write_uint(out, hours);
            out.push(b'h');
        }
        if minutes_total > 0 {
            write_uint(out, minutes);
            out.push(b'm');
        }
        write_fraction(out, seconds_nanos, 9);
        out.push(b's');
    }
}

/// Formats a duration the Go way into a fresh string.
pub fn go_string(d: Duration) -> String {
    let mut out = Vec::with_capacity(16);
    write_go(&mut out, d);
    String::from_utf8(out).expect("Go durations are ASCII plus µ")
}

/// Writes `value / 10^precision` with the fraction's trailing zeros removed.
fn write_fraction(out: &mut Vec<u8>, value: u64, precision: u32) {
    let divisor = 10u64.pow(precision);
    write_uint(out, value / divisor);
    let mut fraction = value % divisor;
    if fraction == 0 {
        return;
    }
    let mut digits = precision as usize;
    while fraction % 10 == 0 {
        fraction /= 10;
        digits -= 1;
    }
    out.push(b'.');
    let mut buffer = itoa::Buffer::new();
    let text = buffer.format(fraction).as_bytes();
    // Leading zeros of the fraction (the 0 of 1.05ms) are not in the integer.
    out.resize(out.len() + digits - text.len(), b'0');
    out.extend_from_slice(text);
}

/// Appends the decimal digits of `value`.
pub fn write_uint(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_durations() {
        assert_eq!(parse("0"), Ok(Duration::ZERO));
        assert_eq!(parse("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("300ms"), Ok(Duration::from_millis(300)));
        assert_eq!(parse("2us"), Ok(Duration::from_micros(2)));
        assert_eq!(parse("2µs"), Ok(Duration::from_micros(2)));
        assert_eq!(parse(".5s"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("1h2m3s4ms"), Ok(Duration::new(3723, 4_000_000)));
    }

    #[test]
    fn refuses_what_go_refuses_and_negatives() {
        for bad in ["", "5", "s", "-1s", "1x", "1..5s", ".s", "+", "9999999999h"] {
            assert!(parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn formats_like_go() {
        let cases = [
            (Duration::ZERO, "0s"),
            (Duration::from_nanos(850), "850ns"),
            (Duration::from_nanos(41_200), "41.2µs"),
            (Duration::from_nanos(41_234), "41.234µs"),
            (Duration::from_micros(1_500), "1.5ms"),
            (Duration::from_nanos(1_050_000), "1.05ms"),
            (Duration::from_nanos(2_000_001_000), "2.000001s"),
            (Duration::from_secs(60), "1m0s"),
            (Duration::from_millis(3_723_500), "1h2m3.5s"),
            (Duration::from_secs(3_600), "1h0m0s"),
        ];
        for (d, want) in cases {
            assert_eq!(go_string(d), want);
        }
    }
}
