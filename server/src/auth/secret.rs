//! Random identifiers and secrets, and how secrets are stored and compared.
//!
//! A session cookie or API token is an identifier and a secret. The identifier finds the record;
//! only the SHA-256 of the secret is stored, and it is compared in constant time. Secrets carry
//! 256 random bits, so a fast hash is the right one (a slow password hash protects guessable
//! passwords, not random keys).

use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The prefix of personal API tokens, so that they are recognisable in logs and secret scanners.
pub const TOKEN_PREFIX: &str = "hdt_";

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The operating system's generator does not fail on the platforms we run on; if it ever
    // did, continuing with predictable secrets would be worse than stopping.
    getrandom::fill(&mut bytes).expect("the operating system's random generator failed");
    bytes
}

/// A fresh random identifier: 16 lower-case hex digits.
pub fn random_id() -> String {
    random_bytes::<8>()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// A fresh random secret: 32 bytes, URL-safe base64.
pub fn random_secret() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// What is stored instead of a secret.
pub fn hash_secret(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Whether a presented secret matches a stored hash, in time independent of where they differ.
pub fn secret_matches(secret: &str, stored_hash: &str) -> bool {
    hash_secret(secret)
        .as_bytes()
        .ct_eq(stored_hash.as_bytes())
        .into()
}

/// Splits `<id><separator><secret>` into its parts, if it has that shape.
pub fn split_credential(text: &str, separator: char) -> Option<(&str, &str)> {
    let (id, secret) = text.split_once(separator)?;
    let id_ok = id.len() == 16 && id.bytes().all(|byte| byte.is_ascii_hexdigit());
    let secret_ok = (20..=64).contains(&secret.len())
        && secret
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
    (id_ok && secret_ok).then_some((id, secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_match_only_their_own_hash() {
        let secret = random_secret();
        let stored = hash_secret(&secret);
        assert!(secret_matches(&secret, &stored));
        assert!(!secret_matches(&random_secret(), &stored));
        assert!(!secret_matches(&secret, ""));
    }

    #[test]
    fn identifiers_and_secrets_are_fresh_each_time() {
        assert_ne!(random_id(), random_id());
        assert_ne!(random_secret(), random_secret());
        assert_eq!(random_id().len(), 16);
    }

    #[test]
    fn credentials_split_only_when_well_formed() {
        let secret = random_secret();
        let text = format!("0123456789abcdef.{secret}");
        assert_eq!(
            split_credential(&text, '.'),
            Some(("0123456789abcdef", secret.as_str()))
        );
        for bad in [
            "",
            ".",
            "0123456789abcdef.",
            "xyz.abc",
            "0123456789abcdef.a b c d e f g h i j k",
        ] {
            assert_eq!(split_credential(bad, '.'), None, "{bad:?}");
        }
    }
}
