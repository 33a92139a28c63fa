//! Endpoints of features rnats does not have yet: routes, gateways, leafnodes, JetStream and
//! Raft. Each decodes its parameters like the reference (so bad ones get the same 400) and
//! answers what the reference answers when the feature is not configured.

use std::collections::BTreeMap;
use std::time::SystemTime;

use hyper::StatusCode;
use serde::Serialize;

use super::json;
use super::query::{BadRequest, Query};
use super::reply::Reply;
use super::router::paths;
use super::varz::Empty;
use super::{Monitor, format};

/// `/routez` without a cluster.
#[derive(Debug, Serialize)]
struct Routez {
    server_id: String,
    server_name: String,
    now: String,
    num_routes: u32,
    routes: [Empty; 0],
}

/// `GET /routez`: counted after its parameters decode.
pub(crate) fn routez(monitor: &Monitor, query: &Query) -> Result<Reply, BadRequest> {
    query.subs()?;
    monitor.count(paths::ROUTEZ);
    Ok(Reply::json(&Routez {
        server_id: monitor.server.server_id.clone(),
        server_name: monitor.server.server_name.clone(),
        now: now(),
        num_routes: 0,
        routes: [],
    }))
}

/// `/gatewayz` without gateways.
#[derive(Debug, Serialize)]
struct Gatewayz {
    server_id: String,
    now: String,
    outbound_gateways: BTreeMap<String, Empty>,
    inbound_gateways: BTreeMap<String, Empty>,
}

/// `GET /gatewayz`.
pub(crate) fn gatewayz(monitor: &Monitor, query: &Query) -> Result<Reply, BadRequest> {
    monitor.count(paths::GATEWAYZ);
    query.subs()?;
    query.bool("accs")?;
    Ok(Reply::json(&Gatewayz {
        server_id: monitor.server.server_id.clone(),
        now: now(),
        outbound_gateways: BTreeMap::new(),
        inbound_gateways: BTreeMap::new(),
    }))
}

/// `/leafz` without leafnodes.
#[derive(Debug, Serialize)]
struct Leafz {
    server_id: String,
    now: String,
    leafnodes: u32,
    leafs: [Empty; 0],
}

/// `GET /leafz`.
pub(crate) fn leafz(monitor: &Monitor, query: &Query) -> Result<Reply, BadRequest> {
    monitor.count(paths::LEAFZ);
    query.bool("subs")?;
    Ok(Reply::json(&Leafz {
        server_id: monitor.server.server_id.clone(),
        now: now(),
        leafnodes: 0,
        leafs: [],
    }))
}

/// `/jsz` with JetStream disabled: the usage figures the reference embeds, all zero.
#[derive(Debug, Serialize)]
struct Jsz {
    memory: u64,
    storage: u64,
    reserved_memory: u64,
    reserved_storage: u64,
    accounts: u64,
    ha_assets: u64,
    api: JsApiStats,
    server_id: String,
    now: String,
    disabled: bool,
    config: JsConfig,
    streams: u64,
    consumers: u64,
    messages: u64,
    bytes: u64,
    total: u64,
}

#[derive(Debug, Serialize)]
struct JsApiStats {
    level: u32,
    total: u64,
    errors: u64,
}

#[derive(Debug, Serialize)]
struct JsConfig {
    max_memory: i64,
    max_storage: i64,
}

/// `GET /jsz`.
pub(crate) fn jsz(monitor: &Monitor, query: &Query) -> Result<Reply, BadRequest> {
    monitor.count(paths::JSZ);
    for flag in [
        "accounts",
        "streams",
        "consumers",
        "direct-consumers",
        "config",
    ] {
        query.bool(flag)?;
    }
    query.int("offset")?;
    query.int("limit")?;
    let leader_only = query.bool("leader-only")?;
    query.bool("raft")?;
    query.bool("stream-leader-only")?;
    if leader_only {
        // Without JetStream this server leads nothing.
        return Err(BadRequest("filtered response: not leader".into()));
    }
    Ok(Reply::json(&Jsz {
        memory: 0,
        storage: 0,
        reserved_memory: 0,
        reserved_storage: 0,
        accounts: 0,
        ha_assets: 0,
        api: JsApiStats {
            level: 0,
            total: 0,
            errors: 0,
        },
        server_id: monitor.server.server_id.clone(),
        now: now(),
        disabled: true,
        config: JsConfig {
            max_memory: 0,
            max_storage: 0,
        },
        streams: 0,
        consumers: 0,
        messages: 0,
        bytes: 0,
        total: 0,
    }))
}

/// `GET /raftz`: no Raft groups exist.
pub(crate) fn raftz(_monitor: &Monitor, _query: &Query) -> Result<Reply, BadRequest> {
    Ok(Reply::text(
        StatusCode::NOT_FOUND,
        "No Raft nodes registered",
    ))
}

/// `GET /ipqueuesz`: the reference's internal queues; rnats has none to report. Written with
/// the three-space indent the reference uses here.
pub(crate) fn ipqueuesz(_monitor: &Monitor, query: &Query) -> Result<Reply, BadRequest> {
    query.bool("all")?;
    let queues: BTreeMap<String, Empty> = BTreeMap::new();
    Ok(Reply::json_bytes(
        StatusCode::OK,
        json::to_vec(&queues, Some("   ")),
    ))
}

fn now() -> String {
    format::rfc3339_nanos(SystemTime::now())
}
