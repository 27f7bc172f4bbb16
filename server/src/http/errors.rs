//! The one error edge. Every refusal is an [`AppError`], and its `status_code` is the one
//! mapping to HTTP; it is rendered as JSON with that status for programs (`IntoResponse`),
//! as the close reason of a terminal's WebSocket, and as a page for a preview opened in a
//! browser tab ([`page`]). Server functions answer a failure with the error's JSON under a generic 500;
//! [`server_fn_status`] gives each the error's own status, so no server function sets one.

use app::error::AppError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;

/// `error` as a page a person reads: what a preview opened in a browser tab answers.
pub fn page(error: &AppError) -> Response {
    (
        error.status_code(),
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{error}\n"),
    )
        .into_response()
}

/// The largest error a server function answers with, read back to learn its status.
const LARGEST_ERROR: usize = 64 * 1024;

/// A failed server function's answer, with its error's status (and `Retry-After` for
/// sign-in throttling) in place of the generic 500. Pages rendered on the server that call
/// the same functions are not HTTP answers of theirs, and keep their 200.
pub async fn server_fn_status(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if !response.headers().contains_key(SERVER_FN_ERROR_HEADER) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, LARGEST_ERROR).await else {
        return AppError::Internal("the answer's error could not be read".into()).into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = error.status_code();
        if let AppError::TooManyAttempts { retry_after_secs } = error {
            parts
                .headers
                .insert(header::RETRY_AFTER, retry_after_secs.into());
        }
        parts.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    Response::from_parts(parts, Body::from(bytes))
}
