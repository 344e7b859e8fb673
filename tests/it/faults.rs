//! Fault injection: `-delay` (its timing, requests pipelined behind it, the
//! drain ending it), `-error-rate` (the rate over N requests of both
//! protocols, full 503 answers), `-ready-after` and `-unhealthy-after`, /health
//! as stated for each; in-process, and the real binary for flags and signals.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use http_echo::faults::{ErrorRate, Faults};
use http_echo::version::VERSION;
use tokio::io::AsyncWriteExt;

use crate::support::{config, get, run_binary, Binary, Client, TestCertificate, TestServer, SIGTERM};

fn with_faults(text: &str, faults: Faults) -> http_echo::config::Config {
    let mut cfg = config(text);
    cfg.faults = faults;
    cfg
}

async fn serve(text: &str, faults: Faults) -> TestServer {
    TestServer::start(with_faults(text, faults)).await
}

fn rate(text: &str) -> ErrorRate {
    ErrorRate::parse(text).unwrap()
}

#[tokio::test]
async fn error_rate_fails_exactly_that_share_and_health_is_not_counted() {
    let server = serve("flaky", Faults {
            error_rate: rate("0.25"),
            ..Faults::default()
        }).await;
    let mut client = Client::connect(server.addr).await;
    let mut failed = Vec::new();
    for n in 1..=40 {
        client.send(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n").await;
        let answer = client.response(false).await;
        // The body is the text either way; the status says which.
        assert_eq!(answer.body_text(), "flaky\n");
        if answer.status == 503 {
            failed.push(n);
            assert_eq!(answer.status_line, "HTTP/1.1 503 Service Unavailable");
            let names: Vec<&str> = answer.headers.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(
                names,
                ["X-App-Name", "X-App-Version", "Content-Type", "Content-Length", "Date"],
                "a full answer, and the connection stays open"
            );
        } else {
            assert_eq!(answer.status, 200);
        }
        // /health between them: never failed, never counted.
        client.send(b"GET /health HTTP/1.1\r\nHost: h\r\n\r\n").await;
        assert_eq!(client.response(false).await.status, 200);
    }
    assert_eq!(failed, (1..=10).map(|k| 4 * k).collect::<Vec<_>>());
    // The access log says 503 for those.
    let lines = server.log.lines(40).await;
    assert_eq!(lines.iter().filter(|l| l.contains("\" 503 6 ")).count(), 10);
}

#[tokio::test]
async fn the_rate_holds_over_both_protocols_and_their_503s_are_alike() {
    let cert = TestCertificate::new("error-rate");
    let mut cfg = with_faults(
        "half",
        Faults {
            error_rate: rate("0.5"),
            ..Faults::default()
        },
    );
    cfg.tls = Some(cert.files.clone());
    let server = TestServer::start(cfg).await;
    let mut h2 = cert.h2_client(server.addr).await;
    let mut h1 = Client::over(cert.connect(server.addr, &[b"http/1.1"]).await);
    let mut answers = Vec::new();
    for _ in 0..10 {
        h1.send(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
        h1.stream.flush().await.unwrap();
        let one = h1.response(false).await;
        let mut fields: Vec<(String, String)> = one
            .headers
            .iter()
            .filter(|(n, _)| n != "Date")
            .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
            .collect();
        fields.sort();
        answers.push((one.status, fields, one.body));

        let request = hyper::Request::get("https://localhost/")
            .body(Empty::<Bytes>::new().boxed())
            .unwrap();
        let two = h2.send_request(request).await.unwrap();
        let status = two.status().as_u16();
        let mut fields: Vec<(String, String)> = two
            .headers()
            .iter()
            .filter(|(n, _)| n.as_str() != "date")
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
            .collect();
        fields.sort();
        let body = two.into_body().collect().await.unwrap().to_bytes().to_vec();
        answers.push((status, fields, body));
    }
    // Every second answer, whichever protocol carried it: here every HTTP/2 one.
    let statuses: Vec<u16> = answers.iter().map(|(status, _, _)| *status).collect();
    assert_eq!(statuses, [200, 503].repeat(10));
    let (ok, failed) = (&answers[0], &answers[1]);
    assert_eq!(ok.1, failed.1, "the same fields");
    assert_eq!(ok.2, failed.2, "the same body");
    assert!(answers.iter().all(|a| a.1 == ok.1));
    assert!(ok.1.contains(&("x-app-version".to_owned(), VERSION.to_owned())));
}

#[tokio::test]
async fn delay_holds_every_answer_but_health() {
    let delay = Duration::from_millis(600);
    let server = serve("slow", Faults {
            delay: Some(delay),
            ..Faults::default()
        }).await;
    let started = Instant::now();
    let slow = tokio::spawn(get(server.addr, "/"));
    // /health, asked after, is answered while the echo still waits.
    let health = get(server.addr, "/health").await;
    assert_eq!(health.status, 200);
    assert!(!slow.is_finished(), "the echo waited");
    let slow = slow.await.unwrap();
    assert!(started.elapsed() >= delay, "{:?}", started.elapsed());
    assert_eq!((slow.status, slow.body_text().as_str()), (200, "slow\n"));
    // The access log counts the wait in the request's duration (`612.3ms`, or
    // `1.02s` on a busy machine).
    let line = &server.log.lines(1).await[0];
    let duration = line.rsplit(' ').next().unwrap();
    let seconds = match duration.strip_suffix("ms") {
        Some(millis) => millis.parse::<f64>().unwrap() / 1000.0,
        None => duration.strip_suffix('s').unwrap().parse::<f64>().unwrap(),
    };
    assert!(seconds >= 0.6, "{line}");
}

#[tokio::test]
async fn requests_behind_a_delayed_answer_wait_their_turn() {
    let delay = Duration::from_millis(300);
    let server = serve("x", Faults {
            delay: Some(delay),
            ..Faults::default()
        }).await;
    let mut client = Client::connect(server.addr).await;
    let started = Instant::now();
    // Three pipelined requests in one write, the middle one with a body, then
    // the start of a fourth.
    client
        .send(
            b"GET /1 HTTP/1.1\r\nHost: h\r\n\r\n\
              POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc\
              GET /health HTTP/1.1\r\nHost: h\r\n\r\n\
              GET /4 HTTP/1.1\r\n",
        )
        .await;
    let mut seen = Vec::new();
    for _ in 0..3 {
        let answer = client.response(false).await;
        seen.push((answer.status, answer.body_text(), started.elapsed()));
    }
    assert_eq!(seen[0].1, "x\n");
    assert_eq!(seen[2].1, "{\"status\":\"ok\"}\n");
    assert!(seen[0].2 >= delay, "{seen:?}");
    // The second waits its own delay after the first was answered.
    assert!(seen[1].2 >= 2 * delay, "{seen:?}");
    // The rest of the fourth arrives; it is answered after its delay.
    client.send(b"Host: h\r\n\r\n").await;
    let fourth = client.response(false).await;
    assert_eq!(fourth.status, 200);
    assert!(started.elapsed() >= 3 * delay);
    let lines = server.log.lines_until("GET /4").await;
    let paths: Vec<&str> = lines
        .iter()
        .map(|l| l.split('"').nth(1).unwrap_or_default())
        .collect();
    assert_eq!(paths, ["GET /1 HTTP/1.1", "POST /2 HTTP/1.1", "GET /4 HTTP/1.1"]);
}

#[tokio::test]
async fn the_drain_ends_a_delay_at_once_over_both_protocols() {
    let cert = TestCertificate::new("delay-drain");
    let mut cfg = with_faults(
        "late",
        Faults {
            delay: Some(Duration::from_secs(60)),
            ..Faults::default()
        },
    );
    cfg.tls = Some(cert.files.clone());
    let server = TestServer::start(cfg).await;
    let mut h1 = Client::over(cert.connect(server.addr, &[b"http/1.1"]).await);
    h1.send(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
    h1.stream.flush().await.unwrap();
    let mut h2 = cert.h2_client(server.addr).await;
    let request = hyper::Request::get("https://localhost/")
        .body(Empty::<Bytes>::new().boxed())
        .unwrap();
    let h2_answer = tokio::spawn(async move { h2.send_request(request).await });
    tokio::time::sleep(Duration::from_millis(200)).await;

    let stopping = Instant::now();
    server.request_shutdown();
    let one = h1.response(false).await;
    assert_eq!((one.status, one.body_text().as_str()), (200, "late\n"));
    assert_eq!(one.header("Connection"), Some("close"));
    let two = h2_answer.await.unwrap().unwrap();
    assert_eq!(two.status(), 200);
    assert_eq!(server.finished().await, Ok(()), "drained in time");
    assert!(stopping.elapsed() < Duration::from_secs(5), "{:?}", stopping.elapsed());
}

#[tokio::test]
async fn ready_after_fails_health_until_it_has_passed() {
    let ready_after = Duration::from_millis(500);
    let server = serve("x", Faults {
            ready_after: Some(ready_after),
            ..Faults::default()
        }).await;
    let started = Instant::now();
    let first = get(server.addr, "/health").await;
    assert_eq!(
        (first.status, first.body_text().as_str()),
        (503, "{\"status\":\"starting\"}\n")
    );
    assert_eq!(first.header("X-App-Name"), Some("http-echo"));
    // The echo is not affected.
    assert_eq!(get(server.addr, "/").await.status, 200);
    let deadline = started + Duration::from_secs(10);
    loop {
        let health = get(server.addr, "/health").await;
        if health.status == 200 {
            assert_eq!(health.body_text(), "{\"status\":\"ok\"}\n");
            break;
        }
        assert!(Instant::now() < deadline, "never ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(started.elapsed() >= ready_after);
}

#[tokio::test]
async fn unhealthy_after_fails_health_from_then_on_until_shutdown_says_why() {
    let unhealthy_after = Duration::from_millis(1500);
    let mut cfg = with_faults(
        "x",
        Faults {
            unhealthy_after: Some(unhealthy_after),
            ..Faults::default()
        },
    );
    cfg.shutdown_delay = Duration::from_secs(5);
    let server = TestServer::start(cfg).await;
    let started = Instant::now();
    assert_eq!(get(server.addr, "/health").await.status, 200);
    let deadline = started + Duration::from_secs(10);
    let sick = loop {
        let health = get(server.addr, "/health").await;
        if health.status != 200 {
            break health;
        }
        assert!(Instant::now() < deadline, "never unhealthy");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(started.elapsed() >= unhealthy_after);
    assert_eq!(
        (sick.status, sick.body_text().as_str()),
        (503, "{\"status\":\"unhealthy\"}\n")
    );
    // It stays so; the echo is still served.
    assert_eq!(get(server.addr, "/health").await.status, 503);
    assert_eq!(get(server.addr, "/").await.status, 200);
    // Shutting down takes over the answer.
    server.request_shutdown();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let health = get(server.addr, "/health").await;
        if health.body_text() == "{\"status\":\"shutting down\"}\n" {
            break;
        }
        assert!(Instant::now() < deadline, "{}", health.body_text());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_binary_reads_every_fault_flag_and_its_variable() {
    let (_b, addr) = Binary::serve(&["-text=x", "-error-rate=1"], &[]);
    assert_eq!(get(addr, "/").await.status, 503);
    assert_eq!(get(addr, "/health").await.status, 200);
    let (_b, addr) = Binary::serve(
        &["-text=x"],
        &[("ECHO_ERROR_RATE", "1"), ("ECHO_READY_AFTER", "1h")],
    );
    assert_eq!(get(addr, "/").await.status, 503);
    assert_eq!(get(addr, "/health").await.body_text(), "{\"status\":\"starting\"}\n");
    // The flag wins over the variable.
    let (_b, addr) = Binary::serve(
        &["-text=x", "-error-rate=0", "-unhealthy-after=1ns"],
        &[("ECHO_ERROR_RATE", "1")],
    );
    assert_eq!(get(addr, "/").await.status, 200);
    assert_eq!(get(addr, "/health").await.body_text(), "{\"status\":\"unhealthy\"}\n");
    let (_b, addr) = Binary::serve(&["-text=x"], &[("ECHO_DELAY", "300ms")]);
    let started = Instant::now();
    assert_eq!(get(addr, "/").await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn sigterm_ends_a_long_delay_and_the_binary_exits_2() {
    let (mut binary, addr) = Binary::serve(&["-text=held", "-delay=1h"], &[]);
    let mut client = Client::connect(addr).await;
    client.send(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stopping = Instant::now();
    binary.signal(SIGTERM);
    let answer = client.response(false).await;
    assert_eq!((answer.status, answer.body_text().as_str()), (200, "held\n"));
    assert_eq!(binary.wait(Duration::from_secs(5)).code(), Some(2));
    assert!(stopping.elapsed() < Duration::from_secs(5));
}

#[test]
fn bad_fault_values_exit_2_with_one_line() {
    for (args, env, first_line) in [
        (&["-error-rate=1.5"][..], &[][..], "invalid value \"1.5\" for flag -error-rate: must be between 0 and 1"),
        (&["-error-rate=half"], &[], "invalid value \"half\" for flag -error-rate: parse error"),
        (&["-delay=5"], &[], "invalid value \"5\" for flag -delay: missing unit in duration \"5\""),
        (&["-ready-after=-1s"], &[], "invalid value \"-1s\" for flag -ready-after: invalid duration \"-1s\""),
        (&["-ready-after=2s", "-unhealthy-after=1s"], &[], "-ready-after must be shorter than -unhealthy-after, or /health never answers 200"),
        (&[], &[("ECHO_UNHEALTHY_AFTER", "soon")], "invalid value \"soon\" for environment variable ECHO_UNHEALTHY_AFTER: invalid duration \"soon\""),
    ] {
        let mut all = vec!["-text=x"];
        all.extend_from_slice(args);
        let (code, stdout, stderr) = run_binary(&all, env);
        assert_eq!((code, stdout.as_str()), (2, ""), "{args:?}");
        assert_eq!(stderr.lines().next(), Some(first_line), "{args:?}");
        if args.is_empty() || first_line.starts_with("-ready-after must") {
            assert_eq!(stderr.lines().count(), 1, "{stderr}");
        }
    }
}
