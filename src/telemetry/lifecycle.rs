//! Lifecycle lines on stderr, in the shape of Go's `log` package:
//! `2026/11/26 13:11:05 [INFO] server is listening on :5678`.

use std::io::Write;

use crate::clock;

fn line(level: &str, message: &str) {
    let mut text = Vec::with_capacity(48 + message.len());
    clock::with_now(|second, _| text.extend_from_slice(&second.go_local));
    text.extend_from_slice(format!(" [{level}] {message}\n").as_bytes());
    // stderr is unbuffered: one write keeps concurrent lines whole. If stderr is
    // gone there is nowhere left to report that.
    let _ = std::io::stderr().lock().write_all(&text);
}

pub fn info(message: &str) {
    line("INFO", message);
}

pub fn warn(message: &str) {
    line("WARN", message);
}

pub fn error(message: &str) {
    line("ERR", message);
}
