//! Content-Type sniffing, the algorithm Go's `http.DetectContentType` uses.
//!
//! Upstream http-echo never sets a Content-Type, so Go sniffs the body: a text that
//! starts like HTML is served as `text/html`, most others as `text/plain`. We sniff the
//! body once at startup with the same rules (WHATWG MIME Sniffing, as Go implements
//! it), so every response carries the type upstream would send.

/// Returns the Content-Type Go would choose for a body starting with `data`.
pub fn content_type(data: &[u8]) -> &'static str {
    let data = &data[..data.len().min(512)];
    let first_non_ws = data
        .iter()
        .position(|b| !matches!(b, b'\t' | b'\n' | 0x0c | b'\r' | b' '))
        .unwrap_or(data.len());
    for signature in SIGNATURES {
        if let Some(found) = signature.matches(data, first_non_ws) {
            return found;
        }
    }
    "application/octet-stream"
}

enum Signature {
    /// An HTML tag, case-insensitive, after leading whitespace, then ' ' or '>'.
    Html(&'static [u8]),
    /// `data & mask == pattern`, optionally after leading whitespace.
    Masked {
        pattern: &'static [u8],
        mask: &'static [u8],
        skip_whitespace: bool,
        content_type: &'static str,
    },
    /// A literal prefix.
    Exact(&'static [u8], &'static str),
    /// An ISO base media file with an `mp4` brand.
    Mp4,
    /// No binary bytes after leading whitespace.
    Text,
}

const HTML: &str = "text/html; charset=utf-8";

const fn masked(
    pattern: &'static [u8],
    mask: &'static [u8],
    skip_whitespace: bool,
    content_type: &'static str,
) -> Signature {
    Signature::Masked {
        pattern,
        mask,
        skip_whitespace,
        content_type,
    }
}

/// In Go's order; the first match wins.
const SIGNATURES: &[Signature] = &[
    Signature::Html(b"<!DOCTYPE HTML"),
    Signature::Html(b"<HTML"),
    Signature::Html(b"<HEAD"),
    Signature::Html(b"<SCRIPT"),
    Signature::Html(b"<IFRAME"),
    Signature::Html(b"<H1"),
    Signature::Html(b"<DIV"),
    Signature::Html(b"<FONT"),
    Signature::Html(b"<TABLE"),
    Signature::Html(b"<A"),
    Signature::Html(b"<STYLE"),
    Signature::Html(b"<TITLE"),
    Signature::Html(b"<B"),
    Signature::Html(b"<BODY"),
    Signature::Html(b"<BR"),
    Signature::Html(b"<P"),
    Signature::Html(b"<!--"),
    masked(b"<?xml", b"\xFF\xFF\xFF\xFF\xFF", true, "text/xml; charset=utf-8"),
    Signature::Exact(b"%PDF-", "application/pdf"),
    Signature::Exact(b"%!PS-Adobe-", "application/postscript"),
    masked(b"\xFE\xFF\x00\x00", b"\xFF\xFF\x00\x00", false, "text/plain; charset=utf-16be"),
    masked(b"\xFF\xFE\x00\x00", b"\xFF\xFF\x00\x00", false, "text/plain; charset=utf-16le"),
    Signature::Exact(b"\xEF\xBB\xBF", "text/plain; charset=utf-8"),
    Signature::Exact(b"\x00\x00\x01\x00", "image/x-icon"),
    Signature::Exact(b"\x00\x00\x02\x00", "image/x-icon"),
    Signature::Exact(b"BM", "image/bmp"),
    Signature::Exact(b"GIF87a", "image/gif"),
    Signature::Exact(b"GIF89a", "image/gif"),
    masked(
        b"RIFF\x00\x00\x00\x00WEBPVP",
        b"\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF\xFF\xFF",
        false,
        "image/webp",
    ),
    Signature::Exact(b"\x89PNG\x0D\x0A\x1A\x0A", "image/png"),
    Signature::Exact(b"\xFF\xD8\xFF", "image/jpeg"),
    masked(
        b"FORM\x00\x00\x00\x00AIFF",
        b"\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF",
        false,
        "audio/aiff",
    ),
    masked(b"ID3", b"\xFF\xFF\xFF", false, "audio/mpeg"),
    masked(b"OggS\x00", b"\xFF\xFF\xFF\xFF\xFF", false, "application/ogg"),
    masked(
        b"MThd\x00\x00\x00\x06",
        b"\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF",
        false,
        "audio/midi",
    ),
    masked(
        b"RIFF\x00\x00\x00\x00AVI ",
        b"\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF",
        false,
        "video/avi",
    ),
    masked(
        b"RIFF\x00\x00\x00\x00WAVE",
        b"\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF",
        false,
        "audio/wave",
    ),
    Signature::Mp4,
    Signature::Exact(b"\x1A\x45\xDF\xA3", "video/webm"),
    masked(
        b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00LP",
        b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xFF\xFF",
        false,
        "application/vnd.ms-fontobject",
    ),
    Signature::Exact(b"\x00\x01\x00\x00", "font/ttf"),
    Signature::Exact(b"OTTO", "font/otf"),
    Signature::Exact(b"ttcf", "font/collection"),
    Signature::Exact(b"wOFF", "font/woff"),
    Signature::Exact(b"wOF2", "font/woff2"),
    Signature::Exact(b"\x1F\x8B\x08", "application/x-gzip"),
    Signature::Exact(b"PK\x03\x04", "application/zip"),
    Signature::Exact(b"Rar!\x1A\x07\x00", "application/x-rar-compressed"),
    Signature::Exact(b"Rar!\x1A\x07\x01\x00", "application/x-rar-compressed"),
    Signature::Exact(b"\x00\x61\x73\x6D", "application/wasm"),
    Signature::Text,
];

impl Signature {
    fn matches(&self, data: &[u8], first_non_ws: usize) -> Option<&'static str> {
        match *self {
            Signature::Html(tag) => {
                let data = &data[first_non_ws..];
                if data.len() < tag.len() + 1 {
                    return None;
                }
                let same = tag.iter().zip(data).all(|(&t, &d)| {
                    let d = if t.is_ascii_uppercase() { d & 0xDF } else { d };
                    t == d
                });
                (same && matches!(data[tag.len()], b' ' | b'>')).then_some(HTML)
            }
            Signature::Masked {
                pattern,
                mask,
                skip_whitespace,
                content_type,
            } => {
                let data = if skip_whitespace {
                    &data[first_non_ws..]
                } else {
                    data
                };
                if data.len() < pattern.len() {
                    return None;
                }
                let same = pattern
                    .iter()
                    .zip(mask)
                    .zip(data)
                    .all(|((&p, &m), &d)| d & m == p);
                same.then_some(content_type)
            }
            Signature::Exact(prefix, content_type) => {
                data.starts_with(prefix).then_some(content_type)
            }
            Signature::Mp4 => is_mp4(data).then_some("video/mp4"),
            Signature::Text => data[first_non_ws..]
                .iter()
                .all(|&b| !is_binary(b))
                .then_some("text/plain; charset=utf-8"),
        }
    }
}

fn is_mp4(data: &[u8]) -> bool {
    if data.len() < 12 {
        return false;
    }
    let box_size = u32::from_be_bytes([data[0], data[1], data[2], data[3]]) as usize;
    if data.len() < box_size || box_size % 4 != 0 || &data[4..8] != b"ftyp" {
        return false;
    }
    // Brands are 4 bytes each from offset 8; offset 12 holds the minor version.
    (8..box_size)
        .step_by(4)
        .filter(|&start| start != 12)
        .any(|start| data.get(start..start + 3) == Some(b"mp4"))
}

fn is_binary(b: u8) -> bool {
    matches!(b, 0x00..=0x08 | 0x0B | 0x0E..=0x1A | 0x1C..=0x1F)
}

#[cfg(test)]
mod tests {
    use super::content_type;

    #[test]
    fn plain_text_is_text_plain() {
        assert_eq!(content_type(b"hello-world\n"), "text/plain; charset=utf-8");
        assert_eq!(content_type(b"Hello World\n"), "text/plain; charset=utf-8");
        assert_eq!(
            content_type(b"{\"status\":\"ok\"}\n"),
            "text/plain; charset=utf-8"
        );
        assert_eq!(
            content_type("héllo ✓\n".as_bytes()),
            "text/plain; charset=utf-8"
        );
    }

    #[test]
    fn html_needs_a_known_tag_and_a_terminator() {
        assert_eq!(
            content_type(b"<html><body>hi</body></html>\n"),
            "text/html; charset=utf-8"
        );
        assert_eq!(
            content_type(b"  \n<h1>Title</h1>\n"),
            "text/html; charset=utf-8"
        );
        assert_eq!(
            content_type(b"<!doctype html>\n"),
            "text/html; charset=utf-8"
        );
        assert_eq!(content_type(b"<b>bold</b>\n"), "text/html; charset=utf-8");
        assert_eq!(content_type(b"<p>\n"), "text/html; charset=utf-8");
        // "<bogus>" is not a sniffable tag; "<a" needs ' ' or '>' after it.
        assert_eq!(content_type(b"<bogus>\n"), "text/plain; charset=utf-8");
        assert_eq!(
            content_type(b"<abbr>x</abbr>\n"),
            "text/plain; charset=utf-8"
        );
    }

    #[test]
    fn other_signatures() {
        assert_eq!(
            content_type(b"<?xml version=\"1.0\"?>\n"),
            "text/xml; charset=utf-8"
        );
        assert_eq!(content_type(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(content_type(b"GIF89a\n"), "image/gif");
        assert_eq!(
            content_type(b"\x01\x02binary\n"),
            "application/octet-stream"
        );
        assert_eq!(
            content_type(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"),
            "video/mp4"
        );
    }
}
