//! Variables: scope lookup, used-as-variable marking and environment variables.

use rnats_conf::{ValueKind, parse_str};

fn get(text: &str, key: &str) -> Option<ValueKind> {
    let doc = parse_str(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    doc.root.get(key).map(|e| e.value.kind.clone())
}

#[test]
fn variables_resolve_innermost_first() {
    let text = "X = 4\ncluster { X = 5, port: $X }\nport: $X\n";
    let doc = parse_str(text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        doc.root.get("port").map(|e| &e.value.kind),
        Some(&ValueKind::Integer(4))
    );
    let Some(ValueKind::Map(cluster)) = doc.root.get("cluster").map(|e| &e.value.kind) else {
        panic!("cluster");
    };
    assert_eq!(
        cluster.get("port").map(|e| &e.value.kind),
        Some(&ValueKind::Integer(5))
    );
    assert!(doc.root.get("X").is_some_and(|e| e.used_as_variable));
    assert!(!doc.root.get("port").is_some_and(|e| e.used_as_variable));
}

#[test]
fn variable_value_position_is_the_reference() {
    let doc = parse_str("X = 4\nport: $X\n").unwrap_or_else(|e| panic!("{e}"));
    let p = doc
        .root
        .get("port")
        .map(|e| (e.value.position.line, e.value.position.column));
    assert_eq!(p, Some((2, 7)));
}

#[test]
fn variable_names_run_to_the_value_end() {
    assert_eq!(
        get("X.Y = 4\nport: $X.Y", "port"),
        Some(ValueKind::Integer(4))
    );
    assert_eq!(get("X = 4\nport: $X,", "port"), Some(ValueKind::Integer(4)));
    assert_eq!(
        get("X = [1]\nports: [$X]", "ports").map(|k| k.type_name()),
        Some("array")
    );
    assert_eq!(
        get("X = 4\ns: \"$X\"", "s"),
        Some(ValueKind::String("$X".into()))
    );
}

#[test]
fn environment_values_are_parsed() {
    // Only this test changes the environment, and only variables it alone reads.
    unsafe {
        std::env::set_var("RNATS_CONF_T_SIZE", "1MB");
        std::env::set_var("RNATS_CONF_T_STR", "\"1k\"");
        std::env::set_var("RNATS_CONF_T_MAP", "{a: 1}");
        std::env::set_var("RNATS_CONF_T_EMPTY", "");
        std::env::set_var("RNATS_CONF_T_CHAIN", "$RNATS_CONF_T_SIZE");
        std::env::set_var("RNATS_CONF_T_LOOP", "$RNATS_CONF_T_LOOP");
        std::env::set_var("RNATS_CONF_T_BAD", "a b");
        std::env::set_var("RNATS_CONF_T_SHADOW", "1");
    }
    let shadow = get("RNATS_CONF_T_SHADOW = 2\na: $RNATS_CONF_T_SHADOW", "a");
    assert_eq!(shadow, Some(ValueKind::Integer(2)));
    assert_eq!(
        get("a: $RNATS_CONF_T_SIZE", "a"),
        Some(ValueKind::Integer(1 << 20))
    );
    assert_eq!(
        get("a: $RNATS_CONF_T_STR", "a"),
        Some(ValueKind::String("1k".into()))
    );
    assert_eq!(
        get("a: $RNATS_CONF_T_MAP", "a").map(|k| k.type_name()),
        Some("map")
    );
    assert_eq!(
        get("a: $RNATS_CONF_T_EMPTY", "a"),
        Some(ValueKind::String(String::new()))
    );
    assert_eq!(
        get("a: $RNATS_CONF_T_CHAIN", "a"),
        Some(ValueKind::Integer(1 << 20))
    );
    let cycle = parse_str("a: $RNATS_CONF_T_LOOP")
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert_eq!(
        cycle,
        "variable reference for 'RNATS_CONF_T_LOOP' on line 1 could not be parsed: variable \
         reference for 'RNATS_CONF_T_LOOP' on line 1 could not be parsed: variable reference \
         cycle for 'RNATS_CONF_T_LOOP'"
    );
    let bad = parse_str("\na: $RNATS_CONF_T_BAD")
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert_eq!(
        bad,
        "variable reference for 'RNATS_CONF_T_BAD' on line 2 could not be parsed: Parse error on \
         line 1: 'Expected a top-level value to end with a new line, comment or EOF, but got 'b' \
         instead.'"
    );
}
