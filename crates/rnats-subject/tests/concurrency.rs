//! Concurrent inserts, removes and matches must never leave or return a
//! stale cached result.

use std::sync::Arc;
use std::thread;

use rnats_subject::{Sublist, SublistResult};

const THREADS: u64 = 8;
const OPS: usize = 3000;
const ALPHABET: [&str; 5] = ["a", "b", "c", "*", ">"];

/// Small deterministic generator, so failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

#[derive(Clone, Debug)]
struct Sub {
    subject: String,
    queue: Option<&'static str>,
    id: u64,
}

fn random_subject(rng: &mut Lcg) -> String {
    let len = 1 + rng.below(3);
    let mut toks: Vec<&str> = (0..len).map(|_| ALPHABET[rng.below(3)]).collect();
    // Wildcards in valid places only: `*` anywhere, `>` last.
    for tok in toks.iter_mut() {
        if rng.below(4) == 0 {
            *tok = "*";
        }
    }
    if rng.below(4) == 0
        && let Some(last) = toks.last_mut()
    {
        *last = ">";
    }
    toks.join(".")
}

/// A published subject this subscription's subject is guaranteed to match.
fn concrete(subject: &str) -> String {
    subject.replace('*', "c").replace('>', "a.b")
}

fn contains(r: &SublistResult<u64>, sub: &Sub) -> bool {
    match sub.queue {
        None => r.plain.contains(&sub.id),
        Some(q) => r
            .queues
            .iter()
            .any(|g| &*g.name == q.as_bytes() && g.members.contains(&sub.id)),
    }
}

/// Sorted plain items and sorted (name, members) groups.
type Summary = (Vec<u64>, Vec<(Vec<u8>, Vec<u64>)>);

fn sorted(r: &SublistResult<u64>) -> Summary {
    let mut plain = r.plain.clone();
    plain.sort_unstable();
    let mut groups: Vec<_> = r
        .queues
        .iter()
        .map(|g| {
            let mut m = g.members.clone();
            m.sort_unstable();
            (g.name.to_vec(), m)
        })
        .collect();
    groups.sort();
    (plain, groups)
}

fn worker(list: &Sublist<u64>, thread: u64) -> Vec<Sub> {
    let mut rng = Lcg(thread + 1);
    let mut live: Vec<Sub> = Vec::new();
    for n in 0..OPS {
        match rng.below(10) {
            0..=3 => {
                let sub = Sub {
                    subject: random_subject(&mut rng),
                    queue: [None, Some("q1"), Some("q2")][rng.below(3)],
                    id: thread << 32 | n as u64,
                };
                list.insert(sub.subject.as_bytes(), sub.queue.map(str::as_bytes), sub.id)
                    .expect("generated subjects are valid");
                // Once insert returns, every match must see it.
                let r = list.matches(concrete(&sub.subject).as_bytes());
                assert!(contains(&r, &sub), "{sub:?} missing right after insert");
                live.push(sub);
            }
            4..=6 if !live.is_empty() => {
                let sub = live.swap_remove(rng.below(live.len()));
                assert!(list.remove(
                    sub.subject.as_bytes(),
                    sub.queue.map(str::as_bytes),
                    &sub.id
                ));
                let r = list.matches(concrete(&sub.subject).as_bytes());
                assert!(!contains(&r, &sub), "{sub:?} still matched after remove");
            }
            _ => {
                let subject = concrete(&random_subject(&mut rng));
                let generation = list.generation();
                let r = list.matches(subject.as_bytes());
                // This thread's own live subscriptions cannot change underneath it.
                for sub in &live {
                    let expect =
                        rnats_subject::subject_matches(sub.subject.as_bytes(), subject.as_bytes());
                    assert_eq!(contains(&r, sub), expect, "{sub:?} vs {subject}");
                }
                // An unchanged generation proves a result still current.
                let again = list.matches(subject.as_bytes());
                if list.generation() == generation {
                    assert_eq!(
                        sorted(&r),
                        sorted(&again),
                        "{subject} changed within one generation"
                    );
                }
            }
        }
    }
    live
}

fn all_published() -> Vec<String> {
    let mut out: Vec<String> = ALPHABET.iter().map(|s| s.to_string()).collect();
    let mut prev = out.clone();
    for _ in 1..4 {
        let next: Vec<String> = prev
            .iter()
            .flat_map(|p| ALPHABET.iter().map(move |t| format!("{p}.{t}")))
            .collect();
        out.extend(next.iter().cloned());
        prev = next;
    }
    out
}

#[test]
fn concurrent_changes_leave_no_stale_cache() {
    let list = Arc::new(Sublist::new());
    let all_published = all_published();
    // Warm the cache so writers have entries to invalidate from the start.
    for subject in &all_published {
        list.matches(subject.as_bytes());
    }
    let live: Vec<Sub> = thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let list = &list;
                s.spawn(move || worker(list, t))
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("worker panicked"))
            .collect()
    });

    let fresh = Sublist::without_cache();
    for sub in &live {
        fresh
            .insert(sub.subject.as_bytes(), sub.queue.map(str::as_bytes), sub.id)
            .expect("valid");
    }
    assert_eq!(list.count(), live.len());
    for subject in &all_published {
        // Twice: the first may be a cache miss, the second a hit.
        for _ in 0..2 {
            assert_eq!(
                sorted(&list.matches(subject.as_bytes())),
                sorted(&fresh.matches(subject.as_bytes())),
                "{subject}"
            );
        }
    }
}
