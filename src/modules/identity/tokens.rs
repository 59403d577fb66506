//! Opaque secrets (refresh, verification, reset, MFA and API-key tokens): 256 random bits,
//! shown once, stored only as their SHA-256.

use base64::Engine;
use rand::Rng;
use sha2::{Digest, Sha256};

/// A new random token: 32 bytes, base64url without padding (43 characters).
pub fn new_token() -> String {
    let mut bytes = [0_u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database stores for a token.
pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A backup code: 10 characters from an unambiguous alphabet, shown as `xxxxx-xxxxx`.
pub fn new_backup_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    let chars: String = (0..10)
        .map(|_| ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()] as char)
        .collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

/// Backup codes are compared without dashes, spaces or case.
pub fn normalize_backup_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_hashed() {
        let a = new_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, new_token());
        assert_eq!(hash_token(&a).len(), 32);
        let code = new_backup_code();
        assert_eq!(code.len(), 11);
        assert_eq!(normalize_backup_code(&code.to_uppercase()).len(), 10);
    }
}
