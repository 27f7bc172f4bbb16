//! Prometheus metrics: one process-wide recorder, fed by the `metrics` macros where things
//! happen (HTTP requests, Docker calls, AI requests), plus gauges read at scrape time
//! (workspaces by state, open terminals). `GET /metrics` is for admins (session or API
//! token), so a scraper uses an admin's token.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use app::auth::Actor;
use app::error::AppError;
use app::model::WorkspaceStatus;

use crate::state::AppState;

/// Where scrapers find the metrics: Prometheus' default, a route for programs (401, never a
/// sign-in redirect).
pub const PATH: &str = "/metrics";

/// Seconds: from a quick Docker inspect to a slow create or model answer.
const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0,
];

/// The recorder, installed on first use (tests start several servers in one process).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&LATENCY_BUCKETS)
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed; /metrics stays empty");
        }
        describe();
        handle
    })
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_histogram!(
        "aicockpit_http_request_duration_seconds",
        Unit::Seconds,
        "HTTP requests by route and status"
    );
    describe_histogram!(
        "aicockpit_docker_call_duration_seconds",
        Unit::Seconds,
        "Calls to the container engine by operation"
    );
    describe_counter!(
        "aicockpit_docker_errors_total",
        "Failed calls to the container engine by operation and kind"
    );
    describe_counter!(
        "aicockpit_ai_requests_total",
        "Requests to model providers by provider and outcome"
    );
    describe_counter!(
        "aicockpit_ai_tokens_total",
        "Tokens reported by model providers, by provider and kind"
    );
    describe_gauge!("aicockpit_workspaces", "Workspaces by state");
    describe_gauge!("aicockpit_terminals_open", "Terminal sessions running");
}

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

/// Times one call to the container engine, counting failures by kind.
pub fn record_docker_call<T, E: std::fmt::Debug>(
    operation: &'static str,
    started: Instant,
    result: &Result<T, E>,
) {
    metrics::histogram!("aicockpit_docker_call_duration_seconds", "operation" => operation)
        .record(started.elapsed().as_secs_f64());
    if let Err(e) = result {
        let kind = format!("{e:?}");
        let kind = kind
            .split(['(', ' ', '{'])
            .next()
            .unwrap_or("Other")
            .to_owned();
        metrics::counter!("aicockpit_docker_errors_total", "operation" => operation, "kind" => kind)
            .increment(1);
    }
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
