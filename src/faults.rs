//! Fault injection, to rehearse what a load balancer and an orchestrator do
//! when a replica goes wrong: `-delay` (a timeout), `-error-rate` (a rollback
//! on 5xx), `-ready-after` (a slow start) and `-unhealthy-after` (a replica
//! replaced). Set at startup only: nothing in a request can turn a fault on or
//! off, so callers of a public endpoint cannot steer it.
//!
//! Deterministic: `-error-rate` is a rate over the sequence of answers, not a
//! draw. With a rate of p, the n-th answer (counted from 1) fails when
//! ⌊n·p⌋ > ⌊(n−1)·p⌋, so that of the first N answers exactly ⌊N·p⌋ fail,
//! spread evenly (p = 0.5 fails every second answer, p = 0.1 every tenth).
//! An answer is counted when the server picks it: over HTTP/1 once the request
//! head has arrived, over HTTP/2 once the body has; so an HTTP/1 request then
//! refused for its body (413) was counted too.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Rates are kept in millionths, so the rule above is integer arithmetic.
const PER_MILLION: u64 = 1_000_000;

/// The fault flags. Every field off by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    /// `-delay`: how long every answer but /health waits.
    pub delay: Option<Duration>,
    /// `-error-rate`, in millionths: the share of answers but /health that get 503.
    pub error_rate: ErrorRate,
    /// `-ready-after`: /health fails until this long after start.
    pub ready_after: Option<Duration>,
    /// `-unhealthy-after`: /health fails from this long after start on.
    pub unhealthy_after: Option<Duration>,
}

/// `-error-rate`: a fraction from 0 to 1, in millionths.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ErrorRate(u32);

impl ErrorRate {
    /// Parses a decimal fraction from 0 to 1 with at most six decimals (`0.5`,
    /// `1`, `.25`, `0.000001`): read as digits, so the rate is exactly what was
    /// written.
    pub fn parse(text: &str) -> Result<ErrorRate, String> {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() && fraction.is_empty() || !digits(whole) || !digits(fraction) {
            return Err("parse error".to_owned());
        }
        let fraction = fraction.trim_end_matches('0');
        if fraction.len() > 6 {
            return Err("at most six decimals".to_owned());
        }
        let whole: u64 = match whole.trim_start_matches('0') {
            "" => 0,
            "1" => 1,
            _ => return Err("must be between 0 and 1".to_owned()),
        };
        let mut millionths = whole * PER_MILLION;
        let mut scale = PER_MILLION;
        for digit in fraction.bytes() {
            scale /= 10;
            millionths += u64::from(digit - b'0') * scale;
        }
        if millionths > PER_MILLION {
            return Err("must be between 0 and 1".to_owned());
        }
        Ok(ErrorRate(millionths as u32))
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Whether the `n`-th answer (from 1) fails, by the rule in the module's text.
    fn fails(self, n: u64) -> bool {
        let p = u64::from(self.0);
        // n·p fits in u64 for 1.8e13 answers: about 6 years at 100,000 a second.
        n.saturating_mul(p) / PER_MILLION > (n - 1).saturating_mul(p) / PER_MILLION
    }
}

impl Faults {
    pub fn any(&self) -> bool {
        *self != Faults::default()
    }
}

/// What /health says at a moment, by `-ready-after` and `-unhealthy-after`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    Starting,
    Ready,
    Unhealthy,
}

/// The faults at run time: the flags, the server's start and the answers so far.
#[derive(Debug)]
pub struct Schedule {
    faults: Faults,
    started: Instant,
    /// Answers but /health so far, counted only with an error rate.
    answers: AtomicU64,
}

impl Schedule {
    /// Times count from now: the server's start.
    pub fn start(faults: Faults) -> Schedule {
        Schedule {
            faults,
            started: Instant::now(),
            answers: AtomicU64::new(0),
        }
    }

    /// Counts one answer but /health; true when it must fail. Shared by every
    /// connection and both protocols, so the rate holds over all of them.
    pub fn next_answer_fails(&self) -> bool {
        let rate = self.faults.error_rate;
        if rate.is_zero() {
            return false;
        }
        let n = self.answers.fetch_add(1, Ordering::Relaxed) + 1;
        rate.fails(n)
    }

    pub fn health(&self) -> Health {
        let up = self.started.elapsed();
        if self.faults.ready_after.is_some_and(|ready| up < ready) {
            Health::Starting
        } else if self.faults.unhealthy_after.is_some_and(|sick| up >= sick) {
            Health::Unhealthy
        } else {
            Health::Ready
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failures(rate: &str, answers: u64) -> Vec<u64> {
        let rate = ErrorRate::parse(rate).unwrap();
        (1..=answers).filter(|&n| rate.fails(n)).collect()
    }

    #[test]
    fn the_rate_holds_exactly_over_every_prefix() {
        assert_eq!(failures("0.5", 10), [2, 4, 6, 8, 10]);
        assert_eq!(failures("0.1", 30), [10, 20, 30]);
        assert_eq!(failures("0.3", 10), [4, 7, 10]);
        assert_eq!(failures("1", 3), [1, 2, 3]);
        assert_eq!(failures("0", 100), Vec::<u64>::new());
        for rate in ["0.25", "0.333", "0.999", "0.000001"] {
            let p = ErrorRate::parse(rate).unwrap().0 as u64;
            for n in [1, 7, 1000, 123_457] {
                assert_eq!(
                    failures(rate, n).len() as u64,
                    n * p / PER_MILLION,
                    "{rate} {n}"
                );
            }
        }
    }

    #[test]
    fn rates_from_0_to_1() {
        for (text, millionths) in [
            ("0.5", 500_000),
            ("0", 0),
            ("0.0", 0),
            ("00.25", 250_000),
            (".25", 250_000),
            ("1", 1_000_000),
            ("1.000", 1_000_000),
            ("0.000001", 1),
            ("0.1000000", 100_000),
        ] {
            assert_eq!(ErrorRate::parse(text), Ok(ErrorRate(millionths)), "{text}");
        }
        for (bad, why) in [
            ("1.5", "must be between 0 and 1"),
            ("1.0000001", "at most six decimals"),
            ("2", "must be between 0 and 1"),
            ("-0.1", "parse error"),
            ("+0.1", "parse error"),
            ("1e-3", "parse error"),
            ("NaN", "parse error"),
            ("half", "parse error"),
            ("", "parse error"),
            (".", "parse error"),
            ("0.5.5", "parse error"),
            ("0.0000001", "at most six decimals"),
        ] {
            assert_eq!(ErrorRate::parse(bad), Err(why.to_owned()), "{bad}");
        }
    }

    #[test]
    fn the_counter_is_shared_and_health_follows_the_clock() {
        let schedule = Schedule::start(Faults {
            error_rate: ErrorRate::parse("0.5").unwrap(),
            ready_after: Some(Duration::from_secs(3600)),
            ..Faults::default()
        });
        let failed = (0..100).filter(|_| schedule.next_answer_fails()).count();
        assert_eq!(failed, 50);
        assert_eq!(schedule.health(), Health::Starting);
        let schedule = Schedule::start(Faults {
            unhealthy_after: Some(Duration::ZERO),
            ..Faults::default()
        });
        assert!(!schedule.next_answer_fails());
        assert_eq!(schedule.health(), Health::Unhealthy);
        assert_eq!(Schedule::start(Faults::default()).health(), Health::Ready);
    }
}
