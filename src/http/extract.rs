//! Request extraction that fails with problems, never with actix's plain-text errors.
//!
//! - [`Json`]: the body extractor every handler uses. It checks the content type (415), the
//!   size limit (413), the syntax (400 `malformed_json`) and the shape (422
//!   `validation_failed` with a JSON pointer to the offending field: wrong type, missing field,
//!   unknown field where the DTO denies them).
//! - [`configure_extractors`]: path, query and payload configs that route actix's own
//!   extractor errors through [`AppError`].
//! - [`not_found_or_method`]: the default service, 404 `route_not_found` or 405 with `Allow`.

use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::error::{PathError, QueryPayloadError};
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use kernel::{AppError, ErrorCode, FieldError};

use super::error::{ApiError, respond};

/// The size limit of request bodies, in `app_data`.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON request body, deserialized with precise problems on failure.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<mime::Mime>().ok())
            .is_some_and(|m| {
                m.type_() == mime::APPLICATION
                    && (m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON))
            });
        let limit = req.app_data::<BodyLimit>().map_or(1024 * 1024, |l| l.0);
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(AppError::new(
                    ErrorCode::UnsupportedMediaType,
                    "the body must be JSON (Content-Type: application/json)",
                )
                .into());
            }
            let bytes = body.await.map_err(|e| payload_error(&e, limit))?;
            Ok(Json(parse_json(&bytes)?))
        })
    }
}

/// A query string, deserialized with precise problems on failure: a value of the wrong type is
/// 400 `invalid_query`; a well-formed value that breaks a rule of its type (too long, control
/// characters) is 422 `validation_failed` pointing at the parameter.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(Query).map_err(ApiError))
    }
}

/// Deserializes a query string as `T`; see [`Query`].
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, AppError> {
    let de = serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let message = e.inner().to_string();
        match message.strip_prefix(kernel::text::RULE) {
            Some(rule) => AppError::validation(vec![FieldError::new(field, rule)]),
            None => AppError::new(
                ErrorCode::InvalidQuery,
                format!("the query string is invalid: {field}: {message}"),
            )
            .with_errors(vec![FieldError::new(field, message)]),
        }
    })
}

/// Deserializes `bytes` as `T`, pointing at the failing field.
/// An optional JSON body: blank or `null` is `T::default()`, anything else must parse.
pub fn optional_json<T: DeserializeOwned + Default>(bytes: &[u8]) -> Result<T, AppError> {
    if bytes.iter().all(u8::is_ascii_whitespace) || bytes.trim_ascii() == b"null" {
        Ok(T::default())
    } else {
        parse_json(bytes)
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    if has_nul_escape(bytes) {
        // Postgres text cannot hold U+0000; refuse it here rather than fail at the database.
        return Err(AppError::new(
            ErrorCode::MalformedJson,
            "the body holds a NUL character (\\u0000), which no field accepts",
        ));
    }
    let mut json: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        AppError::new(
            ErrorCode::MalformedJson,
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    integral_floats_to_integers(&mut json);
    serde_path_to_error::deserialize(json).map_err(|e| {
        let path = e.path().clone();
        let inner = e.into_inner();
        let message = strip_position(&inner.to_string()).replace(kernel::text::RULE, "");
        let mut pointer = pointer_of(&path);
        // serde names the missing or unknown field in the message, not in the path.
        if let Some(field) = quoted_field(&message, "missing field `")
            .or_else(|| quoted_field(&message, "unknown field `"))
            && !pointer.ends_with(&format!("/{field}"))
        {
            pointer = format!("{pointer}/{field}");
        }
        AppError::validation(vec![FieldError::new(pointer, message)])
    })
}

/// JSON does not tell `2.0` from `2`, and JSON Schema calls both integers: integral floats
/// become integers so integer fields accept them (decimal fields are unaffected).
fn integral_floats_to_integers(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                *v = serde_json::Value::from(f as i64);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(integral_floats_to_integers),
        serde_json::Value::Object(map) => map.values_mut().for_each(integral_floats_to_integers),
        _ => {}
    }
}

/// Whether the JSON text holds a `\u0000` escape (one not itself escaped as `\\u0000`).
fn has_nul_escape(bytes: &[u8]) -> bool {
    bytes.windows(6).enumerate().any(|(i, w)| {
        w.eq_ignore_ascii_case(b"\\u0000")
            && bytes[..i]
                .iter()
                .rev()
                .take_while(|&&b| b == b'\\')
                .count()
                .is_multiple_of(2)
    })
}

fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::from("#");
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                out.push('/');
                out.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            Segment::Unknown => out.push_str("/?"),
        }
    }
    out
}

fn quoted_field(message: &str, prefix: &str) -> Option<String> {
    let rest = message.split_once(prefix)?.1;
    Some(rest.split('`').next()?.to_owned())
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

fn payload_error(e: &actix_web::Error, limit: usize) -> AppError {
    let too_large = e
        .as_error::<actix_web::error::PayloadError>()
        .is_some_and(|p| matches!(p, actix_web::error::PayloadError::Overflow));
    if too_large
        || e.as_response_error().status_code() == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE
    {
        AppError::new(
            ErrorCode::PayloadTooLarge,
            format!("the body exceeds the limit of {limit} bytes"),
        )
    } else {
        AppError::new(
            ErrorCode::UnreadableBody,
            format!("the body could not be read: {e}"),
        )
    }
}

/// Registers the problem-producing configs of actix's own extractors.
pub fn configure_extractors(cfg: &mut web::ServiceConfig, body_limit: usize) {
    cfg.app_data(BodyLimit(body_limit))
        .app_data(web::PayloadConfig::new(body_limit))
        .app_data(
            web::JsonConfig::default()
                .limit(body_limit)
                .error_handler(|e, _| {
                    ApiError(AppError::new(ErrorCode::InvalidBody, e.to_string())).into()
                }),
        )
        .app_data(web::PathConfig::default().error_handler(|e: PathError, _| {
            let detail = match &e {
                PathError::Deserialize(inner) => inner.to_string(),
                other => other.to_string(),
            };
            ApiError(AppError::new(
                ErrorCode::InvalidPathParameter,
                format!("a path parameter is malformed: {detail}"),
            ))
            .into()
        }))
        .app_data(
            web::QueryConfig::default().error_handler(|e: QueryPayloadError, _| {
                let detail = match &e {
                    QueryPayloadError::Deserialize(inner) => inner.to_string(),
                    other => other.to_string(),
                };
                ApiError(AppError::new(
                    ErrorCode::InvalidQuery,
                    format!("the query string is invalid: {detail}"),
                ))
                .into()
            }),
        );
}

/// Every documented route as (segments, methods), to tell 404 from 405, and the access rule
/// of each operation, from its documented security.
#[derive(Debug, Default)]
pub struct RouteTable {
    routes: Vec<(Vec<String>, Vec<&'static str>)>,
    access: std::collections::HashMap<(String, String), Access>,
}

/// Who may call an operation, as its `security` documents it.
#[derive(Debug, Clone, Default)]
pub struct Access {
    /// Callers may come without credentials (`{}` among the requirements).
    pub anonymous: bool,
    /// Credentials are read at all (the operation names a security scheme).
    pub secured: bool,
    /// The permissions an API key needs, as alternatives (OpenAPI lists security requirements
    /// that each suffice: a key must hold every permission of one of them); `None` when API
    /// keys may not call it.
    pub api_key: Option<Vec<Vec<String>>>,
}

impl RouteTable {
    /// The access rule of `method` on the route `pattern` (as actix matched it; a segment
    /// constraint such as `{id:[0-9a-f-]+}` is the document's `{id}`), if the operation is
    /// documented.
    pub fn access(&self, method: &str, pattern: &str) -> Option<&Access> {
        self.access
            .get(&(method.to_ascii_lowercase(), documented_pattern(pattern)))
    }

    pub fn from_openapi(doc: &utoipa::openapi::OpenApi) -> Self {
        let mut access = std::collections::HashMap::new();
        let json = serde_json::to_value(doc).unwrap_or_default();
        for (path, item) in json["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let reqs: Vec<&serde_json::Map<String, serde_json::Value>> = op["security"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|r| r.as_object())
                    .collect();
                let alternatives: Vec<Vec<String>> = reqs
                    .iter()
                    .filter_map(|r| r.get(super::API_KEY))
                    .map(|scopes| {
                        scopes
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|s| s.as_str().map(str::to_owned))
                            .collect()
                    })
                    .collect();
                let api_key = (!alternatives.is_empty()).then_some(alternatives);
                let rule = Access {
                    anonymous: reqs.is_empty() || reqs.iter().any(|r| r.is_empty()),
                    secured: reqs.iter().any(|r| !r.is_empty()),
                    api_key,
                };
                access.insert((method.clone(), path.clone()), rule);
            }
        }
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path
                    .strip_prefix('/')
                    .unwrap_or(path)
                    .split('/')
                    .map(str::to_owned)
                    .collect();
                let methods = [
                    ("GET", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("HEAD", item.head.is_some()),
                    ("OPTIONS", item.options.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, has)| has.then_some(m))
                .collect();
                (segments, methods)
            })
            .collect();
        Self { routes, access }
    }

    /// The methods allowed on `path`, empty when no route matches it. A literal segment wins
    /// over a parameter (`/forums/search` is not `/forums/{id}`): only the routes with the most
    /// literal matches count.
    pub fn allowed(&self, path: &str) -> Vec<&'static str> {
        let parts: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
        let mut out: Vec<&'static str> = Vec::new();
        let mut best = 0;
        for (segments, methods) in &self.routes {
            let matches = segments.len() == parts.len()
                && segments
                    .iter()
                    .zip(&parts)
                    .all(|(s, p)| (s.starts_with('{') && !p.is_empty()) || s == p);
            if !matches {
                continue;
            }
            let literal = segments.iter().filter(|s| !s.starts_with('{')).count();
            if literal > best {
                best = literal;
                out.clear();
            } else if literal < best {
                continue;
            }
            for m in methods {
                if !out.contains(m) {
                    out.push(m);
                }
            }
        }
        out
    }
}

/// A route pattern as the OpenAPI document spells it: `{name:regex}` segments become `{name}`.
pub fn documented_pattern(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut depth = 0usize;
    let mut skipping = false;
    for c in pattern.chars() {
        match c {
            '{' => {
                depth += 1;
                if depth == 1 {
                    skipping = false;
                    out.push(c);
                    continue;
                }
            }
            '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    skipping = false;
                    out.push(c);
                    continue;
                }
            }
            ':' if depth == 1 => {
                skipping = true;
                continue;
            }
            _ => {}
        }
        if !skipping {
            out.push(c);
        }
    }
    out
}

/// The default service: 405 with `Allow` when the path exists without this method, else 404
/// (also when the route has the method but a segment is not what it takes, as a forum id that
/// is not a UUID).
pub async fn not_found_or_method(req: HttpRequest, table: web::Data<RouteTable>) -> HttpResponse {
    let allowed = table.allowed(req.path());
    if allowed.is_empty() || allowed.contains(&req.method().as_str()) {
        respond(&AppError::new(
            ErrorCode::RouteNotFound,
            format!("no route {} {}", req.method(), req.path()),
        ))
    } else {
        respond(&AppError::method_not_allowed(&allowed))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn constrained_segments_read_as_the_documented_pattern() {
        assert_eq!(
            documented_pattern("/api/v1/forums/{id:[0-9a-fA-F-]+}/bans/{user_id}"),
            "/api/v1/forums/{id}/bans/{user_id}"
        );
        assert_eq!(documented_pattern("/a/{x:\\d{1,3}}/b"), "/a/{x}/b");
        assert_eq!(documented_pattern("/plain/{id}"), "/plain/{id}");
    }

    #[test]
    fn a_literal_segment_wins_over_a_parameter() {
        let route = |p: &str, m: Vec<&'static str>| {
            (p.split('/').map(str::to_owned).collect::<Vec<String>>(), m)
        };
        let table = RouteTable {
            routes: vec![
                route("forums/{id}", vec!["GET", "PATCH"]),
                route("forums/search", vec!["GET"]),
            ],
            access: Default::default(),
        };
        assert_eq!(table.allowed("/forums/search"), vec!["GET"]);
        assert_eq!(table.allowed("/forums/0190"), vec!["GET", "PATCH"]);
        assert!(table.allowed("/forums/a/b").is_empty());
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        items: Vec<Item>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Item {
        qty: u32,
    }

    fn pointer(json: &str) -> (u16, String) {
        let e = parse_json::<Body>(json.as_bytes()).unwrap_err();
        (
            e.status(),
            e.errors()
                .first()
                .map(|f| f.pointer.clone())
                .unwrap_or_default(),
        )
    }

    #[test]
    fn pointers_locate_the_field() {
        assert_eq!(
            pointer(r#"{"name":"a","items":[{"qty":"x"}]}"#),
            (422, "#/items/0/qty".into())
        );
        assert_eq!(pointer(r#"{"items":[]}"#), (422, "#/name".into()));
        assert_eq!(
            pointer(r#"{"name":"a","items":[],"extra":1}"#),
            (422, "#/extra".into())
        );
        assert_eq!(
            pointer(r#"{"name":"a","items":[{}]}"#),
            (422, "#/items/0/qty".into())
        );
        assert_eq!(pointer(r#"{"name": "#).0, 400);
        assert_eq!(pointer(r#"{"name":"a","items":[]} trailing"#).0, 400);
    }
}
