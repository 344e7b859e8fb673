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

#[derive(Debug)]
pub struct Chunked {
    state: ChunkState,
    /// Data bytes seen so far, against the body limit.
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
    /// Whitespace or `;extensions` after the size, up to CR.
    Extension {
        size: u64,
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
    TrailerLine,
    TrailerLf,
    FinalLf,
    Done,
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

    /// Consumes body bytes from the front of `input`. `max_trailer` bounds the
    /// trailer section like the head.
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
            self.state = match self.state {
                ChunkState::Size { size, digits } => match (b as char).to_digit(16) {
                    Some(d) if digits < 16 => ChunkState::Size {
                        size: size << 4 | u64::from(d),
                        digits: digits + 1,
                    },
                    Some(_) => return Progress::Invalid,
                    None if digits == 0 => return Progress::Invalid,
                    None if b == b'\r' => ChunkState::SizeLf { size },
                    None if matches!(b, b';' | b' ' | b'\t') => ChunkState::Extension { size },
                    None => return Progress::Invalid,
                },
                ChunkState::Extension { size } => match b {
                    b'\r' => ChunkState::SizeLf { size },
                    b'\n' => return Progress::Invalid,
                    _ => ChunkState::Extension { size },
                },
                ChunkState::SizeLf { size } => {
                    if b != b'\n' {
                        return Progress::Invalid;
                    }
                    self.line_len = 0;
                    if size == 0 {
                        ChunkState::TrailerStart
                    } else {
                        self.total = self.total.saturating_add(size);
                        if self.total > max_body {
                            return Progress::TooLarge;
                        }
                        ChunkState::Data { remaining: size }
                    }
                }
                ChunkState::DataCr if b == b'\r' => ChunkState::DataLf,
                ChunkState::DataLf if b == b'\n' => {
                    self.line_len = 0;
                    ChunkState::Size { size: 0, digits: 0 }
                }
                ChunkState::DataCr | ChunkState::DataLf => return Progress::Invalid,
                ChunkState::TrailerStart if b == b'\r' => ChunkState::FinalLf,
                ChunkState::TrailerStart | ChunkState::TrailerLine => match b {
                    b'\r' => ChunkState::TrailerLf,
                    b'\n' => return Progress::Invalid,
                    _ => ChunkState::TrailerLine,
                },
                ChunkState::TrailerLf if b == b'\n' => ChunkState::TrailerStart,
                ChunkState::FinalLf if b == b'\n' => {
                    self.state = ChunkState::Done;
                    return Progress::Done(i);
                }
                ChunkState::TrailerLf | ChunkState::FinalLf => return Progress::Invalid,
                ChunkState::Data { .. } | ChunkState::Done => unreachable!("handled above"),
            };
            let in_trailer = matches!(
                self.state,
                ChunkState::TrailerStart
                    | ChunkState::TrailerLine
                    | ChunkState::TrailerLf
                    | ChunkState::FinalLf
            );
            let limit = if in_trailer {
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
