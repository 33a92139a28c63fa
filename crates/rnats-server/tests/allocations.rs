//! The steady-state publish path allocates nothing per message.
//!
//! A counting global allocator (this test binary only) counts every allocation in the
//! process while a publisher streams messages to subscribers through an in-process server.
//! The clients are raw sockets writing pre-built buffers and reading into a fixed one, so
//! they allocate nothing themselves; what remains is the server's per-batch work (outbound
//! blocks), which must stay far below one allocation per message.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rnats_server::{Options, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Counts allocations (not frees): the number this test bounds.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every method forwards to the system allocator unchanged; counting has no effect
// on the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const PATIENCE: Duration = Duration::from_secs(20);
const SUBSCRIBERS: usize = 3;
/// Messages per round; a round is written as one pre-built buffer.
const ROUND: usize = 20_000;

/// A raw client that has sent CONNECT and read its INFO.
async fn client(server: &Server, after_connect: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(server.client_addr())
        .await
        .expect("connects");
    let mut info = [0u8; 4096];
    let mut read = 0;
    while !info[..read].ends_with(b"\r\n") {
        read += stream.read(&mut info[read..]).await.expect("INFO arrives");
    }
    let connect = b"CONNECT {\"verbose\":false,\"pedantic\":false}\r\n";
    stream
        .write_all(&[&connect[..], after_connect, b"PING\r\n"].concat())
        .await
        .expect("writes");
    let mut pong = [0u8; 6];
    stream.read_exact(&mut pong).await.expect("PONG arrives");
    assert_eq!(&pong, b"PONG\r\n");
    stream
}

/// Reads exactly `expected` bytes into a reused buffer.
async fn drain(stream: &mut TcpStream, buffer: &mut [u8], expected: usize) {
    let mut left = expected;
    while left > 0 {
        let chunk = left.min(buffer.len());
        let n = stream.read(&mut buffer[..chunk]).await.expect("reads");
        assert!(n > 0, "the server closed a subscriber");
        left -= n;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_allocates_nothing_per_message() {
    let server = Server::start(Options::local())
        .await
        .expect("server starts");
    let mut subscribers = Vec::new();
    for sid in 0..SUBSCRIBERS {
        subscribers.push(client(&server, format!("SUB steady.* {sid}\r\n").as_bytes()).await);
    }
    let mut publisher = client(&server, b"").await;
    let round: Vec<u8> = b"PUB steady.state 16\r\n0123456789abcdef\r\n".repeat(ROUND);
    // Each subscriber gets `MSG steady.state <sid> 16\r\n...\r\n`: sids 0-2 are one digit.
    let per_subscriber = ROUND * b"MSG steady.state 0 16\r\n0123456789abcdef\r\n".len();
    let mut buffer = vec![0u8; 256 * 1024];

    let mut run_round = async |publisher: &mut TcpStream, subscribers: &mut Vec<TcpStream>| {
        publisher.write_all(&round).await.expect("publishes");
        for subscriber in subscribers.iter_mut() {
            tokio::time::timeout(PATIENCE, drain(subscriber, &mut buffer, per_subscriber))
                .await
                .expect("every message arrives");
        }
    };
    // Warm up: buffers, caches and the runtime reach their steady state.
    for _ in 0..3 {
        run_round(&mut publisher, &mut subscribers).await;
    }
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    const ROUNDS: usize = 10;
    for _ in 0..ROUNDS {
        run_round(&mut publisher, &mut subscribers).await;
    }
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    let deliveries = (ROUNDS * ROUND * SUBSCRIBERS) as u64;
    println!("{allocations} allocations for {deliveries} deliveries");
    // Per-batch work (a new outbound block now and then) is allowed; per-message work is not.
    // One allocation per delivery would count 600,000; batches give a few thousand at most,
    // depending on how reads happen to split the stream.
    assert!(
        allocations * 10 < deliveries,
        "{allocations} allocations for {deliveries} deliveries: something allocates per message"
    );
    server.shutdown().await;
}
