//! The server's HTTP/1 parsing modules, compiled from its own source files: the
//! request-head parser (with the Host grammar) and the body decoder use nothing
//! but std and httparse, so fuzzing them needs none of the server's other
//! dependencies (tokio, hyper, rustls), whose sanitizer build would take minutes.
//! At the root here, as siblings, they find each other as `super::` does there.

#![allow(dead_code)]

#[path = "../../src/http1/body.rs"]
pub mod body;
#[path = "../../src/http1/host.rs"]
pub mod host;
#[path = "../../src/http1/request.rs"]
pub mod request;
