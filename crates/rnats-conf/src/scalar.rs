//! Lexing of scalar values: quoted, bare and block strings, numbers and date-times.

use crate::cursor::Cursor;
use crate::error::ConfError;
use crate::value::ValueKind;

/// Bytes that end a bare value (string, number or variable name).
pub(crate) fn ends_bare(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b',' | b';' | b'}' | b']')
}

fn syntax(cur: &Cursor<'_>, message: String) -> ConfError {
    ConfError::syntax(cur.error_position(), message)
}

/// Reads a bare string starting at `start` (which may precede the cursor).
///
/// A single quote ends the string and is dropped, as the reference server does.
pub(crate) fn bare_string(cur: &mut Cursor<'_>, start: usize) -> String {
    cur.bump_while(|b| !ends_bare(b) && b != b'\'');
    let text = cur.slice(start, cur.offset());
    if cur.peek() == Some(b'\'') {
        cur.bump();
    }
    text
}

/// Reads a bare string and turns the boolean words into booleans.
pub(crate) fn bare_value(cur: &mut Cursor<'_>) -> ValueKind {
    let start = cur.offset();
    let text = bare_string(cur, start);
    const TRUE: [&str; 3] = ["true", "yes", "on"];
    const FALSE: [&str; 3] = ["false", "no", "off"];
    if TRUE.iter().any(|w| w.eq_ignore_ascii_case(&text)) {
        ValueKind::Bool(true)
    } else if FALSE.iter().any(|w| w.eq_ignore_ascii_case(&text)) {
        ValueKind::Bool(false)
    } else {
        ValueKind::String(text)
    }
}

/// Reads a single-quoted string (cursor on the opening quote); no escapes.
pub(crate) fn single_quoted(cur: &mut Cursor<'_>) -> Result<String, ConfError> {
    cur.bump();
    let start = cur.offset();
    cur.bump_while(|b| b != b'\'');
    if cur.at_end() {
        return Err(syntax(cur, "Unexpected EOF.".into()));
    }
    let text = cur.slice(start, cur.offset());
    cur.bump();
    Ok(text)
}

/// Reads a double-quoted string (cursor on the opening quote), processing escapes.
pub(crate) fn double_quoted(cur: &mut Cursor<'_>) -> Result<String, ConfError> {
    cur.bump();
    let mut out: Vec<u8> = Vec::new();
    loop {
        match cur.peek() {
            None => return Err(syntax(cur, "Unexpected EOF.".into())),
            Some(b'"') => {
                cur.bump();
                return Ok(String::from_utf8_lossy(&out).into_owned());
            }
            Some(b'\\') => {
                cur.bump();
                out.push(escape(cur)?);
            }
            Some(b) => {
                out.push(b);
                cur.bump();
            }
        }
    }
}

/// Decodes one escape sequence (cursor just after the backslash).
fn escape(cur: &mut Cursor<'_>) -> Result<u8, ConfError> {
    let simple = match cur.peek() {
        Some(b't') => Some(b'\t'),
        Some(b'n') => Some(b'\n'),
        Some(b'r') => Some(b'\r'),
        Some(b'"') => Some(b'"'),
        Some(b'\\') => Some(b'\\'),
        _ => None,
    };
    if let Some(b) = simple {
        cur.bump();
        return Ok(b);
    }
    match cur.peek() {
        Some(b'x') => {
            cur.bump();
            let hex = |b: Option<u8>| b.and_then(|b| (b as char).to_digit(16));
            match (hex(cur.peek()), hex(cur.peek_at(1))) {
                (Some(hi), Some(lo)) => {
                    cur.bump();
                    cur.bump();
                    Ok((hi * 16 + lo) as u8)
                }
                _ => {
                    let got = cur.slice(cur.offset(), cur.offset() + 2);
                    Err(syntax(
                        cur,
                        format!("Expected two hexadecimal digits after '\\x', but got '{got}'"),
                    ))
                }
            }
        }
        None => Err(syntax(cur, "Unexpected EOF.".into())),
        Some(_) => Err(syntax(
            cur,
            format!(
                "Invalid escape character '{}'. Only the following escape characters are \
                 allowed: \\xXX, \\t, \\n, \\r, \\\", \\\\.",
                cur.show_current()
            ),
        )),
    }
}

/// Reads a block string `( ... )` (cursor on the opening parenthesis).
///
/// The block ends at a line holding only `)`. The text runs from just after `(` to the
/// newline before that line, inclusive; when the `)` is the last byte of the input the
/// reference server keeps the `)` in the text, and so does this parser.
pub(crate) fn block_string(cur: &mut Cursor<'_>) -> Result<String, ConfError> {
    cur.bump();
    let start = cur.offset();
    loop {
        cur.bump_while(|b| b != b'\n');
        if cur.at_end() {
            return Err(syntax(cur, "Unexpected EOF processing block.".into()));
        }
        cur.bump();
        if cur.peek() == Some(b')') {
            match cur.peek_at(1) {
                Some(b'\n') => {
                    let text = cur.slice(start, cur.offset());
                    cur.bump();
                    return Ok(text);
                }
                None => {
                    cur.bump();
                    return Ok(cur.slice(start, cur.offset()));
                }
                Some(_) => {}
            }
        }
    }
}

fn is_suffix_start(b: u8) -> bool {
    matches!(
        b.to_ascii_lowercase(),
        b'k' | b'm' | b'g' | b't' | b'p' | b'e'
    )
}

/// Reads a value starting with a digit or `-`: integer (with optional size suffix),
/// float, date-time, or a bare string when the token only looks numeric at first
/// (`1.2.3.4`, `0x10`, `2s`).
pub(crate) fn number_like(cur: &mut Cursor<'_>) -> Result<ValueKind, ConfError> {
    let start = cur.offset();
    let negative = cur.peek() == Some(b'-');
    if negative {
        cur.bump();
        if !cur.peek().is_some_and(|b| b.is_ascii_digit()) {
            let got = cur.show_current();
            return Err(syntax(cur, format!("Expected a digit but got '{got}'.")));
        }
    }
    cur.bump_while(|b| b.is_ascii_digit());
    let digits_end = cur.offset();
    match cur.peek() {
        Some(b'.') => float(cur, start),
        Some(b'-') if !negative => datetime(cur, start),
        Some(b) if is_suffix_start(b) => {
            let suffix_start = cur.offset();
            cur.bump();
            if cur.peek().is_some_and(|b| b.eq_ignore_ascii_case(&b'i')) {
                cur.bump();
            }
            if cur.peek().is_some_and(|b| b.eq_ignore_ascii_case(&b'b')) {
                cur.bump();
            }
            match cur.peek() {
                None => {}
                Some(b) if ends_bare(b) || b.is_ascii_digit() => {}
                Some(_) => return Ok(ValueKind::String(bare_string(cur, start))),
            }
            let suffix = cur.slice(suffix_start, cur.offset());
            integer(cur, start, digits_end, &suffix)
        }
        None => integer(cur, start, digits_end, ""),
        Some(b) if negative || ends_bare(b) => integer(cur, start, digits_end, ""),
        Some(_) => Ok(ValueKind::String(bare_string(cur, start))),
    }
}

/// Multiplier for a size suffix: a single letter is decimal, `b`/`i`/`ib` forms binary.
fn multiplier(suffix: &str) -> i64 {
    let lower = suffix.to_ascii_lowercase();
    let power = match lower.as_bytes().first() {
        Some(b'k') => 1,
        Some(b'm') => 2,
        Some(b'g') => 3,
        Some(b't') => 4,
        Some(b'p') => 5,
        Some(b'e') => 6,
        _ => 0,
    };
    if lower.len() == 1 {
        1000_i64.pow(power)
    } else {
        1_i64 << (10 * power)
    }
}

fn integer(
    cur: &Cursor<'_>,
    start: usize,
    digits_end: usize,
    suffix: &str,
) -> Result<ValueKind, ConfError> {
    let digits = cur.slice(start, digits_end);
    match digits.parse::<i64>() {
        // The reference server multiplies without overflow checks; so does this parser.
        Ok(n) => Ok(ValueKind::Integer(n.wrapping_mul(multiplier(suffix)))),
        Err(_) => {
            let token = cur.slice(start, cur.offset());
            Err(ConfError::plain(
                Some(cur.position()),
                format!("integer '{token}' is out of the range"),
            ))
        }
    }
}

/// Float after the integer part (cursor on the `.`); a second `.` makes it a bare string.
fn float(cur: &mut Cursor<'_>, start: usize) -> Result<ValueKind, ConfError> {
    cur.bump();
    if !cur.peek().is_some_and(|b| b.is_ascii_digit()) {
        let got = cur.show_current();
        return Err(syntax(
            cur,
            format!("Floats must have a digit after the '.', but got '{got}' instead."),
        ));
    }
    cur.bump_while(|b| b.is_ascii_digit());
    if cur.peek() == Some(b'.') {
        return Ok(ValueKind::String(bare_string(cur, start)));
    }
    let text = cur.slice(start, cur.offset());
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() => Ok(ValueKind::Float(f)),
        _ => Err(ConfError::plain(
            Some(cur.position()),
            format!("float '{text}' is out of the range"),
        )),
    }
}

/// ISO8601 Zulu date-time `YYYY-MM-DDTHH:MM:SSZ` (cursor on the first `-`).
fn datetime(cur: &mut Cursor<'_>, start: usize) -> Result<ValueKind, ConfError> {
    if cur.offset() - start != 4 {
        return Err(syntax(
            cur,
            "All ISO8601 dates must be in full Zulu form.".into(),
        ));
    }
    for expected in "-DD-DDTDD:DD:DDZ".bytes() {
        let got = cur.peek();
        let ok = if expected == b'D' {
            got.is_some_and(|b| b.is_ascii_digit())
        } else {
            got == Some(expected)
        };
        if !ok {
            let shown = cur.show_current();
            let what = if expected == b'D' {
                "digit".to_string()
            } else {
                format!("'{}'", expected as char)
            };
            return Err(syntax(
                cur,
                format!("Expected {what} in ISO8601 datetime, but found '{shown}' instead."),
            ));
        }
        cur.bump();
    }
    let text = cur.slice(start, cur.offset());
    if valid_datetime(&text) {
        Ok(ValueKind::Datetime(text))
    } else {
        Err(ConfError::plain(
            Some(cur.position()),
            format!("expected Zulu formatted DateTime, but got '{text}'"),
        ))
    }
}

/// Checks the calendar and clock ranges of a lexically valid date-time.
fn valid_datetime(text: &str) -> bool {
    let num = |a: usize, b: usize| text.get(a..b).and_then(|s| s.parse::<u32>().ok());
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(s)) = (
        num(0, 4),
        num(5, 7),
        num(8, 10),
        num(11, 13),
        num(14, 16),
        num(17, 19),
    ) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match mo {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d) && h < 24 && mi < 60 && s < 60
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(text: &str) -> Result<ValueKind, ConfError> {
        let mut cur = Cursor::new(text, None);
        number_like(&mut cur)
    }

    #[test]
    fn suffix_multipliers() {
        assert_eq!(multiplier("k"), 1000);
        assert_eq!(multiplier("KB"), 1024);
        assert_eq!(multiplier("mib"), 1 << 20);
        assert_eq!(multiplier("e"), 1_000_000_000_000_000_000);
        assert_eq!(lex("2m").ok(), Some(ValueKind::Integer(2_000_000)));
        assert_eq!(lex("-5k").ok(), Some(ValueKind::Integer(-5000)));
    }

    #[test]
    fn numeric_looking_strings() {
        assert_eq!(
            lex("1.2.3.4").ok(),
            Some(ValueKind::String("1.2.3.4".into()))
        );
        assert_eq!(lex("2s").ok(), Some(ValueKind::String("2s".into())));
        assert_eq!(lex("1kk").ok(), Some(ValueKind::String("1kk".into())));
        assert_eq!(lex("1.5").ok(), Some(ValueKind::Float(1.5)));
    }

    #[test]
    fn datetime_ranges() {
        assert!(valid_datetime("2016-02-29T23:59:59Z"));
        assert!(!valid_datetime("2015-02-29T00:00:00Z"));
        assert!(!valid_datetime("2016-13-01T00:00:00Z"));
    }
}
