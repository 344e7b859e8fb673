//! SIGTERM and SIGINT with the real binary: drain in-flight requests, close idle
//! connections, the drain limit, the shutdown delay, exit codes.

use std::time::{Duration, Instant};

use crate::support::{get, Binary, Client, SIGINT, SIGTERM};

#[tokio::test]
async fn sigterm_lets_an_in_flight_request_finish_then_exits_2() {
    let (mut binary, addr) = Binary::serve(&["-text=drained"], &[]);
    let mut slow = Client::connect(addr).await;
    // The head and half the body: the request is in flight.
    slow.send(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nhalf-")
        .await;
    let mut idle = Client::connect(addr).await;
    idle.send(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n").await;
    assert_eq!(idle.response(false).await.status, 200);

    binary.signal(SIGTERM);
    binary.wait_for_stderr(
        "[INFO] received interrupt, shutting down...",
        Duration::from_secs(5),
    );
    // Idle connections are closed at once; new ones are refused.
    assert!(idle.closed_within(Duration::from_secs(2)).await);
    let refused = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            if tokio::net::TcpStream::connect(addr).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    refused.await.expect("the listener closed");

    slow.send(b"body!").await;
    let response = slow.response(false).await;
    assert_eq!(response.body_text(), "drained\n");
    assert_eq!(response.header("Connection"), Some("close"));
    let status = binary.wait(Duration::from_secs(5));
    assert_eq!(status.code(), Some(2));
    // The request finished during the drain is in the access log.
    assert!(
        binary.stdout().contains("\"POST / HTTP/1.1\" 200 8"),
        "{}",
        binary.stdout()
    );
}

#[tokio::test]
async fn sigint_works_too_and_an_idle_server_stops_at_once() {
    let (mut binary, addr) = Binary::serve(&["-text=x"], &[]);
    assert_eq!(get(addr, "/").await.status, 200);
    let started = Instant::now();
    binary.signal(SIGINT);
    assert_eq!(binary.wait(Duration::from_secs(5)).code(), Some(2));
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn the_drain_limit_defaults_to_5s_then_exits_1() {
    let (mut binary, addr) = Binary::serve(&["-text=x"], &[]);
    let mut stuck = Client::connect(addr).await;
    stuck
        .send(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nnever")
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    binary.signal(SIGTERM);
    let status = binary.wait(Duration::from_secs(10));
    let took = started.elapsed();
    assert_eq!(status.code(), Some(1));
    assert!(
        took >= Duration::from_millis(4900) && took < Duration::from_millis(6500),
        "took {took:?}"
    );
    binary.wait_for_stderr(
        "[ERR] failed to shutdown server: context deadline exceeded",
        Duration::from_secs(1),
    );
}

#[tokio::test]
async fn shutdown_timeout_flag_shortens_the_drain_limit() {
    let (mut binary, addr) = Binary::serve(&["-text=x", "-shutdown-timeout=500ms"], &[]);
    let mut stuck = Client::connect(addr).await;
    stuck.send(b"GET / HTTP/1.1\r\nHost: h\r\n").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    binary.signal(SIGTERM);
    assert_eq!(binary.wait(Duration::from_secs(5)).code(), Some(1));
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn shutdown_delay_fails_health_and_closes_connections_while_serving() {
    let (mut binary, addr) = Binary::serve(&["-text=still here", "-shutdown-delay=1s"], &[]);
    let mut client = Client::connect(addr).await;
    client
        .send(b"GET /health HTTP/1.1\r\nHost: h\r\n\r\n")
        .await;
    assert_eq!(client.response(false).await.status, 200);

    let started = Instant::now();
    binary.signal(SIGTERM);
    binary.wait_for_stderr("received interrupt", Duration::from_secs(5));
    // The operator is told what the delay does, and when it ends.
    binary.wait_for_stderr(
        "[INFO] shutdown delay: serving for 1s more with /health answering 503 \
         and every answer closing its connection",
        Duration::from_secs(1),
    );

    // Keep-alive connection: its next answer says goodbye.
    client.send(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n").await;
    let response = client.response(false).await;
    assert_eq!(response.body_text(), "still here\n");
    assert_eq!(response.header("Connection"), Some("close"));
    assert!(client.closed_within(Duration::from_secs(1)).await);

    // New connections are still accepted; the health check fails.
    let health = get(addr, "/health").await;
    assert_eq!(health.status, 503);
    assert_eq!(health.header("Connection"), Some("close"));
    assert_eq!(get(addr, "/").await.body_text(), "still here\n");

    assert_eq!(binary.wait(Duration::from_secs(5)).code(), Some(2));
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    binary.wait_for_stderr(
        "[INFO] draining: the listener is closed; open connections have 5s to finish",
        Duration::from_secs(1),
    );
}

#[tokio::test]
async fn a_second_interrupt_skips_the_rest_of_the_delay() {
    let (mut binary, _addr) = Binary::serve(&["-text=x", "-shutdown-delay=30s"], &[]);
    binary.signal(SIGINT);
    binary.wait_for_stderr("received interrupt", Duration::from_secs(5));
    let started = Instant::now();
    binary.signal(SIGINT);
    assert_eq!(binary.wait(Duration::from_secs(5)).code(), Some(2));
    assert!(started.elapsed() < Duration::from_secs(2));
    binary.wait_for_stderr(
        "skipping the rest of the shutdown delay",
        Duration::from_secs(1),
    );
}

#[tokio::test]
async fn a_repeated_sigterm_does_not_shorten_the_delay() {
    // Orchestrators may send SIGTERM twice; the delay must hold regardless.
    let (mut binary, addr) = Binary::serve(&["-text=x", "-shutdown-delay=1s"], &[]);
    let started = Instant::now();
    binary.signal(SIGTERM);
    binary.wait_for_stderr("received interrupt", Duration::from_secs(5));
    binary.signal(SIGTERM);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        get(addr, "/health").await.status,
        503,
        "still serving during the delay"
    );
    assert_eq!(binary.wait(Duration::from_secs(5)).code(), Some(2));
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
}
