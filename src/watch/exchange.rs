//! One GET and its answer over HTTP/1.1, on a new connection or a kept-alive one.
//!
//! The client is as small as a watcher needs: one request shape, answers framed
//! by `Content-Length`, chunked coding or the end of the connection, interim 1xx
//! answers skipped. Nothing is retried: a failure is what the watch is for.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use crate::url::Url;
use crate::version::VERSION;

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
    fn new(kind: FailureKind, detail: impl Into<String>) -> Failure {
        Failure {
            kind,
            detail: detail.into(),
        }
    }

    fn protocol(detail: impl Into<String>) -> Failure {
        Failure::new(FailureKind::Protocol, detail)
    }

    /// An I/O error, while connecting or after.
    fn io(error: &io::Error, connecting: bool) -> Failure {
        let kind = match error.kind() {
            io::ErrorKind::ConnectionRefused => FailureKind::Refused,
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe => FailureKind::Reset,
            io::ErrorKind::UnexpectedEof => FailureKind::Closed,
            io::ErrorKind::TimedOut => FailureKind::Timeout,
            // tokio-rustls reports handshake and record errors as InvalidData
            // wrapping the rustls error.
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
    tls: Option<(TlsConnector, ServerName<'static>)>,
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
    pub fn new(url: Url, tls: Arc<rustls::ClientConfig>) -> Result<Client, String> {
        let tls = if url.tls {
            let name = ServerName::try_from(url.host.clone())
                .map_err(|e| format!("{:?} is not a host name: {e}", url.host))?;
            Some((TlsConnector::from(tls), name))
        } else {
            None
        };
        let request = |extra: &str| {
            format!(
                "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: http-echo-watch/{VERSION}\r\n{extra}\r\n",
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

    /// GETs the URL on `connection`, or on a new connection when it is `None`.
    /// With `keep_alive`, the connection is kept for a later request if the
    /// answer allows it; without, the request says `Connection: close`.
    pub async fn get(
        &self,
        connection: Option<Connection>,
        keep_alive: bool,
    ) -> Result<Answer, Failure> {
        let mut connection = match connection {
            Some(connection) => connection,
            None => self.connect().await?,
        };
        let request = if keep_alive {
            &self.request_kept
        } else {
            &self.request_once
        };
        connection
            .send(request)
            .await
            .map_err(|e| Failure::io(&e, false))?;
        let (answer, reusable) = connection.read_answer().await?;
        if keep_alive && reusable {
            let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
            if idle.len() < MAX_IDLE {
                idle.push(connection);
            }
        }
        Ok(answer)
    }

    async fn connect(&self) -> Result<Connection, Failure> {
        let address = self.address().await?;
        let tcp = TcpStream::connect(address)
            .await
            .map_err(|e| Failure::io(&e, true))?;
        // One small request at a time: do not let Nagle hold it back.
        let _ = tcp.set_nodelay(true);
        let transport = match &self.tls {
            None => Transport::Plain(tcp),
            Some((connector, name)) => Transport::Tls(Box::new(
                connector
                    .connect(name.clone(), tcp)
                    .await
                    .map_err(|e| Failure::io(&e, true))?,
            )),
        };
        Ok(Connection {
            transport,
            buffer: Vec::with_capacity(1024),
        })
    }

    /// Resolved for every new connection, as a browser does, so that a load
    /// balancer's changing addresses are followed. IPv4 first: a host without an
    /// IPv6 route would fail every IPv6 address.
    async fn address(&self) -> Result<SocketAddr, Failure> {
        if let Some(ip) = self.url.literal_ip() {
            return Ok(SocketAddr::new(ip, self.url.port));
        }
        let lookup =
            |e: String| Failure::new(FailureKind::Dns, format!("lookup {}: {e}", self.url.host));
        let addresses: Vec<SocketAddr> =
            tokio::net::lookup_host((self.url.host.as_str(), self.url.port))
                .await
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

enum Transport {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
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
            Transport::Tls(tls) => tls.get_ref().0,
        }
    }

    /// An idle connection has nothing to read: readable bytes or an end of
    /// stream mean the server closed it (or broke the protocol).
    fn is_open(&self) -> bool {
        matches!(
            self.tcp().try_read(&mut [0u8; 1]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock
        )
    }

    async fn send(&mut self, request: &[u8]) -> io::Result<()> {
        match &mut self.transport {
            Transport::Plain(tcp) => tcp.write_all(request).await,
            Transport::Tls(tls) => {
                tls.write_all(request).await?;
                tls.flush().await
            }
        }
    }

    /// Reads more into the buffer; `false` at the end of the stream.
    async fn fill(&mut self) -> Result<bool, Failure> {
        let mut chunk = [0u8; 8192];
        let read = match &mut self.transport {
            Transport::Plain(tcp) => tcp.read(&mut chunk).await,
            Transport::Tls(tls) => tls.read(&mut chunk).await,
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

    async fn fill_or_closed(&mut self, waiting_for: &str) -> Result<(), Failure> {
        if self.fill().await? {
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
    async fn read_answer(&mut self) -> Result<(Answer, bool), Failure> {
        loop {
            let head = loop {
                if let Some(head) = parse_head(&self.buffer)? {
                    break head;
                }
                if self.buffer.len() > MAX_HEAD_BYTES {
                    return Err(Failure::protocol("answer head over 64 KiB"));
                }
                self.fill_or_closed("an answer").await?;
            };
            self.buffer.drain(..head.length);
            if (100..200).contains(&head.status) && head.status != 101 {
                continue;
            }
            let (body, delimited) = match head.framing {
                Framing::None => (Vec::new(), true),
                Framing::Length(length) => (self.read_exactly(length).await?, true),
                Framing::Chunked => (self.read_chunked().await?, true),
                Framing::UntilClose => (self.read_until_close().await?, false),
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

    async fn read_exactly(&mut self, length: usize) -> Result<Vec<u8>, Failure> {
        if length > MAX_BODY_BYTES {
            return Err(Failure::protocol(format!(
                "answer body of {length} bytes, over 64 KiB"
            )));
        }
        while self.buffer.len() < length {
            self.fill_or_closed("the end of the body").await?;
        }
        Ok(self.buffer.drain(..length).collect())
    }

    async fn read_chunked(&mut self) -> Result<Vec<u8>, Failure> {
        let mut body = Vec::new();
        loop {
            let (size_length, size) = loop {
                match httparse::parse_chunk_size(&self.buffer) {
                    Ok(httparse::Status::Complete(found)) => break found,
                    Ok(httparse::Status::Partial) => self.fill_or_closed("the next chunk").await?,
                    Err(_) => return Err(Failure::protocol("malformed chunk size")),
                }
            };
            if size == 0 {
                self.buffer.drain(..size_length);
                return self.skip_trailers().await.map(|()| body);
            }
            let size = usize::try_from(size)
                .ok()
                .filter(|size| body.len() + size <= MAX_BODY_BYTES)
                .ok_or_else(|| Failure::protocol("chunked answer body over 64 KiB"))?;
            while self.buffer.len() < size_length + size + 2 {
                self.fill_or_closed("the end of a chunk").await?;
            }
            if &self.buffer[size_length + size..size_length + size + 2] != b"\r\n" {
                return Err(Failure::protocol("chunk not followed by CRLF"));
            }
            body.extend_from_slice(&self.buffer[size_length..size_length + size]);
            self.buffer.drain(..size_length + size + 2);
        }
    }

    /// After the last chunk: trailer lines up to an empty one.
    async fn skip_trailers(&mut self) -> Result<(), Failure> {
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
            self.fill_or_closed("the end of the trailers").await?;
        }
    }

    async fn read_until_close(&mut self) -> Result<Vec<u8>, Failure> {
        while self.fill().await? {
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

/// The version of the server that answered, as http-echo sends it.
pub const APP_VERSION_HEADER: &str = "X-App-Version";
/// The replica that answered, as http-echo's `-served-by` sends it.
pub const SERVED_BY_HEADER: &str = "X-Served-By";

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

    #[test]
    fn io_errors_by_kind() {
        let kind = |error: io::Error, connecting| Failure::io(&error, connecting).kind;
        let plain = |kind| io::Error::from(kind);
        assert_eq!(
            kind(plain(io::ErrorKind::ConnectionRefused), true),
            FailureKind::Refused
        );
        assert_eq!(
            kind(plain(io::ErrorKind::ConnectionReset), false),
            FailureKind::Reset
        );
        assert_eq!(
            kind(plain(io::ErrorKind::BrokenPipe), false),
            FailureKind::Reset
        );
        assert_eq!(
            kind(plain(io::ErrorKind::TimedOut), true),
            FailureKind::Timeout
        );
        assert_eq!(
            kind(plain(io::ErrorKind::Other), true),
            FailureKind::Connect
        );
        assert_eq!(kind(plain(io::ErrorKind::Other), false), FailureKind::Other);
        let tls = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        assert_eq!(kind(tls, true), FailureKind::Tls);
    }
}
