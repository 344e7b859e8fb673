//! One GET and its answer over HTTP/1.1, on a new connection or a kept-alive one.
//!
//! The client is as small as a watcher needs: one request shape, answers framed
//! by `Content-Length`, chunked coding or the end of the connection, interim 1xx
//! answers skipped. Nothing is retried: a failure is what the watch is for.
//!
//! It blocks, one thread per request: std's sockets and rustls' own stream are in
//! the binary already (the probe uses them), an async client would add its state
//! machines to it. Every read and write is bounded by the request's deadline.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};

use crate::app::{APP_VERSION_HEADER, SERVED_BY_HEADER};
use crate::url::Url;

/// Why a request got no answer, or no usable one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FailureKind {
    /// Nothing listens on the port (the connection was refused).
    Refused,
    /// The peer reset the connection, or the pipe broke while sending.
    Reset,
    /// The peer closed the connection before the answer was complete.
    Closed,
    /// No complete answer within `-watch-timeout`.
    Timeout,
    /// The host name did not resolve.
    Dns,
    /// Connecting failed for another reason (no route, network down).
    Connect,
    /// The TLS handshake failed, e.g. the certificate was not trusted.
    Tls,
    /// What came back was not an HTTP/1 answer this client can read.
    Protocol,
    /// Any other I/O error.
    Other,
}

impl FailureKind {
    pub const ALL: [FailureKind; 9] = [
        FailureKind::Refused,
        FailureKind::Reset,
        FailureKind::Closed,
        FailureKind::Timeout,
        FailureKind::Dns,
        FailureKind::Connect,
        FailureKind::Tls,
        FailureKind::Protocol,
        FailureKind::Other,
    ];

    /// The key in the summary's `failures`.
    pub fn name(self) -> &'static str {
        match self {
            FailureKind::Refused => "refused",
            FailureKind::Reset => "reset",
            FailureKind::Closed => "closed",
            FailureKind::Timeout => "timeout",
            FailureKind::Dns => "dns",
            FailureKind::Connect => "connect",
            FailureKind::Tls => "tls",
            FailureKind::Protocol => "protocol",
            FailureKind::Other => "other",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    /// One line for a human: the error as the system worded it.
    pub detail: String,
}

impl Failure {
    pub fn new(kind: FailureKind, detail: impl Into<String>) -> Failure {
        Failure {
            kind,
            detail: detail.into(),
        }
    }

    fn protocol(detail: impl Into<String>) -> Failure {
        Failure::new(FailureKind::Protocol, detail)
    }

    fn timeout() -> Failure {
        Failure::new(FailureKind::Timeout, "no complete answer in time")
    }

    /// An I/O error, while connecting (TLS handshake included) or after.
    fn io(error: &io::Error, connecting: bool) -> Failure {
        let kind = match error.kind() {
            io::ErrorKind::ConnectionRefused => FailureKind::Refused,
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe => FailureKind::Reset,
            io::ErrorKind::UnexpectedEof => FailureKind::Closed,
            // A socket timeout reads as EAGAIN on Linux.
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => FailureKind::Timeout,
            // rustls reports handshake and record errors as InvalidData wrapping
            // its own error.
            _ if error
                .get_ref()
                .is_some_and(|inner| inner.is::<rustls::Error>()) =>
            {
                FailureKind::Tls
            }
            _ if connecting => FailureKind::Connect,
            _ => FailureKind::Other,
        };
        Failure::new(kind, error.to_string())
    }
}

/// What an answer said, as far as the watch cares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub app_version: Option<String>,
    pub served_by: Option<String>,
    pub body: Vec<u8>,
}

/// Larger answer heads are refused; http-echo's are about 200 bytes.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Larger bodies are refused: the watcher reads small answers, not downloads.
const MAX_BODY_BYTES: usize = 64 * 1024;
/// Kept-alive connections waiting for their next request. Requests alternate,
/// so one is usually enough; a few cover answers slower than the interval.
const MAX_IDLE: usize = 8;

/// Sends the watch's requests; shared by all of them.
pub struct Client {
    url: Url,
    tls: Option<(Arc<ClientConfig>, ServerName<'static>)>,
    /// With `Connection: close`: one request per connection.
    request_once: Vec<u8>,
    request_kept: Vec<u8>,
    idle: Mutex<Vec<Connection>>,
    /// Picks the next of the host's addresses, so that every node of a load
    /// balancer (one per zone) gets new connections.
    next_address: AtomicUsize,
}

impl Client {
    /// `tls` is used when the URL is https. Fails when the host is not a valid
    /// TLS server name (config checks that first).
    pub fn new(url: Url, tls: Arc<ClientConfig>, user_agent: &str) -> Result<Client, String> {
        let tls = if url.tls {
            let name = ServerName::try_from(url.host.clone())
                .map_err(|e| format!("{:?} is not a host name: {e}", url.host))?;
            Some((tls, name))
        } else {
            None
        };
        let request = |extra: &str| {
            format!(
                "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {user_agent}\r\n{extra}\r\n",
                url.path, url.authority
            )
            .into_bytes()
        };
        Ok(Client {
            request_once: request("Connection: close\r\n"),
            request_kept: request(""),
            url,
            tls,
            idle: Mutex::new(Vec::new()),
            next_address: AtomicUsize::new(0),
        })
    }

    /// A kept-alive connection ready for another request, if there is one. One
    /// the server closed while it was idle is dropped here: a client learns
    /// that before sending, and it is no failed request.
    pub fn idle_connection(&self) -> Option<Connection> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        while let Some(connection) = idle.pop() {
            if connection.is_open() {
                return Some(connection);
            }
        }
        None
    }

    /// GETs the URL on `connection`, or on a new connection when it is `None`,
    /// all before `deadline`. With `keep_alive`, the connection is kept for a
    /// later request if the answer allows it; without, the request says
    /// `Connection: close`.
    pub fn get(
        &self,
        connection: Option<Connection>,
        keep_alive: bool,
        deadline: Instant,
    ) -> Result<Answer, Failure> {
        let mut connection = match connection {
            Some(connection) => connection,
            None => self.connect(deadline)?,
        };
        let request = if keep_alive {
            &self.request_kept
        } else {
            &self.request_once
        };
        connection.send(request, deadline)?;
        let (answer, reusable) = connection.read_answer(deadline)?;
        if keep_alive && reusable {
            let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
            if idle.len() < MAX_IDLE {
                idle.push(connection);
            }
        }
        Ok(answer)
    }

    fn connect(&self, deadline: Instant) -> Result<Connection, Failure> {
        let address = self.address()?;
        let tcp = TcpStream::connect_timeout(&address, left(deadline)?)
            .map_err(|e| Failure::io(&e, true))?;
        // One small request at a time: do not let Nagle hold it back.
        let _ = tcp.set_nodelay(true);
        let transport = match &self.tls {
            None => Transport::Plain(tcp),
            Some((config, name)) => {
                let session = ClientConnection::new(Arc::clone(config), name.clone())
                    .map_err(|e| Failure::new(FailureKind::Tls, e.to_string()))?;
                let mut stream = StreamOwned::new(session, tcp);
                while stream.conn.is_handshaking() {
                    set_timeouts(&stream.sock, deadline)?;
                    stream
                        .conn
                        .complete_io(&mut stream.sock)
                        .map_err(|e| Failure::io(&e, true))?;
                }
                Transport::Tls(Box::new(stream))
            }
        };
        Ok(Connection {
            transport,
            buffer: Vec::with_capacity(1024),
        })
    }

    /// Resolved for every new connection, as a browser does, so that a load
    /// balancer's changing addresses are followed. IPv4 first: a host without an
    /// IPv6 route would fail every IPv6 address.
    fn address(&self) -> Result<SocketAddr, Failure> {
        if let Some(ip) = self.url.literal_ip() {
            return Ok(SocketAddr::new(ip, self.url.port));
        }
        let lookup =
            |e: String| Failure::new(FailureKind::Dns, format!("lookup {}: {e}", self.url.host));
        let addresses: Vec<SocketAddr> = (self.url.host.as_str(), self.url.port)
            .to_socket_addrs()
            .map_err(|e| lookup(e.to_string()))?
            .collect();
        let v4: Vec<SocketAddr> = addresses
            .iter()
            .copied()
            .filter(SocketAddr::is_ipv4)
            .collect();
        let pool = if v4.is_empty() { addresses } else { v4 };
        if pool.is_empty() {
            return Err(lookup("no address".to_owned()));
        }
        let next = self.next_address.fetch_add(1, Ordering::Relaxed);
        Ok(pool[next % pool.len()])
    }
}

/// The time left until `deadline`, or a timeout failure if none is.
fn left(deadline: Instant) -> Result<std::time::Duration, Failure> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|left| !left.is_zero())
        .ok_or_else(Failure::timeout)
}

/// Bounds the next socket operation by what is left until `deadline`.
fn set_timeouts(tcp: &TcpStream, deadline: Instant) -> Result<(), Failure> {
    let left = left(deadline)?;
    tcp.set_read_timeout(Some(left))
        .and_then(|()| tcp.set_write_timeout(Some(left)))
        .map_err(|e| Failure::io(&e, false))
}

enum Transport {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

/// A connection to the watched server, with what was read past the last answer.
pub struct Connection {
    transport: Transport,
    buffer: Vec<u8>,
}

impl Connection {
    fn tcp(&self) -> &TcpStream {
        match &self.transport {
            Transport::Plain(tcp) => tcp,
            Transport::Tls(tls) => &tls.sock,
        }
    }

    /// An idle connection has nothing to read: readable bytes or an end of
    /// stream mean the server closed it (or broke the protocol).
    fn is_open(&self) -> bool {
        let tcp = self.tcp();
        if tcp.set_nonblocking(true).is_err() {
            return false;
        }
        let idle = matches!(
            tcp.peek(&mut [0u8; 1]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock
        );
        tcp.set_nonblocking(false).is_ok() && idle
    }

    fn send(&mut self, request: &[u8], deadline: Instant) -> Result<(), Failure> {
        set_timeouts(self.tcp(), deadline)?;
        match &mut self.transport {
            Transport::Plain(tcp) => tcp.write_all(request),
            Transport::Tls(tls) => tls.write_all(request).and_then(|()| tls.flush()),
        }
        .map_err(|e| Failure::io(&e, false))
    }

    /// Reads more into the buffer; `false` at the end of the stream.
    fn fill(&mut self, deadline: Instant) -> Result<bool, Failure> {
        set_timeouts(self.tcp(), deadline)?;
        let mut chunk = [0u8; 8192];
        let read = match &mut self.transport {
            Transport::Plain(tcp) => tcp.read(&mut chunk),
            Transport::Tls(tls) => tls.read(&mut chunk),
        };
        match read {
            Ok(0) => Ok(false),
            Ok(n) => {
                self.buffer.extend_from_slice(&chunk[..n]);
                Ok(true)
            }
            // A TLS peer that closes without close_notify: the same as a TCP close.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
            Err(e) => Err(Failure::io(&e, false)),
        }
    }

    fn fill_or_closed(&mut self, deadline: Instant, waiting_for: &str) -> Result<(), Failure> {
        if self.fill(deadline)? {
            Ok(())
        } else {
            Err(Failure::new(
                FailureKind::Closed,
                format!("connection closed before {waiting_for}"),
            ))
        }
    }

    /// Reads one final answer, skipping interim 1xx ones. Also says whether the
    /// connection may carry another request.
    fn read_answer(&mut self, deadline: Instant) -> Result<(Answer, bool), Failure> {
        loop {
            let head = loop {
                if let Some(head) = parse_head(&self.buffer)? {
                    break head;
                }
                if self.buffer.len() > MAX_HEAD_BYTES {
                    return Err(Failure::protocol("answer head over 64 KiB"));
                }
                self.fill_or_closed(deadline, "an answer")?;
            };
            self.buffer.drain(..head.length);
            if (100..200).contains(&head.status) && head.status != 101 {
                continue;
            }
            let (body, delimited) = match head.framing {
                Framing::None => (Vec::new(), true),
                Framing::Length(length) => (self.read_exactly(length, deadline)?, true),
                Framing::Chunked => (self.read_chunked(deadline)?, true),
                Framing::UntilClose => (self.read_until_close(deadline)?, false),
            };
            let reusable = delimited && head.keep_alive;
            return Ok((
                Answer {
                    status: head.status,
                    app_version: head.app_version,
                    served_by: head.served_by,
                    body,
                },
                reusable,
            ));
        }
    }

    fn read_exactly(&mut self, length: usize, deadline: Instant) -> Result<Vec<u8>, Failure> {
        if length > MAX_BODY_BYTES {
            return Err(Failure::protocol(format!(
                "answer body of {length} bytes, over 64 KiB"
            )));
        }
        while self.buffer.len() < length {
            self.fill_or_closed(deadline, "the end of the body")?;
        }
        Ok(self.buffer.drain(..length).collect())
    }

    fn read_chunked(&mut self, deadline: Instant) -> Result<Vec<u8>, Failure> {
        let mut body = Vec::new();
        loop {
            let (size_length, size) = loop {
                match httparse::parse_chunk_size(&self.buffer) {
                    Ok(httparse::Status::Complete(found)) => break found,
                    Ok(httparse::Status::Partial) => {
                        self.fill_or_closed(deadline, "the next chunk")?
                    }
                    Err(_) => return Err(Failure::protocol("malformed chunk size")),
                }
            };
            if size == 0 {
                self.buffer.drain(..size_length);
                return self.skip_trailers(deadline).map(|()| body);
            }
            let size = usize::try_from(size)
                .ok()
                .filter(|size| body.len() + size <= MAX_BODY_BYTES)
                .ok_or_else(|| Failure::protocol("chunked answer body over 64 KiB"))?;
            while self.buffer.len() < size_length + size + 2 {
                self.fill_or_closed(deadline, "the end of a chunk")?;
            }
            if &self.buffer[size_length + size..size_length + size + 2] != b"\r\n" {
                return Err(Failure::protocol("chunk not followed by CRLF"));
            }
            body.extend_from_slice(&self.buffer[size_length..size_length + size]);
            self.buffer.drain(..size_length + size + 2);
        }
    }

    /// After the last chunk: trailer lines up to an empty one.
    fn skip_trailers(&mut self, deadline: Instant) -> Result<(), Failure> {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\r\n") {
                self.buffer.drain(..end + 2);
                if end == 0 {
                    return Ok(());
                }
                continue;
            }
            if self.buffer.len() > MAX_HEAD_BYTES {
                return Err(Failure::protocol("trailers over 64 KiB"));
            }
            self.fill_or_closed(deadline, "the end of the trailers")?;
        }
    }

    fn read_until_close(&mut self, deadline: Instant) -> Result<Vec<u8>, Failure> {
        while self.fill(deadline)? {
            if self.buffer.len() > MAX_BODY_BYTES {
                return Err(Failure::protocol("answer body over 64 KiB"));
            }
        }
        Ok(std::mem::take(&mut self.buffer))
    }
}

/// How the body of an answer ends (RFC 9112, section 6.3).
#[derive(Debug, PartialEq, Eq)]
enum Framing {
    None,
    Length(usize),
    Chunked,
    UntilClose,
}

#[derive(Debug, PartialEq, Eq)]
struct Head {
    /// Bytes of the status line and headers, blank line included.
    length: usize,
    status: u16,
    framing: Framing,
    /// HTTP/1.1 without `Connection: close`.
    keep_alive: bool,
    app_version: Option<String>,
    served_by: Option<String>,
}

/// Parses an answer head at the start of `bytes`; `None` if it is incomplete.
fn parse_head(bytes: &[u8]) -> Result<Option<Head>, Failure> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    let length = match response.parse(bytes) {
        Ok(httparse::Status::Complete(length)) => length,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(Failure::protocol(format!("malformed answer head: {e}"))),
    };
    let status = response.code.unwrap_or_default();
    let mut close = response.version != Some(1);
    let mut chunked = false;
    let mut content_length = None;
    let mut app_version = None;
    let mut served_by = None;
    for header in response.headers.iter() {
        let value = String::from_utf8_lossy(header.value);
        let value = value.trim();
        let name = header.name;
        if name.eq_ignore_ascii_case("connection") {
            close |= has_token(value, "close");
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value
                .rsplit(',')
                .next()
                .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"));
            if !chunked {
                return Err(Failure::protocol(format!(
                    "transfer coding {value:?} is not chunked"
                )));
            }
        } else if name.eq_ignore_ascii_case("content-length") {
            let parsed = value
                .parse::<usize>()
                .map_err(|_| Failure::protocol(format!("malformed Content-Length {value:?}")))?;
            if content_length.is_some_and(|earlier| earlier != parsed) {
                return Err(Failure::protocol("conflicting Content-Length headers"));
            }
            content_length = Some(parsed);
        } else if name.eq_ignore_ascii_case(APP_VERSION_HEADER) {
            app_version = Some(value.to_owned());
        } else if name.eq_ignore_ascii_case(SERVED_BY_HEADER) {
            served_by = Some(value.to_owned());
        }
    }
    let framing = if (100..200).contains(&status) || status == 204 || status == 304 {
        Framing::None
    } else if chunked {
        Framing::Chunked
    } else if let Some(length) = content_length {
        Framing::Length(length)
    } else {
        Framing::UntilClose
    };
    Ok(Some(Head {
        length,
        status,
        framing,
        keep_alive: !close,
        app_version,
        served_by,
    }))
}

fn has_token(list: &str, token: &str) -> bool {
    list.split(',')
        .any(|item| item.trim().eq_ignore_ascii_case(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(bytes: &[u8]) -> Head {
        parse_head(bytes).unwrap().expect("a complete head")
    }

    #[test]
    fn reads_what_http_echo_sends() {
        let bytes = b"HTTP/1.1 200 OK\r\nX-App-Name: http-echo\r\nX-App-Version: 1.0.0\r\n\
                      X-Served-By: task=abc az=us-east-1b\r\nContent-Length: 3\r\n\r\nhi\n";
        let head = head(bytes);
        assert_eq!(head.length, bytes.len() - 3);
        assert_eq!(head.status, 200);
        assert_eq!(head.framing, Framing::Length(3));
        assert!(head.keep_alive);
        assert_eq!(head.app_version.as_deref(), Some("1.0.0"));
        assert_eq!(head.served_by.as_deref(), Some("task=abc az=us-east-1b"));
    }

    #[test]
    fn framing_and_keep_alive_follow_rfc_9112() {
        let h = head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
        assert_eq!(h.framing, Framing::Chunked);
        let h = head(b"HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\n\r\n");
        assert_eq!((h.framing, h.keep_alive), (Framing::UntilClose, false));
        assert!(!head(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").keep_alive);
        assert_eq!(
            head(b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n").framing,
            Framing::None
        );
        assert_eq!(
            head(b"HTTP/1.1 100 Continue\r\n\r\n").framing,
            Framing::None
        );
        assert_eq!(parse_head(b"HTTP/1.1 200 OK\r\nContent-Le").unwrap(), None);
    }

    #[test]
    fn refuses_ambiguous_answers() {
        for bytes in [
            &b"SSH-2.0-OpenSSH_9.2\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
        ] {
            let failure = parse_head(bytes).unwrap_err();
            assert_eq!(failure.kind, FailureKind::Protocol, "{failure:?}");
        }
    }

    /// A server on 127.0.0.1 that answers each connection's request with the
    /// given bytes, then closes; returns the client for it.
    fn raw_server(answers: Vec<&'static [u8]>) -> Client {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = Url::parse(&format!("http://{}/x", listener.local_addr().unwrap())).unwrap();
        std::thread::spawn(move || {
            for answer in answers {
                let (mut tcp, _) = listener.accept().unwrap();
                let mut request = [0u8; 1024];
                let _ = tcp.read(&mut request);
                let _ = tcp.write_all(answer);
            }
        });
        Client::new(url, Arc::new(crate::client_tls::unverified()), "test").unwrap()
    }

    fn soon() -> Instant {
        Instant::now() + std::time::Duration::from_secs(5)
    }

    #[test]
    fn reads_chunked_answers_after_interim_ones() {
        let client = raw_server(vec![
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\
              X-App-Version: 2\r\n\r\n3\r\nab\n\r\n2;ext=1\r\nc\n\r\n0\r\nTrailer: t\r\n\r\n",
        ]);
        let answer = client.get(None, false, soon()).unwrap();
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body, b"ab\nc\n");
        assert_eq!(answer.app_version.as_deref(), Some("2"));
    }

    #[test]
    fn kept_alive_connections_are_reused_until_the_server_closes_them() {
        let client = raw_server(vec![b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nhi\n"]);
        assert_eq!(client.get(None, true, soon()).unwrap().body, b"hi\n");
        assert_eq!(
            client.idle.lock().unwrap().len(),
            1,
            "kept for the next request"
        );
        // The raw server closed it after one answer: noticed before reuse.
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(client.idle_connection().is_none());
    }

    #[test]
    fn answers_cut_short_fail_as_closed() {
        let client = raw_server(vec![
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhi",
            b"HTTP/1.1 200 OK\r\n",
        ]);
        for waiting_for in ["the end of the body", "an answer"] {
            let failure = client.get(None, false, soon()).unwrap_err();
            assert_eq!(failure.kind, FailureKind::Closed);
            assert_eq!(
                failure.detail,
                format!("connection closed before {waiting_for}")
            );
        }
    }

    #[test]
    fn io_errors_by_kind() {
        use io::ErrorKind::*;
        for (error, connecting, want) in [
            (ConnectionRefused, true, FailureKind::Refused),
            (ConnectionReset, false, FailureKind::Reset),
            (BrokenPipe, false, FailureKind::Reset),
            (UnexpectedEof, false, FailureKind::Closed),
            (TimedOut, true, FailureKind::Timeout),
            (WouldBlock, false, FailureKind::Timeout),
            (Other, true, FailureKind::Connect),
            (Other, false, FailureKind::Other),
        ] {
            let got = Failure::io(&io::Error::from(error), connecting).kind;
            assert_eq!(got, want, "{error:?} while connecting: {connecting}");
        }
        let tls = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        assert_eq!(Failure::io(&tls, true).kind, FailureKind::Tls);
    }
}
