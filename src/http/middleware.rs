//! The outermost middleware: request id, one tracing span per request, metrics, security
//! headers, the guarantee that no error leaves without a problem+json body, and the answer to
//! the wire guard's stand-ins for heads the HTTP parser refused (`wire`).

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, web};
use tracing::Instrument;

use kernel::AppError;

use super::error::{PROBLEM_JSON, respond};
use super::request_id::{REQUEST_ID_HEADER, RequestContext};
use crate::state::AppState;

/// Serves one request inside its context and span; see the module doc.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let ctx = RequestContext::of(&req);
    let request_id = ctx.request_id.clone();
    let method = req.method().as_str().to_owned();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %method,
        route = tracing::field::Empty,
        status = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
    );

    let hsts = state.as_ref().is_some_and(|s| s.settings.security.hsts);
    let refused = super::wire::refusal(req.headers());
    let outcome = ctx
        .scope(
            async move {
                // A stand-in for a head the HTTP parser refused (see `wire`): answer its problem.
                if let Some(refusal) = refused {
                    return Ok(req.into_response(respond(&refusal.error())));
                }
                next.call(req)
                    .await
                    .map(|res| ensure_problem_body(res.map_into_boxed_body()))
                    // A middleware failed before any handler answered: build the problem here,
                    // inside the request context, and hand it on ready-made.
                    .map_err(|e| {
                        let mut res = e.error_response();
                        set_headers(
                            res.headers_mut(),
                            &RequestContext::current()
                                .map(|c| c.request_id)
                                .unwrap_or_default(),
                            hsts,
                            false,
                        );
                        actix_web::error::InternalError::from_response(e, res).into()
                    })
            }
            .instrument(span.clone()),
        )
        .await;
    let mut res = match outcome {
        Ok(res) => res,
        Err(e) => {
            if let Some(state) = &state {
                state
                    .metrics
                    .observe(&method, "<unmatched>", 500, started.elapsed().as_secs_f64());
            }
            return Err(e);
        }
    };
    let route = res
        .request()
        .match_pattern()
        .map(|p| crate::http::extract::documented_pattern(&p))
        .unwrap_or_else(|| "<unmatched>".to_owned());
    let status = res.status().as_u16();
    let is_docs = res.request().path().starts_with("/docs");
    set_headers(res.headers_mut(), &request_id, hsts, is_docs);

    let elapsed = started.elapsed();
    if let Some(state) = &state {
        state
            .metrics
            .observe(&method, &route, status, elapsed.as_secs_f64());
    }
    span.record("route", route.as_str());
    span.record("status", status);
    span.record("latency_ms", elapsed.as_secs_f64() * 1000.0);
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!("request finished");
        } else {
            tracing::info!("request finished");
        }
    });
    Ok(res)
}

/// Replaces any error response that is not problem+json (actix's own plain-text errors) by
/// the problem of its status, keeping the other headers.
fn ensure_problem_body(res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == PROBLEM_JSON.as_bytes());
    if is_problem {
        return res;
    }
    let (req, old) = res.into_parts();
    let detail = status.canonical_reason().unwrap_or("error").to_owned();
    let mut new = respond(&AppError::of_status(status.as_u16(), detail));
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE
            && name != header::CONTENT_LENGTH
            && name != header::CONTENT_ENCODING
        {
            new.headers_mut().append(name.clone(), value.clone());
        }
    }
    ServiceResponse::new(req, new)
}

fn set_headers(h: &mut header::HeaderMap, request_id: &str, hsts: bool, is_docs: bool) {
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert(HeaderName::from_static(REQUEST_ID_HEADER), v);
    }
    let fixed: [(&str, &str); 5] = [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cross-origin-opener-policy", "same-origin"),
        (
            "permissions-policy",
            "camera=(), microphone=(), geolocation=()",
        ),
    ];
    for (k, v) in fixed {
        h.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
    }
    // Swagger UI needs its own scripts, styles and inline images; the API needs nothing.
    let csp = if is_docs {
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
    } else {
        "default-src 'none'; frame-ancestors 'none'"
    };
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    if hsts {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
}
