//! One load run: a load generator (on the load CPU, where the harness itself is
//! pinned) against a running server for a fixed time, with the server's CPU time read
//! from /proc around it. `generators` knows how each generator is started and read.

use std::process::Stdio;
use std::thread;
use std::time::{Duration, Instant};

use crate::generators::{self, Generators};
use crate::server::{Contender, RunningServer, Transport};
use crate::tls::KeyKind;
use crate::{procfs, sys, Result};

/// How a scenario makes its load.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Tool {
    /// wrk: HTTP/1.1; with `close_each`, a new connection for every request
    /// (`Connection: close`) instead of keep-alive.
    Wrk { close_each: bool },
    /// h2load: HTTP/2, `streams` requests in flight on each connection.
    H2load { streams: u32 },
    /// `openssl s_time`: a new TLS connection with a full handshake for every
    /// request; `connections` processes, each making one connection at a time.
    Handshakes,
}

/// One kind of load, as the report lists them.
pub struct Scenario {
    /// The name in the JSON results.
    pub key: &'static str,
    /// The heading in the printed table.
    pub label: &'static str,
    /// Connections open at once.
    pub connections: u32,
    pub tool: Tool,
    pub transport: Transport,
    /// The servers measured under it, in the order each round runs them.
    pub contenders: &'static [Contender],
}

impl Scenario {
    /// What one unit of the load is: a request, or a connection with its handshake.
    pub fn unit(&self) -> &'static str {
        match self.tool {
            Tool::Handshakes => "handshake",
            _ => "request",
        }
    }
}

const PLAIN: &[Contender] = &[Contender::Ours, Contender::Nginx, Contender::OursJson];
/// keep-alive 50 also measures what `-served-by` costs.
const PLAIN_AND_SERVED_BY: &[Contender] = &[
    Contender::Ours,
    Contender::Nginx,
    Contender::OursJson,
    Contender::OursServedBy,
];
/// Over TLS: ours as shipped against nginx.
const ENCRYPTED: &[Contender] = &[Contender::Ours, Contender::Nginx];
const ECDSA: Transport = Transport::Tls(KeyKind::Ecdsa);

pub const SCENARIOS: [Scenario; 9] = [
    Scenario {
        key: "keepalive_1",
        label: "keep-alive, 1 connection",
        connections: 1,
        tool: Tool::Wrk { close_each: false },
        transport: Transport::Plain,
        contenders: PLAIN,
    },
    Scenario {
        key: "keepalive_50",
        label: "keep-alive, 50 connections",
        connections: 50,
        tool: Tool::Wrk { close_each: false },
        transport: Transport::Plain,
        contenders: PLAIN_AND_SERVED_BY,
    },
    Scenario {
        key: "keepalive_256",
        label: "keep-alive, 256 connections",
        connections: 256,
        tool: Tool::Wrk { close_each: false },
        transport: Transport::Plain,
        contenders: PLAIN,
    },
    Scenario {
        key: "close_50",
        label: "new connection per request, 50 at once",
        connections: 50,
        tool: Tool::Wrk { close_each: true },
        transport: Transport::Plain,
        contenders: PLAIN,
    },
    Scenario {
        key: "https_keepalive_50",
        label: "HTTPS (HTTP/1.1, ECDSA), keep-alive, 50 connections",
        connections: 50,
        tool: Tool::Wrk { close_each: false },
        transport: ECDSA,
        contenders: ENCRYPTED,
    },
    Scenario {
        key: "h2_50x1",
        label: "HTTP/2 (ECDSA), 50 connections x 1 stream",
        connections: 50,
        tool: Tool::H2load { streams: 1 },
        transport: ECDSA,
        contenders: ENCRYPTED,
    },
    Scenario {
        key: "h2_50x10",
        label: "HTTP/2 (ECDSA), 50 connections x 10 streams",
        connections: 50,
        tool: Tool::H2load { streams: 10 },
        transport: ECDSA,
        contenders: ENCRYPTED,
    },
    Scenario {
        key: "handshake_ecdsa",
        label: "full TLS handshake per request, ECDSA P-256, 8 at once",
        connections: 8,
        tool: Tool::Handshakes,
        transport: ECDSA,
        contenders: ENCRYPTED,
    },
    Scenario {
        key: "handshake_rsa",
        label: "full TLS handshake per request, RSA-2048, 8 at once",
        connections: 8,
        tool: Tool::Handshakes,
        transport: Transport::Tls(KeyKind::Rsa),
        contenders: ENCRYPTED,
    },
];

pub fn scenario(key: &str) -> &'static Scenario {
    SCENARIOS
        .iter()
        .find(|scenario| scenario.key == key)
        .expect("a known scenario key")
}

/// The load generator's socket and HTTP error counters for one run.
#[derive(Clone, Copy, Default)]
pub struct Errors {
    pub connect: u64,
    pub read: u64,
    pub write: u64,
    /// Responses with a status above 399.
    pub status: u64,
    pub timeout: u64,
}

impl Errors {
    pub fn total(&self) -> u64 {
        self.connect + self.read + self.write + self.status + self.timeout
    }
}

/// What one load run measured.
#[derive(Clone, Copy)]
pub struct Measurement {
    pub requests: u64,
    pub duration: Duration,
    pub bytes: u64,
    /// Latency percentiles, where the load generator reports them (wrk does).
    pub p50_us: Option<f64>,
    pub p99_us: Option<f64>,
    pub errors: Errors,
    /// utime + stime of the server's processes during the run, in clock ticks.
    pub server_cpu_ticks: u64,
    pub ticks_per_second: u64,
    /// CPU time the load generator used: near the run's duration means it, not the
    /// server, set the pace.
    pub load_generator_cpu: Duration,
    /// Busy ticks of the server CPU not spent by the server: other programs
    /// competing with it on a shared machine.
    pub other_server_cpu_ticks: u64,
    /// Interrupt and softirq ticks on the server CPU: mostly the kernel delivering the
    /// server's responses over loopback, which /proc may not charge to the server.
    pub server_cpu_interrupt_ticks: u64,
    pub server_cpu_total_ticks: u64,
    /// Busy ticks of the load CPU not spent by the load generator (this harness
    /// mostly sleeps).
    pub other_load_cpu_ticks: u64,
    pub load_cpu_total_ticks: u64,
    /// Bytes the server wrote to its access log.
    pub access_log_bytes: u64,
}

impl Measurement {
    pub fn requests_per_second(&self) -> f64 {
        self.requests as f64 / self.duration.as_secs_f64()
    }

    pub fn server_cpu_us_per_request(&self) -> f64 {
        let micros = self.server_cpu_ticks as f64 * 1e6 / self.ticks_per_second as f64;
        micros / self.requests as f64
    }

    /// Interrupt and softirq time on the server CPU per request, in microseconds.
    pub fn server_cpu_interrupt_us_per_request(&self) -> f64 {
        let micros = self.server_cpu_interrupt_ticks as f64 * 1e6 / self.ticks_per_second as f64;
        micros / self.requests as f64
    }

    pub fn bytes_per_response(&self) -> f64 {
        self.bytes as f64 / self.requests as f64
    }

    pub fn access_log_bytes_per_request(&self) -> f64 {
        self.access_log_bytes as f64 / self.requests as f64
    }

    /// Share of its one core that the load generator kept busy, in percent.
    pub fn load_generator_busy_percent(&self) -> f64 {
        100.0 * self.load_generator_cpu.as_secs_f64() / self.duration.as_secs_f64()
    }

    /// Share of the server CPU that other programs used during the run, in percent.
    pub fn other_load_on_server_cpu_percent(&self) -> f64 {
        percent(self.other_server_cpu_ticks, self.server_cpu_total_ticks)
    }

    /// Share of the load CPU that other programs used during the run, in percent.
    pub fn other_load_on_load_cpu_percent(&self) -> f64 {
        percent(self.other_load_cpu_ticks, self.load_cpu_total_ticks)
    }
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

/// Loads `server` with `scenario` for `seconds`, and measures it. Fails when the
/// server dies, the load generator fails or overruns its time, or no request
/// completed.
pub fn measure(
    generators: &Generators,
    cpus: (usize, usize),
    server: &mut RunningServer,
    scenario: &Scenario,
    seconds: u64,
) -> Result<Measurement> {
    let (server_cpu, load_cpu) = cpus;
    let name = generators.name(scenario.tool);
    server.check_alive()?;
    server.truncate_access_log()?;
    let pids = server.pids();
    let ticks_per_second = sys::clock_ticks_per_second();

    let server_ticks_before = procfs::cpu_ticks(&pids);
    let cpu_before = procfs::cpu_times(server_cpu);
    let load_cpu_before = procfs::cpu_times(load_cpu);
    let children_cpu_before = sys::reaped_children_cpu_time();
    let started = Instant::now();
    let mut children = Vec::new();
    for mut command in generators.commands(scenario, server.port, seconds) {
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("starting {name}: {e}"))?;
        children.push(child);
    }
    // The generator stops itself after `seconds`; the margin covers its start and
    // its connection timeouts, after which it is killed.
    let deadline = started + Duration::from_secs(seconds + 30);
    let mut outputs = Vec::new();
    let mut failures = Vec::new();
    for mut child in children {
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
                Ok(None) => {
                    let _ = child.kill();
                    failures.push(format!("{name} ran past its {seconds} s and was killed"));
                    break;
                }
                Err(e) => return Err(format!("waiting for {name}: {e}")),
            }
        }
        let output = child
            .wait_with_output()
            .map_err(|e| format!("reading {name}'s output: {e}"))?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        if !output.status.success() {
            failures.push(format!(
                "{name} failed ({}): {}{}",
                output.status,
                tail(&stdout),
                tail(&String::from_utf8_lossy(&output.stderr))
            ));
        }
        outputs.push(stdout);
    }
    let elapsed = started.elapsed();
    let load_generator_cpu = sys::reaped_children_cpu_time() - children_cpu_before;
    // Work the server finishes after the last response (flushing its log) belongs
    // to this run: give it a moment before reading its CPU time.
    thread::sleep(Duration::from_millis(100));
    let server_ticks = procfs::cpu_ticks(&pids) - server_ticks_before;
    let cpu_after = procfs::cpu_times(server_cpu);
    let load_cpu_after = procfs::cpu_times(load_cpu);
    let load_generator_ticks =
        (load_generator_cpu.as_secs_f64() * ticks_per_second as f64).round() as u64;
    let access_log_bytes = server.access_log_bytes();
    server.check_alive()?;
    if let Some(failure) = failures.into_iter().next() {
        return Err(failure);
    }

    let report = generators::parse(scenario.tool, &outputs)?;
    let measurement = Measurement {
        requests: report.requests,
        duration: report.duration.unwrap_or(elapsed),
        bytes: report.bytes,
        p50_us: report.p50_us,
        p99_us: report.p99_us,
        errors: report.errors,
        server_cpu_ticks: server_ticks,
        ticks_per_second,
        load_generator_cpu,
        other_server_cpu_ticks: (cpu_after.busy - cpu_before.busy).saturating_sub(server_ticks),
        server_cpu_interrupt_ticks: cpu_after.interrupts - cpu_before.interrupts,
        server_cpu_total_ticks: cpu_after.total - cpu_before.total,
        other_load_cpu_ticks: (load_cpu_after.busy - load_cpu_before.busy)
            .saturating_sub(load_generator_ticks),
        load_cpu_total_ticks: load_cpu_after.total - load_cpu_before.total,
        access_log_bytes,
    };
    if measurement.requests == 0 || measurement.duration.is_zero() {
        return Err(format!(
            "{} completed no {} under {}",
            server.contender.label(),
            scenario.unit(),
            scenario.label
        ));
    }
    Ok(measurement)
}

/// The last few lines of a tool's output, for an error message.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.trim().lines().collect();
    lines[lines.len().saturating_sub(5)..].join("\n")
}
