//! The governed agent: a task given in words, worked on inside a workspace by a model
//! through the tools (`run`), under the workspace's confirmation policy (`policy`), with a
//! checkpoint to undo it (`checkpoint`), and every step kept as its transcript. Runs live
//! on the server: several at once across workspaces (one per workspace, a few per user),
//! watched live by any page (`live`, `routes`), stored when they end.

mod checkpoint;
mod dialogue;
mod execute;
mod live;
mod outside;
mod policy;
mod preview;
mod registry;
mod run;
mod service;

use std::sync::Arc;
use std::time::Duration;

use app::agent::{AgentEvent, ConfirmPolicy, RunStatus, RunSummary, RunView};
use app::ai::Usage;
use app::auth::{Actor, WorkspaceRef};
use app::error::AppError;

use super::tools::Tools;
use super::AiManager;
use crate::access::policy::Action;
use crate::access::{Resolved, Resolver};
use crate::auth::audit::AuditLog;
use crate::commands::CommandRunner;
use crate::files::FileManager;
use crate::store::{unix_now, AgentRunStore, Store, UserStore};
pub use checkpoint::FOLDER as CHECKPOINTS;
use execute::Executor;
pub use live::Live;
use registry::Registry;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Limits on runs, from the configuration.
#[derive(Debug, Clone)]
pub struct AgentSettings {
    /// Tool calls in one run.
    pub max_steps: u32,
    pub max_time: Duration,
    /// Prompt and answer tokens in one run, as the provider counts them.
    pub max_tokens: u64,
    /// Runs one user may have going at once.
    pub runs_per_user: usize,
    /// The least asking policy any workspace may have.
    pub floor: ConfirmPolicy,
    /// The same call, the same error, or no usable call this many times in a row ends a run.
    pub repeat_limit: u32,
    /// An outside agent's run over MCP ends after this long without a call.
    pub mcp_idle: Duration,
}

impl Default for AgentSettings {
    fn default() -> Self {
        Self {
            max_steps: 50,
            max_time: Duration::from_secs(30 * 60),
            max_tokens: 1_000_000,
            runs_per_user: 2,
            floor: ConfirmPolicy::Never,
            repeat_limit: 3,
            mcp_idle: Duration::from_secs(10 * 60),
        }
    }
}

pub struct AgentManager {
    ai: Arc<AiManager>,
    tools: Tools,
    files: Arc<FileManager>,
    commands: CommandRunner,
    resolver: Resolver,
    store: AgentRunStore,
    /// To check that the user a run works for may still work.
    users: UserStore,
    audit: AuditLog,
    settings: AgentSettings,
    registry: Registry,
    /// Runs and their watchers, which the server waits for when it stops.
    tasks: TaskTracker,
    /// Held while a run starts or is undone, so that what is checked first (one run per
    /// workspace, runs per user, nothing working during an undo) still holds after.
    changing: tokio::sync::Mutex<()>,
}

/// A run to follow: everything so far and what comes next, or all of it, over.
pub enum Watching {
    Live(RunView, tokio::sync::broadcast::Receiver<AgentEvent>),
    Over(RunView),
}

/// The longest task text taken.
const MAX_TASK_CHARS: usize = 20_000;

fn run_gone(run: &str) -> AppError {
    AppError::BadRequest(format!("there is no agent run “{run}” in this workspace"))
}

impl AgentManager {
    /// Runs are spawned on `tasks`, which the server waits for when it stops.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        ai: Arc<AiManager>,
        files: Arc<FileManager>,
        commands: CommandRunner,
        resolver: Resolver,
        store: &Store,
        audit: AuditLog,
        settings: AgentSettings,
        tasks: TaskTracker,
    ) -> Self {
        let registry = Registry::default();
        Self {
            tools: Tools::new(files.clone(), commands.clone()),
            ai,
            files,
            commands,
            resolver,
            store: store.agent_runs(),
            users: store.users(),
            audit,
            settings,
            registry,
            tasks,
            changing: tokio::sync::Mutex::new(()),
        }
    }

    /// Marks the runs the last server left going as failed: none of them goes on.
    pub async fn end_interrupted_runs(&self) {
        match self.store.end_interrupted_runs().await {
            Ok(0) => {}
            Ok(ended) => {
                tracing::warn!(ended, "agent runs ended by the last shutdown marked failed")
            }
            Err(e) => tracing::warn!(error = %e, "could not mark interrupted agent runs"),
        }
    }

    /// Stops every run once `shutdown` is cancelled; each records how it ended.
    pub async fn stop_all_on(&self, shutdown: CancellationToken) {
        shutdown.cancelled().await;
        self.registry.stop_all("the server stopped");
    }

    /// A run the actor may see: going on, or stored.
    pub async fn view(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        run: &str,
    ) -> Result<RunView, AppError> {
        let resolved = self
            .resolver
            .resolve(actor, workspace, Action::View)
            .await?;
        self.view_of(&resolved, run).await
    }

    /// A run of a workspace already resolved for whoever asks.
    pub async fn view_of(&self, resolved: &Resolved, run: &str) -> Result<RunView, AppError> {
        if let Some(live) = self.registry.get(&resolved.reference, run) {
            return Ok(live.view());
        }
        let (stored, steps) = self
            .store
            .run(&resolved.record.id, &resolved.reference, run)
            .await?
            .ok_or_else(|| run_gone(run))?;
        Ok(RunView {
            summary: stored.summary,
            steps,
            pending: None,
            diff: stored.diff,
        })
    }

    /// A run in a workspace already resolved for the watcher, to follow: live, or over.
    pub async fn watch(&self, resolved: &Resolved, run: &str) -> Result<Watching, AppError> {
        Ok(match self.registry.get(&resolved.reference, run) {
            Some(live) => {
                let (view, events) = live.watch();
                Watching::Live(view, events)
            }
            None => Watching::Over(self.view_of(resolved, run).await?),
        })
    }

    /// Records a new run and makes its live view; the caller lists it.
    async fn new_run(
        &self,
        actor: &Actor,
        resolved: &Resolved,
        task: String,
        model: String,
        protocol: &str,
    ) -> Result<(String, Arc<Live>), AppError> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let summary = RunSummary {
            id: id.clone(),
            workspace: resolved.reference.clone(),
            task,
            started_by: actor.name.to_string(),
            model,
            protocol: protocol.to_owned(),
            status: RunStatus::Thinking,
            detail: None,
            started_at: unix_now(),
            ended_at: None,
            tokens: Usage::default(),
            undone_at: None,
        };
        self.store
            .insert_run(&resolved.record.id, actor.id, &summary)
            .await?;
        let view = RunView {
            summary,
            steps: Vec::new(),
            pending: None,
            diff: None,
        };
        Ok((id, Arc::new(Live::new(view, actor))))
    }

    fn executor(&self, id: &str, live: Arc<Live>, actor: &Actor, resolved: &Resolved) -> Executor {
        Executor {
            id: id.to_owned(),
            live,
            actor: actor.clone(),
            workspace: resolved.reference.clone(),
            workspace_id: resolved.record.id.clone(),
            floor: self.settings.floor,
            calls: tokio::sync::Mutex::new(()),
            tools: self.tools.clone(),
            files: self.files.clone(),
            commands: self.commands.clone(),
            store: self.store.clone(),
            users: self.users.clone(),
            audit: self.audit.clone(),
            registry: self.registry.clone(),
            resolver: self.resolver.clone(),
        }
    }

    async fn effective_policy(
        &self,
        workspace_id: &str,
    ) -> Result<(ConfirmPolicy, ConfirmPolicy), AppError> {
        let chosen = self
            .store
            .agent_policy(workspace_id)
            .await?
            .unwrap_or_default();
        Ok((chosen, chosen.max(self.settings.floor)))
    }

    async fn audit(&self, actor: &Actor, action: &str, workspace: &WorkspaceRef, detail: String) {
        self.audit
            .record(actor, action, Some(workspace), Some(detail))
            .await;
    }
}
