//! The OpenAI-compatible Chat Completions client, one per configured provider: streaming
//! answers and the capability probe. Works against OpenAI, Ollama, llama.cpp's server, vLLM
//! and LM Studio. Dropping an answer's stream drops the HTTP response, which closes the
//! connection at once: that is how Stop reaches the provider.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use app::ai::{AiError, ChatMessage, Usage};
use eventsource_stream::{Event, EventStreamError, Eventsource};
use futures::{Stream, StreamExt};
use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};

use super::chunk::{self, ToolCall, ToolCalls};
use super::config::ProviderConfig;

/// A piece of a streamed answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Text(String),
    /// The answer is complete; always the last piece.
    Done {
        usage: Option<Usage>,
        tool_calls: Vec<ToolCall>,
    },
}

type Events = Pin<Box<dyn Stream<Item = Result<Event, EventStreamError<reqwest::Error>>> + Send>>;

/// The pieces of one answer, ending with [`Piece::Done`] or an error.
pub struct Answer(Pin<Box<dyn Stream<Item = Result<Piece, AiError>> + Send>>);

impl Stream for Answer {
    type Item = Result<Piece, AiError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.as_mut().poll_next(cx)
    }
}

impl Answer {
    /// The whole text of the answer, once it is complete.
    pub async fn text(mut self) -> Result<String, AiError> {
        let mut text = String::new();
        while let Some(piece) = self.next().await {
            match piece? {
                Piece::Text(more) => text.push_str(&more),
                Piece::Done { .. } => break,
            }
        }
        Ok(text)
    }
}

#[derive(Clone)]
pub struct Provider {
    config: ProviderConfig,
    http: reqwest::Client,
    timeout: Duration,
}

impl Provider {
    pub fn new(config: ProviderConfig, timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Self {
            config,
            http,
            timeout,
        }
    }

    pub fn name(&self) -> &str {
        &self.config.name
    }

    pub fn model(&self) -> &str {
        &self.config.model
    }

    /// How the agent should ask this model for file changes, when configured.
    pub fn edits(&self) -> Option<super::protocol::EditFormat> {
        self.config.edits
    }

    fn post(&self, path: &str) -> RequestBuilder {
        self.authorised(self.http.post(format!("{}{path}", self.config.url)))
    }

    fn authorised(&self, request: RequestBuilder) -> RequestBuilder {
        match &self.config.key {
            Some(key) => request.bearer_auth(key.expose()),
            None => request,
        }
    }

    /// Streams the model's answer to `messages`.
    pub async fn chat(&self, messages: &[ChatMessage]) -> Result<Answer, AiError> {
        let messages = serde_json::to_value(messages).unwrap_or_default();
        self.complete(&messages, None, None).await
    }

    /// Streams the answer to `messages` as the API takes them (an agent's tool calls and
    /// results included), offering `tools` natively, and ending at `stop` when given.
    pub async fn complete(
        &self,
        messages: &Value,
        tools: Option<&Value>,
        stop: Option<&str>,
    ) -> Result<Answer, AiError> {
        let mut body = json!({
            "model": self.config.model,
            "messages": messages,
            "stream": true,
            "stream_options": { "include_usage": true },
        });
        if let Some(tools) = tools {
            body["tools"] = tools.clone();
        }
        if let Some(stop) = stop {
            body["stop"] = json!([stop]);
        }
        let response = self
            .send(self.post("/chat/completions").json(&body))
            .await?;
        let events: Events = Box::pin(response.bytes_stream().eventsource());
        Ok(Answer(Box::pin(answer(
            events,
            self.config.name.clone(),
            self.timeout,
        ))))
    }

    pub(super) async fn get_json(&self, path: &str) -> Result<Value, AiError> {
        let request = self.authorised(self.http.get(format!("{}{path}", self.config.url)));
        self.json_of(self.send(request).await?).await
    }

    pub(super) async fn post_json(&self, path: &str, body: &Value) -> Result<Value, AiError> {
        self.json_of(self.send(self.post(path).json(body)).await?)
            .await
    }

    async fn json_of(&self, response: Response) -> Result<Value, AiError> {
        match tokio::time::timeout(self.timeout, response.json::<Value>()).await {
            Err(_) => Err(self.timed_out()),
            Ok(Err(e)) => Err(AiError::Broken {
                provider: self.config.name.clone(),
                detail: format!("the answer was not JSON ({e})"),
            }),
            Ok(Ok(value)) => Ok(value),
        }
    }

    /// Sends a request and checks its status, turning every failure into what to do.
    /// Sends a request, counting it by provider and outcome.
    async fn send(&self, request: RequestBuilder) -> Result<Response, AiError> {
        let result = self.send_once(request).await;
        let outcome = if result.is_ok() { "ok" } else { "error" };
        metrics::counter!("aicockpit_ai_requests_total",
            "provider" => self.config.name.clone(), "outcome" => outcome)
        .increment(1);
        result
    }

    async fn send_once(&self, request: RequestBuilder) -> Result<Response, AiError> {
        let response = match tokio::time::timeout(self.timeout, request.send()).await {
            Err(_) => return Err(self.timed_out()),
            Ok(Err(e)) if e.is_timeout() => return Err(self.timed_out()),
            Ok(Err(e)) => {
                return Err(AiError::Unreachable {
                    provider: self.config.name.clone(),
                    address: self.config.url.clone(),
                    detail: root_cause(&e),
                })
            }
            Ok(Ok(response)) => response,
        };
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let retry_after_secs = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        let body = tokio::time::timeout(Duration::from_secs(5), response.text())
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        Err(self.refusal(status, retry_after_secs, &body))
    }

    fn timed_out(&self) -> AiError {
        AiError::Timeout {
            provider: self.config.name.clone(),
            seconds: self.timeout.as_secs(),
        }
    }

    /// What a non-2xx answer means, from its status and the error message in its body.
    fn refusal(&self, status: StatusCode, retry_after_secs: Option<u64>, body: &str) -> AiError {
        let provider = self.config.name.clone();
        let detail = serde_json::from_str::<Value>(body)
            .ok()
            .and_then(|v| v.get("error").map(chunk::error_text))
            .unwrap_or_else(|| body.chars().take(300).collect());
        let lower = detail.to_lowercase();
        match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => AiError::KeyRefused {
                provider,
                status: status.as_u16(),
            },
            StatusCode::TOO_MANY_REQUESTS => AiError::RateLimited {
                provider,
                retry_after_secs,
            },
            StatusCode::NOT_FOUND if lower.contains("model") || lower.is_empty() => {
                AiError::UnknownModel {
                    provider,
                    model: self.config.model.clone(),
                }
            }
            _ if lower.contains("context")
                || lower.contains("too long")
                || lower.contains("maximum") && lower.contains("token") =>
            {
                AiError::ContextTooLong { detail }
            }
            _ => AiError::Provider {
                provider,
                detail: format!("HTTP {}: {detail}", status.as_u16()),
            },
        }
    }
}

/// The full chain of an HTTP error ("error sending request: … Connection refused").
fn root_cause(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text = cause.to_string();
        source = cause.source();
    }
    text
}

struct Reading {
    events: Events,
    calls: ToolCalls,
    usage: Option<Usage>,
    finished: bool,
    over: bool,
}

/// The pieces of an answer from its server-sent events.
fn answer(
    events: Events,
    provider: String,
    timeout: Duration,
) -> impl Stream<Item = Result<Piece, AiError>> + Send {
    let reading = Reading {
        events,
        calls: ToolCalls::default(),
        usage: None,
        finished: false,
        over: false,
    };
    futures::stream::unfold(reading, move |mut reading| {
        let provider = provider.clone();
        async move {
            if reading.over {
                return None;
            }
            let piece = next_piece(&mut reading, &provider, timeout).await;
            reading.over = !matches!(piece, Ok(Piece::Text(_)));
            Some((piece, reading))
        }
    })
}

async fn next_piece(
    reading: &mut Reading,
    provider: &str,
    timeout: Duration,
) -> Result<Piece, AiError> {
    let broken = |detail: String| AiError::Broken {
        provider: provider.to_owned(),
        detail,
    };
    loop {
        let event = match tokio::time::timeout(timeout, reading.events.next()).await {
            Err(_) => {
                return Err(AiError::Timeout {
                    provider: provider.to_owned(),
                    seconds: timeout.as_secs(),
                })
            }
            // A stream may end without `[DONE]` once the model said it finished; before
            // that, an end is a connection that broke, never a complete answer.
            Ok(None) if reading.finished => return Ok(done(reading, provider)),
            Ok(None) => {
                return Err(broken(
                    "the connection closed before the answer was complete".into(),
                ))
            }
            Ok(Some(Err(e))) => return Err(broken(e.to_string())),
            Ok(Some(Ok(event))) => event,
        };
        let data = event.data.trim();
        if data == "[DONE]" {
            return Ok(done(reading, provider));
        }
        if data.is_empty() {
            continue;
        }
        let chunk = chunk::read(data, &mut reading.calls).map_err(broken)?;
        if let Some(detail) = chunk.error {
            return Err(AiError::Provider {
                provider: provider.to_owned(),
                detail,
            });
        }
        reading.usage = chunk.usage.or(reading.usage);
        reading.finished |= chunk.finished;
        if !chunk.text.is_empty() {
            return Ok(Piece::Text(chunk.text));
        }
    }
}

fn done(reading: &mut Reading, provider: &str) -> Piece {
    if let Some(usage) = reading.usage {
        for (kind, tokens) in [
            ("prompt", usage.prompt_tokens),
            ("completion", usage.completion_tokens),
        ] {
            metrics::counter!("aicockpit_ai_tokens_total",
                "provider" => provider.to_owned(), "kind" => kind)
            .increment(tokens);
        }
    }
    Piece::Done {
        usage: reading.usage,
        tool_calls: std::mem::take(&mut reading.calls).into_calls(),
    }
}
