//! AI in the IDE: the configured OpenAI-compatible providers (`config`, `client`, `chunk`,
//! `probe`), what a chat sends (`context`), the chat route (`routes`), the terminal
//! assistant (`assist`, `risk`), code actions (`actions`), and for the agent, model-written
//! edits (`edit`), its tools (`tools`), how they are offered to a model (`protocol`) and
//! the agent itself (`agent`).
//! Every request is made for a signed-in user on a workspace they may see, and lands in the
//! audit log.

mod actions;
pub mod agent;
mod assist;
pub mod chunk;
pub mod client;
pub mod config;
pub mod context;
pub mod edit;
mod probe;
pub mod protocol;
mod records;
pub mod risk;
pub mod tools;

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};

use app::ai::{
    AiError, Capabilities, ChatEvent, ChatMessage, ChatRequest, CodeActionKind, CodeActionRequest,
    CodeActionResult, CommandSuggestion, ConversationSummary, ProviderInfo,
};
use app::auth::{Actor, WorkspaceRef};
use app::error::AppError;
use app::service::{AiService, SharedFileService};
use app::workspace_path::WorkspacePath;
use futures::{Stream, StreamExt};

use crate::access::policy::{may_manage_users, Action};
use crate::access::Resolver;
use crate::auth::audit::AuditLog;
use crate::store::{ConversationOwner, ConversationStore, SettingStore, Store};
use crate::sync::UnpoisonedRw;
use client::{Piece, Provider};
pub use config::{AiSettings, ProviderSpec};
use records::{conversation_gone, purge_every_hour, ChatRecord, Saving};

const DEFAULT_PROVIDER: &str = "ai.default_provider";

pub struct AiManager {
    providers: Vec<Provider>,
    /// Conversations are saved (and purged after this long) unless zero.
    keep_conversations: std::time::Duration,
    default: RwLock<Option<String>>,
    probes: Mutex<HashMap<String, Capabilities>>,
    resolver: Resolver,
    files: SharedFileService,
    audit: AuditLog,
    store: ConversationStore,
    settings: SettingStore,
}

impl AiManager {
    pub async fn new(
        settings: AiSettings,
        resolver: Resolver,
        files: SharedFileService,
        audit: AuditLog,
        store: &Store,
    ) -> Self {
        let providers: Vec<Provider> = settings
            .providers
            .into_iter()
            .map(|config| Provider::new(config, settings.answer_timeout))
            .collect();
        let settings_store = store.settings();
        let chosen = settings_store
            .setting(DEFAULT_PROVIDER)
            .await
            .ok()
            .flatten();
        let default = chosen.filter(|name| providers.iter().any(|p| p.name() == name));
        Self {
            keep_conversations: settings.keep_conversations,
            providers,
            default: RwLock::new(default),
            probes: Mutex::new(HashMap::new()),
            resolver,
            files,
            audit,
            store: store.conversations(),
            settings: settings_store,
        }
    }

    /// Deletes conversations past their keeping time, every hour, for as long as it runs;
    /// at once done when they are kept for ever.
    pub async fn purge_old_conversations(&self) {
        if !self.keep_conversations.is_zero() {
            purge_every_hour(self.store.clone(), self.keep_conversations).await
        }
    }

    fn default_name(&self) -> Option<String> {
        let chosen = self.default.read_locked().clone();
        chosen.or_else(|| self.providers.first().map(|p| p.name().to_owned()))
    }

    /// The provider by name, or the default one.
    pub(crate) fn provider(&self, name: Option<&str>) -> Result<&Provider, AiError> {
        if self.providers.is_empty() {
            return Err(AiError::Off);
        }
        let name = name
            .map(str::to_owned)
            .or_else(|| self.default_name())
            .unwrap_or_default();
        self.providers
            .iter()
            .find(|p| p.name() == name)
            .ok_or(AiError::UnknownProvider(name))
    }

    /// Starts an answer: the events to stream to the browser, the context first.
    pub async fn chat(
        &self,
        actor: &Actor,
        request: ChatRequest,
    ) -> Result<impl Stream<Item = ChatEvent> + Send + 'static, AppError> {
        let resolved = self
            .resolver
            .resolve(actor, &request.workspace, Action::View)
            .await?;
        let provider = self.provider(request.provider.as_deref())?;
        if request.messages.is_empty() {
            return Err(AppError::BadRequest("the conversation is empty".into()));
        }
        let owner = ConversationOwner {
            user_id: actor.id,
            workspace_id: resolved.record.id.clone(),
        };
        let keeping = !self.keep_conversations.is_zero();
        let conversation = match request.conversation {
            // Nothing is saved when none are kept: the id only names this exchange.
            Some(id) if !keeping || self.store.owns(&owner, &id).await? => id,
            Some(_) => return Err(conversation_gone()),
            None => uuid::Uuid::new_v4().to_string(),
        };
        let attached = self
            .attachments(actor, &resolved.reference, request.attachments)
            .await?;
        let mut saving = Saving {
            keeping,
            store: self.store.clone(),
            owner,
            conversation: conversation.clone(),
            messages: request.messages.clone(),
            answer: String::new(),
        };
        let (attached, sent) = context::fit(attached, context::ATTACHMENT_BUDGET);
        let messages = context::messages(&resolved.reference, request.messages, &attached);
        let mut record = ChatRecord {
            audit: self.audit.clone(),
            actor: actor.clone(),
            workspace: resolved.reference.clone(),
            model: format!("{}/{}", provider.name(), provider.model()),
            usage: None,
            outcome: "stopped".into(),
        };
        let answer = match provider.chat(&messages).await {
            Ok(answer) => answer,
            Err(e) => {
                record.ended(None, e.to_string());
                return Err(e.into());
            }
        };
        let context = ChatEvent::Context {
            provider: provider.name().to_owned(),
            model: provider.model().to_owned(),
            sent,
            conversation,
        };
        let events = answer.map(move |piece| match piece {
            Ok(Piece::Text(text)) => {
                saving.answer.push_str(&text);
                ChatEvent::Delta { text }
            }
            Ok(Piece::Done { usage, .. }) => {
                record.ended(usage, "answered".into());
                saving.save();
                ChatEvent::Done { usage }
            }
            Err(error) => {
                record.ended(None, error.to_string());
                ChatEvent::Error { error }
            }
        });
        Ok(futures::stream::once(async { context }).chain(events))
    }
}

#[async_trait::async_trait]
impl AiService for AiManager {
    async fn providers(&self, _actor: &Actor) -> Result<Vec<ProviderInfo>, AppError> {
        let default = self.default_name();
        Ok(self
            .providers
            .iter()
            .map(|p| ProviderInfo {
                name: p.name().to_owned(),
                model: p.model().to_owned(),
                is_default: default.as_deref() == Some(p.name()),
            })
            .collect())
    }

    async fn probe(&self, _actor: &Actor, provider: &str) -> Result<Capabilities, AppError> {
        let provider = self.provider(Some(provider))?;
        let found = provider.probe().await?;
        self.remember(provider.name(), &found);
        Ok(found)
    }

    async fn suggest_command(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        task: &str,
        provider: Option<&str>,
        output: Option<&str>,
    ) -> Result<CommandSuggestion, AppError> {
        // For typing into a terminal: viewers cannot.
        let resolved = self.resolver.resolve(actor, workspace, Action::Use).await?;
        let provider = self.provider(provider)?;
        if task.trim().is_empty() {
            return Err(AppError::invalid(
                app::error::Field::Name,
                "Describe the task first.",
            ));
        }
        let messages = assist::messages(&resolved.reference, task, output);
        let reply = provider.chat(&messages).await?.text().await?;
        let (command, explanation) = assist::read_reply(&reply).ok_or_else(|| AiError::Broken {
            provider: provider.name().to_owned(),
            detail: "the answer held no command".into(),
        })?;
        let risk = risk::assess(&command);
        let detail = format!(
            "{}/{}: {command} ({})",
            provider.name(),
            provider.model(),
            risk.level.label()
        );
        self.audit
            .record(actor, "ai-command", Some(&resolved.reference), Some(detail))
            .await;
        Ok(CommandSuggestion {
            command,
            explanation,
            risk,
        })
    }

    async fn code_action(
        &self,
        actor: &Actor,
        request: CodeActionRequest,
    ) -> Result<CodeActionResult, AppError> {
        // Explaining reads; everything else proposes an edit to apply.
        let action = match request.kind {
            CodeActionKind::Explain => Action::View,
            _ => Action::Use,
        };
        let resolved = self
            .resolver
            .resolve(actor, &request.workspace, action)
            .await?;
        let path = WorkspacePath::parse(&request.file)?;
        let provider = self.provider(request.provider.as_deref())?;
        let reply = provider
            .chat(&actions::messages(&request))
            .await?
            .text()
            .await?;
        let detail = format!(
            "{}/{}: {} on {}",
            provider.name(),
            provider.model(),
            request.kind.label(),
            path.absolute()
        );
        self.audit
            .record(
                actor,
                "ai-code-action",
                Some(&resolved.reference),
                Some(detail),
            )
            .await;
        if request.kind == CodeActionKind::Explain {
            return Ok(CodeActionResult::Explanation { markdown: reply });
        }
        let text = actions::proposed_text(&request, &reply).ok_or_else(|| AiError::Broken {
            provider: provider.name().to_owned(),
            detail: "the answer held no code".into(),
        })?;
        Ok(CodeActionResult::Edit { text })
    }

    async fn conversations(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
    ) -> Result<Vec<ConversationSummary>, AppError> {
        let owner = self.conversation_owner(actor, workspace).await?;
        Ok(self.store.conversations(&owner).await?)
    }

    async fn conversation(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        id: &str,
    ) -> Result<Vec<ChatMessage>, AppError> {
        let owner = self.conversation_owner(actor, workspace).await?;
        self.store
            .conversation(&owner, id)
            .await?
            .ok_or_else(conversation_gone)
    }

    async fn change_conversation(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        id: &str,
        title: Option<&str>,
    ) -> Result<(), AppError> {
        let owner = self.conversation_owner(actor, workspace).await?;
        let done = match title.map(str::trim) {
            Some("") => {
                return Err(AppError::invalid(
                    app::error::Field::Name,
                    "Give the conversation a name.",
                ))
            }
            Some(title) => {
                let title: String = title.chars().take(120).collect();
                self.store.rename_conversation(&owner, id, &title).await?
            }
            None => self.store.delete_conversation(&owner, id).await?,
        };
        if done {
            Ok(())
        } else {
            Err(conversation_gone())
        }
    }

    async fn set_default(&self, actor: &Actor, provider: &str) -> Result<(), AppError> {
        may_manage_users(actor)?;
        let name = self.provider(Some(provider))?.name().to_owned();
        self.settings.set_setting(DEFAULT_PROVIDER, &name).await?;
        *self.default.write_locked() = Some(name.clone());
        self.audit
            .record(actor, "ai-default", None, Some(name))
            .await;
        Ok(())
    }
}

impl AiManager {
    /// Whose conversations a request is about: the actor's, in a workspace they may see.
    async fn conversation_owner(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
    ) -> Result<ConversationOwner, AppError> {
        let resolved = self
            .resolver
            .resolve(actor, workspace, Action::View)
            .await?;
        Ok(ConversationOwner {
            user_id: actor.id,
            workspace_id: resolved.record.id,
        })
    }
}
