//! What the server tells its operator: the access log on stdout, lifecycle lines
//! on stderr.

mod access;
mod go_quote;
mod lifecycle;
mod writer;

pub use access::{AccessLog, Entry};
pub use lifecycle::{error, info, warn};
pub use writer::LogWriter;
