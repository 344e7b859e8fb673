//! Test harness: an in-process server on 127.0.0.1:0, a captured access log, a raw
//! HTTP/1 client that shows exact bytes, a test certificate with TLS and HTTP/2
//! clients, and the real binary with its stderr.

#![allow(dead_code)]

use std::convert::Infallible;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_echo::config::{Config, LogFormat, TlsFiles};
use http_echo::faults::Faults;
use http_echo::served_by::Replica;
use http_echo::server::{DrainTimedOut, Server};
use http_echo::shutdown::{self, ShutdownTrigger};
use http_echo::telemetry::{AccessLog, LogWriter};
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// A configuration with test-friendly defaults; change fields as needed.
pub fn config(text: &str) -> Config {
    Config {
        listen: "127.0.0.1:0".to_owned(),
        text: text.to_owned(),
        status_code: 200,
        log_format: LogFormat::Text,
        shutdown_delay: Duration::ZERO,
        shutdown_timeout: Duration::from_secs(5),
        idle_timeout: Duration::from_secs(75),
        header_read_timeout: Duration::from_secs(10),
        max_header_bytes: 65_536,
        max_body_bytes: 10 << 20,
        max_connections: 1024,
        tls: None,
        served_by: false,
        faults: Faults::default(),
    }
}

/// Bytes written by the server's access log.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// Waits (up to 2 s) until a line contains `needle`, and returns all lines.
    pub async fn lines_until(&self, needle: &str) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(2);
        while !self.text().contains(needle) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.text().lines().map(str::to_owned).collect()
    }

    /// Waits (up to 2 s) until at least `n` lines were written, and returns all lines.
    pub async fn lines(&self, n: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let lines: Vec<String> = self.text().lines().map(str::to_owned).collect();
            if lines.len() >= n || Instant::now() > deadline {
                return lines;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// The real server, running in this test's runtime.
pub struct TestServer {
    pub addr: SocketAddr,
    pub log: Captured,
    trigger: ShutdownTrigger,
    task: JoinHandle<Result<(), DrainTimedOut>>,
    _writer: Option<LogWriter>,
}

impl TestServer {
    pub async fn start(config: Config) -> TestServer {
        TestServer::serving_as(config, None).await
    }

    /// A server naming itself `served_by` (as `-served-by` does with the name
    /// it found).
    pub async fn serving_as(config: Config, served_by: Option<&Replica>) -> TestServer {
        let log = Captured::default();
        let (access_log, writer) = AccessLog::to_writer(config.log_format, Box::new(log.clone()));
        let server = Server::new(&config, served_by, access_log).expect("server setup");
        let listener = http_echo::listener::bind(&config.listen).expect("bind");
        let addr = listener.local_addr().unwrap();
        let (trigger, signal) = shutdown::channel();
        let task = tokio::spawn(server.run(listener, signal));
        TestServer {
            addr,
            log,
            trigger,
            task,
            _writer: writer,
        }
    }

    pub async fn text(text: &str) -> TestServer {
        TestServer::start(config(text)).await
    }

    /// As SIGTERM would.
    pub fn request_shutdown(&self) {
        self.trigger.request_shutdown();
    }

    /// Requests shutdown and waits for `run` to return.
    pub async fn stop(self) -> Result<(), DrainTimedOut> {
        self.trigger.request_shutdown();
        self.finished().await
    }

    pub async fn finished(self) -> Result<(), DrainTimedOut> {
        tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .expect("server stopped in time")
            .expect("server task did not panic")
    }

    pub async fn connect(&self) -> TcpStream {
        TcpStream::connect(self.addr).await.expect("connect")
    }
}

/// A self-signed certificate for `localhost`, written to a fresh folder.
pub struct TestCertificate {
    dir: PathBuf,
    pub files: TlsFiles,
    der: CertificateDer<'static>,
}

impl TestCertificate {
    pub fn new(name: &str) -> TestCertificate {
        let dir = std::env::temp_dir().join(format!("http-echo-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let files = TlsFiles {
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        };
        std::fs::write(&files.cert, generated.cert.pem()).unwrap();
        std::fs::write(&files.key, generated.key_pair.serialize_pem()).unwrap();
        TestCertificate {
            dir,
            files,
            der: generated.cert.der().clone(),
        }
    }

    pub fn connector(&self, alpn: &[&[u8]]) -> TlsConnector {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.der.clone()).unwrap();
        let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        TlsConnector::from(Arc::new(config))
    }

    /// A TLS connection to `addr` offering `alpn`.
    pub async fn connect(&self, addr: SocketAddr, alpn: &[&[u8]]) -> TlsStream<TcpStream> {
        let tcp = TcpStream::connect(addr).await.expect("connect");
        self.connector(alpn)
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .expect("TLS handshake")
    }

    /// An HTTP/2 client on a fresh connection to `addr`.
    pub async fn h2_client(&self, addr: SocketAddr) -> SendRequest<H2Body> {
        self.h2_connection(addr).await.0
    }

    /// An HTTP/2 client, and the task driving its connection: it ends when the
    /// connection closes.
    pub async fn h2_connection(&self, addr: SocketAddr) -> (SendRequest<H2Body>, JoinHandle<()>) {
        let tls = self.connect(addr, &[b"h2", b"http/1.1"]).await;
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
        let (sender, connection) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls))
                .await
                .expect("h2 handshake");
        let task = tokio::spawn(async move {
            let _ = connection.await;
        });
        (sender, task)
    }
}

/// Request bodies the HTTP/2 test client sends: empty, whole, or streamed.
pub type H2Body = BoxBody<Bytes, Infallible>;

impl Drop for TestCertificate {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A server with TLS (HTTP/2 and HTTP/1.1 by ALPN) answering `text`.
pub async fn tls_server(cert: &TestCertificate, text: &str) -> TestServer {
    let mut cfg = config(text);
    cfg.tls = Some(cert.files.clone());
    TestServer::start(cfg).await
}

/// One parsed HTTP/1 response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub status_line: String,
    /// (name, value) in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Reads responses from one connection (plain TCP, or TLS), keeping bytes
/// between them.
pub struct Client<S = TcpStream> {
    pub stream: S,
    buffer: Vec<u8>,
}

impl Client<TcpStream> {
    pub async fn connect(addr: SocketAddr) -> Client {
        Client::over(TcpStream::connect(addr).await.expect("connect"))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Client<S> {
    pub fn over(stream: S) -> Client<S> {
        Client {
            stream,
            buffer: Vec::new(),
        }
    }

    /// Bytes received after the last response read.
    pub fn take_buffered(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buffer)
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("send");
    }

    /// Reads one response. `head_request`: the response to HEAD has no body.
    pub async fn response(&mut self, head_request: bool) -> Response {
        self.try_response(head_request)
            .await
            .expect("a complete response")
    }

    pub async fn try_response(&mut self, head_request: bool) -> Option<Response> {
        let deadline = Duration::from_secs(10);
        tokio::time::timeout(deadline, self.read_response(head_request))
            .await
            .expect("response within 10 s")
    }

    async fn read_response(&mut self, head_request: bool) -> Option<Response> {
        let head_end = loop {
            if let Some(end) = find(&self.buffer, b"\r\n\r\n") {
                break end + 4;
            }
            if !self.fill().await {
                return None;
            }
        };
        let head = String::from_utf8_lossy(&self.buffer[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default().to_owned();
        let status: u16 = status_line.split(' ').nth(1)?.parse().ok()?;
        let headers: Vec<(String, String)> = lines
            .filter(|l| !l.is_empty())
            .filter_map(|l| l.split_once(": "))
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect();
        self.buffer.drain(..head_end);
        let length = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .unwrap_or(0);
        let length = if head_request || (100..200).contains(&status) {
            0
        } else {
            length
        };
        while self.buffer.len() < length {
            if !self.fill().await {
                return None;
            }
        }
        let body = self.buffer.drain(..length).collect();
        Some(Response {
            status,
            status_line,
            headers,
            body,
        })
    }

    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 8192];
        match self.stream.read(&mut chunk).await {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.buffer.extend_from_slice(&chunk[..n]);
                true
            }
        }
    }

    /// True when the server closed the connection (EOF) within `within`.
    pub async fn closed_within(&mut self, within: Duration) -> bool {
        let mut chunk = [0u8; 1024];
        matches!(
            tokio::time::timeout(within, self.stream.read(&mut chunk)).await,
            Ok(Ok(0)) | Ok(Err(_))
        )
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// GET `path` on a fresh connection.
pub async fn get(addr: SocketAddr, path: &str) -> Response {
    let mut client = Client::connect(addr).await;
    client
        .send(format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").as_bytes())
        .await;
    client.response(false).await
}

/// Everything the server sends on a fresh connection after `request`, until it closes.
pub async fn exchange_until_close(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("send");
    let mut all = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut all)).await;
    all
}

/// The real binary, started with `args` and `env`, stdout and stderr captured.
pub struct Binary {
    child: Child,
    stderr_lines: Arc<Mutex<Vec<String>>>,
    stdout: Arc<Mutex<Vec<u8>>>,
}

pub const BINARY: &str = env!("CARGO_BIN_EXE_http-echo");

impl Binary {
    pub fn spawn(args: &[&str], env: &[(&str, &str)]) -> Binary {
        let mut command = Command::new(BINARY);
        command
            .args(args)
            .env_clear()
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawn http-echo");
        let stderr_lines = Arc::new(Mutex::new(Vec::new()));
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let lines = Arc::clone(&stderr_lines);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
        let mut out = child.stdout.take().unwrap();
        let sink = Arc::clone(&stdout);
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = std::io::Read::read(&mut out, &mut chunk) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&chunk[..n]);
            }
        });
        Binary {
            child,
            stderr_lines,
            stdout,
        }
    }

    /// Starts a server on 127.0.0.1:0 and returns it with its address.
    pub fn serve(args: &[&str], env: &[(&str, &str)]) -> (Binary, SocketAddr) {
        let mut all = vec!["-listen=127.0.0.1:0"];
        all.extend_from_slice(args);
        let binary = Binary::spawn(&all, env);
        let line = binary.wait_for_stderr("(bound to ", Duration::from_secs(10));
        let addr = line
            .rsplit("(bound to ")
            .next()
            .and_then(|rest| rest.strip_suffix(')'))
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        (binary, addr)
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    pub fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on our own child.
        unsafe {
            libc::kill(self.pid(), signal);
        }
    }

    pub fn stderr(&self) -> Vec<String> {
        self.stderr_lines.lock().unwrap().clone()
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout.lock().unwrap()).into_owned()
    }

    /// Waits for a stderr line containing `needle`; panics with all of stderr if none.
    pub fn wait_for_stderr(&self, needle: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            if let Some(line) = self.stderr().into_iter().find(|l| l.contains(needle)) {
                return line;
            }
            assert!(
                Instant::now() < deadline,
                "no stderr line with {needle:?}; stderr: {:?}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for exit; panics if it takes longer than `within`.
    pub fn wait(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                // Let the reader threads drain the pipes.
                std::thread::sleep(Duration::from_millis(50));
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "http-echo did not exit within {within:?}; stderr: {:?}",
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the binary to completion: (exit code, stdout, stderr).
pub fn run_binary(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let output = Command::new(BINARY)
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("run http-echo");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

pub const SIGTERM: i32 = libc::SIGTERM;
pub const SIGINT: i32 = libc::SIGINT;
