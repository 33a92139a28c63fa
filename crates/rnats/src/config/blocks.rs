//! Top-level keys for capabilities rnats does not have yet.
//!
//! Their blocks are checked now (shape and key names, with the reference's errors) so that a
//! file that works with the reference loads here, and a typo is caught before the capability
//! lands. Blocks that only add a way in (cluster, gateway, leaf nodes, WebSocket, MQTT) or
//! persistence (JetStream) are ignored with a warning. Security settings stop the server.

use rnats_conf::ValueKind;

use super::entries;
use super::field::{Field, Problem, go_type};

/// A capability still to come, and the keys its block may hold.
struct Later {
    keys: &'static [&'static str],
    capability: &'static str,
    schema: &'static [&'static str],
}

const LISTEN: [&str; 4] = ["listen", "host", "net", "port"];

/// The blocks ignored for now, with the key names the reference accepts in them.
const LATER: &[Later] = &[
    Later {
        keys: &["cluster"],
        capability: "clustering",
        schema: &[
            "name",
            "advertise",
            "cluster_advertise",
            "no_advertise",
            "routes",
            "authorization",
            "tls",
            "connect_retries",
            "connect_backoff",
            "pool_size",
            "accounts",
            "compression",
            "ping_interval",
            "ping_max",
            "write_deadline",
            "permissions",
        ],
    },
    Later {
        keys: &["gateway"],
        capability: "gateways",
        schema: &[
            "name",
            "advertise",
            "gateways",
            "authorization",
            "tls",
            "connect_retries",
            "connect_backoff",
            "reject_unknown",
            "reject_unknown_cluster",
            "write_deadline",
        ],
    },
    Later {
        keys: &["leafnodes", "leaf"],
        capability: "leaf nodes",
        schema: &[
            "advertise",
            "no_advertise",
            "remotes",
            "authorization",
            "tls",
            "reconnect",
            "reconnect_interval",
            "min_version",
            "compression",
            "isolate_leafnode_interest",
            "write_deadline",
        ],
    },
    Later {
        keys: &["websocket", "ws"],
        capability: "WebSocket",
        schema: &[
            "advertise",
            "tls",
            "no_tls",
            "same_origin",
            "allowed_origins",
            "compression",
            "handshake_timeout",
            "authorization",
            "no_auth_user",
            "jwt_cookie",
            "user_cookie",
            "pass_cookie",
            "token_cookie",
            "headers",
        ],
    },
    Later {
        keys: &["mqtt"],
        capability: "MQTT",
        schema: &[
            "tls",
            "authorization",
            "no_auth_user",
            "ack_wait",
            "max_ack_pending",
            "js_domain",
            "stream_replicas",
            "consumer_replicas",
            "consumer_memory_storage",
            "consumer_inactive_threshold",
            "js_api_timeout",
        ],
    },
    Later {
        keys: &["jetstream"],
        capability: "JetStream",
        schema: &[
            "enabled",
            "store_dir",
            "store",
            "max_memory_store",
            "max_mem",
            "max_mem_store",
            "max_file_store",
            "max_file",
            "max_buffered_msgs",
            "max_buffered_size",
            "domain",
            "sync_interval",
            "strict",
            "unique_tag",
            "max_outstanding_catchup",
            "cipher",
            "key",
            "prev_key",
            "limits",
            "extension_hint",
            "tpm",
            "request_queue_limit",
        ],
    },
];

/// Security settings: rnats refuses to run without what they ask for.
const SECURITY: &[&str] = &[
    "resolver_tls",
    "resolver_pinned_accounts",
    "ocsp",
    "ocsp_cache",
];

/// Keys the reference knows that change nothing rnats does today.
const WITHOUT_EFFECT: &[&str] = &[
    "connect_error_reports",
    "reconnect_error_reports",
    "prof_port",
    "syslog",
    "remote_syslog",
    "server_tags",
    "server_metadata",
    "default_js_domain",
    "write_timeout",
    "proxies",
];

/// Handles a top-level key `Reader::apply` does not know: a block for later, a security
/// setting, a key without effect, or an unknown field.
pub(super) fn check(
    key: &str,
    field: &Field<'_>,
    problems: &mut Vec<Problem>,
    ignored: &mut Vec<(String, &'static str)>,
) -> Result<(), Problem> {
    if let Some(later) = LATER.iter().find(|later| later.keys.contains(&key)) {
        if check_later(key, later, field, problems)? {
            ignored.push((field.key().to_owned(), later.capability));
        }
        return Ok(());
    }
    if SECURITY.contains(&key) {
        return Err(unsupported_security(field));
    }
    if WITHOUT_EFFECT.contains(&key) {
        return Ok(());
    }
    Err(field.error(format!("unknown field \"{}\"", field.key())))
}

/// Checks a later capability's block; true when it asks for something (and is ignored).
fn check_later(
    key: &str,
    later: &Later,
    field: &Field<'_>,
    problems: &mut Vec<Problem>,
) -> Result<bool, Problem> {
    let map = match field.kind() {
        ValueKind::Map(map) => map,
        // `jetstream: enabled`, `jetstream: false`.
        ValueKind::Bool(on) if key == "jetstream" => return Ok(*on),
        ValueKind::String(text) if key == "jetstream" => {
            return Ok(!matches!(
                text.to_ascii_lowercase().as_str(),
                "disabled" | "false"
            ));
        }
        kind => {
            return Err(field.error(format!("Expected {key} to be a map, got {}", go_type(kind))));
        }
    };
    for inner in entries(map) {
        let name = inner.key().to_ascii_lowercase();
        if !LISTEN.contains(&name.as_str()) && !later.schema.contains(&name.as_str()) {
            problems.push(inner.error(format!("unknown field \"{}\"", inner.key())));
        }
    }
    let disabled = key == "jetstream"
        && map
            .get_ignore_case("enabled")
            .is_some_and(|entry| entry.value.kind == ValueKind::Bool(false));
    Ok(!disabled)
}

/// The error for a security setting rnats cannot honour yet.
pub(super) fn unsupported_security(field: &Field<'_>) -> Problem {
    field.error(format!(
        "\"{}\" is not supported by rnats yet: refusing to run without the security it asks for",
        field.key()
    ))
}
