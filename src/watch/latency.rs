//! Latency percentiles in bounded memory: a watch may run for days, so the
//! samples are counted in buckets rather than kept. Below 128 µs every
//! microsecond has its own bucket; above, each power of two is cut into 64, so a
//! percentile is off by under 1.6 % (always upwards). The maximum is exact.

use std::time::Duration;

/// Sub-buckets per power of two, as a power of two.
const SUB_BITS: u32 = 6;
const SUBS: usize = 1 << SUB_BITS;
/// Values below this are counted exactly.
const EXACT: u64 = 2 << SUB_BITS;
/// Enough buckets for any u64 of microseconds: the exact ones, then SUBS for each
/// power of two from EXACT up.
const BUCKETS: usize = (64 - SUB_BITS as usize + 1) * SUBS;

pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max_micros: u64,
}

impl Default for Histogram {
    fn default() -> Histogram {
        Histogram {
            counts: vec![0; BUCKETS],
            total: 0,
            max_micros: 0,
        }
    }
}

impl Histogram {
    pub fn record(&mut self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.counts[bucket(micros)] += 1;
        self.total += 1;
        self.max_micros = self.max_micros.max(micros);
    }

    /// The smallest bucket bound that at least `permille` thousandths of the
    /// samples are at or below, in microseconds; `None` without samples.
    pub fn percentile_micros(&self, permille: u64) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        let rank = (self.total * permille).div_ceil(1000).clamp(1, self.total);
        let mut seen = 0;
        for (index, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Some(upper_bound(index).min(self.max_micros));
            }
        }
        Some(self.max_micros)
    }

    pub fn max_micros(&self) -> Option<u64> {
        (self.total > 0).then_some(self.max_micros)
    }
}

fn bucket(micros: u64) -> usize {
    if micros < EXACT {
        return micros as usize;
    }
    let exponent = 63 - micros.leading_zeros();
    let shift = exponent - SUB_BITS;
    // The top SUB_BITS + 1 bits: SUBS..2 * SUBS.
    let top = (micros >> shift) as usize;
    shift as usize * SUBS + top
}

/// The largest value counted in bucket `index`.
fn upper_bound(index: usize) -> u64 {
    if index < EXACT as usize {
        return index as u64;
    }
    let shift = (index / SUBS - 1) as u32;
    let top = (index % SUBS + SUBS) as u128;
    // In u128: the last bucket ends at u64::MAX, one below 2^64.
    (((top + 1) << shift) - 1) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_bounded() {
        assert_eq!(bucket(EXACT - 1), EXACT as usize - 1);
        assert_eq!(bucket(EXACT), EXACT as usize);
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
        for micros in [0, 1, 127, 128, 129, 1_000, 65_535, 1 << 40, u64::MAX] {
            let upper = upper_bound(bucket(micros));
            assert!(upper >= micros, "{micros}");
            // The error bound the module promises.
            assert!(upper - micros <= micros / 64, "{micros}: {upper}");
            if upper < u64::MAX {
                assert_eq!(bucket(upper + 1), bucket(micros) + 1, "{micros}");
            }
        }
    }

    #[test]
    fn percentiles_of_one_to_a_thousand_milliseconds() {
        let mut histogram = Histogram::default();
        assert_eq!(histogram.percentile_micros(500), None);
        for ms in 1..=1000 {
            histogram.record(Duration::from_millis(ms));
        }
        let near = |got: Option<u64>, want: u64| {
            let got = got.unwrap();
            assert!(got >= want && got - want <= want / 64, "{got} vs {want}");
        };
        near(histogram.percentile_micros(500), 500_000);
        near(histogram.percentile_micros(990), 990_000);
        assert_eq!(histogram.percentile_micros(1000), Some(1_000_000));
        assert_eq!(histogram.max_micros(), Some(1_000_000));
    }

    #[test]
    fn a_percentile_never_exceeds_the_maximum() {
        let mut histogram = Histogram::default();
        histogram.record(Duration::from_micros(1_000_001));
        assert_eq!(histogram.percentile_micros(500), Some(1_000_001));
    }
}
