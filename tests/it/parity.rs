//! One reply for both protocols: for every endpoint and state, an HTTP/2 answer
//! carries exactly the header fields, status and body of the HTTP/1.1 answer
//! (less `Connection`, which HTTP/2 forbids), with the opt-in flags off and on.
//! With them off, every HTTP/1 answer is pinned byte for byte: upstream's.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use http_echo::config::{self, Command};
use http_echo::faults::{ErrorRate, Faults};
use http_echo::served_by::Replica;
use http_echo::version::VERSION;
use hyper::client::conn::http2::SendRequest;
use tokio::io::AsyncWriteExt;

use crate::support::{config, exchange_until_close, Client, H2Body, TestCertificate, TestServer};

/// What a comparison looks at: status, header fields (sorted, `Date` by
/// presence only) and body.
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    status: u16,
    fields: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn new(status: u16, fields: impl Iterator<Item = (String, String)>, body: Vec<u8>) -> Answer {
        let mut fields: Vec<(String, String)> = fields
            .map(|(name, value)| {
                let name = name.to_ascii_lowercase();
                let value = if name == "date" {
                    "<a date>".to_owned()
                } else {
                    value
                };
                (name, value)
            })
            .filter(|(name, _)| name != "connection")
            .collect();
        fields.sort();
        Answer {
            status,
            fields,
            body,
        }
    }
}

/// The HTTP/1.1 answer to `request` (a request line and extra header lines, the
/// Host is added), on a fresh TLS connection.
async fn over_http1(
    cert: &TestCertificate,
    server: &TestServer,
    request: &str,
    body: &[u8],
) -> Answer {
    let tls = cert.connect(server.addr, &[b"http/1.1"]).await;
    let mut client = Client::over(tls);
    let mut bytes = format!("{request}\r\nHost: localhost\r\n").into_bytes();
    if !body.is_empty() {
        bytes.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    bytes.extend_from_slice(b"\r\n");
    bytes.extend_from_slice(body);
    client.send(&bytes).await;
    client.stream.flush().await.unwrap();
    let response = client.response(request.starts_with("HEAD ")).await;
    Answer::new(response.status, response.headers.into_iter(), response.body)
}

async fn over_http2(sender: &mut SendRequest<H2Body>, request: hyper::Request<H2Body>) -> Answer {
    let response = sender.send_request(request).await.expect("h2 response");
    assert_eq!(response.version(), hyper::Version::HTTP_2);
    let status = response.status().as_u16();
    let fields: Vec<(String, String)> = response
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Answer::new(status, fields.into_iter(), body.to_vec())
}

fn h2_request(method: &str, target: &str, body: &'static [u8]) -> hyper::Request<H2Body> {
    let body = if body.is_empty() {
        Empty::<Bytes>::new().boxed()
    } else {
        Full::new(Bytes::from_static(body)).boxed()
    };
    // CONNECT names an authority, every other method a path.
    let uri = if method == "CONNECT" {
        target.to_owned()
    } else {
        format!("https://localhost{target}")
    };
    hyper::Request::builder()
        .method(method)
        .uri(uri)
        .body(body)
        .unwrap()
}

/// Every endpoint over both protocols, each answer checked by `check`.
async fn compare_every_endpoint(
    server: &TestServer,
    cert: &TestCertificate,
    statuses: [u16; 8],
    check: impl Fn(&Answer),
) {
    let mut h2 = cert.h2_client(server.addr).await;
    for ((method, path, body), status) in [
        ("GET", "/", &b""[..]),
        ("GET", "/health", b""),
        ("HEAD", "/", b""),
        ("HEAD", "/health", b""),
        ("POST", "/any", b"0123456789"),
        ("POST", "/", b"0123456789+"),
        ("GET", "/%zz", b""),
        ("CONNECT", "localhost:443", b""),
    ]
    .into_iter()
    .zip(statuses)
    {
        let one = over_http1(cert, server, &format!("{method} {path} HTTP/1.1"), body).await;
        let two = over_http2(&mut h2, h2_request(method, path, body)).await;
        assert_eq!(one.status, status, "{method} {path}: {one:?}");
        assert_eq!(one, two, "{method} {path}");
        check(&one);
    }
}

#[tokio::test]
async fn every_endpoint_answers_alike_over_http1_and_http2() {
    let cert = TestCertificate::new("parity");
    let mut cfg = config("same\tboth ways");
    cfg.tls = Some(cert.files.clone());
    cfg.max_body_bytes = 10;
    let server = TestServer::start(cfg).await;
    let statuses = [200, 200, 200, 200, 200, 413, 400, 404];
    compare_every_endpoint(&server, &cert, statuses, |answer| {
        assert!(!answer.fields.iter().any(|(name, _)| name == "x-served-by"));
    })
    .await;
}

#[tokio::test]
async fn with_every_new_flag_on_both_protocols_still_answer_alike() {
    let cert = TestCertificate::new("parity-flags");
    let mut cfg = config("same\tboth ways");
    cfg.tls = Some(cert.files.clone());
    cfg.max_body_bytes = 10;
    cfg.served_by = true;
    // Every echo fails, /health says it is starting, and each answer but
    // /health waits a little.
    cfg.faults = Faults {
        delay: Some(Duration::from_millis(5)),
        error_rate: ErrorRate::parse("1").unwrap(),
        ready_after: Some(Duration::from_secs(3600)),
        unhealthy_after: None,
    };
    let replica = Replica::from_pairs(&[("task", "abc"), ("az", "us-east-1b")]);
    let server = TestServer::serving_as(cfg, Some(&replica)).await;
    let statuses = [503, 503, 503, 503, 503, 413, 400, 404];
    compare_every_endpoint(&server, &cert, statuses, |answer| {
        let served_by = (
            "x-served-by".to_owned(),
            "task=abc az=us-east-1b".to_owned(),
        );
        assert!(answer.fields.contains(&served_by), "{answer:?}");
    })
    .await;
}

/// The configuration the binary would run with for `args`: every flag not
/// given at its default, as parsed.
fn parsed_config(args: &[&str]) -> http_echo::config::Config {
    let args = args.iter().map(|arg| arg.to_string());
    match config::from_args("http-echo", args, |_| None) {
        Ok(Command::Serve(config)) => config,
        other => panic!("not a server configuration: {other:?}"),
    }
}

/// `Date: <29 characters>` becomes `Date: <date>`.
fn mask_date(answer: &[u8]) -> String {
    let text = String::from_utf8(answer.to_vec()).unwrap();
    let at = text.find("\r\nDate: ").expect("a Date field") + "\r\nDate: ".len();
    assert_eq!(text[at + 29..].find("\r\n"), Some(0), "{text}");
    format!("{}<date>{}", &text[..at], &text[at + 29..])
}

#[tokio::test]
async fn without_the_new_flags_every_answer_is_unchanged_byte_for_byte() {
    let cfg = parsed_config(&["-listen=127.0.0.1:0", "-text=same", "-max-body-bytes=4"]);
    let server = TestServer::start(cfg).await;
    let fields = format!("X-App-Name: http-echo\r\nX-App-Version: {VERSION}\r\n");
    let text = "Content-Type: text/plain; charset=utf-8\r\n";
    for (request, answer) in [
        (
            "GET /a?b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n".to_owned(),
            format!("HTTP/1.1 200 OK\r\n{fields}{text}Content-Length: 5\r\nDate: <date>\r\nConnection: close\r\n\r\nsame\n"),
        ),
        (
            "HEAD / HTTP/1.0\r\n\r\n".to_owned(),
            format!("HTTP/1.0 200 OK\r\n{fields}{text}Content-Length: 5\r\nDate: <date>\r\n\r\n"),
        ),
        (
            "GET /health HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n".to_owned(),
            format!("HTTP/1.1 200 OK\r\n{fields}{text}Content-Length: 16\r\nDate: <date>\r\nConnection: close\r\n\r\n{{\"status\":\"ok\"}}\n"),
        ),
        (
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n12345".to_owned(),
            format!("HTTP/1.1 413 Request Entity Too Large\r\n{fields}{text}Content-Length: 28\r\nDate: <date>\r\nConnection: close\r\n\r\n413 Request Entity Too Large"),
        ),
        (
            "GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n".to_owned(),
            format!("HTTP/1.1 400 Bad Request\r\n{fields}{text}Content-Length: 43\r\nDate: <date>\r\nConnection: close\r\n\r\n400 Bad Request: malformed percent-encoding"),
        ),
        (
            "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n".to_owned(),
            format!("HTTP/1.1 404 Not Found\r\n{fields}X-Content-Type-Options: nosniff\r\n{text}Content-Length: 19\r\nDate: <date>\r\nConnection: close\r\n\r\n404 page not found\n"),
        ),
    ] {
        let got = exchange_until_close(server.addr, request.as_bytes()).await;
        assert_eq!(mask_date(&got), answer, "{request:?}");
    }
}

#[tokio::test]
async fn health_while_shutting_down_answers_alike() {
    let cert = TestCertificate::new("parity-shutdown");
    let mut cfg = config("x");
    cfg.tls = Some(cert.files.clone());
    cfg.shutdown_delay = Duration::from_secs(5);
    let server = TestServer::start(cfg).await;

    // An HTTP/2 request in flight when shutdown begins is answered for the state
    // it ends in: its body is still arriving.
    let mut h2 = cert.h2_client(server.addr).await;
    let (mut body_sender, body) =
        http_body_util::channel::Channel::<Bytes, std::convert::Infallible>::new(1);
    let request = hyper::Request::builder()
        .method("POST")
        .uri("https://localhost/health")
        .body(body.boxed())
        .unwrap();
    let in_flight = tokio::spawn(async move { over_http2(&mut h2, request).await });
    body_sender
        .send_data(Bytes::from_static(b"ab"))
        .await
        .unwrap();

    server.request_shutdown();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let one = loop {
        let answer = over_http1(&cert, &server, "POST /health HTTP/1.1", b"ab").await;
        if answer.status == 503 || tokio::time::Instant::now() > deadline {
            break answer;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(one.status, 503, "{one:?}");
    drop(body_sender);
    let two = in_flight.await.unwrap();
    assert_eq!(one, two);
}
