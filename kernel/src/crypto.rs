//! Cryptography every module may need, behind small types: [`SecretBox`] (AES-256-GCM for
//! secrets the server reads back), [`PasswordHasher`] (argon2id on the blocking pool, at most one
//! hash per core at a time), [`JwtKeys`] (HS256 access tokens) and opaque tokens stored only as
//! their SHA-256 ([`new_token`], [`hash_token`]).

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier, Version};
use base64::Engine;
use rand::Rng;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult, ErrorCode};

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

/// SHA-256 of `bytes`, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

// ------------------------------------------------------------------ secret box

const PREFIX: &str = "v1:";

/// Encryption at rest for secrets the server must read back (TOTP seeds, signing keys):
/// AES-256-GCM with a key derived from `security.encryption_key`, a random nonce per value,
/// stored as `v1:<base64url(nonce || ciphertext)>`.
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

// ------------------------------------------------------------------ passwords

/// The argon2id hasher of the configured parameters. At most one hash per core runs at a
/// time, so a login storm queues instead of crowding out the async workers.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    dummy_hash: String,
    permits: std::sync::Arc<tokio::sync::Semaphore>,
}

impl PasswordHasher {
    /// Argon2id with `memory_kib`, `iterations` and `parallelism` (computes a dummy hash: call it
    /// on the blocking pool).
    pub fn new(memory_kib: u32, iterations: u32, parallelism: u32) -> anyhow::Result<Self> {
        let params = Params::new(memory_kib, iterations, parallelism, None)
            .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut hasher = Self {
            params,
            dummy_hash: String::new(),
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(cores)),
        };
        hasher.dummy_hash = hasher.hash_blocking(&new_token())?;
        Ok(hasher)
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    fn hash_blocking(&self, password: &str) -> anyhow::Result<String> {
        self.argon2()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
    }

    /// Hashes on the blocking pool.
    pub async fn hash(&self, password: String) -> AppResult<String> {
        let _permit = self.permits.acquire().await.map_err(AppError::internal)?;
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.hash_blocking(&password))
            .await
            .map_err(AppError::internal)?
            .map_err(AppError::internal)
    }

    /// Verifies on the blocking pool; `None` checks against the dummy hash and fails.
    pub async fn verify(&self, password: String, hash: Option<String>) -> AppResult<bool> {
        let _permit = self.permits.acquire().await.map_err(AppError::internal)?;
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let (hash, real) = match hash {
                Some(h) => (h, true),
                None => (this.dummy_hash.clone(), false),
            };
            let ok = this
                .argon2()
                .verify_password(password.as_bytes(), hash.as_str())
                .is_ok();
            ok && real
        })
        .await
        .map_err(AppError::internal)
    }
}

// ------------------------------------------------------------------ Ed25519 and JWS

/// An Ed25519 signing key with its key id, signing compact JWS (`alg` EdDSA, RFC 8037).
pub struct Ed25519Key {
    pub kid: String,
    signing: ed25519_dalek::SigningKey,
}

/// base64url without padding.
pub fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl Ed25519Key {
    /// A new random key.
    pub fn generate(kid: String) -> Self {
        let mut seed = [0_u8; 32];
        rand::rng().fill_bytes(&mut seed);
        Self {
            kid,
            signing: ed25519_dalek::SigningKey::from_bytes(&seed),
        }
    }

    /// A key from its 32-byte seed.
    pub fn from_seed(kid: String, seed: &[u8]) -> AppResult<Self> {
        let seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| AppError::internal(anyhow::anyhow!("an Ed25519 seed has 32 bytes")))?;
        Ok(Self {
            kid,
            signing: ed25519_dalek::SigningKey::from_bytes(&seed),
        })
    }

    pub fn seed(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }

    pub fn public_key(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    /// The raw signature of `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        use ed25519_dalek::Signer;
        self.signing.sign(message).to_bytes()
    }

    /// A compact JWS of `payload` with `header` members added to `alg` and `kid`.
    pub fn sign_jws(
        &self,
        extra_header: serde_json::Value,
        payload: &impl Serialize,
    ) -> AppResult<String> {
        let mut header = serde_json::json!({"alg": "EdDSA", "kid": self.kid});
        if let (Some(h), serde_json::Value::Object(extra)) = (header.as_object_mut(), extra_header)
        {
            h.extend(extra);
        }
        let signing_input = format!(
            "{}.{}",
            b64url(serde_json::to_string(&header)?.as_bytes()),
            b64url(serde_json::to_string(payload)?.as_bytes())
        );
        let signature = self.sign(signing_input.as_bytes());
        Ok(format!("{signing_input}.{}", b64url(&signature)))
    }
}

/// The public JWK of an Ed25519 key (`kty` OKP, `crv` Ed25519).
pub fn ed25519_jwk(kid: &str, public_key: &[u8]) -> serde_json::Value {
    serde_json::json!({
        "kty": "OKP",
        "crv": "Ed25519",
        "x": b64url(public_key),
        "kid": kid,
        "alg": "EdDSA",
        "use": "sig",
    })
}

/// Whether `signature` over `message` verifies with the 32-byte `public_key`.
pub fn ed25519_verify(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    use ed25519_dalek::Verifier;
    let (Ok(key), Ok(sig)) = (
        <[u8; 32]>::try_from(public_key),
        <[u8; 64]>::try_from(signature),
    ) else {
        return false;
    };
    ed25519_dalek::VerifyingKey::from_bytes(&key).is_ok_and(|k| {
        k.verify(message, &ed25519_dalek::Signature::from_bytes(&sig))
            .is_ok()
    })
}

/// The parts of a compact JWS: `(header, payload, signing input, signature)`, or `None` when it
/// is not one.
pub fn jws_parts(jws: &str) -> Option<(serde_json::Value, Vec<u8>, String, Vec<u8>)> {
    let mut parts = jws.split('.');
    let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let decode = |x: &str| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(x)
            .ok()
    };
    let header = serde_json::from_slice(&decode(h)?).ok()?;
    Some((header, decode(p)?, format!("{h}.{p}"), decode(s)?))
}

// ------------------------------------------------------------------ access tokens

/// Signing and verification keys of access tokens (HS256, no leeway; `exp`, `sub`, `iat`
/// required).
pub struct JwtKeys {
    encoding: jsonwebtoken::EncodingKey,
    decoding: jsonwebtoken::DecodingKey,
    validation: jsonwebtoken::Validation,
}

impl JwtKeys {
    pub fn new(secret: &str) -> Self {
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        Self {
            encoding: jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
            decoding: jsonwebtoken::DecodingKey::from_secret(secret.as_bytes()),
            validation,
        }
    }

    pub fn encode<C: Serialize>(&self, claims: &C) -> AppResult<String> {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            claims,
            &self.encoding,
        )
        .map_err(AppError::internal)
    }

    /// The claims of a valid token; 401 `token_expired` or `invalid_token` otherwise.
    pub fn decode<C: DeserializeOwned>(&self, token: &str) -> AppResult<C> {
        jsonwebtoken::decode::<C>(token, &self.decoding, &self.validation)
            .map(|d| d.claims)
            .map_err(|e| {
                let code = if matches!(e.kind(), jsonwebtoken::errors::ErrorKind::ExpiredSignature)
                {
                    ErrorCode::TokenExpired
                } else {
                    ErrorCode::InvalidToken
                };
                AppError::new(code, "the access token is invalid or expired")
            })
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

    #[test]
    fn jws_signs_and_verifies() {
        let key = super::Ed25519Key::generate("k1".into());
        let jws = key
            .sign_jws(
                serde_json::json!({"typ": "JWT"}),
                &serde_json::json!({"a": 1}),
            )
            .unwrap();
        let (header, payload, input, sig) = super::jws_parts(&jws).unwrap();
        assert_eq!(header["alg"], "EdDSA");
        assert_eq!(header["kid"], "k1");
        assert_eq!(payload, br#"{"a":1}"#);
        assert!(super::ed25519_verify(
            &key.public_key(),
            input.as_bytes(),
            &sig
        ));
        let mut forged = sig.clone();
        forged[0] ^= 1;
        assert!(!super::ed25519_verify(
            &key.public_key(),
            input.as_bytes(),
            &forged
        ));
        let again = super::Ed25519Key::from_seed("k1".into(), &key.seed()).unwrap();
        assert_eq!(again.public_key(), key.public_key());
    }
}
