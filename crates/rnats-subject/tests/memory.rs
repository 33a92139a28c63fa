//! Memory held by the Sublist per subscription, measured with a counting
//! global allocator (this file is its own test binary, so the allocator
//! affects nothing else).
//!
//! The shape is the server's memory benchmark: 100,000 plain subscriptions
//! on distinct subjects `bench.sub.<n>`. Two figures are reported: bytes
//! requested from the allocator, and the same rounded up the way glibc
//! malloc does (a 32-byte minimum chunk, 16-byte steps, 8 bytes of header),
//! which is closer to what the process actually pays.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use rnats_subject::Sublist;

/// Allocator that counts, per thread, what is live. Per-thread counters keep
/// the test harness and tests running in parallel out of each other's
/// figures; everything measured here allocates and frees on one thread.
struct Counting;

thread_local! {
    // Const-initialised and without destructors, so they are usable from
    // inside the allocator without allocating or failing at thread exit.
    static BYTES: Cell<isize> = const { Cell::new(0) };
    static CHUNKS: Cell<isize> = const { Cell::new(0) };
    static COUNT: Cell<isize> = const { Cell::new(0) };
}

/// What glibc malloc hands out for a request of `size` bytes on 64-bit.
fn chunk(size: usize) -> isize {
    let rounded = (size + 8).div_ceil(16) * 16;
    isize::try_from(rounded.max(32)).unwrap_or(isize::MAX)
}

fn track(size: usize, sign: isize) {
    let bytes = isize::try_from(size).unwrap_or(isize::MAX);
    BYTES.with(|c| c.set(c.get() + sign * bytes));
    CHUNKS.with(|c| c.set(c.get() + sign * chunk(size)));
    COUNT.with(|c| c.set(c.get() + sign));
}

// SAFETY: every call is forwarded unchanged to `System`; the wrapper only
// updates thread-local counters, which neither allocate nor unwind.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            track(layout.size(), 1);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            track(layout.size(), 1);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        track(layout.size(), -1);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            track(layout.size(), -1);
            track(new_size, 1);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Live allocations of the current thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Live {
    bytes: isize,
    chunks: isize,
    count: isize,
}

impl Live {
    fn now() -> Self {
        Live {
            bytes: BYTES.with(Cell::get),
            chunks: CHUNKS.with(Cell::get),
            count: COUNT.with(Cell::get),
        }
    }

    fn since(self, base: Live) -> Live {
        Live {
            bytes: self.bytes - base.bytes,
            chunks: self.chunks - base.chunks,
            count: self.count - base.count,
        }
    }

    fn plus(self, delta: Live) -> Live {
        Live {
            bytes: self.bytes + delta.bytes,
            chunks: self.chunks + delta.chunks,
            count: self.count + delta.count,
        }
    }
}

/// Prints without counting it against `base`: the test harness captures
/// output into a buffer that this thread grows and that stays live.
fn say(base: &mut Live, args: std::fmt::Arguments<'_>) {
    let before = Live::now();
    println!("{args}");
    *base = base.plus(Live::now().since(before));
}

const SUBS: usize = 100_000;

/// What one shape of subjects may cost per subscription.
struct Bounds {
    bytes: f64,
    chunks: f64,
    allocs: f64,
}

/// The server's benchmark shape, `bench.sub.<n>`. The trie needs 53.7 bytes
/// per subscription, requested and malloc-rounded alike: a subscription has
/// no allocation of its own, only its 40-byte entry in the last level's hash
/// map (inline token and node, one control byte) plus the table's spare
/// capacity. The bounds leave about 15% headroom, so a per-subscription
/// allocation (there were three: 104 bytes requested, 171 rounded) or a
/// bigger entry fails.
const FLAT: Bounds = Bounds {
    bytes: 62.0,
    chunks: 62.0,
    allocs: 0.01,
};

/// `svc.<n % 64>.<n>.req`, the crate's benchmark shape: each subscription
/// also has a level of its own below its unique token, holding the single
/// `req` child inline. 109.8 bytes requested and 117.9 rounded, in one
/// allocation (there were six: 187 bytes requested, 315 rounded); the bounds
/// leave about 15% headroom.
const DEEP: Bounds = Bounds {
    bytes: 126.0,
    chunks: 136.0,
    allocs: 1.01,
};

/// Subscriptions left by the partial drain, and the bound on what they may
/// hold: a table that never shrank would keep about 5 MB, over 5,000 each.
const KEPT: usize = 1_000;
const MAX_BYTES_PER_KEPT: isize = 200;

fn flat_subjects() -> Vec<String> {
    (0..SUBS).map(|n| format!("bench.sub.{n}")).collect()
}

fn deep_subjects() -> Vec<String> {
    (0..SUBS)
        .map(|n| format!("svc.{}.{n}.req", n % 64))
        .collect()
}

fn fill(list: &Sublist<u64>, subjects: &[String]) {
    for (id, s) in (0..).zip(subjects) {
        assert!(list.insert(s.as_bytes(), None, id).is_ok());
    }
}

/// Removes the subscriptions `fill` made from `subjects[range]`.
fn drain(list: &Sublist<u64>, subjects: &[String], range: std::ops::Range<usize>) {
    let before = list.count();
    for (id, s) in (0..).zip(subjects).skip(range.start).take(range.len()) {
        assert!(list.remove(s.as_bytes(), None, &id));
    }
    assert_eq!(list.count(), before - range.len());
}

/// Prints and checks the figures for one filled list, measured from `base`.
fn check_per_sub(label: &str, base: &mut Live, max: &Bounds) {
    let used = Live::now().since(*base);
    let per = |v: isize| v as f64 / SUBS as f64;
    let (bytes, chunks, allocs) = (per(used.bytes), per(used.chunks), per(used.count));
    say(
        base,
        format_args!(
            "{label}: {bytes:.1} bytes/sub requested, {chunks:.1} bytes/sub malloc-rounded, \
             {allocs:.3} allocations/sub"
        ),
    );
    assert!(bytes <= max.bytes, "{label}: {bytes:.1} bytes/sub");
    assert!(chunks <= max.chunks, "{label}: {chunks:.1} rounded");
    assert!(allocs <= max.allocs, "{label}: {allocs:.3} allocs/sub");
}

#[test]
fn uncached_list_memory_per_subscription() {
    let subjects = flat_subjects();
    let list = Sublist::without_cache();
    let mut base = Live::now();
    fill(&list, &subjects);
    check_per_sub("bench.sub.<n>, uncached", &mut base, &FLAT);
    drain(&list, &subjects, KEPT..SUBS);
    let kept = Live::now().since(base);
    say(&mut base, format_args!("{KEPT} kept: {} bytes", kept.bytes));
    assert!(kept.bytes <= MAX_BYTES_PER_KEPT * KEPT as isize, "{kept:?}");
    drain(&list, &subjects, 0..KEPT);
    assert_eq!(Live::now(), base, "everything is freed after removing all");
}

#[test]
fn deep_subjects_memory_per_subscription() {
    let subjects = deep_subjects();
    let list = Sublist::without_cache();
    let mut base = Live::now();
    fill(&list, &subjects);
    check_per_sub("svc.<n % 64>.<n>.req", &mut base, &DEEP);
    drain(&list, &subjects, 0..SUBS);
    assert_eq!(Live::now(), base, "everything is freed after removing all");
}

#[test]
fn cached_list_memory_per_subscription() {
    let subjects = flat_subjects();
    let list = Sublist::new();
    let mut base = Live::now();
    fill(&list, &subjects);
    for s in subjects.iter().step_by(SUBS / 8) {
        assert_eq!(list.matches(s.as_bytes()).len(), 1);
        assert_eq!(list.matches(s.as_bytes()).len(), 1, "a cache hit");
    }
    assert_eq!(list.stats().cache_hits, 8);
    check_per_sub("bench.sub.<n>, cached", &mut base, &FLAT);
    drain(&list, &subjects, 0..SUBS);
    // Removing a subject invalidates its cached result; only the cache's
    // emptied hash table (hash maps keep their capacity) may remain.
    let left = Live::now().since(base);
    assert!(
        left.count <= 1 && left.bytes <= 1024,
        "left behind: {left:?}"
    );
    assert_eq!(list.stats().cache_entries, 0);
}

/// Spilling a node to its boxed form (a second subscription, a queue group)
/// is undone by removals, so memory comes back to the single-subscription
/// figure and then to nothing.
#[test]
fn spilled_nodes_shrink_back() {
    let list = Sublist::without_cache();
    let base = Live::now();
    assert!(list.insert(b"a.b", None, 1).is_ok());
    let one = Live::now();
    for (queue, id) in [(None, 2), (Some(&b"q"[..]), 3), (Some(b"q"), 4), (None, 5)] {
        assert!(list.insert(b"a.b", queue, id).is_ok());
    }
    assert!(Live::now().count > one.count, "extra subscriptions spill");
    for (queue, id) in [(None, 1), (Some(&b"q"[..]), 3), (None, 5), (Some(b"q"), 4)] {
        assert!(list.remove(b"a.b", queue, &id));
    }
    assert_eq!(list.matches(b"a.b").plain, [2]);
    assert_eq!(Live::now(), one, "back to one inline subscription");
    assert!(list.remove(b"a.b", None, &2));
    assert_eq!(Live::now(), base);
}

/// Tokens too long to be stored inline still round-trip and free.
#[test]
fn long_tokens_are_freed() {
    let list = Sublist::without_cache();
    let base = Live::now();
    let subjects: Vec<String> = (0..100)
        .map(|n| format!("_INBOX.{n:0>40}.{}", "x".repeat(n % 30)))
        .map(|s| s.trim_end_matches('.').to_owned())
        .collect();
    for (id, s) in (0..).zip(&subjects) {
        assert!(list.insert(s.as_bytes(), None, id).is_ok());
    }
    for (id, s) in (0..).zip(&subjects) {
        assert_eq!(list.matches(s.as_bytes()).plain, [id]);
    }
    for (id, s) in (0..).zip(&subjects) {
        assert!(list.remove(s.as_bytes(), None, &id));
    }
    drop(subjects);
    assert_eq!(Live::now(), base);
}
