//! Certificates from the outside: completion issues exactly one Open Badges 3.0 credential
//! (also when completions race), its VC-JWT verifies with a JOSE library and the JWKS alone,
//! its Data Integrity proof and the DID documents agree, rotation breaks nothing, revoke and
//! suspend flip the right bit of the signed status lists, tampering is caught, strangers get
//! 404 and holders 403, the PDF and the baked images carry what they should, and badges are
//! defined, awarded (by hand and by rules) and shown as their holder chooses.

use std::io::Read;

use base64::Engine;
use futures_util::future::join_all;
use reqwest::{Method, Response};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::helpers::users::{TestUser, create_key, with_key};
use crate::helpers::{TestApp, assert_problem};

// ------------------------------------------------------------------ helpers

async fn expect(resp: Response, status: u16) -> Value {
    let got = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    assert_eq!(got, status, "unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn id_of(v: &Value) -> Uuid {
    v["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("an id")
}

fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .expect("base64url")
}

/// The JSON payload of a compact JWS (not verified).
fn jwt_payload(jwt: &str) -> Value {
    serde_json::from_slice(&b64(jwt.split('.').nth(1).expect("a payload"))).expect("JSON")
}

fn jwt_header(jwt: &str) -> Value {
    serde_json::from_slice(&b64(jwt.split('.').next().expect("a header"))).expect("JSON")
}

/// An instructor, an admin and a learner.
struct Cast {
    app: TestApp,
    instructor: TestUser,
    admin: TestUser,
    learner: TestUser,
}

async fn cast() -> Cast {
    cast_on(TestApp::spawn().await).await
}

async fn cast_on(app: TestApp) -> Cast {
    let instructor = app
        .signup_with_role("teacher@example.com", "instructor")
        .await;
    let admin = app.signup_with_role("admin@example.com", "admin").await;
    let learner = app.signup("learner@example.com").await;
    Cast {
        app,
        instructor,
        admin,
        learner,
    }
}

/// A published course of `n` text lessons; (course id, lesson ids).
async fn course(c: &Cast, title: &str, n: usize) -> (Uuid, Vec<Uuid>) {
    let app = &c.app;
    let course = expect(
        app.post_as(
            "/api/v1/courses",
            &c.instructor,
            &json!({"title": title, "summary": format!("All about {title}.")}),
        )
        .await,
        201,
    )
    .await;
    let id = id_of(&course);
    let module = id_of(
        &expect(
            app.post_as(
                &format!("/api/v1/courses/{id}/modules"),
                &c.instructor,
                &json!({"title": "Module one"}),
            )
            .await,
            201,
        )
        .await,
    );
    let mut lessons = Vec::new();
    for i in 0..n {
        let lesson = expect(
            app.post_as(
                &format!("/api/v1/modules/{module}/lessons"),
                &c.instructor,
                &json!({"title": format!("Lesson {i}"), "kind": "text", "content": "Read this."}),
            )
            .await,
            201,
        )
        .await;
        lessons.push(id_of(&lesson));
    }
    expect(
        app.post_as(
            &format!("/api/v1/courses/{id}/publish"),
            &c.admin,
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    (id, lessons)
}

async fn enroll(app: &TestApp, who: &TestUser, course: Uuid) {
    expect(
        app.post_as(&format!("/api/v1/courses/{course}/enroll"), who, &json!({}))
            .await,
        201,
    )
    .await;
}

async fn complete_lesson(app: &TestApp, who: &TestUser, lesson: Uuid) -> Response {
    app.call(
        Method::PUT,
        &format!("/api/v1/lessons/{lesson}/progress"),
        &who.access_token,
        Some(&json!({"status": "completed"})),
    )
    .await
}

/// Enrolls `who` and completes every lesson.
async fn complete_course(app: &TestApp, who: &TestUser, course: Uuid, lessons: &[Uuid]) {
    enroll(app, who, course).await;
    for l in lessons {
        expect(complete_lesson(app, who, *l).await, 200).await;
    }
}

/// `who`'s credentials (`GET /me/credentials`).
async fn credentials_of(app: &TestApp, who: &TestUser) -> Vec<Value> {
    let page = expect(
        app.get_as("/api/v1/me/credentials?per_page=100", who).await,
        200,
    )
    .await;
    page["items"].as_array().expect("items").clone()
}

/// The signed JSON-LD document of a credential, as `who` reads it.
async fn document(app: &TestApp, who: &TestUser, id: &str) -> Value {
    expect(
        app.get_as(&format!("/api/v1/credentials/{id}"), who).await,
        200,
    )
    .await
}

/// The VC-JWT of a credential (`Accept: application/vc+jwt`).
async fn vc_jwt(app: &TestApp, who: &TestUser, id: &str) -> String {
    let resp = app
        .client
        .get(app.url(&format!("/api/v1/credentials/{id}")))
        .bearer_auth(&who.access_token)
        .header("Accept", "application/vc+jwt")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "application/vc+jwt"
    );
    resp.text().await.unwrap()
}

async fn verify(app: &TestApp, credential: Value) -> Value {
    expect(
        app.post_json(
            "/api/v1/credentials/verify",
            &json!({"credential": credential}),
        )
        .await,
        200,
    )
    .await
}

/// Checks a VC-JWT with the `jsonwebtoken` library and the published JWKS only: the key is the
/// one whose `kid` is the fragment of the JWT's `kid` (a DID URL). Returns the claims.
async fn jose_verify(app: &TestApp, jwt: &str) -> Value {
    let jwks = expect(app.get("/.well-known/jwks.json").await, 200).await;
    let header = jsonwebtoken::decode_header(jwt).expect("a JOSE header");
    assert_eq!(header.alg, jsonwebtoken::Algorithm::EdDSA);
    let kid = header.kid.expect("a kid");
    let fragment = kid.split_once('#').expect("a DID URL").1;
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == fragment)
        .expect("the kid is in the JWKS");
    let key = jsonwebtoken::DecodingKey::from_ed_components(jwk["x"].as_str().unwrap())
        .expect("an Ed25519 JWK");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.validate_exp = false;
    validation.validate_nbf = true;
    validation.required_spec_claims = ["iss", "nbf"].into_iter().map(String::from).collect();
    jsonwebtoken::decode::<Value>(jwt, &key, &validation)
        .expect("the VC-JWT verifies with the JWKS")
        .claims
}

/// Whether bit `index` of the status list at `url` is set, after checking the list's own
/// signature against the JWKS.
async fn status_bit(app: &TestApp, url: &str, index: usize) -> bool {
    let path = url.split_once("/api/v1/").expect("an API URL").1;
    let resp = app.get(&format!("/api/v1/{path}")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "application/vc+jwt"
    );
    let jwt = resp.text().await.unwrap();
    let claims = jose_verify(app, &jwt).await;
    assert_eq!(claims["type"][1], "BitstringStatusListCredential");
    let encoded = claims["credentialSubject"]["encodedList"].as_str().unwrap();
    let gz = b64(encoded.strip_prefix('u').expect("multibase base64url"));
    let mut bits = Vec::new();
    flate2::read::GzDecoder::new(gz.as_slice())
        .read_to_end(&mut bits)
        .unwrap();
    assert_eq!(bits.len(), 131_072 / 8, "at least 131,072 entries");
    bits[index / 8] & (0x80 >> (index % 8)) != 0
}

/// (revocation list URL, suspension list URL, index) of a credential.
fn status_entries(doc: &Value) -> (String, String, usize) {
    let entries = doc["credentialStatus"].as_array().expect("entries");
    let find = |purpose: &str| {
        entries
            .iter()
            .find(|e| e["type"] == "BitstringStatusListEntry" && e["statusPurpose"] == purpose)
            .expect("a Bitstring entry")
            .clone()
    };
    let (r, s) = (find("revocation"), find("suspension"));
    assert_eq!(r["statusListIndex"], s["statusListIndex"]);
    (
        r["statusListCredential"].as_str().unwrap().to_owned(),
        s["statusListCredential"].as_str().unwrap().to_owned(),
        r["statusListIndex"].as_str().unwrap().parse().unwrap(),
    )
}

fn check_names(report: &Value) -> Vec<(String, bool)> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["check"].as_str().unwrap().to_owned(), c["passed"] == true))
        .collect()
}

// ------------------------------------------------------------------ issuing and verifying

#[tokio::test]
async fn completing_a_course_issues_one_credential_that_verifies_with_public_keys_only() {
    let c = cast().await;
    let app = &c.app;
    let (course_id, lessons) = course(&c, "Data Science Basics", 2).await;
    complete_course(app, &c.learner, course_id, &lessons).await;
    // Completing a lesson again changes nothing.
    expect(complete_lesson(app, &c.learner, lessons[1]).await, 200).await;

    let mine = credentials_of(app, &c.learner).await;
    assert_eq!(mine.len(), 1, "exactly one credential: {mine:?}");
    let cred = &mine[0];
    assert_eq!(cred["achievement_kind"], "course");
    assert_eq!(cred["achievement_id"], course_id.to_string());
    assert_eq!(cred["title"], "Data Science Basics");
    assert_eq!(cred["status"], "active");
    assert_eq!(cred["public"], false);
    let id = cred["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM audit_logs WHERE action = 'credential.issue' AND resource_id = '{id}'"
        ))
        .await,
        1
    );

    // The Open Badges 3.0 shape.
    let doc = document(app, &c.learner, &id).await;
    assert_eq!(doc["@context"][0], "https://www.w3.org/ns/credentials/v2");
    assert_eq!(
        doc["@context"][1],
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
    );
    assert_eq!(
        doc["type"],
        json!(["VerifiableCredential", "OpenBadgeCredential"])
    );
    assert!(
        doc["id"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/credentials/{id}"))
    );
    let issuer = doc["issuer"]["id"].as_str().unwrap().to_owned();
    assert!(issuer.starts_with("did:web:"), "{issuer}");
    assert_eq!(doc["issuer"]["type"], json!(["Profile"]));
    assert!(doc["validFrom"].is_string());
    let subject = &doc["credentialSubject"];
    assert_eq!(subject["type"], json!(["AchievementSubject"]));
    assert!(subject.get("id").is_none(), "no holder id leaks");
    let identity = &subject["identifier"][0];
    assert_eq!(identity["type"], "IdentityObject");
    assert_eq!(identity["hashed"], true);
    let salt = identity["salt"].as_str().unwrap();
    let expected = format!(
        "sha256${}",
        hex::encode(Sha256::digest(
            format!("learner@example.com{salt}").as_bytes()
        ))
    );
    assert_eq!(
        identity["identityHash"], expected,
        "a salted hash of the email"
    );
    assert!(!doc.to_string().contains("learner@example.com"));
    let achievement = &subject["achievement"];
    assert_eq!(achievement["type"], json!(["Achievement"]));
    assert_eq!(achievement["achievementType"], "Course");
    assert_eq!(achievement["name"], "Data Science Basics");
    assert!(achievement["criteria"]["narrative"].is_string());
    assert!(
        achievement["id"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/courses/{course_id}"))
    );
    let (revocation, suspension, _) = status_entries(&doc);
    assert_ne!(revocation, suspension);
    assert!(
        doc["credentialStatus"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "1EdTechRevocationList")
    );
    let proof = &doc["proof"];
    assert_eq!(proof["type"], "DataIntegrityProof");
    assert_eq!(proof["cryptosuite"], "eddsa-rdfc-2022");
    assert_eq!(proof["proofPurpose"], "assertionMethod");
    let vm = proof["verificationMethod"].as_str().unwrap().to_owned();
    assert!(vm.starts_with(&format!("{issuer}#")));

    // The VC-JWT verifies with a JOSE library and the JWKS; its claims are OB 3.0 §8.2's.
    let jwt = vc_jwt(app, &c.learner, &id).await;
    let header = jwt_header(&jwt);
    assert_eq!(header["kid"], vm, "one key id for both proofs");
    assert_eq!(header["typ"], "JWT");
    assert!(header["jwk"]["x"].is_string());
    assert!(header["jwk"].get("d").is_none());
    let claims = jose_verify(app, &jwt).await;
    assert_eq!(claims["iss"], issuer);
    assert_eq!(claims["jti"], doc["id"]);
    assert_eq!(
        claims["nbf"].as_i64().unwrap(),
        chrono::DateTime::parse_from_rfc3339(doc["validFrom"].as_str().unwrap())
            .unwrap()
            .timestamp()
    );
    assert_eq!(claims["proof"], doc["proof"], "the DI proof was made first");

    // The DID document publishes the same key as a Multikey.
    let did_path = match issuer.split_once(":orgs:") {
        Some((_, org)) => format!("/orgs/{org}/did.json"),
        None => "/.well-known/did.json".to_owned(),
    };
    let did_doc = expect(app.get(&did_path).await, 200).await;
    assert_eq!(did_doc["id"], issuer);
    let method = did_doc["verificationMethod"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == vm)
        .expect("the proof's key is in the DID document")
        .clone();
    assert!(
        did_doc["assertionMethod"]
            .as_array()
            .unwrap()
            .contains(&json!(vm))
    );
    let multikey = bs58::decode(&method["publicKeyMultibase"].as_str().unwrap()[1..])
        .into_vec()
        .unwrap();
    assert_eq!(&multikey[..2], &[0xed, 0x01]);
    assert_eq!(
        multikey[2..].to_vec(),
        b64(header["jwk"]["x"].as_str().unwrap())
    );

    // Both forms verify on the public route, every check passing.
    for presented in [json!(jwt), doc.clone()] {
        let report = verify(app, presented).await;
        assert_eq!(report["verdict"], "valid", "{report}");
        assert!(check_names(&report).iter().all(|(_, ok)| *ok), "{report}");
        assert_eq!(report["issuer"], issuer);
    }
    let report = verify(app, json!(jwt)).await;
    let names: Vec<String> = check_names(&report).into_iter().map(|(n, _)| n).collect();
    for check in [
        "jwt_signature",
        "jwt_claims",
        "data_integrity_proof",
        "status",
    ] {
        assert!(names.contains(&check.to_owned()), "{names:?}");
    }

    // The printed code is public.
    let code = cred["verification_code"].as_str().unwrap();
    let page = expect(
        app.get(&format!(
            "/api/v1/verify/{}",
            code.replace('-', "").to_lowercase()
        ))
        .await,
        200,
    )
    .await;
    assert_eq!(page["verdict"], "valid");
    assert_eq!(page["holder_name"], "Test User");
    assert_eq!(page["credential_url"], Value::Null, "private until shared");
    for unknown in ["AAAA-BBBB-CCCC".to_owned(), "A".repeat(500)] {
        assert_problem(
            app.get(&format!("/api/v1/verify/{unknown}")).await,
            404,
            "not_found",
        )
        .await;
    }
}

#[tokio::test]
async fn the_pdf_and_the_baked_images_carry_the_certificate() {
    let c = cast().await;
    let app = &c.app;
    let (course_id, lessons) = course(&c, "Printable Course", 1).await;
    complete_course(app, &c.learner, course_id, &lessons).await;
    let cred = credentials_of(app, &c.learner).await.remove(0);
    let id = cred["id"].as_str().unwrap();
    let code = cred["verification_code"].as_str().unwrap();
    let jwt = vc_jwt(app, &c.learner, id).await;

    let resp = app
        .get_as(&format!("/api/v1/credentials/{id}/pdf"), &c.learner)
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    let pdf = resp.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let doc = lopdf::Document::load_mem(&pdf).expect("a valid PDF");
    assert_eq!(doc.get_pages().len(), 1);
    let text = doc.extract_text(&[1]).unwrap();
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in ["Test User", code, "Printable Course"] {
        assert!(flat.contains(needle), "{needle:?} not in {flat:?}");
    }

    let png = app
        .get_as(&format!("/api/v1/credentials/{id}/badge.png"), &c.learner)
        .await;
    assert_eq!(png.headers()["content-type"], "image/png");
    let bytes = png.bytes().await.unwrap();
    let reader = png::Decoder::new(std::io::Cursor::new(bytes.to_vec()))
        .read_info()
        .unwrap();
    let baked = reader
        .info()
        .utf8_text
        .iter()
        .find(|t| t.keyword == "openbadgecredential")
        .expect("an iTXt openbadgecredential chunk");
    assert_eq!(baked.get_text().unwrap(), jwt);

    let svg = app
        .get_as(&format!("/api/v1/credentials/{id}/badge.svg"), &c.learner)
        .await;
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    let svg = svg.text().await.unwrap();
    let tree = roxmltree::Document::parse(&svg).unwrap();
    let node = tree
        .descendants()
        .find(|n| n.tag_name().name() == "credential")
        .expect("an openbadges:credential element");
    assert_eq!(
        node.tag_name().namespace(),
        Some("https://purl.imsglobal.org/ob/v3p0")
    );
    assert_eq!(node.attribute("verify"), Some(jwt.as_str()));

    // Strangers get none of it.
    let stranger = app.signup("stranger@example.com").await;
    for suffix in ["", "/pdf", "/badge.png", "/badge.svg", "/evidence"] {
        assert_problem(
            app.get_as(&format!("/api/v1/credentials/{id}{suffix}"), &stranger)
                .await,
            404,
            "not_found",
        )
        .await;
    }
}

#[tokio::test]
async fn racing_completions_issue_exactly_one_credential_per_achievement() {
    // Sixteen requests at once, each a transaction that waits on the others' locks: a pool
    // that holds them all, so the test is about exactly-once and not about pool sizing.
    let c = cast_on(TestApp::spawn_with(|s| s.database.max_connections = 24).await).await;
    let app = &c.app;
    let (a, a_lessons) = course(&c, "Course A", 2).await;
    let (b, b_lessons) = course(&c, "Course B", 2).await;
    let path = expect(
        app.post_as(
            "/api/v1/learning-paths",
            &c.instructor,
            &json!({"title": "Path AB", "description": "Both courses.",
                    "courses": [{"course_id": a, "required": true}, {"course_id": b, "required": true}]}),
        )
        .await,
        201,
    )
    .await;
    let path_id = id_of(&path);

    let mut learners = Vec::new();
    for i in 0..4 {
        let who = app.signup(&format!("racer{i}@example.com")).await;
        expect(
            app.post_as(
                &format!("/api/v1/learning-paths/{path_id}/enroll"),
                &who,
                &json!({}),
            )
            .await,
            201,
        )
        .await;
        for course in [a, b] {
            let resp = app
                .post_as(
                    &format!("/api/v1/courses/{course}/enroll"),
                    &who,
                    &json!({}),
                )
                .await;
            assert!([201, 409].contains(&resp.status().as_u16()));
        }
        expect(complete_lesson(app, &who, a_lessons[0]).await, 200).await;
        expect(complete_lesson(app, &who, b_lessons[0]).await, 200).await;
        learners.push(who);
    }
    // Each learner finishes both courses at once (the last lesson of each, and the last
    // lesson of A twice more): one credential per course and exactly one for the path.
    let mut racing = Vec::new();
    for who in &learners {
        racing.push(complete_lesson(app, who, a_lessons[1]));
        racing.push(complete_lesson(app, who, b_lessons[1]));
        racing.push(complete_lesson(app, who, a_lessons[1]));
        racing.push(complete_lesson(app, who, a_lessons[1]));
    }
    for resp in join_all(racing).await {
        assert_eq!(
            resp.status(),
            200,
            "{}",
            resp.text().await.unwrap_or_default()
        );
    }
    for who in &learners {
        let mine = credentials_of(app, who).await;
        let count = |kind: &str, target: Uuid| {
            mine.iter()
                .filter(|c| {
                    c["achievement_kind"] == kind && c["achievement_id"] == target.to_string()
                })
                .count()
        };
        assert_eq!(count("course", a), 1, "{mine:?}");
        assert_eq!(count("course", b), 1, "{mine:?}");
        assert_eq!(count("path", path_id), 1, "{mine:?}");
        assert_eq!(mine.len(), 3);
        let path_cred = mine
            .iter()
            .find(|c| c["achievement_kind"] == "path")
            .unwrap();
        let doc = document(app, who, path_cred["id"].as_str().unwrap()).await;
        assert_eq!(
            doc["credentialSubject"]["achievement"]["achievementType"],
            "LearningProgram"
        );
        assert_eq!(verify(app, doc).await["verdict"], "valid");
    }
    // Distinct status slots for every credential of the issuer.
    assert_eq!(
        app.count("SELECT count(DISTINCT (status_list, status_index)) AS n FROM credentials")
            .await,
        app.count("SELECT count(*) AS n FROM credentials").await
    );
}

#[tokio::test]
async fn credentials_still_verify_after_a_key_rotation() {
    let c = cast().await;
    let app = &c.app;
    let root = app
        .signup_with_role("root@example.com", "super_admin")
        .await;
    let (first, l1) = course(&c, "Before Rotation", 1).await;
    complete_course(app, &c.learner, first, &l1).await;
    let old = credentials_of(app, &c.learner).await.remove(0);
    let old_jwt = vc_jwt(app, &c.learner, old["id"].as_str().unwrap()).await;
    let old_doc = document(app, &c.learner, old["id"].as_str().unwrap()).await;

    let rotated = expect(
        app.post_as(
            "/api/v1/keys/rotate",
            &root,
            &json!({"purpose": "credentials"}),
        )
        .await,
        201,
    )
    .await;
    let new_kid = rotated["kid"].as_str().unwrap();
    assert!(!old_jwt_kid(&old_jwt).ends_with(new_kid));

    jose_verify(app, &old_jwt).await;
    assert_eq!(verify(app, json!(old_jwt)).await["verdict"], "valid");
    assert_eq!(verify(app, old_doc).await["verdict"], "valid");

    let (second, l2) = course(&c, "After Rotation", 1).await;
    complete_course(app, &c.learner, second, &l2).await;
    let new = credentials_of(app, &c.learner)
        .await
        .into_iter()
        .find(|x| x["achievement_id"] == second.to_string())
        .unwrap();
    let new_jwt = vc_jwt(app, &c.learner, new["id"].as_str().unwrap()).await;
    assert!(
        old_jwt_kid(&new_jwt).ends_with(new_kid),
        "new credentials use the new key"
    );
    jose_verify(app, &new_jwt).await;
    assert_eq!(verify(app, json!(new_jwt)).await["verdict"], "valid");
    let did_doc = expect(app.get("/.well-known/did.json").await, 200).await;
    assert!(did_doc["verificationMethod"].as_array().unwrap().len() >= 2);
}

fn old_jwt_kid(jwt: &str) -> String {
    jwt_header(jwt)["kid"].as_str().unwrap().to_owned()
}

// ------------------------------------------------------------------ status

#[tokio::test]
async fn revoke_and_suspend_flip_the_right_bits_and_only_the_issuer_may() {
    let c = cast().await;
    let app = &c.app;
    let (course_id, lessons) = course(&c, "Status Course", 1).await;
    complete_course(app, &c.learner, course_id, &lessons).await;
    let other = app.signup("other@example.com").await;
    complete_course(app, &other, course_id, &lessons).await;
    let cred = credentials_of(app, &c.learner).await.remove(0);
    let id = cred["id"].as_str().unwrap().to_owned();
    let doc = document(app, &c.learner, &id).await;
    let jwt = vc_jwt(app, &c.learner, &id).await;
    let (revocation, suspension, index) = status_entries(&doc);
    let other_doc = document(
        app,
        &other,
        credentials_of(app, &other).await[0]["id"].as_str().unwrap(),
    )
    .await;
    let (_, _, other_index) = status_entries(&other_doc);
    assert!(!status_bit(app, &revocation, index).await);
    assert!(!status_bit(app, &suspension, index).await);

    // Who may not: a stranger (404 everywhere) and the holder (403: they see it).
    let stranger = app.signup("stranger@example.com").await;
    for action in ["revoke", "suspend", "unsuspend"] {
        let body = json!({"reason": "no"});
        assert_problem(
            app.post_as(
                &format!("/api/v1/credentials/{id}/{action}"),
                &stranger,
                &body,
            )
            .await,
            404,
            "not_found",
        )
        .await;
        assert_problem(
            app.post_as(
                &format!("/api/v1/credentials/{id}/{action}"),
                &c.learner,
                &body,
            )
            .await,
            403,
            "forbidden",
        )
        .await;
    }
    assert_problem(
        app.get_as(&format!("/api/v1/credentials/{id}"), &stranger)
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.patch_as(
            &format!("/api/v1/credentials/{id}"),
            &stranger,
            &json!({"public": true}),
        )
        .await,
        404,
        "not_found",
    )
    .await;

    // Suspend (the course's instructor, who issues its certificates).
    let suspended = expect(
        app.post_as(
            &format!("/api/v1/credentials/{id}/suspend"),
            &c.instructor,
            &json!({"reason": "Under review"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(suspended["status"], "suspended");
    assert!(status_bit(app, &suspension, index).await);
    assert!(!status_bit(app, &revocation, index).await);
    assert!(
        !status_bit(app, &suspension, other_index).await,
        "only that bit"
    );
    assert_eq!(verify(app, json!(jwt)).await["verdict"], "suspended");
    assert_problem(
        app.post_as(
            &format!("/api/v1/credentials/{id}/suspend"),
            &c.instructor,
            &json!({}),
        )
        .await,
        409,
        "already_suspended",
    )
    .await;

    // Unsuspend: the bit clears and the credential verifies again.
    expect(
        app.post_as(
            &format!("/api/v1/credentials/{id}/unsuspend"),
            &c.instructor,
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    assert!(!status_bit(app, &suspension, index).await);
    assert_eq!(verify(app, json!(jwt)).await["verdict"], "valid");
    assert_problem(
        app.post_as(
            &format!("/api/v1/credentials/{id}/unsuspend"),
            &c.instructor,
            &json!({}),
        )
        .await,
        409,
        "not_suspended",
    )
    .await;

    // Revoke needs a reason; then the revocation bit is set for good.
    assert_problem(
        app.post_as(
            &format!("/api/v1/credentials/{id}/revoke"),
            &c.admin,
            &json!({"reason": "  "}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    let revoked = expect(
        app.post_as(
            &format!("/api/v1/credentials/{id}/revoke"),
            &c.admin,
            &json!({"reason": "Issued in error"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(revoked["status"], "revoked");
    assert!(status_bit(app, &revocation, index).await);
    assert!(!status_bit(app, &revocation, other_index).await);
    for presented in [json!(jwt), doc.clone()] {
        let report = verify(app, presented).await;
        assert_eq!(report["verdict"], "revoked");
        assert_eq!(report["revocation_reason"], "Issued in error");
        let checks = check_names(&report);
        assert!(checks.contains(&("status".to_owned(), false)));
        assert!(checks.contains(&("data_integrity_proof".to_owned(), true)));
    }
    let mine = credentials_of(app, &c.learner).await;
    assert_eq!(mine[0]["status"], "revoked");
    assert_eq!(
        mine[0]["revocation_reason"], "Issued in error",
        "holders see why"
    );
    let code = mine[0]["verification_code"].as_str().unwrap();
    assert_eq!(
        expect(app.get(&format!("/api/v1/verify/{code}")).await, 200).await["verdict"],
        "revoked"
    );
    assert_problem(
        app.post_as(
            &format!("/api/v1/credentials/{id}/suspend"),
            &c.admin,
            &json!({}),
        )
        .await,
        409,
        "credential_revoked",
    )
    .await;
    // The 1EdTech list says so too.
    let list_url = doc["credentialStatus"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "1EdTechRevocationList")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let list = expect(
        app.get(&format!(
            "/api/v1/{}",
            list_url.split_once("/api/v1/").unwrap().1
        ))
        .await,
        200,
    )
    .await;
    assert_eq!(list["revokedCredentials"][0]["id"], doc["id"]);
    assert_eq!(
        list["revokedCredentials"][0]["revocationReason"],
        "Issued in error"
    );
    for action in [
        "credential.suspend",
        "credential.unsuspend",
        "credential.revoke",
    ] {
        assert_eq!(
            app.count(&format!(
                "SELECT count(*) AS n FROM audit_logs WHERE action = '{action}' AND resource_id = '{id}'"
            ))
            .await,
            1,
            "{action} audited"
        );
    }
}

#[tokio::test]
async fn tampered_credentials_are_rejected() {
    let c = cast().await;
    let app = &c.app;
    let (course_id, lessons) = course(&c, "Tamper Course", 1).await;
    complete_course(app, &c.learner, course_id, &lessons).await;
    let id = credentials_of(app, &c.learner).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let doc = document(app, &c.learner, &id).await;
    let jwt = vc_jwt(app, &c.learner, &id).await;
    let parts: Vec<&str> = jwt.split('.').collect();
    let encode = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());

    // A changed payload under the original signature.
    let mut payload = jwt_payload(&jwt);
    payload["credentialSubject"]["achievement"]["name"] = json!("Rocket Science");
    let forged = format!("{}.{}.{}", parts[0], encode(&payload), parts[2]);
    let report = verify(app, json!(forged)).await;
    assert_eq!(report["verdict"], "bad_signature", "{report}");
    assert!(check_names(&report).contains(&("jwt_signature".to_owned(), false)));

    // A changed JSON-LD credential: its DI proof fails.
    let mut changed = doc.clone();
    changed["credentialSubject"]["achievement"]["name"] = json!("Rocket Science");
    let report = verify(app, changed).await;
    assert_eq!(report["verdict"], "bad_signature", "{report}");
    assert!(check_names(&report).contains(&("data_integrity_proof".to_owned(), false)));

    // A changed proof value.
    let mut bad_proof = doc.clone();
    let pv = bad_proof["proof"]["proofValue"]
        .as_str()
        .unwrap()
        .to_owned();
    let flipped = if pv.ends_with('A') { "B" } else { "A" };
    bad_proof["proof"]["proofValue"] = json!(format!("{}{flipped}", &pv[..pv.len() - 1]));
    assert_eq!(verify(app, bad_proof).await["verdict"], "bad_signature");

    // A swapped `kid`: another published key (the audit key) or an unknown one.
    let audit_kid = expect(app.get("/.well-known/jwks.json").await, 200).await["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["purpose"] == "audit")
        .map(|k| k["kid"].as_str().unwrap().to_owned());
    let issuer = doc["issuer"]["id"].as_str().unwrap();
    for kid in [audit_kid.unwrap_or_else(|| "audit-x".into()), "nope".into()] {
        let mut header = jwt_header(&jwt);
        header["kid"] = json!(format!("{issuer}#{kid}"));
        let swapped = format!("{}.{}.{}", encode(&header), parts[1], parts[2]);
        let report = verify(app, json!(swapped)).await;
        assert_eq!(report["verdict"], "bad_signature", "{report}");
        assert!(check_names(&report).contains(&("key".to_owned(), false)));
        let mut swapped_doc = doc.clone();
        swapped_doc["proof"]["verificationMethod"] = json!(format!("{issuer}#{kid}"));
        assert_eq!(verify(app, swapped_doc).await["verdict"], "bad_signature");
    }

    // Another issuer, and things that are no credential at all.
    let mut foreign = doc.clone();
    foreign["issuer"]["id"] = json!("did:web:elsewhere.example");
    assert_eq!(verify(app, foreign).await["verdict"], "unknown_issuer");
    for junk in [json!("not.a.jwt"), json!("abc"), json!({"hello": "world"})] {
        assert_eq!(verify(app, junk).await["verdict"], "malformed");
    }
    for wrong in [json!(42), json!(["a"]), json!("x".repeat(262_145))] {
        let body = assert_problem(
            app.post_json("/api/v1/credentials/verify", &json!({"credential": wrong}))
                .await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(body["errors"][0]["pointer"], "#/credential");
        assert!(
            body["errors"][0]["detail"]
                .as_str()
                .unwrap()
                .contains("VC-JWT"),
            "{body}"
        );
    }
    assert_problem(
        app.post_json("/api/v1/credentials/verify", &json!({}))
            .await,
        422,
        "validation_failed",
    )
    .await;
}

// ------------------------------------------------------------------ sharing and badges

#[tokio::test]
async fn holders_share_credentials_and_choose_whether_their_badges_show() {
    let c = cast().await;
    let app = &c.app;
    let (course_id, lessons) = course(&c, "Shared Course", 1).await;
    complete_course(app, &c.learner, course_id, &lessons).await;
    let id = credentials_of(app, &c.learner).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_problem(
        app.get(&format!("/api/v1/credentials/{id}")).await,
        404,
        "not_found",
    )
    .await;
    let shared = expect(
        app.patch_as(
            &format!("/api/v1/credentials/{id}"),
            &c.learner,
            &json!({"public": true}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(shared["public"], true);
    let public = expect(app.get(&format!("/api/v1/credentials/{id}")).await, 200).await;
    assert_eq!(verify(app, public).await["verdict"], "valid");
    // The evidence stays with the holder and the issuer.
    let stranger = app.signup("stranger@example.com").await;
    assert_problem(
        app.get_as(&format!("/api/v1/credentials/{id}/evidence"), &stranger)
            .await,
        404,
        "not_found",
    )
    .await;
    // The issuing instructor may not change the holder's choice.
    assert_problem(
        app.patch_as(
            &format!("/api/v1/credentials/{id}"),
            &c.instructor,
            &json!({"public": false}),
        )
        .await,
        404,
        "not_found",
    )
    .await;

    // A platform badge awarded by hand.
    let badge = expect(
        app.post_as(
            "/api/v1/badges",
            &c.admin,
            &json!({"name": "Helper", "description": "Helps others.", "criteria": "Answered ten forum questions."}),
        )
        .await,
        201,
    )
    .await;
    let badge_id = id_of(&badge);
    assert_problem(
        app.post_as(
            "/api/v1/badges",
            &c.learner,
            &json!({"name": "Mine", "criteria": "Being me."}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.post_as(
            &format!("/api/v1/badges/{badge_id}/awards"),
            &c.learner,
            &json!({"user_id": c.learner.id}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    let awarded = expect(
        app.post_as(
            &format!("/api/v1/badges/{badge_id}/awards"),
            &c.admin,
            &json!({"user_id": c.learner.id}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(awarded["achievement_kind"], "badge");
    assert_eq!(awarded["holder_id"], c.learner.id.to_string());
    assert_problem(
        app.post_as(
            &format!("/api/v1/badges/{badge_id}/awards"),
            &c.admin,
            &json!({"user_id": c.learner.id}),
        )
        .await,
        409,
        "already_awarded",
    )
    .await;
    let badge_doc = document(app, &c.learner, awarded["id"].as_str().unwrap()).await;
    assert_eq!(
        badge_doc["credentialSubject"]["achievement"]["achievementType"],
        "Badge"
    );
    assert_eq!(verify(app, badge_doc).await["verdict"], "valid");

    // Badges show on the profile only when the holder says so.
    let path = format!("/api/v1/users/{}/badges", c.learner.id);
    assert_problem(app.get_as(&path, &stranger).await, 404, "not_found").await;
    assert_problem(app.get(&path).await, 404, "not_found").await;
    assert_eq!(
        expect(app.get_as(&path, &c.learner).await, 200).await["total"],
        1
    );
    let settings = expect(
        app.call(
            Method::PUT,
            "/api/v1/me/credential-settings",
            &c.learner.access_token,
            Some(&json!({"public_badges": true})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(settings["public_badges"], true);
    let listed = expect(app.get(&path).await, 200).await;
    assert_eq!(listed["items"][0]["badge_id"], badge_id.to_string());
    assert_eq!(listed["items"][0]["name"], "Helper");
}

#[tokio::test]
async fn badge_rules_award_on_completion_and_on_a_good_enough_pass() {
    let c = cast().await;
    let app = &c.app;
    let (course_id, lessons) = course(&c, "Rules Course", 1).await;
    let quiz = expect(
        app.post_as(
            &format!("/api/v1/courses/{course_id}/quizzes"),
            &c.instructor,
            &json!({"title": "Two questions", "pass_score": "50"}),
        )
        .await,
        201,
    )
    .await;
    let quiz_id = id_of(&quiz);
    let mut questions = Vec::new();
    for prompt in ["Is Rust memory safe?", "Is water wet?"] {
        let q = expect(
            app.post_as(
                &format!("/api/v1/quizzes/{quiz_id}/questions"),
                &c.instructor,
                &json!({"kind": "true_false", "prompt": prompt, "correct": true, "points": "1"}),
            )
            .await,
            201,
        )
        .await;
        questions.push(id_of(&q));
    }

    // Bad rules are refused with pointers.
    let refused = assert_problem(
        app.post_as(
            "/api/v1/badges",
            &c.admin,
            &json!({"name": "Bad", "criteria": "x", "rules": [
                {"kind": "course_completed", "target_id": Uuid::now_v7()},
                {"kind": "course_completed", "target_id": course_id, "min_percent": "10"},
                {"kind": "assessment_passed", "target_id": quiz_id, "min_percent": "101"},
                {"kind": "graduated", "target_id": course_id}
            ]}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    let pointers: Vec<&str> = refused["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    for p in [
        "#/rules/0/target_id",
        "#/rules/1/min_percent",
        "#/rules/2/min_percent",
        "#/rules/3/kind",
    ] {
        assert!(pointers.contains(&p), "{pointers:?}");
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM badges").await, 0);

    let finisher = id_of(
        &expect(
            app.post_as(
                "/api/v1/badges",
                &c.admin,
                &json!({"name": "Finisher", "criteria": "Finish the course.",
                        "rules": [{"kind": "course_completed", "target_id": course_id}]}),
            )
            .await,
            201,
        )
        .await,
    );
    let ace = expect(
        app.post_as(
            "/api/v1/badges",
            &c.admin,
            &json!({"name": "Ace", "criteria": "Score 100 % on the quiz.", "valid_days": 365,
                    "rules": [{"kind": "assessment_passed", "target_id": quiz_id, "min_percent": "100"}]}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(ace["rules"][0]["min_percent"], "100");
    let ace_id = id_of(&ace);

    // Two learners pass: one with 50 %, one with 100 %.
    let half = app.signup("half@example.com").await;
    let full = app.signup("full@example.com").await;
    for (who, answers) in [(&half, [true, false]), (&full, [true, true])] {
        enroll(app, who, course_id).await;
        let attempt = id_of(
            &expect(
                app.post_as(
                    &format!("/api/v1/quizzes/{quiz_id}/attempts"),
                    who,
                    &json!({}),
                )
                .await,
                201,
            )
            .await,
        );
        let responses: Vec<Value> = questions
            .iter()
            .zip(answers)
            .map(|(q, a)| json!({"question_id": q, "answer": a}))
            .collect();
        expect(
            app.call(
                Method::PUT,
                &format!("/api/v1/attempts/{attempt}/responses"),
                &who.access_token,
                Some(&json!({"responses": responses})),
            )
            .await,
            200,
        )
        .await;
        let submitted = expect(
            app.post_as(
                &format!("/api/v1/attempts/{attempt}/submit"),
                who,
                &json!({}),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(submitted["passed"], true);
        for l in &lessons {
            expect(complete_lesson(app, who, *l).await, 200).await;
        }
    }
    let badges_of = |mine: Vec<Value>| -> Vec<String> {
        mine.iter()
            .filter(|c| c["achievement_kind"] == "badge")
            .map(|c| c["achievement_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let half_badges = badges_of(credentials_of(app, &half).await);
    let full_badges = badges_of(credentials_of(app, &full).await);
    assert_eq!(half_badges, vec![finisher.to_string()]);
    assert_eq!(full_badges.len(), 2);
    assert!(full_badges.contains(&ace_id.to_string()));

    // The course certificate states the grade and digests the graded attempt.
    let mine = credentials_of(app, &full).await;
    let cert = mine
        .iter()
        .find(|c| c["achievement_kind"] == "course")
        .unwrap();
    let doc = document(app, &full, cert["id"].as_str().unwrap()).await;
    assert_eq!(doc["credentialSubject"]["result"][0]["value"], "100");
    let evidence = expect(
        app.get_as(
            &format!(
                "/api/v1/credentials/{}/evidence",
                cert["id"].as_str().unwrap()
            ),
            &full,
        )
        .await,
        200,
    )
    .await;
    let record = &evidence[0];
    assert_eq!(record["learner_id"], full.id.to_string());
    let mut multihash = vec![0x12, 0x20];
    multihash.extend_from_slice(&Sha256::digest(serde_json::to_vec(record).unwrap()));
    assert_eq!(
        doc["evidence"][0]["digestMultibase"],
        format!(
            "u{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(multihash)
        )
    );
    // An award that expires says so.
    let ace_cred = mine
        .iter()
        .find(|c| c["achievement_id"] == ace_id.to_string())
        .unwrap();
    assert!(ace_cred["valid_until"].is_string());
    let ace_doc = document(app, &full, ace_cred["id"].as_str().unwrap()).await;
    assert!(ace_doc["validUntil"].is_string());
    assert_eq!(verify(app, ace_doc).await["verdict"], "valid");
}

#[tokio::test]
async fn organizations_issue_under_their_own_did() {
    let c = cast().await;
    let app = &c.app;
    let org = expect(
        app.post_as(
            "/api/v1/organizations",
            &c.admin,
            &json!({"name": "Ubuntu College"}),
        )
        .await,
        201,
    )
    .await;
    let org_id = id_of(&org);
    let badge = expect(
        app.post_as(
            "/api/v1/badges",
            &c.admin,
            &json!({"organization_id": org_id, "name": "Ubuntu Scholar", "criteria": "Enrolled at Ubuntu College."}),
        )
        .await,
        201,
    )
    .await;
    // An instructor outside the organization may not define or award its badges.
    assert_problem(
        app.post_as(
            "/api/v1/badges",
            &c.instructor,
            &json!({"organization_id": org_id, "name": "Fake", "criteria": "x"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.post_as(
            &format!("/api/v1/badges/{}/awards", id_of(&badge)),
            &c.instructor,
            &json!({"user_id": c.learner.id}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    let awarded = expect(
        app.post_as(
            &format!("/api/v1/badges/{}/awards", id_of(&badge)),
            &c.admin,
            &json!({"user_id": c.learner.id}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(awarded["issuer"]["organization_id"], org_id.to_string());
    assert_eq!(awarded["issuer"]["name"], "Ubuntu College");
    let did = awarded["issuer"]["did"].as_str().unwrap();
    assert!(did.ends_with(&format!(":orgs:{org_id}")));
    let doc = document(app, &c.learner, awarded["id"].as_str().unwrap()).await;
    assert_eq!(doc["issuer"]["id"], did);
    let did_doc = expect(app.get(&format!("/orgs/{org_id}/did.json")).await, 200).await;
    assert_eq!(did_doc["id"], did);
    assert!(
        did_doc["verificationMethod"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == doc["proof"]["verificationMethod"])
    );
    assert_eq!(verify(app, doc).await["verdict"], "valid");

    // Through an API key, a badge's status needs `badge:award`: the route takes keys with
    // `certificate:issue` or `badge:award` (403 for others), and the credential's kind decides
    // which counts (a `certificate:issue` key acts as a stranger to a badge: 404).
    let cred = awarded["id"].as_str().unwrap();
    let suspend = format!("/api/v1/credentials/{cred}/suspend");
    let body = json!({"reason": "Checking the evidence"});
    for (permission, status, code) in [
        ("credential:read", 403, "forbidden"),
        ("certificate:issue", 404, "not_found"),
    ] {
        let key = create_key(app, &c.admin, &[permission]).await;
        let resp = with_key(app, Method::POST, &suspend, &key, Some(&body)).await;
        assert_problem(resp, status, code).await;
    }
    let key = create_key(app, &c.admin, &["badge:award"]).await;
    let suspended = expect(
        with_key(app, Method::POST, &suspend, &key, Some(&body)).await,
        200,
    )
    .await;
    assert_eq!(suspended["status"], "suspended");
    let unsuspend = format!("/api/v1/credentials/{cred}/unsuspend");
    let lifted = expect(
        with_key(app, Method::POST, &unsuspend, &key, None).await,
        200,
    )
    .await;
    assert_eq!(lifted["status"], "active");

    assert_problem(
        app.get(&format!("/orgs/{}/did.json", Uuid::now_v7())).await,
        404,
        "not_found",
    )
    .await;
}
