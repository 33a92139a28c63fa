//! Request-reply latency scenarios.
//!
//! A responder connection subscribes to the request subject and answers every request on its
//! reply subject with the request's payload. The requester's payload starts with the request's
//! sequence number (16 hex digits), so a reply says which request it answers without any table
//! of reply subjects: the requester uses one fixed reply subject.
//!
//! * Fixed rate (open loop): request `i` is *scheduled* at `start + i / rate` and sent then,
//!   whether or not earlier replies are back; latency runs from the scheduled time, so a server
//!   stall shows in the latency of every request that should have gone out during it (no
//!   coordinated omission).
//! * Max rate: a fixed number of requests in flight, a new one sent as each reply arrives;
//!   latency runs from the actual send.

use std::io::Write;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::bail;
use crate::error::{BenchError, Context, Result};
use crate::latency::{LatencySummary, Recorder};
use crate::msg_parser::{Event, MsgParser, printable};
use crate::protocol::{self, Conn, is_timeout, read_before};

const REQUEST_SUBJECT: &[u8] = b"bench.req";
const REPLY_SUBJECT: &[u8] = b"bench.reply";
/// Payload bytes per request and reply.
pub const PAYLOAD: usize = 128;
/// Hex digits of the sequence number at the start of each payload.
const SEQ_DIGITS: usize = 16;
/// How long to wait for a reply (or a setup step) before declaring it lost.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// How requests are paced.
#[derive(Debug, Clone, Copy)]
pub enum Pacing {
    /// Open loop at this many requests per second.
    Rate(u32),
    /// Closed loop with this many requests in flight.
    InFlight(usize),
}

/// Result of one request-reply run.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    /// Requests sent, all of which got exactly one reply.
    pub requests: u64,
    /// From start to the last reply.
    pub secs: f64,
    /// Latency percentiles.
    pub latency: LatencySummary,
}

/// Requester and responder connections, subscribed and ready.
pub struct Prepared {
    pacing: Pacing,
    requester: Conn,
    responder: Conn,
}

/// Opens the two connections; returns once both subscriptions are registered.
pub fn prepare(addr: SocketAddr, pacing: Pacing) -> Result<Prepared> {
    let responder =
        Conn::open(addr, b"SUB bench.req 1\r\n", STEP_TIMEOUT).context("responder connection")?;
    let requester =
        Conn::open(addr, b"SUB bench.reply 1\r\n", STEP_TIMEOUT).context("requester connection")?;
    Ok(Prepared {
        pacing,
        requester,
        responder,
    })
}

impl Prepared {
    /// Runs requests for `duration` and waits for every reply.
    pub fn run(self, duration: Duration) -> Result<Outcome> {
        let stop = AtomicBool::new(false);
        let Prepared {
            pacing,
            mut requester,
            responder,
        } = self;
        thread::scope(|s| {
            let answering = s.spawn(|| respond(responder, &stop));
            let outcome = match pacing {
                Pacing::Rate(rate) => open_loop(&mut requester, rate, duration),
                Pacing::InFlight(n) => closed_loop(&mut requester, n, duration),
            };
            stop.store(true, Ordering::Release);
            let answered = answering
                .join()
                .unwrap_or_else(|_| Err(BenchError::msg("responder thread panicked")))
                .context("responder")?;
            let outcome = outcome?;
            if answered != outcome.requests {
                bail!(
                    "responder answered {answered} requests, requester sent {}",
                    outcome.requests
                );
            }
            Ok(outcome)
        })
    }
}

/// Answers every request with its own payload until `stop`; returns the number answered.
fn respond(mut conn: Conn, stop: &AtomicBool) -> Result<u64> {
    // Short timeout: the loop must notice `stop` when no request comes.
    conn.stream
        .set_read_timeout(Some(Duration::from_millis(20)))?;
    let mut out = Vec::with_capacity(256 * 1024);
    let mut answered = 0u64;
    loop {
        let mut problem = None;
        conn.parser.parse(|ev| {
            match ev {
                Event::Msg(m) => match m.reply {
                    Some(reply) => {
                        protocol::push_pub(&mut out, reply, None, m.payload);
                        answered += 1;
                    }
                    None => problem = Some("a request without a reply subject".to_string()),
                },
                Event::Ping => out.extend_from_slice(b"PONG\r\n"),
                Event::Err(text) => problem = Some(format!("server sent -ERR {}", printable(text))),
                Event::Pong | Event::Info | Event::Ok => {}
            }
            problem.is_none()
        })?;
        if let Some(problem) = problem {
            bail!("{problem}");
        }
        // One write for every reply found in this read.
        if !out.is_empty() {
            conn.stream.write_all(&out).context("sending replies")?;
            out.clear();
        }
        match conn.parser.read_from(&mut conn.stream) {
            Ok(0) => bail!("server closed the connection"),
            Ok(_) => {}
            Err(e) if is_timeout(&e) => {
                if stop.load(Ordering::Acquire) {
                    return Ok(answered);
                }
            }
            Err(e) => return Err(BenchError::from(e)).context("reading requests"),
        }
    }
}

/// A request frame with room for the sequence number at `seq_at`.
struct RequestTemplate {
    frame: Vec<u8>,
    seq_at: usize,
}

impl RequestTemplate {
    fn new() -> Self {
        let mut frame = Vec::new();
        protocol::push_pub(
            &mut frame,
            REQUEST_SUBJECT,
            Some(REPLY_SUBJECT),
            &protocol::payload(PAYLOAD),
        );
        let seq_at = frame.len() - 2 - PAYLOAD;
        Self { frame, seq_at }
    }

    /// Appends request `seq` to `out`.
    fn push(&self, out: &mut Vec<u8>, seq: u64) {
        let at = out.len() + self.seq_at;
        out.extend_from_slice(&self.frame);
        write_hex(&mut out[at..at + SEQ_DIGITS], seq);
    }
}

/// Writes `n` as exactly `out.len()` lowercase hex digits.
fn write_hex(out: &mut [u8], mut n: u64) {
    for b in out.iter_mut().rev() {
        *b = b"0123456789abcdef"[(n & 15) as usize];
        n >>= 4;
    }
}

/// Reads the sequence number back from the start of a reply payload.
fn read_seq(payload: &[u8]) -> Option<u64> {
    let digits = payload.get(..SEQ_DIGITS)?;
    digits.iter().try_fold(0u64, |acc, &b| {
        let d = (b as char).to_digit(16)?;
        Some(acc << 4 | u64::from(d))
    })
}

/// Collects the replies in the parser, checking they come in order. Returns how many, and how
/// many server PINGs need a PONG.
fn take_replies(
    parser: &mut MsgParser,
    next_expected: &mut u64,
    mut on_reply: impl FnMut(u64),
) -> Result<(u64, u64)> {
    let mut problem = None;
    let mut count = 0;
    let mut pings = 0;
    parser.parse(|ev| {
        match ev {
            Event::Msg(m) => match read_seq(m.payload) {
                // One requester, one responder: the server keeps replies in request order.
                Some(seq) if seq == *next_expected => {
                    *next_expected += 1;
                    count += 1;
                    on_reply(seq);
                }
                Some(seq) => {
                    problem = Some(format!(
                        "reply to request {seq} arrived, expected {next_expected}"
                    ))
                }
                None => problem = Some("a reply without a sequence number".to_string()),
            },
            Event::Ping => pings += 1,
            Event::Err(text) => problem = Some(format!("server sent -ERR {}", printable(text))),
            Event::Pong | Event::Info | Event::Ok => {}
        }
        problem.is_none()
    })?;
    match problem {
        Some(problem) => bail!("{problem}"),
        None => Ok((count, pings)),
    }
}

/// Queues the PONGs owed for server PINGs (sent with the next write).
fn push_pongs(out: &mut Vec<u8>, pings: u64) {
    for _ in 0..pings {
        out.extend_from_slice(b"PONG\r\n");
    }
}

/// Closed loop: `in_flight` requests outstanding until `duration` is over, then drain.
fn closed_loop(conn: &mut Conn, in_flight: usize, duration: Duration) -> Result<Outcome> {
    let template = RequestTemplate::new();
    let mut recorder = Recorder::new()?;
    let window = in_flight.max(1);
    let mut sent_at = vec![Instant::now(); window];
    let mut out = Vec::with_capacity(window * template.frame.len());
    let start = Instant::now();
    let deadline = start + duration;

    for seq in 0..window as u64 {
        template.push(&mut out, seq);
    }
    let mut sent = window as u64;
    let now = Instant::now();
    sent_at.fill(now);
    conn.stream.write_all(&out).context("sending requests")?;
    out.clear();

    let mut received = 0u64;
    let mut last_reply = start;
    while received < sent {
        read_before(
            &mut conn.stream,
            &mut conn.parser,
            Instant::now() + STEP_TIMEOUT,
        )
        .context(format_args!("waiting for reply {received}"))?;
        let now = Instant::now();
        let first_new = sent;
        let (_, pings) = take_replies(&mut conn.parser, &mut received, |seq| {
            recorder.record(now - sent_at[seq as usize % window]);
            if now < deadline {
                template.push(&mut out, sent);
                sent += 1;
            }
        })?;
        push_pongs(&mut out, pings);
        last_reply = now;
        if !out.is_empty() {
            let send_time = Instant::now();
            for seq in first_new..sent {
                sent_at[seq as usize % window] = send_time;
            }
            conn.stream.write_all(&out).context("sending requests")?;
            out.clear();
        }
    }
    Ok(Outcome {
        requests: sent,
        secs: (last_reply - start).as_secs_f64(),
        latency: recorder.summary(),
    })
}

/// Open loop: request `i` scheduled at `start + i * period`; latency from the schedule.
fn open_loop(conn: &mut Conn, rate: u32, duration: Duration) -> Result<Outcome> {
    if rate == 0 {
        bail!("request rate must be above 0");
    }
    // The default 50 µs timer slack would add up to 50 µs of our own lateness to every sample
    // (latency counts from the scheduled time); ask for 1 µs. Failure only costs precision.
    // SAFETY: PR_SET_TIMERSLACK takes one integer argument and affects only this thread.
    unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1000 as libc::c_ulong) };
    let template = RequestTemplate::new();
    let mut recorder = Recorder::new()?;
    let period_ns = 1_000_000_000f64 / f64::from(rate);
    let total = (duration.as_secs_f64() * f64::from(rate)).floor() as u64;
    let mut out = Vec::with_capacity(64 * 1024);
    let start = Instant::now();
    let scheduled = |seq: u64| start + Duration::from_nanos((seq as f64 * period_ns) as u64);

    let mut sent = 0u64;
    let mut received = 0u64;
    let mut last_progress = start;
    let mut last_reply = start;
    while received < total {
        let now = Instant::now();
        // Send everything due; when behind schedule that is several requests in one write.
        while sent < total && scheduled(sent) <= now {
            template.push(&mut out, sent);
            sent += 1;
        }
        if !out.is_empty() {
            conn.stream.write_all(&out).context("sending requests")?;
            out.clear();
        }
        let wake_at = if sent < total {
            scheduled(sent)
        } else {
            last_progress + STEP_TIMEOUT
        };
        if sent == total && now >= wake_at {
            bail!("timed out waiting for reply {received} of {total}");
        }
        if wait_readable(
            conn.stream.as_raw_fd(),
            wake_at.saturating_duration_since(now),
        )? {
            match conn.parser.read_from(&mut conn.stream) {
                Ok(0) => bail!("server closed the connection"),
                Ok(_) => {}
                Err(e) if is_timeout(&e) || e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(BenchError::from(e)).context("reading replies"),
            }
            let now = Instant::now();
            let (got, pings) = take_replies(&mut conn.parser, &mut received, |seq| {
                recorder.record(now.saturating_duration_since(scheduled(seq)));
            })?;
            push_pongs(&mut out, pings);
            if got > 0 {
                last_progress = now;
                last_reply = now;
            }
        }
    }
    Ok(Outcome {
        requests: total,
        secs: (last_reply - start).as_secs_f64(),
        latency: recorder.summary(),
    })
}

/// Waits up to `timeout` (nanosecond resolution, unlike `poll`) for `fd` to be readable.
fn wait_readable(fd: i32, timeout: Duration) -> Result<bool> {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let ts = libc::timespec {
        tv_sec: timeout.as_secs() as libc::time_t,
        tv_nsec: libc::c_long::from(timeout.subsec_nanos() as i32),
    };
    // SAFETY: one valid pollfd, a valid timespec, and no signal mask change (null).
    let n = unsafe { libc::ppoll(&mut pfd, 1, &ts, std::ptr::null()) };
    if n < 0 {
        let e = std::io::Error::last_os_error();
        if e.kind() == std::io::ErrorKind::Interrupted {
            return Ok(false);
        }
        return Err(BenchError::from(e)).context("ppoll");
    }
    Ok(n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_round_trip_through_payload() {
        let t = RequestTemplate::new();
        let mut out = b"junk".to_vec();
        t.push(&mut out, 0xdead_beef_0042);
        let mut parser = MsgParser::new();
        // What the server would deliver: a PUB line becomes a MSG line with the same payload.
        let frame = &out[4..];
        let payload_start = frame.iter().position(|&b| b == b'\n').expect("line") + 1;
        let payload = &frame[payload_start..frame.len() - 2];
        assert_eq!(payload.len(), PAYLOAD);
        assert_eq!(read_seq(payload), Some(0xdead_beef_0042));
        let mut msg = format!("MSG bench.reply 1 {PAYLOAD}\r\n").into_bytes();
        msg.extend_from_slice(payload);
        msg.extend_from_slice(b"\r\nPING\r\n");
        parser.push(&msg);
        let mut next = 0xdead_beef_0042;
        let mut seen = Vec::new();
        let counts = take_replies(&mut parser, &mut next, |s| seen.push(s)).expect("ok");
        assert_eq!((counts, seen), ((1, 1), vec![0xdead_beef_0042]));
    }

    #[test]
    fn out_of_order_reply_is_an_error() {
        let mut parser = MsgParser::new();
        let mut payload = [b'0'; PAYLOAD];
        write_hex(&mut payload[..SEQ_DIGITS], 5);
        let mut msg = format!("MSG bench.reply 1 {PAYLOAD}\r\n").into_bytes();
        msg.extend_from_slice(&payload);
        msg.extend_from_slice(b"\r\n");
        parser.push(&msg);
        let mut next = 4;
        assert!(take_replies(&mut parser, &mut next, |_| {}).is_err());
    }

    #[test]
    fn short_payload_has_no_sequence() {
        assert_eq!(read_seq(b"12"), None);
        assert_eq!(read_seq(b"000000000000000g"), None);
        assert_eq!(read_seq(b"00000000000000ff rest"), Some(255));
    }
}
