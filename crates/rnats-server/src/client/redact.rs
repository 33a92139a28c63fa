//! Secrets out of traced CONNECT lines: the values of `pass`, `auth_token`, `sig` and `nkey`
//! become `[REDACTED]`, the rest of the text is kept as the client sent it (as the
//! reference traces it).

/// The CONNECT fields whose values never reach the log.
const SECRET_KEYS: [&str; 4] = ["pass", "auth_token", "sig", "nkey"];

/// The CONNECT JSON with its secret values replaced. Text that is not the JSON object
/// expected is kept from the first point it stops making sense.
pub(super) fn redact_connect(json: &str) -> String {
    let bytes = json.as_bytes();
    let mut out = String::with_capacity(json.len());
    let mut copied = 0;
    let mut at = 0;
    let mut depth = 0usize;
    while at < bytes.len() {
        match bytes[at] {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            b'"' => {
                let Some(end) = string_end(bytes, at) else {
                    break;
                };
                let key = &json[at + 1..end];
                let after = skip_spaces(bytes, end + 1);
                if depth == 1 && bytes.get(after) == Some(&b':') && SECRET_KEYS.contains(&key) {
                    let value = skip_spaces(bytes, after + 1);
                    let Some((value_end, quoted)) = value_end(bytes, value) else {
                        break;
                    };
                    out.push_str(&json[copied..value]);
                    out.push_str(if quoted {
                        "\"[REDACTED]\""
                    } else {
                        "[REDACTED]"
                    });
                    copied = value_end;
                    at = value_end;
                    continue;
                }
                at = end + 1;
                continue;
            }
            _ => {}
        }
        at += 1;
    }
    out.push_str(&json[copied..]);
    out
}

/// The index of the quote that closes the string opening at `start`.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut at = start + 1;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'"' => return Some(at),
            _ => at += 1,
        }
    }
    None
}

fn skip_spaces(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// Where the value starting at `start` ends, and whether it was a string.
fn value_end(bytes: &[u8], start: usize) -> Option<(usize, bool)> {
    match bytes.get(start)? {
        b'"' => string_end(bytes, start).map(|end| (end + 1, true)),
        _ => {
            let mut depth = 0usize;
            let mut at = start;
            while let Some(&byte) = bytes.get(at) {
                match byte {
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' if depth == 0 => break,
                    b'}' | b']' => depth -= 1,
                    b',' if depth == 0 => break,
                    b'"' => at = string_end(bytes, at)?,
                    _ => {}
                }
                at += 1;
            }
            // Trailing spaces stay outside the redacted value.
            let mut end = at;
            while end > start && bytes[end - 1].is_ascii_whitespace() {
                end -= 1;
            }
            Some((end, false))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::redact_connect;

    #[test]
    fn secrets_are_redacted_as_the_reference_traces_them() {
        let cases = [
            (
                r#"{"verbose":false,"user":"bob","pass":"s3cr3t","auth_token":"tok","sig":"abc","jwt":"eyJ","nkey":"UABC"}"#,
                r#"{"verbose":false,"user":"bob","pass":"[REDACTED]","auth_token":"[REDACTED]","sig":"[REDACTED]","jwt":"eyJ","nkey":"[REDACTED]"}"#,
            ),
            (
                r#"{"pass" : "a b","user":"x"}"#,
                r#"{"pass" : "[REDACTED]","user":"x"}"#,
            ),
            (r#"{"Pass":"abc"}"#, r#"{"Pass":"abc"}"#),
            (r#"{"pass":123}"#, r#"{"pass":[REDACTED]}"#),
            (r#"{"pass":""}"#, r#"{"pass":"[REDACTED]"}"#),
            (r#"{"pass":"a\"b"}"#, r#"{"pass":"[REDACTED]"}"#),
            (r#"{"user":"pass","x":1}"#, r#"{"user":"pass","x":1}"#),
        ];
        for (given, traced) in cases {
            assert_eq!(redact_connect(given), traced, "{given}");
        }
    }

    #[test]
    fn broken_json_never_panics() {
        for text in [
            "",
            "{",
            "{\"pass\"",
            "{\"pass\":",
            "{\"pass\":\"x",
            "\"",
            "}}}",
            "{\"pass\":[1,{",
        ] {
            let _ = redact_connect(text);
        }
    }
}
