//! Differential protocol test: every scripted case runs against two servers, side A and side B,
//! and what each connection receives must be byte-identical after [`normalize`] (which only
//! removes run-dependent INFO fields), including whether the server closed it.
//!
//! Side A is the reference Go nats-server v2.15.0; side B is rnats, in process.
//!
//! Environment knobs: `RNATS_DIFF_FILTER=substring` runs only the cases whose name contains it;
//! `RNATS_DIFF_DUMP=1` prints side A's transcripts of every case that ran.

#[path = "differential/case.rs"]
mod case;
#[path = "differential/cases_connect.rs"]
mod cases_connect;
#[path = "differential/cases_protocol.rs"]
mod cases_protocol;
#[path = "differential/cases_pubsub.rs"]
mod cases_pubsub;

use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use case::{Case, Finish, Setup};
use rnats_testkit::{RawConn, ReferenceServer, Stop, escape, normalize, server_ops};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Which server implementation a side runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// The Go reference nats-server.
    Reference,
    /// rnats.
    Rnats,
}

const SIDE_A: Target = Target::Reference;
const SIDE_B: Target = Target::Rnats;

/// Cases run at the same time.
const PARALLEL_CASES: usize = 8;
/// Bound on any single wait for a reply that a correct server gives at once.
const REPLY_TIMEOUT: Duration = Duration::from_secs(3);

/// Starts a server of kind `kind` with the options in `setup`; returns its client address and a
/// guard that stops it when dropped.
async fn start_target(kind: Target, setup: &Setup) -> (SocketAddr, Box<dyn Any + Send>) {
    match kind {
        Target::Reference => start_reference(setup).await,
        Target::Rnats => start_rnats(setup).await,
    }
}

async fn start_rnats(setup: &Setup) -> (SocketAddr, Box<dyn Any + Send>) {
    let server = rnats_server::Server::start((setup.rnats)())
        .await
        .expect("rnats starts");
    (server.client_addr(), Box::new(ShutdownOnDrop(Some(server))))
}

/// Stops an in-process rnats when the case is done with it.
struct ShutdownOnDrop(Option<rnats_server::Server>);

impl Drop for ShutdownOnDrop {
    fn drop(&mut self) {
        if let Some(server) = self.0.take() {
            tokio::spawn(server.shutdown());
        }
    }
}

async fn start_reference(setup: &Setup) -> (SocketAddr, Box<dyn Any + Send>) {
    let mut builder = ReferenceServer::builder().args(setup.args);
    if let Some(config) = setup.config {
        builder = builder.config(config);
    }
    let server = builder.start_async().await;
    (server.addr(), Box::new(server))
}

/// What one connection saw during a case.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ConnOutcome {
    /// Everything received, INFO first, normalised.
    bytes: Vec<u8>,
    /// Whether the server had closed the connection by the end of the steps.
    closed: bool,
    /// Anything unexpected (timeouts, failed writes), with the step number.
    notes: Vec<String>,
}

/// Runs `case` against the server at `addr`.
async fn run_case(case: &Case, addr: SocketAddr) -> Vec<ConnOutcome> {
    let mut conns = Vec::new();
    let mut out = Vec::new();
    for _ in 0..case.conns() {
        let mut conn = RawConn::connect(addr).await;
        let info = conn.read_line_within(REPLY_TIMEOUT).await;
        let mut notes = Vec::new();
        if info.stop != Stop::Matched {
            notes.push(format!("no INFO line ({:?})", info.stop));
        }
        conns.push(conn);
        out.push((info.bytes, notes));
    }
    for (n, step) in case.steps.iter().enumerate() {
        let conn = &mut conns[step.conn];
        let (bytes, notes) = &mut out[step.conn];
        if conn.is_closed() {
            notes.push(format!("step {n}: skipped, connection already closed"));
            continue;
        }
        if !step.send.is_empty() && conn.try_send(&step.send).await.is_err() {
            notes.push(format!("step {n}: write failed"));
        }
        match step.finish {
            Finish::Sync => {
                let got = conn.sync_within(REPLY_TIMEOUT).await;
                bytes.extend_from_slice(&got.bytes);
                match got.stop {
                    Stop::Matched => bytes.extend_from_slice(b"PONG\r\n"),
                    Stop::Closed => {}
                    Stop::TimedOut => notes.push(format!("step {n}: no PONG")),
                }
            }
            Finish::ExpectClose => {
                let (got, closed) = conn.read_until_closed(REPLY_TIMEOUT).await;
                bytes.extend_from_slice(&got);
                if !closed {
                    notes.push(format!("step {n}: still open"));
                }
            }
            Finish::Quiet(ms) => {
                let got = conn.read_for(Duration::from_millis(ms)).await;
                bytes.extend_from_slice(&got);
            }
        }
    }
    let mut outcomes = Vec::new();
    for (conn, (mut bytes, mut notes)) in conns.iter_mut().zip(out) {
        let closed = conn.is_closed();
        // Collect whatever is still queued: the server answers a last PING and closes when it
        // reads our EOF.
        let (rest, seen) = conn.finish(REPLY_TIMEOUT).await;
        bytes.extend_from_slice(&rest);
        if !seen {
            notes.push("did not close after the client's EOF".to_owned());
        }
        outcomes.push(ConnOutcome {
            bytes: normalize(&bytes),
            closed,
            notes,
        });
    }
    outcomes
}

/// Compares two runs of `case`; returns a report of the differences, if any.
fn compare(case: &Case, a: &[ConnOutcome], b: &[ConnOutcome]) -> Option<String> {
    let mut diffs = Vec::new();
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        let bytes_differ = !case.pool.contains(&i) && x.bytes != y.bytes;
        if bytes_differ || x.closed != y.closed || x.notes != y.notes {
            diffs.push(format!(
                "  conn {i}:\n    A ({:?}, closed: {}, notes: {:?}): {}\n    B ({:?}, closed: {}, notes: {:?}): {}",
                SIDE_A,
                x.closed,
                x.notes,
                escape(&x.bytes),
                SIDE_B,
                y.closed,
                y.notes,
                escape(&y.bytes)
            ));
        }
    }
    if !case.pool.is_empty() {
        let pooled = |side: &[ConnOutcome]| {
            let mut ops: Vec<Vec<u8>> = Vec::new();
            for &i in &case.pool {
                let (complete, rest) = server_ops(&side[i].bytes);
                ops.extend(complete.into_iter().map(<[u8]>::to_vec));
                if !rest.is_empty() {
                    ops.push(rest.to_vec());
                }
            }
            ops.sort();
            ops
        };
        let (x, y) = (pooled(a), pooled(b));
        if x != y {
            let show =
                |ops: &[Vec<u8>]| ops.iter().map(|o| escape(o)).collect::<Vec<_>>().join(", ");
            diffs.push(format!(
                "  queue pool {:?} (all ops received, sorted):\n    A: {}\n    B: {}",
                case.pool,
                show(&x),
                show(&y)
            ));
        }
    }
    (!diffs.is_empty()).then(|| {
        format!(
            "case `{}` (server: {}):\n{}",
            case.name,
            case.setup.describe(),
            diffs.join("\n")
        )
    })
}

fn all_cases() -> Vec<Case> {
    let mut cases = cases_protocol::cases();
    cases.extend(cases_connect::cases());
    cases.extend(cases_pubsub::cases());
    cases
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reference_and_target_agree() {
    let started = Instant::now();
    let cases = all_cases();
    let mut names = HashSet::new();
    for case in &cases {
        assert!(names.insert(case.name), "duplicate case name {}", case.name);
        assert!(!case.steps.is_empty(), "case {} has no steps", case.name);
    }
    assert!(cases.len() >= 60, "only {} cases", cases.len());
    let filter = std::env::var("RNATS_DIFF_FILTER").unwrap_or_default();
    let dump = std::env::var_os("RNATS_DIFF_DUMP").is_some();
    let cases: Vec<Arc<Case>> = cases
        .into_iter()
        .filter(|c| c.name.contains(&filter))
        .map(Arc::new)
        .collect();

    // One long-lived pair for the cases that need no options and cannot see each other.
    let ((shared_a, _guard_a), (shared_b, _guard_b)) = tokio::join!(
        start_target(SIDE_A, &Setup::DEFAULT),
        start_target(SIDE_B, &Setup::DEFAULT)
    );
    let permits = Arc::new(Semaphore::new(PARALLEL_CASES));
    let mut tasks = JoinSet::new();
    let mut task_names = HashMap::new();
    for (index, case) in cases.iter().enumerate() {
        let name = case.name;
        let case = Arc::clone(case);
        let permits = Arc::clone(&permits);
        let task = tasks.spawn(async move {
            let _permit = permits
                .acquire_owned()
                .await
                .expect("semaphore is never closed");
            let (a, b) = if case.shareable() {
                tokio::join!(run_case(&case, shared_a), run_case(&case, shared_b))
            } else {
                let ((addr_a, _a), (addr_b, _b)) = tokio::join!(
                    start_target(SIDE_A, &case.setup),
                    start_target(SIDE_B, &case.setup)
                );
                tokio::join!(run_case(&case, addr_a), run_case(&case, addr_b))
            };
            (index, a, b)
        });
        task_names.insert(task.id(), name);
    }
    let mut results = vec![None; cases.len()];
    let mut failures = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((index, a, b)) => results[index] = Some((a, b)),
            Err(e) => failures.push(format!("case `{}` failed: {e}", task_names[&e.id()])),
        }
    }
    for (case, result) in cases.iter().zip(results) {
        let Some((a, b)) = result else { continue };
        if dump {
            println!("== {} ({})", case.name, case.setup.describe());
            for (i, conn) in a.iter().enumerate() {
                let state = if conn.closed { "closed" } else { "open" };
                println!(
                    "  conn {i} [{state}] {:?}: {}",
                    conn.notes,
                    escape(&conn.bytes)
                );
            }
        }
        if let Some(report) = compare(case, &a, &b) {
            failures.push(report);
        }
    }
    println!(
        "differential: {} cases, {} failures, {:?}",
        cases.len(),
        failures.len(),
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
