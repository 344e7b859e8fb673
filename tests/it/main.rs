//! Integration tests: one binary, one module per area. The in-process tests run
//! the real server on a port-0 listener; the `cli`, `signals`, `probe` and `watch`
//! modules run the real binary, and `served_by` and `faults` both.

mod support;

mod body;
mod cli;
mod conformance;
mod corpus;
mod http2;
mod limits;
mod logs;
mod parity;
mod probe;
mod protocol;
mod robustness;
mod served_by;
mod signals;
mod tls;
mod watch;
