//! JSON text as Go's `encoding/json` writes it, so responses are byte-compatible where the
//! values are equal.
//!
//! Three things differ from serde_json's defaults: Go escapes `<`, `>`, `&`, U+2028 and U+2029
//! inside strings (so `foo.>` is written `foo.\u003e`); it writes integral floats without a
//! fraction (`2`, not `2.0`) and tiny or huge ones with an exponent like `1e-07` → `1e-7`;
//! and `MarshalIndent` puts each value on its own line with a fixed indent (two spaces for
//! most endpoints, three for `/ipqueuesz`).

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::Formatter;

/// Serializes `value` as `json.MarshalIndent(value, "", indent)` would; `None` is
/// `json.Marshal` (compact).
pub(crate) fn to_vec<T: Serialize>(value: &T, indent: Option<&'static str>) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    let formatter = GoFormatter {
        indent: indent.map(str::as_bytes),
        depth: 0,
        has_value: false,
    };
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    // The values are plain structs, strings, numbers and maps with string keys: writing them
    // into memory cannot fail.
    if value.serialize(&mut serializer).is_err() {
        debug_assert!(false, "monitoring JSON serialization failed");
    }
    out
}

/// A serde_json formatter that writes what Go writes.
struct GoFormatter {
    /// One level of indentation; `None` writes compact JSON.
    indent: Option<&'static [u8]>,
    depth: usize,
    /// Whether the innermost open array or object has an element yet.
    has_value: bool,
}

impl GoFormatter {
    fn newline<W: ?Sized + Write>(&self, writer: &mut W) -> io::Result<()> {
        let Some(indent) = self.indent else {
            return Ok(());
        };
        writer.write_all(b"\n")?;
        for _ in 0..self.depth {
            writer.write_all(indent)?;
        }
        Ok(())
    }

    fn open<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        writer.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth = self.depth.saturating_sub(1);
        if self.has_value {
            self.newline(writer)?;
        }
        writer.write_all(bracket)
    }

    fn element<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        if !first {
            writer.write_all(b",")?;
        }
        self.newline(writer)
    }
}

impl Formatter for GoFormatter {
    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.element(writer, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.element(writer, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(if self.indent.is_some() { b": " } else { b":" })
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn write_f64<W: ?Sized + Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        writer.write_all(go_float(value).as_bytes())
    }

    fn write_f32<W: ?Sized + Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        self.write_f64(writer, f64::from(value))
    }

    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (at, c) in fragment.char_indices() {
            let escaped = match c {
                '<' => "\\u003c",
                '>' => "\\u003e",
                '&' => "\\u0026",
                '\u{2028}' => "\\u2028",
                '\u{2029}' => "\\u2029",
                _ => continue,
            };
            writer.write_all(&fragment.as_bytes()[start..at])?;
            writer.write_all(escaped.as_bytes())?;
            start = at + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

/// A float as Go's `encoding/json` writes it: the shortest text that reads back the same,
/// without a fraction when integral, with an exponent below 1e-6 or from 1e21 on.
fn go_float(value: f64) -> String {
    if !value.is_finite() {
        // Go refuses to encode these; nothing the monitor reports can be one.
        return "0".to_owned();
    }
    let magnitude = value.abs();
    if magnitude != 0.0 && !(1e-6..1e21).contains(&magnitude) {
        // Rust writes `1e-7` and `1e21`; Go writes `1e-07` then trims it to `1e-7`, and `1e+21`.
        let text = format!("{value:e}");
        return match text.split_once('e') {
            Some((mantissa, exponent)) if !exponent.starts_with('-') => {
                format!("{mantissa}e+{exponent}")
            }
            _ => text,
        };
    }
    // Display never uses an exponent and leaves integral values without a fraction.
    format!("{value}")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[derive(Serialize)]
    struct Sample {
        subject: &'static str,
        rate: f64,
        list: Vec<u32>,
        empty: Vec<u32>,
        nested: BTreeMap<&'static str, u32>,
        none: BTreeMap<&'static str, u32>,
    }

    fn sample() -> Sample {
        Sample {
            subject: "a.<b>&>",
            rate: 2.0,
            list: vec![1, 2],
            empty: vec![],
            nested: BTreeMap::from([("/varz", 1)]),
            none: BTreeMap::new(),
        }
    }

    #[test]
    fn indented_like_marshal_indent() {
        let text = String::from_utf8(to_vec(&sample(), Some("  "))).expect("utf-8");
        assert_eq!(
            text,
            "{\n  \"subject\": \"a.\\u003cb\\u003e\\u0026\\u003e\",\n  \"rate\": 2,\n  \
             \"list\": [\n    1,\n    2\n  ],\n  \"empty\": [],\n  \"nested\": {\n    \
             \"/varz\": 1\n  },\n  \"none\": {}\n}"
        );
    }

    #[test]
    fn compact_like_marshal() {
        let text = String::from_utf8(to_vec(&sample(), None)).expect("utf-8");
        assert_eq!(
            text,
            "{\"subject\":\"a.\\u003cb\\u003e\\u0026\\u003e\",\"rate\":2,\"list\":[1,2],\
             \"empty\":[],\"nested\":{\"/varz\":1},\"none\":{}}"
        );
    }

    #[test]
    fn floats_like_go() {
        assert_eq!(go_float(0.0), "0");
        assert_eq!(go_float(2.0), "2");
        assert_eq!(go_float(0.4444444444444444), "0.4444444444444444");
        assert_eq!(go_float(0.5714285714285714), "0.5714285714285714");
        assert_eq!(go_float(1.5), "1.5");
        assert_eq!(go_float(1e-7), "1e-7");
        assert_eq!(go_float(1e21), "1e+21");
        assert_eq!(go_float(123_456_789.0), "123456789");
        assert_eq!(go_float(f64::NAN), "0");
    }
}
