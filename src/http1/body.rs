//! Request bodies, read and thrown away: the echo never looks at them, but the
//! connection can only carry the next request once this one's body is consumed.

use super::request::Framing;

/// Longest chunk-size line (size plus extensions) we accept.
const MAX_CHUNK_LINE: usize = 4096;

/// Where we are in a body.
#[derive(Debug)]
pub enum BodyReader {
    Length { remaining: u64 },
    Chunked(Chunked),
}

/// A chunked body (RFC 9112 §7.1), checked byte by byte against its grammar.
#[derive(Debug)]
pub struct Chunked {
    state: ChunkState,
    /// Bytes of the body so far as sent, framing included, against the body limit:
    /// chunk extensions are not data, but they cost as much to read.
    total: u64,
    /// Bytes of the current size line or trailer section, against their limits.
    line_len: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    /// Hex digits of a chunk size; `digits` counts them.
    Size {
        size: u64,
        digits: u8,
    },
    /// After the size: extensions, up to CR.
    Extension {
        size: u64,
        at: Extension,
    },
    SizeLf {
        size: u64,
    },
    Data {
        remaining: u64,
    },
    DataCr,
    DataLf,
    /// At the start of a trailer line (or the final empty line).
    TrailerStart,
    TrailerName,
    TrailerValue,
    TrailerLf,
    FinalLf,
    Done,
}

/// Where in `*( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Extension {
    /// Whitespace after the size or a value: `;` or the end may follow.
    Between,
    /// After `;`: whitespace, then a name.
    NameStart,
    Name,
    /// Whitespace after a name: `=`, `;` or the end may follow.
    AfterName,
    /// After `=`: whitespace, then a token or a quoted string.
    ValueStart,
    Token,
    Quoted,
    /// After a backslash in a quoted string.
    QuotedPair,
}

/// The result of feeding bytes to a [`BodyReader`].
#[derive(Debug, PartialEq, Eq)]
pub enum Progress {
    /// All input consumed, body not finished.
    NeedMore,
    /// The body ended after this many bytes of the input.
    Done(usize),
    /// The body is larger than the limit.
    TooLarge,
    /// The chunked framing is broken.
    Invalid,
}

impl BodyReader {
    /// A reader for a framing that has a body.
    pub fn new(framing: Framing) -> Option<BodyReader> {
        match framing {
            Framing::None | Framing::Length(0) => None,
            Framing::Length(n) => Some(BodyReader::Length { remaining: n }),
            Framing::Chunked => Some(BodyReader::Chunked(Chunked {
                state: ChunkState::Size { size: 0, digits: 0 },
                total: 0,
                line_len: 0,
            })),
        }
    }

    /// Consumes body bytes from the front of `input`. A chunked body counts
    /// against `max_body` as sent (sizes, extensions and line ends of every chunk
    /// but the last); `max_trailer` bounds the trailer section like the head.
    pub fn feed(&mut self, input: &[u8], max_body: u64, max_trailer: usize) -> Progress {
        match self {
            BodyReader::Length { remaining } => {
                let take = (*remaining).min(input.len() as u64);
                *remaining -= take;
                if *remaining == 0 {
                    Progress::Done(take as usize)
                } else {
                    Progress::NeedMore
                }
            }
            BodyReader::Chunked(chunked) => chunked.feed(input, max_body, max_trailer),
        }
    }
}

impl Chunked {
    fn feed(&mut self, input: &[u8], max_body: u64, max_trailer: usize) -> Progress {
        let mut i = 0;
        while i < input.len() {
            if let ChunkState::Data { remaining } = self.state {
                let take = remaining.min((input.len() - i) as u64);
                i += take as usize;
                let remaining = remaining - take;
                self.state = if remaining == 0 {
                    ChunkState::DataCr
                } else {
                    ChunkState::Data { remaining }
                };
                continue;
            }
            let b = input[i];
            i += 1;
            self.line_len += 1;
            let Some(next) = self.step(b) else {
                return Progress::Invalid;
            };
            self.state = next;
            match next {
                ChunkState::Data { remaining } => {
                    // The size line, the data and the CRLF after it.
                    let chunk = (self.line_len as u64).saturating_add(remaining + 2);
                    self.total = self.total.saturating_add(chunk);
                    if self.total > max_body {
                        return Progress::TooLarge;
                    }
                    self.line_len = 0;
                }
                ChunkState::Done => return Progress::Done(i),
                _ => {}
            }
            let limit = if self.in_trailer() {
                max_trailer
            } else {
                MAX_CHUNK_LINE
            };
            if self.line_len > limit {
                return Progress::Invalid;
            }
        }
        Progress::NeedMore
    }

    /// The state after byte `b`, or `None` if `b` breaks the grammar.
    fn step(&mut self, b: u8) -> Option<ChunkState> {
        use ChunkState as S;
        use Extension as E;
        let whitespace = matches!(b, b' ' | b'\t');
        let next = match self.state {
            S::Size { size, digits } => match (b as char).to_digit(16) {
                Some(d) if digits < 16 => S::Size {
                    size: size << 4 | u64::from(d),
                    digits: digits + 1,
                },
                // More than 64 bits, or no size at all.
                Some(_) => return None,
                None if digits == 0 => return None,
                None => return self.after_extension(size, b, E::Between),
            },
            S::Extension { size, at } => match at {
                E::Between | E::AfterName if whitespace => S::Extension { size, at },
                E::Between => return self.after_extension(size, b, at),
                E::NameStart if whitespace => S::Extension { size, at },
                E::NameStart if is_tchar(b) => S::Extension { size, at: E::Name },
                E::NameStart => return None,
                E::Name if is_tchar(b) => S::Extension { size, at: E::Name },
                E::Name if whitespace => S::Extension {
                    size,
                    at: E::AfterName,
                },
                E::Name | E::AfterName if b == b'=' => S::Extension {
                    size,
                    at: E::ValueStart,
                },
                E::Name | E::AfterName => return self.after_extension(size, b, at),
                E::ValueStart if whitespace => S::Extension { size, at },
                E::ValueStart if b == b'"' => S::Extension {
                    size,
                    at: E::Quoted,
                },
                E::ValueStart if is_tchar(b) => S::Extension { size, at: E::Token },
                E::ValueStart => return None,
                E::Token if is_tchar(b) => S::Extension { size, at },
                E::Token if whitespace => S::Extension {
                    size,
                    at: E::Between,
                },
                E::Token => return self.after_extension(size, b, at),
                E::Quoted => match b {
                    b'"' => S::Extension {
                        size,
                        at: E::Between,
                    },
                    b'\\' => S::Extension {
                        size,
                        at: E::QuotedPair,
                    },
                    // qdtext: HTAB, SP, VCHAR but `"` and `\`, obs-text.
                    b'\t' | b' ' | 0x21..=0x7e | 0x80..=0xff => S::Extension { size, at },
                    _ => return None,
                },
                E::QuotedPair => match b {
                    b'\t' | b' ' | 0x21..=0x7e | 0x80..=0xff => S::Extension {
                        size,
                        at: E::Quoted,
                    },
                    _ => return None,
                },
            },
            S::SizeLf { size } => {
                if b != b'\n' {
                    return None;
                }
                if size == 0 {
                    self.line_len = 0;
                    S::TrailerStart
                } else {
                    S::Data { remaining: size }
                }
            }
            S::DataCr if b == b'\r' => S::DataLf,
            S::DataLf if b == b'\n' => {
                self.line_len = 0;
                S::Size { size: 0, digits: 0 }
            }
            S::TrailerStart if b == b'\r' => S::FinalLf,
            S::TrailerStart | S::TrailerName if is_tchar(b) => S::TrailerName,
            S::TrailerName if b == b':' => S::TrailerValue,
            // field-value: VCHAR, obs-text, SP and HTAB (RFC 9110 §5.5).
            S::TrailerValue => match b {
                b'\r' => S::TrailerLf,
                b'\t' | b' ' | 0x21..=0x7e | 0x80..=0xff => S::TrailerValue,
                _ => return None,
            },
            S::TrailerLf if b == b'\n' => S::TrailerStart,
            S::FinalLf if b == b'\n' => S::Done,
            S::DataCr
            | S::DataLf
            | S::TrailerStart
            | S::TrailerName
            | S::TrailerLf
            | S::FinalLf => return None,
            // Nothing follows the end of the body.
            S::Done => return None,
            S::Data { .. } => unreachable!("feed takes data before stepping"),
        };
        Some(next)
    }

    /// Where a size line goes on `b` where an extension may end: more
    /// whitespace, the next extension, or the end of the line.
    fn after_extension(&self, size: u64, b: u8, at: Extension) -> Option<ChunkState> {
        match b {
            b' ' | b'\t' => Some(ChunkState::Extension {
                size,
                at: if at == Extension::Name {
                    Extension::AfterName
                } else {
                    Extension::Between
                },
            }),
            b';' => Some(ChunkState::Extension {
                size,
                at: Extension::NameStart,
            }),
            b'\r' => Some(ChunkState::SizeLf { size }),
            _ => None,
        }
    }

    fn in_trailer(&self) -> bool {
        matches!(
            self.state,
            ChunkState::TrailerStart
                | ChunkState::TrailerName
                | ChunkState::TrailerValue
                | ChunkState::TrailerLf
                | ChunkState::FinalLf
        )
    }
}

/// A token character (RFC 9110 §5.6.2).
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(framing: Framing, input: &[u8], max: u64) -> Progress {
        let mut reader = BodyReader::new(framing).expect("a body");
        reader.feed(input, max, 1024)
    }

    #[test]
    fn content_length() {
        assert_eq!(
            feed_all(Framing::Length(3), b"abcNEXT", 10),
            Progress::Done(3)
        );
        let mut reader = BodyReader::new(Framing::Length(5)).unwrap();
        assert_eq!(reader.feed(b"ab", 10, 0), Progress::NeedMore);
        assert_eq!(reader.feed(b"cdeX", 10, 0), Progress::Done(3));
        assert!(BodyReader::new(Framing::Length(0)).is_none());
    }

    #[test]
    fn chunked_with_extensions_and_trailers() {
        let body = b"5;name=v\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\nNEXT";
        assert_eq!(
            feed_all(Framing::Chunked, body, 100),
            Progress::Done(body.len() - 4)
        );
        // One byte at a time gives the same answer.
        let mut reader = BodyReader::new(Framing::Chunked).unwrap();
        for (i, b) in body[..body.len() - 4].iter().enumerate() {
            let progress = reader.feed(std::slice::from_ref(b), 100, 1024);
            if i == body.len() - 5 {
                assert_eq!(progress, Progress::Done(1));
            } else {
                assert_eq!(progress, Progress::NeedMore, "at byte {i}");
            }
        }
    }

    /// Feeds `body` whole and then a byte at a time, and checks both agree.
    fn chunked(body: &[u8], max: u64) -> Progress {
        let whole = feed_all(Framing::Chunked, body, max);
        let mut reader = BodyReader::new(Framing::Chunked).unwrap();
        let mut bytewise = Progress::NeedMore;
        for (i, b) in body.iter().enumerate() {
            match reader.feed(std::slice::from_ref(b), max, 1024) {
                Progress::NeedMore => {}
                Progress::Done(1) => {
                    bytewise = Progress::Done(i + 1);
                    break;
                }
                other => {
                    bytewise = other;
                    break;
                }
            }
        }
        assert_eq!(whole, bytewise, "{:?}", String::from_utf8_lossy(body));
        whole
    }

    #[test]
    fn chunk_extensions_follow_the_grammar() {
        for good in [
            &b"5;a\r\nhello\r\n0\r\n\r\n"[..],
            b"5;a=b;c=\"q \\\" \\\\ x\"\r\nhello\r\n0\r\n\r\n",
            b"5 ; a = b \r\nhello\r\n0\r\n\r\n",
            b"5\t;a\r\nhello\r\n0;z\r\n\r\n",
            b"5 \r\nhello\r\n0\r\n\r\n",
        ] {
            assert_eq!(chunked(good, 100), Progress::Done(good.len()));
        }
        for bad in [
            &b"5 junk\r\nhello\r\n0\r\n\r\n"[..],
            b"5;x\x00\r\nhello\r\n0\r\n\r\n",
            b"5;\r\nhello\r\n0\r\n\r\n",
            b"5;=v\r\nhello\r\n0\r\n\r\n",
            b"5;a=\r\nhello\r\n0\r\n\r\n",
            b"5;a=\"open\r\nhello\r\n0\r\n\r\n",
            b"5;a=b c\r\nhello\r\n0\r\n\r\n",
            b"5;a\nhello\r\n0\r\n\r\n",
            b"0x5\r\nhello\r\n0\r\n\r\n",
        ] {
            assert_eq!(chunked(bad, 100), Progress::Invalid);
        }
    }

    #[test]
    fn trailer_fields_follow_the_grammar() {
        let good = b"0\r\nX-A: 1\r\nX-B:\t two \r\n\r\n";
        assert_eq!(chunked(good, 100), Progress::Done(good.len()));
        for bad in [
            &b"0\r\nnot a field\r\n\r\n"[..],
            b"0\r\nX-A: a\x00\r\n\r\n",
            b"0\r\n folded: x\r\n\r\n",
            b"0\r\n: no name\r\n\r\n",
            b"0\r\nX-A: 1\n\r\n",
        ] {
            assert_eq!(chunked(bad, 100), Progress::Invalid);
        }
    }

    #[test]
    fn a_chunked_body_counts_against_the_limit_as_sent() {
        // 3 bytes of size line, 5 of data, 2 of CRLF; the last chunk is free.
        let body = b"5\r\nhello\r\n0\r\n\r\n";
        assert_eq!(chunked(body, 10), Progress::Done(body.len()));
        assert_eq!(chunked(body, 9), Progress::TooLarge);
        assert_eq!(chunked(b"0\r\n\r\n", 0), Progress::Done(5));
        // Extensions cost what they take to read: 20 bytes of data carried by
        // 2 KiB of chunk lines do not fit in 1 KiB.
        let chunk = [b"1;e=".as_slice(), &[b'a'; 99], b"\r\nx\r\n"].concat();
        let flood = [chunk.repeat(20), b"0\r\n\r\n".to_vec()].concat();
        assert_eq!(chunked(&flood, 1024), Progress::TooLarge);
        assert_eq!(chunked(&flood, 4096), Progress::Done(flood.len()));
    }

    #[test]
    fn chunked_limits_and_errors() {
        assert_eq!(
            feed_all(Framing::Chunked, b"b\r\nhello world\r\n0\r\n\r\n", 10),
            Progress::TooLarge
        );
        assert_eq!(feed_all(Framing::Chunked, b"zz\r\n", 10), Progress::Invalid);
        assert_eq!(feed_all(Framing::Chunked, b"\r\n", 10), Progress::Invalid);
        assert_eq!(
            feed_all(Framing::Chunked, b"3\r\nabcXY", 10),
            Progress::Invalid
        );
        assert_eq!(feed_all(Framing::Chunked, b"3\nabc", 10), Progress::Invalid);
        assert_eq!(
            feed_all(Framing::Chunked, b"11111111111111111\r\n", u64::MAX),
            Progress::Invalid
        );
        let long_trailer = [b"0\r\nX: ".as_slice(), &[b'a'; 2000], b"\r\n\r\n"].concat();
        assert_eq!(
            feed_all(Framing::Chunked, &long_trailer, 10),
            Progress::Invalid
        );
    }
}
