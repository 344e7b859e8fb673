//! Request fields in the text access log, written as upstream writes them unless
//! that would break the line.
//!
//! Upstream prints the Host, method, path and User-Agent raw. A percent-decoded
//! path can hold a newline (`/x%0a2099/01/01 00:00:00 FORGED` forges a line) and a
//! quote closes the quoted request or User-Agent early. Such a field is escaped
//! the way Go's `%q` escapes it; every other field is copied byte for byte, so
//! ordinary lines stay exactly upstream's.

/// Where a field sits in the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// Between spaces (Host, method): a space would split the field too.
    Bare,
    /// Inside the line's own quotes (path, User-Agent).
    InQuotes,
}

/// Appends `field`: as is when it cannot break the line; otherwise with Go's
/// `%q` escapes, and, in a [`Place::Bare`] spot, inside quotes as `%q` writes it.
pub fn write_field(out: &mut Vec<u8>, field: &[u8], place: Place) {
    if is_plain(field, place) {
        out.extend_from_slice(field);
        return;
    }
    if place == Place::Bare {
        out.push(b'"');
    }
    write_escaped(out, field);
    if place == Place::Bare {
        out.push(b'"');
    }
}

/// Printable text with no quote (and, bare, no space): the common case, checked
/// byte by byte for ASCII.
fn is_plain(field: &[u8], place: Place) -> bool {
    let plain_ascii =
        |b: u8| (0x20..0x7f).contains(&b) && b != b'"' && !(b == b' ' && place == Place::Bare);
    if field.iter().all(|&b| plain_ascii(b)) {
        return true;
    }
    field.utf8_chunks().all(|chunk| {
        chunk.invalid().is_empty()
            && chunk.valid().chars().all(|c| {
                if c.is_ascii() {
                    plain_ascii(c as u8)
                } else {
                    is_printable(c)
                }
            })
    })
}

/// Go's `strconv.Quote` without the surrounding quotes.
fn write_escaped(out: &mut Vec<u8>, field: &[u8]) {
    for chunk in field.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => out.extend_from_slice(b"\\\""),
                '\\' => out.extend_from_slice(b"\\\\"),
                '\x07' => out.extend_from_slice(b"\\a"),
                '\x08' => out.extend_from_slice(b"\\b"),
                '\x0c' => out.extend_from_slice(b"\\f"),
                '\n' => out.extend_from_slice(b"\\n"),
                '\r' => out.extend_from_slice(b"\\r"),
                '\t' => out.extend_from_slice(b"\\t"),
                '\x0b' => out.extend_from_slice(b"\\v"),
                ' '..='~' => out.push(c as u8),
                c if c.is_ascii() => write_hex(out, b"\\x", u32::from(c), 2),
                c if is_printable(c) => {
                    let mut utf8 = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
                }
                c if u32::from(c) < 0x1_0000 => write_hex(out, b"\\u", u32::from(c), 4),
                c => write_hex(out, b"\\U", u32::from(c), 8),
            }
        }
        for &b in chunk.invalid() {
            write_hex(out, b"\\x", u32::from(b), 2);
        }
    }
}

fn write_hex(out: &mut Vec<u8>, prefix: &[u8], value: u32, digits: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(prefix);
    for shift in (0..digits).rev() {
        out.push(HEX[((value >> (shift * 4)) & 0xf) as usize]);
    }
}

/// A non-ASCII character Go's `unicode.IsPrint` accepts, as near as matters for a
/// log line: no controls, no spaces other than ASCII's (line and paragraph
/// separators among them), no invisible format characters (bidirectional
/// overrides, zero-width ones).
fn is_printable(c: char) -> bool {
    let format = matches!(
        c,
        '\u{ad}'
            | '\u{61c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
    );
    !c.is_control() && !c.is_whitespace() && !format
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(bytes: &[u8], place: Place) -> String {
        let mut out = Vec::new();
        write_field(&mut out, bytes, place);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn ordinary_fields_are_copied_as_upstream_writes_them() {
        for plain in [
            "/a/b",
            "curl/8.5.0",
            "Mozilla/5.0 (X11; Linux) \\o/",
            "/caf\u{e9}",
        ] {
            assert_eq!(field(plain.as_bytes(), Place::InQuotes), plain);
        }
        assert_eq!(
            field(b"example.test:5678", Place::Bare),
            "example.test:5678"
        );
    }

    #[test]
    fn what_would_break_the_line_is_escaped_as_go_quotes_it() {
        assert_eq!(
            field(b"/x\n2099/01/01 00:00:00 FORGED", Place::InQuotes),
            "/x\\n2099/01/01 00:00:00 FORGED"
        );
        assert_eq!(
            field(b"say \"hi\" \\o/", Place::InQuotes),
            "say \\\"hi\\\" \\\\o/"
        );
        assert_eq!(
            field(b"a\r\x00\x7f\t", Place::InQuotes),
            "a\\r\\x00\\x7f\\t"
        );
        assert_eq!(field(b"\xff/", Place::InQuotes), "\\xff/");
        assert_eq!(
            field("a\u{2028}\u{202e}\u{85}".as_bytes(), Place::InQuotes),
            "a\\u2028\\u202e\\u0085"
        );
        // Bare fields get Go's quotes, so the field stays one field.
        assert_eq!(field(b"a b", Place::Bare), "\"a b\"");
        assert_eq!(field(b"a\"b", Place::Bare), "\"a\\\"b\"");
    }
}
