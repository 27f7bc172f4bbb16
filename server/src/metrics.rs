//! Prometheus metrics: one process-wide recorder, fed by the `metrics` macros where things
//! happen (HTTP requests, Docker calls, AI requests). A leaf: whatever records reaches no
//! further than here; `http::metrics` serves it, with the gauges read at scrape time.

use std::sync::OnceLock;
use std::time::Instant;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

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

/// Folds the samples recorded since the last time into their histograms, as a scrape
/// does: called now and then, so that a server nobody scrapes keeps no samples.
pub fn fold_samples() {
    handle().run_upkeep();
}
