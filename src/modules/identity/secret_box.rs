//! Encryption at rest for secrets the server must read back (TOTP seeds): AES-256-GCM with a
//! key derived from `security.encryption_key`, a random nonce per value, stored as
//! `v1:<base64url(nonce || ciphertext)>`.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use rand::Rng;
use sha2::{Digest, Sha256};

use crate::http::error::{AppError, AppResult};

const PREFIX: &str = "v1:";

pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl SecretBox {
    pub fn new(key_material: &str) -> Self {
        let digest = Sha256::digest(format!("azora:secret-box:v1:{key_material}").as_bytes());
        let mut bytes = [0_u8; 32];
        bytes.copy_from_slice(digest.as_slice());
        Self {
            cipher: Aes256Gcm::new(&Key::<Aes256Gcm>::from(bytes)),
        }
    }

    pub fn seal(&self, plain: &str) -> AppResult<String> {
        let mut nonce = [0_u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(&Nonce::from(nonce), plain.as_bytes())
            .map_err(|_| AppError::internal(anyhow::anyhow!("encryption failed")))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        Ok(format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out)
        ))
    }

    pub fn open(&self, sealed: &str) -> AppResult<String> {
        let fail = || {
            AppError::internal(anyhow::anyhow!(
                "a stored secret cannot be decrypted (wrong security.encryption_key?)"
            ))
        };
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(sealed.strip_prefix(PREFIX).ok_or_else(fail)?)
            .map_err(|_| fail())?;
        if raw.len() < 12 {
            return Err(fail());
        }
        let (nonce, ciphertext) = raw.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| fail())?;
        let plain = self
            .cipher
            .decrypt(&Nonce::from(nonce), ciphertext)
            .map_err(|_| fail())?;
        String::from_utf8(plain).map_err(|_| fail())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::SecretBox;

    #[test]
    fn round_trip_and_wrong_key() {
        let sealed = SecretBox::new("k1").seal("JBSWY3DPEHPK3PXP").unwrap();
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_ne!(
            sealed,
            SecretBox::new("k1").seal("JBSWY3DPEHPK3PXP").unwrap(),
            "random nonce"
        );
        assert_eq!(
            SecretBox::new("k1").open(&sealed).unwrap(),
            "JBSWY3DPEHPK3PXP"
        );
        assert!(SecretBox::new("k2").open(&sealed).is_err());
        assert!(SecretBox::new("k1").open("v1:bm9wZQ").is_err());
    }
}
