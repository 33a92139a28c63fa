//! NKey authentication: the nonce the server sends in INFO, and the client's signature of it.

use data_encoding::{BASE64, BASE64URL_NOPAD};

/// Random bytes in a nonce; base64 (RawURL) makes them 15 characters, as the reference's.
const NONCE_BYTES: usize = 11;

/// A fresh nonce for one connection's INFO, from the operating system's random source.
/// Falls back to a non-cryptographic source only if that fails, which it does not on the
/// platforms rnats runs on.
pub(crate) fn new_nonce() -> String {
    let mut bytes = [0u8; NONCE_BYTES];
    if getrandom::fill(&mut bytes).is_err() {
        fastrand::fill(&mut bytes);
    }
    BASE64URL_NOPAD.encode(&bytes)
}

/// A configured user's public key, decoded once.
pub(crate) struct PublicKey(nkeys::KeyPair);

impl PublicKey {
    /// Decodes a public user key (`U...`); `None` if it is not one.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        if !text.starts_with('U') {
            return None;
        }
        nkeys::KeyPair::from_public_key(text).ok().map(PublicKey)
    }

    /// Whether `signature` (base64, RawURL or Std) is this key's signature of `nonce`.
    pub(crate) fn verifies(&self, nonce: &str, signature: &str) -> bool {
        let decoded = BASE64URL_NOPAD
            .decode(signature.as_bytes())
            .or_else(|_| BASE64.decode(signature.as_bytes()));
        match decoded {
            Ok(bytes) => self.0.verify(nonce.as_bytes(), &bytes).is_ok(),
            Err(_) => false,
        }
    }
}

/// Whether `text` is a public user NKey (what a `users` entry's `nkey` must be).
pub fn is_valid_user_nkey(text: &str) -> bool {
    PublicKey::parse(text).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_15_url_safe_characters_and_differ() {
        let (a, b) = (new_nonce(), new_nonce());
        assert_eq!(a.len(), 15);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_ne!(a, b);
    }

    #[test]
    fn signatures_in_either_base64_are_accepted() {
        let user = nkeys::KeyPair::new_user();
        let key = PublicKey::parse(&user.public_key()).expect("user key");
        let nonce = new_nonce();
        let signature = user.sign(nonce.as_bytes()).expect("sign");
        assert!(key.verifies(&nonce, &BASE64URL_NOPAD.encode(&signature)));
        assert!(key.verifies(&nonce, &BASE64.encode(&signature)));
        assert!(!key.verifies("other nonce", &BASE64.encode(&signature)));
        assert!(!key.verifies(&nonce, "garbage!"));
        assert!(!key.verifies(&nonce, ""));
        assert!(!key.verifies(&nonce, &BASE64.encode(&signature[..10])));
    }

    #[test]
    fn only_public_user_keys_are_valid() {
        let user = nkeys::KeyPair::new_user();
        assert!(is_valid_user_nkey(&user.public_key()));
        assert!(!is_valid_user_nkey(&user.seed().expect("seed")));
        assert!(!is_valid_user_nkey(
            &nkeys::KeyPair::new_account().public_key()
        ));
        assert!(!is_valid_user_nkey("UBAD") && !is_valid_user_nkey(""));
    }
}
