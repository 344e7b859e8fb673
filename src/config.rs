//! Flags and environment variables, turned into a validated [`Config`].
//!
//! Every setting is a flag, and every flag that is a setting also reads
//! `ECHO_<NAME>` from the environment; the flag wins. (`-text` wins only when
//! non-empty, exactly as upstream treats `ECHO_TEXT`.) Flags that are actions
//! (`-version`, `-healthcheck`, `-watch`, `-help`) have no environment variable:
//! an environment that turned every start into a health probe would be a trap.
//!
//! The checks run in upstream's order: flag syntax, then `-version`, then values,
//! then the text, then stray arguments.

use std::path::PathBuf;
use std::time::Duration;

use crate::cli::{self, Arity, CliError, FlagSpec, RawArgs};
use crate::duration;
use crate::faults::{ErrorRate, Faults};
use crate::url::Url;
use crate::watch::ExpectedStatus;

/// What the process was asked to do.
#[derive(Debug)]
pub enum Command {
    /// Run the server.
    Serve(Config),
    /// Print the version and exit 0.
    Version,
    /// Probe a running server and exit 0 if it is healthy.
    Healthcheck(Probe),
    /// Send requests to a URL at a steady rate and report how they went.
    Watch(Watch),
    /// Print this usage on stderr and exit 0.
    Help(String),
}

/// A reason not to start, with the exit code upstream uses for it.
#[derive(Debug, PartialEq, Eq)]
pub struct StartupError {
    /// Written to stderr as is (it ends with a newline).
    pub message: String,
    pub exit_code: i32,
}

/// The access-log format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Upstream's line: `2006/01/02 15:04:05 host remote "GET / HTTP/1.1" 200 12 "ua" 41µs`.
    Text,
    /// One JSON object per line, for CloudWatch Logs Insights and the like.
    Json,
    Off,
}

/// Certificate and key files for HTTPS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Everything the server needs, validated.
#[derive(Clone, Debug)]
pub struct Config {
    /// The listen address exactly as given (`:5678`), echoed in the startup line.
    pub listen: String,
    /// The text every request gets (a newline is added to the body).
    pub text: String,
    /// The status of every response but `/health`, 100..=999.
    pub status_code: u16,
    pub log_format: LogFormat,
    /// After SIGTERM, keep serving this long with `/health` failing, before draining.
    pub shutdown_delay: Duration,
    /// How long the drain may take before the process gives up (exit 1).
    pub shutdown_timeout: Duration,
    /// An idle keep-alive connection is closed after this long.
    pub idle_timeout: Duration,
    /// A request head must arrive completely within this long of its first byte.
    pub header_read_timeout: Duration,
    /// Largest request line plus headers; larger gets 431.
    pub max_header_bytes: usize,
    /// Largest request body read (and discarded); larger gets 413.
    pub max_body_bytes: u64,
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    pub tls: Option<TlsFiles>,
    /// `-served-by`: name the replica in `X-Served-By`; the name is found at
    /// startup (`served_by::identify`), not here.
    pub served_by: bool,
    /// `-delay`, `-error-rate`, `-ready-after`, `-unhealthy-after`; all off by default.
    pub faults: Faults,
}

/// A health probe: `-healthcheck[=URL]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    pub url: String,
}

/// The flags, in the words `-help` prints. Each `default` is the one source of
/// that setting's default: `-help` shows it and parsing uses it, through the same
/// function that parses a value given on the command line.
pub const FLAGS: &[FlagSpec] = &[
    FlagSpec {
        name: "listen",
        arity: Arity::Value,
        type_name: "string",
        default: ":5678",
        usage: "address and port to listen",
    },
    FlagSpec {
        name: "text",
        arity: Arity::Value,
        type_name: "string",
        default: "",
        usage: "text to put on the webpage",
    },
    FlagSpec {
        name: "status-code",
        arity: Arity::Value,
        type_name: "int",
        default: "200",
        usage: "http response code, e.g.: 200",
    },
    FlagSpec {
        name: "version",
        arity: Arity::Switch,
        type_name: "",
        default: "false",
        usage: "display version information",
    },
    FlagSpec {
        name: "healthcheck",
        arity: Arity::OptionalValue,
        type_name: "",
        default: "",
        usage: "probe a running server and exit 0 if healthy, 1 if not (within 2s);\n\
                -healthcheck=URL probes URL instead of /health on the -listen port",
    },
    FlagSpec {
        name: "log-format",
        arity: Arity::Value,
        type_name: "string",
        default: "text",
        usage: "access log on stdout: text (upstream's line), json (one object per line) or off",
    },
    FlagSpec {
        name: "shutdown-delay",
        arity: Arity::Value,
        type_name: "duration",
        default: "0s",
        usage: "after SIGTERM keep serving this long, with /health answering 503 and\n\
                Connection: close on responses, before draining",
    },
    FlagSpec {
        name: "shutdown-timeout",
        arity: Arity::Value,
        type_name: "duration",
        default: "5s",
        usage: "how long in-flight requests may take to finish after shutdown starts",
    },
    FlagSpec {
        name: "idle-timeout",
        arity: Arity::Value,
        type_name: "duration",
        default: "75s",
        usage: "close a keep-alive connection idle this long (keep it above the load\n\
                balancer's idle timeout: 60s on an AWS ALB)",
    },
    FlagSpec {
        name: "header-read-timeout",
        arity: Arity::Value,
        type_name: "duration",
        default: "10s",
        usage: "a request's line and headers must arrive within this long of its first byte",
    },
    FlagSpec {
        name: "max-header-bytes",
        arity: Arity::Value,
        type_name: "int",
        default: "65536",
        usage:
            "largest request line plus headers; larger gets 431 (an ALB forwards at most 64 KiB)",
    },
    FlagSpec {
        name: "max-body-bytes",
        arity: Arity::Value,
        type_name: "int",
        default: "10485760",
        usage: "largest request body read and discarded; larger gets 413",
    },
    FlagSpec {
        name: "max-connections",
        arity: Arity::Value,
        type_name: "int",
        default: "16384",
        usage: "connections served at once; further ones wait in the listen backlog",
    },
    FlagSpec {
        name: "tls-cert",
        arity: Arity::Value,
        type_name: "string",
        default: "",
        usage: "PEM certificate chain: serve HTTPS (HTTP/2 and HTTP/1.1 by ALPN)",
    },
    FlagSpec {
        name: "tls-key",
        arity: Arity::Value,
        type_name: "string",
        default: "",
        usage: "PEM private key for -tls-cert",
    },
    FlagSpec {
        name: "served-by",
        arity: Arity::Switch,
        type_name: "",
        default: "false",
        usage: "name the replica in an X-Served-By header on every answer (and served_by\n\
                in JSON log lines): the ECS task, else the Kubernetes pod, else the hostname",
    },
    // Fault injection (src/faults.rs): set at startup only, never by a request.
    FlagSpec {
        name: "delay",
        arity: Arity::Value,
        type_name: "duration",
        default: "0s",
        usage: "fault injection: wait this long before every answer but /health\n\
                (a wait still running when the drain starts ends at once)",
    },
    FlagSpec {
        name: "error-rate",
        arity: Arity::Value,
        type_name: "float",
        default: "0",
        usage: "fault injection: answer this fraction (0 to 1) of requests but /health\n\
                with 503; exact, by a counter: 0.5 fails every second answer",
    },
    FlagSpec {
        name: "ready-after",
        arity: Arity::Value,
        type_name: "duration",
        default: "0s",
        usage: "fault injection: /health answers 503 until this long after start",
    },
    FlagSpec {
        name: "unhealthy-after",
        arity: Arity::Value,
        type_name: "duration",
        default: "0s",
        usage: "fault injection: /health answers 503 from this long after start on",
    },
    // The rollout watcher (src/watch): `-watch` is an action, the rest settings of it.
    FlagSpec {
        name: "watch",
        arity: Arity::Value,
        type_name: "string",
        default: "",
        usage: "watch URL: send it GET requests at -watch-rate until -watch-duration,\n\
                SIGINT or SIGTERM, then print a JSON summary; exit 0 if none failed",
    },
    FlagSpec {
        name: "watch-rate",
        arity: Arity::Value,
        type_name: "int",
        default: "20",
        usage: "requests per second of -watch, half on new connections and half on a\n\
                kept-alive one (1 to 1000)",
    },
    FlagSpec {
        name: "watch-duration",
        arity: Arity::Value,
        type_name: "duration",
        default: "0s",
        usage: "how long -watch sends requests; 0s: until SIGINT or SIGTERM",
    },
    FlagSpec {
        name: "watch-timeout",
        arity: Arity::Value,
        type_name: "duration",
        default: "5s",
        usage: "a -watch request that has no complete answer within this failed\n\
                (connecting, TLS and the answer included)",
    },
    FlagSpec {
        name: "watch-expect-status",
        arity: Arity::Value,
        type_name: "string",
        default: "2xx",
        usage: "statuses that count as success for -watch: codes and classes, e.g. 200,3xx",
    },
    FlagSpec {
        name: "watch-expect-text",
        arity: Arity::Value,
        type_name: "string",
        default: "",
        usage: "a -watch answer whose body does not contain this text failed (empty: any body)",
    },
    FlagSpec {
        name: "watch-ca",
        arity: Arity::Value,
        type_name: "string",
        default: "",
        usage: "PEM file of the authorities -watch trusts for https (default: the\n\
                system's bundle, e.g. /etc/ssl/certs/ca-certificates.crt)",
    },
    FlagSpec {
        name: "watch-insecure",
        arity: Arity::Switch,
        type_name: "",
        default: "false",
        usage: "do not verify the certificate of an https -watch URL",
    },
];

/// Appended to Go's flag list in `-help`.
const USAGE_NOTES: &str = "
Every flag but -version, -healthcheck and -watch can also be set by an environment
variable named ECHO_ and the flag in upper snake case (ECHO_TEXT, ECHO_LISTEN,
ECHO_STATUS_CODE, ECHO_LOG_FORMAT, ECHO_WATCH_RATE, ...); the flag wins.

Access log: lines are buffered in memory and written by a background thread, so a
slow stdout never delays a response. If stdout cannot keep up and the buffer
(1 MiB) is full, new lines are dropped and counted, and a warning on stderr says
how many were lost.

Exit codes: 0 after -version, -help, a healthy probe or a watch with no failed
request; 1 when the listener cannot be bound, the drain times out, the probe fails,
or a watched request failed; 2 for a bad flag or value, and after a clean shutdown
on SIGTERM/SIGINT (as upstream); 127 when there is no text or there are stray
arguments.
";

/// Usage text for `-help` and flag errors.
pub fn usage(program: &str) -> String {
    let mut text = cli::usage(program, FLAGS);
    text.push_str(USAGE_NOTES);
    text
}

/// Where a value came from, for error messages.
enum Source<'a> {
    Flag(&'a str),
    Env(String),
    Default(&'a str),
}

/// Reads the command line (without the program name) and the environment.
pub fn from_args<I, E>(program: &str, args: I, env: E) -> Result<Command, StartupError>
where
    I: IntoIterator<Item = String>,
    E: Fn(&str) -> Option<String>,
{
    let raw = match cli::parse(FLAGS, args) {
        Ok(raw) => raw,
        Err(CliError::Help) => return Ok(Command::Help(usage(program))),
        Err(CliError::Invalid(why)) => {
            return Err(StartupError {
                message: format!("{why}\n{}", usage(program)),
                exit_code: 2,
            })
        }
    };
    if raw.get("version") == Some("true") {
        return Ok(Command::Version);
    }

    let settings = Settings {
        raw: &raw,
        env: &env,
        program,
    };
    // An empty -listen means the default, as before any flag was given.
    let listen = settings
        .string("listen")
        .unwrap_or_else(|| default_of("listen").to_owned());
    let tls_cert = settings.string("tls-cert");
    let tls_key = settings.string("tls-key");
    let status_code = settings.parse("status-code", parse_status_code)?;
    let log_format = settings.parse("log-format", parse_log_format)?;
    let shutdown_delay = settings.parse("shutdown-delay", duration::parse)?;
    let shutdown_timeout = settings.parse("shutdown-timeout", positive_duration)?;
    let idle_timeout = settings.parse("idle-timeout", positive_duration)?;
    let header_read_timeout = settings.parse("header-read-timeout", positive_duration)?;
    let max_header_bytes = settings.parse("max-header-bytes", |t| {
        parse_count(t, 1_024, 16 * 1024 * 1024)
    })?;
    let max_body_bytes = settings.parse("max-body-bytes", |t| {
        parse_count(t, 0, usize::MAX).map(|n| n as u64)
    })?;
    let max_connections = settings.parse("max-connections", |t| parse_count(t, 1, 1 << 24))?;
    let served_by = settings.parse("served-by", parse_switch)?;
    let faults = Faults {
        delay: settings.parse("delay", optional_duration)?,
        error_rate: settings.parse("error-rate", ErrorRate::parse)?,
        ready_after: settings.parse("ready-after", optional_duration)?,
        unhealthy_after: settings.parse("unhealthy-after", optional_duration)?,
    };
    if let (Some(ready), Some(unhealthy)) = (faults.ready_after, faults.unhealthy_after) {
        if ready >= unhealthy {
            return Err(StartupError {
                message: "-ready-after must be shorter than -unhealthy-after, or /health never answers 200\n"
                    .to_owned(),
                exit_code: 2,
            });
        }
    }

    if let Some(url) = raw.get("watch") {
        return watch_command(url, &raw, &settings);
    }
    if let Some(url) = raw.get("healthcheck") {
        if let Some(stray) = raw.positionals.first() {
            return Err(stray_probe_argument(stray));
        }
        // The probe needs only to know that TLS is on, not the key to serve it.
        let url = if url.is_empty() {
            default_probe_url(&listen, tls_cert.is_some())
        } else {
            url.to_owned()
        };
        return Ok(Command::Healthcheck(Probe { url }));
    }
    let tls = match (tls_cert, tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles {
            cert: cert.into(),
            key: key.into(),
        }),
        (None, None) => None,
        _ => {
            return Err(StartupError {
                message: "-tls-cert and -tls-key must be given together\n".to_owned(),
                exit_code: 2,
            })
        }
    };

    // Upstream: ECHO_TEXT, replaced by -text when -text is non-empty.
    let text = match raw.get("text") {
        Some(text) if !text.is_empty() => text.to_owned(),
        _ => env("ECHO_TEXT").unwrap_or_default(),
    };
    if text.is_empty() {
        return Err(StartupError {
            message: "Missing -text option or ECHO_TEXT env var!\n".to_owned(),
            exit_code: 127,
        });
    }
    if !raw.positionals.is_empty() {
        return Err(StartupError {
            message: "Too many arguments!\n".to_owned(),
            exit_code: 127,
        });
    }

    Ok(Command::Serve(Config {
        listen,
        text,
        status_code,
        log_format,
        shutdown_delay,
        shutdown_timeout,
        idle_timeout,
        header_read_timeout,
        max_header_bytes,
        max_body_bytes,
        max_connections,
        tls,
        served_by,
        faults,
    }))
}

/// Looks up one setting: the flag if given, else `ECHO_<NAME>` if set and non-empty.
struct Settings<'a, E> {
    raw: &'a RawArgs,
    env: &'a E,
    program: &'a str,
}

impl<E: Fn(&str) -> Option<String>> Settings<'_, E> {
    fn lookup(&self, flag: &'static str) -> Option<(String, Source<'static>)> {
        if let Some(value) = self.raw.get(flag) {
            return Some((value.to_owned(), Source::Flag(flag)));
        }
        let var = env_var_name(flag);
        match (self.env)(&var) {
            Some(value) if !value.is_empty() => Some((value, Source::Env(var))),
            _ => None,
        }
    }

    fn string(&self, flag: &'static str) -> Option<String> {
        self.lookup(flag)
            .map(|(value, _)| value)
            .filter(|v| !v.is_empty())
    }

    /// The setting's value, given or else the flag table's default, parsed.
    fn parse<T>(
        &self,
        flag: &'static str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, StartupError> {
        let (text, source) = self.given_or_default(flag);
        parse(&text).map_err(|why| self.invalid(&text, source, &why))
    }

    // The two halves of `parse` that do not depend on the type: kept out of
    // line, so each of the many `parse` calls costs the binary only the call.
    #[inline(never)]
    fn given_or_default(&self, flag: &'static str) -> (String, Source<'static>) {
        self.lookup(flag)
            .unwrap_or_else(|| (default_of(flag).to_owned(), Source::Default(flag)))
    }

    #[cold]
    #[inline(never)]
    fn invalid(&self, text: &str, source: Source<'_>, why: &str) -> StartupError {
        match source {
            Source::Flag(name) => StartupError {
                message: format!(
                    "invalid value {text:?} for flag -{name}: {why}\n{}",
                    usage(self.program)
                ),
                exit_code: 2,
            },
            Source::Env(var) => StartupError {
                message: format!("invalid value {text:?} for environment variable {var}: {why}\n"),
                exit_code: 2,
            },
            // The tests parse every default, so this is a build that broke its table.
            Source::Default(name) => StartupError {
                message: format!("invalid default {text:?} for flag -{name}: {why}\n"),
                exit_code: 2,
            },
        }
    }
}

/// The default of a flag in [`FLAGS`]. Only called with names from the table.
fn default_of(flag: &str) -> &'static str {
    FLAGS
        .iter()
        .find(|spec| spec.name == flag)
        .map_or("", |spec| spec.default)
}

/// `-healthcheck URL` is `-healthcheck` and a stray `URL`, as Go's `flag` reads a
/// flag that takes an optional value. Probing the default URL instead would say
/// healthy about the wrong server forever, so it is refused, saying how to write it.
fn stray_probe_argument(stray: &str) -> StartupError {
    let message = if stray.starts_with("http://") || stray.starts_with("https://") {
        format!("Too many arguments! The probe takes its URL after an equals sign: -healthcheck={stray}\n")
    } else {
        format!("Too many arguments! The probe takes no argument ({stray:?}); to probe a URL, write -healthcheck=URL\n")
    };
    StartupError {
        message,
        exit_code: 127,
    }
}

/// `status-code` -> `ECHO_STATUS_CODE`.
pub fn env_var_name(flag: &str) -> String {
    format!("ECHO_{}", flag.to_ascii_uppercase().replace('-', "_"))
}

fn parse_status_code(text: &str) -> Result<u16, String> {
    let code: i64 = text.parse().map_err(|_| "parse error".to_owned())?;
    // Go's server panics writing a status outside 100..=999; refuse it up front.
    if !(100..=999).contains(&code) {
        return Err("status code must be between 100 and 999".to_owned());
    }
    Ok(code as u16)
}

fn parse_log_format(text: &str) -> Result<LogFormat, String> {
    match text {
        "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        "off" => Ok(LogFormat::Off),
        _ => Err("must be text, json or off".to_owned()),
    }
}

/// A switch's value from the environment (on the command line `cli` checks it).
fn parse_switch(text: &str) -> Result<bool, String> {
    cli::parse_go_bool(text).ok_or_else(|| "parse error".to_owned())
}

/// A duration where `0s` means off.
fn optional_duration(text: &str) -> Result<Option<Duration>, String> {
    duration::parse(text).map(|d| Some(d).filter(|d| !d.is_zero()))
}

fn positive_duration(text: &str) -> Result<Duration, String> {
    let d = duration::parse(text)?;
    if d.is_zero() {
        return Err("must be greater than 0".to_owned());
    }
    Ok(d)
}

fn parse_count(text: &str, min: usize, max: usize) -> Result<usize, String> {
    let n: usize = text.parse().map_err(|_| "parse error".to_owned())?;
    if n < min || n > max {
        return Err(format!("must be between {min} and {max}"));
    }
    Ok(n)
}

/// `http://127.0.0.1:<port>/health` for the port of `listen`; the host of `listen`
/// when it names one, since a server bound to one address answers only there.
fn default_probe_url(listen: &str, tls: bool) -> String {
    let scheme = if tls { "https" } else { "http" };
    let (host, port) = match crate::listener::split_host_port(listen) {
        Ok((host, port)) => (host, port),
        Err(_) => ("", 5678),
    };
    let host = match host {
        "" | "0.0.0.0" | "::" => "127.0.0.1".to_owned(),
        h if h.contains(':') => format!("[{h}]"),
        h => h.to_owned(),
    };
    format!("{scheme}://{host}:{port}/health")
}

// The rollout watcher: `-watch=URL` and its settings.

/// A rollout watch: `-watch=URL` with its `-watch-*` settings.
#[derive(Clone, Debug)]
pub struct Watch {
    pub url: Url,
    /// Requests per second, 1..=1000.
    pub rate: u32,
    /// `None`: until SIGINT or SIGTERM.
    pub duration: Option<Duration>,
    /// A request without a complete answer within this failed.
    pub timeout: Duration,
    pub expect_status: ExpectedStatus,
    /// The body must contain this; empty: any body.
    pub expect_text: String,
    pub trust: Trust,
}

/// Which certificates an https watch accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trust {
    /// Those issued by an authority of the system's bundle.
    System,
    /// Those issued by an authority in this PEM file (`-watch-ca`).
    Bundle(PathBuf),
    /// Any (`-watch-insecure`).
    Any,
}

/// Reads the `-watch-*` settings. Only a watch reads them, so a stray
/// `ECHO_WATCH_*` variable cannot stop a server from starting.
fn watch_command<E: Fn(&str) -> Option<String>>(
    url: &str,
    raw: &RawArgs,
    settings: &Settings<'_, E>,
) -> Result<Command, StartupError> {
    let flag_error = |why: String| StartupError {
        message: format!(
            "invalid value {url:?} for flag -watch: {why}\n{}",
            usage(settings.program)
        ),
        exit_code: 2,
    };
    let url = Url::parse(url).map_err(flag_error)?;
    if url.tls && rustls::pki_types::ServerName::try_from(url.host.as_str()).is_err() {
        return Err(flag_error(format!("{:?} is not a host name", url.host)));
    }
    let rate = settings.parse("watch-rate", |t| parse_count(t, 1, 1000).map(|n| n as u32))?;
    let duration = settings.parse("watch-duration", duration::parse)?;
    let timeout = settings.parse("watch-timeout", positive_duration)?;
    let expect_status = settings.parse("watch-expect-status", ExpectedStatus::parse)?;
    let expect_text = settings.string("watch-expect-text").unwrap_or_default();
    let insecure = settings.parse("watch-insecure", parse_switch)?;
    let refuse = |message: &str, exit_code| {
        Err(StartupError {
            message: format!("{message}\n"),
            exit_code,
        })
    };
    let trust = match (settings.string("watch-ca"), insecure) {
        (Some(_), true) => return refuse("-watch-ca and -watch-insecure cannot be combined", 2),
        (Some(bundle), false) => Trust::Bundle(bundle.into()),
        (None, true) => Trust::Any,
        (None, false) => Trust::System,
    };
    if raw.get("healthcheck").is_some() {
        return refuse("-watch and -healthcheck cannot be combined", 2);
    }
    if !raw.positionals.is_empty() {
        return refuse("Too many arguments!", 127);
    }
    Ok(Command::Watch(Watch {
        url,
        rate,
        duration: Some(duration).filter(|d| !d.is_zero()),
        timeout,
        expect_status,
        expect_text,
        trust,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(args: &[&str], env: &[(&str, &str)]) -> Result<Command, StartupError> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        from_args(
            "http-echo",
            args.iter().map(|s| s.to_string()),
            move |name| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()),
        )
    }

    fn config(args: &[&str], env: &[(&str, &str)]) -> Config {
        match start(args, env) {
            Ok(Command::Serve(config)) => config,
            other => panic!("expected a server config, got {other:?}"),
        }
    }

    #[test]
    fn defaults_match_upstream_and_alb() {
        let c = config(&["-text=hi"], &[]);
        assert_eq!(c.listen, ":5678");
        assert_eq!(c.status_code, 200);
        assert_eq!(c.log_format, LogFormat::Text);
        assert_eq!(c.shutdown_timeout, Duration::from_secs(5));
        assert!(
            c.idle_timeout > Duration::from_secs(60),
            "must outlive the ALB's 60s"
        );
        assert_eq!(c.tls, None);
        // Every opt-in feature is off.
        assert!(!c.served_by);
        assert_eq!(c.faults, Faults::default());
        assert!(!c.faults.any());
    }

    #[test]
    fn the_flag_table_is_the_one_source_of_defaults() {
        // Giving every setting its documented default changes nothing.
        let mut explicit: Vec<String> = FLAGS
            .iter()
            // -watch is an action, and -text has no default.
            .filter(|spec| spec.arity == Arity::Value && !["text", "watch"].contains(&spec.name))
            .map(|spec| format!("-{}={}", spec.name, spec.default))
            .collect();
        explicit.push("-text=hi".to_owned());
        let explicit: Vec<&str> = explicit.iter().map(String::as_str).collect();
        assert_eq!(
            format!("{:?}", config(&explicit, &[])),
            format!("{:?}", config(&["-text=hi"], &[]))
        );
    }

    #[test]
    fn flags_beat_environment() {
        let env = [
            ("ECHO_LISTEN", ":1"),
            ("ECHO_STATUS_CODE", "201"),
            ("ECHO_TEXT", "env"),
        ];
        let c = config(&["-listen=:2", "-status-code=202"], &env);
        assert_eq!(
            (c.listen.as_str(), c.status_code, c.text.as_str()),
            (":2", 202, "env")
        );
        let c = config(&[], &env);
        assert_eq!((c.listen.as_str(), c.status_code), (":1", 201));
        // An empty -text does not hide ECHO_TEXT; a non-empty one replaces it.
        assert_eq!(config(&["-text="], &env).text, "env");
        assert_eq!(config(&["-text=flag"], &env).text, "flag");
    }

    #[test]
    fn every_setting_has_an_environment_variable() {
        let env = [
            ("ECHO_TEXT", "t"),
            ("ECHO_LOG_FORMAT", "json"),
            ("ECHO_SHUTDOWN_DELAY", "3s"),
            ("ECHO_SHUTDOWN_TIMEOUT", "7s"),
            ("ECHO_IDLE_TIMEOUT", "90s"),
            ("ECHO_HEADER_READ_TIMEOUT", "2s"),
            ("ECHO_MAX_HEADER_BYTES", "4096"),
            ("ECHO_MAX_BODY_BYTES", "0"),
            ("ECHO_MAX_CONNECTIONS", "3"),
            ("ECHO_TLS_CERT", "c.pem"),
            ("ECHO_TLS_KEY", "k.pem"),
            ("ECHO_SERVED_BY", "true"),
            ("ECHO_DELAY", "250ms"),
            ("ECHO_ERROR_RATE", "0.5"),
            ("ECHO_READY_AFTER", "5s"),
            ("ECHO_UNHEALTHY_AFTER", "10m"),
        ];
        let c = config(&[], &env);
        assert!(c.served_by);
        assert_eq!(
            c.faults,
            Faults {
                delay: Some(Duration::from_millis(250)),
                error_rate: ErrorRate::parse("0.5").unwrap(),
                ready_after: Some(Duration::from_secs(5)),
                unhealthy_after: Some(Duration::from_secs(600)),
            }
        );
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(c.shutdown_delay, Duration::from_secs(3));
        assert_eq!(c.shutdown_timeout, Duration::from_secs(7));
        assert_eq!(c.idle_timeout, Duration::from_secs(90));
        assert_eq!(c.header_read_timeout, Duration::from_secs(2));
        assert_eq!(
            (c.max_header_bytes, c.max_body_bytes, c.max_connections),
            (4096, 0, 3)
        );
        assert_eq!(
            c.tls,
            Some(TlsFiles {
                cert: "c.pem".into(),
                key: "k.pem".into()
            })
        );
    }

    #[test]
    fn startup_order_and_exit_codes() {
        // -version wins over everything, even a missing text and stray arguments.
        assert!(matches!(
            start(&["-version", "x"], &[]),
            Ok(Command::Version)
        ));
        let missing = start(&[], &[]).unwrap_err();
        assert_eq!(missing.exit_code, 127);
        assert_eq!(
            missing.message,
            "Missing -text option or ECHO_TEXT env var!\n"
        );
        // Text is checked before stray arguments.
        assert_eq!(start(&["stray"], &[]).unwrap_err().exit_code, 127);
        let stray = start(&["-text=a", "stray"], &[]).unwrap_err();
        assert_eq!(stray.message, "Too many arguments!\n");
        assert!(matches!(start(&["-help"], &[]), Ok(Command::Help(_))));
        // The probe takes its URL only as -healthcheck=URL.
        let stray = start(&["-healthcheck", "http://127.0.0.1:5679/health"], &[]).unwrap_err();
        assert_eq!(stray.exit_code, 127);
        assert_eq!(
            stray.message,
            "Too many arguments! The probe takes its URL after an equals sign: \
             -healthcheck=http://127.0.0.1:5679/health\n"
        );
        let stray = start(&["-healthcheck=http://h/", "extra"], &[]).unwrap_err();
        assert!(
            stray.message.contains("-healthcheck=URL"),
            "{}",
            stray.message
        );
    }

    #[test]
    fn bad_values_exit_2_with_a_clear_line() {
        for (args, start_of_message) in [
            (&["-status-code=abc"][..], "invalid value \"abc\" for flag -status-code: parse error"),
            (&["-status-code=99"], "invalid value \"99\" for flag -status-code: status code must be between 100 and 999"),
            (&["-status-code=1000"], "invalid value \"1000\" for flag -status-code"),
            (&["-log-format=xml"], "invalid value \"xml\" for flag -log-format: must be text, json or off"),
            (&["-idle-timeout=0"], "invalid value \"0\" for flag -idle-timeout: must be greater than 0"),
            (&["-shutdown-delay=5"], "invalid value \"5\" for flag -shutdown-delay: missing unit"),
            (&["-max-connections=0"], "invalid value \"0\" for flag -max-connections: must be between 1"),
            (&["-tls-cert=a.pem"], "-tls-cert and -tls-key must be given together"),
            (&["-served-by=maybe"], "invalid boolean value \"maybe\" for -served-by: parse error"),
            (&["-delay=1"], "invalid value \"1\" for flag -delay: missing unit"),
            (&["-error-rate=1.01"], "invalid value \"1.01\" for flag -error-rate: must be between 0 and 1"),
            (&["-error-rate=0.5%"], "invalid value \"0.5%\" for flag -error-rate: parse error"),
            (&["-unhealthy-after=-1m"], "invalid value \"-1m\" for flag -unhealthy-after: invalid duration"),
            (&["-ready-after=1m", "-unhealthy-after=1m"], "-ready-after must be shorter than -unhealthy-after"),
            (&["-bogus"], "flag provided but not defined: -bogus"),
        ] {
            let mut full = vec!["-text=x"];
            full.extend_from_slice(args);
            let err = start(&full, &[]).unwrap_err();
            assert_eq!(err.exit_code, 2, "{args:?}");
            assert!(err.message.starts_with(start_of_message), "{args:?}: {}", err.message);
        }
        let err = start(&["-text=x"], &[("ECHO_STATUS_CODE", "abc")]).unwrap_err();
        assert_eq!(
            err.message,
            "invalid value \"abc\" for environment variable ECHO_STATUS_CODE: parse error\n"
        );
    }

    fn watch(args: &[&str], env: &[(&str, &str)]) -> Watch {
        match start(args, env) {
            Ok(Command::Watch(watch)) => watch,
            other => panic!("expected a watch, got {other:?}"),
        }
    }

    #[test]
    fn watch_defaults_come_from_the_flag_table() {
        let w = watch(&["-watch=http://127.0.0.1:5678/"], &[]);
        assert_eq!(w.url.port, 5678);
        assert_eq!(w.rate, 20);
        assert_eq!(w.duration, None, "until a signal");
        assert_eq!(w.timeout, Duration::from_secs(5));
        assert_eq!(w.expect_status.as_str(), "2xx");
        assert_eq!(w.expect_text, "");
        assert_eq!(w.trust, Trust::System);
        // No text needed, and the server's settings in the environment are ignored.
        let w = watch(&["-watch", "http://h/"], &[("ECHO_TEXT", "t")]);
        assert_eq!(w.url.host, "h");
    }

    #[test]
    fn watch_settings_have_environment_variables_but_watch_does_not() {
        let env = [
            ("ECHO_WATCH_RATE", "2"),
            ("ECHO_WATCH_DURATION", "1m"),
            ("ECHO_WATCH_TIMEOUT", "300ms"),
            ("ECHO_WATCH_EXPECT_STATUS", "200,503"),
            ("ECHO_WATCH_EXPECT_TEXT", "v2"),
            ("ECHO_WATCH_CA", "ca.pem"),
        ];
        let w = watch(&["-watch=https://h/"], &env);
        assert_eq!(w.rate, 2);
        assert_eq!(w.duration, Some(Duration::from_secs(60)));
        assert_eq!(w.timeout, Duration::from_millis(300));
        assert!(w.expect_status.matches(503));
        assert_eq!(w.expect_text, "v2");
        assert_eq!(w.trust, Trust::Bundle("ca.pem".into()));
        let w = watch(&["-watch=https://h/", "-watch-rate=7"], &env);
        assert_eq!(w.rate, 7, "the flag wins");
        let w = watch(&["-watch=https://h/"], &[("ECHO_WATCH_INSECURE", "true")]);
        assert_eq!(w.trust, Trust::Any);
        // ECHO_WATCH cannot turn a server into a watcher, nor can a bad
        // ECHO_WATCH_* setting stop a server.
        let env = [("ECHO_WATCH", "http://h/"), ("ECHO_WATCH_RATE", "x")];
        assert!(matches!(start(&["-text=t"], &env), Ok(Command::Serve(_))));
    }

    #[test]
    fn bad_watch_values_exit_2_with_a_clear_line() {
        for (args, start_of_message) in [
            (&["-watch=ftp://h/"][..], "invalid value \"ftp://h/\" for flag -watch: the URL must start with http:// or https://"),
            (&["-watch="], "invalid value \"\" for flag -watch: the URL must start"),
            (&["-watch=https://a..b/"], "invalid value \"https://a..b/\" for flag -watch: \"a..b\" is not a host name"),
            (&["-watch"], "flag needs an argument: -watch"),
            (&["-watch=http://h/", "-watch-rate=0"], "invalid value \"0\" for flag -watch-rate: must be between 1 and 1000"),
            (&["-watch=http://h/", "-watch-rate=0.5"], "invalid value \"0.5\" for flag -watch-rate: parse error"),
            (&["-watch=http://h/", "-watch-rate=fast"], "invalid value \"fast\" for flag -watch-rate: parse error"),
            (&["-watch=http://h/", "-watch-duration=10"], "invalid value \"10\" for flag -watch-duration: missing unit"),
            (&["-watch=http://h/", "-watch-timeout=0s"], "invalid value \"0s\" for flag -watch-timeout: must be greater than 0"),
            (&["-watch=http://h/", "-watch-expect-status=2x"], "invalid value \"2x\" for flag -watch-expect-status: \"2x\" is neither"),
            (&["-watch=http://h/", "-watch-insecure=maybe"], "invalid boolean value \"maybe\" for -watch-insecure"),
            (&["-watch=http://h/", "-watch-ca=ca.pem", "-watch-insecure"], "-watch-ca and -watch-insecure cannot be combined"),
            (&["-watch=http://h/", "-healthcheck"], "-watch and -healthcheck cannot be combined"),
        ] {
            let err = start(args, &[]).unwrap_err();
            assert_eq!(err.exit_code, 2, "{args:?}");
            assert!(err.message.starts_with(start_of_message), "{args:?}: {}", err.message);
        }
        let err = start(&["-watch=http://h/"], &[("ECHO_WATCH_RATE", "-1")]).unwrap_err();
        assert_eq!(
            err.message,
            "invalid value \"-1\" for environment variable ECHO_WATCH_RATE: parse error\n"
        );
        let stray = start(&["-watch=http://h/", "stray"], &[]).unwrap_err();
        assert_eq!(
            (stray.exit_code, stray.message.as_str()),
            (127, "Too many arguments!\n")
        );
    }

    #[test]
    fn healthcheck_url_follows_listen_and_tls() {
        let probe = |args: &[&str], env: &[(&str, &str)]| match start(args, env) {
            Ok(Command::Healthcheck(p)) => p.url,
            other => panic!("expected a probe, got {other:?}"),
        };
        assert_eq!(
            probe(&["-healthcheck"], &[]),
            "http://127.0.0.1:5678/health"
        );
        // No text needed to probe: the image sets ECHO_TEXT, the probe ignores it.
        assert_eq!(
            probe(&["-healthcheck"], &[("ECHO_LISTEN", ":8080")]),
            "http://127.0.0.1:8080/health"
        );
        assert_eq!(
            probe(&["-listen=[::1]:9", "-healthcheck"], &[]),
            "http://[::1]:9/health"
        );
        assert_eq!(
            probe(&["-tls-cert=c", "-tls-key=k", "-healthcheck"], &[]),
            "https://127.0.0.1:5678/health"
        );
        // The certificate alone says TLS is on; the probe needs no key.
        assert_eq!(
            probe(&["-tls-cert=c", "-healthcheck"], &[]),
            "https://127.0.0.1:5678/health"
        );
        assert_eq!(
            probe(&["-healthcheck"], &[("ECHO_TLS_CERT", "c")]),
            "https://127.0.0.1:5678/health"
        );
        assert_eq!(probe(&["-healthcheck=http://h:1/x"], &[]), "http://h:1/x");
    }
}
