//! The configuration digest the reference server prints and reports in `/varz`.
//!
//! Established by black-box experiments: it is the SHA-256 of the parsed tree encoded
//! as compact JSON with map keys sorted bytewise, `<`, `>` and `&` escaped as
//! `\u003c`-style sequences, date-times as strings, and a trailing newline. It is
//! therefore independent of formatting, comments, variables syntax and includes.

use sha2::{Digest, Sha256};

use crate::value::{Map, Value, ValueKind};

/// `"sha256:<hex>"` of the JSON encoding of `root`.
pub(crate) fn digest(root: &Map) -> String {
    let mut json = String::new();
    write_map(&mut json, root);
    json.push('\n');
    let hash = Sha256::digest(json.as_bytes());
    let mut out = String::from("sha256:");
    for byte in hash {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

fn write_map(out: &mut String, map: &Map) {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by(|a, b| a.key.as_bytes().cmp(b.key.as_bytes()));
    out.push('{');
    for (i, entry) in entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(out, &entry.key);
        out.push(':');
        write_value(out, &entry.value);
    }
    out.push('}');
}

fn write_value(out: &mut String, value: &Value) {
    match &value.kind {
        ValueKind::String(s) | ValueKind::Datetime(s) => write_string(out, s),
        ValueKind::Integer(n) => out.push_str(&n.to_string()),
        ValueKind::Float(f) => out.push_str(&format_float(*f)),
        ValueKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        ValueKind::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        ValueKind::Map(map) => write_map(out, map),
    }
}

/// Shortest round-trip form; exponent form outside [1e-6, 1e21) with at least one
/// exponent digit and an explicit sign.
pub(crate) fn format_float(f: f64) -> String {
    let abs = f.abs();
    if abs == 0.0 || (1e-6..1e21).contains(&abs) {
        return format!("{f}");
    }
    let text = format!("{f:e}");
    match text.split_once('e') {
        Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp}"),
        _ => text,
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // U+FFFD stands for bytes that were not UTF-8, which the reference escapes.
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' | '\u{fffd}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_match_reference_json() {
        assert_eq!(format_float(2.5), "2.5");
        assert_eq!(format_float(1e21), "1e+21");
        assert_eq!(format_float(1e-7), "1e-7");
        assert_eq!(format_float(100.0), "100");
    }

    #[test]
    fn escapes_html_characters() {
        let mut out = String::new();
        write_string(&mut out, "a<b&c>\"\u{1}");
        assert_eq!(out, "\"a\\u003cb\\u0026c\\u003e\\\"\\u0001\"");
    }
}
