//! The ECS task metadata endpoint, version 4: `$ECS_CONTAINER_METADATA_URI_V4/task`,
//! which the ECS agent serves to every container of a task on its link-local
//! address (Fargate from platform version 1.4.0, EC2 from agent 1.39.0). Its
//! JSON names the task (`TaskARN`), its zone (`AvailabilityZone`) and its task
//! definition (`Family`, `Revision`, both strings).

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::json;
use crate::url::Url;
use crate::version::VERSION;
use crate::watch::exchange::{Client, FailureKind};

/// The variable the ECS agent sets in every container of a task.
pub const METADATA_URI_VAR: &str = "ECS_CONTAINER_METADATA_URI_V4";

/// What the task document says about the replica.
#[derive(Debug, PartialEq, Eq)]
pub struct Task {
    /// The last part of `TaskARN`: `arn:aws:ecs:<region>:<account>:task/<cluster>/<id>`.
    pub id: String,
    pub zone: Option<String>,
    /// `Family:Revision`, as a task definition is named.
    pub revision: Option<String>,
}

/// GETs `<uri>/task` and reads it, all within `timeout` whatever the endpoint
/// does: connecting and every read and write are bounded by it. A name lookup
/// would not be, so the URI must name an IP address, as the agent's always
/// does (169.254.170.2). Fails with a reason for the log.
pub fn task(uri: &str, timeout: Duration) -> Result<Task, String> {
    let url = Url::parse(&format!("{}/task", uri.trim_end_matches('/')))
        .ok()
        .filter(|url| !url.tls && url.literal_ip().is_some())
        .ok_or("not an http:// URL with an IP address")?;
    let deadline = Instant::now() + timeout;
    // Plain http: the TLS configuration is never used.
    let client = Client::new(
        url,
        Arc::new(crate::client_tls::unverified()),
        &format!("http-echo/{VERSION}"),
    )?;
    let answer = match client.get(None, false, deadline) {
        Ok(answer) => answer,
        Err(failure) if failure.kind == FailureKind::Timeout => {
            return Err(format!(
                "no answer within {}",
                crate::duration::go_string(timeout)
            ))
        }
        Err(failure) => return Err(format!("{}: {}", failure.kind.name(), failure.detail)),
    };
    if answer.status != 200 {
        return Err(format!("status {}", answer.status));
    }
    parse(&answer.body)
}

/// Reads the task document.
pub fn parse(body: &[u8]) -> Result<Task, String> {
    let strings = json::object_strings(body).map_err(|e| format!("malformed JSON: {e}"))?;
    let field = |name: &str| {
        strings
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.is_empty())
    };
    let arn = field("TaskARN").ok_or("no TaskARN")?;
    let id = arn
        .rsplit_once('/')
        .map(|(_, id)| id)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| format!("TaskARN {arn:?} names no task"))?;
    let revision = match (field("Family"), field("Revision")) {
        (Some(family), Some(revision)) => Some(format!("{family}:{revision}")),
        _ => None,
    };
    Ok(Task {
        id: id.to_owned(),
        zone: field("AvailabilityZone").map(str::to_owned),
        revision,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_task_id_zone_and_revision() {
        let body = br#"{"Cluster": "arn:aws:ecs:us-east-1:111122223333:cluster/c",
            "TaskARN": "arn:aws:ecs:us-east-1:111122223333:task/c/0123456789abcdef",
            "Family": "http-echo-dev", "Revision": "42", "Limits": {"CPU": 0.25},
            "AvailabilityZone": "us-east-1b", "Containers": [{"Name": "app"}]}"#;
        assert_eq!(
            parse(body),
            Ok(Task {
                id: "0123456789abcdef".to_owned(),
                zone: Some("us-east-1b".to_owned()),
                revision: Some("http-echo-dev:42".to_owned()),
            })
        );
        // The old ARN format has no cluster part; a zone or revision may be missing.
        let body = br#"{"TaskARN": "arn:aws:ecs:us-east-1:111122223333:task/abc", "Family": "f"}"#;
        assert_eq!(
            parse(body),
            Ok(Task {
                id: "abc".to_owned(),
                zone: None,
                revision: None
            })
        );
    }

    #[test]
    fn refuses_a_document_without_a_task() {
        assert_eq!(parse(br#"{"Family": "f"}"#), Err("no TaskARN".to_owned()));
        assert!(parse(br#"{"TaskARN": "arn:aws:ecs:r:1:task/"}"#).is_err());
        assert!(parse(br#"{"TaskARN": 7}"#).is_err());
        assert!(parse(b"<html>").unwrap_err().starts_with("malformed JSON"));
    }
}
