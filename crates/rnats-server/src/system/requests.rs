//! The requests the system account answers: `$SYS.REQ.SERVER.PING[.<X>]` (every server
//! answers) and `$SYS.REQ.SERVER.<id>.<X>` (this server), where `<X>` is a monitoring
//! document (all the reference's but `PROFILEZ`): the answer is `{"server": {...}, "data": <the endpoint's JSON>}`, built by the
//! monitoring handlers with the request's JSON options as query parameters.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::events::{MsgBytes, ServerInfoJson};
use super::{System, wire};
use crate::client::ClientHandle;
use crate::monitor::format::rfc3339_nanos;
use crate::monitor::query::Query;
use crate::monitor::{Monitor, json, process};
use crate::operator::OperatorMode;
use crate::server::ServerState;

/// What a subscription of the internal client answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Request {
    /// The server's statistics (`PING`, `STATSZ`).
    Statsz,
    /// Who the server is (`IDZ`), without the `server` wrapper.
    Idz,
    /// A monitoring endpoint, by path.
    Monitor(&'static str),
    /// An account JWT update (operator mode).
    ClaimsUpdate,
    /// An account JWT lookup (operator mode, `full` resolver).
    ClaimsLookup,
    /// An operator's deletion of account JWTs (operator mode, directory resolvers).
    ClaimsDelete,
    /// A request about the account the subject names (`$SYS.REQ.ACCOUNT.<account>.<X>`).
    Account(super::accounts::AccountRequest),
    /// A user asking who it is (`$SYS.REQ.USER.<account>.INFO`, through its import).
    UserInfo,
    /// A request that acts on the server (`$SYS.REQ.SERVER.<id>.KICK|LDM|RELOAD`).
    Control(super::control::ControlRequest),
}

/// The first statsz heartbeat after start; each next one comes twice as late, up to
/// `STATSZ_HEARTBEAT`.
const FIRST_STATSZ_HEARTBEAT: Duration = Duration::from_millis(250);
/// How often the server publishes its statistics on `$SYS.SERVER.<id>.STATSZ` once started.
const STATSZ_HEARTBEAT: Duration = Duration::from_secs(10);

/// The request suffixes and what answers them.
const ENDPOINTS: [(&str, Request); 14] = [
    ("STATSZ", Request::Statsz),
    ("IDZ", Request::Idz),
    ("VARZ", Request::Monitor("/varz")),
    ("CONNZ", Request::Monitor("/connz")),
    ("SUBSZ", Request::Monitor("/subsz")),
    ("HEALTHZ", Request::Monitor("/healthz")),
    ("ACCOUNTZ", Request::Monitor("/accountz")),
    ("ROUTEZ", Request::Monitor("/routez")),
    ("GATEWAYZ", Request::Monitor("/gatewayz")),
    ("LEAFZ", Request::Monitor("/leafz")),
    ("JSZ", Request::Monitor("/jsz")),
    ("IPQUEUESZ", Request::Monitor("/ipqueuesz")),
    ("RAFTZ", Request::Monitor("/raftz")),
    ("EXPVARZ", Request::Monitor("/debug/vars")),
];

/// Subscribes the internal client to every request subject (the resolver's too in
/// operator mode); the result is indexed by sid.
pub(crate) fn subscribe(
    client: &Arc<ClientHandle>,
    server_id: &str,
    operator: Option<&OperatorMode>,
) -> Vec<Request> {
    let mut subjects = vec![("$SYS.REQ.SERVER.PING".to_owned(), Request::Statsz)];
    for (suffix, request) in ENDPOINTS {
        subjects.push((format!("$SYS.REQ.SERVER.PING.{suffix}"), request));
        subjects.push((format!("$SYS.REQ.SERVER.{server_id}.{suffix}"), request));
    }
    for (suffix, request) in super::control::SUFFIXES {
        subjects.push((
            format!("$SYS.REQ.SERVER.{server_id}.{suffix}"),
            Request::Control(request),
        ));
    }
    subjects.extend(super::accounts::subjects());
    subjects.push(("$SYS.REQ.USER.*.INFO".to_owned(), Request::UserInfo));
    if let Some(operator) = operator {
        subjects.extend(super::claims::subjects(operator));
    }
    let mut table = Vec::with_capacity(subjects.len());
    for (subject, request) in subjects {
        let sid = table.len().to_string();
        if client
            .subscribe_internal(sid.as_bytes(), subject.as_bytes())
            .is_some()
        {
            table.push(request);
        }
    }
    table
}

/// Answers the requests delivered to the internal client until the server shuts down.
pub(crate) async fn serve(server: Arc<ServerState>, table: Vec<Request>) {
    let Some(system) = &server.system else {
        return;
    };
    let monitor = Monitor::uncounted(server.clone());
    let mut bytes = Vec::new();
    let heartbeat_subject = format!("$SYS.SERVER.{}.STATSZ", server.server_id);
    let mut heartbeat_interval = FIRST_STATSZ_HEARTBEAT;
    let heartbeat = tokio::time::sleep(heartbeat_interval);
    tokio::pin!(heartbeat);
    loop {
        tokio::select! {
            () = server.shutdown.cancelled() => return,
            () = system.client.delivered_internal() => {}
            () = &mut heartbeat => {
                // As the reference: often at first, then every STATSZ_HEARTBEAT.
                heartbeat_interval = (heartbeat_interval * 2).min(STATSZ_HEARTBEAT);
                heartbeat.as_mut().reset(tokio::time::Instant::now() + heartbeat_interval);
                if system.has_listeners(&heartbeat_subject) {
                    let update = answer(&monitor, system, Request::Statsz, b"");
                    system.publish(&server, &heartbeat_subject, None, &update);
                }
                continue;
            }
        }
        bytes.clear();
        if !system.client.take_internal(&mut bytes) {
            return;
        }
        for message in wire::messages(&bytes) {
            let Some(reply) = message.reply else {
                continue;
            };
            let request = std::str::from_utf8(message.sid)
                .ok()
                .and_then(|sid| sid.parse::<usize>().ok())
                .and_then(|index| table.get(index));
            // Each kind is answered where it is defined; `None` when the reference sends
            // no answer.
            let answer = match request {
                Some(
                    request @ (Request::ClaimsUpdate
                    | Request::ClaimsLookup
                    | Request::ClaimsDelete),
                ) => super::claims::answer(
                    &server,
                    system,
                    *request,
                    message.subject,
                    message.payload,
                ),
                Some(Request::Control(request)) => {
                    super::control::answer(&server, system, *request, message.payload).await
                }
                Some(Request::UserInfo) => {
                    Some(super::user_info::answer(&server, system, message.headers))
                }
                Some(Request::Account(request)) => super::accounts::answer(
                    &monitor,
                    system,
                    *request,
                    message.subject,
                    message.payload,
                ),
                Some(request) => Some(answer(&monitor, system, *request, message.payload)),
                None => None,
            };
            if let Some(answer) = answer {
                publish_reply(&server, system, reply, &answer);
            }
        }
    }
}

fn publish_reply(server: &ServerState, system: &System, reply: &[u8], payload: &[u8]) {
    crate::client::publish_internal(&server.stats, &system.client, reply, None, payload);
}

/// The answer to one request, as JSON.
fn answer(monitor: &Monitor, system: &System, request: Request, payload: &[u8]) -> Vec<u8> {
    let server = &monitor.server;
    match request {
        // Answered in `claims.rs` and `accounts.rs`.
        Request::ClaimsUpdate
        | Request::ClaimsLookup
        | Request::ClaimsDelete
        | Request::Account(_)
        | Request::UserInfo
        | Request::Control(_) => Vec::new(),
        Request::Idz => json::to_vec(&identity(server, system), None),
        Request::Statsz => json::to_vec(
            &StatszAnswer {
                server: system.server_info(server),
                statsz: statsz(monitor),
            },
            None,
        ),
        Request::Monitor(path) => {
            let outcome =
                query(path, payload).and_then(|query| monitor_data(monitor, path, &query));
            match outcome {
                Ok(data) => with_data(system.server_info(server), &data),
                Err(description) => error_answer(system.server_info(server), 400, description),
            }
        }
    }
}

/// The compact JSON of a monitoring endpoint's answer to `query`; the error is the text of
/// a 400.
pub(super) fn monitor_data(
    monitor: &Monitor,
    path: &str,
    query: &Query,
) -> Result<Vec<u8>, String> {
    let reply = crate::monitor::answer(monitor, path, query);
    // Over HTTP a server without Raft nodes says so with a 404; asked here, the reference
    // answers an empty set of nodes.
    if path == "/raftz" && reply.status == hyper::StatusCode::NOT_FOUND {
        return Ok(b"{}".to_vec());
    }
    if reply.status.is_client_error() {
        return Err(String::from_utf8_lossy(&reply.body).trim_end().to_owned());
    }
    let mut data = compact(&reply.body);
    // The health answer carries its HTTP status here, as the reference's does.
    if path == "/healthz" && data.pop() == Some(b'}') {
        let code = reply.status.as_u16();
        data.extend_from_slice(format!(",\"status_code\":{code}}}").as_bytes());
    }
    Ok(data)
}

/// `{"server":{...},"data":<data>}`.
pub(super) fn with_data(server: ServerInfoJson, data: &[u8]) -> Vec<u8> {
    let head = json::to_vec(&server, None);
    let mut out = Vec::with_capacity(head.len() + data.len() + 20);
    out.extend_from_slice(b"{\"server\":");
    out.extend_from_slice(&head);
    out.extend_from_slice(b",\"data\":");
    out.extend_from_slice(data);
    out.push(b'}');
    out
}

/// `{"server":{...},"error":{"code":..,"description":..}}`: a request that could not be
/// decoded (400).
pub(super) fn error_answer(server: ServerInfoJson, code: u16, description: String) -> Vec<u8> {
    json::to_vec(
        &ErrorAnswer {
            server,
            error: ApiError { code, description },
        },
        None,
    )
}

/// `{"server":{...},"data":null,"error":{...}}`: a request decoded but failed (500).
pub(super) fn failure_answer(server: ServerInfoJson, description: String) -> Vec<u8> {
    json::to_vec(
        &FailureAnswer {
            server,
            data: (),
            error: ApiError {
                code: 500,
                description,
            },
        },
        None,
    )
}

/// The monitoring query a request's JSON options make; the error is the description.
pub(super) fn query(path: &str, payload: &[u8]) -> Result<Query, String> {
    if payload.iter().all(u8::is_ascii_whitespace) {
        return Ok(Query::default());
    }
    let options: serde_json::Map<String, Value> =
        serde_json::from_slice(payload).map_err(|error| error.to_string())?;
    let mut pairs = Vec::new();
    for (key, value) in &options {
        let text = match value {
            Value::String(text) => text.clone(),
            Value::Null => continue,
            other => other.to_string(),
        };
        let name = match (path, key.as_str()) {
            ("/connz" | "/subsz", "subscriptions") => "subs",
            ("/connz", "subscriptions_detail") => {
                if value == &Value::Bool(true) {
                    pairs.push(("subs".to_owned(), "detail".to_owned()));
                }
                continue;
            }
            ("/connz", "state") => {
                let state = match text.as_str() {
                    "1" => "closed",
                    "2" => "any",
                    _ => "open",
                };
                pairs.push(("state".to_owned(), state.to_owned()));
                continue;
            }
            (
                "/connz",
                name @ ("sort" | "auth" | "offset" | "limit" | "cid" | "user" | "acc"
                | "mqtt_client"),
            ) => name,
            ("/subsz", name @ ("offset" | "limit" | "test")) => name,
            ("/subsz" | "/accountz", "account") => "acc",
            (
                "/healthz",
                name @ ("js-enabled-only" | "js-server-only" | "js-meta-only" | "details"
                | "account" | "stream" | "consumer"),
            ) => name,
            _ => continue,
        };
        pairs.push((name.to_owned(), text));
    }
    // `subscriptions_detail` wins over `subscriptions`, as a query's first value does.
    pairs.sort_by_key(|(name, value)| !(name == "subs" && value == "detail"));
    Ok(Query::from_pairs(pairs))
}

/// Indented JSON made compact: whitespace outside strings removed.
fn compact(indented: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(indented.len());
    let (mut in_string, mut escaped) = (false, false);
    for &byte in indented {
        if in_string {
            out.push(byte);
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
        } else if !byte.is_ascii_whitespace() {
            in_string = byte == b'"';
            out.push(byte);
        }
    }
    out
}

/// `IDZ`: the server's name, host and id.
#[derive(Serialize)]
struct Identity {
    name: String,
    host: String,
    id: String,
}

fn identity(server: &ServerState, system: &System) -> Identity {
    Identity {
        name: server.server_name.clone(),
        host: system.host.clone(),
        id: server.server_id.clone(),
    }
}

#[derive(Serialize)]
struct StatszAnswer {
    server: ServerInfoJson,
    statsz: Statsz,
}

#[derive(Serialize)]
struct ErrorAnswer {
    server: ServerInfoJson,
    error: ApiError,
}

#[derive(Serialize)]
struct FailureAnswer {
    server: ServerInfoJson,
    data: (),
    error: ApiError,
}

#[derive(Serialize)]
struct ApiError {
    code: u16,
    description: String,
}

/// The `statsz` object.
#[derive(Serialize)]
struct Statsz {
    start: String,
    mem: u64,
    cores: usize,
    cpu: f64,
    connections: usize,
    total_connections: u64,
    active_accounts: usize,
    subscriptions: usize,
    sent: MsgBytes,
    sent_to_clients: MsgBytes,
    received: MsgBytes,
    received_from_clients: MsgBytes,
    slow_consumers: u64,
    active_servers: u32,
    gomaxprocs: usize,
}

fn statsz(monitor: &Monitor) -> Statsz {
    let server = &monitor.server;
    let stats = server.stats.snapshot();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let connections = server.open_connections(false);
    let mut accounts: Vec<&str> = connections.iter().map(|c| c.account.as_str()).collect();
    accounts.sort_unstable();
    accounts.dedup();
    let sent = || MsgBytes {
        msgs: stats.out_msgs,
        bytes: stats.out_bytes,
    };
    let received = || MsgBytes {
        msgs: stats.in_msgs,
        bytes: stats.in_bytes,
    };
    Statsz {
        start: rfc3339_nanos(server.started),
        mem: process::resident_memory(),
        cores,
        cpu: monitor.cpu.percent(),
        connections: connections.len(),
        total_connections: stats.total_connections,
        active_accounts: accounts.len(),
        subscriptions: server.subscription_count(),
        sent: sent(),
        sent_to_clients: sent(),
        received: received(),
        received_from_clients: received(),
        slow_consumers: stats.slow_consumers,
        active_servers: 1,
        gomaxprocs: cores,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indented_json_becomes_compact() {
        assert_eq!(
            compact(b"{\n  \"a b\": [\n    1,\n    \"x \\\" y\"\n  ]\n}"),
            b"{\"a b\":[1,\"x \\\" y\"]}"
        );
    }

    #[test]
    fn options_map_onto_queries() {
        let query = query("/connz", br#"{"subscriptions":true,"limit":5,"state":1}"#);
        let query = query.unwrap_or_default();
        assert_eq!(query.get("subs"), "true");
        assert_eq!(query.get("limit"), "5");
        assert_eq!(query.get("state"), "closed");
        assert!(super::query("/varz", b"{bad").is_err());
    }
}
