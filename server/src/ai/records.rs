//! What a chat leaves behind: its conversation, saved for the user (and purged after the
//! keeping time), and its audit record, written however the answer ended (Stop included).

use app::ai::{ChatMessage, Role, Usage};
use app::auth::{Actor, WorkspaceRef};
use app::error::AppError;

use crate::auth::audit::AuditLog;
use crate::store::{ConversationOwner, ConversationStore};

pub(super) fn conversation_gone() -> AppError {
    AppError::invalid(
        app::error::Field::Name,
        "That conversation no longer exists. Start a new one.",
    )
}

/// A completed exchange, saved in its conversation: the messages sent (attachments
/// aside) and the answer.
pub(super) struct Saving {
    pub(super) keeping: bool,
    pub(super) store: ConversationStore,
    pub(super) owner: ConversationOwner,
    pub(super) conversation: String,
    pub(super) messages: Vec<ChatMessage>,
    pub(super) answer: String,
}

impl Saving {
    pub(super) fn save(&mut self) {
        if !self.keeping {
            return;
        }
        let mut messages = std::mem::take(&mut self.messages);
        messages.push(ChatMessage::new(
            Role::Assistant,
            std::mem::take(&mut self.answer),
        ));
        let title = conversation_title(&messages);
        let (store, owner, id) = (
            self.store.clone(),
            self.owner.clone(),
            self.conversation.clone(),
        );
        tokio::spawn(async move {
            if let Err(e) = store
                .save_conversation(&owner, &id, &title, &messages)
                .await
            {
                tracing::warn!(error = %e, "could not save a conversation");
            }
        });
    }
}

/// Deletes conversations older than `keep`, now and every hour.
pub(super) async fn purge_every_hour(store: ConversationStore, keep: std::time::Duration) {
    let mut every_hour = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        every_hour.tick().await;
        let before = crate::store::unix_now() - keep.as_secs() as i64;
        match store.purge_conversations(before).await {
            Ok(0) => {}
            Ok(purged) => {
                tracing::info!(purged, "deleted AI conversations past their keeping time")
            }
            Err(e) => tracing::warn!(error = %e, "could not delete old AI conversations"),
        }
    }
}

/// The first question's first line, shortened: what a new conversation is called.
fn conversation_title(messages: &[ChatMessage]) -> String {
    let first = messages
        .iter()
        .find(|m| m.role == Role::User)
        .and_then(|m| m.content.lines().find(|l| !l.trim().is_empty()))
        .unwrap_or("Conversation")
        .trim();
    let mut title: String = first.chars().take(60).collect();
    if first.chars().count() > 60 {
        title.push('…');
    }
    title
}

/// The audit record of one chat request, written when its stream ends or is dropped
/// (the user pressed Stop): who, which model, how many tokens, how it ended.
pub(super) struct ChatRecord {
    pub(super) audit: AuditLog,
    pub(super) actor: Actor,
    pub(super) workspace: WorkspaceRef,
    pub(super) model: String,
    pub(super) usage: Option<Usage>,
    pub(super) outcome: String,
}

impl ChatRecord {
    pub(super) fn ended(&mut self, usage: Option<Usage>, outcome: String) {
        self.usage = usage;
        self.outcome = outcome;
    }
}

impl Drop for ChatRecord {
    fn drop(&mut self) {
        let tokens = self.usage.map_or_else(
            || "tokens unknown".to_owned(),
            |u| format!("{} + {} tokens", u.prompt_tokens, u.completion_tokens),
        );
        let detail = format!("{}, {tokens}: {}", self.model, self.outcome);
        let (audit, actor, workspace) = (
            self.audit.clone(),
            self.actor.clone(),
            self.workspace.clone(),
        );
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                audit
                    .record(&actor, "ai-chat", Some(&workspace), Some(detail))
                    .await;
            });
        }
    }
}
