//! The HTTP contract of upstream http-echo: status, body, headers, HEAD, 204/304,
//! /health, keep-alive rules, pipelining.

use http_echo::version::VERSION;

use crate::support::{config, get, Client, TestServer};

#[tokio::test]
async fn every_path_and_method_gets_the_text_and_headers() {
    let server = TestServer::text("hello-world").await;
    for request in [
        "GET / HTTP/1.1",
        "GET /any/path?q=1 HTTP/1.1",
        "POST /x HTTP/1.1",
        "DELETE /y HTTP/1.1",
        "OPTIONS * HTTP/1.1",
        "PATCH /health/ HTTP/1.1",
    ] {
        let mut client = Client::connect(server.addr).await;
        client
            .send(format!("{request}\r\nHost: h\r\n\r\n").as_bytes())
            .await;
        let response = client.response(false).await;
        assert_eq!(response.status_line, "HTTP/1.1 200 OK", "{request}");
        assert_eq!(response.body_text(), "hello-world\n", "{request}");
        assert_eq!(response.header("X-App-Name"), Some("http-echo"));
        assert_eq!(response.header("X-App-Version"), Some(VERSION));
        assert_eq!(
            response.header("Content-Type"),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(response.header("Content-Length"), Some("12"));
        assert!(response.header("Date").is_some_and(|d| d.ends_with(" GMT")));
    }
}

#[tokio::test]
async fn status_code_applies_to_all_but_health() {
    let mut cfg = config("teapot");
    cfg.status_code = 418;
    let server = TestServer::start(cfg).await;
    let response = get(server.addr, "/").await;
    assert_eq!(response.status_line, "HTTP/1.1 418 I'm a teapot");
    assert_eq!(response.body_text(), "teapot\n");
    let health = get(server.addr, "/health").await;
    assert_eq!(health.status, 200);
    assert_eq!(health.body_text(), "{\"status\":\"ok\"}\n");
    assert_eq!(health.header("X-App-Name"), Some("http-echo"));
    // Query strings do not change the route, as in Go's ServeMux.
    assert_eq!(get(server.addr, "/health?verbose=1").await.status, 200);
    assert_eq!(get(server.addr, "/healthz").await.status, 418);
}

#[tokio::test]
async fn unknown_status_codes_get_gos_reason() {
    let mut cfg = config("x");
    cfg.status_code = 599;
    let server = TestServer::start(cfg).await;
    assert_eq!(
        get(server.addr, "/").await.status_line,
        "HTTP/1.1 599 status code 599"
    );
}

#[tokio::test]
async fn head_gets_headers_only() {
    let server = TestServer::text("hello").await;
    let mut client = Client::connect(server.addr).await;
    client
        .send(b"HEAD / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")
        .await;
    let head = client.response(true).await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("Content-Length"), Some("6"));
    assert!(head.body.is_empty());
    // The next response starts right after the head: no body bytes were sent.
    let next = client.response(false).await;
    assert_eq!(next.body_text(), "hello\n");
}

#[tokio::test]
async fn no_body_statuses_send_no_body() {
    for code in [204u16, 304] {
        let mut cfg = config("ignored");
        cfg.status_code = code;
        let server = TestServer::start(cfg).await;
        let mut client = Client::connect(server.addr).await;
        client
            .send(b"GET / HTTP/1.1\r\nHost: h\r\n\r\nGET /health HTTP/1.1\r\nHost: h\r\n\r\n")
            .await;
        let response = client.response(false).await;
        assert_eq!(response.status, code);
        assert_eq!(response.header("Content-Length"), None);
        assert_eq!(response.header("Content-Type"), None);
        assert_eq!(response.header("X-App-Name"), Some("http-echo"));
        // Had a body been sent, this would read it as garbage.
        assert_eq!(client.response(false).await.status, 200);
    }
}

#[tokio::test]
async fn informational_status_is_sent_before_a_200_as_go_does() {
    let mut cfg = config("early");
    cfg.status_code = 103;
    let server = TestServer::start(cfg).await;
    let mut client = Client::connect(server.addr).await;
    client.send(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n").await;
    let interim = client.response(false).await;
    assert_eq!(interim.status_line, "HTTP/1.1 103 Early Hints");
    let last = client.response(false).await;
    assert_eq!((last.status, last.body_text().as_str()), (200, "early\n"));
}

#[tokio::test]
async fn a_configured_101_is_answered_with_200_and_never_switches_protocols() {
    let mut cfg = config("no switch");
    cfg.status_code = 101;
    let server = TestServer::start(cfg).await;
    let mut client = Client::connect(server.addr).await;
    // A 101 to an Upgrade request would make a proxy in front tunnel the rest.
    client
        .send(
            b"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n\
              GET /next HTTP/1.1\r\nHost: h\r\n\r\n",
        )
        .await;
    for _ in 0..2 {
        let response = client.response(false).await;
        assert_eq!(response.status_line, "HTTP/1.1 200 OK");
        assert_eq!(response.body_text(), "no switch\n");
    }
    // The configured code is what the log reports, as for other 1xx codes.
    let lines = server.log.lines(1).await;
    assert!(lines[0].contains("\"GET / HTTP/1.1\" 101 10 "), "{lines:?}");
}

#[tokio::test]
async fn html_text_is_sniffed_as_html() {
    let server = TestServer::text("<html><body>Hi</body></html>").await;
    let response = get(server.addr, "/").await;
    assert_eq!(
        response.header("Content-Type"),
        Some("text/html; charset=utf-8")
    );
}

#[tokio::test]
async fn keep_alive_and_pipelining() {
    let server = TestServer::text("k").await;
    let mut client = Client::connect(server.addr).await;
    for _ in 0..3 {
        client.send(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n").await;
        let response = client.response(false).await;
        assert_eq!(response.body_text(), "k\n");
        assert_eq!(response.header("Connection"), None);
    }
    // Ten requests in one write, answered in order on the same connection.
    let batch = "GET /p HTTP/1.1\r\nHost: h\r\n\r\n".repeat(10);
    client.send(batch.as_bytes()).await;
    for _ in 0..10 {
        assert_eq!(client.response(false).await.status, 200);
    }
}

#[tokio::test]
async fn connection_close_and_http10() {
    let server = TestServer::text("c").await;

    let mut client = Client::connect(server.addr).await;
    client
        .send(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        .await;
    let response = client.response(false).await;
    assert_eq!(response.header("Connection"), Some("close"));
    assert!(
        client
            .closed_within(std::time::Duration::from_secs(2))
            .await
    );

    let mut client = Client::connect(server.addr).await;
    client.send(b"GET / HTTP/1.0\r\n\r\n").await;
    let response = client.response(false).await;
    assert_eq!(response.status_line, "HTTP/1.0 200 OK");
    assert!(
        client
            .closed_within(std::time::Duration::from_secs(2))
            .await
    );

    let mut client = Client::connect(server.addr).await;
    client
        .send(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        .await;
    let response = client.response(false).await;
    assert_eq!(response.header("Connection"), Some("keep-alive"));
    client
        .send(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        .await;
    assert_eq!(client.response(false).await.status, 200);
}

#[tokio::test]
async fn absolute_form_and_percent_encoding() {
    let server = TestServer::text("p").await;
    let mut client = Client::connect(server.addr).await;
    client
        .send(b"GET http://example.test/he%61lth HTTP/1.1\r\nHost: ignored\r\n\r\n")
        .await;
    let response = client.response(false).await;
    assert_eq!(
        response.body_text(),
        "{\"status\":\"ok\"}\n",
        "decoded path is /health"
    );
}
