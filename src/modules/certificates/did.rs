//! Issuer identities: the platform is `did:web:<host>`, an organization issuing under its own
//! name `did:web:<host>:orgs:<id>` (port percent-encoded: `localhost%3A8080`). Their DID
//! documents list every `credentials` key ever used (retired ones too, so credentials signed
//! before a rotation still verify) as Multikey verification methods `<did>#<kid>`.

use entity::signing_keys;
use kernel::enums::KeyPurpose;
use serde_json::{Value, json};
use uuid::Uuid;

use super::proof::multikey;

/// The `did:web` host part of the public URL (`localhost%3A8080`).
pub fn did_host(public_url: &str) -> String {
    let url = url::Url::parse(public_url).ok();
    let host = url
        .as_ref()
        .and_then(|u| u.host_str())
        .unwrap_or("localhost")
        .to_owned();
    match url.and_then(|u| u.port()) {
        Some(port) => format!("{host}%3A{port}"),
        None => host,
    }
}

/// The DID of an issuer: the platform (`None`) or an organization.
pub fn issuer_did(public_url: &str, org: Option<Uuid>) -> String {
    let host = did_host(public_url);
    match org {
        Some(id) => format!("did:web:{host}:orgs:{id}"),
        None => format!("did:web:{host}"),
    }
}

/// The organization a DID names, if it is one of ours (`None` inside for the platform).
pub fn org_of_did(public_url: &str, did: &str) -> Option<Option<Uuid>> {
    let platform = issuer_did(public_url, None);
    if did == platform {
        return Some(None);
    }
    did.strip_prefix(&format!("{platform}:orgs:"))
        .and_then(|id| id.parse().ok())
        .map(Some)
}

/// The DID document of `did`, listing `keys` (the credentials keys) as Multikey methods.
pub fn did_document(did: &str, keys: &[signing_keys::Model]) -> Value {
    let methods: Vec<Value> = keys
        .iter()
        .filter(|k| k.purpose == KeyPurpose::Credentials)
        .map(|k| {
            json!({
                "id": format!("{did}#{}", k.kid),
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": multikey(&k.public_key),
            })
        })
        .collect();
    let ids: Vec<Value> = methods.iter().map(|m| m["id"].clone()).collect();
    json!({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": ids,
        "authentication": ids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dids_follow_did_web() {
        let url = "http://localhost:8080";
        assert_eq!(issuer_did(url, None), "did:web:localhost%3A8080");
        let org = Uuid::nil();
        let did = issuer_did(url, Some(org));
        assert_eq!(
            did,
            "did:web:localhost%3A8080:orgs:00000000-0000-0000-0000-000000000000"
        );
        assert_eq!(org_of_did(url, &did), Some(Some(org)));
        assert_eq!(org_of_did(url, "did:web:localhost%3A8080"), Some(None));
        assert_eq!(org_of_did(url, "did:web:elsewhere.example"), None);
        assert_eq!(
            issuer_did("https://azora.example", None),
            "did:web:azora.example"
        );
    }
}
