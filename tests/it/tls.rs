//! HTTPS with a certificate generated here: HTTP/1.1 and HTTP/2 chosen by ALPN,
//! the same replies and log lines, and the probe over https.

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use http_echo::version::VERSION;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{
    exchange_until_close, run_binary, tls_server, Binary, TestCertificate, TestServer,
};

#[tokio::test]
async fn http1_over_tls() {
    let cert = TestCertificate::new("h1");
    let server = tls_server(&cert, "secure").await;
    let mut tls = cert.connect(server.addr, &[b"http/1.1"]).await;
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    tls.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    tls.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.ends_with("\r\n\r\nsecure\n"), "{text}");
    let lines = server.log.lines(1).await;
    assert!(lines[0].contains("\"GET / HTTP/1.1\" 200 7"), "{lines:?}");
}

#[tokio::test]
async fn http2_over_tls_by_alpn() {
    let cert = TestCertificate::new("h2");
    let server = tls_server(&cert, "over h2").await;
    let mut sender = cert.h2_client(server.addr).await;

    for (method, path, want_status, want_body) in [
        ("GET", "/anything", 200, &b"over h2\n"[..]),
        ("GET", "/health", 200, &b"{\"status\":\"ok\"}\n"[..]),
        ("HEAD", "/", 200, &b""[..]),
    ] {
        let request = hyper::Request::builder()
            .method(method)
            .uri(format!("https://localhost{path}"))
            .header("user-agent", "h2-test")
            .body(Empty::<Bytes>::new().boxed())
            .unwrap();
        let response = sender.send_request(request).await.expect("h2 response");
        assert_eq!(response.version(), hyper::Version::HTTP_2);
        assert_eq!(response.status().as_u16(), want_status, "{method} {path}");
        let headers = response.headers().clone();
        assert_eq!(headers["x-app-name"], "http-echo");
        assert_eq!(headers["x-app-version"], VERSION);
        assert!(headers.contains_key("date"));
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], want_body, "{method} {path}");
    }
    let lines = server.log.lines(2).await;
    assert_eq!(lines.len(), 2, "health is not logged: {lines:?}");
    assert_eq!(&lines[0][19..30], " localhost ", "{}", lines[0]);
    assert!(
        lines[0].contains(" \"GET /anything HTTP/2.0\" 200 8 \"h2-test\" "),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("\"HEAD / HTTP/2.0\" 200 8"),
        "{}",
        lines[1]
    );
    server.stop().await.expect("h2 connection drains");
}

#[tokio::test]
async fn plain_http_on_the_tls_port_is_told_so_in_http() {
    let cert = TestCertificate::new("plain-on-tls");
    let server = tls_server(&cert, "x").await;
    let answer = exchange_until_close(server.addr, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n").await;
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{text:?}");
    assert!(text.contains("Connection: close\r\n"), "{text:?}");
    assert!(
        text.ends_with("\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"),
        "{text:?}"
    );
    let answer = exchange_until_close(server.addr, b"HEAD / HTTP/1.1\r\nHost: h\r\n\r\n").await;
    assert!(String::from_utf8_lossy(&answer).ends_with("\r\n\r\n"));
    // TLS clients are served as before.
    let mut tls = cert.connect(server.addr, &[b"http/1.1"]).await;
    tls.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    tls.read_to_end(&mut answer).await.unwrap();
    assert!(answer.starts_with(b"HTTP/1.1 200 OK\r\n"));
}

#[tokio::test]
async fn plain_http_stays_the_default() {
    let server = TestServer::text("plain").await;
    assert_eq!(
        crate::support::get(server.addr, "/").await.body_text(),
        "plain\n"
    );
}

#[test]
fn probe_speaks_https_to_a_tls_server() {
    let cert = TestCertificate::new("probe");
    let cert_flag = format!("-tls-cert={}", cert.files.cert.display());
    let key_flag = format!("-tls-key={}", cert.files.key.display());
    let (_server, addr) = Binary::serve(&["-text=x", &cert_flag, &key_flag], &[]);
    let listen = format!("-listen={addr}");
    // The certificate alone tells the probe to speak https, as in an image whose
    // HEALTHCHECK sees only ECHO_TLS_CERT.
    let (code, stdout, stderr) = run_binary(&[&listen, &cert_flag, "-healthcheck"], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(&format!("https://{addr}/health answered 200")),
        "{stdout}"
    );
    // Plain http against the TLS port is not healthy.
    let url = format!("-healthcheck=http://{addr}/health");
    assert_eq!(run_binary(&[&url], &[]).0, 1);
}
