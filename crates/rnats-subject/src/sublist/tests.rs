use super::*;

type Groups = Vec<(Vec<u8>, Vec<u32>)>;

/// Sorted plain items and sorted (name, members) groups, for order-free checks.
fn summary(r: &SublistResult<u32>) -> (Vec<u32>, Groups) {
    let mut plain = r.plain.clone();
    plain.sort_unstable();
    let mut groups: Groups = r
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

fn plain_of(s: &Sublist<u32>, subject: &str) -> Vec<u32> {
    let r = s.matches(subject.as_bytes());
    assert!(r.queues.is_empty());
    summary(&r).0
}

fn list(subs: &[(&str, u32)]) -> Sublist<u32> {
    let s = Sublist::new();
    for &(subject, id) in subs {
        s.insert(subject.as_bytes(), None, id).unwrap();
    }
    s
}

fn shape(s: &Sublist<u32>) -> (usize, usize) {
    s.trie.read().shape()
}

#[test]
fn literal_matches() {
    let s = list(&[("foo", 1), ("foo.bar", 2), ("foo.bar.baz", 3), ("bar", 4)]);
    assert_eq!(plain_of(&s, "foo"), [1]);
    assert_eq!(plain_of(&s, "foo.bar"), [2]);
    assert_eq!(plain_of(&s, "foo.bar.baz"), [3]);
    assert_eq!(plain_of(&s, "foo.baz"), [] as [u32; 0]);
    assert_eq!(plain_of(&s, "fo"), [] as [u32; 0]);
    assert_eq!(s.count(), 4);
}

#[test]
fn star_matches_one_token() {
    let s = list(&[
        ("*", 1),
        ("foo.*", 2),
        ("*.bar", 3),
        ("foo.*.baz", 4),
        ("*.*", 5),
    ]);
    assert_eq!(plain_of(&s, "foo"), [1]);
    assert_eq!(plain_of(&s, "foo.bar"), [2, 3, 5]);
    assert_eq!(plain_of(&s, "foo.x"), [2, 5]);
    assert_eq!(plain_of(&s, "x.bar"), [3, 5]);
    assert_eq!(plain_of(&s, "foo.bar.baz"), [4]);
    assert_eq!(plain_of(&s, "foo.bar.x"), [] as [u32; 0]);
}

#[test]
fn full_wildcard_matches_one_or_more_tokens() {
    let s = list(&[(">", 1), ("foo.>", 2), ("foo.*.>", 3), ("*.>", 4)]);
    assert_eq!(plain_of(&s, "foo"), [1]);
    assert_eq!(plain_of(&s, "foo.bar"), [1, 2, 4]);
    assert_eq!(plain_of(&s, "foo.bar.baz"), [1, 2, 3, 4]);
    assert_eq!(plain_of(&s, "bar.baz.qux"), [1, 4]);
}

#[test]
fn mixed_literal_and_wildcards() {
    let s = list(&[
        ("a.b.c", 1),
        ("a.*.c", 2),
        ("a.>", 3),
        ("*.b.>", 4),
        ("a.b.*", 5),
        ("*.*.*", 6),
        ("a.b", 7),
    ]);
    assert_eq!(plain_of(&s, "a.b.c"), [1, 2, 3, 4, 5, 6]);
    assert_eq!(plain_of(&s, "a.x.c"), [2, 3, 6]);
    assert_eq!(plain_of(&s, "a.b"), [3, 7]);
    assert_eq!(plain_of(&s, "a.b.c.d"), [3, 4]);
    assert_eq!(plain_of(&s, "z.b.c"), [4, 6]);
}

#[test]
fn non_wildcard_star_tokens_are_literal() {
    let s = list(&[("foo*", 1), ("a>", 2), ("foo.*", 3)]);
    assert_eq!(plain_of(&s, "foo*"), [1]);
    assert_eq!(plain_of(&s, "foo"), [] as [u32; 0]);
    assert_eq!(plain_of(&s, "a>"), [2]);
    assert_eq!(plain_of(&s, "a.b"), [] as [u32; 0]);
    assert_eq!(plain_of(&s, "foo.foo*"), [3]);
}

#[test]
fn queue_groups_are_grouped_by_name() {
    let s = Sublist::new();
    s.insert(b"foo", Some(b"q1"), 1).unwrap();
    s.insert(b"foo", Some(b"q1"), 2).unwrap();
    s.insert(b"foo", Some(b"q2"), 3).unwrap();
    s.insert(b"foo", None, 4).unwrap();
    s.insert(b"foo.*", Some(b"q1"), 5).unwrap();
    s.insert(b"*", Some(b"q1"), 6).unwrap();
    s.insert(b">", Some(b"q.x"), 7).unwrap();
    s.insert(b"foo", Some(b"q*"), 8).unwrap();
    let r = s.matches(b"foo");
    assert_eq!(r.len(), 7);
    assert_eq!(
        summary(&r),
        (
            vec![4],
            vec![
                (b"q*".to_vec(), vec![8]),
                (b"q.x".to_vec(), vec![7]),
                (b"q1".to_vec(), vec![1, 2, 6]),
                (b"q2".to_vec(), vec![3]),
            ]
        )
    );
    let r = s.matches(b"foo.bar");
    assert_eq!(
        summary(&r),
        (
            vec![],
            vec![(b"q.x".to_vec(), vec![7]), (b"q1".to_vec(), vec![5])]
        )
    );
}

#[test]
fn remove_one_of_identical_subscriptions() {
    let s = list(&[("foo", 1), ("foo", 2), ("foo.*", 3)]);
    assert!(s.remove(b"foo", None, &1));
    assert_eq!(plain_of(&s, "foo"), [2]);
    assert!(!s.remove(b"foo", None, &1), "already removed");
    assert!(!s.remove(b"foo", Some(b"q"), &2), "wrong queue");
    assert!(!s.remove(b"foo.bar", None, &3), "wrong subject");
    assert!(!s.remove(b"foo.*.x", None, &3), "no such path");
    assert!(!s.remove(b"a..b", None, &3), "invalid subject");
    assert!(s.remove(b"foo.*", None, &3));
    assert_eq!(s.count(), 1);
}

#[test]
fn remove_queue_members() {
    let s = Sublist::new();
    for (q, id) in [(b"q1", 1), (b"q1", 2), (b"q2", 3)] {
        s.insert(b"foo", Some(q), id).unwrap();
    }
    assert!(s.remove(b"foo", Some(b"q1"), &1));
    assert!(!s.remove(b"foo", Some(b"q2"), &2));
    assert!(!s.remove(b"foo", None, &2));
    let r = s.matches(b"foo");
    assert_eq!(
        summary(&r),
        (
            vec![],
            vec![(b"q1".to_vec(), vec![2]), (b"q2".to_vec(), vec![3])]
        )
    );
    assert!(s.remove(b"foo", Some(b"q2"), &3));
    let r = s.matches(b"foo");
    assert_eq!(summary(&r), (vec![], vec![(b"q1".to_vec(), vec![2])]));
    assert!(s.remove(b"foo", Some(b"q1"), &2));
    assert!(s.matches(b"foo").is_empty());
}

#[test]
fn removing_everything_prunes_the_trie() {
    let subjects = [
        "a", "a.b", "a.b.c", "a.*", "a.>", "*.b.c", ">", "x.y.z.w", "x.y.*.w", "x.*", "a.b.c",
    ];
    let s = Sublist::new();
    for (id, subject) in (0..).zip(subjects) {
        s.insert(subject.as_bytes(), None, id).unwrap();
        s.insert(subject.as_bytes(), Some(b"q"), id + 100).unwrap();
    }
    assert_eq!(s.count(), subjects.len() * 2);
    // Remove in an order that empties inner nodes before their children.
    for (id, subject) in (0..).zip(subjects) {
        assert!(s.remove(subject.as_bytes(), None, &id));
        assert!(s.remove(subject.as_bytes(), Some(b"q"), &(id + 100)));
    }
    assert_eq!(s.count(), 0);
    assert_eq!(shape(&s), (1, 0), "only the empty root level remains");
    assert!(s.matches(b"a.b.c").is_empty());
}

#[test]
fn wide_levels_prune_too() {
    let s = Sublist::new();
    let subjects: Vec<String> = (0..50).map(|i| format!("x.{i}.y")).collect();
    for (id, subject) in (0..).zip(&subjects) {
        s.insert(subject.as_bytes(), None, id).unwrap();
    }
    assert_eq!(shape(&s), (52, 101));
    for (id, subject) in (0..).zip(&subjects) {
        assert_eq!(plain_of(&s, subject), [id]);
        assert!(s.remove(subject.as_bytes(), None, &id));
        assert!(s.matches(subject.as_bytes()).is_empty());
    }
    assert_eq!(shape(&s), (1, 0));
}

#[test]
fn partial_removal_keeps_shared_prefixes() {
    let s = list(&[("a.b.c.d", 1), ("a.b", 2), ("a.x.c.d", 3)]);
    assert!(s.remove(b"a.b.c.d", None, &1));
    // root -> a -> {b, x}; x -> c -> d
    assert_eq!(shape(&s), (4, 5));
    assert_eq!(plain_of(&s, "a.b"), [2]);
    assert_eq!(plain_of(&s, "a.x.c.d"), [3]);
    assert!(s.remove(b"a.b", None, &2));
    assert_eq!(shape(&s), (4, 4));
    assert!(s.remove(b"a.x.c.d", None, &3));
    assert_eq!(shape(&s), (1, 0));
}

#[test]
fn published_wildcard_tokens_match_only_wildcard_subscriptions() {
    let s = list(&[
        ("foo.*", 1),
        ("foo.>", 2),
        ("foo.bar", 3),
        (">", 4),
        ("*.*", 5),
    ]);
    assert_eq!(plain_of(&s, "foo.*"), [1, 2, 4, 5]);
    assert_eq!(plain_of(&s, "foo.>"), [1, 2, 4, 5]);
    assert_eq!(plain_of(&s, "foo.bar"), [1, 2, 3, 4, 5]);
    assert_eq!(plain_of(&s, "*"), [4]);
    assert_eq!(plain_of(&s, ">"), [4]);
}

#[test]
fn invalid_published_subjects_match_nothing() {
    let s = list(&[(">", 1), ("*", 2), ("a.>", 3), ("a.*", 4)]);
    for subject in ["", ".", "a..b", "a.", ".a", "a.b.", "..", "a..", "a.>."] {
        assert!(s.matches(subject.as_bytes()).is_empty(), "{subject:?}");
    }
    assert_eq!(
        s.stats().cache_entries,
        0,
        "malformed subjects are not cached"
    );
    // Whitespace is not checked on the publish path, as in nats-server.
    assert_eq!(plain_of(&s, "a b"), [1, 2]);
}

#[test]
fn invalid_subscriptions_are_rejected() {
    let s: Sublist<u32> = Sublist::new();
    for subject in ["", "a..b", ".a", "a.", "foo.>.bar", "a b", "a\tb", ">.>"] {
        assert_eq!(s.insert(subject.as_bytes(), None, 1), Err(InvalidSubject));
    }
    assert_eq!(s.count(), 0);
    assert_eq!(s.generation(), 0);
    assert_eq!(InvalidSubject.to_string(), "invalid subject");
}

#[test]
fn misses_share_one_empty_result() {
    let s: Sublist<u32> = Sublist::without_cache();
    let a = s.matches(b"foo");
    let b = s.matches(b"bar..baz");
    assert!(Arc::ptr_eq(&a, &b));
    assert_eq!(a.len(), 0);
}

#[test]
fn cache_invalidation_on_literal_changes() {
    let s = list(&[("foo", 1)]);
    assert_eq!(plain_of(&s, "foo"), [1]);
    assert_eq!(plain_of(&s, "bar"), [] as [u32; 0]);
    assert_eq!(s.stats().cache_entries, 2);
    s.insert(b"foo", None, 2).unwrap();
    assert_eq!(s.stats().cache_entries, 1, "only `foo` is dropped");
    assert_eq!(plain_of(&s, "foo"), [1, 2]);
    assert!(s.remove(b"foo", None, &1));
    assert_eq!(plain_of(&s, "foo"), [2]);
    s.insert(b"bar", None, 3).unwrap();
    assert_eq!(plain_of(&s, "bar"), [3]);
}

#[test]
fn cache_invalidation_on_wildcard_changes() {
    let s = list(&[("foo.bar", 1)]);
    for subject in ["foo.bar", "foo.baz", "foo.*", "other", "foo.bar.baz"] {
        s.matches(subject.as_bytes());
    }
    assert_eq!(s.stats().cache_entries, 5);
    s.insert(b"foo.*", None, 2).unwrap();
    // foo.bar, foo.baz and the published `foo.*` are dropped.
    assert_eq!(s.stats().cache_entries, 2);
    assert_eq!(plain_of(&s, "foo.bar"), [1, 2]);
    assert_eq!(plain_of(&s, "foo.*"), [2]);
    assert_eq!(plain_of(&s, "foo.bar.baz"), [] as [u32; 0]);
    s.insert(b">", None, 3).unwrap();
    assert_eq!(s.stats().cache_entries, 0);
    assert_eq!(plain_of(&s, "foo.bar.baz"), [3]);
    assert_eq!(plain_of(&s, "other"), [3]);
    assert!(s.remove(b"foo.*", None, &2));
    assert_eq!(plain_of(&s, "foo.bar"), [1, 3]);
    assert!(s.remove(b">", None, &3));
    assert_eq!(plain_of(&s, "other"), [] as [u32; 0]);
    assert_eq!(plain_of(&s, "foo.bar"), [1]);
}

#[test]
fn cache_hits_are_counted() {
    let s = list(&[("foo", 1), ("foo", 2), ("foo", 3)]);
    s.insert(b"foo", Some(b"q"), 4).unwrap();
    let first = s.matches(b"foo");
    let second = s.matches(b"foo");
    assert!(Arc::ptr_eq(&first, &second));
    s.matches(b"bar");
    let st = s.stats();
    assert_eq!((st.matches, st.cache_hits, st.cache_entries), (3, 1, 2));
    assert_eq!(st.max_fanout, 4, "three plain plus one queue group");
    assert!((st.avg_fanout - 2.0).abs() < 1e-9);
    assert!((st.cache_hit_rate() - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!((st.subscriptions, st.inserts, st.removes), (4, 4, 0));
}

#[test]
fn cache_stays_bounded() {
    let s = list(&[("foo.*", 1)]);
    for i in 0..3000 {
        let subject = format!("foo.{i}");
        assert_eq!(plain_of(&s, &subject), [1]);
        let n = s.stats().cache_entries;
        assert!(n <= cache::CACHE_MAX as u64, "{n} entries after {i}");
    }
    let n = s.stats().cache_entries;
    assert!(n > cache::CACHE_SWEEP as u64, "{n}");
    // Swept entries are simply recomputed.
    assert_eq!(plain_of(&s, "foo.0"), [1]);
}

#[test]
fn uncached_list_caches_nothing() {
    let s: Sublist<u32> = Sublist::without_cache();
    s.insert(b"foo", None, 1).unwrap();
    assert_eq!(plain_of(&s, "foo"), [1]);
    assert_eq!(plain_of(&s, "foo"), [1]);
    let st = s.stats();
    assert_eq!((st.cache_entries, st.cache_hits, st.matches), (0, 0, 2));
}

#[test]
fn generation_bumps_on_successful_changes_only() {
    let s: Sublist<u32> = Sublist::new();
    assert_eq!(s.generation(), 0);
    s.insert(b"foo", None, 1).unwrap();
    assert_eq!(s.generation(), 1);
    s.insert(b"foo.*", Some(b"q"), 2).unwrap();
    assert_eq!(s.generation(), 2);
    assert!(s.insert(b"foo..x", None, 3).is_err());
    assert!(!s.remove(b"foo", None, &9));
    s.matches(b"foo");
    assert_eq!(s.generation(), 2);
    assert!(s.remove(b"foo", None, &1));
    assert_eq!(s.generation(), 3);
}

#[test]
fn for_each_visits_every_item() {
    let s = list(&[("a", 1), ("a.b", 2), ("*", 3), ("a.>", 4), ("a", 5)]);
    s.insert(b"a.*", Some(b"q"), 6).unwrap();
    s.insert(b"a.*", Some(b"r"), 7).unwrap();
    let mut seen = Vec::new();
    s.for_each(|&x| seen.push(x));
    seen.sort_unstable();
    assert_eq!(seen, [1, 2, 3, 4, 5, 6, 7]);
}

#[test]
fn very_deep_subjects_do_not_overflow_the_stack() {
    let n = 100_000;
    let stars = vec!["*"; n].join(".");
    let literal = vec!["a"; n].join(".");
    let s = Sublist::new();
    s.insert(stars.as_bytes(), None, 1).unwrap();
    s.insert(literal.as_bytes(), None, 2).unwrap();
    assert_eq!(plain_of(&s, &literal), [1, 2]);
    assert_eq!(plain_of(&s, &stars), [1]);
    assert!(s.remove(stars.as_bytes(), None, &1));
    assert!(s.remove(literal.as_bytes(), None, &2));
    assert_eq!(shape(&s), (1, 0));
    drop(s);
}

#[test]
fn sublist_is_send_and_sync() {
    fn check<S: Send + Sync>() {}
    check::<Sublist<u32>>();
    check::<Arc<SublistResult<u32>>>();
}

#[test]
fn stats_of_two_sublists_add_up() {
    let (a, b) = (Sublist::new(), Sublist::new());
    a.insert(b"x", None, 1).unwrap();
    a.insert(b"x", None, 2).unwrap();
    b.insert(b"y", None, 3).unwrap();
    b.insert(b"z", None, 4).unwrap();
    // a caches x (fanout 2); b caches y and z (fanout 1 each), and y is matched twice.
    let _ = a.matches(b"x");
    for subject in [b"y", b"y", b"z"] {
        let _ = b.matches(subject);
    }
    let mut total = a.stats();
    total.add(&b.stats());
    assert_eq!(total.subscriptions, 4);
    assert_eq!(total.inserts, 4);
    assert_eq!(total.matches, 4);
    assert_eq!(total.cache_hits, 1);
    assert_eq!(total.cache_entries, 3);
    assert_eq!(total.max_fanout, 2);
    assert!(
        (total.avg_fanout - 4.0 / 3.0).abs() < 1e-9,
        "{}",
        total.avg_fanout
    );
    assert!((total.cache_hit_rate() - 0.25).abs() < 1e-9);
}
