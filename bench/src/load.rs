//! One load run: wrk (on the load CPU, where the harness itself is pinned) against a
//! running server for a fixed time, with the server's CPU time read from /proc around
//! it. wrk reports its figures through a small Lua `done` hook rather than its
//! human-readable summary, which would have to be parsed with its unit suffixes.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::server::RunningServer;
use crate::{procfs, sys, Result};

/// One kind of load, as the report lists them.
pub struct Scenario {
    /// The name in the JSON results.
    pub key: &'static str,
    /// The heading in the printed table.
    pub label: &'static str,
    pub connections: u32,
    /// A new TCP connection for every request (`Connection: close`), instead of
    /// keep-alive.
    pub close_each: bool,
}

pub const SCENARIOS: [Scenario; 4] = [
    Scenario {
        key: "keepalive_1",
        label: "keep-alive, 1 connection",
        connections: 1,
        close_each: false,
    },
    Scenario {
        key: "keepalive_50",
        label: "keep-alive, 50 connections",
        connections: 50,
        close_each: false,
    },
    Scenario {
        key: "keepalive_256",
        label: "keep-alive, 256 connections",
        connections: 256,
        close_each: false,
    },
    Scenario {
        key: "close_50",
        label: "new connection per request, 50 at once",
        connections: 50,
        close_each: true,
    },
];

pub fn scenario(key: &str) -> &'static Scenario {
    SCENARIOS
        .iter()
        .find(|scenario| scenario.key == key)
        .expect("a known scenario key")
}

/// Hands wrk's totals to the harness as `@bench <name> <value>` lines.
const REPORT_SCRIPT: &str = r#"-- Written by the http-echo benchmark: prints wrk's totals for the harness to read.
done = function(summary, latency, requests)
  local errors = summary.errors
  local lines = {
    {"requests", summary.requests},
    {"duration_us", summary.duration},
    {"bytes", summary.bytes},
    {"p50_us", latency:percentile(50)},
    {"p99_us", latency:percentile(99)},
    {"errors_connect", errors.connect},
    {"errors_read", errors.read},
    {"errors_write", errors.write},
    {"errors_status", errors.status},
    {"errors_timeout", errors.timeout},
  }
  for _, line in ipairs(lines) do
    io.write(string.format("@bench %s %.1f\n", line[1], line[2]))
  end
end
"#;

/// How wrk is run.
pub struct Wrk {
    binary: PathBuf,
    script: PathBuf,
    /// The server CPU and the load CPU, whose load from other programs each run
    /// records.
    server_cpu: usize,
    load_cpu: usize,
}

/// wrk's socket and HTTP error counters for one run.
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
    pub p50_us: f64,
    pub p99_us: f64,
    pub errors: Errors,
    /// utime + stime of the server's processes during the run, in clock ticks.
    pub server_cpu_ticks: u64,
    pub ticks_per_second: u64,
    /// CPU time wrk used: near the run's duration means wrk, not the server, set
    /// the pace.
    pub load_generator_cpu: Duration,
    /// Busy ticks of the server CPU not spent by the server: other programs
    /// competing with it on a shared machine.
    pub other_server_cpu_ticks: u64,
    /// Interrupt and softirq ticks on the server CPU: mostly the kernel delivering the
    /// server's responses over loopback, which /proc may not charge to the server.
    pub server_cpu_interrupt_ticks: u64,
    pub server_cpu_total_ticks: u64,
    /// Busy ticks of the load CPU not spent by wrk (this harness mostly sleeps).
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

    /// Share of its one core that wrk kept busy, in percent.
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

impl Wrk {
    /// Writes the reporting script into `work_dir`.
    pub fn new(
        binary: PathBuf,
        work_dir: &Path,
        server_cpu: usize,
        load_cpu: usize,
    ) -> Result<Self> {
        let script = work_dir.join("report.lua");
        fs::write(&script, REPORT_SCRIPT)
            .map_err(|e| format!("writing {}: {e}", script.display()))?;
        Ok(Wrk {
            binary,
            script,
            server_cpu,
            load_cpu,
        })
    }

    /// Loads `server` with `scenario` for `seconds`, and measures it. Fails when the
    /// server dies, wrk fails or overruns its time, or no request completed.
    pub fn measure(
        &self,
        server: &mut RunningServer,
        scenario: &Scenario,
        seconds: u64,
    ) -> Result<Measurement> {
        server.check_alive()?;
        server.truncate_access_log()?;
        let pids = server.pids();
        let ticks_per_second = sys::clock_ticks_per_second();

        let mut command = Command::new(&self.binary);
        command
            .args(["-t1", &format!("-c{}", scenario.connections)])
            .arg(format!("-d{seconds}s"))
            .args(["--timeout", "2s", "-s"])
            .arg(&self.script);
        if scenario.close_each {
            command.args(["-H", "Connection: close"]);
        }
        command
            .arg(format!("http://127.0.0.1:{}/", server.port))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());

        let server_ticks_before = procfs::cpu_ticks(&pids);
        let cpu_before = procfs::cpu_times(self.server_cpu);
        let load_cpu_before = procfs::cpu_times(self.load_cpu);
        let children_cpu_before = sys::reaped_children_cpu_time();
        let mut child = command
            .spawn()
            .map_err(|e| format!("starting {}: {e}", self.binary.display()))?;
        // wrk stops itself after `seconds`; the margin covers its start and its
        // connection timeouts, after which it is killed.
        let deadline = Instant::now() + Duration::from_secs(seconds + 30);
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!("wrk ran past its {seconds} s and was killed"));
                }
                Err(e) => return Err(format!("waiting for wrk: {e}")),
            }
        }
        let load_generator_cpu = sys::reaped_children_cpu_time() - children_cpu_before;
        // Work the server finishes after the last response (flushing its log) belongs
        // to this run: give it a moment before reading its CPU time.
        thread::sleep(Duration::from_millis(100));
        let server_ticks = procfs::cpu_ticks(&pids) - server_ticks_before;
        let cpu_after = procfs::cpu_times(self.server_cpu);
        let load_cpu_after = procfs::cpu_times(self.load_cpu);
        let load_generator_ticks =
            (load_generator_cpu.as_secs_f64() * ticks_per_second as f64).round() as u64;
        let access_log_bytes = server.access_log_bytes();
        server.check_alive()?;

        let output = child
            .wait_with_output()
            .map_err(|e| format!("reading wrk's output: {e}"))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            return Err(format!(
                "wrk failed ({}): {}{}",
                output.status,
                stdout.trim(),
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        let value = |name: &str| -> Result<f64> {
            stdout
                .lines()
                .filter_map(|line| line.strip_prefix("@bench "))
                .find_map(|line| {
                    let (key, value) = line.split_once(' ')?;
                    (key == name)
                        .then(|| value.trim().parse::<f64>().ok())
                        .flatten()
                })
                .ok_or_else(|| format!("wrk's report has no {name}: {}", stdout.trim()))
        };
        let measurement = Measurement {
            requests: value("requests")? as u64,
            duration: Duration::from_micros(value("duration_us")? as u64),
            bytes: value("bytes")? as u64,
            p50_us: value("p50_us")?,
            p99_us: value("p99_us")?,
            errors: Errors {
                connect: value("errors_connect")? as u64,
                read: value("errors_read")? as u64,
                write: value("errors_write")? as u64,
                status: value("errors_status")? as u64,
                timeout: value("errors_timeout")? as u64,
            },
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
                "{} completed no request under {}",
                server.contender.label(),
                scenario.label
            ));
        }
        Ok(measurement)
    }
}
