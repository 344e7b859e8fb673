//! Wall-clock text for responses and logs, formatted once per second per thread.
//!
//! Every response carries a `Date` header and every access-log line a timestamp.
//! Formatting them is cheap but not free, and a busy server answers many requests in
//! the same second, so each worker thread keeps the strings for the current second
//! and rebuilds them only when the second changes.

use std::cell::RefCell;
use std::time::{SystemTime, UNIX_EPOCH};

/// The current second in every format the server writes.
pub struct Second {
    unix: u64,
    /// `Thu, 26 Nov 2026 13:11:05 GMT`, the HTTP `Date` header (RFC 9110).
    pub http_date: [u8; 29],
    /// `2026/11/26 13:11:05` in local time, Go's `log` and access-log prefix.
    pub go_local: [u8; 19],
    /// `2026-11-26T13:11:05` in UTC, the start of an RFC 3339 timestamp.
    pub utc_iso: [u8; 19],
}

thread_local! {
    static CURRENT: RefCell<Second> = const { RefCell::new(Second {
        unix: u64::MAX,
        http_date: [0; 29],
        go_local: [0; 19],
        utc_iso: [0; 19],
    }) };
}

/// Calls `f` with the current second's strings and the milliseconds into it.
pub fn with_now<R>(f: impl FnOnce(&Second, u32) -> R) -> R {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let (secs, millis) = (now.as_secs(), now.subsec_millis());
    CURRENT.with(|cell| {
        let mut second = cell.borrow_mut();
        if second.unix != secs {
            second.refresh(secs);
        }
        f(&second, millis)
    })
}

impl Second {
    fn refresh(&mut self, unix: u64) {
        self.unix = unix;
        let utc = Civil::from_unix(unix as i64);
        write_http_date(&mut self.http_date, &utc);
        write_fields(&mut self.utc_iso, &utc, b'-', b'T');
        let local = Civil::local(unix as i64).unwrap_or(utc);
        write_fields(&mut self.go_local, &local, b'/', b' ');
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for a Unix time, e.g. the build time in `-version`.
pub fn rfc3339_utc_seconds(unix: u64) -> String {
    let mut text = [0u8; 19];
    write_fields(&mut text, &Civil::from_unix(unix as i64), b'-', b'T');
    format!("{}Z", String::from_utf8_lossy(&text))
}

/// A broken-down calendar time.
#[derive(Clone, Copy)]
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    /// 0 = Sunday.
    weekday: u32,
}

impl Civil {
    /// UTC, by Howard Hinnant's days-from-civil inverse.
    fn from_unix(unix: i64) -> Civil {
        let days = unix.div_euclid(86_400);
        let secs_of_day = unix.rem_euclid(86_400) as u32;
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z.rem_euclid(146_097);
        let year_of_era =
            (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let mp = (5 * day_of_year + 2) / 153;
        let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Civil {
            year,
            month,
            day,
            hour: secs_of_day / 3_600,
            minute: secs_of_day / 60 % 60,
            second: secs_of_day % 60,
            weekday: (days + 4).rem_euclid(7) as u32,
        }
    }

    /// Local time as the C library sees it (`TZ`, `/etc/localtime`; UTC without
    /// either, as in a scratch image), which is what Go's `log` package prints.
    fn local(unix: i64) -> Option<Civil> {
        // time_t is 32 bits on some targets, 64 here.
        #[allow(clippy::useless_conversion)]
        let t: libc::time_t = unix.try_into().ok()?;
        // SAFETY: localtime_r only writes the tm we own; a zeroed tm is a valid value.
        let tm = unsafe {
            let mut tm: libc::tm = std::mem::zeroed();
            if libc::localtime_r(&t, &mut tm).is_null() {
                return None;
            }
            tm
        };
        Some(Civil {
            year: i64::from(tm.tm_year) + 1900,
            month: (tm.tm_mon + 1) as u32,
            day: tm.tm_mday as u32,
            hour: tm.tm_hour as u32,
            minute: tm.tm_min as u32,
            second: tm.tm_sec as u32,
            weekday: tm.tm_wday as u32,
        })
    }
}

fn two_digits(out: &mut [u8], value: u32) {
    out[0] = b'0' + (value / 10 % 10) as u8;
    out[1] = b'0' + (value % 10) as u8;
}

fn four_digits(out: &mut [u8], value: i64) {
    let value = value.clamp(0, 9999) as u32;
    two_digits(&mut out[0..2], value / 100);
    two_digits(&mut out[2..4], value % 100);
}

/// `YYYY<d>MM<d>DD<t>HH:MM:SS`.
fn write_fields(out: &mut [u8; 19], t: &Civil, date_sep: u8, time_sep: u8) {
    four_digits(&mut out[0..4], t.year);
    out[4] = date_sep;
    two_digits(&mut out[5..7], t.month);
    out[7] = date_sep;
    two_digits(&mut out[8..10], t.day);
    out[10] = time_sep;
    two_digits(&mut out[11..13], t.hour);
    out[13] = b':';
    two_digits(&mut out[14..16], t.minute);
    out[16] = b':';
    two_digits(&mut out[17..19], t.second);
}

fn write_http_date(out: &mut [u8; 29], t: &Civil) {
    const DAYS: [&[u8; 3]; 7] = [b"Sun", b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat"];
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    out[0..3].copy_from_slice(DAYS[t.weekday as usize % 7]);
    out[3..5].copy_from_slice(b", ");
    two_digits(&mut out[5..7], t.day);
    out[7] = b' ';
    out[8..11].copy_from_slice(MONTHS[(t.month as usize + 11) % 12]);
    out[11] = b' ';
    four_digits(&mut out[12..16], t.year);
    out[16] = b' ';
    two_digits(&mut out[17..19], t.hour);
    out[19] = b':';
    two_digits(&mut out[20..22], t.minute);
    out[22] = b':';
    two_digits(&mut out[23..25], t.second);
    out[25..29].copy_from_slice(b" GMT");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: &[u8]) -> &str {
        std::str::from_utf8(bytes).unwrap()
    }

    #[test]
    fn formats_known_instants() {
        let mut s = Second {
            unix: 0,
            http_date: [0; 29],
            go_local: [0; 19],
            utc_iso: [0; 19],
        };
        // 2026-11-26 13:11:05 UTC was a Thursday.
        s.refresh(1_795_698_665);
        assert_eq!(text(&s.http_date), "Thu, 26 Nov 2026 13:11:05 GMT");
        assert_eq!(text(&s.utc_iso), "2026-11-26T13:11:05");
        s.refresh(951_782_400); // leap day 2000
        assert_eq!(text(&s.http_date), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(rfc3339_utc_seconds(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn local_time_has_go_log_shape() {
        with_now(|second, millis| {
            let local = text(&second.go_local);
            assert_eq!(local.len(), 19);
            assert_eq!(&local[4..5], "/");
            assert_eq!(&local[10..11], " ");
            assert!(millis < 1000);
        });
    }
}
