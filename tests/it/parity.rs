//! One reply for both protocols: for every endpoint and state, an HTTP/2 answer
//! carries exactly the header fields, status and body of the HTTP/1.1 answer
//! (less `Connection`, which HTTP/2 forbids).

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::client::conn::http2::SendRequest;
use tokio::io::AsyncWriteExt;

use crate::support::{config, Client, H2Body, TestCertificate, TestServer};

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

#[tokio::test]
async fn every_endpoint_answers_alike_over_http1_and_http2() {
    let cert = TestCertificate::new("parity");
    let mut cfg = config("same\tboth ways");
    cfg.tls = Some(cert.files.clone());
    cfg.max_body_bytes = 10;
    let server = TestServer::start(cfg).await;
    let mut h2 = cert.h2_client(server.addr).await;

    for (method, path, body, status) in [
        ("GET", "/", &b""[..], 200),
        ("GET", "/health", b"", 200),
        ("HEAD", "/", b"", 200),
        ("HEAD", "/health", b"", 200),
        ("POST", "/any", b"0123456789", 200),
        ("POST", "/", b"0123456789+", 413),
        ("GET", "/%zz", b"", 400),
        ("CONNECT", "localhost:443", b"", 404),
    ] {
        let one = over_http1(&cert, &server, &format!("{method} {path} HTTP/1.1"), body).await;
        let two = over_http2(&mut h2, h2_request(method, path, body)).await;
        assert_eq!(one.status, status, "{method} {path}: {one:?}");
        assert_eq!(one, two, "{method} {path}");
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
