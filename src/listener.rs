//! The listening socket, opened from a Go-style address (`:5678`, `127.0.0.1:80`,
//! `[::1]:443`) with Go's error messages.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};

use tokio::net::{TcpListener, TcpSocket};

/// Pending connections the kernel may queue (capped by `net.core.somaxconn`).
const LISTEN_BACKLOG: u32 = 4096;

/// Why the listener could not be opened, worded as Go words it:
/// `listen tcp :5678: bind: address already in use`.
#[derive(Debug)]
pub struct BindError {
    listen: String,
    detail: String,
}

impl std::fmt::Display for BindError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "listen tcp {}: {}", self.listen, self.detail)
    }
}

impl std::error::Error for BindError {}

/// Opens the listener for a Go-style address. An empty host means every
/// interface, IPv4 and IPv6 (one dual-stack socket; IPv4 only where the kernel
/// has no IPv6). Must run inside the Tokio runtime.
pub fn bind(listen: &str) -> Result<TcpListener, BindError> {
    let fail = |detail: String| BindError {
        listen: listen.to_owned(),
        detail,
    };
    let (host, port) = split_host_port(listen).map_err(fail)?;
    let addr = match host {
        "" => {
            let any_v6 = SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port);
            return match listen_on(any_v6, true) {
                Err(e) if e.raw_os_error() == Some(libc::EAFNOSUPPORT) => listen_on(
                    SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port),
                    false,
                ),
                other => other,
            }
            .map_err(|e| fail(e.to_string()));
        }
        host => resolve(host, port).map_err(fail)?,
    };
    listen_on(addr, false).map_err(|e| fail(e.to_string()))
}

/// One step's error, prefixed with the step as Go does (`bind: ...`).
#[derive(Debug)]
struct StepError(&'static str, io::Error);

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.0, go_error_text(&self.1))
    }
}

impl StepError {
    fn raw_os_error(&self) -> Option<i32> {
        self.1.raw_os_error()
    }
}

fn listen_on(addr: SocketAddr, dual_stack: bool) -> Result<TcpListener, StepError> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(|e| StepError("socket", e))?;
    // Restarting must not fail on connections of the previous process in TIME_WAIT.
    socket
        .set_reuseaddr(true)
        .map_err(|e| StepError("setsockopt", e))?;
    if addr.is_ipv6() {
        set_ipv6_only(&socket, !dual_stack).map_err(|e| StepError("setsockopt", e))?;
    }
    // Answers go out in one write each; Nagle would only delay them. Accepted
    // sockets inherit the option from the listener on Linux, which saves a system
    // call on every connection.
    socket
        .set_nodelay(true)
        .map_err(|e| StepError("setsockopt", e))?;
    defer_accept(&socket).map_err(|e| StepError("setsockopt", e))?;
    socket.bind(addr).map_err(|e| StepError("bind", e))?;
    socket
        .listen(LISTEN_BACKLOG)
        .map_err(|e| StepError("listen", e))
}

fn set_ipv6_only(socket: &TcpSocket, only: bool) -> io::Result<()> {
    set_int_option(socket, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, only.into())
}

/// How long, in seconds, the kernel holds a connection whose client has sent
/// nothing yet before handing it to the server anyway.
const DEFER_ACCEPT_SECONDS: libc::c_int = 1;

/// Linux's TCP_DEFER_ACCEPT (nginx's `deferred`): a connection is accepted once
/// its first bytes have arrived, so that serving it starts with a read that
/// finds them, rather than a read that finds nothing, a wait for the socket to
/// become readable, and a second read. A new connection per request costs about
/// a fifth less CPU (measured by the benchmark). Every HTTP and TLS client
/// speaks first; one that stays silent is accepted after
/// [`DEFER_ACCEPT_SECONDS`], and `-header-read-timeout` then applies as before.
#[cfg(target_os = "linux")]
fn defer_accept(socket: &TcpSocket) -> io::Result<()> {
    set_int_option(
        socket,
        libc::IPPROTO_TCP,
        libc::TCP_DEFER_ACCEPT,
        DEFER_ACCEPT_SECONDS,
    )
}

#[cfg(not(target_os = "linux"))]
fn defer_accept(_socket: &TcpSocket) -> io::Result<()> {
    Ok(())
}

fn set_int_option(
    socket: &TcpSocket,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: a plain setsockopt on a socket we own, with a c_int option value.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            level,
            name,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

fn resolve(host: &str, port: u16) -> Result<SocketAddr, String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    // A static binary in a scratch image has no resolver configuration; the name
    // every container knows is handled here.
    if host.eq_ignore_ascii_case("localhost") {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    let mut addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("lookup {host}: {}", go_error_text(&e)))?
        .collect();
    // Go listens on the first IPv4 address of a name when there is one.
    addrs.sort_by_key(|a| !a.is_ipv4());
    addrs
        .into_iter()
        .next()
        .ok_or_else(|| format!("lookup {host}: no such host"))
}

/// Splits `host:port` like Go's `net.SplitHostPort` (`[::1]:80`, `:80`).
pub fn split_host_port(address: &str) -> Result<(&str, u16), String> {
    let problem = |why: &str| format!("address {address}: {why}");
    let (host, port) = if let Some(rest) = address.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| problem("missing ']' in address"))?;
        let port = after
            .strip_prefix(':')
            .ok_or_else(|| problem("missing port in address"))?;
        (host, port)
    } else {
        let (host, port) = address
            .rsplit_once(':')
            .ok_or_else(|| problem("missing port in address"))?;
        if host.contains(':') {
            return Err(problem("too many colons in address"));
        }
        (host, port)
    };
    let port = port.parse::<u16>().map_err(|_| problem("unknown port"))?;
    Ok((host, port))
}

/// An OS error as Go prints it: the C library's text, starting lowercase,
/// without Rust's `(os error N)` suffix.
pub fn go_error_text(error: &io::Error) -> String {
    let text = error.to_string();
    let text = match text.rfind(" (os error ") {
        Some(at) if error.raw_os_error().is_some() => &text[..at],
        _ => &text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpStream;

    #[test]
    fn splits_like_go() {
        assert_eq!(split_host_port(":5678"), Ok(("", 5678)));
        assert_eq!(split_host_port("127.0.0.1:80"), Ok(("127.0.0.1", 80)));
        assert_eq!(split_host_port("[::1]:443"), Ok(("::1", 443)));
        assert_eq!(split_host_port("localhost:0"), Ok(("localhost", 0)));
        assert_eq!(
            split_host_port("5678"),
            Err("address 5678: missing port in address".to_owned())
        );
        assert_eq!(
            split_host_port("::1:80"),
            Err("address ::1:80: too many colons in address".to_owned())
        );
        assert_eq!(
            split_host_port(":http"),
            Err("address :http: unknown port".to_owned())
        );
        assert_eq!(
            split_host_port(":70000"),
            Err("address :70000: unknown port".to_owned())
        );
    }

    #[tokio::test]
    async fn accepted_connections_inherit_nodelay_from_the_listener() {
        let listener = bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let _client = TcpStream::connect(addr).await.unwrap();
        let (accepted, _) = listener.accept().await.unwrap();
        assert!(accepted.nodelay().unwrap());
    }

    #[test]
    fn os_errors_read_like_go() {
        let e = io::Error::from_raw_os_error(libc::EADDRINUSE);
        assert_eq!(go_error_text(&e), "address already in use");
    }
}
