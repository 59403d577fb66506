//! The finishing pass over the OpenAPI document, so that what every route shares is declared
//! once, here, and a new route gets it for free:
//!
//! - security: an operation that accepts API keys (`("api_key" = [permissions])`) also accepts
//!   bearer tokens; the API-key scopes are the permissions a key needs;
//! - problem responses: each operation gets the statuses the shared machinery can answer (400
//!   for a malformed body, query or path; 401/403 when secured; 404 for a path with an id;
//!   413/415/422 for a body; 500; 503), merged with the codes its handler names;
//! - descriptions: every problem response lists its codes with their meanings from
//!   `ErrorCode`; a handler names codes in backticks at the start of its description
//!   (`"`slug_taken`"`), optionally followed by a note. Success responses without a
//!   description get the status's reason phrase.

use kernel::ErrorCode;
use serde_json::{Map, Value, json};

use super::{API_KEY, BEARER, PROBLEM_JSON};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// `$ref`s to schemas the document does not hold (a test keeps this empty).
pub fn dangling_refs(doc: &Value) -> Vec<String> {
    let mut names = std::collections::BTreeSet::new();
    referenced_schemas(doc, &mut names);
    names
        .into_iter()
        .filter(|n| doc["components"]["schemas"].get(n).is_none())
        .collect()
}

/// Codes a handler named that are not in `ErrorCode` (a test keeps this empty).
pub fn unknown_codes(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for_each_operation(doc, |_, _, op| {
        for resp in op["responses"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(_, r)| r)
        {
            let (_, unknown, _) = parse_description(resp["description"].as_str().unwrap_or(""));
            out.extend(unknown);
        }
    });
    out
}

fn for_each_operation(doc: &Value, mut f: impl FnMut(&str, &str, &Value)) {
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                f(path, method, op);
            }
        }
    }
}

/// `(codes, unknown code-like tokens, note)` of a handler's description: the backticked
/// codes it starts with, then free text.
fn parse_description(text: &str) -> (Vec<ErrorCode>, Vec<String>, String) {
    let mut codes = Vec::new();
    let mut unknown = Vec::new();
    let mut rest = text.trim();
    while let Some(after) = rest.strip_prefix('`') {
        let Some((token, tail)) = after.split_once('`') else {
            break;
        };
        match ErrorCode::ALL.iter().find(|c| c.as_str() == token) {
            Some(code) => codes.push(*code),
            None if token.chars().all(|c| c.is_ascii_lowercase() || c == '_') => {
                unknown.push(token.to_owned())
            }
            None => break,
        }
        rest = tail
            .trim_start()
            .trim_start_matches(',')
            .trim_start()
            .trim_start_matches("or ")
            .trim_start();
    }
    let mut note = rest.trim_start_matches([':', '-', ' ']).trim();
    if let Some(inner) = note.strip_prefix('(').and_then(|n| n.strip_suffix(')')) {
        note = inner;
    }
    let note = if codes.is_empty() { text.trim() } else { note };
    (codes, unknown, note.to_owned())
}

fn has_param(op: &Value, location: &str) -> bool {
    op["parameters"]
        .as_array()
        .is_some_and(|ps| ps.iter().any(|p| p["in"] == location))
}

/// The codes the shared machinery can answer with, per status, for one operation.
fn common_codes(path: &str, op: &Value) -> Vec<(u16, Vec<ErrorCode>)> {
    use ErrorCode as C;
    let body = op.get("requestBody").is_some();
    let query = has_param(op, "query");
    let path_params = path.contains('{');
    let security = op["security"].as_array().cloned().unwrap_or_default();
    let secured = security
        .iter()
        .any(|r| r.as_object().is_some_and(|o| !o.is_empty()));
    let keys = security.iter().any(|r| r.get(API_KEY).is_some());
    let mut out: Vec<(u16, Vec<ErrorCode>)> = Vec::new();
    // Every operation: the wire guard's refusals of a head the HTTP parser rejects.
    let mut bad = vec![C::MalformedRequest];
    if body {
        bad.extend([C::MalformedJson, C::InvalidBody, C::UnreadableBody]);
    }
    if query {
        bad.push(C::InvalidQuery);
    }
    if path_params {
        bad.push(C::InvalidPathParameter);
    }
    out.push((400, bad));
    if secured {
        out.push((
            401,
            vec![
                C::Unauthenticated,
                C::InvalidToken,
                C::TokenExpired,
                C::SessionRevoked,
                C::InvalidApiKey,
            ],
        ));
        let limited = if keys {
            C::Forbidden
        } else {
            C::SessionRequired
        };
        out.push((403, vec![C::AccountSuspended, limited]));
    }
    if path_params {
        out.push((404, vec![C::NotFound]));
    }
    if body {
        out.push((413, vec![C::PayloadTooLarge]));
        out.push((415, vec![C::UnsupportedMediaType]));
    }
    out.push((414, vec![C::UriTooLong]));
    if body || query {
        out.push((422, vec![C::ValidationFailed]));
    }
    out.push((431, vec![C::HeadersTooLarge]));
    out.push((500, vec![C::InternalError]));
    out.push((503, vec![C::DatabaseUnavailable]));
    out
}

fn describe(codes: &[ErrorCode], note: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    if !note.is_empty() {
        lines.push(format!("{note}."));
    }
    lines.extend(
        codes
            .iter()
            .map(|c| format!("- `{}`: {}", c.as_str(), c.meaning())),
    );
    lines.join("\n")
}

fn problem_response(codes: &[ErrorCode], note: &str, status: u16) -> Value {
    let mut resp = json!({
        "description": describe(codes, note),
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    });
    if status == 429 || status == 503 {
        resp["headers"] = json!({"Retry-After": {
            "description": "Seconds to wait before trying again.",
            "schema": {"type": "integer", "minimum": 1}
        }});
    }
    resp
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No content",
        _ => "Response",
    }
}

fn finish_operation(path: &str, op: &mut Map<String, Value>) {
    // Security: API keys imply bearer tokens too (bearer first, as most clients use it).
    if let Some(reqs) = op.get_mut("security").and_then(Value::as_array_mut)
        && reqs.iter().any(|r| r.get(API_KEY).is_some())
        && !reqs.iter().any(|r| r.get(BEARER).is_some())
    {
        let at = reqs
            .iter()
            .position(|r| r.get(API_KEY).is_some())
            .unwrap_or(0);
        reqs.insert(at, json!({ BEARER: [] }));
    }
    let common = common_codes(path, &Value::Object(op.clone()));
    let responses = op
        .entry("responses")
        .or_insert_with(|| json!({}))
        .as_object_mut();
    let Some(responses) = responses else {
        return;
    };
    let mut statuses: Vec<u16> = responses.keys().filter_map(|k| k.parse().ok()).collect();
    statuses.extend(common.iter().map(|(s, _)| *s));
    statuses.sort_unstable();
    statuses.dedup();
    for status in statuses {
        let key = status.to_string();
        let declared = responses.get(&key).cloned();
        if status < 400 {
            if let Some(mut r) = declared
                && r["description"].as_str().is_none_or(str::is_empty)
            {
                r["description"] = json!(reason(status));
                responses.insert(key, r);
            }
            continue;
        }
        let (mut codes, _, note) = parse_description(
            declared
                .as_ref()
                .and_then(|r| r["description"].as_str())
                .unwrap_or(""),
        );
        for (s, shared) in &common {
            if *s == status {
                for c in shared {
                    if !codes.contains(c) {
                        codes.push(*c);
                    }
                }
            }
        }
        responses.insert(key, problem_response(&codes, &note, status));
    }
}

/// Every `#/components/schemas/...` name referenced anywhere in `v`.
fn referenced_schemas(v: &Value, out: &mut std::collections::BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                out.insert(name.to_owned());
            }
            map.values().for_each(|v| referenced_schemas(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| referenced_schemas(v, out)),
        _ => {}
    }
}

/// Registers the bounded-text components that only query parameters use (utoipa collects
/// the schemas of bodies, not of parameters).
fn add_missing_text_schemas(doc: &mut Value) {
    let mut names = std::collections::BTreeSet::new();
    referenced_schemas(doc, &mut names);
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for name in names {
        if !schemas.contains_key(&name)
            && let Some(schema) = kernel::text::bounded_schema(&name)
        {
            schemas.insert(name, schema);
        }
    }
}

/// The body of a binary response (a PDF, an image): in OpenAPI 3.1 a string of raw bytes, the
/// media type given by the response's content type. Use as `body = Binary` in `#[utoipa::path]`.
pub struct Binary;

impl utoipa::PartialSchema for Binary {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .content_media_type("application/octet-stream")
            .description(Some("The raw bytes of the response's media type."))
            .into()
    }
}

impl utoipa::ToSchema for Binary {}

/// Applies the finishing pass to a document as JSON.
pub fn finish(doc: &mut Value) {
    add_missing_text_schemas(doc);
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        for method in METHODS {
            if let Some(op) = item.get_mut(method).and_then(Value::as_object_mut) {
                finish_operation(path, op);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_split_into_codes_and_note() {
        let (codes, unknown, note) =
            parse_description("`validation_failed`: bad email (feedback in `errors`)");
        assert_eq!(codes, vec![ErrorCode::ValidationFailed]);
        assert!(unknown.is_empty());
        assert_eq!(note, "bad email (feedback in `errors`)");
        let (_, _, note) = parse_description("`not_a_session` (API keys)");
        assert_eq!(note, "API keys");
        let (codes, unknown, _) = parse_description("`slug_taken`, `no_such_code`");
        assert_eq!(codes, vec![ErrorCode::SlugTaken]);
        assert_eq!(unknown, vec!["no_such_code".to_owned()]);
        let (codes, _, note) = parse_description("unknown currency");
        assert!(codes.is_empty());
        assert_eq!(note, "unknown currency");
    }
}
