//! The load generators, each run on the load CPU: how each is started for one
//! scenario, and how its totals are read from what it prints.
//!
//! - wrk, one thread: HTTP/1.1, plain or over TLS, keep-alive or a new connection
//!   per request. It reports through a small Lua `done` hook rather than its
//!   human-readable summary, which would have to be parsed with its unit suffixes.
//! - h2load (Debian's nghttp2-client), one thread: HTTP/2 over TLS, with a number
//!   of concurrent streams per connection.
//! - `openssl s_time -new`: a new connection per request, each with a full TLS
//!   handshake (no session is reused), then `GET /` over HTTP/1.0. One process makes
//!   one connection at a time, so several run side by side.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::load::{Errors, Scenario, Tool};
use crate::Result;

/// Hands wrk's totals to the harness as `@bench <name> <value>` lines.
const WRK_REPORT_SCRIPT: &str = r#"-- Written by the http-echo benchmark: prints wrk's totals for the harness to read.
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

/// The load generators' binaries.
pub struct Generators {
    pub wrk: PathBuf,
    pub h2load: PathBuf,
    pub openssl: PathBuf,
    wrk_script: PathBuf,
}

/// What a load generator reported for one run.
pub struct Report {
    /// Requests completed (for `s_time`, connections: one request each).
    pub requests: u64,
    /// The run's length as the generator measured it; None when it does not say, and
    /// the harness's own reading is used.
    pub duration: Option<Duration>,
    pub bytes: u64,
    /// Latency percentiles, where the generator reports them.
    pub p50_us: Option<f64>,
    pub p99_us: Option<f64>,
    pub errors: Errors,
}

impl Generators {
    /// Writes wrk's reporting script into `work_dir`.
    pub fn new(wrk: PathBuf, h2load: PathBuf, openssl: PathBuf, work_dir: &Path) -> Result<Self> {
        let wrk_script = work_dir.join("report.lua");
        fs::write(&wrk_script, WRK_REPORT_SCRIPT)
            .map_err(|e| format!("writing {}: {e}", wrk_script.display()))?;
        Ok(Generators {
            wrk,
            h2load,
            openssl,
            wrk_script,
        })
    }

    /// The processes that make `scenario`'s load on 127.0.0.1:`port` for `seconds`.
    pub fn commands(&self, scenario: &Scenario, port: u16, seconds: u64) -> Vec<Command> {
        let url = format!("{}://127.0.0.1:{port}/", scenario.transport.scheme());
        match scenario.tool {
            Tool::Wrk { close_each } => {
                let mut wrk = Command::new(&self.wrk);
                wrk.args(["-t1", &format!("-c{}", scenario.connections)])
                    .arg(format!("-d{seconds}s"))
                    .args(["--timeout", "2s", "-s"])
                    .arg(&self.wrk_script);
                if close_each {
                    wrk.args(["-H", "Connection: close"]);
                }
                wrk.arg(url);
                vec![wrk]
            }
            Tool::H2load { streams } => {
                let mut h2load = Command::new(&self.h2load);
                h2load
                    .args(["-t1", &format!("-c{}", scenario.connections)])
                    .arg(format!("-m{streams}"))
                    .arg(format!("-D{seconds}"))
                    .arg("--warm-up-time=0")
                    .arg(url);
                vec![h2load]
            }
            Tool::Handshakes => (0..scenario.connections)
                .map(|_| {
                    let mut s_time = Command::new(&self.openssl);
                    s_time
                        .arg("s_time")
                        .arg("-connect")
                        .arg(format!("127.0.0.1:{port}"))
                        .args(["-new", "-www", "/"])
                        .arg("-time")
                        .arg(seconds.to_string());
                    s_time
                })
                .collect(),
        }
    }

    pub fn name(&self, tool: Tool) -> &'static str {
        match tool {
            Tool::Wrk { .. } => "wrk",
            Tool::H2load { .. } => "h2load",
            Tool::Handshakes => "openssl s_time",
        }
    }
}

/// Reads the totals of `tool` from the standard output of each of its processes.
pub fn parse(tool: Tool, outputs: &[String]) -> Result<Report> {
    match tool {
        Tool::Wrk { .. } => parse_wrk(outputs.concat().as_str()),
        Tool::H2load { .. } => parse_h2load(outputs.concat().as_str()),
        Tool::Handshakes => {
            let mut total = Report {
                requests: 0,
                duration: None,
                bytes: 0,
                p50_us: None,
                p99_us: None,
                errors: Errors::default(),
            };
            for output in outputs {
                let (connections, bytes) = parse_s_time(output)?;
                total.requests += connections;
                total.bytes += bytes;
            }
            Ok(total)
        }
    }
}

fn parse_wrk(stdout: &str) -> Result<Report> {
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
    Ok(Report {
        requests: value("requests")? as u64,
        duration: Some(Duration::from_micros(value("duration_us")? as u64)),
        bytes: value("bytes")? as u64,
        p50_us: Some(value("p50_us")?),
        p99_us: Some(value("p99_us")?),
        errors: Errors {
            connect: value("errors_connect")? as u64,
            read: value("errors_read")? as u64,
            write: value("errors_write")? as u64,
            status: value("errors_status")? as u64,
            timeout: value("errors_timeout")? as u64,
        },
    })
}

/// h2load's summary:
///
/// ```text
/// finished in 5.00s, 62345.60 req/s, 3.12MB/s
/// requests: 311728 total, 311728 started, 311728 done, 311728 succeeded, 0 failed, 0 errored, 0 timeout
/// status codes: 311728 2xx, 0 3xx, 0 4xx, 0 5xx
/// traffic: 15.60MB (16357004) total, 5.06MB (5303516) headers (space savings 89.44%), ...
/// ```
fn parse_h2load(stdout: &str) -> Result<Report> {
    let missing = |what: &str| format!("h2load's summary has no {what}: {}", stdout.trim());
    let line = |prefix: &str| {
        stdout
            .lines()
            .find_map(|line| line.trim().strip_prefix(prefix))
            .ok_or_else(|| missing(prefix.trim_end_matches(':')))
    };
    // "311728 succeeded" -> 311728, from a comma-separated list of "<n> <name>".
    let count = |list: &str, name: &str| -> Result<u64> {
        list.split(',')
            .find_map(|item| {
                let (number, label) = item.trim().split_once(' ')?;
                (label == name)
                    .then(|| number.parse::<u64>().ok())
                    .flatten()
            })
            .ok_or_else(|| missing(name))
    };
    let finished = line("finished in ")?;
    let duration = finished
        .split(',')
        .next()
        .and_then(go_like_duration)
        .ok_or_else(|| missing("run time"))?;
    let requests = line("requests:")?;
    let statuses = line("status codes:")?;
    let traffic = line("traffic:")?;
    let bytes = traffic
        .split_once('(')
        .and_then(|(_, rest)| rest.split_once(')'))
        .and_then(|(number, _)| number.parse::<u64>().ok())
        .ok_or_else(|| missing("traffic total"))?;
    Ok(Report {
        requests: count(requests, "succeeded")?,
        duration: Some(duration),
        bytes,
        p50_us: None,
        p99_us: None,
        errors: Errors {
            connect: 0,
            // Requests that failed for any reason other than their status or time.
            read: count(requests, "errored")?,
            write: 0,
            status: count(statuses, "4xx")? + count(statuses, "5xx")?,
            timeout: count(requests, "timeout")?,
        },
    })
}

/// "5.00s", "981.23ms" or "750us", as h2load prints a run's length.
fn go_like_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = text.strip_suffix("us") {
        (n, 1e-6)
    } else {
        (text.strip_suffix('s')?, 1.0)
    };
    Some(Duration::from_secs_f64(number.parse::<f64>().ok()? * scale))
}

/// The connections made and bytes read, from the first summary line of `s_time`:
/// `899 connections in 0.52s; 1728.85 connections/user sec, bytes read 130355`.
fn parse_s_time(stdout: &str) -> Result<(u64, u64)> {
    let summary = stdout
        .lines()
        .find(|line| line.contains(" connections in ") && line.contains("bytes read "))
        .ok_or_else(|| format!("s_time's output has no summary: {}", stdout.trim()))?;
    let connections = summary
        .split_whitespace()
        .next()
        .and_then(|n| n.parse::<u64>().ok());
    let bytes = summary
        .rsplit("bytes read ")
        .next()
        .and_then(|n| n.trim().parse::<u64>().ok());
    match (connections, bytes) {
        (Some(connections), Some(bytes)) => Ok((connections, bytes)),
        _ => Err(format!("s_time's summary cannot be read: {summary}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H2LOAD: &str = "\
starting benchmark...

finished in 5.00s, 62345.60 req/s, 3.12MB/s
requests: 311728 total, 311730 started, 311728 done, 311720 succeeded, 8 failed, 3 errored, 2 timeout
status codes: 311720 2xx, 0 3xx, 4 4xx, 1 5xx
traffic: 15.60MB (16357004) total, 5.06MB (5303516) headers (space savings 89.44%), 3.57MB (3740736) data
                     min         max         mean         sd        +/- sd
time for request:      190us     12.34ms       763us       234us    74.03%
";

    #[test]
    fn h2load_totals() {
        let report = parse_h2load(H2LOAD).unwrap();
        assert_eq!(report.requests, 311_720);
        assert_eq!(report.duration, Some(Duration::from_secs(5)));
        assert_eq!(report.bytes, 16_357_004);
        assert_eq!(report.errors.status, 5);
        assert_eq!(report.errors.read, 3);
        assert_eq!(report.errors.timeout, 2);
        assert!(report.p50_us.is_none());
        assert!(parse_h2load("finished in 5.00s, 1 req/s\n").is_err());
    }

    #[test]
    fn h2load_run_times_in_every_unit() {
        assert_eq!(go_like_duration("5.00s"), Some(Duration::from_secs(5)));
        assert_eq!(
            go_like_duration("250.00ms"),
            Some(Duration::from_millis(250))
        );
        assert_eq!(go_like_duration("750us"), Some(Duration::from_micros(750)));
        assert_eq!(go_like_duration("soon"), None);
    }

    #[test]
    fn s_time_totals_over_every_process() {
        let one = "Collecting connection statistics for 1 seconds\n***\n\n\
                   899 connections in 0.52s; 1728.85 connections/user sec, bytes read 130355\n\
                   899 connections in 2 real seconds, 145 bytes read per connection\n";
        let report = parse(Tool::Handshakes, &[one.to_string(), one.to_string()]).unwrap();
        assert_eq!(report.requests, 1798);
        assert_eq!(report.bytes, 260_710);
        assert!(report.duration.is_none());
        assert!(parse(Tool::Handshakes, &["ERROR\n".to_string()]).is_err());
    }

    #[test]
    fn wrk_totals() {
        let stdout = "@bench requests 120.0\n@bench duration_us 1000000.0\n@bench bytes 9000.0\n\
                      @bench p50_us 80.0\n@bench p99_us 250.0\n@bench errors_connect 0.0\n\
                      @bench errors_read 1.0\n@bench errors_write 0.0\n@bench errors_status 2.0\n\
                      @bench errors_timeout 0.0\n";
        let report = parse_wrk(stdout).unwrap();
        assert_eq!(report.requests, 120);
        assert_eq!(report.p99_us, Some(250.0));
        assert_eq!(report.errors.total(), 3);
        assert!(parse_wrk("@bench requests 1.0\n").is_err());
    }
}
