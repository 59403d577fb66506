//! The request context: the request id (accepted from `X-Request-Id` when well-formed, else a
//! new UUID v7) and the path, visible to everything that runs inside the request through a
//! task-local, so errors can quote them without threading the request everywhere.

use actix_web::HttpMessage;
use actix_web::dev::ServiceRequest;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

tokio::task_local! {
    static CONTEXT: RequestContext;
}

/// What every log line and problem body of a request can quote.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub request_id: String,
    pub path: String,
}

impl RequestContext {
    /// Builds the context of an incoming request and stores the id in its extensions.
    pub fn of(req: &ServiceRequest) -> Self {
        let request_id = req
            .headers()
            .get(REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|v| is_well_formed(v))
            .map(str::to_owned)
            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
        let ctx = Self {
            request_id,
            path: req.path().to_owned(),
        };
        req.extensions_mut().insert(ctx.clone());
        ctx
    }

    /// The context of the request being served on this task, if any.
    pub fn current() -> Option<Self> {
        CONTEXT.try_with(Clone::clone).ok()
    }

    /// Runs `fut` with this context installed.
    pub async fn scope<F: Future>(self, fut: F) -> F::Output {
        CONTEXT.scope(self, fut).await
    }
}

/// 1 to 128 characters of `A-Z a-z 0-9 - _ . :`; anything else is replaced by a fresh id.
pub fn is_well_formed(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

#[cfg(test)]
mod tests {
    use super::is_well_formed;

    #[test]
    fn request_id_shape() {
        assert!(is_well_formed("abc-123_x.y:z"));
        assert!(!is_well_formed(""));
        assert!(!is_well_formed("has space"));
        assert!(!is_well_formed(&"a".repeat(129)));
        assert!(!is_well_formed("<script>"));
    }
}
