//! `-served-by`: the name of this replica, for the `X-Served-By` header of every
//! answer and the `served_by` field of the JSON access log, so that a client
//! behind a load balancer sees which task, pod or host answered it.
//!
//! The name is found once, at startup, from the first source that has one:
//!
//! 1. ECS: the task metadata endpoint v4 (`$ECS_CONTAINER_METADATA_URI_V4/task`):
//!    `task=<task ID> az=<zone> rev=<family>:<revision>`;
//! 2. Kubernetes: `POD_NAME` and `NODE_NAME`, as the downward API sets them:
//!    `pod=<name> node=<name>`;
//! 3. otherwise the hostname: `host=<name>`.
//!
//! Whatever a source says, the name is made of header-safe bytes: each value
//! keeps letters, digits and `-._:/@+`, and every other byte becomes `_`.

mod ecs;
mod json;

use std::time::Duration;

pub use ecs::METADATA_URI_VAR;

/// How long startup waits for the task metadata endpoint. The ECS agent
/// answers from memory on the task's own link-local network, in milliseconds;
/// one second covers an agent busy starting the task's containers, and is all a
/// broken endpoint can cost a start (the grace period ECS gives a new task's
/// health checks is far longer). Past it, the name comes from the next source.
pub const METADATA_TIMEOUT: Duration = Duration::from_secs(1);

/// The longest value kept, in bytes: a DNS name's limit, which pod, node and
/// host names stay within.
const MAX_VALUE_BYTES: usize = 253;

/// A replica's name: `key=value` pairs separated by spaces, every byte valid in
/// a header value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replica(String);

impl Replica {
    /// The name of `pairs`; values are cleaned, and empty ones left out.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Replica {
        let mut name = String::new();
        for (key, value) in pairs {
            let value = clean(value);
            if value.is_empty() {
                continue;
            }
            if !name.is_empty() {
                name.push(' ');
            }
            name.push_str(key);
            name.push('=');
            name.push_str(&value);
        }
        Replica(name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The replica's name, and what went wrong on the way if a source failed.
#[derive(Debug)]
pub struct Identity {
    pub replica: Replica,
    /// Where the name came from, for the startup line.
    pub source: &'static str,
    /// Why the ECS task metadata was not used although it was offered.
    pub fallback: Option<String>,
}

/// Finds the name from `env` (the process environment, or a test's); waits at
/// most `timeout` for the task metadata endpoint.
pub fn identify(env: &dyn Fn(&str) -> Option<String>, timeout: Duration) -> Identity {
    let set = |name: &str| env(name).filter(|value| !value.is_empty());
    let mut fallback = None;
    if let Some(uri) = set(METADATA_URI_VAR) {
        match ecs::task(&uri, timeout) {
            Ok(task) => {
                let replica = Replica::from_pairs(&[
                    ("task", &task.id),
                    ("az", task.zone.as_deref().unwrap_or_default()),
                    ("rev", task.revision.as_deref().unwrap_or_default()),
                ]);
                return Identity {
                    replica,
                    source: "the ECS task metadata",
                    fallback: None,
                };
            }
            Err(why) => {
                fallback = Some(format!(
                    "the ECS task metadata at {}/task could not be read ({why})",
                    uri.trim_end_matches('/')
                ))
            }
        }
    }
    let pod = set("POD_NAME").unwrap_or_default();
    let node = set("NODE_NAME").unwrap_or_default();
    let replica = Replica::from_pairs(&[("pod", &pod), ("node", &node)]);
    if !replica.0.is_empty() {
        return Identity {
            replica,
            source: "POD_NAME and NODE_NAME",
            fallback,
        };
    }
    let host = hostname().unwrap_or_else(|| "unknown".to_owned());
    Identity {
        replica: Replica::from_pairs(&[("host", &host)]),
        source: "the hostname",
        fallback,
    }
}

/// `value` with every byte outside `[A-Za-z0-9-._:/@+]` replaced by `_` (so a
/// character beyond ASCII becomes one `_` per byte), cut at
/// [`MAX_VALUE_BYTES`]: nothing that could end a header, split a pair or
/// confuse a reader of the line.
fn clean(value: &str) -> String {
    value
        .bytes()
        .take(MAX_VALUE_BYTES)
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._:/@+".contains(&b) {
                char::from(b)
            } else {
                '_'
            }
        })
        .collect()
}

/// The kernel's host name (in a container, the container's).
fn hostname() -> Option<String> {
    let mut buffer = [0u8; 256];
    // SAFETY: gethostname writes at most buffer.len() bytes into the buffer we own.
    let rc = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) };
    if rc != 0 {
        return None;
    }
    let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
    let name = String::from_utf8_lossy(&buffer[..end]).into_owned();
    Some(name).filter(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        let vars = vars.to_vec();
        move |name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        }
    }

    #[test]
    fn values_are_header_safe_whatever_they_hold() {
        let replica = Replica::from_pairs(&[
            ("task", "a b\r\nX-Evil: 1"),
            ("az", ""),
            ("rev", "f\u{e9}\"=,;\\:7"),
        ]);
        assert_eq!(replica.as_str(), "task=a_b__X-Evil:_1 rev=f_______:7");
        assert!(http::header::HeaderValue::from_str(replica.as_str()).is_ok());
        let long = "x".repeat(1000);
        assert_eq!(
            Replica::from_pairs(&[("host", &long)]).as_str().len(),
            "host=".len() + MAX_VALUE_BYTES
        );
    }

    #[test]
    fn kubernetes_names_then_the_hostname() {
        let found = identify(
            &env(&[("POD_NAME", "web-7d4b9"), ("NODE_NAME", "node-1")]),
            METADATA_TIMEOUT,
        );
        assert_eq!(found.replica.as_str(), "pod=web-7d4b9 node=node-1");
        assert_eq!(found.fallback, None);
        let found = identify(&env(&[("NODE_NAME", "node-1")]), METADATA_TIMEOUT);
        assert_eq!(found.replica.as_str(), "node=node-1");
        let found = identify(&env(&[("POD_NAME", "")]), METADATA_TIMEOUT);
        let host = hostname().unwrap();
        assert_eq!(found.replica, Replica::from_pairs(&[("host", &host)]));
        assert_eq!(found.source, "the hostname");
    }

    #[test]
    fn an_endpoint_that_cannot_be_read_falls_back_and_says_why() {
        // Nothing listens on port 1 of 127.0.0.1.
        let found = identify(
            &env(&[
                (METADATA_URI_VAR, "http://127.0.0.1:1/v4/abc"),
                ("POD_NAME", "p"),
            ]),
            METADATA_TIMEOUT,
        );
        assert_eq!(found.replica.as_str(), "pod=p");
        let why = found.fallback.unwrap();
        assert!(
            why.starts_with(
                "the ECS task metadata at http://127.0.0.1:1/v4/abc/task could not be read (refused"
            ),
            "{why}"
        );
        for not_the_agent in [
            "ftp://h/",
            "https://127.0.0.1/v4",
            "http://metadata.test/v4",
        ] {
            let found = identify(&env(&[(METADATA_URI_VAR, not_the_agent)]), METADATA_TIMEOUT);
            let why = found.fallback.unwrap();
            assert!(
                why.contains("(not an http:// URL with an IP address)"),
                "{why}"
            );
        }
    }
}
