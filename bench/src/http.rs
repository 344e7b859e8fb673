//! A minimal HTTP/1.1 client for the harness's own requests (readiness, start-up
//! timing, the idle connections), over a plain or a TLS stream: one GET, its
//! response read exactly to its end by Content-Length, so that a keep-alive
//! connection can stay open afterwards.

use std::io::{self, Read, Write};
/// Larger responses than this are not what either server sends; stop reading.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

pub struct Response {
    pub status: u16,
}

/// Sends `GET /` on `stream` and reads the whole response. With `keep_alive` false the
/// request asks the server to close the connection afterwards.
pub fn get<S: Read + Write>(stream: &mut S, keep_alive: bool) -> io::Result<Response> {
    let connection = if keep_alive { "keep-alive" } else { "close" };
    let request = format!("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: {connection}\r\n\r\n");
    stream.write_all(request.as_bytes())?;

    let mut buffer = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        if let Some(end) = find(&buffer, b"\r\n\r\n") {
            break end + 4;
        }
        if buffer.len() > MAX_RESPONSE_BYTES {
            return Err(invalid("response headers too large"));
        }
        let read = stream.read(&mut chunk)?;
        if read == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed before the response headers ended",
            ));
        }
        buffer.extend_from_slice(&chunk[..read]);
    };

    let head = std::str::from_utf8(&buffer[..header_end])
        .map_err(|_| invalid("response headers are not UTF-8"))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| invalid("no status code in the response"))?;
    let content_length = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>())
    });

    match content_length {
        Some(Ok(length)) => {
            if length > MAX_RESPONSE_BYTES {
                return Err(invalid("response body too large"));
            }
            let mut have = buffer.len() - header_end;
            while have < length {
                let read = stream.read(&mut chunk)?;
                if read == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "connection closed inside the response body",
                    ));
                }
                have += read;
            }
        }
        Some(Err(_)) => return Err(invalid("unreadable Content-Length")),
        // Without a length only the end of the connection ends the body; that is fine
        // when this request asked for a close, and useless for a kept connection.
        None if keep_alive => return Err(invalid("keep-alive response without Content-Length")),
        None => {
            let mut total = buffer.len();
            loop {
                let read = stream.read(&mut chunk)?;
                if read == 0 {
                    break;
                }
                total += read;
                if total > MAX_RESPONSE_BYTES {
                    return Err(invalid("response body too large"));
                }
            }
        }
    }
    Ok(Response { status })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};
    use std::thread;

    /// Serves `responses` in turn, one per request, on one connection.
    fn serve(responses: &'static [&'static str]) -> TcpStream {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = [0u8; 1024];
            for response in responses {
                let _ = stream.read(&mut request);
                stream.write_all(response.as_bytes()).unwrap();
            }
        });
        TcpStream::connect(address).unwrap()
    }

    #[test]
    fn reads_exactly_one_response_so_the_connection_can_be_reused() {
        let mut stream = serve(&[
            "HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\nhello-world\n",
            "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n",
        ]);
        assert_eq!(get(&mut stream, true).unwrap().status, 200);
        assert_eq!(get(&mut stream, true).unwrap().status, 503);
    }

    #[test]
    fn a_kept_connection_needs_a_content_length() {
        let mut stream = serve(&["HTTP/1.1 200 OK\r\n\r\nbody"]);
        let error = get(&mut stream, true)
            .err()
            .expect("no length on a kept connection");
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    }
}
