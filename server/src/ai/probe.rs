//! The capability probe of a provider's model, run on demand ("Test connection"): is it
//! reachable with its key, is the model listed, does it make tool calls natively, and how
//! large is its context when the server says; what it found is remembered per provider while
//! the server runs. The agent picks its tool protocol from this.

use app::ai::{AiError, Capabilities};
use serde_json::{json, Value};

use super::client::Provider;
use super::AiManager;
use crate::sync::Unpoisoned;

/// What probes found, per provider, kept while the server runs.
impl AiManager {
    /// What the last probe of `provider` found, for the agent to choose its protocol.
    pub fn capabilities(&self, provider: &str) -> Option<Capabilities> {
        self.probes.locked().get(provider).cloned()
    }

    pub(super) fn remember(&self, provider: &str, found: &Capabilities) {
        self.probes
            .locked()
            .insert(provider.to_owned(), found.clone());
    }

    /// Whether a provider's model makes native tool calls: as last probed, else probed
    /// now. A model that cannot be probed gets the text protocol, which every model can use.
    pub(crate) async fn calls_tools(&self, provider: &Provider) -> bool {
        if let Some(found) = self.capabilities(provider.name()) {
            return found.native_tool_calls;
        }
        match provider.probe().await {
            Ok(found) => {
                self.remember(provider.name(), &found);
                found.native_tool_calls
            }
            Err(_) => false,
        }
    }
}

impl Provider {
    pub async fn probe(&self) -> Result<Capabilities, AiError> {
        let (model_listed, context_tokens) = self.listing().await?;
        if model_listed == Some(false) {
            return Err(AiError::UnknownModel {
                provider: self.name().to_owned(),
                model: self.model().to_owned(),
            });
        }
        let native_tool_calls = self.calls_tools().await?;
        Ok(Capabilities {
            model_listed,
            native_tool_calls,
            context_tokens,
            probed_at: crate::store::unix_now(),
        })
    }

    /// `GET /models`: whether the model is listed (`None` when the server lists nothing),
    /// and its context size if the entry carries one.
    async fn listing(&self) -> Result<(Option<bool>, Option<u64>), AiError> {
        let listing: Value = match self.get_json("/models").await {
            Ok(listing) => listing,
            // Some servers have no model list; the chat request will tell.
            Err(AiError::UnknownModel { .. }) => return Ok((None, None)),
            Err(e) => return Err(e),
        };
        let models = listing["data"].as_array().cloned().unwrap_or_default();
        if models.is_empty() {
            return Ok((None, None));
        }
        let entry = models.iter().find(|m| {
            let id = m["id"].as_str().unwrap_or_default();
            id == self.model() || id.strip_prefix("models/") == Some(self.model())
        });
        Ok((Some(entry.is_some()), entry.and_then(context_size)))
    }

    /// Asks for a tool call the model cannot answer without one.
    async fn calls_tools(&self) -> Result<bool, AiError> {
        let body = json!({
            "model": self.model(),
            "max_tokens": 64,
            "messages": [{ "role": "user", "content": "Call the tool report_ready with ready set to true." }],
            "tools": [{
                "type": "function",
                "function": {
                    "name": "report_ready",
                    "description": "Reports that the assistant is ready.",
                    "parameters": {
                        "type": "object",
                        "properties": { "ready": { "type": "boolean" } },
                        "required": ["ready"]
                    }
                }
            }],
        });
        match self.post_json("/chat/completions", &body).await {
            Ok(reply) => Ok(reply["choices"][0]["message"]["tool_calls"]
                .as_array()
                .is_some_and(|calls| !calls.is_empty())),
            // Servers without tool support refuse the `tools` field.
            Err(AiError::Provider { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// The context length under the names servers use: vLLM `max_model_len`, LM Studio and
/// OpenRouter `context_length`, llama.cpp `meta.n_ctx_train`.
fn context_size(entry: &Value) -> Option<u64> {
    ["max_model_len", "context_length", "context_window"]
        .iter()
        .find_map(|key| entry[key].as_u64())
        .or_else(|| entry["meta"]["n_ctx_train"].as_u64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_sizes_are_found_under_each_servers_name() {
        assert_eq!(context_size(&json!({ "max_model_len": 8192 })), Some(8192));
        assert_eq!(
            context_size(&json!({ "meta": { "n_ctx_train": 2048 } })),
            Some(2048)
        );
        assert_eq!(context_size(&json!({ "id": "x" })), None);
    }
}
