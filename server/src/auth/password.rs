//! Password hashing with argon2id.
//!
//! Hashing and verifying are deliberately slow and run on the blocking pool, never on the async
//! workers, and at most one per core at once (each takes about 19 MiB): past a short queue, a
//! request is refused at once (`WorkRefused::Busy`, answered 429), so that many guesses sent
//! together neither exhaust memory nor slip past the throttle while they wait. A sign-in for an
//! unknown email verifies against a fixed dummy hash, so it takes as long as one for a known email
//! and reveals nothing about which emails exist.

use crate::work::{BoundedWork, WorkRefused};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use std::sync::LazyLock;

/// Hashed once per process; verifying against it costs what a real verification costs.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    hash_blocking("a password that no agent has, used to even out timing").unwrap_or_default()
});

fn hash_blocking(password: &str) -> Result<String, argon2::password_hash::Error> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|_| argon2::password_hash::Error::Crypto)?;
    let salt = SaltString::encode_b64(&salt)?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

fn verify_blocking(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Every hashing and verifying of this server: one per core at once, four per core waiting.
static HASHING: LazyLock<BoundedWork> =
    LazyLock::new(|| BoundedWork::per_core("checking passwords", 4));

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Too many passwords are being checked at once.
    #[error(transparent)]
    Busy(WorkRefused),
    /// The hasher failed.
    #[error("hashing the password failed: {0}")]
    Failed(String),
}

/// Hashes a new password (argon2id, random salt, PHC string).
pub async fn hash(password: String) -> Result<String, HashError> {
    HASHING
        .run(move || hash_blocking(&password))
        .await
        .map_err(HashError::Busy)?
        .map_err(|error| HashError::Failed(error.to_string()))
}

/// Verifies a password against a stored hash, or against the dummy hash when there is none.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, WorkRefused> {
    HASHING
        .run(move || match stored {
            Some(stored) => verify_blocking(&password, &stored),
            None => {
                let _ = verify_blocking(&password, &DUMMY_HASH);
                false
            }
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_password_verifies_against_its_own_hash_only() {
        let stored = hash("correct horse battery".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert_eq!(
            verify("correct horse battery".into(), Some(stored.clone())).await,
            Ok(true)
        );
        assert_eq!(
            verify("correct horse battery!".into(), Some(stored)).await,
            Ok(false)
        );
        assert_eq!(verify("anything at all".into(), None).await, Ok(false));
        assert_eq!(
            verify("anything at all".into(), Some("not a hash".into())).await,
            Ok(false)
        );
    }
}
