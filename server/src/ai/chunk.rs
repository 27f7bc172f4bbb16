//! One `data:` payload of a streamed Chat Completion, read tolerantly: servers differ from
//! the spec (an empty `finish_reason`, no `usage`, `null` where a string belongs, tool-call
//! arguments spread over many chunks, an `error` object instead of a chunk), so every field
//! is optional and only a payload that is not JSON at all is refused.

use app::ai::Usage;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
struct Payload {
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<RawUsage>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

#[derive(Debug, Default, Deserialize)]
struct Choice {
    #[serde(default)]
    delta: Option<Delta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<ToolCallDelta>>,
}

#[derive(Debug, Default, Deserialize)]
struct ToolCallDelta {
    #[serde(default)]
    index: Option<usize>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<FunctionDelta>,
}

#[derive(Debug, Default, Deserialize)]
struct FunctionDelta {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct RawUsage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
}

/// A tool call as the model made it, its arguments reassembled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

/// What one payload said.
#[derive(Debug, Default, PartialEq)]
pub struct Chunk {
    pub text: String,
    /// The model said it is done (a non-empty `finish_reason`).
    pub finished: bool,
    pub usage: Option<Usage>,
    /// The provider reported an error in the stream.
    pub error: Option<String>,
}

/// Reads one payload, adding its tool-call pieces to `calls`.
pub fn read(data: &str, calls: &mut ToolCalls) -> Result<Chunk, String> {
    let payload: Payload = serde_json::from_str(data).map_err(|e| {
        let start: String = data.chars().take(80).collect();
        format!("a piece of the stream was not JSON ({e}): {start}")
    })?;
    let mut chunk = Chunk {
        error: payload.error.map(|e| error_text(&e)),
        usage: payload.usage.map(|u| Usage {
            prompt_tokens: u.prompt_tokens.unwrap_or(0),
            completion_tokens: u.completion_tokens.unwrap_or(0),
        }),
        ..Chunk::default()
    };
    for choice in payload.choices {
        chunk.finished |= choice.finish_reason.is_some_and(|r| !r.is_empty());
        let Some(delta) = choice.delta else { continue };
        if let Some(text) = delta.content {
            chunk.text.push_str(&text);
        }
        for call in delta.tool_calls.unwrap_or_default() {
            calls.add(call);
        }
    }
    Ok(chunk)
}

/// The message of an error object (`{"message": …}`) or its JSON.
pub fn error_text(error: &serde_json::Value) -> String {
    error
        .get("message")
        .and_then(|m| m.as_str())
        .or_else(|| error.as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| error.to_string())
}

/// Tool calls reassembled from their pieces, by index (or in order when a server sends none).
#[derive(Debug, Default)]
pub struct ToolCalls(Vec<ToolCall>);

impl ToolCalls {
    fn add(&mut self, piece: ToolCallDelta) {
        // A piece with a new id, or an index past the end, starts a call.
        let starts = piece
            .id
            .as_ref()
            .is_some_and(|id| !id.is_empty() && self.0.last().is_none_or(|last| &last.id != id));
        let index = match piece.index {
            Some(index) => index,
            None if starts || self.0.is_empty() => self.0.len(),
            None => self.0.len() - 1,
        };
        if index >= self.0.len() {
            self.0.resize_with(index + 1, ToolCall::default);
        }
        let call = &mut self.0[index];
        if let Some(id) = piece.id.filter(|id| !id.is_empty()) {
            call.id = id;
        }
        if let Some(function) = piece.function {
            if let Some(name) = function.name {
                call.name.push_str(&name);
            }
            if let Some(arguments) = function.arguments {
                call.arguments.push_str(&arguments);
            }
        }
    }

    pub fn into_calls(self) -> Vec<ToolCall> {
        self.0.into_iter().filter(|c| !c.name.is_empty()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_usage_and_finish_are_read_from_loose_chunks() {
        let mut calls = ToolCalls::default();
        let chunk = read(
            r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":"Hé"},"finish_reason":null}]}"#,
            &mut calls,
        )
        .unwrap();
        assert_eq!(chunk.text, "Hé");
        assert!(!chunk.finished);
        // Empty finish_reason (some servers) is not the end; usage alone has no choices.
        let empty = read(
            r#"{"choices":[{"delta":{"content":null},"finish_reason":""}]}"#,
            &mut calls,
        )
        .unwrap();
        assert!(!empty.finished);
        let usage = read(
            r#"{"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":3}}"#,
            &mut calls,
        )
        .unwrap();
        assert_eq!(usage.usage.unwrap().prompt_tokens, 12);
        assert!(
            read(
                r#"{"choices":[{"delta":{},"finish_reason":"stop"}]}"#,
                &mut calls
            )
            .unwrap()
            .finished
        );
        assert!(read("{not json", &mut calls).is_err());
    }

    #[test]
    fn errors_in_the_stream_are_reported() {
        let chunk = read(
            r#"{"error":{"message":"model crashed","type":"server_error"}}"#,
            &mut ToolCalls::default(),
        )
        .unwrap();
        assert_eq!(chunk.error.as_deref(), Some("model crashed"));
    }

    #[test]
    fn tool_call_arguments_split_over_chunks_are_reassembled() {
        let mut calls = ToolCalls::default();
        for data in [
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"c1","type":"function","function":{"name":"read_file","arguments":""}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"pa"}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"th\":\"a.rs\"}"}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"index":1,"id":"c2","function":{"name":"list_dir","arguments":"{}"}}]}}]}"#,
        ] {
            read(data, &mut calls).unwrap();
        }
        let calls = calls.into_calls();
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].name, "read_file");
        assert_eq!(calls[0].arguments, r#"{"path":"a.rs"}"#);
        assert_eq!(calls[1].id, "c2");
    }

    #[test]
    fn calls_without_an_index_follow_their_ids() {
        let mut calls = ToolCalls::default();
        for data in [
            r#"{"choices":[{"delta":{"tool_calls":[{"id":"a","function":{"name":"f","arguments":"{\"x\":"}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":"1}"}}]}}]}"#,
            r#"{"choices":[{"delta":{"tool_calls":[{"id":"b","function":{"name":"g","arguments":"{}"}}]}}]}"#,
        ] {
            read(data, &mut calls).unwrap();
        }
        let calls = calls.into_calls();
        assert_eq!(calls[0].arguments, r#"{"x":1}"#);
        assert_eq!(calls[1].name, "g");
    }
}
