//! Plain HTTP routes beside the Leptos ones: the live-update event stream and health.

use std::convert::Infallible;
use std::sync::Arc;

use app::error::AppError;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::{Stream, StreamExt};
use serde_json::json;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_util::sync::CancellationToken;

use crate::runtime::ContainerRuntime;

/// Server-sent events: one `changed` message per workspace change. A receiver that lagged
/// gets one message too; it refetches everything anyway.
/// The stream ends when the server shuts down.
pub async fn events(
    State(changes): State<broadcast::Sender<()>>,
    State(shutdown): State<CancellationToken>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let stream = BroadcastStream::new(changes.subscribe())
        .map(|_| Ok(Event::default().data("changed")))
        .take_until(shutdown.cancelled_owned());
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// 200 when Docker answers, 503 with what to do otherwise.
pub async fn health(State(runtime): State<Arc<dyn ContainerRuntime>>) -> Response {
    match runtime.ping().await {
        Ok(()) => Json(json!({ "status": "ok", "docker": runtime.address() })).into_response(),
        Err(e) => {
            let error = AppError::from(e);
            (
                error.status_code(),
                Json(json!({ "status": "unavailable", "error": error.to_string() })),
            )
                .into_response()
        }
    }
}
