//! The two outputs of a run: the printed table (medians, ratios to nginx, a verdict
//! per target) and the JSON file with every raw figure behind it.

use std::fmt::Write;

use crate::json::{object, Json};
use crate::load::{Measurement, Tool, SCENARIOS};
use crate::results::{Interference, Results};
use crate::server::{Contender, Transport};
use crate::targets::{TargetResult, Verdict, SERVED_BY_CPU_FACTOR};
use crate::tls::KeyKind;

const KIB: f64 = 1024.0;
const MIB: f64 = 1024.0 * 1024.0;
const LOADED: [Contender; 4] = [
    Contender::Ours,
    Contender::OursJson,
    Contender::OursServedBy,
    Contender::Nginx,
];

fn number(value: Option<f64>, decimals: usize) -> String {
    match value {
        Some(value) if value.is_finite() => format!("{value:.decimals$}"),
        _ => "n/a".to_string(),
    }
}

fn ratio(ours: Option<f64>, nginx: Option<f64>) -> String {
    match (ours, nginx) {
        (Some(ours), Some(nginx)) if nginx > 0.0 => format!("{:.2}", ours / nginx),
        _ => "n/a".to_string(),
    }
}

pub fn table(results: &Results, targets: &[TargetResult]) -> String {
    use Contender::{Nginx, Ours, OursJson, OursServedBy};
    let mut out = String::new();
    let mode = if results.smoke { "smoke run, " } else { "" };
    let _ = writeln!(
        out,
        "http-echo vs nginx ({mode}median of {} round(s) of {} s per load; server on CPU 0, \
         load generator on CPU 1)",
        results.rounds, results.seconds
    );
    let _ = writeln!(out, "command: {}", results.command);
    let versions = &results.versions;
    let _ = writeln!(
        out,
        "{}; {}\nwrk {}; {}; {}",
        versions.ours, versions.nginx, versions.wrk, versions.h2load, versions.openssl
    );
    let _ = writeln!(out);
    let row = |out: &mut String, label: &str, cells: [String; 5]| {
        let _ = writeln!(
            out,
            "  {label:<32}{:>11}{:>11}{:>11}{:>12}{:>12}",
            cells[0], cells[1], cells[2], cells[3], cells[4]
        );
    };
    let _ = writeln!(
        out,
        "  {:<32}{:>11}{:>11}{:>11}{:>12}{:>12}",
        "", "ours", "ours-json", "nginx", "ours/nginx", "json/nginx"
    );

    type Figure = fn(&crate::results::LoadSummary) -> Option<f64>;
    let figures: [(&str, Figure, usize); 5] = [
        ("{unit}s/s", |s| Some(s.requests_per_second), 0),
        ("latency p50 (µs)", |s| s.p50_us, 0),
        ("latency p99 (µs)", |s| s.p99_us, 0),
        (
            "server CPU per {unit} (µs)",
            |s| Some(s.server_cpu_us_per_request),
            2,
        ),
        (
            "load generator CPU (%)",
            |s| Some(s.load_generator_busy_percent),
            0,
        ),
    ];
    for scenario in &SCENARIOS {
        let tool = match scenario.tool {
            Tool::Wrk { .. } => "wrk",
            Tool::H2load { .. } => "h2load",
            Tool::Handshakes => "openssl s_time",
        };
        let _ = writeln!(out, "{} [{tool}]", scenario.label);
        for (label, figure, decimals) in figures {
            let value = |contender| {
                if !scenario.contenders.contains(&contender) {
                    return None;
                }
                results
                    .load_summary(contender, scenario.key)
                    .and_then(|summary| figure(&summary))
            };
            let (ours, json, nginx) = (value(Ours), value(OursJson), value(Nginx));
            let json_measured = scenario.contenders.contains(&OursJson);
            let or_dash = |cell: String| if json_measured { cell } else { "-".to_string() };
            row(
                &mut out,
                &label.replace("{unit}", scenario.unit()),
                [
                    number(ours, decimals),
                    or_dash(number(json, decimals)),
                    number(nginx, decimals),
                    ratio(ours, nginx),
                    or_dash(ratio(json, nginx)),
                ],
            );
        }
    }

    let _ = writeln!(out, "memory, start-up and size");
    let dash = || "-".to_string();
    let memory_row =
        |out: &mut String, label: &str, ours: Option<f64>, nginx: Option<f64>, decimals| {
            row(
                out,
                label,
                [
                    number(ours, decimals),
                    dash(),
                    number(nginx, decimals),
                    ratio(ours, nginx),
                    dash(),
                ],
            );
        };
    memory_row(
        &mut out,
        "idle RSS (MiB)",
        results.idle_rss(Ours).map(|rss| rss as f64 / MIB),
        results.idle_rss(Nginx).map(|rss| rss as f64 / MIB),
        2,
    );
    let per_connection = |contender, transport| {
        results
            .connection_figures(contender, transport)
            .map(|figures| figures.rss_per_connection() / KIB)
    };
    memory_row(
        &mut out,
        &format!("RSS per idle conn. (KiB, {})", results.idle_connections),
        per_connection(Ours, Transport::Plain),
        per_connection(Nginx, Transport::Plain),
        2,
    );
    let kept_after_close = |contender| {
        results
            .connection_figures(contender, Transport::Plain)
            .map(|figures| figures.rss_kept_after_close() / MIB)
    };
    memory_row(
        &mut out,
        "  RSS kept once closed (MiB)",
        kept_after_close(Ours),
        kept_after_close(Nginx),
        2,
    );
    let ecdsa = Transport::Tls(KeyKind::Ecdsa);
    memory_row(
        &mut out,
        &format!(
            "RSS per idle TLS conn. (KiB, {})",
            results.idle_tls_connections
        ),
        per_connection(Ours, ecdsa),
        per_connection(Nginx, ecdsa),
        2,
    );
    memory_row(
        &mut out,
        &format!("exec to first 200 (ms, n={})", results.startups),
        results.startup_median_ms(Ours),
        results.startup_median_ms(Nginx),
        2,
    );
    memory_row(
        &mut out,
        "stripped binary (MiB)",
        Some(results.sizes.ours_stripped as f64 / MIB),
        Some(results.sizes.nginx_stripped as f64 / MIB),
        2,
    );
    row(
        &mut out,
        &format!("image {} (MiB)", results.sizes.image_tag),
        [
            number(results.sizes.image.map(|bytes| bytes as f64 / MIB), 2),
            dash(),
            dash(),
            dash(),
            dash(),
        ],
    );

    let _ = writeln!(out);
    let log_bytes = |contender| {
        results
            .load_summary(contender, "keepalive_50")
            .map(|summary| summary.access_log_bytes_per_request)
    };
    let _ = writeln!(
        out,
        "access log written per request (keep-alive 50): ours {} B (text), ours-json {} B; nginx off",
        number(log_bytes(Ours), 0),
        number(log_bytes(OursJson), 0)
    );
    let served_by_cpu = |contender| {
        results
            .load_summary(contender, "keepalive_50")
            .map(|summary| summary.server_cpu_us_per_request)
    };
    if let (Some(served_by), Some(ours)) = (served_by_cpu(OursServedBy), served_by_cpu(Ours)) {
        let _ = writeln!(
            out,
            "-served-by (keep-alive 50): {served_by:.2} µs CPU per request against {ours:.2} µs \
             without, {:+.1} % (at most {:+.0} %)",
            100.0 * (served_by / ours - 1.0),
            100.0 * (SERVED_BY_CPU_FACTOR - 1.0)
        );
    }
    let interference = results.interference();
    let _ = writeln!(
        out,
        "other programs' load during load runs: CPU 0 median {:.0} % (worst {:.0} %), \
         CPU 1 median {:.0} % (worst {:.0} %); load average before: {}",
        interference.server_cpu_median,
        interference.server_cpu_worst,
        interference.load_cpu_median,
        interference.load_cpu_worst,
        results.load_average_before
    );
    if !interference.is_quiet() {
        let _ = writeln!(
            out,
            "WARNING: the machine was shared (other programs took over {:.0} % of a CPU): \
             requests/s and latencies reflect that contention; CPU per request is the \
             sturdiest figure. Rerun on a quiet machine to judge throughput.",
            Interference::QUIET_PERCENT
        );
    }
    let errors: Vec<String> = results
        .loads
        .iter()
        .filter(|record| record.measurement.errors.total() > 0)
        .map(|record| {
            let e = record.measurement.errors;
            format!(
                "{} {} round {}: connect {} read {} write {} status {} timeout {}",
                record.contender.label(),
                record.scenario.key,
                record.round,
                e.connect,
                e.read,
                e.write,
                e.status,
                e.timeout
            )
        })
        .collect();
    if errors.is_empty() {
        let _ = writeln!(out, "load generator errors: none");
    } else {
        let _ = writeln!(out, "load generator errors:\n  {}", errors.join("\n  "));
    }

    let _ = writeln!(out);
    if results.smoke {
        let _ = writeln!(out, "performance targets: not judged in a smoke run");
    } else {
        let _ = writeln!(
            out,
            "performance targets, ours with its text access log on:"
        );
    }
    for target in targets {
        let mark = if target.reliable { "" } else { "*" };
        let _ = writeln!(
            out,
            "  {:<5} {:<90} {:>9} {:<5} (limit {})",
            format!("{}{mark}", target.verdict.word()),
            target.description,
            number(target.ours, target.decimals),
            target.unit,
            number(target.limit, target.decimals)
        );
    }
    if targets
        .iter()
        .any(|target| !target.reliable && target.verdict != Verdict::NotJudged)
    {
        let _ = writeln!(
            out,
            "  * judged on a shared machine: throughput and latency verdicts are not to be \
             trusted; rerun on a quiet one"
        );
    }
    if !results.smoke {
        let failed = targets
            .iter()
            .filter(|t| t.verdict == Verdict::Fail)
            .count();
        let _ = writeln!(
            out,
            "{} of {} targets met",
            targets.len() - failed,
            targets.len()
        );
    }
    out
}

fn measurement_json(round: u32, run: &Measurement) -> Json {
    object([
        ("round", round.into()),
        ("requests", run.requests.into()),
        ("duration_s", run.duration.as_secs_f64().into()),
        ("requests_per_second", run.requests_per_second().into()),
        ("p50_us", run.p50_us.into()),
        ("p99_us", run.p99_us.into()),
        ("server_cpu_ticks", run.server_cpu_ticks.into()),
        ("clock_ticks_per_second", run.ticks_per_second.into()),
        (
            "server_cpu_us_per_request",
            run.server_cpu_us_per_request().into(),
        ),
        (
            "server_cpu_interrupt_us_per_request",
            run.server_cpu_interrupt_us_per_request().into(),
        ),
        (
            "load_generator_cpu_s",
            run.load_generator_cpu.as_secs_f64().into(),
        ),
        (
            "load_generator_busy_percent",
            run.load_generator_busy_percent().into(),
        ),
        (
            "other_load_on_server_cpu_percent",
            run.other_load_on_server_cpu_percent().into(),
        ),
        (
            "other_load_on_load_cpu_percent",
            run.other_load_on_load_cpu_percent().into(),
        ),
        ("bytes_per_response", run.bytes_per_response().into()),
        (
            "access_log_bytes_per_request",
            run.access_log_bytes_per_request().into(),
        ),
        (
            "errors",
            object([
                ("connect", run.errors.connect.into()),
                ("read", run.errors.read.into()),
                ("write", run.errors.write.into()),
                ("status", run.errors.status.into()),
                ("timeout", run.errors.timeout.into()),
            ]),
        ),
    ])
}

fn server_json(results: &Results, contender: Contender) -> Json {
    let mut fields: Vec<(String, Json)> = Vec::new();
    let mut scenarios = Vec::new();
    for scenario in &SCENARIOS {
        let Some(summary) = results.load_summary(contender, scenario.key) else {
            continue;
        };
        let runs: Vec<Json> = results
            .loads
            .iter()
            .filter(|r| r.contender == contender && r.scenario.key == scenario.key)
            .map(|r| measurement_json(r.round, &r.measurement))
            .collect();
        let median = object([
            ("requests_per_second", summary.requests_per_second.into()),
            ("p50_us", summary.p50_us.into()),
            ("p99_us", summary.p99_us.into()),
            (
                "server_cpu_us_per_request",
                summary.server_cpu_us_per_request.into(),
            ),
            (
                "load_generator_busy_percent",
                summary.load_generator_busy_percent.into(),
            ),
            (
                "other_load_on_server_cpu_percent",
                summary.other_load_on_server_cpu_percent.into(),
            ),
            (
                "other_load_on_load_cpu_percent",
                summary.other_load_on_load_cpu_percent.into(),
            ),
            ("bytes_per_response", summary.bytes_per_response.into()),
            (
                "access_log_bytes_per_request",
                summary.access_log_bytes_per_request.into(),
            ),
            ("errors_total", summary.errors.into()),
        ]);
        scenarios.push((
            scenario.key.to_string(),
            object([
                ("description", scenario.label.into()),
                ("transport", scenario.transport.key().into()),
                ("load_generator", tool_json(scenario.tool)),
                ("connections", scenario.connections.into()),
                ("unit", scenario.unit().into()),
                ("median", median),
                ("rounds", Json::Array(runs)),
            ]),
        ));
    }
    fields.push(("load".to_string(), Json::Object(scenarios)));
    if let Some(rss) = results.idle_rss(contender) {
        fields.push(("idle_rss_bytes".to_string(), rss.into()));
    }
    for (name, transport) in [
        ("idle_connections", Transport::Plain),
        ("idle_tls_connections", Transport::Tls(KeyKind::Ecdsa)),
    ] {
        let Some(figures) = results.connection_figures(contender, transport) else {
            continue;
        };
        fields.push((
            name.to_string(),
            object([
                ("transport", transport.key().into()),
                ("held", figures.requested.into()),
                ("still_open_after_reading", figures.still_open.into()),
                ("rss_before_bytes", figures.rss_before.into()),
                ("rss_holding_bytes", figures.rss_holding.into()),
                (
                    "rss_per_connection_bytes",
                    figures.rss_per_connection().into(),
                ),
                ("rss_after_close_bytes", figures.rss_after_close.into()),
            ]),
        ));
    }
    if let Some(samples) = results.startup_samples(contender) {
        let millis: Vec<f64> = samples.iter().map(|s| s.as_secs_f64() * 1e3).collect();
        fields.push((
            "exec_to_first_200_ms".to_string(),
            object([
                ("median", results.startup_median_ms(contender).into()),
                ("samples", millis.into()),
            ]),
        ));
    }
    match contender {
        Contender::Ours => {
            fields.push((
                "stripped_binary_bytes".to_string(),
                results.sizes.ours_stripped.into(),
            ));
            fields.push((
                "image_tag".to_string(),
                results.sizes.image_tag.as_str().into(),
            ));
            fields.push(("image_bytes".to_string(), results.sizes.image.into()));
        }
        Contender::Nginx => {
            fields.push((
                "stripped_binary_bytes".to_string(),
                results.sizes.nginx_stripped.into(),
            ));
        }
        Contender::OursJson | Contender::OursServedBy => {}
    }
    Json::Object(fields)
}

fn tool_json(tool: Tool) -> Json {
    match tool {
        Tool::Wrk { close_each } => object([
            ("name", "wrk".into()),
            ("new_connection_per_request", close_each.into()),
        ]),
        Tool::H2load { streams } => object([
            ("name", "h2load".into()),
            ("streams_per_connection", streams.into()),
        ]),
        Tool::Handshakes => object([
            ("name", "openssl s_time".into()),
            ("new_connection_per_request", true.into()),
        ]),
    }
}

pub fn json(results: &Results, targets: &[TargetResult]) -> Json {
    let interference = results.interference();
    let servers: Vec<(String, Json)> = LOADED
        .iter()
        .map(|&contender| (contender.key().to_string(), server_json(results, contender)))
        .collect();
    let targets: Vec<Json> = targets
        .iter()
        .map(|target| {
            object([
                ("key", target.key.as_str().into()),
                ("description", target.description.as_str().into()),
                ("unit", target.unit.into()),
                ("ours", target.ours.into()),
                ("limit", target.limit.into()),
                ("verdict", target.verdict.key().into()),
                ("reliable", target.reliable.into()),
            ])
        })
        .collect();
    object([
        ("schema", 2u32.into()),
        ("mode", if results.smoke { "smoke" } else { "full" }.into()),
        ("command", results.command.as_str().into()),
        ("started_utc", results.started_utc.as_str().into()),
        (
            "settings",
            object([
                ("rounds", results.rounds.into()),
                ("seconds_per_load", results.seconds.into()),
                ("startups", results.startups.into()),
                ("idle_connections", results.idle_connections.into()),
                ("idle_tls_connections", results.idle_tls_connections.into()),
                ("server_cpu", 0u32.into()),
                ("load_generator_cpu", 1u32.into()),
                (
                    "load_average_before",
                    results.load_average_before.as_str().into(),
                ),
            ]),
        ),
        (
            "other_programs_load_percent",
            object([
                ("server_cpu_median", interference.server_cpu_median.into()),
                ("server_cpu_worst", interference.server_cpu_worst.into()),
                ("load_cpu_median", interference.load_cpu_median.into()),
                ("load_cpu_worst", interference.load_cpu_worst.into()),
                ("quiet", interference.is_quiet().into()),
            ]),
        ),
        (
            "versions",
            object([
                ("ours", results.versions.ours.as_str().into()),
                ("nginx", results.versions.nginx.as_str().into()),
                ("wrk", results.versions.wrk.as_str().into()),
                ("h2load", results.versions.h2load.as_str().into()),
                ("openssl", results.versions.openssl.as_str().into()),
            ]),
        ),
        ("servers", Json::Object(servers)),
        ("targets", Json::Array(targets)),
    ])
}
