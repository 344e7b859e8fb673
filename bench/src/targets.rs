//! The performance targets and their verdicts against one run's medians. Our server is
//! judged with its default text access log on; nginx (access log off) is the
//! reference. Every load row has a CPU target: at most nginx's CPU per request (or
//! per handshake).

use crate::load::{self, SCENARIOS};
use crate::results::Results;
use crate::server::{Contender, Transport};
use crate::tls::KeyKind;

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
    pub key: String,
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

/// One target before it is judged.
struct Target {
    key: String,
    description: String,
    unit: &'static str,
    decimals: usize,
    ours: Option<f64>,
    limit: Option<f64>,
    bound: Bound,
}

/// What `-served-by` may add to the CPU per request, as a factor of ours without it.
pub const SERVED_BY_CPU_FACTOR: f64 = 1.03;
/// What RSS may keep, once every idle connection closed, above what it was before.
const RSS_KEPT_AFTER_CLOSE_LIMIT: f64 = MIB;

pub fn evaluate(results: &Results) -> Vec<TargetResult> {
    let quiet = results.interference().is_quiet();
    use Contender::{Nginx, Ours, OursJson, OursServedBy};
    let load = |contender, scenario: &str, figure: fn(&crate::results::LoadSummary) -> f64| {
        results
            .load_summary(contender, scenario)
            .map(|summary| figure(&summary))
    };
    let cpu = |contender, scenario| load(contender, scenario, |s| s.server_cpu_us_per_request);
    let rps = |contender, scenario| load(contender, scenario, |s| s.requests_per_second);
    let held = results.idle_connections;
    let held_tls = results.idle_tls_connections;
    let per_connection = |contender, transport| {
        results
            .connection_figures(contender, transport)
            .map(|figures| figures.rss_per_connection() / KIB)
    };
    let ecdsa = Transport::Tls(KeyKind::Ecdsa);

    let mut targets = Vec::new();
    // The server's CPU per unit of load, with its access log on, on every row.
    for scenario in &SCENARIOS {
        targets.push(Target {
            key: format!("cpu_per_{}_{}", scenario.unit(), scenario.key),
            description: format!(
                "server CPU per {}, {} <= nginx",
                scenario.unit(),
                scenario.label
            ),
            unit: "µs",
            decimals: 2,
            ours: cpu(Ours, scenario.key),
            limit: cpu(Nginx, scenario.key),
            bound: Bound::AtMost,
        });
    }
    for scenario in ["keepalive_50", "keepalive_256", "close_50"] {
        targets.push(Target {
            key: format!("requests_per_second_{scenario}"),
            description: format!("requests/s, {} >= nginx", load::scenario(scenario).label),
            unit: "req/s",
            decimals: 0,
            ours: rps(Ours, scenario),
            limit: rps(Nginx, scenario),
            bound: Bound::AtLeast,
        });
    }
    targets.push(Target {
        key: "p99_keepalive_256".into(),
        description: "p99 latency, keep-alive 256 <= nginx".into(),
        unit: "µs",
        decimals: 0,
        ours: load(Ours, "keepalive_256", |s| s.p99_us.unwrap_or(f64::NAN)),
        limit: load(Nginx, "keepalive_256", |s| s.p99_us.unwrap_or(f64::NAN)),
        bound: Bound::AtMost,
    });
    targets.push(Target {
        key: "cpu_per_request_json_log_keepalive_50".into(),
        description: "server CPU per request, -log-format=json, keep-alive 50 <= 1.15 x nginx"
            .into(),
        unit: "µs",
        decimals: 2,
        ours: cpu(OursJson, "keepalive_50"),
        limit: cpu(Nginx, "keepalive_50").map(|nginx| nginx * 1.15),
        bound: Bound::AtMost,
    });
    targets.push(Target {
        key: "cpu_per_request_served_by_keepalive_50".into(),
        description: format!(
            "server CPU per request, -served-by, keep-alive 50 <= {SERVED_BY_CPU_FACTOR} x ours"
        ),
        unit: "µs",
        decimals: 2,
        ours: cpu(OursServedBy, "keepalive_50"),
        limit: cpu(Ours, "keepalive_50").map(|ours| ours * SERVED_BY_CPU_FACTOR),
        bound: Bound::AtMost,
    });
    targets.push(Target {
        key: "rss_per_idle_connection".into(),
        description: format!("RSS per idle keep-alive connection ({held} held) <= 1 KiB"),
        unit: "KiB",
        decimals: 2,
        ours: per_connection(Ours, Transport::Plain),
        limit: Some(1.0),
        bound: Bound::AtMost,
    });
    targets.push(Target {
        key: "rss_kept_after_idle_connections_close".into(),
        description: format!("RSS once the {held} idle connections closed <= 1 MiB above before"),
        unit: "MiB",
        decimals: 2,
        ours: results
            .connection_figures(Ours, Transport::Plain)
            .map(|figures| figures.rss_kept_after_close() / MIB),
        limit: Some(RSS_KEPT_AFTER_CLOSE_LIMIT / MIB),
        bound: Bound::AtMost,
    });
    targets.push(Target {
        key: "rss_per_idle_tls_connection".into(),
        description: format!("RSS per idle TLS connection ({held_tls} held) <= nginx"),
        unit: "KiB",
        decimals: 2,
        ours: per_connection(Ours, ecdsa),
        limit: per_connection(Nginx, ecdsa),
        bound: Bound::AtMost,
    });
    targets.push(Target {
        key: "idle_rss".into(),
        description: "idle RSS <= 2 MiB".into(),
        unit: "MiB",
        decimals: 2,
        ours: results.idle_rss(Ours).map(|rss| rss as f64 / MIB),
        limit: Some(2.0),
        bound: Bound::AtMost,
    });
    targets.push(Target {
        key: "exec_to_first_200".into(),
        description: "exec to first 200 <= 2 ms".into(),
        unit: "ms",
        decimals: 2,
        ours: results.startup_median_ms(Ours),
        limit: Some(2.0),
        bound: Bound::AtMost,
    });
    targets.push(Target {
        key: "stripped_binary".into(),
        description: "stripped binary <= 2 MiB".into(),
        unit: "MiB",
        decimals: 2,
        ours: Some(results.sizes.ours_stripped as f64 / MIB),
        limit: Some(2.0),
        bound: Bound::AtMost,
    });

    targets
        .into_iter()
        .map(|target| {
            let Target {
                key,
                description,
                unit,
                decimals,
                ours,
                limit,
                bound,
            } = target;
            let ours = ours.filter(|value| value.is_finite());
            let reliable =
                quiet || !(key.starts_with("requests_per_second") || key.starts_with("p99"));
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
                reliable,
            }
        })
        .collect()
}
