//! Secrets handed to clients (session cookies, API tokens, set-up links) and the hashes the
//! database keeps of them. The secrets are 256 random bits, so a plain SHA-256 is enough to
//! make the stored copy useless to whoever reads the database.

use sha2::{Digest, Sha256};

/// Marks API tokens, so that a leaked one is recognisable (and scannable) as ours.
pub const TOKEN_PREFIX: &str = "aic_";

/// 32 random bytes from the operating system, hex encoded.
pub fn random_secret() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(hex::encode(bytes))
}

/// What the database stores for a secret.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_hashed_one_way() {
        let a = random_secret().unwrap();
        let b = random_secret().unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(hash(&a), hash(&a));
        assert_ne!(hash(&a), a);
        assert_ne!(hash(&a), hash(&b));
    }
}
