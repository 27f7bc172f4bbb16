//! `GET /metrics` for admins (session or API token, so a scraper uses an admin's token): the
//! recorder's text with the gauges read at scrape time (workspaces by state, open terminals);
//! and the layer that times every request.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use app::auth::Actor;
use app::error::AppError;
use app::model::WorkspaceStatus;

use super::state::AppState;
use crate::metrics::handle;

/// Times every request under its route pattern (never the raw path, which would let any
/// client add series).
pub async fn track_requests(request: Request, next: Next) -> Response {
    // Any token is a method to HTTP: only the standard ones become labels.
    const STANDARD: [&str; 7] = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];
    let method = STANDARD
        .into_iter()
        .find(|m| *m == request.method().as_str())
        .unwrap_or("other");
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |path| path.as_str())
        .to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!("aicockpit_http_request_duration_seconds",
        "method" => method, "route" => route, "status" => status)
    .record(started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`: the Prometheus text format, for admins.
pub async fn serve(actor: Actor, State(state): State<AppState>) -> Response {
    if !actor.is_admin() {
        return AppError::Forbidden("Metrics are for admins.".into()).into_response();
    }
    let handle = handle();
    if let Ok(list) = state.workspaces.list(&actor).await {
        for status in ALL_STATES {
            let count = list
                .workspaces
                .iter()
                .filter(|w| w.status == status)
                .count();
            metrics::gauge!("aicockpit_workspaces", "state" => status.label()).set(count as f64);
        }
    }
    metrics::gauge!("aicockpit_terminals_open").set(state.terminals.session_count() as f64);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
        .into_response()
}

const ALL_STATES: [WorkspaceStatus; 7] = [
    WorkspaceStatus::Running,
    WorkspaceStatus::Stopped,
    WorkspaceStatus::Paused,
    WorkspaceStatus::Restarting,
    WorkspaceStatus::Removing,
    WorkspaceStatus::Dead,
    WorkspaceStatus::Missing,
];
