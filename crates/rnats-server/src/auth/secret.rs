//! Comparing secrets: plain ones in constant time, bcrypt hashes with bcrypt.

use subtle::ConstantTimeEq;

/// A configured password or token: plain text, or a bcrypt hash to check against.
#[derive(Clone)]
pub(crate) enum Secret {
    /// Compared byte for byte, in constant time.
    Plain(Box<[u8]>),
    /// A bcrypt hash (`$2a$11$...`).
    Bcrypt(Box<str>),
}

impl Secret {
    /// The secret as configured: a bcrypt hash if it looks like one.
    pub(crate) fn new(configured: &str) -> Self {
        if is_bcrypt(configured) {
            Secret::Bcrypt(configured.into())
        } else {
            Secret::Plain(configured.as_bytes().into())
        }
    }

    /// Whether `given` is this secret. Plain secrets take the same time whatever `given` is
    /// (for its length); a malformed hash matches nothing.
    pub(crate) fn matches(&self, given: &str) -> bool {
        match self {
            Secret::Plain(expected) => bool::from(given.as_bytes().ct_eq(expected)),
            Secret::Bcrypt(hash) => bcrypt_matches(given, hash),
        }
    }

    /// Whether the secret is stored in the clear (the reference warns about those).
    pub(crate) fn is_plain(&self) -> bool {
        matches!(self, Secret::Plain(_))
    }
}

/// `$2a$`, `$2b$`, `$2x$` or `$2y$`, two digits of cost, then `$`: the form the reference
/// takes for a bcrypt hash.
pub(crate) fn is_bcrypt(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 7
        && bytes.starts_with(b"$2")
        && matches!(bytes[2], b'a' | b'b' | b'x' | b'y')
        && bytes[3] == b'$'
        && bytes[4].is_ascii_digit()
        && bytes[5].is_ascii_digit()
        && bytes[6] == b'$'
}

/// Checks a password against a bcrypt hash. Hashing takes milliseconds by design, so on a
/// multi-threaded runtime the worker hands its other tasks to its peers meanwhile.
fn bcrypt_matches(given: &str, hash: &str) -> bool {
    let verify = || bcrypt::verify(given, hash).unwrap_or(false);
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) if runtime.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(verify)
        }
        _ => verify(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_bcrypt_secrets() {
        let plain = Secret::new("s3cret");
        assert!(plain.is_plain());
        assert!(plain.matches("s3cret"));
        assert!(!plain.matches("s3cre") && !plain.matches("s3cret!") && !plain.matches(""));
        let hash = bcrypt::hash("s3cret", 4).expect("hash");
        let hashed = Secret::new(&hash);
        assert!(!hashed.is_plain());
        assert!(hashed.matches("s3cret"));
        assert!(!hashed.matches("wrong") && !hashed.matches(&hash));
        // Looks like a hash but is not one: never matches, never panics.
        let broken = Secret::new("$2a$11$short");
        assert!(!broken.matches("$2a$11$short") && !broken.matches(""));
    }

    #[test]
    fn bcrypt_shapes() {
        assert!(is_bcrypt("$2a$11$abc") && is_bcrypt("$2y$04$x"));
        assert!(!is_bcrypt("$2c$11$abc") && !is_bcrypt("$2a$1$abc") && !is_bcrypt("2a$11$"));
    }
}
