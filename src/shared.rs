//! What every connection reads, whichever protocol it speaks: the replies, the
//! limits, the access log and the lifecycle state. The accept loop builds it once
//! and hands each connection a reference.

use std::time::Duration;

use crate::app::App;
use crate::config::Config;
use crate::served_by::Replica;
use crate::shutdown::ShutdownState;
use crate::telemetry::AccessLog;

/// The server's state, shared by the accept loop and every connection.
pub struct Shared {
    pub app: App,
    pub limits: Limits,
    pub log: AccessLog,
    pub shutdown: ShutdownState,
}

/// Per-connection limits, from the configuration; HTTP/1 and HTTP/2 apply the same.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_header_bytes: usize,
    pub max_body_bytes: u64,
}

impl Shared {
    /// `served_by`: the replica's name, when `-served-by` is on.
    pub fn new(config: &Config, served_by: Option<&Replica>, log: AccessLog) -> Shared {
        let log = match served_by {
            Some(replica) => log.serving_as(replica.as_str()),
            None => log,
        };
        Shared {
            app: App::with(&config.text, config.status_code, served_by, config.faults),
            limits: Limits {
                header_read_timeout: config.header_read_timeout,
                idle_timeout: config.idle_timeout,
                max_header_bytes: config.max_header_bytes,
                max_body_bytes: config.max_body_bytes,
            },
            log,
            shutdown: ShutdownState::default(),
        }
    }
}
