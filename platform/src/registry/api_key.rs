//! API keys: random secrets that authenticate an account, stored hashed.

use sha2::{Digest, Sha256};

use crate::registry::error::RegistryError;
use crate::timestamp::Timestamp;

/// What generated keys start with, as Algorithmia's do; it makes a leaked
/// key recognizable to secret scanners.
pub const KEY_PREFIX: &str = "sim";

/// Random characters after the prefix: 40 base62 characters are 238 bits.
const RANDOM_CHARS: usize = 40;

/// The shortest key an operator should choose with
/// [`Registry::set_key`](super::Registry::set_key). Shorter keys are
/// accepted (scripts and tests use one-letter keys on loopback), and
/// `algobox serve` warns about them.
pub const MIN_CHOSEN_KEY_LEN: usize = 20;

/// How many leading characters of a key are kept in the clear, so a person
/// can tell keys apart in a listing without the registry holding the secret.
const SHOWN_CHARS: usize = 7;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// An API key as listed: everything but the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyInfo {
    /// The key's id (a UUID), to revoke it by.
    pub id: String,
    /// The account it authenticates.
    pub account: String,
    /// The owner's note on what the key is for.
    pub label: String,
    /// The key's first characters, to recognize it by (`simAb3x`).
    pub shown_prefix: String,
    /// When it was created.
    pub created_at: Timestamp,
}

/// A new random key: [`KEY_PREFIX`] and 40 base62 characters.
pub(crate) fn generate() -> Result<String, RegistryError> {
    let mut key = String::with_capacity(KEY_PREFIX.len() + RANDOM_CHARS);
    key.push_str(KEY_PREFIX);
    let mut buffer = [0u8; 64];
    while key.len() < KEY_PREFIX.len() + RANDOM_CHARS {
        getrandom::fill(&mut buffer).map_err(|err| RegistryError::Random(err.to_string()))?;
        // Rejection sampling: 248 is the largest multiple of 62 below 256,
        // so the bytes kept map onto the alphabet without bias.
        for byte in buffer.iter().filter(|byte| **byte < 248) {
            if key.len() == KEY_PREFIX.len() + RANDOM_CHARS {
                break;
            }
            key.push(char::from(BASE62[usize::from(*byte % 62)]));
        }
    }
    Ok(key)
}

/// The stored form of a key: its SHA-256.
///
/// A fast hash is right here, unlike for passwords: a generated key has 238
/// random bits, so a stolen table cannot be reversed by guessing, and a slow
/// hash (bcrypt, argon2) would only add its cost to every request. Looking
/// keys up by hash also means the secret is never compared byte by byte, so
/// the lookup's timing reveals nothing about it.
pub(crate) fn hash(plaintext: &str) -> [u8; 32] {
    Sha256::digest(plaintext.as_bytes()).into()
}

/// The characters of `plaintext` kept in the clear: at most a third of it,
/// so a listing never shows the whole of a short key an operator chose.
pub(crate) fn shown_prefix(plaintext: &str) -> String {
    let shown = SHOWN_CHARS.min(plaintext.chars().count() / 3);
    plaintext.chars().take(shown).collect()
}

/// Checks a key an operator chose (for example `ALGOBOX_ADMIN_KEY`): long
/// enough not to be guessed, and only characters that survive an
/// `Authorization` header.
pub(crate) fn validate_chosen(plaintext: &str) -> Result<(), RegistryError> {
    if let Some(bad) = plaintext.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(RegistryError::invalid(
            "key",
            format!("the key contains {bad:?}; use printable ASCII without spaces"),
        ));
    }
    if plaintext.is_empty() {
        return Err(RegistryError::invalid(
            "key",
            format!("the key is empty; use at least {MIN_CHOSEN_KEY_LEN} random characters"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::registry::api_key::*;

    #[test]
    fn generated_keys_are_prefixed_base62_and_distinct() {
        let first = generate().unwrap();
        let second = generate().unwrap();
        assert_eq!(first.len(), 43);
        assert!(first.starts_with("sim"));
        assert!(first[3..].bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(first, second);
        assert_eq!(validate_chosen(&first), Ok(()));
    }

    #[test]
    fn hash_is_sha256_and_not_the_key() {
        let digest = hash("abc");
        assert_eq!(
            digest[..4],
            [0xba, 0x78, 0x16, 0xbf],
            "SHA-256 of `abc` starts ba7816bf"
        );
        assert_eq!(shown_prefix("simABCDEFGHIJKLMNOPQRSTU"), "simABCD");
        // A short chosen key is never shown whole, nor most of it.
        assert_eq!(shown_prefix("secret"), "se");
        assert_eq!(shown_prefix("k"), "");
    }

    #[test]
    fn chosen_keys_must_be_printable() {
        assert!(validate_chosen("").is_err());
        assert_eq!(validate_chosen("k"), Ok(()));
        assert!(validate_chosen("has a space in it, long enough").is_err());
        assert_eq!(validate_chosen("operator-chosen-key-1"), Ok(()));
    }
}
