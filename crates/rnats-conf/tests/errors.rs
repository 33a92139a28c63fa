//! Error texts and positions, as the reference server prints them in `-t` mode.

use rnats_conf::parse_str;

fn err(text: &str) -> String {
    match parse_str(text) {
        Ok(doc) => panic!("{text:?} parsed: {:?}", doc.root),
        Err(e) => e.to_string(),
    }
}

#[test]
fn unknown_variable() {
    assert_eq!(
        err("a: $NOPE_RNATS_CONF"),
        "variable reference for 'NOPE_RNATS_CONF' on line 1 can not be found"
    );
    assert_eq!(
        err("X = 4\nport: $x"),
        "variable reference for 'x' on line 2 can not be found"
    );
    assert_eq!(
        err("port: $X\nX = 4"),
        "variable reference for 'X' on line 1 can not be found"
    );
}

#[test]
fn unterminated_strings() {
    assert_eq!(err("a: \"abc"), "Parse error on line 1: 'Unexpected EOF.'");
    assert_eq!(
        err("a: \"abc\n\n"),
        "Parse error on line 3: 'Unexpected EOF.'"
    );
    assert_eq!(err("a: 'abc\n"), "Parse error on line 2: 'Unexpected EOF.'");
    assert_eq!(
        err("a: (abc)"),
        "Parse error on line 1: 'Unexpected EOF processing block.'"
    );
}

#[test]
fn unbalanced_brackets() {
    assert_eq!(
        err("a {"),
        "Parse error on line 1: 'Unexpected EOF processing map.'"
    );
    assert_eq!(
        err("c {\nname: x\n"),
        "Parse error on line 3: 'Unexpected EOF processing map.'"
    );
    assert_eq!(
        err("c {name: x"),
        "Parse error on line 1: 'Expected a map value terminator \",\" or a map terminator \"}\", but got '\0' instead.'"
    );
    assert_eq!(
        err("c {name: x]"),
        "Parse error on line 1: 'Expected a map value terminator \",\" or a map terminator \"}\", but got ']' instead.'"
    );
    assert_eq!(
        err("a: [1,2"),
        "Parse error on line 1: 'Expected an array value terminator \",\" or an array terminator \"]\", but got '\0' instead.'"
    );
    assert_eq!(
        err("a: [a,,b]"),
        "Parse error on line 1: 'Unexpected array value terminator ','.'"
    );
    assert_eq!(
        err("c {name}"),
        "Parse error on line 1: 'Unexpected EOF processing map key.'"
    );
    assert_eq!(
        err("{\nport: 1"),
        "Parse error on line 2: 'Expected a block-level value to end with a new line, comment or EOF, but got '\0' instead.'"
    );
}

#[test]
fn missing_values() {
    assert_eq!(
        err("port:\n"),
        "Parse error on line 2: 'Expected value but found new line'"
    );
    assert_eq!(err("b"), "config is invalid (:1:1)");
    assert_eq!(err("a: 1\nport"), "config is invalid (:2:5)");
    assert_eq!(
        err("include\n"),
        "Parse error on line 2: 'Expected include value but found new line'"
    );
}

#[test]
fn trailing_garbage() {
    let top = |c: &str| {
        format!(
            "Parse error on line 1: 'Expected a top-level value to end with a new line, comment or EOF, but got '{c}' instead.'"
        )
    };
    assert_eq!(err("a: x y"), top("y"));
    assert_eq!(err("a: 1k2"), top("2"));
    assert_eq!(err("a: 1.5x"), top("x"));
    assert_eq!(err("a: -1x"), top("x"));
    assert_eq!(err("a: 1 / c"), top("c"));
    assert_eq!(err("a: \"x\"y"), top("y"));
}

#[test]
fn scalar_errors() {
    assert_eq!(
        err("a: \"\\q\""),
        "Parse error on line 1: 'Invalid escape character 'q'. Only the following escape characters are allowed: \\xXX, \\t, \\n, \\r, \\\", \\\\.'"
    );
    assert_eq!(
        err("a: \"\\xZZ\""),
        "Parse error on line 1: 'Expected two hexadecimal digits after '\\x', but got 'ZZ''"
    );
    assert_eq!(
        err("a: -x"),
        "Parse error on line 1: 'Expected a digit but got 'x'.'"
    );
    assert_eq!(
        err("a: -\n"),
        "Parse error on line 2: 'Expected a digit but got '\\n'.'"
    );
    assert_eq!(
        err("a: 1."),
        "Parse error on line 1: 'Floats must have a digit after the '.', but got '\0' instead.'"
    );
    assert_eq!(
        err("a: .5"),
        "Parse error on line 1: 'Floats must start with a digit'"
    );
    assert_eq!(
        err("a: 9223372036854775808"),
        "integer '9223372036854775808' is out of the range"
    );
    assert_eq!(
        err("a: 1-2"),
        "Parse error on line 1: 'All ISO8601 dates must be in full Zulu form.'"
    );
    assert_eq!(
        err("a: 2016-05-04T18:53Z"),
        "Parse error on line 1: 'Expected ':' in ISO8601 datetime, but found 'Z' instead.'"
    );
    assert_eq!(
        err("a: 2016-0x-04T18:53:41Z"),
        "Parse error on line 1: 'Expected digit in ISO8601 datetime, but found 'x' instead.'"
    );
    assert_eq!(
        err("a: 2016-13-04T18:53:41Z"),
        "expected Zulu formatted DateTime, but got '2016-13-04T18:53:41Z'"
    );
}

#[test]
fn error_accessors() {
    let Err(e) = parse_str("a: 1\nb: \"x") else {
        panic!("should fail")
    };
    assert_eq!(e.message(), "Unexpected EOF.");
    assert_eq!(e.position().map(|p| p.line), Some(2));
}

#[test]
fn nesting_is_capped() {
    let deep = format!("a: {}", "[".repeat(100_000));
    assert!(err(&deep).contains("Maximum nesting depth"));
    let deep_maps = format!("a {}", "{b ".repeat(100_000));
    assert!(err(&deep_maps).contains("Maximum nesting depth"));
    let braces = "{".repeat(100_000);
    assert!(err(&braces).contains("Maximum nesting depth"));
}

#[test]
fn variable_expansion_is_bounded() {
    let mut text = String::from("v0 = [1, 2, 3, 4, 5, 6, 7, 8]\n");
    for i in 1..12 {
        let p = i - 1;
        text.push_str(&format!(
            "v{i} = [$v{p}, $v{p}, $v{p}, $v{p}, $v{p}, $v{p}, $v{p}, $v{p}]\n"
        ));
    }
    assert!(err(&text).contains("expands too much"));
}
