//! `-served-by`: the replica's name from a fake ECS task metadata endpoint on
//! 127.0.0.1 (the v4 `task` document, and endpoints that are unreachable, slow
//! or malformed), from Kubernetes' variables and from the hostname; on every
//! answer of both protocols and in the JSON log, in-process and with the binary.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use http_echo::config::LogFormat;
use http_echo::served_by::{self, Identity, METADATA_URI_VAR};
use serde_json::Value;

use crate::support::{config, get, Binary, Client, TestCertificate, TestServer};

/// A task document in the shape the ECS documentation gives for the v4 `task`
/// path on Fargate (values made up): the fields the name is made of, and the
/// nested objects and arrays a reader must get past. Over 2 KiB, so the fake
/// agent sends it chunked, as the real one does.
const TASK: &str = r#"{
    "Cluster": "arn:aws:ecs:us-east-1:111122223333:cluster/http-echo-dev",
    "TaskARN": "arn:aws:ecs:us-east-1:111122223333:task/http-echo-dev/0123456789abcdef0123456789abcdef",
    "Family": "http-echo-dev",
    "Revision": "42",
    "DesiredStatus": "RUNNING",
    "KnownStatus": "RUNNING",
    "Limits": {"CPU": 0.25, "Memory": 512},
    "PullStartedAt": "2026-11-26T13:10:41.510526512Z",
    "PullStoppedAt": "2026-11-26T13:10:44.184201371Z",
    "AvailabilityZone": "us-east-1b",
    "LaunchType": "FARGATE",
    "Containers": [
        {
            "DockerId": "0123456789abcdef0123456789abcdef-1234567890",
            "Name": "app",
            "DockerName": "app",
            "Image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/http-echo@sha256:00aa",
            "ImageID": "sha256:00aa",
            "Labels": {
                "com.amazonaws.ecs.cluster": "arn:aws:ecs:us-east-1:111122223333:cluster/http-echo-dev",
                "com.amazonaws.ecs.container-name": "app",
                "com.amazonaws.ecs.task-definition-family": "http-echo-dev",
                "com.amazonaws.ecs.task-definition-version": "42"
            },
            "DesiredStatus": "RUNNING",
            "KnownStatus": "RUNNING",
            "Limits": {"CPU": 256, "Memory": 512},
            "CreatedAt": "2026-11-26T13:10:45.0Z",
            "StartedAt": "2026-11-26T13:10:45.5Z",
            "Type": "NORMAL",
            "Networks": [
                {
                    "NetworkMode": "awsvpc",
                    "IPv4Addresses": ["10.0.1.23"],
                    "AttachmentIndex": 0,
                    "IPv4SubnetCIDRBlock": "10.0.1.0/24",
                    "PrivateDNSName": "ip-10-0-1-23.ec2.internal"
                }
            ],
            "ContainerARN": "arn:aws:ecs:us-east-1:111122223333:container/http-echo-dev/0123/4567",
            "LogOptions": {"awslogs-group": "/ecs/http-echo-dev", "awslogs-region": "us-east-1"},
            "LogDriver": "awslogs"
        }
    ],
    "ClockDrift": {
        "ClockErrorBound": 0.5,
        "ReferenceTimestamp": "2026-11-26T13:10:00Z",
        "ClockSynchronizationStatus": "SYNCHRONIZED"
    },
    "EphemeralStorageMetrics": {"Utilized": 261, "Reserved": 20496}
}"#;

/// The name [`TASK`] gives.
const TASK_NAME: &str = "task=0123456789abcdef0123456789abcdef az=us-east-1b rev=http-echo-dev:42";

/// What the fake endpoint does with each connection.
#[derive(Clone, Copy)]
enum Endpoint {
    /// 200 with this body.
    Answers(&'static str),
    /// Reads the request and never answers (holds the connection until the
    /// test ends).
    Silent,
}

/// A fake ECS agent on 127.0.0.1 for a bounded number of connections. Returns
/// the URI the agent would put in `ECS_CONTAINER_METADATA_URI_V4`.
fn metadata_endpoint(endpoint: Endpoint) -> String {
    counted_metadata_endpoint(endpoint).0
}

/// The same, and the number of connections it has had.
fn counted_metadata_endpoint(endpoint: Endpoint) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&connections);
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(8) {
            let Ok(mut stream) = stream else { continue };
            counted.fetch_add(1, Ordering::SeqCst);
            let mut request = [0u8; 1024];
            let read = stream.read(&mut request).unwrap_or(0);
            // Only the task path of this container's URI is served.
            let asked_for_task =
                String::from_utf8_lossy(&request[..read]).starts_with("GET /v4/abc-123/task ");
            match endpoint {
                Endpoint::Answers(body) if asked_for_task => {
                    let _ = stream.write_all(&go_answer(body));
                }
                Endpoint::Answers(_) => {
                    let _ =
                        stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
                }
                Endpoint::Silent => held.push(stream),
            }
        }
    });
    (format!("http://{addr}/v4/abc-123"), connections)
}

/// A 200 with `body` framed as Go's server (the ECS agent's) frames it: with a
/// length when it fits the first 2 KiB buffer, else chunked.
fn go_answer(body: &str) -> Vec<u8> {
    let mut answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n".to_vec();
    if body.len() <= 2048 {
        answer
            .extend_from_slice(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
        return answer;
    }
    answer.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
    for chunk in body.as_bytes().chunks(1024) {
        answer.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        answer.extend_from_slice(chunk);
        answer.extend_from_slice(b"\r\n");
    }
    answer.extend_from_slice(b"0\r\n\r\n");
    answer
}

/// An address nothing listens on.
fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

fn identify(vars: &[(&str, String)], timeout: Duration) -> Identity {
    served_by::identify(
        &|name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.clone())
        },
        timeout,
    )
}

#[tokio::test]
async fn the_ecs_task_names_every_answer_of_both_protocols_and_the_json_log() {
    let uri = metadata_endpoint(Endpoint::Answers(TASK));
    assert!(TASK.len() > 2048);
    let found = identify(&[(METADATA_URI_VAR, uri)], served_by::METADATA_TIMEOUT);
    assert_eq!(found.replica.as_str(), TASK_NAME);
    assert_eq!(
        (found.source, found.fallback),
        ("the ECS task metadata", None)
    );

    let cert = TestCertificate::new("served-by");
    let mut cfg = config("named");
    cfg.tls = Some(cert.files.clone());
    cfg.log_format = LogFormat::Json;
    cfg.max_body_bytes = 4;
    let server = TestServer::serving_as(cfg, Some(&found.replica)).await;

    // HTTP/1.1: the echo, HEAD, /health, a refusal, CONNECT.
    for (request, status) in [
        ("GET / HTTP/1.1\r\n", 200),
        ("HEAD / HTTP/1.1\r\n", 200),
        ("GET /health HTTP/1.1\r\n", 200),
        ("POST / HTTP/1.1\r\nContent-Length: 5\r\n", 413),
        ("CONNECT localhost:443 HTTP/1.1\r\n", 404),
    ] {
        let tls = cert.connect(server.addr, &[b"http/1.1"]).await;
        let mut client = Client::over(tls);
        client
            .send(format!("{request}Host: localhost\r\n\r\n").as_bytes())
            .await;
        tokio::io::AsyncWriteExt::flush(&mut client.stream)
            .await
            .unwrap();
        let response = client.response(request.starts_with("HEAD")).await;
        assert_eq!(response.status, status, "{request}");
        assert_eq!(response.header("X-Served-By"), Some(TASK_NAME), "{request}");
    }
    // HTTP/2.
    let mut h2 = cert.h2_client(server.addr).await;
    for path in ["/", "/health"] {
        let request = hyper::Request::get(format!("https://localhost{path}"))
            .body(Empty::<Bytes>::new().boxed())
            .unwrap();
        let response = h2.send_request(request).await.unwrap();
        assert_eq!(response.headers()["x-served-by"], TASK_NAME, "{path}");
    }
    // Every JSON line names the replica, as its last field.
    let lines = server.log.lines(4).await;
    assert_eq!(lines.len(), 4, "{lines:?}");
    for line in &lines {
        let entry: Value = serde_json::from_str(line).unwrap();
        assert_eq!(entry["served_by"], TASK_NAME, "{line}");
        assert!(line.ends_with(&format!(",\"served_by\":\"{TASK_NAME}\"}}")));
    }
}

#[tokio::test]
async fn the_text_log_stays_upstreams() {
    let replica = served_by::Replica::from_pairs(&[("pod", "web-1")]);
    let server = TestServer::serving_as(config("x"), Some(&replica)).await;
    assert_eq!(
        get(server.addr, "/").await.header("X-Served-By"),
        Some("pod=web-1")
    );
    let line = &server.log.lines(1).await[0];
    assert!(line.contains("\"GET / HTTP/1.1\" 200 2 \"\" "), "{line}");
    assert!(!line.contains("web-1"), "{line}");
}

#[test]
fn unreachable_slow_and_malformed_endpoints_fall_back_within_the_timeout() {
    let timeout = Duration::from_millis(300);
    let unreachable = format!("http://{}/v4/abc-123", closed_port());
    let cases = [
        (unreachable, "(refused: "),
        (
            metadata_endpoint(Endpoint::Silent),
            "(no answer within 300ms)",
        ),
        (
            metadata_endpoint(Endpoint::Answers("<html>busy</html>")),
            "(malformed JSON: not a JSON object)",
        ),
        (
            metadata_endpoint(Endpoint::Answers(
                r#"{"TaskARN": "arn:aws:ecs:r:1:task/x", "#,
            )),
            "(malformed JSON: ",
        ),
        (
            metadata_endpoint(Endpoint::Answers(r#"{"Family": "f", "Revision": "1"}"#)),
            "(no TaskARN)",
        ),
    ];
    for (uri, why) in cases {
        let started = Instant::now();
        let found = identify(
            &[
                (METADATA_URI_VAR, uri.clone()),
                ("POD_NAME", "web-1".to_owned()),
                ("NODE_NAME", "node a".to_owned()),
            ],
            timeout,
        );
        let took = started.elapsed();
        assert!(
            took < timeout + Duration::from_millis(200),
            "{uri}: {took:?}"
        );
        assert_eq!(found.replica.as_str(), "pod=web-1 node=node_a", "{uri}");
        let fallback = found.fallback.unwrap_or_default();
        assert!(
            fallback.starts_with(&format!(
                "the ECS task metadata at {uri}/task could not be read {why}"
            )),
            "{fallback}"
        );
    }
    // Another path of the agent, or another container's: a 404.
    let found = identify(
        &[(
            METADATA_URI_VAR,
            metadata_endpoint(Endpoint::Answers(TASK)) + "/other",
        )],
        timeout,
    );
    assert!(found.fallback.unwrap().ends_with("(status 404)"));
    assert!(found.replica.as_str().starts_with("host="));
}

#[tokio::test]
async fn whatever_the_metadata_says_the_header_stays_one_valid_field() {
    let hostile = r#"{"TaskARN": "arn:aws:ecs:r:1:task/c/abc\r\nX-Evil: 1",
        "AvailabilityZone": "us-east-1b\u0000\u00e9", "Family": "f a\"m", "Revision": "7"}"#;
    let uri = metadata_endpoint(Endpoint::Answers(hostile));
    let found = identify(&[(METADATA_URI_VAR, uri)], served_by::METADATA_TIMEOUT);
    let name = "task=abc__X-Evil:_1 az=us-east-1b___ rev=f_a_m:7";
    assert_eq!(found.replica.as_str(), name);
    let server = TestServer::serving_as(config("x"), Some(&found.replica)).await;
    let answer = get(server.addr, "/").await;
    assert_eq!(answer.header("X-Served-By"), Some(name));
    assert_eq!(answer.header("X-Evil"), None);
}

/// The header of `GET /` from a binary started with `args` and `env`.
async fn served_by_header(binary_and_addr: (Binary, SocketAddr)) -> (Binary, Option<String>) {
    let (binary, addr) = binary_and_addr;
    let response = get(addr, "/").await;
    (binary, response.header("X-Served-By").map(str::to_owned))
}

#[tokio::test]
async fn the_binary_reads_the_metadata_once_and_says_where_the_name_came_from() {
    let (uri, asked) = counted_metadata_endpoint(Endpoint::Answers(TASK));
    let (binary, addr) = Binary::serve(&["-text=x", "-served-by"], &[(METADATA_URI_VAR, &uri)]);
    for path in ["/", "/a", "/health"] {
        assert_eq!(get(addr, path).await.header("X-Served-By"), Some(TASK_NAME));
    }
    assert_eq!(asked.load(Ordering::SeqCst), 1, "read once, at startup");
    let named: Vec<String> = binary
        .stderr()
        .into_iter()
        .filter(|line| line.contains("-served-by"))
        .collect();
    assert_eq!(named.len(), 1, "{named:?}");
    assert!(
        named[0].ends_with(&format!(
            "[INFO] -served-by: naming this replica from the ECS task metadata: {TASK_NAME}"
        )),
        "{named:?}"
    );
}

#[tokio::test]
async fn a_slow_endpoint_delays_the_start_by_the_timeout_at_most_and_is_reported_once() {
    let uri = metadata_endpoint(Endpoint::Silent);
    let started = Instant::now();
    let (binary, header) = served_by_header(Binary::serve(
        &["-text=x"],
        &[
            ("ECHO_SERVED_BY", "true"),
            (METADATA_URI_VAR, &uri),
            ("POD_NAME", "web-1"),
        ],
    ))
    .await;
    let took = started.elapsed();
    assert_eq!(header.as_deref(), Some("pod=web-1"));
    // One second of waiting, then the start; the margin is for a busy machine.
    assert!(took >= served_by::METADATA_TIMEOUT, "{took:?}");
    assert!(
        took < served_by::METADATA_TIMEOUT + Duration::from_secs(3),
        "{took:?}"
    );
    let warnings: Vec<String> = binary
        .stderr()
        .into_iter()
        .filter(|line| line.contains("[WARN]"))
        .collect();
    assert_eq!(warnings.len(), 1, "said once: {:?}", binary.stderr());
    assert!(
        warnings[0].ends_with(&format!(
            "[WARN] -served-by: the ECS task metadata at {uri}/task could not be read \
             (no answer within 1s); naming this replica from POD_NAME and NODE_NAME: pod=web-1"
        )),
        "{warnings:?}"
    );
}

#[tokio::test]
async fn kubernetes_names_or_the_hostname_and_nothing_without_the_flag() {
    let (_b, header) = served_by_header(Binary::serve(
        &["-text=x", "-served-by"],
        &[("POD_NAME", "web-7d4b9"), ("NODE_NAME", "ip-10-0-1-5")],
    ))
    .await;
    assert_eq!(header.as_deref(), Some("pod=web-7d4b9 node=ip-10-0-1-5"));
    let (binary, header) = served_by_header(Binary::serve(&["-text=x", "-served-by"], &[])).await;
    let header = header.unwrap();
    assert!(header.starts_with("host=") && header.len() > 5, "{header}");
    assert!(binary
        .stderr()
        .iter()
        .any(|line| line.ends_with(&format!("naming this replica from the hostname: {header}"))));
    // Opt-in: the variables alone change nothing, and the endpoint is not asked.
    let (uri, asked) = counted_metadata_endpoint(Endpoint::Answers(TASK));
    let (binary, header) = served_by_header(Binary::serve(
        &["-text=x"],
        &[(METADATA_URI_VAR, &uri), ("POD_NAME", "web-1")],
    ))
    .await;
    assert_eq!(header, None);
    assert!(!binary
        .stderr()
        .iter()
        .any(|line| line.contains("served-by")));
    assert_eq!(asked.load(Ordering::SeqCst), 0);
}

#[test]
fn a_bad_served_by_value_exits_2_with_one_line() {
    let (code, stdout, stderr) =
        crate::support::run_binary(&["-text=x"], &[("ECHO_SERVED_BY", "yes please")]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(
        stderr,
        "invalid value \"yes please\" for environment variable ECHO_SERVED_BY: parse error\n"
    );
}
