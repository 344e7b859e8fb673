//! Bad input gets one clear answer and nothing crashes: garbage, truncated
//! requests, smuggling shapes, TLS spoken to a plain port.

use std::time::Duration;

use tokio::io::AsyncWriteExt;

use crate::support::{config, exchange_until_close, get, Client, TestServer};

#[tokio::test]
async fn garbage_gets_400_and_the_server_keeps_serving() {
    let server = TestServer::text("alive").await;
    let cases: [&[u8]; 6] = [
        b"\x00\x01\x02\x03garbage\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost h\r\n\r\n",
        b"GET\r\n\r\n",
        // A TLS ClientHello on the plain port.
        b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n",
    ];
    for garbage in cases {
        let answer = exchange_until_close(server.addr, garbage).await;
        let text = String::from_utf8_lossy(&answer);
        assert!(
            text.starts_with("HTTP/1.1 400 Bad Request"),
            "{garbage:?} -> {text}"
        );
        assert!(text.contains("Connection: close\r\n"));
    }
    let unsupported = exchange_until_close(server.addr, b"GET / HTTP/2.0\r\n\r\n").await;
    assert!(String::from_utf8_lossy(&unsupported).starts_with("HTTP/1.1 505 "));
    let te = exchange_until_close(
        server.addr,
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
    )
    .await;
    assert!(String::from_utf8_lossy(&te).starts_with("HTTP/1.1 501 "));
    assert_eq!(get(server.addr, "/").await.body_text(), "alive\n");
}

#[tokio::test]
async fn error_answers_to_head_have_no_body() {
    let mut cfg = config("x");
    cfg.max_body_bytes = 10;
    cfg.header_read_timeout = Duration::from_millis(300);
    let server = TestServer::start(cfg).await;
    for (request, status_line) in [
        (&b"HEAD / HTTP/1.1\r\n\r\n"[..], "HTTP/1.1 400 Bad Request"),
        (
            b"HEAD / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n",
            "HTTP/1.1 413 Request Entity Too Large",
        ),
        (
            b"HEAD / HTTP/1.1\r\nHost: h\r\nExpect: magic\r\n\r\n",
            "HTTP/1.1 417 Expectation Failed",
        ),
        (
            b"HEAD / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
            "HTTP/1.1 501 Not Implemented",
        ),
        (
            b"HEAD / HTTP/2.0\r\n\r\n",
            "HTTP/1.1 505 HTTP Version Not Supported",
        ),
        (
            b"HEAD / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "HTTP/1.1 400 Bad Request",
        ),
        // Too slow: 408 once the header-read timeout passes.
        (
            b"HEAD / HTTP/1.1\r\nHost: h\r\n",
            "HTTP/1.1 408 Request Timeout",
        ),
    ] {
        let answer = exchange_until_close(server.addr, request).await;
        let text = String::from_utf8_lossy(&answer);
        assert!(text.starts_with(status_line), "{text}");
        // The headers say how long the body would be; the body is not sent.
        assert!(text.contains("Content-Length: "), "{text}");
        assert!(text.ends_with("\r\n\r\n"), "a body follows: {text:?}");
    }
}

#[tokio::test]
async fn truncated_requests_are_dropped_quietly() {
    let server = TestServer::text("alive").await;
    for partial in [
        &b"GET / HT"[..],
        b"GET / HTTP/1.1\r\nHost: h\r\n",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nonly-part",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
    ] {
        let mut client = Client::connect(server.addr).await;
        client.send(partial).await;
        client.stream.shutdown().await.unwrap();
        // The server closes its side too, without an answer for half a request.
        assert!(client.closed_within(Duration::from_secs(2)).await);
    }
    assert_eq!(get(server.addr, "/").await.status, 200);
    let lines = server.log.lines(1).await;
    assert_eq!(
        lines.len(),
        1,
        "only the complete request was logged: {lines:?}"
    );
}

#[tokio::test]
async fn a_storm_of_abrupt_disconnects_leaves_the_server_healthy() {
    let server = TestServer::text("alive").await;
    for i in 0..200u32 {
        let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        let request = b"GET / HTTP/1.1\r\nHost: h\r\n\r\n";
        let _ = stream
            .write_all(&request[..(i as usize % request.len())])
            .await;
        // Closing with unread data sends a reset.
        let _ = stream.set_zero_linger();
        drop(stream);
    }
    assert_eq!(get(server.addr, "/health").await.status, 200);
}
