//! Runs the conformance corpus (`corpus.rs`) against the real server: each case on
//! a fresh connection, every mismatch reported at once.

use std::time::Duration;

use tokio::io::AsyncReadExt;

use crate::corpus::{Case, Then, HTTP1, MAX_BODY_BYTES, MAX_HEADER_BYTES};
use crate::support::{config, Client, TestServer};

/// The request that shows a kept connection is still in step.
const FOLLOW_UP: &[u8] = b"GET /follow-up HTTP/1.1\r\nHost: h\r\n\r\n";
const TEXT: &str = "corpus";

/// What the server did with one case, in the corpus's terms.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    answers: Vec<u16>,
    then: Then,
}

async fn run(server: &TestServer, case: &Case) -> Result<(), String> {
    let mut client = Client::connect(server.addr).await;
    client.send(case.sent).await;
    let mut answers = Vec::new();
    for _ in 0..case.answers.len() {
        match client.try_response(case.head).await {
            Some(response) => answers.push(response.status),
            None => break,
        }
    }
    let then = match case.then {
        Then::Kept => {
            client.send(FOLLOW_UP).await;
            match client.try_response(false).await {
                Some(next) if next.status == 200 && next.body_text() == format!("{TEXT}\n") => {
                    Then::Kept
                }
                Some(next) => {
                    return Err(format!(
                        "answers {answers:?}, then {} {:?} instead of the follow-up's echo",
                        next.status,
                        next.body_text()
                    ))
                }
                None => Then::Closed,
            }
        }
        Then::Closed => {
            // Nothing may follow the answers but the close: no body after a HEAD
            // answer, no answer to bytes after an error.
            let mut rest = client.take_buffered();
            let read =
                tokio::time::timeout(Duration::from_secs(3), client.stream.read_to_end(&mut rest))
                    .await;
            match read {
                Ok(_) if rest.is_empty() => Then::Closed,
                Ok(_) => {
                    return Err(format!(
                        "answers {answers:?}, then {:?} before the close",
                        String::from_utf8_lossy(&rest)
                    ))
                }
                Err(_) => Then::Kept,
            }
        }
    };
    let outcome = Outcome { answers, then };
    let expected = Outcome {
        answers: case.answers.to_vec(),
        then: case.then,
    };
    if outcome == expected {
        Ok(())
    } else {
        Err(format!("got {outcome:?}, want {expected:?}"))
    }
}

#[tokio::test]
async fn http1_corpus() {
    let mut cfg = config(TEXT);
    cfg.max_body_bytes = MAX_BODY_BYTES;
    cfg.max_header_bytes = MAX_HEADER_BYTES;
    let server = TestServer::start(cfg).await;
    let mut failures = Vec::new();
    for case in HTTP1 {
        if let Err(why) = run(&server, case).await {
            failures.push(format!("{}: {why}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        HTTP1.len(),
        failures.join("\n")
    );
}
