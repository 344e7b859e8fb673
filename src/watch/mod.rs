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
//! is measured at the rate they arrive. Each request runs on its own thread and
//! reports to the sending loop, which alone counts.

// The HTTP/1 client is also what -served-by reads the ECS task metadata with.
pub(crate) mod exchange;
mod expect;
mod latency;
mod summary;
mod tally;

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::config::{Trust, Watch};
use crate::{client_tls, clock, shutdown, signals, telemetry};
use exchange::{Client, Failure, FailureKind};
pub use expect::ExpectedStatus;
use summary::decimal;
use tally::{Event, Expectation, Outcome, Tally};

/// How often a progress line goes to stderr.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);
/// Requests waiting for an answer at once, each on its own thread. Reached only
/// when answers take longer than this many intervals (20 requests/s against a
/// server that never answers, with a 5 s timeout, keeps 100 waiting); further
/// requests are then skipped and counted, rather than starting threads without
/// bound.
const MAX_IN_FLIGHT: u64 = 512;
/// A request thread needs little: no recursion, buffers of a few KiB.
const REQUEST_STACK_BYTES: usize = 256 * 1024;
/// After the timeout, how long the end of the watch still waits for a request
/// thread to report (a name lookup is the one step no timeout bounds).
const REPORT_GRACE: Duration = Duration::from_secs(1);

/// What the sending loop hears about.
enum Message {
    Done(Outcome),
    Stop,
}

/// Runs the watch and returns the exit code: 0 when every request succeeded, 1
/// when one failed, none was sent, or the watch could not start.
pub fn run(watch: &Watch) -> i32 {
    let user_agent = format!("http-echo-watch/{}", crate::version::VERSION);
    let client =
        match tls_config(watch).and_then(|tls| Client::new(watch.url.clone(), tls, &user_agent)) {
            Ok(client) => Arc::new(client),
            Err(error) => {
                telemetry::error(&format!("cannot watch {}: {error}", url_text(watch)));
                return 1;
            }
        };
    let (messages, inbox) = mpsc::channel();
    if let Err(error) = stop_on_signals(messages.clone()) {
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
    let tally = send_until_stopped(watch, &client, &messages, &inbox, began);
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
}

/// The first SIGINT or SIGTERM becomes [`Message::Stop`]. The handlers are in
/// place when this returns, so a signal from then on is never lost.
fn stop_on_signals(messages: Sender<Message>) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    let (trigger, mut signal) = shutdown::channel();
    {
        let _context = runtime.enter();
        signals::forward_to(trigger)?;
    }
    std::thread::Builder::new()
        .name("signals".to_owned())
        .spawn(move || {
            runtime.block_on(signal.recv());
            let _ = messages.send(Message::Stop);
        })?;
    Ok(())
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
fn send_until_stopped(
    watch: &Watch,
    client: &Arc<Client>,
    messages: &Sender<Message>,
    inbox: &Receiver<Message>,
    began: Instant,
) -> Tally {
    let expect = Expectation {
        status: watch.expect_status.clone(),
        text: watch.expect_text.clone(),
    };
    let period = Duration::from_secs(1) / watch.rate;
    let end = watch.duration.map(|d| began + d);
    let mut tally = Tally::default();
    let mut next_request = began;
    let mut next_progress = began + PROGRESS_EVERY;
    let mut last_progress = Progress::default();
    let mut sent: u64 = 0;
    let mut last_sent = began;
    loop {
        let now = Instant::now();
        // Stopping comes first: no request is sent after the end.
        if end.is_some_and(|end| now >= end) {
            break;
        }
        if now >= next_request {
            if sent - tally.requests >= MAX_IN_FLIGHT {
                tally.skipped += 1;
            } else if spawn_request(client, messages, sent % 2 == 1, watch.timeout, began) {
                sent += 1;
                last_sent = now;
            } else {
                tally.skipped += 1;
            }
            next_request += period;
            if next_request < now {
                // After a stall, carry on at the rate rather than send the
                // missed requests at once.
                next_request = now + period;
            }
        }
        if now >= next_progress {
            last_progress = report_progress(&tally, now - began, last_progress);
            next_progress += PROGRESS_EVERY;
        }
        let wake = [Some(next_request), Some(next_progress), end]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(next_request);
        match inbox.recv_timeout(wake.saturating_duration_since(Instant::now())) {
            Ok(Message::Done(outcome)) => record(&mut tally, outcome, &expect),
            Ok(Message::Stop) => break,
            Err(RecvTimeoutError::Timeout) => {}
            // This function holds a sender, so the channel cannot close.
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    let give_up = last_sent + watch.timeout + REPORT_GRACE;
    while tally.requests < sent {
        match inbox.recv_timeout(give_up.saturating_duration_since(Instant::now())) {
            Ok(Message::Done(outcome)) => record(&mut tally, outcome, &expect),
            Ok(Message::Stop) => {}
            Err(_) => break,
        }
    }
    // A thread still out (stuck in a name lookup) is a request without an answer.
    while tally.requests < sent {
        let outcome = Outcome {
            sent_at: last_sent - began,
            latency: watch.timeout,
            reused: false,
            result: Err(Failure::new(
                FailureKind::Timeout,
                "the request never returned",
            )),
        };
        record(&mut tally, outcome, &expect);
    }
    tally
}

/// Starts one request on its own thread; `false` if no thread could be started.
fn spawn_request(
    client: &Arc<Client>,
    messages: &Sender<Message>,
    keep_alive: bool,
    timeout: Duration,
    began: Instant,
) -> bool {
    let client = Arc::clone(client);
    let messages = messages.clone();
    std::thread::Builder::new()
        .stack_size(REQUEST_STACK_BYTES)
        .spawn(move || {
            let outcome = request(&client, keep_alive, timeout, began);
            let _ = messages.send(Message::Done(outcome));
        })
        .is_ok()
}

/// One request, bounded by `timeout` from connecting to the last byte.
fn request(client: &Client, keep_alive: bool, timeout: Duration, began: Instant) -> Outcome {
    let started = Instant::now();
    let connection = if keep_alive {
        client.idle_connection()
    } else {
        None
    };
    let reused = connection.is_some();
    let mut result = client.get(connection, keep_alive, started + timeout);
    let latency = started.elapsed();
    if latency > timeout {
        // Every read and write is bounded; a slow name lookup is not.
        result = Err(Failure::new(FailureKind::Timeout, "no answer in time"));
    }
    if let Err(failure) = &mut result {
        if failure.kind == FailureKind::Timeout {
            failure.detail = format!(
                "no complete answer within {}",
                crate::duration::go_string(timeout)
            );
        }
    }
    Outcome {
        sent_at: started - began,
        latency,
        reused,
        result,
    }
}

fn record(tally: &mut Tally, outcome: Outcome, expect: &Expectation) {
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
        tally.latency.percentile_micros(500),
        tally.latency.percentile_micros(990),
    ) {
        line.push_str(&format!(
            ", p50 {}ms p99 {}ms",
            decimal(p50 / 100, 1),
            decimal(p99 / 100, 1)
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

/// `12.3s`, as progress lines say it.
fn seconds(d: Duration) -> String {
    let tenths = u64::try_from(d.as_millis() / 100).unwrap_or(u64::MAX);
    format!("{}s", decimal(tenths, 1))
}
