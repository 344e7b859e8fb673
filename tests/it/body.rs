//! Request bodies are read (so the connection can carry the next request) and
//! thrown away, up to -max-body-bytes.

use std::time::Duration;

use crate::support::{config, exchange_until_close, Client, TestServer};

#[tokio::test]
async fn content_length_body_then_next_request() {
    let server = TestServer::text("b").await;
    let mut client = Client::connect(server.addr).await;
    client
        .send(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world")
        .await;
    assert_eq!(client.response(false).await.body_text(), "b\n");
    client.send(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n").await;
    assert_eq!(client.response(false).await.status, 200);
}

#[tokio::test]
async fn body_arriving_in_pieces() {
    let server = TestServer::text("b").await;
    let mut client = Client::connect(server.addr).await;
    client
        .send(b"PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\nab")
        .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    client.send(b"cd").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    client.send(b"efGET / HTTP/1.1\r\nHost: h\r\n\r\n").await;
    assert_eq!(client.response(false).await.status, 200);
    assert_eq!(client.response(false).await.status, 200);
}

#[tokio::test]
async fn chunked_body_then_next_request() {
    let server = TestServer::text("c").await;
    let mut client = Client::connect(server.addr).await;
    client
        .send(
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\
              5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n\
              GET / HTTP/1.1\r\nHost: h\r\n\r\n",
        )
        .await;
    assert_eq!(client.response(false).await.body_text(), "c\n");
    assert_eq!(client.response(false).await.body_text(), "c\n");
}

#[tokio::test]
async fn expect_100_continue() {
    let server = TestServer::text("e").await;
    let mut client = Client::connect(server.addr).await;
    client
        .send(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        .await;
    let interim = client.response(false).await;
    assert_eq!(interim.status_line, "HTTP/1.1 100 Continue");
    client.send(b"data").await;
    assert_eq!(client.response(false).await.body_text(), "e\n");
}

#[tokio::test]
async fn large_body_within_limit_is_discarded() {
    let server = TestServer::text("big").await;
    let mut client = Client::connect(server.addr).await;
    let size = 4 << 20;
    client
        .send(format!("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: {size}\r\n\r\n").as_bytes())
        .await;
    let chunk = vec![b'x'; 64 * 1024];
    for _ in 0..size / chunk.len() {
        client.send(&chunk).await;
    }
    assert_eq!(client.response(false).await.body_text(), "big\n");
}

#[tokio::test]
async fn body_over_the_limit_gets_413_and_close() {
    let mut cfg = config("x");
    cfg.max_body_bytes = 1000;
    let server = TestServer::start(cfg).await;

    let declared = exchange_until_close(
        server.addr,
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1001\r\n\r\n",
    )
    .await;
    let text = String::from_utf8_lossy(&declared);
    assert!(
        text.starts_with("HTTP/1.1 413 Request Entity Too Large\r\n"),
        "{text}"
    );
    assert!(text.contains("Connection: close\r\n"));

    let chunked = exchange_until_close(
        server.addr,
        &[
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n".as_slice(),
            b"3e8\r\n",
            &[b'a'; 1000],
            b"\r\n1\r\nb\r\n0\r\n\r\n",
        ]
        .concat(),
    )
    .await;
    assert!(String::from_utf8_lossy(&chunked).starts_with("HTTP/1.1 413 "));
    // The server is fine afterwards.
    assert_eq!(crate::support::get(server.addr, "/").await.status, 200);
}
