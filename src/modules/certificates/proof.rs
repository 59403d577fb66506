//! The two proofs of a credential, pure and unit-tested:
//!
//! - a W3C Data Integrity proof, cryptosuite `eddsa-rdfc-2022`: the document and the proof
//!   options are expanded (JSON-LD 1.1, with the contexts bundled in the binary, never fetched),
//!   canonicalized (RDFC-1.0), hashed (`sha256(options) || sha256(document)`) and signed with
//!   Ed25519; `proofValue` is `z` + base58btc of the signature;
//! - a VC-JWT (Open Badges 3.0 §8.2): the credential, its DI proof included, as the payload of a
//!   compact JWS (`alg` EdDSA, `typ` JWT, `kid` a DID URL, `jwk` the public key), with `iss`,
//!   `jti`, `nbf` (and `sub` when the subject has an id, `exp` when it expires).

use kernel::crypto::{Ed25519Key, b64url, ed25519_verify};
use oxjsonld::{JsonLdParser, JsonLdRemoteDocument};
use oxrdf::Dataset;
use oxrdf::dataset::{CanonicalizationAlgorithm, CanonicalizationHashAlgorithm};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The JSON-LD contexts a credential may use, as bundled copies (those the independent
/// verifier uses too, byte for byte).
pub const CONTEXTS: &[(&str, &str)] = &[
    (
        "https://www.w3.org/ns/credentials/v2",
        include_str!("contexts/credentials-v2.json"),
    ),
    (
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        include_str!("contexts/ob-v3p0-context-3.0.3.json"),
    ),
    (
        "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
        include_str!("contexts/ob-v3p0-extensions.json"),
    ),
];

/// Why a proof could not be made or checked.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    #[error("JSON-LD: {0}")]
    JsonLd(String),
    #[error("the proof is malformed: {0}")]
    Malformed(&'static str),
    #[error("the signature does not verify")]
    BadSignature,
}

/// RDFC-1.0 canonical N-Quads of a JSON-LD document, with contexts from `contexts` only.
pub fn canonize(
    doc: &Value,
    contexts: &'static [(&'static str, &'static str)],
) -> Result<String, ProofError> {
    let bytes = serde_json::to_vec(doc).map_err(|e| ProofError::JsonLd(e.to_string()))?;
    let mut dataset = Dataset::new();
    let parser = JsonLdParser::new()
        .for_slice(&bytes)
        .with_load_document_callback(|url, _| {
            let (_, body) = contexts.iter().find(|(u, _)| *u == url).ok_or_else(
                || -> Box<dyn std::error::Error + Send + Sync> {
                    format!("the context {url} is not bundled").into()
                },
            )?;
            Ok(JsonLdRemoteDocument {
                document: body.as_bytes().to_vec(),
                document_url: url.into(),
            })
        });
    for quad in parser {
        dataset.insert(&quad.map_err(|e| ProofError::JsonLd(e.to_string()))?);
    }
    dataset.canonicalize(CanonicalizationAlgorithm::Rdfc10 {
        hash_algorithm: CanonicalizationHashAlgorithm::Sha256,
    });
    let mut lines: Vec<String> = dataset.iter().map(|q| format!("{q} .\n")).collect();
    lines.sort_unstable();
    Ok(lines.concat())
}

/// `sha256(canon(proof options with the document's @context)) || sha256(canon(document))`.
fn hash_data(
    unsecured: &Value,
    options: &Value,
    contexts: &'static [(&'static str, &'static str)],
) -> Result<[u8; 64], ProofError> {
    let mut config = options
        .as_object()
        .cloned()
        .ok_or(ProofError::Malformed("the proof is not an object"))?;
    config.remove("proofValue");
    config.insert("@context".into(), unsecured["@context"].clone());
    let mut out = [0_u8; 64];
    out[..32].copy_from_slice(&Sha256::digest(
        canonize(&Value::Object(config), contexts)?.as_bytes(),
    ));
    out[32..].copy_from_slice(&Sha256::digest(canonize(unsecured, contexts)?.as_bytes()));
    Ok(out)
}

/// `unsecured` with an `eddsa-rdfc-2022` proof by `key`, named `verification_method`.
pub fn add_data_integrity_proof(
    unsecured: &Value,
    key: &Ed25519Key,
    verification_method: &str,
    created: &str,
) -> Result<Value, ProofError> {
    let mut proof = json!({
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    });
    let signature = key.sign(&hash_data(unsecured, &proof, CONTEXTS)?);
    proof["proofValue"] = format!("z{}", bs58::encode(signature).into_string()).into();
    let mut secured = unsecured.clone();
    secured["proof"] = proof;
    Ok(secured)
}

/// Checks the `eddsa-rdfc-2022` proof of `secured` against the 32-byte `public_key`.
pub fn verify_data_integrity_proof(
    secured: &Value,
    public_key: &[u8],
    contexts: &'static [(&'static str, &'static str)],
) -> Result<(), ProofError> {
    let proof = &secured["proof"];
    if proof["type"] != "DataIntegrityProof" || proof["cryptosuite"] != "eddsa-rdfc-2022" {
        return Err(ProofError::Malformed("not an eddsa-rdfc-2022 proof"));
    }
    let value = proof["proofValue"]
        .as_str()
        .and_then(|v| v.strip_prefix('z'))
        .ok_or(ProofError::Malformed("no base58btc proofValue"))?;
    let signature = bs58::decode(value)
        .into_vec()
        .map_err(|_| ProofError::Malformed("proofValue is not base58btc"))?;
    let mut unsecured = secured.clone();
    if let Some(o) = unsecured.as_object_mut() {
        o.remove("proof");
    }
    let data = hash_data(&unsecured, proof, contexts)?;
    if ed25519_verify(public_key, &data, &signature) {
        Ok(())
    } else {
        Err(ProofError::BadSignature)
    }
}

/// `publicKeyMultibase` of an Ed25519 key (Multikey): `z` + base58btc(0xed 0x01 || key).
pub fn multikey(public_key: &[u8]) -> String {
    let mut bytes = vec![0xed, 0x01];
    bytes.extend_from_slice(public_key);
    format!("z{}", bs58::encode(bytes).into_string())
}

/// The key of a `publicKeyMultibase`, if it is an Ed25519 Multikey.
pub fn key_of_multikey(multibase: &str) -> Option<Vec<u8>> {
    let bytes = bs58::decode(multibase.strip_prefix('z')?).into_vec().ok()?;
    match bytes.as_slice() {
        [0xed, 0x01, key @ ..] if key.len() == 32 => Some(key.to_vec()),
        _ => None,
    }
}

/// The VC-JWT of a signed credential: a compact JWS whose payload is the credential with the
/// registered claims added; `kid` is the DID URL of the key.
pub fn vc_jwt(credential: &Value, key: &Ed25519Key, kid: &str) -> Result<String, ProofError> {
    let mut payload = credential.clone();
    let valid_from = credential["validFrom"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .ok_or(ProofError::Malformed("no validFrom"))?;
    let o = payload
        .as_object_mut()
        .ok_or(ProofError::Malformed("the credential is not an object"))?;
    let issuer = match &credential["issuer"] {
        Value::String(id) => Value::String(id.clone()),
        profile => profile["id"].clone(),
    };
    o.insert("iss".into(), issuer);
    o.insert("jti".into(), credential["id"].clone());
    o.insert("nbf".into(), valid_from.timestamp().into());
    if let Some(sub) = credential["credentialSubject"]["id"].as_str() {
        o.insert("sub".into(), sub.into());
    }
    if let Some(until) = credential["validUntil"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
    {
        o.insert("exp".into(), until.timestamp().into());
    }
    let header = json!({
        "typ": "JWT",
        "kid": kid,
        "jwk": {"kty": "OKP", "crv": "Ed25519", "x": b64url(&key.public_key())},
    });
    // kernel's JWS signer sets `alg` and replaces `kid` with the key's own id: keep the DID URL.
    let signer = Ed25519Key::from_seed(kid.to_owned(), &key.seed())
        .map_err(|_| ProofError::Malformed("bad key"))?;
    signer
        .sign_jws(header, &payload)
        .map_err(|_| ProofError::Malformed("cannot serialize the payload"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn vector_contexts() -> &'static [(&'static str, &'static str)] {
        let mut contexts = CONTEXTS.to_vec();
        contexts.push((
            "https://www.w3.org/ns/credentials/examples/v2",
            include_str!("../../../tests/api/fixtures/examples-v2.json"),
        ));
        contexts.leak()
    }

    #[test]
    fn the_w3c_test_vector_verifies_and_a_change_breaks_it() {
        let signed: Value = serde_json::from_str(include_str!(
            "../../../tests/api/fixtures/eddsa-rdfc-2022-signed.json"
        ))
        .unwrap();
        let key = key_of_multikey("z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2").unwrap();
        verify_data_integrity_proof(&signed, &key, vector_contexts()).unwrap();
        let mut tampered = signed.clone();
        tampered["name"] = "Another name".into();
        assert!(matches!(
            verify_data_integrity_proof(&tampered, &key, vector_contexts()),
            Err(ProofError::BadSignature)
        ));
    }

    #[test]
    fn own_proofs_round_trip_and_contexts_are_never_fetched() {
        let key = Ed25519Key::generate("k".into());
        let doc = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2",
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
            "id": "urn:uuid:0b6f6a52-4b7e-4f34-9a0a-2a9c1c7e9d01",
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "name": "Rust Basics",
            "issuer": {"id": "did:web:example.com", "type": ["Profile"], "name": "Azora"},
            "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {"type": ["AchievementSubject"], "achievement": {
                "id": "https://example.com/courses/1", "type": ["Achievement"],
                "name": "Rust Basics", "description": "d", "criteria": {"narrative": "n"}}}
        });
        let signed =
            add_data_integrity_proof(&doc, &key, "did:web:example.com#k", "2026-01-01T00:00:00Z")
                .unwrap();
        verify_data_integrity_proof(&signed, &key.public_key(), CONTEXTS).unwrap();
        let other = Ed25519Key::generate("o".into());
        assert!(verify_data_integrity_proof(&signed, &other.public_key(), CONTEXTS).is_err());
        let mut remote = doc.clone();
        remote["@context"] = json!(["https://example.com/unknown-context"]);
        assert!(matches!(
            canonize(&remote, CONTEXTS),
            Err(ProofError::JsonLd(_))
        ));
        assert_eq!(
            key_of_multikey(&multikey(&key.public_key())).unwrap(),
            key.public_key()
        );
        let jwt = vc_jwt(&signed, &key, "did:web:example.com#k").unwrap();
        let (header, payload, ..) = kernel::crypto::jws_parts(&jwt).unwrap();
        assert_eq!(header["kid"], "did:web:example.com#k");
        let payload: Value = serde_json::from_slice(&payload).unwrap();
        assert_eq!(payload["iss"], "did:web:example.com");
        assert_eq!(payload["nbf"], 1767225600);
        assert!(payload["proof"]["proofValue"].is_string());
    }
}
