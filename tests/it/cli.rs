//! The real binary: every flag form, environment precedence, startup order,
//! messages and exit codes of upstream http-echo.

use std::net::TcpListener;
use std::time::Duration;

use http_echo::version::VERSION;

use crate::support::{run_binary, Binary};

/// Starts the binary and GETs `/` from it.
async fn served_text(args: &[&str], env: &[(&str, &str)]) -> String {
    let (_binary, addr) = Binary::serve(args, env);
    crate::support::get(addr, "/").await.body_text()
}

#[tokio::test]
async fn every_flag_form_sets_the_text() {
    for args in [
        &["-text=one"][..],
        &["--text=one"],
        &["-text", "one"],
        &["--text", "one"],
    ] {
        assert_eq!(served_text(args, &[]).await, "one\n", "{args:?}");
    }
}

#[tokio::test]
async fn echo_text_env_and_its_precedence() {
    assert_eq!(
        served_text(&[], &[("ECHO_TEXT", "from env")]).await,
        "from env\n"
    );
    assert_eq!(
        served_text(&["-text=flag"], &[("ECHO_TEXT", "env")]).await,
        "flag\n"
    );
    // An empty -text does not hide ECHO_TEXT.
    assert_eq!(
        served_text(&["-text="], &[("ECHO_TEXT", "env")]).await,
        "env\n"
    );
}

#[tokio::test]
async fn every_setting_reads_its_env_var_and_the_flag_wins() {
    let (_b, addr) = Binary::serve(&["-text=x"], &[("ECHO_STATUS_CODE", "202")]);
    assert_eq!(crate::support::get(addr, "/").await.status, 202);
    let (_b, addr) = Binary::serve(
        &["-text=x", "-status-code=203"],
        &[("ECHO_STATUS_CODE", "202")],
    );
    assert_eq!(crate::support::get(addr, "/").await.status, 203);
}

#[test]
fn missing_text_exits_127() {
    let (code, stdout, stderr) = run_binary(&[], &[]);
    assert_eq!(code, 127);
    assert_eq!(stdout, "");
    assert_eq!(stderr, "Missing -text option or ECHO_TEXT env var!\n");
}

#[test]
fn stray_arguments_exit_127_after_the_text_check() {
    let (code, _, stderr) = run_binary(&["-text=a", "stray"], &[]);
    assert_eq!((code, stderr.as_str()), (127, "Too many arguments!\n"));
    // Parsing stops at the first non-flag: what follows is stray too.
    let (code, _, stderr) = run_binary(&["-text=a", "--", "-status-code=201"], &[]);
    assert_eq!((code, stderr.as_str()), (127, "Too many arguments!\n"));
    // Without text, the text complaint comes first.
    let (code, _, stderr) = run_binary(&["stray"], &[]);
    assert_eq!(
        (code, stderr.as_str()),
        (127, "Missing -text option or ECHO_TEXT env var!\n")
    );
}

#[test]
fn version_comes_first_and_goes_to_stdout() {
    for args in [
        &["-version"][..],
        &["--version", "stray"],
        &["-version=true"],
    ] {
        let (code, stdout, stderr) = run_binary(args, &[]);
        assert_eq!(code, 0, "{args:?}");
        assert_eq!(stderr, "");
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), 2, "{stdout}");
        assert!(
            lines[0].starts_with(&format!("http-echo v{VERSION} (")),
            "{}",
            lines[0]
        );
        assert!(lines[0].ends_with(')'));
        assert!(lines[1].starts_with("Built: "), "{}", lines[1]);
    }
    // -version=false is not a version request.
    let (code, _, _) = run_binary(&["-version=false"], &[]);
    assert_eq!(code, 127);
}

#[test]
fn help_prints_usage_to_stderr_and_exits_0() {
    for flag in ["-h", "-help", "--help", "--h"] {
        let (code, stdout, stderr) = run_binary(&[flag], &[]);
        assert_eq!(code, 0, "{flag}");
        assert_eq!(stdout, "");
        assert!(stderr.starts_with("Usage of "), "{stderr}");
        assert!(stderr
            .contains("  -listen string\n    \taddress and port to listen (default \":5678\")\n"));
        assert!(stderr.contains("  -text string\n    \ttext to put on the webpage\n"));
        assert!(stderr
            .contains("  -status-code int\n    \thttp response code, e.g.: 200 (default 200)\n"));
        assert!(stderr.contains("  -version\n    \tdisplay version information\n"));
        assert!(
            stderr.contains("stdout cannot keep up"),
            "help says what happens to logs"
        );
    }
}

#[test]
fn unknown_flags_and_bad_values_exit_2_with_usage() {
    let cases: [(&[&str], &str); 6] = [
        (&["-bogus"], "flag provided but not defined: -bogus\n"),
        (&["-text"], "flag needs an argument: -text\n"),
        (&["-status-code=abc", "-text=x"], "invalid value \"abc\" for flag -status-code: parse error\n"),
        (&["-status-code=1000", "-text=x"], "invalid value \"1000\" for flag -status-code: status code must be between 100 and 999\n"),
        (&["-status-code", "99", "-text=x"], "invalid value \"99\" for flag -status-code: status code must be between 100 and 999\n"),
        (&["-version=maybe"], "invalid boolean value \"maybe\" for -version: parse error\n"),
    ];
    for (args, first_line) in cases {
        let (code, stdout, stderr) = run_binary(args, &[]);
        assert_eq!(code, 2, "{args:?}");
        assert_eq!(stdout, "");
        assert!(stderr.starts_with(first_line), "{args:?}: {stderr}");
        assert!(stderr.contains("\nUsage of "), "usage follows the error");
    }
    let (code, _, stderr) = run_binary(&["-text=x"], &[("ECHO_IDLE_TIMEOUT", "soon")]);
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "invalid value \"soon\" for environment variable ECHO_IDLE_TIMEOUT: invalid duration \"soon\"\n"
    );
}

#[test]
fn a_port_in_use_is_one_clear_error_and_exit_1() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = format!("-listen={}", taken.local_addr().unwrap());
    let (code, stdout, stderr) = run_binary(&["-text=x", &listen], &[]);
    assert_eq!(code, 1);
    assert_eq!(stdout, "");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].ends_with(&format!(
            " [ERR] server exited with: listen tcp {}: bind: address already in use",
            taken.local_addr().unwrap()
        )),
        "{stderr}"
    );
}

#[test]
fn a_bad_listen_address_is_one_clear_error() {
    let (code, _, stderr) = run_binary(&["-text=x", "-listen=5678"], &[]);
    assert_eq!(code, 1);
    assert!(
        stderr.ends_with(
            "[ERR] server exited with: listen tcp 5678: address 5678: missing port in address\n"
        ),
        "{stderr}"
    );
}

#[test]
fn unreadable_tls_files_are_one_clear_error() {
    let dir = std::env::temp_dir().join(format!("http-echo-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(&cert, generated.cert.pem()).unwrap();
    std::fs::write(
        &key,
        "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let args = [
        "-text=x".to_owned(),
        "-listen=127.0.0.1:0".to_owned(),
        format!("-tls-cert={}", cert.display()),
        format!("-tls-key={}", key.display()),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, stderr) = run_binary(&args, &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("[ERR] failed to load TLS key {}", key.display())),
        "{stderr}"
    );

    let missing = dir.join("missing.pem");
    let args = [
        "-text=x".to_owned(),
        format!("-tls-cert={}", missing.display()),
        format!("-tls-key={}", key.display()),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, stderr) = run_binary(&args, &[]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains(&format!(
            "failed to load TLS certificate {}",
            missing.display()
        )),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn listening_line_names_the_listen_flag_as_given() {
    let binary = Binary::spawn(&["-text=x", "-listen=127.0.0.1:0"], &[]);
    let line = binary.wait_for_stderr("[INFO] server is listening on ", Duration::from_secs(10));
    assert!(
        line.contains("[INFO] server is listening on 127.0.0.1:0 (bound to 127.0.0.1:"),
        "{line}"
    );
    let (stamp, _) = line.split_at(19);
    assert_eq!(stamp.as_bytes()[4], b'/');
}

#[tokio::test]
async fn empty_host_listens_on_ipv4_and_ipv6() {
    // Find a free port, then let the server take it with an empty host.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("-listen=:{port}");
    let binary = Binary::spawn(&["-text=both", &listen], &[]);
    binary.wait_for_stderr(
        &format!("server is listening on :{port}"),
        Duration::from_secs(10),
    );
    let v4 = crate::support::get(format!("127.0.0.1:{port}").parse().unwrap(), "/").await;
    assert_eq!(v4.body_text(), "both\n");
    if std::net::TcpListener::bind("[::1]:0").is_ok() {
        let v6 = crate::support::get(format!("[::1]:{port}").parse().unwrap(), "/").await;
        assert_eq!(v6.body_text(), "both\n");
    }
}
