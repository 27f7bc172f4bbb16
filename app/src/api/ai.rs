//! AI server functions: the providers a user may pick, "Test connection", and the default
//! provider (admins). Answers stream over `crate::wire::CHAT`, not through these.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::ai::{
    Capabilities, ChatMessage, CodeActionRequest, CodeActionResult, CommandSuggestion,
    ConversationSummary, ProviderInfo,
};
use crate::auth::WorkspaceRef;
use crate::error::AppError;

#[cfg(feature = "ssr")]
use super::ssr::{actor, ai};

#[server(prefix = "/api/ai", endpoint = "providers", input = Json)]
pub async fn ai_providers() -> Result<Vec<ProviderInfo>, AppError> {
    ai()?.providers(&actor()?).await
}

#[server(prefix = "/api/ai", endpoint = "probe", input = Json)]
pub async fn probe_provider(provider: String) -> Result<Capabilities, AppError> {
    ai()?.probe(&actor()?, &provider).await
}

/// The terminal assistant's proposal; typing it is the user's decision.
#[server(prefix = "/api/ai", endpoint = "suggest-command", input = Json)]
pub async fn suggest_command(
    workspace: WorkspaceRef,
    task: String,
    provider: Option<String>,
    output: Option<String>,
) -> Result<CommandSuggestion, AppError> {
    ai()?
        .suggest_command(
            &actor()?,
            &workspace,
            &task,
            provider.as_deref(),
            output.as_deref(),
        )
        .await
}

/// A code action; an edit comes back as the proposed file, applied only by the user.
#[server(prefix = "/api/ai", endpoint = "code-action", input = Json)]
pub async fn code_action(request: CodeActionRequest) -> Result<CodeActionResult, AppError> {
    ai()?.code_action(&actor()?, request).await
}

#[server(prefix = "/api/ai", endpoint = "conversations", input = Json)]
pub async fn list_conversations(
    workspace: WorkspaceRef,
) -> Result<Vec<ConversationSummary>, AppError> {
    ai()?.conversations(&actor()?, &workspace).await
}

#[server(prefix = "/api/ai", endpoint = "conversation", input = Json)]
pub async fn open_conversation(
    workspace: WorkspaceRef,
    id: String,
) -> Result<Vec<ChatMessage>, AppError> {
    ai()?.conversation(&actor()?, &workspace, &id).await
}

/// Renames a conversation, or deletes it when `title` is absent.
#[server(prefix = "/api/ai", endpoint = "change-conversation", input = Json)]
pub async fn change_conversation(
    workspace: WorkspaceRef,
    id: String,
    title: Option<String>,
) -> Result<(), AppError> {
    ai()?
        .change_conversation(&actor()?, &workspace, &id, title.as_deref())
        .await
}

#[server(prefix = "/api/ai", endpoint = "set-default", input = Json)]
pub async fn set_default_provider(provider: String) -> Result<(), AppError> {
    ai()?.set_default(&actor()?, &provider).await
}
