//! Everything one benchmark run measured, and the medians the report is made of.

use std::time::Duration;

use crate::load::{Measurement, Scenario};
use crate::memory::ConnectionFigures;
use crate::server::{Contender, Transport};

pub struct Versions {
    pub ours: String,
    pub nginx: String,
    pub wrk: String,
    pub h2load: String,
    pub openssl: String,
}

pub struct Sizes {
    pub ours_stripped: u64,
    pub nginx_stripped: u64,
    pub image_tag: String,
    /// None when no such image was built here.
    pub image: Option<u64>,
}

/// One load run of one server in one round.
pub struct LoadRecord {
    pub contender: Contender,
    pub scenario: &'static Scenario,
    pub round: u32,
    pub measurement: Measurement,
}

pub struct Results {
    pub smoke: bool,
    pub rounds: u32,
    pub seconds: u64,
    pub startups: u32,
    pub idle_connections: usize,
    pub idle_tls_connections: usize,
    /// The command that produced these results, as its caller reported it.
    pub command: String,
    pub started_utc: String,
    /// /proc/loadavg when the run began: a busy machine shows here.
    pub load_average_before: String,
    pub versions: Versions,
    pub sizes: Sizes,
    /// Exec-to-first-200 samples per server.
    pub startup: Vec<(Contender, Vec<Duration>)>,
    pub idle_rss: Vec<(Contender, u64)>,
    /// Idle connections held, plain and over TLS.
    pub connections: Vec<(Contender, ConnectionFigures)>,
    pub loads: Vec<LoadRecord>,
}

/// Medians over the rounds of one server under one scenario; each figure is the median
/// of its own samples.
pub struct LoadSummary {
    pub requests_per_second: f64,
    /// None when the load generator does not report latency percentiles.
    pub p50_us: Option<f64>,
    pub p99_us: Option<f64>,
    pub server_cpu_us_per_request: f64,
    pub load_generator_busy_percent: f64,
    pub other_load_on_server_cpu_percent: f64,
    pub other_load_on_load_cpu_percent: f64,
    pub bytes_per_response: f64,
    pub access_log_bytes_per_request: f64,
    /// Sum over the rounds.
    pub errors: u64,
}

/// How much other programs used the two CPUs during the load runs, in percent.
pub struct Interference {
    pub server_cpu_median: f64,
    pub server_cpu_worst: f64,
    pub load_cpu_median: f64,
    pub load_cpu_worst: f64,
}

impl Interference {
    /// Above this share of either CPU taken by other programs, requests/s and latencies
    /// say more about the machine than about the servers.
    pub const QUIET_PERCENT: f64 = 10.0;

    pub fn is_quiet(&self) -> bool {
        self.server_cpu_median <= Self::QUIET_PERCENT && self.load_cpu_median <= Self::QUIET_PERCENT
    }
}

impl Results {
    pub fn interference(&self) -> Interference {
        let shares = |figure: fn(&Measurement) -> f64| -> Vec<f64> {
            self.loads
                .iter()
                .map(|record| figure(&record.measurement))
                .collect()
        };
        let server = shares(Measurement::other_load_on_server_cpu_percent);
        let load = shares(Measurement::other_load_on_load_cpu_percent);
        let worst = |values: &[f64]| values.iter().copied().fold(0.0, f64::max);
        Interference {
            server_cpu_worst: worst(&server),
            load_cpu_worst: worst(&load),
            server_cpu_median: median(server),
            load_cpu_median: median(load),
        }
    }

    pub fn load_runs(&self, contender: Contender, scenario_key: &str) -> Vec<&Measurement> {
        self.loads
            .iter()
            .filter(|record| record.contender == contender && record.scenario.key == scenario_key)
            .map(|record| &record.measurement)
            .collect()
    }

    pub fn load_summary(&self, contender: Contender, scenario_key: &str) -> Option<LoadSummary> {
        let runs = self.load_runs(contender, scenario_key);
        if runs.is_empty() {
            return None;
        }
        let median_of =
            |figure: fn(&Measurement) -> f64| median(runs.iter().map(|run| figure(run)).collect());
        let median_if_reported = |figure: fn(&Measurement) -> Option<f64>| {
            let values: Option<Vec<f64>> = runs.iter().map(|run| figure(run)).collect();
            values.map(median)
        };
        Some(LoadSummary {
            requests_per_second: median_of(Measurement::requests_per_second),
            p50_us: median_if_reported(|run| run.p50_us),
            p99_us: median_if_reported(|run| run.p99_us),
            server_cpu_us_per_request: median_of(Measurement::server_cpu_us_per_request),
            load_generator_busy_percent: median_of(Measurement::load_generator_busy_percent),
            other_load_on_server_cpu_percent: median_of(
                Measurement::other_load_on_server_cpu_percent,
            ),
            other_load_on_load_cpu_percent: median_of(Measurement::other_load_on_load_cpu_percent),
            bytes_per_response: median_of(Measurement::bytes_per_response),
            access_log_bytes_per_request: median_of(Measurement::access_log_bytes_per_request),
            errors: runs.iter().map(|run| run.errors.total()).sum(),
        })
    }

    pub fn startup_samples(&self, contender: Contender) -> Option<&[Duration]> {
        self.startup
            .iter()
            .find(|(who, _)| *who == contender)
            .map(|(_, samples)| samples.as_slice())
    }

    /// Median exec to first 200, in milliseconds.
    pub fn startup_median_ms(&self, contender: Contender) -> Option<f64> {
        let samples = self.startup_samples(contender)?;
        Some(median(
            samples
                .iter()
                .map(|sample| sample.as_secs_f64() * 1e3)
                .collect(),
        ))
    }

    pub fn idle_rss(&self, contender: Contender) -> Option<u64> {
        self.idle_rss
            .iter()
            .find(|(who, _)| *who == contender)
            .map(|(_, rss)| *rss)
    }

    pub fn connection_figures(
        &self,
        contender: Contender,
        transport: Transport,
    ) -> Option<&ConnectionFigures> {
        self.connections
            .iter()
            .find(|(who, figures)| *who == contender && figures.transport == transport)
            .map(|(_, figures)| figures)
    }
}

/// The middle value (the mean of the two middle ones for an even count); NaN for none.
pub fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![5.0, 1.0, 3.0]), 3.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(Vec::new()).is_nan());
    }
}
