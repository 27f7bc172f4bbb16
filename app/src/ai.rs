//! AI in the IDE, the parts both sides share: the chat request the browser sends, the
//! events of the answer's stream (`/api/ai/chat`, one JSON object per line), the providers
//! the server offers, and the failures a person can act on.

use serde::{Deserialize, Serialize};

use crate::auth::WorkspaceRef;
pub use crate::error::AiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

impl ChatMessage {
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
        }
    }
}

/// Context the user attached to a question, sent with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Attachment {
    /// A file of the workspace, read by the server as the user may read it.
    File { path: String },
    /// The entries of a folder of the workspace, listed the same way.
    Folder { path: String },
    /// Text the browser holds: the editor's selection, a terminal's last output.
    Text { label: String, text: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    pub workspace: WorkspaceRef,
    /// A configured provider's name; the default one when absent.
    #[serde(default)]
    pub provider: Option<String>,
    /// The conversation so far, the new question last.
    pub messages: Vec<ChatMessage>,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// The saved conversation this continues; a new one is started without.
    #[serde(default)]
    pub conversation: Option<String>,
}

/// Tokens a request used, as the provider counted them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

/// One line of the answer's stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ChatEvent {
    /// What was sent, before the answer: the model and the context, by label and size.
    Context {
        provider: String,
        model: String,
        sent: Vec<String>,
        /// The conversation the answer is saved in.
        conversation: String,
    },
    /// More of the answer.
    Delta { text: String },
    /// The answer is complete.
    Done { usage: Option<Usage> },
    /// The answer cannot go on, and why.
    Error { error: AiError },
}

/// How much harm a command can do, decided by rules (never by the model).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RiskLevel {
    Low,
    Medium,
    High,
}

impl RiskLevel {
    pub fn label(self) -> &'static str {
        match self {
            Self::Low => "low risk",
            Self::Medium => "medium risk",
            Self::High => "high risk",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Risk {
    pub level: RiskLevel,
    /// Why, for the highest level found.
    pub reasons: Vec<String>,
}

/// The terminal assistant's proposal: nothing runs until the user confirms it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandSuggestion {
    pub command: String,
    pub explanation: String,
    pub risk: Risk,
}

/// What a code action asks of the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CodeActionKind {
    Explain,
    Generate,
    Refactor,
    Fix,
    /// The user's own instruction.
    Custom,
}

impl CodeActionKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Explain => "Explain",
            Self::Generate => "Generate",
            Self::Refactor => "Refactor",
            Self::Fix => "Fix",
            Self::Custom => "Instruction",
        }
    }
}

/// A code action on an open file or its selection. The text is the editor's, unsaved
/// edits included, cut at the selection (`selected` empty: the whole file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeActionRequest {
    pub workspace: WorkspaceRef,
    pub file: String,
    pub before: String,
    pub selected: String,
    pub after: String,
    pub kind: CodeActionKind,
    /// What to do (generate, custom), or extra words for the others.
    #[serde(default)]
    pub instruction: String,
    /// An error to fix: a diagnostic or a terminal's output.
    #[serde(default)]
    pub diagnostic: Option<String>,
    #[serde(default)]
    pub provider: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CodeActionResult {
    /// The whole file as the model proposes it, for the user to review hunk by hunk.
    Edit { text: String },
    /// An explanation, in Markdown.
    Explanation { markdown: String },
}

/// A saved conversation as the panel lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub id: String,
    pub title: String,
    /// Unix seconds of the last answer.
    pub updated_at: i64,
}

/// A provider as the panel lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderInfo {
    pub name: String,
    pub model: String,
    pub is_default: bool,
}

/// What a provider and its model can do, as a probe found out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// The model is in the provider's model list (some servers list nothing: `None`).
    pub model_listed: Option<bool>,
    /// The model answered a tool call natively.
    pub native_tool_calls: bool,
    /// The context size in tokens, if the server says.
    pub context_tokens: Option<u64>,
    /// Unix seconds of the probe.
    pub probed_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_events_have_a_stable_shape() {
        let delta = ChatEvent::Delta { text: "hé".into() };
        assert_eq!(
            serde_json::to_string(&delta).unwrap(),
            r#"{"type":"delta","text":"hé"}"#
        );
        let error = ChatEvent::Error {
            error: AiError::RateLimited {
                provider: "p".into(),
                retry_after_secs: Some(7),
            },
        };
        let line = serde_json::to_string(&error).unwrap();
        assert_eq!(serde_json::from_str::<ChatEvent>(&line).unwrap(), error);
    }

    #[test]
    fn failures_say_what_to_do() {
        assert!(AiError::Off.to_string().contains("--ai-provider"));
        let limited = AiError::RateLimited {
            provider: "p".into(),
            retry_after_secs: Some(7),
        };
        assert!(limited.to_string().contains("in 7 seconds"));
    }
}
