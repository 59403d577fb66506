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

/// Two types with the same name both deriving `ToSchema` would share one component, and utoipa
/// keeps whichever it meets last: one operation would then document the other's body.
#[test]
fn schema_names_are_unique_across_modules() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")),
        &mut files,
    );
    walk(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/kernel/src")),
        &mut files,
    );
    let mut seen: std::collections::BTreeMap<String, String> = Default::default();
    let mut clashes = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut derives_schema = false;
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with("#[derive(") && line.contains("ToSchema") {
                derives_schema = true;
                continue;
            }
            if !derives_schema || line.starts_with("#[") || line.starts_with("///") {
                continue;
            }
            derives_schema = false;
            let name = line
                .trim_start_matches("pub ")
                .trim_start_matches("struct ")
                .trim_start_matches("enum ")
                .split(|c: char| !c.is_alphanumeric() && c != '_')
                .next()
                .unwrap_or_default()
                .to_owned();
            let at = file.display().to_string();
            if let Some(first) = seen.insert(name.clone(), at.clone()) {
                clashes.push(format!("{name}: {first} and {at}"));
            }
        }
    }
    assert!(seen.len() > 50, "found only {} schema types", seen.len());
    assert!(clashes.is_empty(), "{clashes:#?}");
}
