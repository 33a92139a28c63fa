//! Which handler answers which path, under `http_base_path`, as the reference answers them:
//! exact paths only (`/varz/` is not found), any method, and the index page only at the base
//! path itself.

use super::query::{BadRequest, Query};
use super::reply::Reply;
use super::{Monitor, accounts, cluster, connz, debug, health, metrics, subsz, varz};

/// The endpoint paths, also the keys of `/varz` `http_req_stats`.
pub(crate) mod paths {
    pub(crate) const ROOT: &str = "/";
    pub(crate) const VARZ: &str = "/varz";
    pub(crate) const CONNZ: &str = "/connz";
    pub(crate) const ROUTEZ: &str = "/routez";
    pub(crate) const GATEWAYZ: &str = "/gatewayz";
    pub(crate) const LEAFZ: &str = "/leafz";
    pub(crate) const SUBSZ: &str = "/subsz";
    pub(crate) const SUBSCRIPTIONSZ: &str = "/subscriptionsz";
    pub(crate) const STACKSZ: &str = "/stacksz";
    pub(crate) const ACCOUNTZ: &str = "/accountz";
    pub(crate) const ACCSTATZ: &str = "/accstatz";
    pub(crate) const JSZ: &str = "/jsz";
    pub(crate) const HEALTHZ: &str = "/healthz";
    pub(crate) const IPQUEUESZ: &str = "/ipqueuesz";
    pub(crate) const RAFTZ: &str = "/raftz";
    pub(crate) const EXPVARZ: &str = "/debug/vars";
    /// rnats' own Prometheus endpoint; the reference has none.
    pub(crate) const METRICS: &str = "/metrics";
}

/// A handler: its answer, or the text of a 400.
type Handler = fn(&Monitor, &Query) -> Result<Reply, BadRequest>;

/// Answers one request.
pub(crate) fn route(monitor: &Monitor, path: &str, query: &Query) -> Reply {
    let Some(endpoint) = endpoint(monitor.base_path(), path) else {
        return Reply::not_found();
    };
    let Some(handler) = handler(endpoint) else {
        return Reply::not_found();
    };
    handler(monitor, query).unwrap_or_else(Reply::bad_request)
}

/// Answers one request for `endpoint`, a path relative to the base path.
pub(crate) fn route_endpoint(monitor: &Monitor, endpoint: &str, query: &Query) -> Reply {
    match handler(endpoint) {
        Some(handler) => handler(monitor, query).unwrap_or_else(Reply::bad_request),
        None => Reply::not_found(),
    }
}

/// The endpoint `path` asks for, relative to the base path; `/` only for the base itself.
fn endpoint<'a>(base: &str, path: &'a str) -> Option<&'a str> {
    if path == base {
        return Some(paths::ROOT);
    }
    let rest = if base == "/" {
        path
    } else {
        path.strip_prefix(base)?
    };
    (rest.starts_with('/') && rest != paths::ROOT).then_some(rest)
}

fn handler(endpoint: &str) -> Option<Handler> {
    Some(match endpoint {
        paths::ROOT => debug::index,
        paths::VARZ => varz::handle,
        paths::CONNZ => connz::handle,
        paths::ROUTEZ => cluster::routez,
        paths::GATEWAYZ => cluster::gatewayz,
        paths::LEAFZ => cluster::leafz,
        paths::SUBSZ | paths::SUBSCRIPTIONSZ => subsz::handle,
        paths::STACKSZ => debug::stacksz,
        paths::ACCOUNTZ => accounts::accountz,
        paths::ACCSTATZ => accounts::accstatz,
        paths::JSZ => cluster::jsz,
        paths::HEALTHZ => health::handle,
        paths::IPQUEUESZ => cluster::ipqueuesz,
        paths::RAFTZ => cluster::raftz,
        paths::EXPVARZ => debug::expvarz,
        paths::METRICS => metrics::handle,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_under_the_base_path() {
        assert_eq!(endpoint("/", "/"), Some("/"));
        assert_eq!(endpoint("/", "/varz"), Some("/varz"));
        assert_eq!(endpoint("/nats", "/nats"), Some("/"));
        assert_eq!(endpoint("/nats", "/nats/varz"), Some("/varz"));
        assert_eq!(endpoint("/nats", "/nats/"), None);
        assert_eq!(endpoint("/nats", "/varz"), None);
        assert_eq!(endpoint("/nats", "/natsvarz"), None);
        assert!(handler("/varz/").is_none());
        assert!(handler("/subscriptionsz").is_some());
    }
}
