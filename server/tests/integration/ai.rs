//! AI in the IDE against the scripted provider: an answer streams through with the context
//! it was sent, every failure arrives as a message with what to do, Stop closes the
//! provider's connection at once, and the API key never leaves the server.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aicockpit::ai::config::{ApiKey, ProviderConfig};
use aicockpit::ai::AiSettings;
use app::ai::{AiError, ChatEvent, Usage};
use app::error::AppError;
use futures::StreamExt;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::scripted_llm::{ScriptedLlm, ANSWER};

const KEY: &str = "sk-test-3c1f0a9e";

/// A provider per model, each named after its model, all with the test key.
pub(crate) fn settings(url: &str, models: &[&str], timeout: Duration) -> AiSettings {
    AiSettings {
        providers: models
            .iter()
            .map(|model| ProviderConfig {
                name: (*model).to_owned(),
                url: url.to_owned(),
                model: (*model).to_owned(),
                key: Some(ApiKey::new(KEY)),
                edits: None,
            })
            .collect(),
        answer_timeout: timeout,
        ..AiSettings::default()
    }
}

pub(crate) async fn workspace(app: &TestApp) -> (String, Cleanup) {
    let name = unique_name("ai");
    let cleanup = Cleanup(vec![name.clone()]);
    let created = app.call("create", app.create_request(&name)).await;
    assert_eq!(created.status(), 200);
    (reference(&name).to_string(), cleanup)
}

/// Sends a chat request; returns the status and, for a stream, its events (else the body).
pub(crate) async fn chat(app: &TestApp, body: Value) -> (u16, Result<Vec<ChatEvent>, String>) {
    let response = app
        .client
        .post(format!("{}{}", app.base, app::wire::CHAT))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let ndjson = response
        .headers()
        .get("content-type")
        .is_some_and(|v| v == "application/x-ndjson");
    let text = tokio::time::timeout(Duration::from_secs(30), response.text())
        .await
        .expect("the answer ends")
        .unwrap();
    if !ndjson {
        return (status, Err(text));
    }
    let events = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    (status, Ok(events))
}

pub(crate) fn question(workspace: &str, provider: &str) -> Value {
    json!({
        "workspace": workspace,
        "provider": provider,
        "messages": [{ "role": "user", "content": "What is here?" }],
    })
}

/// A new member the workspace is shared with as `role`; their API client.
pub(crate) async fn shared_with(
    app: &TestApp,
    workspace: &str,
    name: &str,
    role: &str,
) -> reqwest::Client {
    let client = app.member(name).await;
    assert_eq!(app.share(workspace, name, json!(role)).await.status(), 200);
    client
}

pub(crate) fn error_of(body: &str) -> AiError {
    match serde_json::from_str::<AppError>(body) {
        Ok(AppError::Ai(error)) => error,
        other => panic!("not an AI error: {other:?} from {body}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_streams_with_the_context_it_was_sent() {
    let llm = ScriptedLlm::start().await;
    let app = spawn_app_with_ai(settings(&llm.url, &["stream-ok"], Duration::from_secs(20))).await;
    let (workspace, _cleanup) = workspace(&app).await;
    let written = app
        .files(
            "write",
            json!({ "workspace": workspace, "file": "notes.md", "text": "remember the milk" }),
        )
        .await;
    assert_eq!(written.status(), 200);

    let mut body = question(&workspace, "stream-ok");
    body["attachments"] = json!([
        { "File": { "path": "notes.md" } },
        { "Folder": { "path": "" } },
        { "Text": { "label": "terminal output", "text": "\u{1b}[31merror\u{1b}[0m: boom\r\n" } },
    ]);
    let (status, events) = chat(&app, body).await;
    assert_eq!(status, 200);
    let events = events.unwrap();
    let ChatEvent::Context { provider, sent, .. } = &events[0] else {
        panic!("the context comes first: {events:?}");
    };
    assert_eq!(provider, "stream-ok");
    assert!(sent[0].starts_with("file /workspace/notes.md"), "{sent:?}");
    assert!(sent[1].starts_with("folder /workspace "), "{sent:?}");
    let text: String = events
        .iter()
        .filter_map(|e| match e {
            ChatEvent::Delta { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        text, ANSWER,
        "pieces cut mid-word and mid-UTF-8 come out whole"
    );
    assert_eq!(
        events.last(),
        Some(&ChatEvent::Done {
            usage: Some(Usage {
                prompt_tokens: 21,
                completion_tokens: 9
            })
        })
    );

    // What the provider got: the key, a system message, the attachments before the question.
    let seen = llm.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].authorization.as_deref(),
        Some(&*format!("Bearer {KEY}"))
    );
    let messages = seen[0].body["messages"].as_array().unwrap();
    assert_eq!(messages[0]["role"], "system");
    let last = messages.last().unwrap()["content"].as_str().unwrap();
    assert!(last.contains("remember the milk"), "{last}");
    assert!(
        last.contains("folder /workspace:\n```\nnotes.md\n```"),
        "{last}"
    );
    assert!(
        last.contains("error: boom") && !last.contains('\u{1b}'),
        "{last}"
    );
    assert!(last.ends_with("What is here?"));
    assert_eq!(seen[0].body["stream"], true);

    // The audit log has who asked which model, and the tokens.
    eventually("the chat's audit entry", Duration::from_secs(5), || async {
        let audit = app
            .client
            .post(format!("{}/api/auth/audit", app.base))
            .json(&json!({ "filter": { "actor": "", "action": "ai-chat", "workspace": "" } }))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        audit
            .contains("stream-ok/stream-ok, 21 + 9 tokens: answered")
            .then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn each_failure_says_what_to_do() {
    let llm = ScriptedLlm::start().await;
    let models = [
        "unauthorized",
        "missing",
        "limited",
        "too-long",
        "slow",
        "broken",
        "error-mid",
    ];
    let mut ai = settings(&llm.url, &models, Duration::from_secs(1));
    ai.providers.push(ProviderConfig {
        name: "nowhere".into(),
        url: "http://127.0.0.1:9/v1".into(),
        model: "m".into(),
        key: None,
        edits: None,
    });
    let app = spawn_app_with_ai(ai).await;
    let (workspace, _cleanup) = workspace(&app).await;

    let refused = |status: u16, provider: &str| {
        let (app, workspace) = (&app, &workspace);
        let provider = provider.to_owned();
        async move {
            let (got, body) = chat(app, question(workspace, &provider)).await;
            assert_eq!(got, status, "{provider}: {body:?}");
            error_of(&body.unwrap_err())
        }
    };
    assert!(matches!(
        refused(502, "unauthorized").await,
        AiError::KeyRefused { status: 401, .. }
    ));
    assert!(matches!(
        refused(502, "missing").await,
        AiError::UnknownModel { .. }
    ));
    assert!(matches!(
        refused(429, "limited").await,
        AiError::RateLimited {
            retry_after_secs: Some(7),
            ..
        }
    ));
    let too_long = refused(413, "too-long").await;
    assert!(too_long.to_string().contains("4096 tokens"), "{too_long}");
    assert!(matches!(
        refused(504, "slow").await,
        AiError::Timeout { seconds: 1, .. }
    ));
    let nowhere = refused(502, "nowhere").await;
    assert!(
        matches!(&nowhere, AiError::Unreachable { address, .. } if address == "http://127.0.0.1:9/v1"),
        "{nowhere:?}"
    );
    assert!(matches!(
        refused(404, "no-such-provider").await,
        AiError::UnknownProvider(_)
    ));

    // Failures after the answer began end its stream, never passing for a whole answer.
    let (status, events) = chat(&app, question(&workspace, "broken")).await;
    assert_eq!(status, 200);
    let events = events.unwrap();
    assert!(
        matches!(
            events.last(),
            Some(ChatEvent::Error {
                error: AiError::Broken { .. }
            })
        ),
        "{events:?}"
    );
    assert!(!events.iter().any(|e| matches!(e, ChatEvent::Done { .. })));
    let (_, events) = chat(&app, question(&workspace, "error-mid")).await;
    let events = events.unwrap();
    assert_eq!(
        events[1],
        ChatEvent::Delta {
            text: "Start".into()
        }
    );
    assert!(
        matches!(events.last(), Some(ChatEvent::Error { error: AiError::Provider { detail, .. } }) if detail == "the model crashed"),
        "{events:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn with_no_provider_ai_is_off_and_says_how_to_turn_it_on() {
    let app = spawn_app().await;
    let (workspace, _cleanup) = workspace(&app).await;
    let (status, body) = chat(&app, question(&workspace, "any")).await;
    assert_eq!(status, 503);
    let off = error_of(&body.unwrap_err());
    assert_eq!(off, AiError::Off);
    assert!(off.to_string().contains("--ai-provider"));
    let providers: Value = app
        .client
        .post(format!("{}/api/ai/providers", app.base))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(providers, json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn stop_closes_the_providers_connection_at_once() {
    let mut llm = ScriptedLlm::start().await;
    let app = spawn_app_with_ai(settings(&llm.url, &["hang"], Duration::from_secs(60))).await;
    let (workspace, _cleanup) = workspace(&app).await;
    let response = app
        .client
        .post(format!("{}{}", app.base, app::wire::CHAT))
        .json(&question(&workspace, "hang"))
        .send()
        .await
        .unwrap();
    let mut body = response.bytes_stream();
    let mut seen = String::new();
    while !seen.contains("Thinking") {
        let bytes = body.next().await.expect("more of the answer").unwrap();
        seen.push_str(&String::from_utf8_lossy(&bytes));
    }
    // The user presses Stop: the browser drops the request.
    let stopped = Instant::now();
    drop(body);
    let closed = llm
        .closed(Duration::from_secs(5))
        .await
        .expect("the provider saw the connection close");
    let took = closed.duration_since(stopped);
    eprintln!("stop reached the provider in {took:?} (target 250 ms)");
    assert!(took < Duration::from_secs(1), "took {took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_key_stays_on_the_server() {
    let logs = capture_logs();
    let llm = ScriptedLlm::start().await;
    let app = spawn_app_with_ai(settings(
        &llm.url,
        &["stream-ok", "unauthorized"],
        Duration::from_secs(20),
    ))
    .await;
    let (workspace, _cleanup) = workspace(&app).await;
    let mut answers = String::new();
    for provider in ["stream-ok", "unauthorized"] {
        let (_, body) = chat(&app, question(&workspace, provider)).await;
        answers.push_str(&format!("{body:?}"));
    }
    for path in ["/api/ai/providers", "/api/ai/probe"] {
        let response = app
            .client
            .post(format!("{}{path}", app.base))
            .json(&json!({ "provider": "stream-ok" }))
            .send()
            .await
            .unwrap();
        answers.push_str(&response.text().await.unwrap());
    }
    assert!(answers.contains("stream-ok"));
    assert!(!answers.contains(KEY), "a response carried the key");
    let logged = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(!logged.contains(KEY), "the log carried the key");
}

/// Everything the server logs from now on, as text.
fn capture_logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: std::sync::OnceLock<Arc<Mutex<Vec<u8>>>> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || Writer(writer.clone()))
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        buffer
    })
    .clone()
}

struct Writer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Writer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
