//! `/healthz`: `{"status":"ok"}` while the server accepts clients. Without JetStream the
//! reference checks only its request parameters, so that is all this does too.

use hyper::StatusCode;
use serde::Serialize;

use super::Monitor;
use super::json;
use super::query::{BadRequest, Query};
use super::reply::Reply;
use super::router::paths;

/// The health answer, written compactly (no indentation), as the reference writes it.
#[derive(Debug, Serialize)]
struct HealthStatus {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<HealthzError>,
}

/// One problem, in `details=true` answers.
#[derive(Debug, Serialize)]
struct HealthzError {
    #[serde(rename = "type")]
    kind: &'static str,
    error: String,
}

/// `GET /healthz`.
pub(crate) fn handle(monitor: &Monitor, query: &Query) -> Result<Reply, BadRequest> {
    monitor.count(paths::HEALTHZ);
    let js_enabled = query.bool("js-enabled")?;
    if js_enabled {
        tracing::warn!("Healthcheck: js-enabled deprecated, use js-enabled-only instead");
    }
    for flag in ["js-enabled-only", "js-server-only", "js-meta-only"] {
        query.bool(flag)?;
    }
    let details = query.bool("details")?;
    let (account, stream, consumer) = (
        query.get("account"),
        query.get("stream"),
        query.get("consumer"),
    );
    let problem = if account.is_empty() && !stream.is_empty() {
        Some("\"account\" must not be empty when checking stream health")
    } else if stream.is_empty() && !consumer.is_empty() {
        Some("\"stream\" must not be empty when checking consumer health")
    } else {
        None
    };
    let Some(problem) = problem else {
        let ok = HealthStatus {
            status: "ok",
            error: None,
            errors: Vec::new(),
        };
        return Ok(Reply::json_bytes(StatusCode::OK, json::to_vec(&ok, None)));
    };
    let status = if details {
        tracing::warn!("Healthcheck failed: 1 errors");
        HealthStatus {
            status: "error",
            error: None,
            errors: vec![HealthzError {
                kind: "BAD_REQUEST",
                error: problem.to_owned(),
            }],
        }
    } else {
        tracing::warn!("Healthcheck failed: {problem:?}");
        HealthStatus {
            status: "error",
            error: Some(problem.to_owned()),
            errors: Vec::new(),
        }
    };
    Ok(Reply::json_bytes(
        StatusCode::BAD_REQUEST,
        json::to_vec(&status, None),
    ))
}
