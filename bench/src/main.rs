//! http-echo-bench: measures our server against nginx on this machine, the server
//! pinned to one CPU and the load generator (and this harness) to the other, and
//! reports medians, ratios to nginx and a verdict per performance target.
//!
//! The phases run in this order so that each starts from a quiet machine: sizes;
//! exec to first 200 (servers started alternately); memory (idle RSS, then idle
//! connections held, plain and over TLS); load (every server running, rounds
//! interleaved: each scenario runs its servers in turn, starting with a different
//! one each round, then the next scenario, and so on per round).
//!
//! Exit codes: 0 the run completed (whatever the verdicts), 1 it could not measure,
//! 2 bad arguments.

mod config;
mod generators;
mod http;
mod idle_connections;
mod json;
mod load;
mod memory;
mod nginx_conf;
mod procfs;
mod report;
mod results;
mod server;
mod sizes;
mod sys;
mod targets;
mod tls;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{SystemTime, UNIX_EPOCH};

use config::{ArgsError, Config, USAGE};
use generators::Generators;
use load::SCENARIOS;
use results::{LoadRecord, Results, Sizes, Versions};
use server::{Contender, RunningServer, Setup, Transport};
use tls::KeyKind;

pub type Result<T> = std::result::Result<T, String>;

/// The server under test runs here...
const SERVER_CPU: usize = 0;
/// ...and the load generators, the idle-connection holder and this harness here.
const LOAD_CPU: usize = 1;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match Config::from_args(&args) {
        Ok(config) => config,
        Err(ArgsError::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(ArgsError::Invalid(message)) => {
            eprintln!("http-echo-bench: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("http-echo-bench: {message}");
            ExitCode::from(1)
        }
    }
}

fn progress(message: &str) {
    eprintln!("==> {message}");
}

fn run(config: &Config) -> Result<()> {
    let started_utc = utc_now();
    let load_average_before = fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();

    let cpus = sys::allowed_cpus().map_err(|e| format!("reading CPU affinity: {e}"))?;
    if !cpus.contains(&SERVER_CPU) || !cpus.contains(&LOAD_CPU) {
        return Err(format!(
            "refusing to measure: the server needs CPU {SERVER_CPU} and the load generator \
             CPU {LOAD_CPU} to itself, but this process may only use CPU(s) {cpus:?}. With \
             one CPU the two would compete and every figure would be meaningless."
        ));
    }
    // The holder's sockets, plus wrk's, plus slack; servers inherit the raised limit.
    sys::raise_open_file_limit(config.idle_connections as u64 + 1024)?;
    sys::pin_this_process(LOAD_CPU).map_err(|e| format!("pinning to CPU {LOAD_CPU}: {e}"))?;

    if !server::is_executable(&config.server_binary) {
        return Err(format!(
            "no server binary at {} (build it with `cargo build --release`)",
            config.server_binary.display()
        ));
    }
    let nginx_binary = find_tool(config.nginx_binary.as_deref(), "nginx", "nginx")?;
    let wrk_binary = find_tool(config.wrk_binary.as_deref(), "wrk", "wrk")?;
    let h2load_binary = find_tool(config.h2load_binary.as_deref(), "h2load", "nghttp2-client")?;
    let openssl_binary = find_tool(config.openssl_binary.as_deref(), "openssl", "openssl")?;

    // Only this run's scratch files live here; clear what an earlier run left.
    let _ = fs::remove_dir_all(&config.work_dir);
    fs::create_dir_all(&config.work_dir)
        .map_err(|e| format!("creating {}: {e}", config.work_dir.display()))?;
    let work_dir = fs::canonicalize(&config.work_dir)
        .map_err(|e| format!("resolving {}: {e}", config.work_dir.display()))?;
    let certificates = KeyKind::ALL
        .into_iter()
        .map(|kind| {
            tls::make_certificate(&openssl_binary, kind, &work_dir).map(|files| (kind, files))
        })
        .collect::<Result<Vec<_>>>()?;
    let setup = Setup {
        server_binary: fs::canonicalize(&config.server_binary)
            .map_err(|e| format!("resolving {}: {e}", config.server_binary.display()))?,
        nginx_binary: nginx_binary.clone(),
        certificates,
        tls_client: tls::client_config(),
        work_dir: work_dir.clone(),
        server_cpu: SERVER_CPU,
    };

    let versions = Versions {
        ours: first_line_of(&setup.server_binary, &["-version"]),
        nginx: first_line_of(&nginx_binary, &["-v"]),
        wrk: first_line_of(&wrk_binary, &["-v"])
            .split(" Copyright")
            .next()
            .unwrap_or_default()
            .to_string(),
        h2load: first_line_of(&h2load_binary, &["--version"]),
        openssl: first_line_of(&openssl_binary, &["version"]),
    };

    progress("sizes");
    let sizes = Sizes {
        ours_stripped: sizes::stripped_size(&setup.server_binary, &work_dir)?,
        nginx_stripped: sizes::stripped_size(&nginx_binary, &work_dir)?,
        image_tag: config.image_tag.clone(),
        image: sizes::image_size(&config.image_tag),
    };

    progress(&format!(
        "exec to first 200: {} starts per server, alternating",
        config.startups
    ));
    let mut startup = vec![
        (Contender::Ours, Vec::new()),
        (Contender::Nginx, Vec::new()),
    ];
    for _ in 0..config.startups {
        for (contender, samples) in startup.iter_mut() {
            let mut server = RunningServer::spawn(&setup, *contender, Transport::Plain, None)?;
            samples.push(server.wait_ready()?);
            server.stop()?;
        }
    }

    progress("idle RSS");
    let idle_rss = [Contender::Ours, Contender::Nginx]
        .into_iter()
        .map(|contender| memory::idle_rss(&setup, contender).map(|rss| (contender, rss)))
        .collect::<Result<Vec<_>>>()?;

    let mut connections = Vec::new();
    for (transport, count) in [
        (Transport::Plain, config.idle_connections),
        (Transport::Tls(KeyKind::Ecdsa), config.idle_tls_connections),
    ] {
        progress(&format!(
            "RSS per connection: {count} idle keep-alive connections ({})",
            transport.key()
        ));
        for contender in [Contender::Ours, Contender::Nginx] {
            let figures = memory::per_idle_connection(&setup, contender, transport, count)?;
            connections.push((contender, figures));
        }
    }

    let generators = Generators::new(wrk_binary, h2load_binary, openssl_binary, &work_dir)?;
    let loads = run_load(config, &setup, &generators)?;

    let results = Results {
        smoke: config.smoke,
        rounds: config.rounds,
        seconds: config.seconds,
        startups: config.startups,
        idle_connections: config.idle_connections,
        idle_tls_connections: config.idle_tls_connections,
        command: std::env::var("BENCH_COMMAND").unwrap_or_else(|_| "http-echo-bench".into()),
        started_utc,
        load_average_before,
        versions,
        sizes,
        startup,
        idle_rss,
        connections,
        loads,
    };
    let targets = targets::evaluate(&results);
    let table = report::table(&results, &targets);
    print!("{table}");

    let output = &config.output;
    if let Some(parent) = output
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    fs::write(output, report::json(&results, &targets).render())
        .map_err(|e| format!("writing {}: {e}", output.display()))?;
    let table_path = output.with_extension("txt");
    fs::write(&table_path, &table).map_err(|e| format!("writing {}: {e}", table_path.display()))?;
    progress(&format!(
        "wrote {} and {}",
        output.display(),
        table_path.display()
    ));
    let _ = fs::remove_dir_all(&work_dir);
    Ok(())
}

/// The load phase: every server running at once (each idle while another is loaded),
/// rounds interleaved so that drift in the machine's state hits all of them alike.
fn run_load(config: &Config, setup: &Setup, generators: &Generators) -> Result<Vec<LoadRecord>> {
    let cpus = (SERVER_CPU, LOAD_CPU);
    // One server per contender and transport that some scenario measures.
    let mut servers: Vec<RunningServer> = Vec::new();
    for scenario in &SCENARIOS {
        for &contender in scenario.contenders {
            let started = servers
                .iter()
                .any(|s| s.contender == contender && s.transport == scenario.transport);
            if !started {
                servers.push(server::start_ready(
                    setup,
                    contender,
                    scenario.transport,
                    None,
                )?);
            }
        }
    }
    let index = |servers: &[RunningServer], contender, transport| {
        servers
            .iter()
            .position(|s| s.contender == contender && s.transport == transport)
            .expect("a server was started for every contender and transport")
    };

    if config.warmup_seconds > 0 {
        progress(&format!(
            "warm-up: {} s per server of the first load it will get",
            config.warmup_seconds
        ));
        for server in servers.iter_mut() {
            let first = SCENARIOS
                .iter()
                .find(|s| {
                    s.transport == server.transport && s.contenders.contains(&server.contender)
                })
                .expect("every server serves some scenario");
            load::measure(generators, cpus, server, first, config.warmup_seconds)?;
        }
    }

    let mut records = Vec::new();
    for round in 1..=config.rounds {
        for scenario in &SCENARIOS {
            // Each round starts the scenario with the next server, so that no
            // server always runs first, or last after a long run of load.
            let count = scenario.contenders.len();
            let order = (0..count).map(|i| scenario.contenders[(i + round as usize - 1) % count]);
            for contender in order {
                let at = index(&servers, contender, scenario.transport);
                let server = &mut servers[at];
                let measurement =
                    load::measure(generators, cpus, server, scenario, config.seconds)?;
                progress(&format!(
                    "round {round}/{}  {:<52} {:<14} {:>8.0} {}s/s  {:>6.2} µs CPU/{}",
                    config.rounds,
                    scenario.label,
                    contender.label(),
                    measurement.requests_per_second(),
                    scenario.unit(),
                    measurement.server_cpu_us_per_request(),
                    scenario.unit(),
                ));
                records.push(LoadRecord {
                    contender,
                    scenario,
                    round,
                    measurement,
                });
            }
        }
    }
    for server in servers {
        server.stop()?;
    }
    Ok(records)
}

/// `given` if set, else `name` on PATH or in the sbin directories root's PATH may lack.
/// `package` is the Debian package that has it.
fn find_tool(given: Option<&Path>, name: &str, package: &str) -> Result<PathBuf> {
    if let Some(path) = given {
        return if server::is_executable(path) {
            Ok(path.to_path_buf())
        } else {
            Err(format!("{} is not an executable file", path.display()))
        };
    }
    let path_dirs = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path_dirs)
        .chain(["/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| server::is_executable(candidate))
        .ok_or_else(|| {
            format!("{name} is not installed (scripts/bench installs it from Debian: apt-get install {package})")
        })
}

/// The first line a tool prints (on stdout or, like nginx -v, stderr), for the record.
fn first_line_of(binary: &Path, args: &[&str]) -> String {
    Command::new(binary)
        .args(args)
        .output()
        .map(|output| {
            let text = if output.stdout.is_empty() {
                output.stderr
            } else {
                output.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or_default()
                .trim()
                .to_string()
        })
        .unwrap_or_else(|e| format!("unknown ({e})"))
}

/// The current time as an ISO 8601 UTC timestamp, without a date library: days since
/// the epoch to a civil date (Howard Hinnant's algorithm).
fn utc_now() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (seconds / 86_400) as i64;
    let second_of_day = seconds % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}
