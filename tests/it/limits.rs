//! Limits for clients that misbehave: slow headers, huge headers, too many
//! connections, idle keep-alive connections.

use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;

use crate::support::{config, exchange_until_close, get, Client, TestServer};

#[tokio::test]
async fn slow_headers_are_cut_off_with_408() {
    let mut cfg = config("x");
    cfg.header_read_timeout = Duration::from_millis(300);
    let server = TestServer::start(cfg).await;
    let mut client = Client::connect(server.addr).await;
    let started = Instant::now();
    // A slowloris: a byte at a time, never finishing the head.
    client.send(b"GET / HTTP/1.1\r\nHost: h\r\n").await;
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if client.stream.write_all(b"X").await.is_err() {
            break;
        }
    }
    let response = client.try_response(false).await.expect("a 408 answer");
    assert_eq!(response.status_line, "HTTP/1.1 408 Request Timeout");
    assert!(client.closed_within(Duration::from_secs(2)).await);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "cut off after {took:?}");
    // Everyone else is served as usual.
    assert_eq!(get(server.addr, "/").await.status, 200);
}

#[tokio::test]
async fn silent_clients_are_closed_after_the_header_read_timeout_and_lock_nobody_out() {
    let mut cfg = config("x");
    cfg.header_read_timeout = Duration::from_millis(500);
    cfg.max_connections = 4;
    let server = TestServer::start(cfg).await;
    // Four clients that connect and never send a request: what a slowloris
    // does first. The kernel hands each to the server once its first bytes
    // arrive, or a second after it connected; the header read timeout runs
    // from then, as for a request head, not the idle timeout (75 s).
    let mut silent = Vec::new();
    for _ in 0..4 {
        silent.push(Client::connect(server.addr).await);
    }
    let started = Instant::now();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    // A fifth client is served while they are held.
    assert_eq!(get(server.addr, "/").await.status, 200);
    for client in &mut silent {
        // Closed without an answer: there was no request to answer.
        assert!(client.closed_within(Duration::from_secs(3)).await);
    }
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(3),
        "silent clients closed after {took:?}"
    );
}

#[tokio::test]
async fn idle_keep_alive_connections_close_after_the_idle_timeout() {
    let mut cfg = config("x");
    cfg.idle_timeout = Duration::from_millis(300);
    let server = TestServer::start(cfg).await;
    let mut client = Client::connect(server.addr).await;
    client.send(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n").await;
    assert_eq!(client.response(false).await.status, 200);
    // Activity pushes the deadline out...
    tokio::time::sleep(Duration::from_millis(200)).await;
    client.send(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n").await;
    assert_eq!(client.response(false).await.status, 200);
    tokio::time::sleep(Duration::from_millis(200)).await;
    client.send(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n").await;
    assert_eq!(client.response(false).await.status, 200);
    // ...and silence ends the connection.
    let started = Instant::now();
    assert!(client.closed_within(Duration::from_secs(3)).await);
    assert!(started.elapsed() >= Duration::from_millis(250));
}

#[tokio::test]
async fn oversized_headers_get_431() {
    let mut cfg = config("x");
    cfg.max_header_bytes = 4096;
    let server = TestServer::start(cfg).await;
    let big = format!(
        "GET / HTTP/1.1\r\nHost: h\r\nCookie: {}\r\n\r\n",
        "a".repeat(5000)
    );
    let answer = exchange_until_close(server.addr, big.as_bytes()).await;
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
        "{text}"
    );
    assert!(text.ends_with("431 Request Header Fields Too Large"));

    // Just under the limit is fine.
    let fits = format!(
        "GET / HTTP/1.1\r\nHost: h\r\nCookie: {}\r\n\r\n",
        "a".repeat(3900)
    );
    let mut client = Client::connect(server.addr).await;
    client.send(fits.as_bytes()).await;
    assert_eq!(client.response(false).await.status, 200);

    // Too many headers counts as too large.
    let many = format!(
        "GET / HTTP/1.1\r\nHost: h\r\n{}\r\n",
        "A: b\r\n".repeat(150)
    );
    let answer = exchange_until_close(server.addr, many.as_bytes()).await;
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 431 "));
}

#[tokio::test]
async fn connection_cap_holds_and_existing_connections_keep_working() {
    let mut cfg = config("cap");
    cfg.max_connections = 2;
    let server = TestServer::start(cfg).await;
    let mut first = Client::connect(server.addr).await;
    let mut second = Client::connect(server.addr).await;
    for client in [&mut first, &mut second] {
        client.send(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n").await;
        assert_eq!(client.response(false).await.status, 200);
    }
    // A third client connects (the kernel queues it) but is not served.
    let mut third = Client::connect(server.addr).await;
    third.send(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n").await;
    let waited = tokio::time::timeout(Duration::from_millis(500), third.response(false)).await;
    assert!(
        waited.is_err(),
        "a third connection was served past the cap of 2"
    );
    // The two admitted connections are still answered.
    first.send(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n").await;
    assert_eq!(first.response(false).await.status, 200);
    // When one leaves, the waiting one gets its answer.
    drop(second);
    assert_eq!(third.response(false).await.body_text(), "cap\n");
}
