//! Value syntax: separators, comments, strings, numbers, suffixes, booleans, date-times,
//! maps and arrays, and positions.

use rnats_conf::{Map, ValueKind, parse_str};

fn root(text: &str) -> Map {
    match parse_str(text) {
        Ok(doc) => doc.root,
        Err(e) => panic!("parse of {text:?} failed: {e}"),
    }
}

fn kind(text: &str) -> ValueKind {
    let map = root(&format!("k: {text}\n"));
    map.get("k")
        .map(|e| e.value.kind.clone())
        .unwrap_or(ValueKind::Bool(false))
}

fn s(text: &str) -> ValueKind {
    ValueKind::String(text.to_string())
}

#[test]
fn key_value_separators() {
    for text in [
        "port: 4222",
        "port = 4222",
        "port 4222",
        "port\n: 4222",
        "port :4222",
    ] {
        let map = root(text);
        assert_eq!(
            map.get("port").map(|e| &e.value.kind),
            Some(&ValueKind::Integer(4222))
        );
    }
    assert_eq!(kind(":=1"), s(":=1"));
    assert_eq!(
        root("port:=1").get("port").map(|e| &e.value.kind),
        Some(&s("=1"))
    );
}

#[test]
fn comments_and_entry_separators() {
    let map = root("# c\n// c\na: 1 # c\nb: 2 // c\nc: 3; d: 4, e: 5\n");
    let keys: Vec<_> = map.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["a", "b", "c", "d", "e"]);
    assert_eq!(kind("a#b"), s("a#b"));
    assert_eq!(kind("a//b"), s("a//b"));
}

#[test]
fn quoted_keys_and_strings() {
    let map = root("\"a b\": 1\n'c': \"x\\ty\\n\\\"\\\\\\x41\"\nd: 'raw\\t'\n");
    assert!(map.get("a b").is_some());
    assert_eq!(map.get("c").map(|e| &e.value.kind), Some(&s("x\ty\n\"\\A")));
    assert_eq!(map.get("d").map(|e| &e.value.kind), Some(&s("raw\\t")));
    assert_eq!(kind("\"multi\nline\""), s("multi\nline"));
}

#[test]
fn bare_strings() {
    assert_eq!(kind("nats://host:4222"), s("nats://host:4222"));
    assert_eq!(kind("localhost"), s("localhost"));
    assert_eq!(kind("0.0.0.0"), s("0.0.0.0"));
    assert_eq!(kind("127.0.0.1:4222"), s("127.0.0.1:4222"));
    assert_eq!(kind("a.b.c"), s("a.b.c"));
    assert_eq!(kind("$2a$11$abc"), s("$2a$11$abc"));
    assert_eq!(kind("a'"), s("a"));
    assert_eq!(root("k:").get("k").map(|e| &e.value.kind), Some(&s("")));
    assert_eq!(root("k: }").get("k").map(|e| &e.value.kind), Some(&s("")));
}

#[test]
fn block_strings() {
    assert_eq!(
        kind("(\nline one\nline two\n)"),
        s("\nline one\nline two\n")
    );
    assert_eq!(
        root("k: (abc\n)").get("k").map(|e| &e.value.kind),
        Some(&s("abc\n)"))
    );
}

#[test]
fn booleans_in_any_case() {
    for word in ["true", "TRUE", "Yes", "on", "oN"] {
        assert_eq!(kind(word), ValueKind::Bool(true), "{word}");
    }
    for word in ["false", "No", "OFF"] {
        assert_eq!(kind(word), ValueKind::Bool(false), "{word}");
    }
    assert_eq!(kind("truex"), s("truex"));
    assert_eq!(kind("\"true\""), s("true"));
}

#[test]
fn numbers() {
    assert_eq!(kind("42"), ValueKind::Integer(42));
    assert_eq!(kind("01"), ValueKind::Integer(1));
    assert_eq!(kind("-1"), ValueKind::Integer(-1));
    assert_eq!(kind("1.5"), ValueKind::Float(1.5));
    assert_eq!(kind("-1.5"), ValueKind::Float(-1.5));
    assert_eq!(kind("9223372036854775807"), ValueKind::Integer(i64::MAX));
    assert_eq!(kind("+1"), s("+1"));
    assert_eq!(kind("0x10"), s("0x10"));
    assert_eq!(kind("1_000"), s("1_000"));
    assert_eq!(kind("1.2.3"), s("1.2.3"));
    assert_eq!(kind("-1.2.3"), s("-1.2.3"));
}

#[test]
fn size_suffixes() {
    let cases: [(&str, i64); 14] = [
        ("1k", 1000),
        ("1K", 1000),
        ("1kb", 1024),
        ("1KiB", 1024),
        ("1ki", 1024),
        ("1m", 1_000_000),
        ("1MB", 1 << 20),
        ("1mib", 1 << 20),
        ("1g", 1_000_000_000),
        ("1gb", 1 << 30),
        ("1t", 1_000_000_000_000),
        ("1tb", 1 << 40),
        ("1pb", 1 << 50),
        ("1eb", 1 << 60),
    ];
    for (text, n) in cases {
        assert_eq!(kind(text), ValueKind::Integer(n), "{text}");
    }
    assert_eq!(kind("-5k"), ValueKind::Integer(-5000));
    // A bare duration-looking `2m` is a size-suffixed integer; `2s` stays a string.
    assert_eq!(kind("2m"), ValueKind::Integer(2_000_000));
    assert_eq!(kind("2s"), s("2s"));
    assert_eq!(kind("\"2m\""), s("2m"));
    assert_eq!(kind("100ms"), s("100ms"));
    assert_eq!(kind("1kk"), s("1kk"));
    // The reference multiplies without overflow checks.
    assert_eq!(kind("10eb"), ValueKind::Integer(-6917529027641081856));
}

#[test]
fn datetimes() {
    assert_eq!(
        kind("2016-05-04T18:53:41Z"),
        ValueKind::Datetime("2016-05-04T18:53:41Z".into())
    );
}

#[test]
fn maps_and_arrays() {
    let map = root("cluster {\n  name: x\n  port: -1, routes: [a, \"b\"\n 1k]\n}\nempty: []\n");
    let Some(ValueKind::Map(cluster)) = map.get("cluster").map(|e| &e.value.kind) else {
        panic!("cluster is not a map");
    };
    assert_eq!(cluster.len(), 3);
    let routes = cluster.get("routes").map(|e| &e.value.kind);
    let expected = vec![s("a"), s("b"), ValueKind::Integer(1000)];
    match routes {
        Some(ValueKind::Array(items)) => {
            let kinds: Vec<_> = items.iter().map(|v| v.kind.clone()).collect();
            assert_eq!(kinds, expected);
        }
        other => panic!("routes: {other:?}"),
    }
    assert_eq!(
        map.get("empty").map(|e| &e.value.kind),
        Some(&ValueKind::Array(vec![]))
    );
    for text in [
        "c = {a: 1}",
        "c: {a: 1}",
        "c {a: 1}",
        "c\n{a: 1}",
        "c {a 1;}",
    ] {
        assert!(matches!(
            root(text).get("c").map(|e| &e.value.kind),
            Some(ValueKind::Map(_))
        ));
    }
    assert_eq!(kind("[1]").type_name(), "array");
}

#[test]
fn top_level_braces_are_transparent() {
    let map = root("{port: 1}\nname: x\n}\n");
    assert_eq!(map.len(), 2);
    assert!(root("{{port: 1}}").get("port").is_some());
}

#[test]
fn duplicate_keys_last_wins() {
    let map = root("port: 1\nname: a\nport: 2\n");
    assert_eq!(map.len(), 2);
    assert_eq!(
        map.get("port").map(|e| &e.value.kind),
        Some(&ValueKind::Integer(2))
    );
    assert_eq!(
        map.get_ignore_case("PORT").map(|e| e.key.as_str()),
        Some("port")
    );
}

#[test]
fn positions() {
    let map = root("a: 1\n  b: \"x\"\nc {\n  d: [ 5 ]\n}\n");
    let a = map.get("a").map(|e| e.key_position.clone());
    assert_eq!(a.map(|p| (p.line, p.column)), Some((1, 1)));
    let b = map
        .get("b")
        .map(|e| (e.key_position.clone(), e.value.position.clone()));
    let (bk, bv) = b.unwrap_or_else(|| panic!("b missing"));
    assert_eq!((bk.line, bk.column, bv.line, bv.column), (2, 3, 2, 7));
    assert_eq!(bk.to_string(), "2:3");
    let Some(ValueKind::Map(c)) = map.get("c").map(|e| &e.value.kind) else {
        panic!("c")
    };
    let Some(ValueKind::Array(d)) = c.get("d").map(|e| &e.value.kind) else {
        panic!("d")
    };
    assert_eq!(
        d.first().map(|v| (v.position.line, v.position.column)),
        Some((4, 8))
    );
    // The reference prints 0-based columns on the first line only.
    assert_eq!(
        map.get("a").map(|e| e.key_position.to_string()),
        Some("1:0".to_string())
    );
}
