//! Plain HTTP routes beside the Leptos ones: the live-update event stream and health.

use std::convert::Infallible;
use std::sync::Arc;

use app::auth::Actor;
use app::error::AppError;
use axum::extract::{Extension, State};
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

/// 200 when Docker answers, 503 otherwise. Anyone may ask (a load balancer, a monitor);
/// where Docker is and what went wrong are for signed-in users only.
pub async fn health(
    actor: Option<Extension<Actor>>,
    State(runtime): State<Arc<dyn ContainerRuntime>>,
) -> Response {
    let signed_in = actor.is_some();
    match runtime.ping().await {
        Ok(()) if signed_in => {
            Json(json!({ "status": "ok", "docker": runtime.address() })).into_response()
        }
        Ok(()) => Json(json!({ "status": "ok" })).into_response(),
        Err(e) => {
            let error = AppError::from(e);
            let body = if signed_in {
                json!({ "status": "unavailable", "error": error.to_string() })
            } else {
                json!({ "status": "unavailable" })
            };
            (error.status_code(), Json(body)).into_response()
        }
    }
}
