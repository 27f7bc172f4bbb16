//! A scripted OpenAI-compatible server, the one stand-in for a model API (none is reachable
//! here). It streams the way real servers do, deviations included: pieces cut mid-word and
//! mid-UTF-8, a keep-alive comment, an empty `finish_reason`, usage in a chunk of its own.
//! What it does depends on the model a request names; it keeps every request it got and
//! says when a streaming connection was closed by the client.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::sync::mpsc;

/// A request as the provider saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub body: Value,
    pub authorization: Option<String>,
}

#[derive(Clone)]
struct Script {
    seen: Arc<Mutex<Vec<Seen>>>,
    closed: mpsc::UnboundedSender<Instant>,
}

pub struct ScriptedLlm {
    /// The API base to configure, `http://127.0.0.1:<port>/v1`.
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    closed: mpsc::UnboundedReceiver<Instant>,
}

/// The answer every streaming model gives, with a non-ASCII letter to split.
pub const ANSWER: &str = "Hello wörld. Run `ls -la` to see files.";

impl ScriptedLlm {
    pub async fn start() -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (closed_tx, closed) = mpsc::unbounded_channel();
        let script = Script {
            seen: seen.clone(),
            closed: closed_tx,
        };
        let router = Router::new()
            .route("/v1/chat/completions", post(completions))
            .route("/v1/models", get(models))
            .with_state(script);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { url, seen, closed }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// When a client closed a streaming connection the server was still writing.
    pub async fn closed(&mut self, within: Duration) -> Option<Instant> {
        tokio::time::timeout(within, self.closed.recv())
            .await
            .ok()
            .flatten()
    }
}

async fn models() -> Json<Value> {
    Json(json!({
        "object": "list",
        "data": [
            { "id": "stream-ok", "object": "model", "max_model_len": 8192 },
            { "id": "hang", "object": "model" },
            { "id": "agent-native", "object": "model" },
            { "id": "agent-text", "object": "model" },
        ]
    }))
}

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({ "error": { "message": message, "type": "error" } })),
    )
        .into_response()
}

/// One streamed chunk of text.
fn delta(text: &str, finish: Value) -> String {
    let chunk = json!({
        "id": "c1", "object": "chat.completion.chunk", "model": "m",
        "choices": [{ "index": 0, "delta": { "content": text }, "finish_reason": finish }]
    });
    format!("data: {chunk}\n\n")
}

async fn completions(
    State(script): State<Script>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    script.seen.lock().unwrap().push(Seen {
        body: body.clone(),
        authorization,
    });
    let model = body["model"].as_str().unwrap_or_default().to_owned();
    let streaming = body["stream"] == json!(true);
    if body.get("tools").is_some() && !streaming {
        return probe_answer(&model);
    }
    if let Some(pieces) = crate::scripted_agent::answer(&model, &body) {
        return stream(pieces, None, script);
    }
    match model.as_str() {
        "unauthorized" => error(StatusCode::UNAUTHORIZED, "Incorrect API key provided"),
        "missing" => error(StatusCode::NOT_FOUND, "model 'missing' not found, try pulling it first"),
        "limited" => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "7")],
            Json(json!({ "error": { "message": "Rate limit reached" } })),
        )
            .into_response(),
        "too-long" => error(
            StatusCode::BAD_REQUEST,
            "This model's maximum context length is 4096 tokens. However, your messages resulted in 9000 tokens.",
        ),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            stream(vec![Bytes::from(delta("late", json!("stop")))], None, script)
        }
        "broken" => stream(
            vec![Bytes::from(delta("Half an ans", Value::Null))],
            None,
            script,
        ),
        "error-mid" => stream(
            vec![
                Bytes::from(delta("Start", Value::Null)),
                Bytes::from("data: {\"error\":{\"message\":\"the model crashed\"}}\n\n"),
            ],
            None,
            script,
        ),
        "coder" => stream(
            vec![
                Bytes::from(delta("Here you go:\n```python\nprint(\"fi", Value::Null)),
                Bytes::from(delta("xed\")\n```\n", json!("stop"))),
                Bytes::from("data: [DONE]\n\n"),
            ],
            None,
            script,
        ),
        "commands" => stream(
            vec![
                Bytes::from(delta("```sh\nrm -rf bu", Value::Null)),
                Bytes::from(delta("ild && ls\n```\nExplanation: removes the build folder.", json!("stop"))),
                Bytes::from("data: [DONE]\n\n"),
            ],
            None,
            script,
        ),
        "hang" => stream(
            vec![Bytes::from(delta("Thinking", Value::Null))],
            Some(Duration::from_secs(60)),
            script,
        ),
        _ => stream(answer_pieces(), None, script),
    }
}

/// The answer cut at awkward places: inside a word, inside `ö`, inside a line.
fn answer_pieces() -> Vec<Bytes> {
    let mut wire = String::from(": keep-alive\n\n");
    wire.push_str(&delta("Hel", Value::Null));
    wire.push_str(&delta("lo wö", json!("")));
    wire.push_str(&delta("rld. Run `ls -la` to see files.", Value::Null));
    wire.push_str(&delta("", json!("stop")));
    wire.push_str(
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":21,\"completion_tokens\":9}}\n\n",
    );
    wire.push_str("data: [DONE]\n\n");
    let bytes = wire.into_bytes();
    // Cut into 7-byte pieces: lines and the two bytes of `ö` fall apart.
    bytes.chunks(7).map(Bytes::copy_from_slice).collect()
}

/// Says when it is dropped before its stream finished: the client hung up.
struct HungUp {
    tell: mpsc::UnboundedSender<Instant>,
    finished: bool,
}

impl HungUp {
    fn finish(&mut self) {
        self.finished = true;
    }
}

impl Drop for HungUp {
    fn drop(&mut self) {
        if !self.finished {
            let _ = self.tell.send(Instant::now());
        }
    }
}

/// A server-sent event stream of `pieces`; then, with `hold`, it waits that long before
/// ending (a model still thinking).
fn stream(pieces: Vec<Bytes>, hold: Option<Duration>, script: Script) -> Response {
    let guard = HungUp {
        tell: script.closed,
        finished: false,
    };
    let body = futures::stream::unfold(
        (pieces.into_iter(), guard),
        move |(mut pieces, mut guard)| async move {
            match pieces.next() {
                Some(bytes) => {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    Some((Ok::<_, std::io::Error>(bytes), (pieces, guard)))
                }
                None => {
                    if let Some(hold) = hold {
                        tokio::time::sleep(hold).await;
                    }
                    guard.finish();
                    None
                }
            }
        },
    );
    (
        [("content-type", "text/event-stream")],
        Body::from_stream(body),
    )
        .into_response()
}

fn probe_answer(model: &str) -> Response {
    if model != "stream-ok" && model != "agent-native" {
        return error(StatusCode::BAD_REQUEST, "this model does not support tools");
    }
    Json(json!({
        "choices": [{
            "index": 0,
            "message": {
                "role": "assistant",
                "content": null,
                "tool_calls": [{
                    "id": "call_1", "type": "function",
                    "function": { "name": "report_ready", "arguments": "{\"ready\":true}" }
                }]
            },
            "finish_reason": "tool_calls"
        }]
    }))
    .into_response()
}
