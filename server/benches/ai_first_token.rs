//! Time to first token: a chat answer's first piece read through AiCockpit
//! (`POST /api/ai/chat`: authentication, workspace resolution, the provider client, the
//! SSE decoder, the JSON-lines stream) beside the same request sent straight to the
//! provider, samples alternating in one run. The provider is a local scripted server that
//! answers at once, so the difference is AiCockpit's overhead. Prints median and p95 of
//! both and of the per-pair overhead; the goal is ≤ 20 ms at p95.
//!
//! `cargo bench -p server --bench ai_first_token` (AICOCKPIT_BENCH_SAMPLES, default 200).

use std::time::{Duration, Instant};

use aicockpit::ai::config::ProviderConfig;
use aicockpit::ai::AiSettings;
use axum::body::{Body, Bytes};
use axum::response::IntoResponse;
use axum::routing::post;
use futures::StreamExt;
use serde_json::json;

mod common;
use common::{Failure, OWNER};

const WORKSPACE: &str = "bench-ai";

/// A provider that streams a short answer at once, then ends it.
async fn provider() -> Result<String, Failure> {
    let chunk = |text: &str, finish: serde_json::Value| {
        let body = json!({ "choices": [{ "index": 0, "delta": { "content": text }, "finish_reason": finish }] });
        Bytes::from(format!("data: {body}\n\n"))
    };
    let pieces = vec![
        chunk("Hello", serde_json::Value::Null),
        chunk(" there.", json!("stop")),
        Bytes::from_static(b"data: [DONE]\n\n"),
    ];
    let router = axum::Router::new().route(
        "/v1/chat/completions",
        post(move || {
            let pieces = pieces.clone();
            async move {
                let body = futures::stream::iter(pieces.into_iter().map(Ok::<_, std::io::Error>));
                (
                    [("content-type", "text/event-stream")],
                    Body::from_stream(body),
                )
                    .into_response()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/v1", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(url)
}

/// Sends `body` to `url` and times the arrival of the first piece containing `marker`.
async fn first_piece(
    http: &reqwest::Client,
    url: &str,
    body: &serde_json::Value,
    marker: &str,
) -> Result<Duration, Failure> {
    let started = Instant::now();
    let response = http.post(url).json(body).send().await?;
    if !response.status().is_success() {
        return Err(format!("{url}: {}", response.text().await?).into());
    }
    let mut stream = response.bytes_stream();
    let mut seen = Vec::new();
    while let Some(bytes) = stream.next().await {
        seen.extend_from_slice(&bytes?);
        if String::from_utf8_lossy(&seen).contains(marker) {
            let took = started.elapsed();
            // Read the rest, as a browser would, so connections are reused alike.
            while stream.next().await.is_some() {}
            return Ok(took);
        }
    }
    Err(format!("{url}: no {marker} in the answer").into())
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let samples: usize = std::env::var("AICOCKPIT_BENCH_SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let provider_url = provider().await?;
    let ai = AiSettings {
        providers: vec![ProviderConfig {
            name: "bench".into(),
            url: provider_url.clone(),
            model: "m".into(),
            key: None,
            edits: None,
        }],
        answer_timeout: Duration::from_secs(30),
        ..AiSettings::default()
    };
    let app = common::start(WORKSPACE, 256, ai).await?;
    let result = measure(&app.http, &app.base, &provider_url, samples).await;
    app.remove();
    result
}

async fn measure(
    ours: &reqwest::Client,
    base: &str,
    provider_url: &str,
    samples: usize,
) -> Result<(), Failure> {
    let direct_client = reqwest::Client::new();
    let direct_body = json!({
        "model": "m", "stream": true,
        "messages": [{ "role": "user", "content": "hi" }],
    });
    let through_body = json!({
        "workspace": format!("{OWNER}/{WORKSPACE}"),
        "messages": [{ "role": "user", "content": "hi" }],
    });
    let direct_url = format!("{provider_url}/chat/completions");
    let through_url = format!("{base}{}", app::wire::CHAT);
    // Warm both paths (connections, the first database reads).
    for _ in 0..10 {
        first_piece(&direct_client, &direct_url, &direct_body, "Hello").await?;
        first_piece(ours, &through_url, &through_body, "\"delta\"").await?;
    }
    let (mut direct, mut through, mut overhead) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..samples {
        let bare = first_piece(&direct_client, &direct_url, &direct_body, "Hello").await?;
        let ours = first_piece(ours, &through_url, &through_body, "\"delta\"").await?;
        direct.push(bare);
        through.push(ours);
        overhead.push(ours.saturating_sub(bare));
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |s: &mut Vec<Duration>, q: f64| {
        s.sort();
        s[((s.len() - 1) as f64 * q).round() as usize]
    };
    println!("time to first token, {samples} samples each, alternating");
    for (label, values) in [
        ("straight to the provider", &mut direct),
        ("through AiCockpit", &mut through),
        ("overhead (paired)", &mut overhead),
    ] {
        println!(
            "  {label:<26} median {:>7.2} ms   p95 {:>7.2} ms",
            ms(at(values, 0.5)),
            ms(at(values, 0.95))
        );
    }
    let goal = Duration::from_millis(20);
    let p95 = at(&mut overhead, 0.95);
    println!(
        "  overhead p95 is {:.2} ms: {} the 20 ms goal",
        ms(p95),
        if p95 <= goal { "within" } else { "over" }
    );
    Ok(())
}
