//! The performance targets and their verdicts against one run's medians. Our server is
//! judged with its default text access log on; nginx (access log off) is the
//! reference.

use crate::results::Results;
use crate::server::Contender;

const KIB: f64 = 1024.0;
const MIB: f64 = 1024.0 * 1024.0;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    /// A smoke run: too short, on a shared machine, to judge.
    NotJudged,
}

impl Verdict {
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::NotJudged => "-",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::NotJudged => "not_judged",
        }
    }
}

#[derive(Clone, Copy)]
enum Bound {
    AtMost,
    AtLeast,
}

pub struct TargetResult {
    pub key: &'static str,
    pub description: String,
    pub unit: &'static str,
    /// Decimals worth printing in `unit`.
    pub decimals: usize,
    /// Our figure, in `unit`.
    pub ours: Option<f64>,
    /// The limit it is held to, in `unit` (nginx's figure times a factor, or fixed).
    pub limit: Option<f64>,
    pub verdict: Verdict,
    /// False for a throughput or latency verdict taken while other programs competed
    /// for the CPUs: such figures measure the contention more than the server.
    pub reliable: bool,
}

pub fn evaluate(results: &Results) -> Vec<TargetResult> {
    let quiet = results.interference().is_quiet();
    use Contender::{Nginx, Ours, OursJson};
    let load = |contender, scenario: &str, figure: fn(&crate::results::LoadSummary) -> f64| {
        results
            .load_summary(contender, scenario)
            .map(|summary| figure(&summary))
    };
    let cpu = |contender| load(contender, "keepalive_50", |s| s.server_cpu_us_per_request);
    let rps = |contender, scenario| load(contender, scenario, |s| s.requests_per_second);
    let held = results.idle_connections;

    let targets = [
        (
            "cpu_per_request_keepalive_50",
            "server CPU per request, keep-alive 50 <= nginx".to_string(),
            "µs",
            2,
            cpu(Ours),
            cpu(Nginx),
            Bound::AtMost,
        ),
        (
            "requests_per_second_keepalive_50",
            "requests/s, keep-alive 50 >= nginx".to_string(),
            "req/s",
            0,
            rps(Ours, "keepalive_50"),
            rps(Nginx, "keepalive_50"),
            Bound::AtLeast,
        ),
        (
            "requests_per_second_keepalive_256",
            "requests/s, keep-alive 256 >= nginx".to_string(),
            "req/s",
            0,
            rps(Ours, "keepalive_256"),
            rps(Nginx, "keepalive_256"),
            Bound::AtLeast,
        ),
        (
            "requests_per_second_close_50",
            "requests/s, new connection per request 50 >= nginx".to_string(),
            "req/s",
            0,
            rps(Ours, "close_50"),
            rps(Nginx, "close_50"),
            Bound::AtLeast,
        ),
        (
            "p99_keepalive_256",
            "p99 latency, keep-alive 256 <= nginx".to_string(),
            "µs",
            0,
            load(Ours, "keepalive_256", |s| s.p99_us),
            load(Nginx, "keepalive_256", |s| s.p99_us),
            Bound::AtMost,
        ),
        (
            "cpu_per_request_json_log_keepalive_50",
            "server CPU per request, -log-format=json, keep-alive 50 <= 1.15 x nginx".to_string(),
            "µs",
            2,
            cpu(OursJson),
            cpu(Nginx).map(|nginx| nginx * 1.15),
            Bound::AtMost,
        ),
        (
            "rss_per_idle_connection",
            format!("RSS per idle keep-alive connection ({held} held) <= 2 KiB"),
            "KiB",
            2,
            results
                .connection_figures(Ours)
                .map(|figures| figures.rss_per_connection() / KIB),
            Some(2.0),
            Bound::AtMost,
        ),
        (
            "idle_rss",
            "idle RSS <= 2 MiB".to_string(),
            "MiB",
            2,
            results.idle_rss(Ours).map(|rss| rss as f64 / MIB),
            Some(2.0),
            Bound::AtMost,
        ),
        (
            "exec_to_first_200",
            "exec to first 200 <= 2 ms".to_string(),
            "ms",
            2,
            results.startup_median_ms(Ours),
            Some(2.0),
            Bound::AtMost,
        ),
        (
            "stripped_binary",
            "stripped binary <= 2 MiB".to_string(),
            "MiB",
            2,
            Some(results.sizes.ours_stripped as f64 / MIB),
            Some(2.0),
            Bound::AtMost,
        ),
    ];

    targets
        .into_iter()
        .map(|(key, description, unit, decimals, ours, limit, bound)| {
            let verdict = match (results.smoke, ours, limit) {
                (true, _, _) => Verdict::NotJudged,
                (false, Some(ours), Some(limit)) => {
                    let met = match bound {
                        Bound::AtMost => ours <= limit,
                        Bound::AtLeast => ours >= limit,
                    };
                    if met {
                        Verdict::Pass
                    } else {
                        Verdict::Fail
                    }
                }
                // A figure the run could not produce cannot meet its target.
                (false, _, _) => Verdict::Fail,
            };
            TargetResult {
                key,
                description,
                unit,
                decimals,
                ours,
                limit,
                verdict,
                reliable: quiet
                    || !(key.starts_with("requests_per_second") || key.starts_with("p99")),
            }
        })
        .collect()
}
