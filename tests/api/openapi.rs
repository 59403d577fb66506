//! The OpenAPI document: 3.1, committed, complete, and every documented route is routed; and
//! Swagger UI is served from the binary.

use crate::helpers::TestApp;
use serde_json::Value;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

#[test]
fn committed_openapi_json_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json"))
        .unwrap_or_default();
    let generated = azora::openapi::document_json();
    assert!(
        committed == generated,
        "openapi.json is stale: regenerate it with `cargo run -- openapi > openapi.json` and commit it"
    );
}

#[tokio::test]
async fn served_document_is_openapi_3_1_with_security_and_tags() {
    let app = TestApp::spawn().await;
    let resp = app.get("/api-docs/openapi.json").await;
    assert_eq!(resp.status(), 200);
    let doc: Value = resp.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "Azora API");
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["bearer"]["bearerFormat"], "JWT");
    assert_eq!(schemes["api_key"]["name"], "X-Api-Key");
    assert!(doc["components"]["schemas"]["Problem"].is_object());

    // Every operation has a tag that the document declares.
    let tags: Vec<&str> = doc["tags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                let tag = op["tags"][0].as_str().unwrap_or_default();
                assert!(
                    tags.contains(&tag),
                    "{method} {path} has undeclared tag {tag:?}"
                );
            }
        }
    }
    let committed: Value = serde_json::from_str(include_str!("../../openapi.json")).unwrap();
    assert_eq!(doc, committed, "the served document is the committed one");
}

#[tokio::test]
async fn every_documented_route_is_routed() {
    let app = TestApp::spawn().await;
    let doc: Value = app
        .get("/api-docs/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.contains_key("/health/live"));
    assert!(paths.contains_key("/health/ready"));
    assert!(paths.contains_key("/metrics"));
    assert!(paths.contains_key("/api/v1/system/info"));
    let mut checked = 0;
    for (path, item) in paths {
        let concrete: String = path
            .split('/')
            .map(|seg| {
                if seg.starts_with('{') {
                    uuid::Uuid::now_v7().to_string()
                } else {
                    seg.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        for method in METHODS {
            if item.get(method).is_none() {
                continue;
            }
            let resp = app
                .client
                .request(method.to_uppercase().parse().unwrap(), app.url(&concrete))
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let body = resp.text().await.unwrap_or_default();
            assert!(
                !body.contains("\"route_not_found\"") && !body.contains("\"method_not_allowed\""),
                "{method} {path} is documented but not routed ({status}: {body})"
            );
            checked += 1;
        }
    }
    assert!(checked >= 4);
}

#[tokio::test]
async fn swagger_ui_is_served_with_its_assets() {
    let app = TestApp::spawn().await;
    let resp = app.get("/docs").await;
    assert!(resp.status().is_redirection());
    assert_eq!(resp.headers()["location"], "/docs/");

    let resp = app.get("/docs/").await;
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");

    let resp = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    assert!(resp.bytes().await.unwrap().len() > 100_000);

    let init = app
        .get("/docs/swagger-initializer.js")
        .await
        .text()
        .await
        .unwrap();
    assert!(init.contains("/api-docs/openapi.json"), "{init}");
}

#[test]
fn the_readme_lists_every_error_code() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .unwrap_or_default();
    for code in kernel::ErrorCode::ALL {
        let row = format!("| `{}` | {} |", code.as_str(), code.status());
        assert!(
            readme.contains(&row),
            "README lacks the error code row {row}"
        );
    }
}

#[tokio::test]
async fn the_problem_schema_lists_every_error_code() {
    let app = TestApp::spawn().await;
    let doc: Value = app
        .get("/api-docs/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    let codes = doc["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .cloned()
        .or_else(|| {
            doc["components"]["schemas"]["Problem"]["properties"]["code"]["enum"]
                .as_array()
                .cloned()
        })
        .unwrap_or_default();
    assert_eq!(codes.len(), kernel::ErrorCode::ALL.len());
}
