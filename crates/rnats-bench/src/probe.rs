//! `probe`: memory and start-up measurements, each on a fresh server of each side.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::bail;
use crate::error::{BenchError, Context, Result};
use crate::proc_stats;
use crate::protocol::{CONNECT, Conn, is_timeout, push_decimal};
use crate::server_process::{self, ServerProcess, stop_child};
use crate::stats::{median, min_max, ratio};

/// Connection counts probed.
const CONNECTION_COUNTS: [usize; 2] = [1_000, 10_000];
/// Subscriptions on one connection.
const SUBSCRIPTIONS: usize = 100_000;
/// Server starts timed per side.
const STARTS: usize = 10;
/// Connections opened before their PONGs are collected: bounded so the listen backlog never
/// overflows (an overflow costs a 1 s SYN retry, not an error, but slows the probe down).
const BATCH: usize = 500;
/// Time for the server to settle (free temporary buffers) before RSS is read.
const SETTLE: Duration = Duration::from_millis(200);
const TIMEOUT: Duration = Duration::from_secs(60);

/// The two binaries.
#[derive(Debug, Clone)]
pub struct Options {
    /// The rnats binary.
    pub rnats: PathBuf,
    /// The reference nats-server binary.
    pub reference: PathBuf,
}

/// One probe's figure for each side (KiB, bytes or milliseconds), or the error that stopped it.
struct Row {
    label: String,
    values: [Result<f64>; 2],
    /// Printed after the values, such as a min-max spread.
    note: [String; 2],
    /// Decimals shown.
    decimals: usize,
}

/// Runs every probe on both sides and prints the table. Returns the number of failed probes.
pub fn run(opts: &Options) -> Result<usize> {
    let paths = [opts.rnats.as_path(), opts.reference.as_path()];
    println!(
        "\nrnats-bench probe: resources, a fresh server per probe\n  rnats:     {} ({})\n  \
         reference: {} ({})",
        server_process::version(paths[0])?,
        paths[0].display(),
        server_process::version(paths[1])?,
        paths[1].display()
    );
    let mut rows = Vec::new();

    let idle = paths.map(|p| on_fresh_server(p, |_, idle| Ok(idle)));
    rows.push(row("idle RSS KiB", 0, idle.map(|r| r.map(|k| k as f64))));

    for n in CONNECTION_COUNTS {
        let probes = paths.map(|p| {
            on_fresh_server(p, |server, idle| {
                let conns = open_idle_connections(server.addr, n)?;
                thread::sleep(SETTLE);
                let rss = rss_kib(server)?;
                drop(conns);
                Ok((rss, idle))
            })
        });
        let (totals, per_conn) = split_per_item(probes, n, 1.0);
        rows.push(row(&format!("RSS with {n} connections KiB"), 0, totals));
        rows.push(row("  per connection KiB", 2, per_conn));
    }

    let probes = paths.map(|p| {
        on_fresh_server(p, |server, idle| {
            let _conn = subscribe_many(server.addr, SUBSCRIPTIONS)?;
            thread::sleep(SETTLE);
            Ok((rss_kib(server)?, idle))
        })
    });
    let (totals, per_sub) = split_per_item(probes, SUBSCRIPTIONS, 1024.0);
    rows.push(row(
        &format!("RSS with {SUBSCRIPTIONS} subscriptions KiB"),
        0,
        totals,
    ));
    rows.push(row("  per subscription bytes", 0, per_sub));

    let starts = start_times(paths);
    let mut start_row = row(
        &format!("exec to accepting ms (median of {STARTS})"),
        2,
        [Err(BenchError::msg("")), Err(BenchError::msg(""))],
    );
    for (side, times) in starts.into_iter().enumerate() {
        match times {
            Ok(t) => {
                if let (Some(m), Some((lo, hi))) = (median(&t), min_max(&t)) {
                    start_row.values[side] = Ok(m);
                    start_row.note[side] = format!("[{lo:.2}-{hi:.2}]");
                }
            }
            Err(e) => start_row.values[side] = Err(e),
        }
    }
    rows.push(start_row);

    Ok(print_rows(&rows))
}

fn row(label: &str, decimals: usize, values: [Result<f64>; 2]) -> Row {
    Row {
        label: label.to_string(),
        values,
        note: [String::new(), String::new()],
        decimals,
    }
}

/// Turns (total KiB, idle KiB) per side into total rows and per-item rows
/// ((total - idle) / items, times `scale`: 1 for KiB, 1024 for bytes).
fn split_per_item(
    probes: [Result<(u64, u64)>; 2],
    items: usize,
    scale: f64,
) -> ([Result<f64>; 2], [Result<f64>; 2]) {
    let totals = probes
        .each_ref()
        .map(|p| p.as_ref().map(|(t, _)| *t as f64).map_err(copy_err));
    let per_item = probes.map(|p| p.map(|(t, idle)| per_item(t, idle, items) * scale));
    (totals, per_item)
}

/// KiB per item above the idle baseline.
pub fn per_item(total_kib: u64, idle_kib: u64, items: usize) -> f64 {
    (total_kib as f64 - idle_kib as f64) / items as f64
}

fn copy_err(e: &BenchError) -> BenchError {
    BenchError::msg(e.to_string())
}

/// Prints the table; returns the number of failed cells.
fn print_rows(rows: &[Row]) -> usize {
    println!(
        "  {:<38} {:>12} {:<16} {:>12} {:<16} {:>9}",
        "probe", "rnats", "", "reference", "", "rnats/ref"
    );
    let mut failures = 0;
    let mut errors = Vec::new();
    for r in rows {
        let cells = r.values.each_ref().map(|v| match v {
            Ok(v) => format!("{v:.*}", r.decimals),
            Err(_) => "error".to_string(),
        });
        let rel = match (&r.values[0], &r.values[1]) {
            (Ok(a), Ok(b)) => ratio(*a, *b).map_or("-".to_string(), |x| format!("{x:.2}x")),
            _ => "-".to_string(),
        };
        println!(
            "  {:<38} {:>12} {:<16} {:>12} {:<16} {:>9}",
            r.label, cells[0], r.note[0], cells[1], r.note[1], rel
        );
        for (side, v) in r.values.iter().enumerate() {
            if let Err(e) = v {
                failures += 1;
                errors.push(format!(
                    "ERROR {} ({}): {e}",
                    r.label.trim(),
                    ["rnats", "reference"][side]
                ));
            }
        }
    }
    println!(
        "  (all lower is better; per-item figures are (RSS - idle RSS of the same process) / items)"
    );
    for e in errors {
        println!("{e}");
    }
    failures
}

/// Starts a server, takes its idle RSS after one client round trip, runs `probe` with the
/// server and that idle RSS, and stops the server.
fn on_fresh_server<T>(
    path: &Path,
    probe: impl FnOnce(&ServerProcess, u64) -> Result<T>,
) -> Result<T> {
    let server = ServerProcess::start(path)?;
    let result = (|| -> Result<T> {
        drop(Conn::open(server.addr, b"", TIMEOUT)?);
        thread::sleep(SETTLE);
        let idle = rss_kib(&server)?;
        probe(&server, idle)
    })();
    let stopped = server.stop();
    let value = result?;
    stopped?;
    Ok(value)
}

fn rss_kib(server: &ServerProcess) -> Result<u64> {
    Ok(proc_stats::status_kib(&server.pid().to_string(), "VmRSS")?)
}

/// Opens `n` connections, each with one subscription on its own subject, and returns once the
/// server has answered a PING on every one of them.
fn open_idle_connections(addr: SocketAddr, n: usize) -> Result<Vec<TcpStream>> {
    let mut conns = Vec::with_capacity(n);
    let mut setup = Vec::with_capacity(CONNECT.len() + 64);
    for batch in (0..n).step_by(BATCH) {
        let end = (batch + BATCH).min(n);
        for i in batch..end {
            let mut s = TcpStream::connect_timeout(&addr, TIMEOUT)
                .context(format_args!("opening connection {i} of {n}"))?;
            setup.clear();
            setup.extend_from_slice(CONNECT);
            setup.extend_from_slice(b"SUB bench.idle.");
            push_decimal(&mut setup, i as u64);
            setup.extend_from_slice(b" 1\r\nPING\r\n");
            s.write_all(&setup)
                .context(format_args!("setting up connection {i}"))?;
            conns.push(s);
        }
        // Pipelined: the PONGs of the whole batch are collected after it is sent.
        for (i, s) in conns[batch..end].iter_mut().enumerate() {
            wait_for_pong(s).context(format_args!("connection {}", batch + i))?;
        }
    }
    Ok(conns)
}

/// Reads until `PONG` on a connection that receives nothing else but INFO lines.
fn wait_for_pong(s: &mut TcpStream) -> Result<()> {
    s.set_read_timeout(Some(TIMEOUT))?;
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(at) = find(&seen, b"-ERR") {
            let end = find(&seen[at..], b"\r\n").map_or(seen.len(), |e| at + e);
            bail!("server sent {}", String::from_utf8_lossy(&seen[at..end]));
        }
        if find(&seen, b"PONG\r\n").is_some() {
            return Ok(());
        }
        match s.read(&mut buf) {
            Ok(0) => bail!("server closed the connection"),
            Ok(n) => seen.extend_from_slice(&buf[..n]),
            Err(e) if is_timeout(&e) => bail!("no PONG within {TIMEOUT:?}"),
            Err(e) => return Err(e.into()),
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// One connection holding `n` subscriptions on distinct subjects.
fn subscribe_many(addr: SocketAddr, n: usize) -> Result<Conn> {
    let mut conn = Conn::open(addr, b"", TIMEOUT)?;
    let mut subs = Vec::with_capacity(n * 28);
    for i in 0..n as u64 {
        subs.extend_from_slice(b"SUB bench.sub.");
        push_decimal(&mut subs, i);
        subs.push(b' ');
        push_decimal(&mut subs, i + 1);
        subs.extend_from_slice(b"\r\n");
    }
    conn.stream
        .write_all(&subs)
        .context("sending subscriptions")?;
    conn.round_trip(TIMEOUT)
        .context("PING after subscriptions")?;
    Ok(conn)
}

/// Milliseconds from spawning each server to its first accepted connection, `STARTS` times per
/// side, sides alternating.
fn start_times(paths: [&Path; 2]) -> [Result<Vec<f64>>; 2] {
    let mut times = [Ok(Vec::new()), Ok(Vec::new())];
    for i in 0..STARTS {
        let order = if i % 2 == 0 { [0, 1] } else { [1, 0] };
        for side in order {
            if let Ok(list) = &mut times[side] {
                match start_time(paths[side]) {
                    Ok(t) => list.push(t.as_secs_f64() * 1000.0),
                    Err(e) => times[side] = Err(e),
                }
            }
        }
    }
    times
}

/// Spawns the server on a free port and polls with connects every 50 µs until one succeeds
/// (finer polling would mostly measure the polling itself).
fn start_time(path: &Path) -> Result<Duration> {
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .context("finding a free port")?
        .port();
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let started = Instant::now();
    let mut child = Command::new(path)
        .args(["-a", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context(format_args!("starting {}", path.display()))?;
    let outcome = loop {
        if TcpStream::connect(addr).is_ok() {
            break Ok(started.elapsed());
        }
        if started.elapsed() > TIMEOUT {
            break Err(BenchError::msg(format!(
                "{} accepted no connection within {TIMEOUT:?}",
                path.display()
            )));
        }
        if let Ok(Some(status)) = child.try_wait() {
            break Err(BenchError::msg(format!(
                "{} exited before accepting ({status})",
                path.display()
            )));
        }
        thread::sleep(Duration::from_micros(50));
    };
    let stopped = stop_child(&mut child, Duration::from_secs(5));
    let took = outcome?;
    stopped.context(format_args!("stopping {}", path.display()))?;
    Ok(took)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_item_math() {
        assert_eq!(per_item(20_480, 10_240, 1000), 10.24);
        // RSS can shrink below idle (pages returned); the figure goes negative, not wrapping.
        assert!(per_item(900, 1000, 100) < 0.0);
    }

    #[test]
    fn finds_needles() {
        assert_eq!(find(b"INFO {}\r\nPONG\r\n", b"PONG\r\n"), Some(9));
        assert_eq!(find(b"PON", b"PONG\r\n"), None);
    }
}
