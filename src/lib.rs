//! http-echo: a drop-in replacement for hashicorp/http-echo, hardened for running
//! behind an AWS Application Load Balancer or a Kubernetes ingress.
//!
//! The binary (`src/main.rs`) turns arguments into a [`config::Command`] and runs
//! it; everything else lives here so tests can run the real server in-process on
//! a port-0 listener: [`server::Server::new`], [`listener::bind`], then
//! [`server::Server::run`] with a [`shutdown::channel`] to stop it.

pub mod admission;
pub mod app;
pub mod cli;
pub mod client_tls;
pub mod clock;
pub mod config;
pub mod duration;
pub mod faults;
mod h2;
pub mod healthcheck;
pub mod http1;
pub mod listener;
pub mod served_by;
pub mod server;
pub mod shared;
pub mod shutdown;
pub mod signals;
pub mod sniff;
pub mod telemetry;
pub mod tls;
pub mod url;
pub mod version;
pub mod watch;
