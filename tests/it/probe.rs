//! `-healthcheck`: the probe a scratch image's HEALTHCHECK runs.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use crate::support::{run_binary, Binary};

#[test]
fn healthy_server_exits_0() {
    let (_server, addr) = Binary::serve(&["-text=x"], &[]);
    let listen = format!("-listen={addr}");
    let (code, stdout, _) = run_binary(&[&listen, "-healthcheck"], &[]);
    assert_eq!(code, 0);
    assert!(stdout.contains("answered 200"), "{stdout}");
    // The port can also come from ECHO_LISTEN, as in the image.
    let (code, _, _) = run_binary(&["-healthcheck"], &[("ECHO_LISTEN", &addr.to_string())]);
    assert_eq!(code, 0);
    // Or a full URL.
    let url = format!("-healthcheck=http://{addr}/health");
    assert_eq!(run_binary(&[&url], &[]).0, 0);
}

#[test]
fn a_url_given_as_a_separate_argument_is_refused() {
    // Go's flag reads `-healthcheck URL` as the flag alone and a stray URL; the
    // probe must not quietly check the default URL instead.
    let (_server, addr) = Binary::serve(&["-text=x"], &[]);
    let url = format!("http://{addr}/health");
    let (code, stdout, stderr) = run_binary(&["-healthcheck", &url], &[]);
    assert_eq!(code, 127, "{stdout}{stderr}");
    assert_eq!(
        stderr,
        format!("Too many arguments! The probe takes its URL after an equals sign: -healthcheck={url}\n")
    );
}

#[test]
fn dead_server_exits_1_quickly() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = Instant::now();
    let (code, _, stderr) =
        run_binary(&["-healthcheck", &format!("-listen=127.0.0.1:{port}")], &[]);
    assert_eq!(code, 1);
    assert!(stderr.starts_with("unhealthy: "), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn a_server_that_never_answers_fails_within_2s() {
    // Accepts (the kernel does) but never responds.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "-healthcheck=http://{}/health",
        silent.local_addr().unwrap()
    );
    let started = Instant::now();
    let (code, _, stderr) = run_binary(&[&url], &[]);
    let took = started.elapsed();
    assert_eq!(code, 1, "{stderr}");
    assert!(took < Duration::from_millis(2500), "took {took:?}");
}

#[tokio::test]
async fn a_server_shutting_down_is_unhealthy() {
    let (server, addr) = Binary::serve(&["-text=x", "-shutdown-delay=5s"], &[]);
    server.signal(crate::support::SIGTERM);
    server.wait_for_stderr("received interrupt", Duration::from_secs(5));
    let listen = format!("-listen={addr}");
    let (code, _, stderr) = run_binary(&[&listen, "-healthcheck"], &[]);
    assert_eq!(code, 1);
    assert!(stderr.contains("status 503"), "{stderr}");
}

#[test]
fn non_2xx_fails_and_bad_urls_are_refused() {
    let (_server, addr) = Binary::serve(&["-text=x", "-status-code=500"], &[]);
    let url = format!("-healthcheck=http://{addr}/not-health");
    let (code, _, stderr) = run_binary(&[&url], &[]);
    assert_eq!(code, 1);
    assert!(stderr.contains("status 500"), "{stderr}");
    let (code, _, stderr) = run_binary(&["-healthcheck=ftp://x/"], &[]);
    assert_eq!(code, 1);
    assert!(stderr.contains("http:// or https://"), "{stderr}");
}
