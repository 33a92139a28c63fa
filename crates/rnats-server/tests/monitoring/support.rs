//! Test support for the monitoring tests: servers with monitoring on, a minimal HTTP/1.0
//! client over a raw socket, polling with a deadline, and JSON shapes.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rnats_server::{Options, Server};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Bound on any wait for something a correct server does at once.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// Options for a local server with monitoring on a free port, without a system account
/// (the reference these tests compare with runs with `no_sys_acc: true`).
pub fn monitored() -> Options {
    Options {
        http_port: Some(0),
        no_system_account: true,
        ..Options::local()
    }
}

/// Starts a local server with monitoring on a free port.
pub async fn start() -> (Server, SocketAddr) {
    start_with(monitored()).await
}

/// Starts a server with `options`, which must turn monitoring on.
pub async fn start_with(options: Options) -> (Server, SocketAddr) {
    let server = Server::start(options).await.expect("server starts");
    let http = server.monitoring_addr().expect("monitoring is on");
    (server, http)
}

/// One HTTP answer.
#[derive(Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// Header names in lower case, with their values.
    pub headers: BTreeMap<String, String>,
    /// The body.
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; panics with the body when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// A header's value, or `""`.
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }
}

/// `GET target` (path and query) with HTTP/1.0, so the server closes after answering.
pub async fn get(addr: SocketAddr, target: &str) -> Answer {
    get_raw(addr, target.as_bytes()).await
}

/// `GET` with a request target of arbitrary bytes.
pub async fn get_raw(addr: SocketAddr, target: &[u8]) -> Answer {
    let exchange = async {
        let mut stream = TcpStream::connect(addr)
            .await
            .expect("connect to monitoring");
        let mut request = b"GET ".to_vec();
        request.extend_from_slice(target);
        request.extend_from_slice(b" HTTP/1.0\r\nHost: localhost\r\n\r\n");
        stream.write_all(&request).await.expect("send request");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.expect("read answer");
        raw
    };
    let raw = tokio::time::timeout(DEADLINE, exchange)
        .await
        .expect("monitoring answers in time");
    parse_answer(&raw)
}

fn parse_answer(raw: &[u8]) -> Answer {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

/// Polls `probe` until it returns `Some`, for at most [`DEADLINE`].
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The shape of a JSON value: objects keep their keys, every leaf becomes its type name, and
/// the elements of an array become the set of their shapes.
pub fn shape(value: &Value) -> Value {
    match value {
        Value::Null => Value::from("null"),
        Value::Bool(_) => Value::from("bool"),
        Value::Number(_) => Value::from("number"),
        Value::String(_) => Value::from("string"),
        Value::Array(items) => {
            let mut shapes: Vec<Value> = items.iter().map(shape).collect();
            shapes.sort_by_key(Value::to_string);
            shapes.dedup();
            Value::Array(shapes)
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| (key.clone(), shape(value)))
                .collect(),
        ),
    }
}

/// The keys of the object that starts `text`, in the order they appear (serde_json's maps
/// here are sorted, so order is read from the text). Only top-level keys are returned.
pub fn keys_in_order(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '{' | '[' => depth += 1,
            '}' | ']' => depth = depth.saturating_sub(1),
            '"' => {
                let start = at + 1;
                let mut end = start;
                while let Some((i, c)) = chars.next() {
                    if c == '\\' {
                        chars.next();
                    } else if c == '"' {
                        end = i;
                        break;
                    }
                }
                let is_key = text[end + 1..].trim_start().starts_with(':');
                if depth == 1 && is_key {
                    out.push(text[start..end].to_owned());
                }
            }
            _ => {}
        }
    }
    out
}
