//! The pages that are not JSON documents of server state: the index at the base path,
//! `/stacksz` (what runs in the process) and `/debug/vars` (the command line and memory).

use std::fmt::Write as _;

use hyper::StatusCode;
use serde::Serialize;

use super::query::{BadRequest, Query};
use super::reply::Reply;
use super::router::paths;
use super::{Monitor, process};

/// The endpoints the index links to, with a label each.
const INDEX_LINKS: [(&str, &str); 14] = [
    ("General", paths::VARZ),
    ("JetStream", paths::JSZ),
    ("Connections", paths::CONNZ),
    ("Accounts", paths::ACCOUNTZ),
    ("Account Stats", paths::ACCSTATZ),
    ("Subscriptions", paths::SUBSZ),
    ("Routes", paths::ROUTEZ),
    ("LeafNodes", paths::LEAFZ),
    ("Gateways", paths::GATEWAYZ),
    ("Raft Groups", paths::RAFTZ),
    ("Health Probe", paths::HEALTHZ),
    ("Internal Queues", paths::IPQUEUESZ),
    ("Prometheus Metrics", paths::METRICS),
    ("Variables", paths::EXPVARZ),
];

/// `GET /` (the base path itself): an HTML page linking every endpoint.
pub(crate) fn index(monitor: &Monitor, _query: &Query) -> Result<Reply, BadRequest> {
    monitor.count(paths::ROOT);
    Ok(Reply::html(index_page(monitor.base_path())))
}

/// The index page; links are relative to the base path.
fn index_page(base_path: &str) -> String {
    let prefix = base_path.trim_end_matches('/');
    let mut page = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">\
         <title>rnats monitoring</title></head>\n<body>\n",
    );
    let _ = writeln!(
        page,
        "<h1>rnats {} <small>(nats-server {} compatible)</small></h1>\n<ul>",
        env!("CARGO_PKG_VERSION"),
        crate::server::COMPATIBLE_VERSION
    );
    for (label, path) in INDEX_LINKS {
        let _ = writeln!(
            page,
            "<li><a href=\"{prefix}{path}\">{label}</a> <code>{path}</code></li>"
        );
    }
    page.push_str("</ul>\n</body>\n</html>\n");
    page
}

/// `GET /stacksz`: the process's threads, as text. The reference dumps its goroutines'
/// stacks here, with the same JSON headers as its other endpoints; a Rust process cannot walk
/// other threads' stacks, so this lists each thread with its name and scheduler state.
pub(crate) fn stacksz(_monitor: &Monitor, _query: &Query) -> Result<Reply, BadRequest> {
    Ok(Reply::with_cors(
        StatusCode::OK,
        "application/json",
        process::thread_dump(),
    ))
}

/// `/debug/vars`: the reference publishes its runtime's variables there.
#[derive(Debug, Serialize)]
struct Vars {
    cmdline: Vec<String>,
    memstats: MemStats,
}

/// What rnats knows of its memory: the resident set, under the name the reference's runtime
/// uses for memory obtained from the system.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct MemStats {
    sys: u64,
}

/// `GET /debug/vars`: the command line and memory use.
pub(crate) fn expvarz(_monitor: &Monitor, _query: &Query) -> Result<Reply, BadRequest> {
    let vars = Vars {
        cmdline: std::env::args_os()
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect(),
        memstats: MemStats {
            sys: process::resident_memory(),
        },
    };
    let body = serde_json::to_vec(&vars).unwrap_or_default();
    Ok(Reply::without_cors(
        StatusCode::OK,
        "application/json; charset=utf-8",
        body,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_links_sit_under_the_base_path() {
        let root = index_page("/");
        assert!(root.contains("href=\"/varz\""));
        let nested = index_page("/nats");
        assert!(nested.contains("href=\"/nats/connz\""));
        assert!(nested.contains("href=\"/nats/metrics\""));
    }
}
