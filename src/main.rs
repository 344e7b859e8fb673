//! The `http-echo` binary: arguments to a command, the command to an exit code.

use std::num::NonZeroUsize;
use std::process::ExitCode;

use http_echo::config::{self, Command, Config};
use http_echo::listener;
use http_echo::served_by::{self, Replica};
use http_echo::server::{DrainTimedOut, Server};
use http_echo::telemetry::{self, AccessLog};
use http_echo::{healthcheck, shutdown, signals, version, watch};

fn main() -> ExitCode {
    let mut args = std::env::args_os();
    let program = args.next().map_or_else(
        || "http-echo".to_owned(),
        |p| p.to_string_lossy().into_owned(),
    );
    let args: Result<Vec<String>, _> = args.map(|arg| arg.into_string()).collect();
    let code = match args {
        Err(bad) => {
            eprintln!("argument is not valid UTF-8: {bad:?}");
            2
        }
        Ok(args) => match config::from_args(&program, args, |name| std::env::var(name).ok()) {
            Err(error) => {
                eprint!("{}", error.message);
                error.exit_code
            }
            Ok(Command::Help(usage)) => {
                eprint!("{usage}");
                0
            }
            Ok(Command::Version) => {
                print!("{}", version::version_text());
                0
            }
            Ok(Command::Healthcheck(probe)) => healthcheck::run(&probe),
            Ok(Command::Watch(settings)) => watch::run(&settings),
            Ok(Command::Serve(config)) => serve(&config),
        },
    };
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// Runs the server until a signal stops it. Exit codes as upstream: 2 after a
/// clean shutdown, 1 when it could not start or the drain timed out.
fn serve(config: &Config) -> i32 {
    let open_files = raise_open_file_limit();
    if let Some(limit) = open_files {
        if config.max_connections as u64 + 64 > limit {
            telemetry::warn(&format!(
                "-max-connections {} is above what the open-file limit ({limit}) allows; \
                 connections beyond it will wait",
                config.max_connections
            ));
        }
    }
    // Before the runtime: reading the task metadata blocks, for a bounded time.
    let served_by = config.served_by.then(name_this_replica);
    let runtime = match build_runtime() {
        Ok(runtime) => runtime,
        Err(error) => {
            telemetry::error(&format!("failed to start: {error}"));
            return 1;
        }
    };
    let code = runtime.block_on(async {
        let (log, writer) = AccessLog::stdout(config.log_format);
        let server = match Server::new(config, served_by.as_ref(), log) {
            Ok(server) => server,
            Err(error) => {
                telemetry::error(&error);
                return 1;
            }
        };
        let listener = match listener::bind(&config.listen) {
            Ok(listener) => listener,
            Err(error) => {
                telemetry::error(&format!("server exited with: {error}"));
                return 1;
            }
        };
        let (trigger, signal) = shutdown::channel();
        if let Err(error) = signals::forward_to(trigger) {
            telemetry::error(&format!("failed to install signal handlers: {error}"));
            return 1;
        }
        telemetry::info(&listening_line(&config.listen, &listener));
        let outcome = server.run(listener, signal).await;
        if let Some(writer) = writer {
            writer.finish();
        }
        match outcome {
            Ok(()) => 2,
            Err(DrainTimedOut) => {
                telemetry::error("failed to shutdown server: context deadline exceeded");
                1
            }
        }
    });
    // Connections still open after a timed-out drain are abandoned, not awaited.
    runtime.shutdown_background();
    code
}

/// `-served-by`: finds the replica's name, once, and says in one line on stderr
/// what it is and where it came from (and why, when a source failed).
fn name_this_replica() -> Replica {
    let identity = served_by::identify(
        &|name| std::env::var(name).ok(),
        served_by::METADATA_TIMEOUT,
    );
    let named = format!(
        "naming this replica from {}: {}",
        identity.source,
        identity.replica.as_str()
    );
    match &identity.fallback {
        Some(why) => telemetry::warn(&format!("-served-by: {why}; {named}")),
        None => telemetry::info(&format!("-served-by: {named}")),
    }
    identity.replica
}

/// `server is listening on :5678`, the listen flag as given (as upstream). With
/// port 0 the kernel picks the port, so the line also says which.
fn listening_line(listen: &str, listener: &tokio::net::TcpListener) -> String {
    match (listener::split_host_port(listen), listener.local_addr()) {
        (Ok((_, 0)), Ok(bound)) => format!("server is listening on {listen} (bound to {bound})"),
        _ => format!("server is listening on {listen}"),
    }
}

/// One thread: a single-threaded runtime, no cross-thread handoffs. More: one
/// worker per CPU this process may use (its affinity mask or cgroup quota).
fn build_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    let threads = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let mut builder = if threads == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(threads);
        builder
    };
    builder.enable_all().build()
}

/// Raises the soft open-file limit to the hard one, as Go's runtime does, so a
/// container's default of 1024 does not cap connections. Returns the limit.
fn raise_open_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit read and write the struct we own.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    Some(limit.rlim_cur)
}
