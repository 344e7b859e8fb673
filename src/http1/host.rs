//! The Host header's grammar: `uri-host [ ":" port ]` (RFC 9112 §3.2, RFC 3986
//! §3.2.2 and §3.2.3). A server must refuse a request whose Host is not that
//! (RFC 9112 §3.2), since a proxy and this server could otherwise each take a
//! different part of `a, b` or `u@b` for the host.

use std::net::Ipv6Addr;

/// Whether `value` is a host with an optional port: an IP literal in brackets
/// (IPv6, with an optional zone, or IPvFuture) or a reg-name (which covers IPv4),
/// then, after a colon, digits only. An empty host is valid, as RFC 9110 §7.2
/// allows for targets without an authority.
pub fn is_valid(value: &[u8]) -> bool {
    let port = if let Some(literal) = value.strip_prefix(b"[") {
        let Some(end) = literal.iter().position(|&b| b == b']') else {
            return false;
        };
        if !is_ip_literal(&literal[..end]) {
            return false;
        }
        match &literal[end + 1..] {
            [] => return true,
            [b':', port @ ..] => port,
            _ => return false,
        }
    } else {
        let (name, port) = match value.iter().position(|&b| b == b':') {
            Some(colon) => (&value[..colon], &value[colon + 1..]),
            None => (value, &b""[..]),
        };
        if !is_reg_name(name) {
            return false;
        }
        port
    };
    port.iter().all(u8::is_ascii_digit)
}

/// `*( unreserved / pct-encoded / sub-delims )`.
fn is_reg_name(name: &[u8]) -> bool {
    let mut i = 0;
    while i < name.len() {
        match name[i] {
            b'%' => {
                if !is_pct_encoded(&name[i..]) {
                    return false;
                }
                i += 3;
                continue;
            }
            b if is_unreserved(b) || is_sub_delim(b) => {}
            _ => return false,
        }
        i += 1;
    }
    true
}

/// `IPv6address`, optionally with a zone (`%25` and a name, RFC 6874), or
/// `IPvFuture` (`v` HEXDIG `.` ...).
fn is_ip_literal(inside: &[u8]) -> bool {
    if let [b'v' | b'V', rest @ ..] = inside {
        let Some(dot) = rest.iter().position(|&b| b == b'.') else {
            return false;
        };
        let (version, tail) = (&rest[..dot], &rest[dot + 1..]);
        return !version.is_empty()
            && version.iter().all(u8::is_ascii_hexdigit)
            && !tail.is_empty()
            && tail
                .iter()
                .all(|&b| is_unreserved(b) || is_sub_delim(b) || b == b':');
    }
    let (address, zone) = match inside.windows(3).position(|w| w == b"%25") {
        Some(at) => (&inside[..at], Some(&inside[at + 3..])),
        None => (inside, None),
    };
    let address_ok = std::str::from_utf8(address).is_ok_and(|a| a.parse::<Ipv6Addr>().is_ok());
    address_ok && zone.is_none_or(is_zone_id)
}

/// `1*( unreserved / pct-encoded )`: a reg-name without sub-delims, not empty.
fn is_zone_id(zone: &[u8]) -> bool {
    !zone.is_empty() && is_reg_name(zone) && !zone.iter().any(|&b| is_sub_delim(b))
}

fn is_pct_encoded(at: &[u8]) -> bool {
    matches!(at, [b'%', a, b, ..] if a.is_ascii_hexdigit() && b.is_ascii_hexdigit())
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn is_sub_delim(b: u8) -> bool {
    matches!(
        b,
        b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_of_every_kind() {
        for good in [
            &b""[..],
            b"localhost",
            b"example.test:8080",
            b"127.0.0.1",
            b"127.0.0.1:80",
            b"a:",
            b"[::1]",
            b"[2001:db8::1]:443",
            b"[::ffff:10.0.0.1]",
            b"[fe80::1%25eth0]",
            b"[v1.fe:80]",
            b"xn--bcher-kva.example",
            b"a%41b",
            b"a-b_c~d!e$f&g'h(i)j*k+l,m;n=o",
        ] {
            assert!(is_valid(good), "{:?}", String::from_utf8_lossy(good));
        }
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            &b"a, b"[..],
            b"a b",
            b"a/b",
            b"u@b",
            b"a:99x",
            b"a:1:2",
            b"[::1",
            b"[::1]x",
            b"[::1]:x",
            b"[1.2.3.4]",
            b"[::g]",
            b"[fe80::1%eth0]",
            b"[fe80::1%25]",
            b"[v.x]",
            b"a%4g",
            b"a%",
            b"a\"b",
            b"a\tb",
            b"\xc3\xa9",
        ] {
            assert!(!is_valid(bad), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
