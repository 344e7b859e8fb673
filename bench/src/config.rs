//! Command-line arguments -> the validated settings of one benchmark run.

use std::path::PathBuf;

pub const USAGE: &str = "\
usage: http-echo-bench [options]      (normally run through scripts/bench)

Measures http-echo against nginx: the server pinned to CPU 0, the load generators
(wrk, h2load, openssl s_time) and this harness pinned to CPU 1, interleaved rounds,
medians. Prints a table with ratios to nginx and
a verdict per performance target, and writes the raw figures as JSON.

options:
  --smoke                   short end-to-end run (1 round of 1 s, 1000 idle
                            connections, 200 over TLS, 3 starts); targets are
                            not judged
  --rounds N                load rounds, at least 3 unless --smoke (default 5)
  --seconds N               length of each load run (default 5)
  --idle-connections N      idle keep-alive connections held (default 10000)
  --idle-tls-connections N  idle keep-alive TLS connections held (default 2000)
  --startups N              starts per server for exec-to-first-200 (default 21)
  --warmup-seconds N        unrecorded load per server before round 1 (default 1)
  --server PATH             our release binary (default target/release/http-echo)
  --nginx PATH              nginx binary (default: nginx on PATH or /usr/sbin/nginx)
  --wrk PATH                wrk binary (default: wrk on PATH)
  --h2load PATH             h2load binary (default: h2load on PATH)
  --openssl PATH            openssl binary, for certificates and s_time (default:
                            openssl on PATH)
  --image TAG               container image whose size to report (default
                            http-echo:local; \"n/a\" when it is not built)
  --output PATH             JSON results; the table goes beside it as .txt
                            (default bench/results/latest.json, with --smoke
                            target/bench/smoke.json)
  --work-dir PATH           scratch directory (default target/bench/run)
  --help                    this text
";

/// Settings of one run. Paths are as given (relative to the working directory).
pub struct Config {
    /// A short run that proves the harness works; no verdicts.
    pub smoke: bool,
    pub rounds: u32,
    pub seconds: u64,
    pub idle_connections: usize,
    pub idle_tls_connections: usize,
    pub startups: u32,
    pub warmup_seconds: u64,
    pub server_binary: PathBuf,
    pub nginx_binary: Option<PathBuf>,
    pub wrk_binary: Option<PathBuf>,
    pub h2load_binary: Option<PathBuf>,
    pub openssl_binary: Option<PathBuf>,
    pub image_tag: String,
    pub output: PathBuf,
    pub work_dir: PathBuf,
}

pub enum ArgsError {
    /// `--help`: print the usage and succeed.
    Help,
    Invalid(String),
}

impl Config {
    pub fn from_args(args: &[String]) -> Result<Self, ArgsError> {
        let invalid = |message: String| ArgsError::Invalid(message);
        let mut values: Vec<(String, String)> = Vec::new();
        let mut smoke = false;
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            match arg.as_str() {
                "--help" | "-h" => return Err(ArgsError::Help),
                "--smoke" => smoke = true,
                _ => {
                    let Some(flag) = arg.strip_prefix("--") else {
                        return Err(invalid(format!("unexpected argument '{arg}'")));
                    };
                    let (name, value) = match flag.split_once('=') {
                        Some((name, value)) => (name.to_string(), value.to_string()),
                        None => {
                            let value = iter
                                .next()
                                .ok_or_else(|| invalid(format!("--{flag} needs a value")))?;
                            (flag.to_string(), value.clone())
                        }
                    };
                    values.push((name, value));
                }
            }
        }

        let mut config = Config {
            smoke,
            rounds: if smoke { 1 } else { 5 },
            seconds: if smoke { 1 } else { 5 },
            idle_connections: if smoke { 1000 } else { 10_000 },
            idle_tls_connections: if smoke { 200 } else { 2000 },
            startups: if smoke { 3 } else { 21 },
            warmup_seconds: if smoke { 0 } else { 1 },
            server_binary: PathBuf::from("target/release/http-echo"),
            nginx_binary: None,
            wrk_binary: None,
            h2load_binary: None,
            openssl_binary: None,
            image_tag: "http-echo:local".to_string(),
            output: PathBuf::from(if smoke {
                "target/bench/smoke.json"
            } else {
                "bench/results/latest.json"
            }),
            work_dir: PathBuf::from("target/bench/run"),
        };
        for (name, value) in values {
            let number = |low: u64, high: u64| -> Result<u64, ArgsError> {
                match value.parse::<u64>() {
                    Ok(n) if (low..=high).contains(&n) => Ok(n),
                    _ => Err(invalid(format!(
                        "--{name} must be a whole number from {low} to {high}, not '{value}'"
                    ))),
                }
            };
            match name.as_str() {
                "rounds" => config.rounds = number(1, 99)? as u32,
                "seconds" => config.seconds = number(1, 600)?,
                "idle-connections" => config.idle_connections = number(1, 100_000)? as usize,
                "idle-tls-connections" => {
                    config.idle_tls_connections = number(1, 100_000)? as usize
                }
                "startups" => config.startups = number(1, 1000)? as u32,
                "warmup-seconds" => config.warmup_seconds = number(0, 60)?,
                "server" => config.server_binary = PathBuf::from(value),
                "nginx" => config.nginx_binary = Some(PathBuf::from(value)),
                "wrk" => config.wrk_binary = Some(PathBuf::from(value)),
                "h2load" => config.h2load_binary = Some(PathBuf::from(value)),
                "openssl" => config.openssl_binary = Some(PathBuf::from(value)),
                "image" => config.image_tag = value,
                "output" => config.output = PathBuf::from(value),
                "work-dir" => config.work_dir = PathBuf::from(value),
                _ => return Err(invalid(format!("unknown option --{name}"))),
            }
        }
        if !config.smoke && config.rounds < 3 {
            return Err(invalid(format!(
                "--rounds {} is too few for a median: use at least 3 (or --smoke for a \
                 quick check that reports no verdicts)",
                config.rounds
            )));
        }
        Ok(config)
    }
}
