use super::*;

/// (subject, valid SUB subject, valid literal subject)
const SUBJECTS: &[(&[u8], bool, bool)] = &[
    (b"foo", true, true),
    (b"foo.bar", true, true),
    (b"foo.bar.baz", true, true),
    (b"*", true, false),
    (b">", true, false),
    (b"foo.*", true, false),
    (b"foo.>", true, false),
    (b"*.bar", true, false),
    (b"*.*.>", true, false),
    (b"foo.*.bar", true, false),
    (b"foo*", true, true),
    (b"*foo", true, true),
    (b"a>", true, true),
    (b">a", true, true),
    (b"foo.a>.bar", true, true),
    (b"foo.**", true, true),
    (b"foo.>>", true, true),
    (b"foo.>.bar", false, false),
    (b">.foo", false, false),
    (b">.>", false, false),
    (b"", false, false),
    (b".", false, false),
    (b"..", false, false),
    (b".a", false, false),
    (b"a.", false, false),
    (b"a..b", false, false),
    (b"foo.", false, false),
    (b"foo bar", false, false),
    (b"foo\tbar", false, false),
    (b"foo\nbar", false, false),
    (b"foo\rbar", false, false),
    (b"foo\x0cbar", false, false),
    (b" ", false, false),
    (b"foo. ", false, false),
    (b"foo.\t", false, false),
    (b"\xff\xfe.bar", true, true),
    (b"caf\xc3\xa9.*", true, false),
    (b"foo\x0bbar", true, true),
    (b"foo\x00bar", true, true),
];

fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn subject_validity_table() {
    for &(subject, valid, literal) in SUBJECTS {
        assert_eq!(
            is_valid_subject(subject),
            valid,
            "is_valid_subject({:?})",
            show(subject)
        );
        assert_eq!(
            is_valid_literal_subject(subject),
            literal,
            "is_valid_literal_subject({:?})",
            show(subject)
        );
    }
}

#[test]
fn literal_table() {
    let cases: &[(&[u8], bool)] = &[
        (b"foo", true),
        (b"foo.bar", true),
        (b"foo*", true),
        (b"a>", true),
        (b"*a.b", true),
        (b"a.>b", true),
        (b"*", false),
        (b">", false),
        (b"foo.*", false),
        (b"*.foo", false),
        (b"foo.>", false),
        (b"a.*.b", false),
        (b"foo.>.bar", false),
        // Not validated: only the wildcard question is answered.
        (b"", true),
        (b"a..b", true),
        (b"a..*", false),
        (b".>", false),
    ];
    for &(subject, want) in cases {
        assert_eq!(is_literal(subject), want, "is_literal({:?})", show(subject));
    }
}

#[test]
fn queue_name_table() {
    let cases: &[(&[u8], bool)] = &[
        (b"q", true),
        (b"q.x", true),
        (b"q*", true),
        (b"*", true),
        (b">", true),
        (b"a..b", true),
        (b".", true),
        (b"\xff", true),
        (b"", false),
        (b"q x", false),
        (b"q\t", false),
        (b"\nq", false),
        (b"q\r", false),
        (b"q\x0c", false),
    ];
    for &(queue, want) in cases {
        assert_eq!(
            is_valid_queue_name(queue),
            want,
            "is_valid_queue_name({:?})",
            show(queue)
        );
    }
}

#[test]
fn subject_matches_table() {
    let cases: &[(&[u8], &[u8], bool)] = &[
        (b"foo", b"foo", true),
        (b"foo", b"bar", false),
        (b"foo", b"foo.bar", false),
        (b"foo.bar", b"foo", false),
        (b"*", b"foo", true),
        (b"*", b"foo.bar", false),
        (b"foo.*", b"foo.bar", true),
        (b"foo.*", b"foo", false),
        (b"foo.*", b"foo.bar.baz", false),
        (b"*.bar", b"foo.bar", true),
        (b"foo.*.baz", b"foo.bar.baz", true),
        (b">", b"foo", true),
        (b">", b"foo.bar.baz", true),
        (b"foo.>", b"foo", false),
        (b"foo.>", b"foo.bar", true),
        (b"foo.>", b"foo.bar.baz", true),
        (b"foo.>", b"bar.baz", false),
        (b"*.>", b"foo.bar", true),
        (b"*.>", b"foo", false),
        // Wildcards are only whole tokens.
        (b"foo*", b"foo", false),
        (b"foo*", b"foobar", false),
        (b"foo*", b"foo*", true),
        (b"a>", b"a.b", false),
        (b"a>", b"a>", true),
        // Published wildcard-looking tokens are literals seen only by wildcards.
        (b"foo.*", b"foo.*", true),
        (b"foo.>", b"foo.*", true),
        (b"foo.>", b"foo.>", true),
        (b"foo.bar", b"foo.*", false),
        (b"foo.bar", b"foo.>", false),
        (b"*", b">", true),
        // Published subjects with empty tokens match nothing.
        (b">", b"", false),
        (b">", b"a..b", false),
        (b">", b"a.", false),
        (b">", b".a", false),
        (b"foo.>", b"foo.bar.", false),
        (b"foo.*", b"foo.", false),
        (b"*", b"", false),
        // Invalid filters match nothing.
        (b"foo.>.bar", b"foo.x.bar", false),
        (b"", b"", false),
        (b"a..b", b"a..b", false),
        (b"foo bar", b"foo bar", false),
        // Whitespace in a published subject is only a literal byte to match.
        (b">", b"foo bar", true),
        (b"*", b"foo bar", true),
    ];
    for &(filter, subject, want) in cases {
        assert_eq!(
            subject_matches(filter, subject),
            want,
            "subject_matches({:?}, {:?})",
            show(filter),
            show(subject)
        );
    }
}

#[test]
fn filters_collide_when_one_subject_matches_both() {
    let cases: &[(&[u8], &[u8], bool)] = &[
        (b"a.b", b"a.b", true),
        (b"a.b", b"a.c", false),
        (b"a.*", b"*.b", true),
        (b"a.>", b"a", false),
        (b"a.>", b"a.b.c", true),
        (b">", b"x", true),
        (b"a.*", b"a.b.c", false),
        (b"a.*.c", b"a.>", true),
        (b"x.>", b"y.>", false),
    ];
    for &(a, b, want) in cases {
        assert_eq!(subjects_collide(a, b), want, "{:?} {:?}", show(a), show(b));
        assert_eq!(subjects_collide(b, a), want, "{:?} {:?}", show(b), show(a));
    }
}
