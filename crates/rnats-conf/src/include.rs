//! `include` support: path joining as the reference server does it, file reading,
//! cycle and depth limits.

use std::path::PathBuf;
use std::sync::Arc;

use crate::error::ConfError;
use crate::parser::{Parser, Shared};
use crate::value::Map;

/// Deepest allowed chain of included files.
const MAX_INCLUDE_DEPTH: usize = 32;

/// Lexically cleans a slash-separated path: drops `.` and empty elements and resolves `..`.
pub(crate) fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// Joins `path` onto `dir` and cleans the result.
///
/// Like the reference server, an absolute `path` is still appended to `dir`.
pub(crate) fn join(dir: &str, path: &str) -> String {
    match (dir.is_empty(), path.is_empty()) {
        (true, _) => clean(path),
        (false, true) => clean(dir),
        (false, false) => clean(&format!("{dir}/{path}")),
    }
}

/// The directory part of `path` (`.` when it has none).
pub(crate) fn dir_of(path: &str) -> String {
    match path.rfind('/') {
        Some(i) => clean(&path[..=i]),
        None => ".".to_string(),
    }
}

/// Describes a failed read the way the reference server's messages do.
pub(crate) fn io_error_text(path: &str, err: &std::io::Error) -> String {
    let reason = match err.raw_os_error() {
        Some(2) => "no such file or directory".to_string(),
        Some(13) => "permission denied".to_string(),
        Some(20) => "not a directory".to_string(),
        Some(21) => return format!("read {path}: is a directory"),
        Some(40) => "too many levels of symbolic links".to_string(),
        _ => {
            let text = err.to_string();
            let text = text
                .split(" (os error")
                .next()
                .unwrap_or_default()
                .to_string();
            text.to_lowercase()
        }
    };
    format!("open {path}: {reason}")
}

/// Largest configuration file read, so that a device like `/dev/zero` cannot exhaust memory.
const MAX_FILE_BYTES: u64 = 64 << 20;

/// Reads a file as text (invalid UTF-8 is replaced).
pub(crate) fn read_text(path: &str) -> Result<String, std::io::Error> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than {MAX_FILE_BYTES} bytes"
        )));
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Canonical identity of a file for cycle detection.
pub(crate) fn identity(path: &str) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| PathBuf::from(clean(path)))
}

/// Parses the file named by an `include` in a file whose directory is `base_dir`.
pub(crate) fn parse_included(
    base_dir: &str,
    path: &str,
    shared: &mut Shared,
) -> Result<Map, ConfError> {
    let prefix = format!("error parsing include file '{path}', ");
    let fail = |text: String| ConfError::plain(None, text).wrap(&prefix, None);
    let joined = join(base_dir, path);
    if shared.include_chain.len() >= MAX_INCLUDE_DEPTH {
        return Err(fail(format!(
            "includes nest deeper than {MAX_INCLUDE_DEPTH} files"
        )));
    }
    let text = read_text(&joined).map_err(|e| fail(io_error_text(&joined, &e)))?;
    let id = identity(&joined);
    if shared.include_chain.contains(&id) {
        return Err(fail(format!("include cycle detected at {joined}")));
    }
    shared.include_chain.push(id);
    let file: Arc<str> = Arc::from(joined.as_str());
    let result = Parser::new(&text, Some(file), dir_of(&joined), shared).parse();
    shared.include_chain.pop();
    result.map_err(|e| e.wrap(&prefix, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_helpers() {
        assert_eq!(join(".", "./nope.conf"), "nope.conf");
        assert_eq!(join("sub", "a.conf"), "sub/a.conf");
        assert_eq!(join(".", "/tmp/x.conf"), "tmp/x.conf");
        assert_eq!(join("/etc/nats", "../x.conf"), "/etc/x.conf");
        assert_eq!(dir_of("t.conf"), ".");
        assert_eq!(dir_of("a/b/c.conf"), "a/b");
        assert_eq!(dir_of("/c.conf"), "/");
        assert_eq!(clean("../../a"), "../../a");
        assert_eq!(clean("/../a"), "/a");
    }
}
