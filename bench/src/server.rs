//! Starting and stopping the servers under test, each pinned to the server CPU, on a
//! fresh 127.0.0.1 port, and finding every process that belongs to one.

use std::fs::{self, File, OpenOptions};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use rustls::ClientConfig;

use crate::nginx_conf::{self, NginxSettings};
use crate::tls::{self, CertificateFiles, KeyKind};
use crate::{http, procfs, sys, Result};

/// The text both servers answer with (the upstream image's default); the body is this
/// and a newline.
pub const TEXT: &str = "hello-world";

/// How long a server may take to answer its first request before the harness gives up.
const READY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a server may take to exit after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// One server configuration that the benchmark measures.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Contender {
    /// Our server as shipped: the text access log on, stdout to a file on disk.
    Ours,
    /// Our server with `-log-format=json`, stdout to a file on disk.
    OursJson,
    /// Our server with `-served-by`: what naming the replica on every answer costs.
    OursServedBy,
    /// The reference.
    Nginx,
}

impl Contender {
    /// The name in the JSON results.
    pub fn key(self) -> &'static str {
        match self {
            Contender::Ours => "ours",
            Contender::OursJson => "ours_json",
            Contender::OursServedBy => "ours_served_by",
            Contender::Nginx => "nginx",
        }
    }

    /// The name in the printed table.
    pub fn label(self) -> &'static str {
        match self {
            Contender::Ours => "ours",
            Contender::OursJson => "ours-json",
            Contender::OursServedBy => "ours-served-by",
            Contender::Nginx => "nginx",
        }
    }
}

/// What a server listens with: plain HTTP, or TLS (HTTP/2 or HTTP/1.1 by ALPN) with a
/// certificate of one key kind.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Transport {
    Plain,
    Tls(KeyKind),
}

impl Transport {
    pub fn key(self) -> &'static str {
        match self {
            Transport::Plain => "plain",
            Transport::Tls(KeyKind::Ecdsa) => "tls_ecdsa",
            Transport::Tls(KeyKind::Rsa) => "tls_rsa",
        }
    }

    pub fn scheme(self) -> &'static str {
        match self {
            Transport::Plain => "http",
            Transport::Tls(_) => "https",
        }
    }
}

/// What every server start needs to know.
pub struct Setup {
    pub server_binary: PathBuf,
    pub nginx_binary: PathBuf,
    /// The certificate of each key kind, which both servers present.
    pub certificates: Vec<(KeyKind, CertificateFiles)>,
    /// The harness's TLS client.
    pub tls_client: Arc<ClientConfig>,
    /// Scratch directory of this run: access logs, nginx prefixes, stderr captures.
    pub work_dir: PathBuf,
    pub server_cpu: usize,
}

impl Setup {
    pub fn certificate(&self, kind: KeyKind) -> Result<&CertificateFiles> {
        self.certificates
            .iter()
            .find(|(made, _)| *made == kind)
            .map(|(_, files)| files)
            .ok_or_else(|| format!("no {} certificate was made for this run", kind.label()))
    }
}

/// Connections nginx is set up for unless a test needs more: above the benchmark's
/// 256 and like Debian's stock configuration (768). nginx allocates its connection
/// table up front, so a larger one would inflate its idle RSS.
const NGINX_DEFAULT_CONNECTIONS: u64 = 1024;

/// A server process the harness started. Dropping it kills the whole process tree,
/// so an error anywhere in the harness leaves nothing running.
pub struct RunningServer {
    pub contender: Contender,
    pub transport: Transport,
    pub port: u16,
    tls_client: Arc<ClientConfig>,
    child: Option<Child>,
    /// Taken just before the exec: the start of "exec to first 200".
    spawned_at: Instant,
    /// Where our server's stdout (the access log) goes.
    access_log: Option<PathBuf>,
    stderr_path: PathBuf,
}

impl RunningServer {
    /// Starts `contender` pinned to the server CPU on a free 127.0.0.1 port over
    /// `transport`, in its default configuration, or raised to hold `capacity`
    /// connections at once. Returns once the process exists; `wait_ready` waits for it
    /// to answer.
    pub fn spawn(
        setup: &Setup,
        contender: Contender,
        transport: Transport,
        capacity: Option<u64>,
    ) -> Result<Self> {
        let port = free_port()?;
        let name = format!("{}-{}-{port}", contender.key(), transport.key());
        let certificate = match transport {
            Transport::Plain => None,
            Transport::Tls(kind) => Some(setup.certificate(kind)?),
        };
        let stderr_path = setup.work_dir.join(format!("{name}.stderr"));
        let stderr = File::create(&stderr_path)
            .map_err(|e| format!("creating {}: {e}", stderr_path.display()))?;

        let mut access_log = None;
        let mut command = match contender {
            Contender::Ours | Contender::OursJson | Contender::OursServedBy => {
                let log_path = setup.work_dir.join(format!("{name}.access.log"));
                // Append mode, so truncating the file between loads (to spare the disk)
                // makes the server write at the new end rather than leave a hole.
                let log = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&log_path)
                    .map_err(|e| format!("creating {}: {e}", log_path.display()))?;
                access_log = Some(log_path);
                let mut command = Command::new(&setup.server_binary);
                command
                    .arg(format!("-listen=127.0.0.1:{port}"))
                    .arg(format!("-text={TEXT}"));
                if let Some(connections) = capacity {
                    // The default cap may be below what the idle-connection test holds.
                    command.arg(format!("-max-connections={}", connections + 64));
                }
                match contender {
                    Contender::OursJson => {
                        command.arg("-log-format=json");
                    }
                    Contender::OursServedBy => {
                        command.arg("-served-by");
                    }
                    Contender::Ours | Contender::Nginx => {}
                }
                if let Some(files) = certificate {
                    command.arg("-tls-cert").arg(&files.cert);
                    command.arg("-tls-key").arg(&files.key);
                }
                command.stdout(log);
                // Settings from ECHO_* variables in the caller's environment would change
                // what is measured.
                for (variable, _) in std::env::vars_os() {
                    if variable.to_string_lossy().starts_with("ECHO_") {
                        command.env_remove(variable);
                    }
                }
                command
            }
            Contender::Nginx => {
                let prefix = setup.work_dir.join(&name);
                fs::create_dir_all(&prefix)
                    .map_err(|e| format!("creating {}: {e}", prefix.display()))?;
                let config_path = prefix.join("nginx.conf");
                let config = nginx_conf::render(&NginxSettings {
                    prefix: &prefix,
                    port,
                    body: &format!("{TEXT}\n"),
                    // nginx starts closing idle keep-alive connections once fewer than
                    // 1/16 of its connection slots are free; twice the count keeps it
                    // well clear of that.
                    connections: capacity.map_or(NGINX_DEFAULT_CONNECTIONS, |c| 2 * c + 64),
                    tls: certificate,
                });
                fs::write(&config_path, config)
                    .map_err(|e| format!("writing {}: {e}", config_path.display()))?;
                let mut command = Command::new(&setup.nginx_binary);
                command
                    .arg("-p")
                    .arg(&prefix)
                    .arg("-c")
                    .arg(&config_path)
                    .arg("-e")
                    .arg(prefix.join("error.log"))
                    .stdout(Stdio::null());
                command
            }
        };
        command.stdin(Stdio::null()).stderr(stderr);
        sys::pin_on_exec(&mut command, setup.server_cpu);

        let binary = match contender {
            Contender::Nginx => &setup.nginx_binary,
            _ => &setup.server_binary,
        };
        let spawned_at = Instant::now();
        let child = command
            .spawn()
            .map_err(|e| format!("starting {}: {e}", binary.display()))?;
        Ok(RunningServer {
            contender,
            transport,
            port,
            tls_client: Arc::clone(&setup.tls_client),
            child: Some(child),
            spawned_at,
            access_log,
            stderr_path,
        })
    }

    /// Waits until `GET /` answers 200 and returns the time since the exec. Fails when
    /// the server exits, answers another status, or takes longer than READY_TIMEOUT.
    pub fn wait_ready(&mut self) -> Result<Duration> {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let deadline = self.spawned_at + READY_TIMEOUT;
        // Connection attempts are refused at once until the server listens; trying
        // again straight away keeps the reading precise, and costs only this (the
        // harness's) CPU, not the server's.
        while Instant::now() < deadline {
            self.check_alive()?;
            let Ok(stream) = TcpStream::connect(address) else {
                thread::yield_now();
                continue;
            };
            let timeout = Some(Duration::from_secs(2));
            let _ = stream.set_read_timeout(timeout);
            let _ = stream.set_write_timeout(timeout);
            let answer = match self.transport {
                Transport::Plain => http::get(&mut { stream }, false),
                Transport::Tls(_) => tls::wrap(&self.tls_client, stream)
                    .and_then(|mut tls| http::get(&mut tls, false)),
            };
            match answer {
                Ok(response) if response.status == 200 => return Ok(self.spawned_at.elapsed()),
                Ok(response) => {
                    return Err(format!(
                        "{} answered {} to GET /, expected 200",
                        self.contender.label(),
                        response.status
                    ));
                }
                Err(_) => thread::yield_now(),
            }
        }
        Err(format!(
            "{} ({}) did not answer 200 within {READY_TIMEOUT:?}{}",
            self.contender.label(),
            self.transport.key(),
            self.stderr_tail()
        ))
    }

    /// Fails, with the end of its stderr, when the server has exited.
    pub fn check_alive(&mut self) -> Result<()> {
        let Some(child) = self.child.as_mut() else {
            return Err(format!("{} was already stopped", self.contender.label()));
        };
        match child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(format!(
                "{} exited unexpectedly ({status}){}",
                self.contender.label(),
                self.stderr_tail()
            )),
            Err(e) => Err(format!("checking on {}: {e}", self.contender.label())),
        }
    }

    /// The server's processes now: for nginx the master and its worker.
    pub fn pids(&self) -> Vec<i32> {
        match &self.child {
            Some(child) => procfs::process_tree(child.id() as i32),
            None => Vec::new(),
        }
    }

    /// Bytes in the access log now (0 for nginx, whose access log is off).
    pub fn access_log_bytes(&self) -> u64 {
        self.access_log
            .as_ref()
            .and_then(|path| fs::metadata(path).ok())
            .map_or(0, |metadata| metadata.len())
    }

    /// Empties the access log so a long benchmark does not fill the disk.
    pub fn truncate_access_log(&self) -> Result<()> {
        if let Some(path) = &self.access_log {
            OpenOptions::new()
                .write(true)
                .open(path)
                .and_then(|file| file.set_len(0))
                .map_err(|e| format!("truncating {}: {e}", path.display()))?;
        }
        Ok(())
    }

    /// SIGTERM, then waits for the exit (killing the tree after STOP_TIMEOUT), and
    /// removes the access log. The exit code is not judged: that is the tests' job.
    pub fn stop(mut self) -> Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let tree = procfs::process_tree(child.id() as i32);
        sys::signal(child.id() as i32, libc::SIGTERM);
        let deadline = Instant::now() + STOP_TIMEOUT;
        let outcome = loop {
            match child.try_wait() {
                Ok(Some(_)) => break Ok(()),
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(2)),
                Ok(None) => {
                    kill_tree(&tree);
                    let _ = child.wait();
                    break Err(format!(
                        "{} did not exit within {STOP_TIMEOUT:?} of SIGTERM; killed it",
                        self.contender.label()
                    ));
                }
                Err(e) => break Err(format!("waiting for {}: {e}", self.contender.label())),
            }
        };
        // nginx's master waits for its worker; anything left over is killed all the same.
        kill_tree(&tree[1..]);
        if let Some(path) = &self.access_log {
            let _ = fs::remove_file(path);
        }
        outcome
    }

    fn stderr_tail(&self) -> String {
        let text = fs::read_to_string(&self.stderr_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(10)..].join("\n");
        if tail.is_empty() {
            String::new()
        } else {
            format!("; its stderr ends with:\n{tail}")
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill_tree(&procfs::process_tree(child.id() as i32));
            let _ = child.wait();
        }
    }
}

fn kill_tree(pids: &[i32]) {
    for &pid in pids {
        sys::signal(pid, libc::SIGKILL);
    }
}

/// A 127.0.0.1 port that was free a moment ago (the kernel picks it).
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| format!("finding a free port on 127.0.0.1: {e}"))?;
    listener
        .local_addr()
        .map(|address| address.port())
        .map_err(|e| format!("finding a free port on 127.0.0.1: {e}"))
}

/// Starts `contender` (see `RunningServer::spawn`), waits for its first 200, and
/// returns the server running.
pub fn start_ready(
    setup: &Setup,
    contender: Contender,
    transport: Transport,
    capacity: Option<u64>,
) -> Result<RunningServer> {
    let mut server = RunningServer::spawn(setup, contender, transport, capacity)?;
    server.wait_ready()?;
    Ok(server)
}

/// True when `path` names a file that can be executed.
pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path)
        .is_ok_and(|metadata| metadata.is_file() && metadata.permissions().mode() & 0o111 != 0)
}
