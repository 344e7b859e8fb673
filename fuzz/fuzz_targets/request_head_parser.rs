//! Fuzzes the HTTP/1 request-head parser (`src/http1/request.rs`, `parse`): any bytes
//! must give a head, a refusal or "need more", never a panic, and a head must
//! describe the bytes it came from.

#![no_main]

use http_echo_fuzz::request::{parse, Framing, Parsed};
use libfuzzer_sys::fuzz_target;

/// Small limits, so that the limit checks are reached too.
const MAX_HEAD: usize = 4096;
const MAX_BODY: u64 = 1024;

fuzz_target!(|input: &[u8]| {
    if let Parsed::Complete(head) = parse(input, MAX_HEAD, MAX_BODY) {
        assert!(head.len <= input.len() && head.len <= MAX_HEAD);
        if let Framing::Length(n) = head.framing {
            assert!(n > 0 && n <= MAX_BODY);
        }
        // The head alone parses to the same head: nothing after it was used.
        match parse(&input[..head.len], MAX_HEAD, MAX_BODY) {
            Parsed::Complete(again) => {
                assert_eq!(again.len, head.len);
                assert_eq!(again.framing, head.framing);
                assert_eq!(again.host, head.host);
                assert_eq!(again.path, head.path);
            }
            other => panic!("the head alone parsed as {other:?}"),
        }
    }
});
