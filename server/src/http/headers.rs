//! Security headers on every response. Pages get a Content-Security-Policy whose only
//! inline script is Leptos' hydration loader, allowed by the per-render nonce Leptos puts on
//! it; everything else a page runs comes from this server (`/pkg`, `/ide`). WebAssembly needs
//! `'wasm-unsafe-eval'`; the editor and terminal inject styles, hence inline styles. When
//! browsers reach the server over HTTPS, they are told to keep to it (HSTS).

use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The policy, with the page's nonce when it has inline scripts.
pub fn content_security_policy(nonce: Option<&str>) -> String {
    let scripts = match nonce {
        Some(nonce) => format!("'self' 'wasm-unsafe-eval' 'nonce-{nonce}'"),
        None => "'self' 'wasm-unsafe-eval'".to_owned(),
    };
    format!(
        "default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// How browsers reach this server.
#[derive(Debug, Clone, Copy)]
pub struct Transport {
    /// Over HTTPS: served here with TLS, or by a proxy at an `https://` public URL.
    pub https: bool,
}

/// A year: what browsers keep HSTS for, and what preload lists ask.
const STRICT_TRANSPORT: &str = "max-age=31536000";

/// Adds the headers a response lacks; a page render has already set its own policy.
pub async fn security_headers(
    State(transport): State<Transport>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        if let Ok(policy) = HeaderValue::from_str(&content_security_policy(None)) {
            headers.insert(header::CONTENT_SECURITY_POLICY, policy);
        }
    }
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
    ] {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    headers
        .entry(HeaderName::from_static("cross-origin-opener-policy"))
        .or_insert(HeaderValue::from_static("same-origin"));
    if transport.https {
        headers
            .entry(header::STRICT_TRANSPORT_SECURITY)
            .or_insert(HeaderValue::from_static(STRICT_TRANSPORT));
    }
    response
}

/// For the page renderer: the policy naming the nonce Leptos gave this render's scripts.
pub fn provide_page_policy() {
    use leptos::nonce::use_nonce;
    use leptos::prelude::use_context;
    use leptos_axum::ResponseOptions;
    let (Some(nonce), Some(response)) = (use_nonce(), use_context::<ResponseOptions>()) else {
        return;
    };
    if let Ok(policy) = HeaderValue::from_str(&content_security_policy(Some(&nonce))) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, policy);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script_sources(policy: &str) -> Vec<String> {
        let directive = policy
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("script-src "))
            .expect("a script-src directive");
        directive
            .split_whitespace()
            .skip(1)
            .map(String::from)
            .collect()
    }

    #[test]
    fn the_policy_allows_wasm_and_the_nonce_but_no_other_inline_script() {
        let policy = content_security_policy(Some("abc123"));
        assert_eq!(
            script_sources(&policy),
            ["'self'", "'wasm-unsafe-eval'", "'nonce-abc123'"]
        );
        assert!(policy.contains("frame-ancestors 'none'"));
        assert_eq!(
            script_sources(&content_security_policy(None)),
            ["'self'", "'wasm-unsafe-eval'"]
        );
    }
}
