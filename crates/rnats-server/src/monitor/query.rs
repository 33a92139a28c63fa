//! Query parameters, read as the reference reads them: the first value of a name wins, a
//! missing one is empty, and a value that does not decode answers 400 with the reference's
//! text (which quotes Go's `strconv` errors).

/// The decoded parameters of one request.
#[derive(Debug, Default)]
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
}

/// A request the reference answers with 400 Bad Request; the text is the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadRequest(pub(crate) String);

impl Query {
    /// Parses a raw query string (without `?`). Pairs the reference ignores (with a `;`, or
    /// a bad `%` escape) are skipped.
    pub(crate) fn parse(raw: Option<&str>) -> Query {
        let pairs = raw
            .unwrap_or_default()
            .split('&')
            .filter(|pair| !pair.is_empty())
            .filter_map(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                if pair.contains(';') {
                    return None;
                }
                Some((unescape(key)?, unescape(value)?))
            })
            .collect();
        Query { pairs }
    }

    /// A query of decoded `(name, value)` pairs, in order.
    pub(crate) fn from_pairs(pairs: Vec<(String, String)>) -> Query {
        Query { pairs }
    }

    /// Sets `name` to `value` ahead of any value the query had: the first value wins.
    pub(crate) fn set_first(&mut self, name: &str, value: &str) {
        self.pairs.insert(0, (name.to_owned(), value.to_owned()));
    }

    /// The first value of `name`, or `""`.
    pub(crate) fn get(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(key, _)| key == name)
            .map_or("", |(_, value)| value.as_str())
    }

    /// A boolean: empty is false; `1`, `t`, `true` (and `0`, `f`, `false`) in the spellings
    /// the reference accepts.
    pub(crate) fn bool(&self, name: &str) -> Result<bool, BadRequest> {
        match self.get(name) {
            "" => Ok(false),
            "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
            "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
            other => Err(BadRequest(format!(
                "Error decoding boolean for '{name}': strconv.ParseBool: parsing {}: invalid syntax",
                go_quote(other)
            ))),
        }
    }

    /// A signed 64-bit integer: empty is 0.
    pub(crate) fn int(&self, name: &str) -> Result<i64, BadRequest> {
        let text = self.get(name);
        if text.is_empty() {
            return Ok(0);
        }
        text.parse::<i64>().map_err(|error| {
            BadRequest(format!(
                "Error decoding int for '{name}': strconv.Atoi: parsing {}: {}",
                go_quote(text),
                number_error(error.kind())
            ))
        })
    }

    /// An unsigned 64-bit integer without sign: empty is 0.
    pub(crate) fn uint64(&self, name: &str) -> Result<u64, BadRequest> {
        let text = self.get(name);
        if text.is_empty() {
            return Ok(0);
        }
        let reason = if text.starts_with('+') {
            "invalid syntax"
        } else {
            match text.parse::<u64>() {
                Ok(value) => return Ok(value),
                Err(error) => number_error(error.kind()),
            }
        };
        Err(BadRequest(format!(
            "Error decoding uint64 for '{name}': strconv.ParseUint: parsing {}: {reason}",
            go_quote(text)
        )))
    }

    /// `subs`: `detail` (any case) asks for details, otherwise a boolean.
    /// Returns (names, details).
    pub(crate) fn subs(&self) -> Result<(bool, bool), BadRequest> {
        if self.get("subs").eq_ignore_ascii_case("detail") {
            return Ok((false, true));
        }
        Ok((self.bool("subs")?, false))
    }
}

/// The reason the error text gives for a failed integer parse.
fn number_error(kind: &std::num::IntErrorKind) -> &'static str {
    match kind {
        std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
            "value out of range"
        }
        _ => "invalid syntax",
    }
}

/// Percent-decoding: `+` is a space, `%XX` a byte; `None` for a broken escape.
fn unescape(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(at + 1..at + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                at += 2;
            }
            other => out.push(other),
        }
        at += 1;
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// A double-quoted, escaped string, as the error texts show the rejected value.
fn go_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(raw: &str) -> Query {
        Query::parse(Some(raw))
    }

    #[test]
    fn first_value_wins_and_escapes_decode() {
        let q = query("sort=cid&sort=bogus&acc=%24G&name=a+b&bad=%zz&x;y=1&limit=1;2&flag");
        assert_eq!(q.get("sort"), "cid");
        assert_eq!(q.get("acc"), "$G");
        assert_eq!(q.get("name"), "a b");
        assert_eq!(q.get("bad"), "");
        assert_eq!(q.get("x;y"), "");
        assert_eq!(q.get("limit"), "");
        assert_eq!(q.get("flag"), "");
        assert_eq!(q.get("missing"), "");
        assert_eq!(Query::parse(None).get("x"), "");
    }

    #[test]
    fn booleans_like_parse_bool() {
        assert_eq!(query("a=t&b=False&c=").bool("a"), Ok(true));
        assert_eq!(query("b=False").bool("b"), Ok(false));
        assert_eq!(query("c=").bool("c"), Ok(false));
        assert_eq!(
            query("auth=yes").bool("auth"),
            Err(BadRequest(
                "Error decoding boolean for 'auth': strconv.ParseBool: parsing \"yes\": invalid syntax"
                    .into()
            ))
        );
    }

    #[test]
    fn integers_like_atoi_and_parse_uint() {
        assert_eq!(query("limit=-3").int("limit"), Ok(-3));
        assert_eq!(query("limit=%2B3").int("limit"), Ok(3));
        assert!(query("limit=+3").int("limit").is_err(), "`+` is a space");
        assert_eq!(
            query("limit=abc").int("limit"),
            Err(BadRequest(
                "Error decoding int for 'limit': strconv.Atoi: parsing \"abc\": invalid syntax"
                    .into()
            ))
        );
        assert_eq!(
            query("limit=99999999999999999999").int("limit"),
            Err(BadRequest(
                "Error decoding int for 'limit': strconv.Atoi: parsing \"99999999999999999999\": \
                 value out of range"
                    .into()
            ))
        );
        assert_eq!(query("cid=7").uint64("cid"), Ok(7));
        for (raw, bad) in [("-1", "-1"), ("%2B1", "+1"), ("1.5", "1.5")] {
            assert_eq!(
                query(&format!("cid={raw}")).uint64("cid"),
                Err(BadRequest(format!(
                    "Error decoding uint64 for 'cid': strconv.ParseUint: parsing \"{bad}\": invalid syntax"
                )))
            );
        }
    }

    #[test]
    fn subs_accepts_detail_in_any_case() {
        assert_eq!(query("subs=DETAIL").subs(), Ok((false, true)));
        assert_eq!(query("subs=1").subs(), Ok((true, false)));
        assert_eq!(query("").subs(), Ok((false, false)));
        assert!(query("subs=x").subs().is_err());
    }

    #[test]
    fn quoting_escapes_like_go() {
        assert_eq!(go_quote("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\x01\"");
    }
}
