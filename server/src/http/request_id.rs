//! Request ids: every answer carries `x-request-id` and every log line written while
//! serving a request names it. A proxy's id is kept when it looks like one (short, plain
//! characters); anything else a client sends is replaced, so nobody can write arbitrary
//! text into every log line of a request.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

pub const HEADER: &str = "x-request-id";
const MAX_LEN: usize = 64;

/// Drops an incoming id that is too long or has characters other than letters, digits,
/// `.`, `_` and `-`; a new one is made for the request instead.
pub async fn drop_unusual(mut request: Request, next: Next) -> Response {
    if request.headers().get(HEADER).is_some_and(|id| !usual(id)) {
        request.headers_mut().remove(HEADER);
    }
    next.run(request).await
}

fn usual(id: &HeaderValue) -> bool {
    let bytes = id.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_LEN
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The span every log line of a request is written in: its id, method and path.
pub fn span(request: &Request) -> tracing::Span {
    let id = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!("request", id, method = %request.method(), path = request.uri().path())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_ids_are_kept() {
        let id = |text: &str| HeaderValue::from_str(text).unwrap();
        assert!(usual(&id("from-the-proxy_42.a")));
        assert!(usual(&id("b7e4ea77-18ac-4680-b52c-485e728e6cd5")));
        assert!(!usual(&id("")));
        assert!(!usual(&id("two words")));
        assert!(!usual(&id("x\" level=ERROR")));
        assert!(!usual(&id(&"a".repeat(65))));
    }
}
