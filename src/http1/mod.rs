//! HTTP/1.0 and HTTP/1.1, written for this one job.
//!
//! A general-purpose HTTP library keeps a read buffer per connection and parks
//! every connection in a request-handling future; for a server whose whole reply
//! is known in advance that is most of its memory and much of its CPU. Here an
//! idle keep-alive connection holds no buffer at all: bytes are read into one
//! buffer per thread, answered on the spot, and only a partial request head is
//! copied aside. Parsing is httparse's; framing, limits and timeouts are ours.

// request.rs, body.rs and host.rs use nothing outside this folder but httparse
// and std: the fuzz targets (fuzz/) compile them on their own, which keeps the
// fuzz build to seconds. Keep it so.
mod body;
mod conn;
mod host;
mod request;
mod response;

pub use conn::{refuse, Connection, ConnectionTask, Transport};
pub(crate) use request::{is_head, percent_decode, MALFORMED_PERCENT_ENCODING};
