//! `http-echo -watch=URL`: the rollout watcher. It sends GET requests to a URL
//! at a steady rate, for a duration or until SIGINT/SIGTERM, and reports how they
//! went: failures by kind, the versions and replicas that answered and when,
//! latency. A deploy runs it against the load balancer for the whole rollout; it
//! exits 0 only when no request failed.
//!
//! Requests alternate between a new connection each (`Connection: close`) and a
//! kept-alive one, the two ways clients meet a load balancer: the first catches
//! a closed port or a refused connection, the second a connection dropped by a
//! replica that goes away. Requests go out on a fixed schedule, not one after the
//! other, so a slow answer does not slow the watch: what a rollout does to users
//! is measured at the rate they arrive.

mod exchange;
mod expect;
mod latency;
mod summary;
mod tally;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::task::JoinSet;
use tokio::time::MissedTickBehavior;

use crate::config::{Trust, Watch};
use crate::{client_tls, clock, shutdown, signals, telemetry};
use exchange::{Client, Failure, FailureKind};
pub use expect::ExpectedStatus;
use tally::{Event, Expectation, Outcome, Tally};

/// How often a progress line goes to stderr.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);
/// Requests waiting for an answer at once. Reached only when answers take
/// longer than this many intervals (20 requests/s against a server that never
/// answers, with a 5 s timeout, keeps 100 waiting); further requests are then
/// skipped and counted, rather than opening sockets without bound.
const MAX_IN_FLIGHT: usize = 512;

/// Runs the watch and returns the exit code: 0 when every request succeeded, 1
/// when one failed, none was sent, or the watch could not start.
pub fn run(watch: &Watch) -> i32 {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            telemetry::error(&format!("failed to start: {error}"));
            return 1;
        }
    };
    runtime.block_on(async {
        let client = match tls_config(watch).and_then(|tls| Client::new(watch.url.clone(), tls)) {
            Ok(client) => Arc::new(client),
            Err(error) => {
                telemetry::error(&format!("cannot watch {}: {error}", url_text(watch)));
                return 1;
            }
        };
        let (trigger, stop) = shutdown::channel();
        if let Err(error) = signals::forward_to(trigger) {
            telemetry::error(&format!("failed to install signal handlers: {error}"));
            return 1;
        }
        let started = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let until = match watch.duration {
            Some(d) => format!("for {}", crate::duration::go_string(d)),
            None => "until SIGINT or SIGTERM".to_owned(),
        };
        telemetry::info(&format!(
            "watching {} at {} requests/s {until}",
            url_text(watch),
            watch.rate
        ));
        let began = Instant::now();
        let tally = send_until_stopped(watch, client, stop).await;
        let elapsed = began.elapsed();
        let header = summary::Header {
            url: &url_text(watch),
            started: &clock::rfc3339_utc_seconds(started),
            elapsed,
            rate: watch.rate,
            expect_status: watch.expect_status.as_str(),
            expect_text: &watch.expect_text,
        };
        println!("{}", summary::json(&header, &tally));
        let totals = format!(
            "watch ended after {}: {} requests, {} failed",
            seconds(elapsed),
            tally.requests,
            tally.failed
        );
        if tally.requests == 0 {
            telemetry::error(&format!("{totals}: no request was sent"));
            1
        } else if tally.failed > 0 {
            telemetry::error(&totals);
            1
        } else {
            telemetry::info(&totals);
            0
        }
    })
}

fn url_text(watch: &Watch) -> String {
    let url = &watch.url;
    let scheme = if url.tls { "https" } else { "http" };
    format!("{scheme}://{}{}", url.authority, url.path)
}

/// The client TLS configuration for `watch.trust`; only http/1.1 is offered.
fn tls_config(watch: &Watch) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut config = match (&watch.trust, watch.url.tls) {
        // Plain http: the configuration is never used, so no bundle is needed.
        (_, false) | (Trust::Any, true) => client_tls::unverified(),
        (Trust::Bundle(path), true) => client_tls::verified_by(path)?,
        (Trust::System, true) => match client_tls::system_bundle() {
            Some(path) => client_tls::verified_by(path)?,
            None => {
                return Err(format!(
                    "no CA bundle on this system (looked for {}); name one with -watch-ca=FILE, \
                     or skip verification with -watch-insecure",
                    client_tls::SYSTEM_BUNDLES.join(", ")
                ))
            }
        },
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The sending loop: one request per tick until the duration ends or a signal
/// comes, then waits for the requests still out (each ends within the timeout).
async fn send_until_stopped(
    watch: &Watch,
    client: Arc<Client>,
    mut stop: shutdown::ShutdownSignal,
) -> Tally {
    let expect = Expectation {
        status: watch.expect_status.clone(),
        text: watch.expect_text.clone(),
    };
    let began = Instant::now();
    let mut tally = Tally::default();
    let mut in_flight: JoinSet<Outcome> = JoinSet::new();
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / watch.rate));
    // After a stall, carry on at the rate rather than send the missed requests at once.
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut progress =
        tokio::time::interval_at(tokio::time::Instant::now() + PROGRESS_EVERY, PROGRESS_EVERY);
    let mut last_progress = Progress::default();
    let end = async {
        match watch.duration {
            Some(duration) => tokio::time::sleep(duration).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(end);
    let mut sent: u64 = 0;
    loop {
        tokio::select! {
            // Stopping comes first: no request is sent after the end.
            biased;
            _ = stop.recv() => break,
            () = &mut end => break,
            Some(done) = in_flight.join_next(), if !in_flight.is_empty() => {
                record(&mut tally, done, &expect, began);
            }
            _ = progress.tick() => {
                last_progress = report_progress(&tally, began.elapsed(), last_progress);
            }
            _ = ticks.tick() => {
                if in_flight.len() >= MAX_IN_FLIGHT {
                    tally.skipped += 1;
                    continue;
                }
                let keep_alive = sent % 2 == 1;
                sent += 1;
                let client = Arc::clone(&client);
                let timeout = watch.timeout;
                let sent_at = began.elapsed();
                in_flight.spawn(async move { request(&client, keep_alive, timeout, sent_at).await });
            }
        }
    }
    while let Some(done) = in_flight.join_next().await {
        record(&mut tally, done, &expect, began);
    }
    tally
}

/// One request, bounded by `timeout` from connecting to the last byte.
async fn request(
    client: &Client,
    keep_alive: bool,
    timeout: Duration,
    sent_at: Duration,
) -> Outcome {
    let started = Instant::now();
    let connection = if keep_alive {
        client.idle_connection()
    } else {
        None
    };
    let reused = connection.is_some();
    let result = match tokio::time::timeout(timeout, client.get(connection, keep_alive)).await {
        Ok(result) => result,
        Err(_) => Err(Failure {
            kind: FailureKind::Timeout,
            detail: format!(
                "no complete answer within {}",
                crate::duration::go_string(timeout)
            ),
        }),
    };
    Outcome {
        sent_at,
        latency: started.elapsed(),
        reused,
        result,
    }
}

fn record(
    tally: &mut Tally,
    done: Result<Outcome, tokio::task::JoinError>,
    expect: &Expectation,
    began: Instant,
) {
    let outcome = done.unwrap_or_else(|error| Outcome {
        sent_at: began.elapsed(),
        latency: Duration::ZERO,
        reused: false,
        result: Err(Failure {
            kind: FailureKind::Other,
            detail: format!("the request task failed: {error}"),
        }),
    });
    let at = outcome.sent_at;
    for event in tally.record(outcome, expect) {
        let line = match event {
            Event::NewVersion((app_version, text)) => format!(
                "new answer: version {}, text {text:?}",
                app_version.as_deref().unwrap_or("(none)")
            ),
            Event::NewReplica(replica) => format!("new replica: {replica}"),
            Event::FirstFailure(why, detail) => {
                format!("first failure of its kind: {}: {detail}", why.describe())
            }
        };
        telemetry::info(&format!("watch {}: {line}", seconds(at)));
    }
}

/// Counts at the last progress line, for the change since.
#[derive(Clone, Copy, Default)]
struct Progress {
    requests: u64,
    failed: u64,
}

fn report_progress(tally: &Tally, elapsed: Duration, last: Progress) -> Progress {
    let mut line = format!(
        "watch {}: {} requests (+{}), {} failed (+{})",
        seconds(elapsed),
        tally.requests,
        tally.requests - last.requests,
        tally.failed,
        tally.failed - last.failed
    );
    if let (Some(p50), Some(p99)) = (
        tally.latency.percentile_micros(0.5),
        tally.latency.percentile_micros(0.99),
    ) {
        line.push_str(&format!(
            ", p50 {:.1}ms p99 {:.1}ms",
            p50 as f64 / 1000.0,
            p99 as f64 / 1000.0
        ));
    }
    let kinds: Vec<String> = tally
        .failures
        .iter()
        .map(|(why, count)| format!("{} {count}", why.describe()))
        .collect();
    if !kinds.is_empty() {
        line.push_str(&format!(" ({})", kinds.join(", ")));
    }
    if let Some(((app_version, text), _)) = tally
        .versions
        .entries
        .iter()
        .max_by_key(|(_, seen)| seen.last)
    {
        line.push_str(&format!(
            "; latest answer: version {}, text {text:?}",
            app_version.as_deref().unwrap_or("(none)")
        ));
    }
    telemetry::info(&line);
    Progress {
        requests: tally.requests,
        failed: tally.failed,
    }
}

fn seconds(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}
