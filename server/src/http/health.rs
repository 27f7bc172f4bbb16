//! `GET /api/health`: whether the container engine answers, for monitors and load balancers.

use std::sync::Arc;

use app::auth::Actor;
use app::error::AppError;
use axum::extract::{Extension, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::runtime::ContainerRuntime;

/// 200 when Docker answers, 503 otherwise. Anyone may ask (a load balancer, a monitor);
/// where Docker is and what went wrong (the typed error every route answers with) are for
/// signed-in users only.
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
                json!({ "status": "unavailable", "error": error })
            } else {
                json!({ "status": "unavailable" })
            };
            (error.status_code(), Json(body)).into_response()
        }
    }
}
