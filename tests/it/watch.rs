//! `-watch`: the real binary watching real servers on 127.0.0.1, its JSON
//! summary, failures by kind, versions over time, signals, https and flag errors.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use http_echo::version::VERSION;
use serde_json::Value;

use crate::support::{run_binary, Binary, TestCertificate, SIGINT, SIGTERM};

/// The summary: the last line on stdout, parsed.
fn summary(stdout: &str) -> Value {
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout:?}"))
}

/// Watches `url` for `duration` with extra `flags`: (exit code, summary, stderr).
fn watch(url: &str, duration: &str, flags: &[&str]) -> (i32, Value, String) {
    let watch = format!("-watch={url}");
    let duration = format!("-watch-duration={duration}");
    let mut args = vec![watch.as_str(), duration.as_str()];
    args.extend_from_slice(flags);
    let (code, stdout, stderr) = run_binary(&args, &[]);
    (code, summary(&stdout), stderr)
}

fn count(value: &Value) -> u64 {
    value
        .as_u64()
        .unwrap_or_else(|| panic!("not a count: {value}"))
}

/// Every failure the summary counts, by kind and by status, must add up to `failed`.
fn assert_failures_add_up(summary: &Value) {
    let failures = summary["failures"].as_object().expect("failures");
    let total: u64 = failures
        .values()
        .map(|value| match value {
            Value::Object(by_status) => by_status.values().map(count).sum(),
            other => count(other),
        })
        .sum();
    assert_eq!(total, count(&summary["failed"]), "{summary}");
}

#[test]
fn watching_a_live_server_succeeds() {
    let (server, addr) = Binary::serve(&["-text=live"], &[]);
    let (code, stdout, stderr) = run_binary(
        &[
            &format!("-watch=http://{addr}/a?b"),
            "-watch-rate=40",
            "-watch-duration=1s",
        ],
        &[],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.lines().count(), 1, "the summary is all of stdout");
    let summary = summary(&stdout);
    let requests = count(&summary["requests"]);
    // The schedule bounds the count from above (a tick at 0 s, then every 25 ms);
    // a busy machine may send fewer.
    assert!((5..=41).contains(&requests), "{summary}");
    assert_eq!(summary["failed"], 0);
    assert_failures_add_up(&summary);
    assert_eq!(summary["url"], format!("http://{addr}/a?b"));
    assert_eq!(summary["rate"], 40);
    assert_eq!(
        summary["versions"].as_array().unwrap().len(),
        1,
        "{summary}"
    );
    let version = &summary["versions"][0];
    assert_eq!(version["app_version"], VERSION);
    assert_eq!(version["text"], "live");
    assert_eq!(count(&version["requests"]), requests);
    assert!(version["first_s"].as_f64() <= version["last_s"].as_f64());
    assert_eq!(summary["served_by"], Value::Array(vec![]));
    // Half the requests on kept-alive connections, half on new ones.
    let reused = count(&summary["connections"]["reused"]);
    let new = count(&summary["connections"]["new"]);
    assert_eq!(reused + new, requests);
    assert!(reused >= 1 && new > requests / 2 - 1, "{summary}");
    let latency = &summary["latency_ms"];
    let (p50, p99, max) = (
        latency["p50"].as_f64().unwrap(),
        latency["p99"].as_f64().unwrap(),
        latency["max"].as_f64().unwrap(),
    );
    assert!(0.0 < p50 && p50 <= p99 && p99 <= max, "{latency}");
    // The server saw as many requests as the watcher counted.
    let deadline = Instant::now() + Duration::from_secs(2);
    let logged = loop {
        let logged = server.stdout().matches("\"GET /a HTTP/1.1\" 200").count() as u64;
        if logged >= requests || Instant::now() > deadline {
            break logged;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(logged, requests);
    assert!(stderr.contains("new answer: version"), "{stderr}");
    assert!(stderr.contains("watch ended after"), "{stderr}");
}

#[test]
fn a_server_killed_half_way_fails_the_watch_by_kind() {
    let (server, addr) = Binary::serve(&["-text=doomed"], &[]);
    // Over 5 s, so that a progress line is printed too.
    let mut watcher = Binary::spawn(
        &[
            &format!("-watch=http://{addr}/"),
            "-watch-rate=20",
            "-watch-duration=5500ms",
        ],
        &[],
    );
    watcher.wait_for_stderr("new answer", Duration::from_secs(5));
    server.signal(libc::SIGKILL);
    let status = watcher.wait(Duration::from_secs(15));
    assert_eq!(status.code(), Some(1), "{:?}", watcher.stderr());
    let summary = summary(&watcher.stdout());
    assert_failures_add_up(&summary);
    assert!(count(&summary["failures"]["refused"]) >= 1, "{summary}");
    assert!(count(&summary["versions"][0]["requests"]) >= 1, "{summary}");
    let sample = &summary["first_failures"][0];
    assert!(sample["at_s"].as_f64().unwrap() > 0.0, "{summary}");
    assert!(sample["detail"].as_str().is_some_and(|d| !d.is_empty()));
    let stderr = watcher.stderr().join("\n");
    assert!(
        stderr.contains("first failure of its kind: refused"),
        "{stderr}"
    );
    assert!(
        watcher
            .stderr()
            .iter()
            .any(|line| line.contains(" requests (+") && line.contains("(refused ")),
        "a progress line with the failures by kind: {stderr}"
    );
}

#[test]
fn statuses_and_bodies_that_are_not_expected_fail() {
    let (_server, addr) = Binary::serve(&["-text=down", "-status-code=503"], &[]);
    let url = format!("http://{addr}/");
    let (code, summary, _) = watch(&url, "500ms", &[]);
    assert_eq!(code, 1);
    let requests = count(&summary["requests"]);
    assert_eq!(count(&summary["failures"]["status_5xx"]["503"]), requests);
    assert_failures_add_up(&summary);
    // The failing answers still say which version sent them.
    assert_eq!(summary["versions"][0]["text"], "down");
    assert_eq!(count(&summary["versions"][0]["failed"]), requests);

    let (code, summary, stderr) = watch(&url, "500ms", &["-watch-expect-status=503"]);
    assert_eq!((code, &summary["failed"]), (0, &Value::from(0)), "{stderr}");
    let (code, summary, _) = watch(
        &url,
        "500ms",
        &["-watch-expect-status=5xx", "-watch-expect-text=up"],
    );
    assert_eq!(code, 1);
    assert_eq!(
        count(&summary["failures"]["unexpected_body"]),
        count(&summary["requests"])
    );
    assert_eq!(summary["expect_text"], "up");

    let (_created, addr) = Binary::serve(&["-text=made", "-status-code=201"], &[]);
    let (code, summary, _) = watch(
        &format!("http://{addr}/"),
        "500ms",
        &["-watch-expect-status=200,3xx", "-watch-expect-text=made"],
    );
    assert_eq!(code, 1);
    assert_eq!(
        count(&summary["failures"]["unexpected_status"]["201"]),
        count(&summary["requests"])
    );
    assert_eq!(summary["failures"]["status_5xx"], serde_json::json!({}));
}

#[test]
fn a_server_that_never_answers_times_out_and_the_watch_still_ends() {
    // The kernel accepts the connections; nobody reads or answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", silent.local_addr().unwrap());
    let started = Instant::now();
    let (code, summary, _) = watch(&url, "1s", &["-watch-rate=10", "-watch-timeout=300ms"]);
    let took = started.elapsed();
    assert_eq!(code, 1);
    let requests = count(&summary["requests"]);
    assert!(requests >= 2, "{summary}");
    assert_eq!(
        count(&summary["failures"]["timeout"]),
        requests,
        "{summary}"
    );
    assert_eq!(
        summary["latency_ms"]["p50"],
        Value::Null,
        "no answer, no latency"
    );
    // The duration, then at most one timeout for the last requests, plus start-up.
    assert!(took < Duration::from_millis(2800), "took {took:?}");
}

#[test]
fn requests_waiting_for_an_answer_are_bounded() {
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", silent.local_addr().unwrap());
    let (code, summary, _) = watch(&url, "1s", &["-watch-rate=1000", "-watch-timeout=1s"]);
    assert_eq!(code, 1);
    // 1000 ticks, at most 512 requests out at once, none answered within 1 s.
    let requests = count(&summary["requests"]);
    assert!((1..=600).contains(&requests), "{summary}");
    assert!(count(&summary["skipped"]) >= 100, "{summary}");
    assert_eq!(count(&summary["failures"]["timeout"]), requests);
}

#[test]
fn a_new_version_behind_the_same_port_is_seen_and_sigterm_ends_the_watch() {
    let (mut first, addr) = Binary::serve(&["-text=v1"], &[]);
    // Bounded by its duration should the test fail before it stops the watch.
    let mut watcher = Binary::spawn(
        &[
            &format!("-watch=http://{addr}/"),
            "-watch-rate=50",
            "-watch-duration=30s",
        ],
        &[],
    );
    watcher.wait_for_stderr("text \"v1\"", Duration::from_secs(5));
    first.signal(SIGTERM);
    first.wait(Duration::from_secs(10));
    let listen = format!("-listen={addr}");
    let second = Binary::spawn(&[&listen, "-text=v2"], &[]);
    second.wait_for_stderr("server is listening", Duration::from_secs(5));
    watcher.wait_for_stderr("text \"v2\"", Duration::from_secs(5));
    watcher.signal(SIGTERM);
    let status = watcher.wait(Duration::from_secs(10));
    let summary = summary(&watcher.stdout());
    let versions = summary["versions"].as_array().unwrap();
    let texts: Vec<&str> = versions
        .iter()
        .map(|v| v["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["v1", "v2"], "{summary}");
    let (v1, v2) = (&versions[0], &versions[1]);
    assert!(
        v1["last_s"].as_f64().unwrap() <= v2["first_s"].as_f64().unwrap(),
        "v1 before v2: {summary}"
    );
    assert!(count(&v2["requests"]) >= 1);
    // Between the two servers nothing listened: whatever failed, failed for that.
    assert_failures_add_up(&summary);
    let failures = &summary["failures"];
    let gap = ["refused", "reset", "closed"]
        .iter()
        .map(|kind| count(&failures[kind]))
        .sum::<u64>();
    assert_eq!(gap, count(&summary["failed"]), "{summary}");
    let expected_code = if gap == 0 { 0 } else { 1 };
    assert_eq!(status.code(), Some(expected_code), "{summary}");
}

#[test]
fn replicas_are_recorded_from_x_served_by() {
    // Two replicas behind one address need a balancer: a minimal server on
    // 127.0.0.1 plays two in turn, one answer per connection, for a bounded
    // number of them.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().take(200).enumerate() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 1024];
            let _ = std::io::Read::read(&mut stream, &mut request);
            let replica = if n % 2 == 0 {
                "task=a az=z1"
            } else {
                "task=b az=z2"
            };
            let answer = format!(
                "HTTP/1.1 200 OK\r\nX-Served-By: {replica}\r\nContent-Length: 3\r\n\
                 Connection: close\r\n\r\nok\n"
            );
            let _ = std::io::Write::write_all(&mut stream, answer.as_bytes());
        }
    });
    let (code, summary, stderr) = watch(&format!("http://{addr}/"), "500ms", &[]);
    assert_eq!(code, 0, "{stderr}");
    let replicas = summary["served_by"].as_array().unwrap();
    let names: Vec<&str> = replicas
        .iter()
        .map(|r| r["served_by"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["task=a az=z1", "task=b az=z2"], "{summary}");
    let answered: u64 = replicas.iter().map(|r| count(&r["requests"])).sum();
    assert_eq!(answered, count(&summary["requests"]));
    assert!(stderr.contains("new replica: task=b az=z2"), "{stderr}");
    // No X-App-Version header: the version is null, the text is still there.
    assert_eq!(summary["versions"][0]["app_version"], Value::Null);
    assert_eq!(summary["versions"][0]["text"], "ok");
}

#[test]
fn a_server_failing_half_its_answers_fails_half_the_watch() {
    let (_server, addr) = Binary::serve(
        &["-text=flaky", "-error-rate=0.5", "-served-by"],
        &[("POD_NAME", "web-1")],
    );
    let (code, summary, _) = watch(&format!("http://{addr}/"), "1s", &["-watch-rate=40"]);
    assert_eq!(code, 1);
    let requests = count(&summary["requests"]);
    assert!(requests >= 10, "{summary}");
    // The server fails every second answer it gives, so of the watch's
    // requests (its only ones) exactly half, rounded down.
    let half = requests / 2;
    assert_eq!(count(&summary["failed"]), half, "{summary}");
    assert_eq!(count(&summary["failures"]["status_5xx"]["503"]), half);
    assert_failures_add_up(&summary);
    // One version, the same text either way, and the replica that answered.
    let versions = summary["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 1, "{summary}");
    assert_eq!(versions[0]["text"], "flaky");
    assert_eq!(count(&versions[0]["failed"]), half);
    let replicas = summary["served_by"].as_array().unwrap();
    assert_eq!(replicas.len(), 1, "{summary}");
    assert_eq!(replicas[0]["served_by"], "pod=web-1");
    assert_eq!(count(&replicas[0]["requests"]), requests);
    assert_eq!(count(&replicas[0]["failed"]), half);
}

#[test]
fn sigint_ends_the_watch_with_a_summary() {
    let (_server, addr) = Binary::serve(&["-text=x"], &[]);
    let mut watcher = Binary::spawn(&[&format!("-watch=http://{addr}/")], &[]);
    watcher.wait_for_stderr("until SIGINT or SIGTERM", Duration::from_secs(5));
    watcher.wait_for_stderr("new answer", Duration::from_secs(5));
    watcher.signal(SIGINT);
    let status = watcher.wait(Duration::from_secs(10));
    assert_eq!(status.code(), Some(0), "{:?}", watcher.stderr());
    let summary = summary(&watcher.stdout());
    assert!(count(&summary["requests"]) >= 1);
    assert_eq!(summary["rate"], 20, "the default rate");
}

#[test]
fn https_is_verified_against_the_given_authorities() {
    let cert = TestCertificate::new("watch");
    let cert_flag = format!("-tls-cert={}", cert.files.cert.display());
    let key_flag = format!("-tls-key={}", cert.files.key.display());
    let (_server, addr) = Binary::serve(&["-text=secure", &cert_flag, &key_flag], &[]);
    let url = format!("https://localhost:{}/", addr.port());
    let ca_flag = format!("-watch-ca={}", cert.files.cert.display());

    let (code, summary, stderr) = watch(&url, "600ms", &[&ca_flag]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(summary["versions"][0]["text"], "secure");
    assert!(
        count(&summary["connections"]["reused"]) >= 1,
        "TLS keep-alive: {summary}"
    );

    let (code, summary, _) = watch(&url, "300ms", &["-watch-insecure"]);
    assert_eq!((code, &summary["failed"]), (0, &Value::from(0)));

    // The system's authorities did not issue the test certificate.
    let (code, stdout, stderr) =
        run_binary(&[&format!("-watch={url}"), "-watch-duration=300ms"], &[]);
    assert_eq!(code, 1);
    if http_echo::client_tls::system_bundle().is_some() {
        let summary = self::summary(&stdout);
        assert_eq!(
            count(&summary["failures"]["tls"]),
            count(&summary["requests"])
        );
        assert!(
            stderr.contains("first failure of its kind: tls"),
            "{stderr}"
        );
    } else {
        assert!(stderr.contains("no CA bundle on this system"), "{stderr}");
    }
}

#[test]
fn a_missing_ca_file_is_one_line_and_exit_1() {
    let (code, stdout, stderr) = run_binary(
        &[
            "-watch=https://localhost:1/",
            "-watch-ca=/nonexistent/ca.pem",
        ],
        &[],
    );
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("cannot read CA certificates from /nonexistent/ca.pem"),
        "{stderr}"
    );
}

#[test]
fn flag_errors_exit_2_and_the_environment_cannot_start_a_watch() {
    for (args, first_line) in [
        (
            &["-watch=ftp://h/"][..],
            "invalid value \"ftp://h/\" for flag -watch: the URL must start with http:// or https://",
        ),
        (
            &["-watch=http://h/", "-watch-rate=0"],
            "invalid value \"0\" for flag -watch-rate: must be between 1 and 1000",
        ),
        (
            &["-watch=http://h/", "-watch-expect-status=ok"],
            "invalid value \"ok\" for flag -watch-expect-status: \"ok\" is neither a status code (200) nor a class (2xx)",
        ),
        (&["-watch"], "flag needs an argument: -watch"),
    ] {
        let (code, stdout, stderr) = run_binary(args, &[]);
        assert_eq!(code, 2, "{args:?}");
        assert_eq!(stdout, "");
        assert_eq!(stderr.lines().next(), Some(first_line), "{args:?}");
    }
    // ECHO_WATCH is not read: this is a server start without a text.
    let (code, _, stderr) = run_binary(&[], &[("ECHO_WATCH", "http://127.0.0.1:1/")]);
    assert_eq!(code, 127);
    assert_eq!(stderr, "Missing -text option or ECHO_TEXT env var!\n");
    let (code, _, usage) = run_binary(&["-help"], &[]);
    assert_eq!(code, 0);
    assert!(usage.contains("  -watch-expect-status string\n"), "{usage}");
}
