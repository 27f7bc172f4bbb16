//! `POST /api/ai/chat`: a chat answer streamed to the browser as JSON lines (`ChatEvent`).
//! The request is checked before anything streams (a workspace the user may not see is
//! 404, AI off is 503, a provider that refuses is its error), so failures keep their
//! status; a failure later in the answer arrives as its last line. When the browser stops
//! reading (Stop, a closed tab), the body is dropped, and with it the provider's request.

use std::convert::Infallible;

use app::ai::ChatRequest;
use app::auth::Actor;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::StreamExt;

use crate::http::state::AppState;

pub async fn chat(
    actor: Actor,
    State(state): State<AppState>,
    Json(request): Json<ChatRequest>,
) -> Response {
    let events = match state.ai.chat(&actor, request).await {
        Ok(events) => events,
        Err(e) => return e.into_response(),
    };
    let lines = events.map(|event| {
        let mut line = serde_json::to_vec(&event).unwrap_or_default();
        line.push(b'\n');
        Ok::<_, Infallible>(Bytes::from(line))
    });
    (
        [
            (header::CONTENT_TYPE, "application/x-ndjson"),
            // Proxies must pass each line on as it comes.
            (header::CACHE_CONTROL, "no-cache"),
            (header::HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        Body::from_stream(lines),
    )
        .into_response()
}
