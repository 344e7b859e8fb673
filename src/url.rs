//! `http://` and `https://` URLs, as the client modes (`-healthcheck`, `-watch`)
//! take them: scheme, host, port and the path with its query. Nothing more is
//! needed to send a GET, so nothing more is parsed.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};

/// A parsed `http://` or `https://` URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    pub tls: bool,
    /// Without the brackets of an IPv6 literal.
    pub host: String,
    pub port: u16,
    /// `host:port` exactly as written, for the `Host` header.
    pub authority: String,
    /// The path and query, `/` when the URL has none.
    pub path: String,
}

impl Url {
    /// Fails with one line saying what is wrong.
    pub fn parse(url: &str) -> Result<Url, String> {
        let (tls, rest) = if let Some(rest) = url.strip_prefix("http://") {
            (false, rest)
        } else if let Some(rest) = url.strip_prefix("https://") {
            (true, rest)
        } else {
            return Err("the URL must start with http:// or https://".to_owned());
        };
        let split = rest.find('/').unwrap_or(rest.len());
        let (authority, path) = rest.split_at(split);
        let path = if path.is_empty() { "/" } else { path };
        let default_port = if tls { 443 } else { 80 };
        let (host, port) = match authority.strip_prefix('[') {
            Some(v6) => {
                let (host, after) = v6.split_once(']').ok_or("malformed IPv6 host")?;
                let port = match after.strip_prefix(':') {
                    Some(port) => port.parse().map_err(|_| "malformed port")?,
                    None => default_port,
                };
                (host.to_owned(), port)
            }
            None => match authority.rsplit_once(':') {
                Some((host, port)) => {
                    (host.to_owned(), port.parse().map_err(|_| "malformed port")?)
                }
                None => (authority.to_owned(), default_port),
            },
        };
        if host.is_empty() {
            return Err("the URL has no host".to_owned());
        }
        Ok(Url {
            tls,
            host,
            port,
            authority: authority.to_owned(),
            path: path.to_owned(),
        })
    }

    /// The host as an IP address, if it is one; `localhost` counts as 127.0.0.1.
    pub fn literal_ip(&self) -> Option<IpAddr> {
        if let Ok(ip) = self.host.parse::<IpAddr>() {
            return Some(ip);
        }
        self.host
            .eq_ignore_ascii_case("localhost")
            .then_some(IpAddr::V4(Ipv4Addr::LOCALHOST))
    }

    /// The first address of the host, looked up by the C library if need be
    /// (blocking).
    pub fn resolve(&self) -> Result<SocketAddr, String> {
        if let Some(ip) = self.literal_ip() {
            return Ok(SocketAddr::new(ip, self.port));
        }
        (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| format!("lookup {}: {e}", self.host))?
            .next()
            .ok_or_else(|| format!("lookup {}: no address", self.host))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        let t = Url::parse("http://127.0.0.1:5678/health").unwrap();
        assert_eq!(
            (t.tls, t.host.as_str(), t.port, t.path.as_str()),
            (false, "127.0.0.1", 5678, "/health")
        );
        let t = Url::parse("https://[::1]/").unwrap();
        assert_eq!((t.tls, t.host.as_str(), t.port), (true, "::1", 443));
        assert_eq!(Url::parse("http://h").unwrap().path, "/");
        assert_eq!(Url::parse("http://h:1/a?b=c").unwrap().path, "/a?b=c");
        assert!(Url::parse("ftp://h/").is_err());
        assert!(Url::parse("http://:80/").is_err());
        assert!(Url::parse("http://h:x/").is_err());
    }

    #[test]
    fn localhost_and_literals_need_no_lookup() {
        let ip = |url: &str| Url::parse(url).unwrap().literal_ip();
        assert_eq!(ip("http://localhost:1/"), Some(Ipv4Addr::LOCALHOST.into()));
        assert_eq!(ip("http://[::1]:1/"), Some("::1".parse().unwrap()));
        assert_eq!(ip("http://example.com/"), None);
    }
}
