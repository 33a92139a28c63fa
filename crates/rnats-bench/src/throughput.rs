//! Throughput scenarios: publishers blasting pre-built blocks, subscribers counting bytes.
//!
//! Each publisher and subscriber has its own thread and blocking socket. A publisher writes the
//! same block of `PUB` frames until the deadline (one `write` per 64 KiB or more, no formatting),
//! then makes a PING/PONG round trip: once the `PONG` is back the server has routed all it sent.
//! Then each subscriber sends its own `PING`; its `PONG` comes after every message the server had
//! queued for it, so the count at that point must be exact: nothing lost, nothing extra.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::bail;
use crate::error::{BenchError, Context, Result};
use crate::frame_counter::FrameCounter;
use crate::protocol::{self, Conn, is_timeout};

/// The subject every throughput scenario publishes on.
const SUBJECT: &[u8] = b"bench.msgs";
/// Smallest write a publisher makes.
const MIN_WRITE: usize = 64 * 1024;
/// Size of each subscriber read.
const READ_SIZE: usize = 1 << 20;
/// How long setup steps and PING round trips may take on a loaded machine.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);
/// After its `PONG`, how long a subscriber waits for a shortfall to arrive anyway (a server may
/// legitimately let a `PONG` overtake messages still being routed from another connection).
const GRACE: Duration = Duration::from_secs(2);

/// How many publishers and subscribers, and the payload size.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Payload bytes per message.
    pub payload: usize,
    /// Publisher connections.
    pub publishers: usize,
    /// Subscriber connections.
    pub subscribers: usize,
    /// Whether the subscribers form one queue group (each message goes to one of them).
    pub queue: bool,
}

/// Message counts and times of one run.
#[derive(Debug, Clone, Copy)]
pub struct Traffic {
    /// Messages the publishers sent.
    pub published: u64,
    /// Messages the subscribers received, all together.
    pub delivered: u64,
    /// From start to the last publisher's last write.
    pub publish_secs: f64,
    /// From start to the last message received (0 when there are no subscribers).
    pub deliver_secs: f64,
}

/// Connections set up and ready to go, so that setup is not part of the measurement.
pub struct Prepared {
    shape: Shape,
    publishers: Vec<Conn>,
    subscribers: Vec<Conn>,
}

/// Opens all connections; returns once every subscription is registered on the server.
pub fn prepare(addr: SocketAddr, shape: Shape) -> Result<Prepared> {
    let sub_line: &[u8] = if shape.queue {
        b"SUB bench.msgs q 1\r\n"
    } else {
        b"SUB bench.msgs 1\r\n"
    };
    let subscribers = (0..shape.subscribers)
        .map(|i| Conn::open(addr, sub_line, STEP_TIMEOUT).context(format_args!("subscriber {i}")))
        .collect::<Result<Vec<_>>>()?;
    let publishers = (0..shape.publishers)
        .map(|i| Conn::open(addr, b"", STEP_TIMEOUT).context(format_args!("publisher {i}")))
        .collect::<Result<Vec<_>>>()?;
    Ok(Prepared {
        shape,
        publishers,
        subscribers,
    })
}

/// What the subscribers share: the count to expect, and the count so far in their group.
struct Group {
    /// Messages the group must receive in total; set once publishing is over.
    expected: AtomicU64,
    /// Messages received so far by all members.
    received: AtomicU64,
}

impl Prepared {
    /// Publishes for `duration`, then drains and checks the counts.
    pub fn run(self, duration: Duration) -> Result<Traffic> {
        let payload = protocol::payload(self.shape.payload);
        let (block, frames) = protocol::pub_block(SUBJECT, &payload, MIN_WRITE);
        let frame_len = protocol::msg_frame_len(SUBJECT, b"1", None, self.shape.payload);
        // Plain subscribers each form a group of one; a queue group shares one count.
        let groups: Vec<Group> = (0..if self.shape.queue {
            1
        } else {
            self.shape.subscribers
        })
            .map(|_| Group {
                expected: AtomicU64::new(u64::MAX),
                received: AtomicU64::new(0),
            })
            .collect();
        let finish = AtomicBool::new(false);
        let start = Instant::now();
        let deadline = start + duration;

        thread::scope(|s| {
            let subs: Vec<_> = self
                .subscribers
                .into_iter()
                .enumerate()
                .map(|(i, conn)| {
                    let group = &groups[if self.shape.queue { 0 } else { i }];
                    let finish = &finish;
                    s.spawn(move || subscribe(conn, frame_len, group, finish, start))
                })
                .collect();
            let pubs: Vec<_> = self
                .publishers
                .into_iter()
                .map(|conn| {
                    let block = &block;
                    s.spawn(move || publish(conn, block, frames, deadline))
                })
                .collect();

            let mut published = 0;
            let mut publish_end = start;
            let mut first_error = None;
            for (i, handle) in pubs.into_iter().enumerate() {
                match join(handle).context(format_args!("publisher {i}")) {
                    Ok((count, end)) => {
                        published += count;
                        publish_end = publish_end.max(end);
                    }
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
            }
            for group in &groups {
                group.expected.store(published, Ordering::Release);
            }
            finish.store(true, Ordering::Release);

            let mut delivered = 0;
            let mut deliver_end = start;
            let mut counts = Vec::new();
            for (i, handle) in subs.into_iter().enumerate() {
                match join(handle).context(format_args!("subscriber {i}")) {
                    Ok((count, end)) => {
                        delivered += count;
                        counts.push(count);
                        deliver_end = deliver_end.max(end);
                    }
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
            }
            if let Some(e) = first_error {
                return Err(e);
            }
            check_counts(self.shape, published, &counts)?;
            Ok(Traffic {
                published,
                delivered,
                publish_secs: (publish_end - start).as_secs_f64(),
                deliver_secs: (deliver_end - start).as_secs_f64(),
            })
        })
    }
}

/// Joins a thread, turning a panic into an error.
fn join<T>(handle: thread::ScopedJoinHandle<'_, Result<T>>) -> Result<T> {
    handle
        .join()
        .unwrap_or_else(|_| Err(BenchError::msg("thread panicked")))
}

/// Checks every subscriber (or the queue group as a whole) got exactly what was published.
fn check_counts(shape: Shape, published: u64, counts: &[u64]) -> Result<()> {
    if shape.queue {
        let total: u64 = counts.iter().sum();
        if total != published {
            bail!(
                "queue group received {total} messages in all (per member {counts:?}), \
                 {published} were published: {}",
                describe_gap(published, total)
            );
        }
    } else {
        for (i, &count) in counts.iter().enumerate() {
            if count != published {
                bail!(
                    "subscriber {i} received {count} of {published} messages: {}",
                    describe_gap(published, count)
                );
            }
        }
    }
    Ok(())
}

fn describe_gap(expected: u64, got: u64) -> String {
    if got < expected {
        format!("{} lost", expected - got)
    } else {
        format!("{} extra", got - expected)
    }
}

/// Writes `block` until `deadline`, then round-trips a PING. Returns messages sent and the time
/// the last write finished.
fn publish(mut conn: Conn, block: &[u8], frames: u64, deadline: Instant) -> Result<(u64, Instant)> {
    // A server that stops reading must not hang the bench forever.
    conn.stream.set_write_timeout(Some(STEP_TIMEOUT))?;
    let mut published = 0;
    let mut now = Instant::now();
    while now < deadline {
        conn.stream
            .write_all(block)
            .context(format_args!("publishing (after {published} messages)"))?;
        published += frames;
        now = Instant::now();
    }
    conn.round_trip(STEP_TIMEOUT)
        .context("PING/PONG after publishing")?;
    Ok((published, now))
}

/// Counts messages until the run is over; returns the count and when the last one arrived.
fn subscribe(
    mut conn: Conn,
    frame_len: u64,
    group: &Group,
    finish: &AtomicBool,
    start: Instant,
) -> Result<(u64, Instant)> {
    let mut counter = FrameCounter::new(frame_len);
    counter.feed(conn.parser.unparsed())?;
    let mut buf = vec![0u8; READ_SIZE];
    // Wake up now and then to notice the end of publishing even when no data comes.
    conn.stream
        .set_read_timeout(Some(Duration::from_millis(50)))?;
    let mut last_msg = start;
    let mut reported = counter.messages;
    group.received.fetch_add(reported, Ordering::AcqRel);
    let mut drain_deadline = None;
    let mut pong_at = None;
    loop {
        match conn.stream.read(&mut buf) {
            Ok(0) => bail!(
                "server closed the connection after {} messages",
                counter.messages
            ),
            Ok(n) => {
                counter
                    .feed(&buf[..n])
                    .context(format_args!("after {} messages", counter.messages))?;
            }
            Err(e) if is_timeout(&e) || e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(BenchError::from(e)).context("reading messages"),
        }
        let now = Instant::now();
        if counter.messages != reported {
            last_msg = now;
            group
                .received
                .fetch_add(counter.messages - reported, Ordering::AcqRel);
            reported = counter.messages;
        }
        while counter.pings_owed > 0 {
            conn.stream
                .write_all(b"PONG\r\n")
                .context("answering PING")?;
            counter.pings_owed -= 1;
        }
        if drain_deadline.is_none() && finish.load(Ordering::Acquire) {
            conn.stream.write_all(b"PING\r\n").context("sending PING")?;
            drain_deadline = Some(now + STEP_TIMEOUT);
        }
        if counter.pongs > 0 && counter.at_boundary() {
            let pong_at = *pong_at.get_or_insert(now);
            let expected = group.expected.load(Ordering::Acquire);
            let received = group.received.load(Ordering::Acquire);
            if received >= expected || now - pong_at > GRACE {
                return Ok((counter.messages, last_msg));
            }
        }
        if drain_deadline.is_some_and(|d| now > d) {
            bail!(
                "timed out waiting for the last messages ({} received)",
                counter.messages
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(queue: bool) -> Shape {
        Shape {
            payload: 16,
            publishers: 1,
            subscribers: 3,
            queue,
        }
    }

    #[test]
    fn exact_counts_pass() {
        assert!(check_counts(shape(false), 10, &[10, 10, 10]).is_ok());
        assert!(check_counts(shape(true), 10, &[3, 3, 4]).is_ok());
    }

    #[test]
    fn loss_and_extras_fail() {
        let e = check_counts(shape(false), 10, &[10, 9, 10]).expect_err("one lost");
        assert!(e.to_string().contains("1 lost"), "{e}");
        let e = check_counts(shape(true), 10, &[3, 4, 4]).expect_err("one extra");
        assert!(e.to_string().contains("1 extra"), "{e}");
    }
}
