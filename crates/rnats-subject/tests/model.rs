//! Property tests: the Sublist and `subject_matches` against naive models.

use std::collections::BTreeMap;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use rnats_subject::{Sublist, SublistResult, is_valid_subject, subject_matches};

/// Plain items and queue groups (name to members), all sorted.
type Summary = (Vec<u32>, BTreeMap<Vec<u8>, Vec<u32>>);

fn summarize(r: &SublistResult<u32>) -> Summary {
    let mut plain = r.plain.clone();
    plain.sort_unstable();
    let mut groups = BTreeMap::new();
    for g in &r.queues {
        let mut m = g.members.clone();
        m.sort_unstable();
        assert!(
            groups.insert(g.name.to_vec(), m).is_none(),
            "queue group {:?} appears twice",
            g.name
        );
    }
    (plain, groups)
}

/// A subscription as the naive model stores it.
#[derive(Clone, Debug)]
struct Sub {
    subject: Vec<u8>,
    queue: Option<Vec<u8>>,
    id: u32,
}

fn model_matches(model: &[Sub], subject: &[u8]) -> Summary {
    let mut plain = Vec::new();
    let mut groups: BTreeMap<Vec<u8>, Vec<u32>> = BTreeMap::new();
    for sub in model
        .iter()
        .filter(|s| subject_matches(&s.subject, subject))
    {
        match &sub.queue {
            None => plain.push(sub.id),
            Some(q) => groups.entry(q.clone()).or_default().push(sub.id),
        }
    }
    plain.sort_unstable();
    groups.values_mut().for_each(|m| m.sort_unstable());
    (plain, groups)
}

#[derive(Clone, Debug)]
enum Op {
    Insert(Vec<u8>, Option<Vec<u8>>),
    RemoveExisting(usize),
    RemoveMissing(Vec<u8>, Option<Vec<u8>>),
    Match(Vec<u8>),
}

/// A fixed seed keeps the suite deterministic; widen `cases` locally to
/// explore further.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        rng_seed: RngSeed::Fixed(0x6e61_7473),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn token() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        4 => Just("a"),
        4 => Just("b"),
        2 => Just("c"),
        // Six literals in all, so levels outgrow their small-vector form.
        1 => Just("d"),
        1 => Just("e"),
        1 => Just("f"),
        3 => Just("*"),
        3 => Just(">"),
        1 => Just(""),
    ]
}

fn subject() -> impl Strategy<Value = Vec<u8>> {
    vec(token(), 1..=4).prop_map(|toks| toks.join(".").into_bytes())
}

fn queue() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop_oneof![
        3 => Just(None),
        1 => Just(Some(b"q1".to_vec())),
        1 => Just(Some(b"q2".to_vec())),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (subject(), queue()).prop_map(|(s, q)| Op::Insert(s, q)),
        2 => any::<usize>().prop_map(Op::RemoveExisting),
        1 => (subject(), queue()).prop_map(|(s, q)| Op::RemoveMissing(s, q)),
        4 => subject().prop_map(Op::Match),
    ]
}

/// Published subjects checked after every sequence: all of up to two tokens,
/// and three-token ones over a smaller alphabet to keep the suite fast.
fn all_published() -> Vec<Vec<u8>> {
    let wide = ["a", "b", "c", "d", "e", "f", "*", ">"];
    let narrow = ["a", "b", "e", "*", ">"];
    let mut out: Vec<String> = wide.iter().map(|s| s.to_string()).collect();
    let two: Vec<String> = out
        .iter()
        .flat_map(|p| wide.iter().map(move |t| format!("{p}.{t}")))
        .collect();
    let three: Vec<String> = two
        .iter()
        .filter(|p| p.split('.').all(|t| narrow.contains(&t)))
        .flat_map(|p| narrow.iter().map(move |t| format!("{p}.{t}")))
        .collect();
    out.extend(two);
    out.extend(three);
    out.push("a..b".into());
    out.into_iter().map(String::into_bytes).collect()
}

fn check(lists: &[&Sublist<u32>], model: &[Sub], subject: &[u8]) -> Result<(), TestCaseError> {
    let want = model_matches(model, subject);
    for list in lists {
        let got = summarize(&list.matches(subject));
        prop_assert_eq!(
            &got,
            &want,
            "subject {:?}",
            String::from_utf8_lossy(subject)
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn sublist_agrees_with_naive_model(ops in vec(op(), 1..64)) {
        let cached = Sublist::new();
        let uncached = Sublist::without_cache();
        let lists = [&cached, &uncached];
        let mut model: Vec<Sub> = Vec::new();
        let mut next_id = 0u32;
        let mut generation = 0;
        for op in ops {
            match op {
                Op::Insert(subject, queue) => {
                    next_id += 1;
                    let valid = is_valid_subject(&subject);
                    for list in lists {
                        let res = list.insert(&subject, queue.as_deref(), next_id);
                        prop_assert_eq!(res.is_ok(), valid);
                    }
                    if valid {
                        generation += 1;
                        model.push(Sub { subject, queue, id: next_id });
                    }
                }
                Op::RemoveExisting(i) => {
                    if model.is_empty() {
                        continue;
                    }
                    let sub = model.swap_remove(i % model.len());
                    for list in lists {
                        prop_assert!(list.remove(&sub.subject, sub.queue.as_deref(), &sub.id));
                    }
                    generation += 1;
                }
                Op::RemoveMissing(subject, queue) => {
                    // Either an id never used, or a live id under another
                    // subject or queue than its own.
                    let id = model
                        .iter()
                        .find(|s| s.subject != subject || s.queue != queue)
                        .map_or(u32::MAX, |s| s.id);
                    for list in lists {
                        prop_assert!(!list.remove(&subject, queue.as_deref(), &id));
                    }
                }
                Op::Match(subject) => check(&lists, &model, &subject)?,
            }
            for list in lists {
                prop_assert_eq!(list.count(), model.len());
                prop_assert_eq!(list.generation(), generation);
            }
        }
        for subject in all_published() {
            check(&lists, &model, &subject)?;
        }
        let mut seen = Vec::new();
        cached.for_each(|&id| seen.push(id));
        seen.sort_unstable();
        let mut want: Vec<u32> = model.iter().map(|s| s.id).collect();
        want.sort_unstable();
        prop_assert_eq!(seen, want);
    }
}

/// Obviously-correct validity: split, then check every rule separately.
fn naive_valid(filter: &str) -> bool {
    let toks: Vec<&str> = filter.split('.').collect();
    let ws = [' ', '\t', '\n', '\r', '\x0c'];
    !filter.is_empty()
        && !filter.contains(ws)
        && toks.iter().all(|t| !t.is_empty())
        && toks
            .iter()
            .position(|t| *t == ">")
            .is_none_or(|i| i == toks.len() - 1)
}

fn naive_match(filter: &[&str], subject: &[&str]) -> bool {
    match (filter, subject) {
        ([], []) => true,
        ([">"], [_, ..]) => true,
        ([f, frest @ ..], [s, srest @ ..]) => (*f == "*" || f == s) && naive_match(frest, srest),
        _ => false,
    }
}

fn naive_subject_matches(filter: &str, subject: &str) -> bool {
    let f: Vec<&str> = filter.split('.').collect();
    let s: Vec<&str> = subject.split('.').collect();
    naive_valid(filter) && s.iter().all(|t| !t.is_empty()) && naive_match(&f, &s)
}

fn loose_subject() -> impl Strategy<Value = String> {
    let tok = prop_oneof![
        Just("a"),
        Just("b"),
        Just("*"),
        Just(">"),
        Just(""),
        Just("a*"),
        Just(">b"),
        Just("a b"),
        Just("\t"),
    ];
    vec(tok, 1..=5).prop_map(|toks| toks.join("."))
}

proptest! {
    #![proptest_config(config(2048))]

    #[test]
    fn subject_matches_agrees_with_recursive_definition(
        filter in loose_subject(),
        subject in loose_subject(),
    ) {
        prop_assert_eq!(is_valid_subject(filter.as_bytes()), naive_valid(&filter));
        prop_assert_eq!(
            subject_matches(filter.as_bytes(), subject.as_bytes()),
            naive_subject_matches(&filter, &subject),
            "filter {:?} subject {:?}", filter, subject
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        filter in vec(prop_oneof![Just(b'a'), Just(b'.'), Just(b'*'), Just(b'>'), Just(b' '), Just(0xff), any::<u8>()], 0..24),
        subject in vec(prop_oneof![Just(b'a'), Just(b'.'), Just(b'*'), Just(b'>'), Just(b' '), Just(0xff), any::<u8>()], 0..24),
    ) {
        let list = Sublist::new();
        let inserted = list.insert(&filter, Some(&subject), 1).is_ok();
        prop_assert_eq!(inserted, is_valid_subject(&filter));
        let hit = !list.matches(&subject).is_empty();
        prop_assert_eq!(hit, subject_matches(&filter, &subject));
        prop_assert_eq!(list.remove(&filter, Some(&subject), &1), inserted);
        prop_assert_eq!(list.count(), 0);
        prop_assert!(list.matches(&subject).is_empty());
    }
}
