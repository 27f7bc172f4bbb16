//! What operators see: Prometheus metrics for admins only (workspaces by state, terminals,
//! request and Docker call latencies, AI requests and tokens), and a request id on every
//! answer, kept when a proxy sent one.

use std::time::Duration;

use serde_json::Value;

use crate::ai::{chat, question, settings, workspace};
use crate::helpers::*;
use crate::scripted_llm::ScriptedLlm;

/// The value of the first sample of `metric` whose labels contain every one of `labels`.
fn sample(text: &str, metric: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|line| line.starts_with(metric) && !line.starts_with('#'))
        .find(|line| labels.iter().all(|label| line.contains(label)))
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_show_workspaces_requests_docker_and_ai_to_admins_only() {
    let llm = ScriptedLlm::start().await;
    let app = spawn_app_with_ai(settings(&llm.url, &["stream-ok"], Duration::from_secs(20))).await;
    let (workspace, _cleanup) = workspace(&app).await;
    let (status, _) = chat(&app, question(&workspace, "stream-ok")).await;
    assert_eq!(status, 200);
    let odd = reqwest::Method::from_bytes(b"MADEUP").unwrap();
    app.client
        .request(odd, format!("{}/api/health", app.base))
        .send()
        .await
        .unwrap();

    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = response.text().await.unwrap();
    let running = sample(&text, "aicockpit_workspaces", &[r#"state="running""#]);
    assert!(running >= Some(1.0), "{running:?}");
    assert!(sample(&text, "aicockpit_terminals_open", &[]).is_some());
    let created = sample(
        &text,
        "aicockpit_http_request_duration_seconds_count",
        &[r#"route="/api/workspaces/create""#, r#"status="200""#],
    );
    assert!(created >= Some(1.0), "requests by route pattern");
    let docker = sample(
        &text,
        "aicockpit_docker_call_duration_seconds_count",
        &[r#"operation="create container""#],
    );
    assert!(docker >= Some(1.0), "Docker calls by operation");
    let asked = sample(
        &text,
        "aicockpit_ai_requests_total",
        &[r#"provider="stream-ok""#, r#"outcome="ok""#],
    );
    assert!(asked >= Some(1.0), "AI requests");
    let tokens = sample(
        &text,
        "aicockpit_ai_tokens_total",
        &[r#"provider="stream-ok""#, r#"kind="completion""#],
    );
    assert!(tokens > Some(0.0), "AI tokens");
    assert!(
        !text.contains(&workspace),
        "no workspace names or raw paths in labels"
    );
    assert!(
        !text.contains("MADEUP"),
        "a made-up method does not become a label"
    );

    let member = app.member("metrics-member").await;
    let refused = member
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let anonymous = reqwest::get(format!("{}/metrics", app.base)).await.unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_answer_names_its_request() {
    let app = spawn_memory_app().await;
    let first = app.get("/api/health").await;
    let id = first.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 36, "a new UUID: {id}");
    let second = app.get("/api/health").await;
    assert_ne!(second.headers()["x-request-id"], id.as_str());

    let traced = app
        .client
        .get(format!("{}/api/health", app.base))
        .header("x-request-id", "from-the-proxy-42")
        .send()
        .await
        .unwrap();
    assert_eq!(traced.headers()["x-request-id"], "from-the-proxy-42");
    let body: Value = traced.json().await.unwrap();
    assert_eq!(body["status"], "ok");

    // Not an id: replaced, so it cannot be written into the log.
    let forged = app
        .client
        .get(format!("{}/api/health", app.base))
        .header("x-request-id", "x\" level=ERROR msg=forged")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.headers()["x-request-id"].len(), 36);
}
