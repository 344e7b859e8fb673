//! Fuzzes the chunked-body decoder (`src/http1/body.rs`, `BodyReader`): any bytes must
//! give the same verdict fed whole, a byte at a time, or split in two, and a
//! finished body must end inside the input.

#![no_main]

use http_echo_fuzz::body::{BodyReader, Progress};
use http_echo_fuzz::request::Framing;
use libfuzzer_sys::fuzz_target;

/// Small limits, so that the limit checks are reached too.
const MAX_BODY: u64 = 1024;
const MAX_TRAILER: usize = 256;

/// Feeds `pieces` in turn; the verdict and, for `Done`, the offset in the whole.
fn decode<'a>(pieces: impl IntoIterator<Item = &'a [u8]>) -> Progress {
    let mut reader = BodyReader::new(Framing::Chunked).expect("chunked has a body");
    let mut offset = 0;
    for piece in pieces {
        match reader.feed(piece, MAX_BODY, MAX_TRAILER) {
            Progress::NeedMore => offset += piece.len(),
            Progress::Done(n) => {
                assert!(n <= piece.len());
                return Progress::Done(offset + n);
            }
            other => return other,
        }
    }
    Progress::NeedMore
}

fuzz_target!(|input: &[u8]| {
    let whole = decode([input]);
    if let Progress::Done(n) = whole {
        assert!(n > 0 && n <= input.len());
    }
    assert_eq!(decode(input.chunks(1)), whole, "fed a byte at a time");
    let (left, right) = input.split_at(input.len() / 2);
    assert_eq!(decode([left, right]), whole, "fed in two halves");
});
