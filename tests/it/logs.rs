//! The access log: upstream's text line, JSON lines, off; /health is not logged.

use http_echo::config::LogFormat;

use crate::support::{config, get, Client, TestServer};

/// `YYYY/MM/DD HH:MM:SS`
fn is_go_timestamp(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'/',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
}

/// A Go duration such as `41.2µs`, `850ns`, `1.5ms`.
fn is_go_duration(text: &str) -> bool {
    let number = text.trim_end_matches(|c: char| c.is_alphabetic() || c == 'µ');
    let unit = &text[number.len()..];
    matches!(unit, "ns" | "µs" | "ms" | "s") && number.parse::<f64>().is_ok()
}

#[tokio::test]
async fn text_line_has_upstreams_format() {
    let server = TestServer::text("hello").await;
    let mut client = Client::connect(server.addr).await;
    let local = client.stream.local_addr().unwrap();
    client
        .send(b"GET /some/path?query=1 HTTP/1.1\r\nHost: example.test:5678\r\nUser-Agent: probe/1.0\r\n\r\n")
        .await;
    client.response(false).await;
    client
        .send(b"GET /health HTTP/1.1\r\nHost: h\r\n\r\n")
        .await;
    client.response(false).await;
    client.send(b"HEAD /h HTTP/1.1\r\nHost: h\r\n\r\n").await;
    client.response(true).await;

    let lines = server.log.lines(2).await;
    assert_eq!(lines.len(), 2, "/health is not logged: {lines:?}");
    let (stamp, rest) = lines[0].split_at(19);
    assert!(is_go_timestamp(stamp), "{stamp:?}");
    let expected =
        format!(" example.test:5678 {local} \"GET /some/path HTTP/1.1\" 200 6 \"probe/1.0\" ");
    assert!(
        rest.starts_with(&expected),
        "{rest:?} should start with {expected:?}"
    );
    assert!(is_go_duration(&rest[expected.len()..]), "{rest:?}");
    // HEAD is logged with the length of the body the handler wrote, as upstream.
    assert!(
        lines[1].contains("\"HEAD /h HTTP/1.1\" 200 6 \"\" "),
        "{}",
        lines[1]
    );
}

#[tokio::test]
async fn a_request_cannot_forge_or_break_a_text_line() {
    let server = TestServer::text("hello").await;
    let mut client = Client::connect(server.addr).await;
    client
        .send(
            b"GET /x%0a2099/01/01%2000:00:00%20FORGED%22 HTTP/1.1\r\nHost: h\r\n\
              User-Agent: a \"quoted\" agent\r\n\r\nGET /next HTTP/1.1\r\nHost: h\r\n\r\n",
        )
        .await;
    client.response(false).await;
    client.response(false).await;
    // Lines are written in order: once the second request's is there, so is
    // anything the first one wrote.
    let lines = server.log.lines_until("GET /next").await;
    assert_eq!(lines.len(), 2, "one line per request: {lines:?}");
    assert!(
        lines[0].contains(
            " \"GET /x\\n2099/01/01 00:00:00 FORGED\\\" HTTP/1.1\" 200 6 \"a \\\"quoted\\\" agent\" "
        ),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains(" \"GET /next HTTP/1.1\" 200 6 \"\" "),
        "{}",
        lines[1]
    );
}

#[tokio::test]
async fn statuses_without_a_body_log_what_upstream_logs() {
    // Upstream counts what its handler wrote, though Go sends none of it.
    for status in [204, 304] {
        let mut cfg = config("hello");
        cfg.status_code = status;
        let server = TestServer::start(cfg).await;
        assert_eq!(get(server.addr, "/").await.status, status);
        let lines = server.log.lines(1).await;
        assert!(
            lines[0].contains(&format!("\"GET / HTTP/1.1\" {status} 6 ")),
            "{lines:?}"
        );
    }
}

#[tokio::test]
async fn json_lines_parse_and_carry_alb_fields() {
    let mut cfg = config("json");
    cfg.log_format = LogFormat::Json;
    cfg.status_code = 201;
    let server = TestServer::start(cfg).await;
    let mut client = Client::connect(server.addr).await;
    client
        .send(
            b"POST /orders HTTP/1.1\r\nHost: api.test\r\nUser-Agent: ELB-HealthChecker/2.0 \"q\"\r\n\
              X-Forwarded-For: 203.0.113.7, 10.0.0.1\r\n\
              X-Amzn-Trace-Id: Root=1-67891233-abcdef012345678912345678\r\nContent-Length: 2\r\n\r\nhi",
        )
        .await;
    client.response(false).await;
    let lines = server.log.lines(1).await;
    assert_eq!(lines.len(), 1);
    let entry: serde_json::Value = serde_json::from_str(&lines[0]).expect("valid JSON");
    assert_eq!(entry["method"], "POST");
    assert_eq!(entry["path"], "/orders");
    assert_eq!(entry["status"], 201);
    assert_eq!(entry["bytes"], 5);
    assert_eq!(entry["host"], "api.test");
    assert_eq!(entry["proto"], "HTTP/1.1");
    assert_eq!(entry["user_agent"], "ELB-HealthChecker/2.0 \"q\"");
    assert_eq!(entry["x_forwarded_for"], "203.0.113.7, 10.0.0.1");
    assert_eq!(
        entry["x_amzn_trace_id"],
        "Root=1-67891233-abcdef012345678912345678"
    );
    assert!(entry["duration_ms"].as_f64().is_some_and(|d| d >= 0.0));
    assert!(entry["remote"]
        .as_str()
        .is_some_and(|r| r.starts_with("127.0.0.1:")));
    let time = entry["time"].as_str().unwrap();
    assert!(
        time.len() == 24 && time.ends_with('Z') && time.as_bytes()[10] == b'T',
        "{time}"
    );
}

#[tokio::test]
async fn log_format_off_writes_nothing() {
    let mut cfg = config("quiet");
    cfg.log_format = LogFormat::Off;
    let server = TestServer::start(cfg).await;
    assert_eq!(get(server.addr, "/").await.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(server.log.text(), "");
}

#[test]
fn a_blocked_stdout_never_delays_answers_and_lost_lines_are_counted() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    // stdout is a pipe nobody reads: once it and the 1 MiB buffer are full, the
    // writer thread is stuck in write(2).
    let mut child = Command::new(crate::support::BINARY)
        .args(["-text=x", "-listen=127.0.0.1:0"])
        .env_clear()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Killed if the test fails half-way, so no server outlives it.
    struct KillOnDrop(std::process::Child);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut stdout = child.stdout.take().unwrap();
    let pid = child.id() as i32;
    let child = KillOnDrop(child);
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let addr = line
        .rsplit("(bound to ")
        .next()
        .unwrap()
        .trim()
        .trim_end_matches(')');

    // 30,000 requests whose log lines (about 100 bytes each) are three times what
    // the pipe and the buffer hold, pipelined in batches.
    let request = b"GET /a-path-that-makes-the-line-longer HTTP/1.1\r\nHost: h\r\n\r\n";
    let batch = 500;
    let batches = 60;
    let mut client = std::net::TcpStream::connect(addr).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let started = Instant::now();
    for _ in 0..batches {
        client.write_all(&request.repeat(batch)).unwrap();
        let mut answered = 0;
        let mut tail = Vec::new();
        let mut chunk = vec![0u8; 64 * 1024];
        while answered < batch {
            let n = client.read(&mut chunk).unwrap();
            assert!(n > 0, "the server closed the connection");
            tail.extend_from_slice(&chunk[..n]);
            // Every answer ends with the body "x\n" right after the blank line.
            let end_of_answer = b"\r\n\r\nx\n";
            answered += tail
                .windows(end_of_answer.len())
                .filter(|w| w == end_of_answer)
                .count();
            let keep = tail.len().saturating_sub(end_of_answer.len() - 1);
            tail.drain(..keep);
        }
    }
    let served = batch * batches;
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(10),
        "{served} answers took {took:?}"
    );

    // Drain stdout: the writer wakes and writes what it kept; then stop the server,
    // which flushes the rest and reports every dropped line on stderr.
    let reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        let _ = stdout.read_to_end(&mut all);
        all
    });
    std::thread::sleep(Duration::from_millis(200));
    // SAFETY: kill(2) on our own child.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
    let mut child = child;
    child.0.wait().unwrap();
    let written = reader
        .join()
        .unwrap()
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    let dropped: usize = rest
        .lines()
        .filter_map(|l| l.split("access log: ").nth(1))
        .filter_map(|l| l.split(' ').next()?.parse::<usize>().ok())
        .sum();
    assert!(dropped > 0, "no drop was reported: {rest}");
    assert_eq!(
        written + dropped,
        served,
        "every line is either written or counted"
    );
}
