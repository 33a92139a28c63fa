//! The monitoring HTTP server: nats-server's endpoints (`/varz`, `/connz`, `/subsz`, ...) with
//! the same JSON, plus a Prometheus `/metrics` of rnats' own.
//!
//! It runs on the server's runtime as one accept task plus one task per HTTP connection, all
//! on the server's task tracker, and stops when the server shuts down (not in lame duck mode:
//! the reference keeps monitoring up while it drains clients). Every answer is built from
//! snapshots taken at request time; nothing is sampled in the background.

mod account_shares;
mod accounts;
mod cluster;
mod conn_info;
mod connz;
mod debug;
pub(crate) mod format;
mod health;
pub(crate) mod json;
mod metrics;
pub(crate) mod process;
pub(crate) mod query;
mod reply;
mod router;
mod subsz;
pub(crate) mod varz;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};

use crate::server::ServerState;

/// How long a client may take to send its request headers; the reference allows the same.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// The first pause after a failed accept; it doubles up to a second.
const ACCEPT_BACKOFF_MIN: Duration = Duration::from_millis(10);
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// Why monitoring could not start.
#[derive(Debug)]
pub(crate) struct BindError {
    /// The `host:port` it tried.
    pub(crate) addr: String,
    /// What the operating system said.
    pub(crate) source: io::Error,
}

/// Binds the monitoring listener (`http_host`, else `host`; port 0 picks a free one), logs
/// `Starting http monitor on HOST:PORT` and serves until the server shuts down.
pub(crate) async fn start(server: &Arc<ServerState>) -> Result<SocketAddr, BindError> {
    let options = server.options();
    let host = options.http_host.as_deref().unwrap_or(&options.host);
    let https = options.http_port.is_none() && options.https_port.is_some();
    let port = options.http_port.or(options.https_port).unwrap_or(0);
    let addr = join_host_port(host, port);
    let bind_error = |source| BindError {
        addr: addr.clone(),
        source,
    };
    let listener = TcpListener::bind(&addr).await.map_err(bind_error)?;
    let local = listener.local_addr().map_err(bind_error)?;
    tracing::info!(
        "Starting {} monitor on {}",
        if https { "https" } else { "http" },
        join_host_port(host, local.port())
    );
    let monitor = Arc::new(Monitor::new(server.clone()));
    server.tasks.spawn(accept_loop(monitor, listener, https));
    Ok(local)
}

/// What every request handler shares.
pub(crate) struct Monitor {
    pub(crate) server: Arc<ServerState>,
    /// `http_base_path` made absolute and clean, `/` when unset.
    base_path: String,
    /// Whether requests are counted in `http_req_stats`: those over HTTP are, the system
    /// account's are not.
    counts_requests: bool,
    pub(crate) cpu: process::CpuSampler,
    metrics: metrics::Metrics,
}

/// Answers a request for the endpoint at `path` (one of [`router::paths`]) as its HTTP
/// handler would, for the system account's requests.
pub(crate) fn answer(monitor: &Monitor, path: &str, query: &query::Query) -> reply::Reply {
    router::route_endpoint(monitor, path, query)
}

/// The `account_detail` of `/accountz?acc=<name>`, for the system account's `INFO` request.
pub(crate) fn account_detail(monitor: &Monitor, name: &str) -> Result<Vec<u8>, query::BadRequest> {
    accounts::account_detail(monitor, name)
}

impl Monitor {
    /// Handler state for `server`'s HTTP listener, which counts its requests.
    pub(crate) fn new(server: Arc<ServerState>) -> Self {
        Monitor {
            base_path: normalize_base_path(&server.options().http_base_path),
            counts_requests: true,
            cpu: process::CpuSampler::new(),
            metrics: metrics::Metrics::new(server.clone()),
            server,
        }
    }

    /// Handler state for the system account's requests, which are not counted.
    pub(crate) fn uncounted(server: Arc<ServerState>) -> Self {
        Monitor {
            counts_requests: false,
            ..Monitor::new(server)
        }
    }

    /// Counts a request to `path` (one of the paths in [`router::paths`]).
    pub(crate) fn count(&self, path: &'static str) {
        if self.counts_requests {
            *self.server.http_requests.lock().entry(path).or_insert(0) += 1;
        }
    }

    /// HTTP requests per endpoint so far.
    pub(crate) fn request_counts(&self) -> BTreeMap<&'static str, u64> {
        self.server.http_requests.lock().clone()
    }

    /// The normalized base path.
    pub(crate) fn base_path(&self) -> &str {
        &self.base_path
    }
}

async fn accept_loop(monitor: Arc<Monitor>, listener: TcpListener, https: bool) {
    let server = monitor.server.clone();
    let mut backoff = ACCEPT_BACKOFF_MIN;
    loop {
        let accepted = tokio::select! {
            () = server.shutdown.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, addr)) => {
                backoff = ACCEPT_BACKOFF_MIN;
                if https {
                    server
                        .tasks
                        .spawn(serve_https(monitor.clone(), stream, addr));
                } else {
                    server.tasks.spawn(serve(monitor.clone(), stream));
                }
            }
            Err(error) => {
                tracing::error!(
                    "monitoring: accept error ({error}), sleeping {}ms",
                    backoff.as_millis()
                );
                tokio::select! {
                    () = server.shutdown.cancelled() => return,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(ACCEPT_BACKOFF_MAX);
            }
        }
    }
}

/// Completes the TLS handshake of an HTTPS connection (with the certificate of the moment:
/// a reload's new one applies to new connections), then serves it.
async fn serve_https(monitor: Arc<Monitor>, stream: TcpStream, addr: SocketAddr) {
    let Some(tls) = monitor.server.tls() else {
        return;
    };
    let handshake = tokio::time::timeout(HEADER_READ_TIMEOUT, tls.https.accept(stream));
    let shutdown = monitor.server.shutdown.clone();
    let result = tokio::select! {
        result = handshake => result,
        () = shutdown.cancelled() => return,
    };
    match result {
        Ok(Ok(stream)) => serve(monitor, stream).await,
        Ok(Err(error)) => {
            tracing::error!("monitoring: TLS handshake error from {addr}: {error}");
        }
        Err(_) => tracing::error!("monitoring: TLS handshake error from {addr}: i/o timeout"),
    }
}

/// Serves one HTTP/1.1 connection; at shutdown it finishes the request in progress and closes.
async fn serve<S>(monitor: Arc<Monitor>, stream: S)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let shutdown = monitor.server.shutdown.clone();
    let handler = monitor.clone();
    let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
        let query = query::Query::parse(request.uri().query());
        let reply = router::route(&handler, request.uri().path(), &query);
        async move { Ok::<_, Infallible>(reply.into_response()) }
    });
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        // Go writes canonical header names; some hand-written scrapers compare them exactly.
        .title_case_headers(true)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(error) = result {
        tracing::debug!("monitoring: connection error: {error}");
    }
}

/// `host:port`, with brackets around an IPv6 host.
fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// The base path as the reference serves it: empty is `/`, a leading `/` is added, and the
/// path is cleaned (no trailing `/`, no `.`/`..`/empty segments).
fn normalize_base_path(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            segment => segments.push(segment),
        }
    }
    format!("/{}", segments.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_paths_normalize_like_the_reference() {
        assert_eq!(normalize_base_path(""), "/");
        assert_eq!(normalize_base_path("/"), "/");
        assert_eq!(normalize_base_path("nats"), "/nats");
        assert_eq!(normalize_base_path("/nats/"), "/nats");
        assert_eq!(normalize_base_path("//a/./b/../c"), "/a/c");
    }

    #[test]
    fn hosts_join_like_go() {
        assert_eq!(join_host_port("127.0.0.1", 8222), "127.0.0.1:8222");
        assert_eq!(join_host_port("::1", 8222), "[::1]:8222");
    }
}
