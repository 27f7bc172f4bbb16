//! Why an AI request failed, each with what to do about it: part of the error every server
//! function returns, and the error a chat stream ends with.

use serde::{Deserialize, Serialize};

/// Why an AI request failed, each with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AiError {
    #[error("AI is off: no model provider is configured. Start AiCockpit with --ai-provider 'name=local,url=http://127.0.0.1:11434/v1,model=qwen2.5-coder:7b' (Ollama shown; see the README for others).")]
    Off,
    #[error("There is no AI provider named “{0}”.")]
    UnknownProvider(String),
    #[error("The model provider “{provider}” at {address} cannot be reached ({detail}). Is it running, and is the address right?")]
    Unreachable {
        provider: String,
        address: String,
        detail: String,
    },
    #[error("The model provider “{provider}” refused the API key (HTTP {status}). Check the key configured for it.")]
    KeyRefused { provider: String, status: u16 },
    #[error("The model provider “{provider}” does not serve the model “{model}”. Pull or load it there, or configure a model it lists.")]
    UnknownModel { provider: String, model: String },
    #[error("The model provider “{provider}” is rate-limiting requests.{}", retry_text(*retry_after_secs))]
    RateLimited {
        provider: String,
        retry_after_secs: Option<u64>,
    },
    #[error("The conversation is longer than the model's context ({detail}). Remove attachments or start a new conversation.")]
    ContextTooLong { detail: String },
    #[error("The model provider “{provider}” did not answer within {seconds} seconds. It may still be loading the model; try again.")]
    Timeout { provider: String, seconds: u64 },
    #[error("The answer from “{provider}” broke off: {detail}. Try again.")]
    Broken { provider: String, detail: String },
    #[error("The model provider “{provider}” answered with an error: {detail}")]
    Provider { provider: String, detail: String },
}

fn retry_text(seconds: Option<u64>) -> String {
    match seconds {
        Some(s) => format!(" Try again in {s} seconds."),
        None => " Try again in a moment.".to_owned(),
    }
}
