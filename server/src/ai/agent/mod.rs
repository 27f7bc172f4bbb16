//! The governed agent: a task given in words, worked on inside a workspace by a model
//! through the tools (`run`), under the workspace's confirmation policy (`policy`), with a
//! checkpoint to undo it (`checkpoint`), and every step kept as its transcript. Runs live
//! on the server: several at once across workspaces (one per workspace, a few per user),
//! watched live by any page (`live`, `routes`), stored when they end.

mod checkpoint;
mod dialogue;
mod execute;
mod live;
pub mod mcp;
mod policy;
mod preview;
pub mod routes;
mod run;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::agent::{AgentEvent, ConfirmPolicy, Decision, PolicyView, RunStatus, RunSummary, RunView};
use app::ai::Usage;
use app::auth::{Actor, WorkspaceRef};
use app::error::AppError;
use app::service::AgentService;

use super::protocol::EditFormat;
use super::tools::Tools;
use super::AiManager;
use crate::auth::audit::AuditLog;
use crate::auth::policy::Action;
use crate::commands::CommandRunner;
use crate::files::FileManager;
use crate::store::{unix_now, Store};
use crate::workspaces::{Resolved, Resolver};
use execute::Executor;
pub use live::Live;

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

/// A run going on.
struct Entry {
    workspace: WorkspaceRef,
    live: Arc<Live>,
    /// Set for an outside agent's run over MCP, whose calls go through it.
    mcp: Option<Arc<Executor>>,
}

/// The runs going on now, by id.
#[derive(Clone, Default)]
pub struct Registry(Arc<Mutex<HashMap<String, Entry>>>);

impl Registry {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Entry>) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn list(
        &self,
        id: &str,
        workspace: &WorkspaceRef,
        live: Arc<Live>,
        mcp: Option<Arc<Executor>>,
    ) {
        let entry = Entry {
            workspace: workspace.clone(),
            live,
            mcp,
        };
        self.with(|runs| runs.insert(id.to_owned(), entry));
    }

    fn remove(&self, id: &str) {
        self.with(|runs| runs.remove(id));
    }

    /// The run `id`, if it is going on in `workspace`.
    fn get(&self, workspace: &WorkspaceRef, id: &str) -> Option<Arc<Live>> {
        self.with(|runs| {
            runs.get(id)
                .filter(|e| &e.workspace == workspace)
                .map(|e| e.live.clone())
        })
    }

    /// Whether any run works in `workspace`; with `loops_only`, a run of the loop.
    fn in_workspace(&self, workspace: &WorkspaceRef, loops_only: bool) -> bool {
        self.with(|runs| {
            runs.values()
                .any(|e| &e.workspace == workspace && !(loops_only && e.mcp.is_some()))
        })
    }

    /// The loop runs a user has going.
    fn of_user(&self, user_id: i64) -> usize {
        self.with(|runs| {
            runs.values()
                .filter(|e| e.mcp.is_none() && e.live.user_id == user_id)
                .count()
        })
    }

    /// The MCP run of a user in a workspace, if one is going on.
    fn mcp_of(&self, workspace: &WorkspaceRef, user_id: i64) -> Option<Arc<Executor>> {
        self.with(|runs| {
            runs.values()
                .find(|e| &e.workspace == workspace && e.live.user_id == user_id)
                .and_then(|e| e.mcp.clone())
        })
    }
}

pub struct AgentManager {
    ai: Arc<AiManager>,
    tools: Tools,
    files: Arc<FileManager>,
    commands: CommandRunner,
    resolver: Resolver,
    store: Store,
    audit: AuditLog,
    settings: AgentSettings,
    registry: Registry,
    /// Held while an MCP run is being started, so two first calls make one run.
    mcp_starting: tokio::sync::Mutex<()>,
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
    #[allow(clippy::too_many_arguments)]
    pub async fn new(
        ai: Arc<AiManager>,
        files: Arc<FileManager>,
        commands: CommandRunner,
        resolver: Resolver,
        store: Store,
        audit: AuditLog,
        settings: AgentSettings,
    ) -> Self {
        match store.end_interrupted_runs().await {
            Ok(0) => {}
            Ok(ended) => {
                tracing::warn!(ended, "agent runs ended by the last shutdown marked failed")
            }
            Err(e) => tracing::warn!(error = %e, "could not mark interrupted agent runs"),
        }
        Self {
            tools: Tools::new(files.clone(), commands.clone()),
            ai,
            files,
            commands,
            resolver,
            store,
            audit,
            settings,
            registry: Registry::default(),
            mcp_starting: tokio::sync::Mutex::new(()),
        }
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

    async fn view_of(&self, resolved: &Resolved, run: &str) -> Result<RunView, AppError> {
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

    /// A run the actor may see, to follow: live, or over already.
    pub async fn watch(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        run: &str,
    ) -> Result<Watching, AppError> {
        let resolved = self
            .resolver
            .resolve(actor, workspace, Action::View)
            .await?;
        Ok(match self.registry.get(workspace, run) {
            Some(live) => {
                let (view, events) = live.watch();
                Watching::Live(view, events)
            }
            None => Watching::Over(self.view_of(&resolved, run).await?),
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
        Ok((id, Arc::new(Live::new(view, actor.id))))
    }

    fn executor(
        &self,
        id: &str,
        live: Arc<Live>,
        actor: &Actor,
        workspace: &WorkspaceRef,
        policy: ConfirmPolicy,
    ) -> Executor {
        Executor {
            id: id.to_owned(),
            live,
            actor: actor.clone(),
            workspace: workspace.clone(),
            policy,
            tools: self.tools.clone(),
            files: self.files.clone(),
            commands: self.commands.clone(),
            store: self.store.clone(),
            audit: self.audit.clone(),
            registry: self.registry.clone(),
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

#[async_trait::async_trait]
impl AgentService for AgentManager {
    async fn start(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        task: &str,
        provider: Option<&str>,
    ) -> Result<String, AppError> {
        let resolved = self.resolver.resolve(actor, workspace, Action::Use).await?;
        let task = task.trim();
        if task.is_empty() {
            return Err(AppError::invalid(
                app::error::Field::Name,
                "Describe the task for the agent first.",
            ));
        }
        let task: String = task.chars().take(MAX_TASK_CHARS).collect();
        resolved.container()?;
        let provider = self.ai.provider(provider)?.clone();
        if self.registry.in_workspace(workspace, true) {
            return Err(AppError::Busy(format!(
                "An agent is already working in “{workspace}”. Wait for it, or stop it first."
            )));
        }
        if self.registry.of_user(actor.id) >= self.settings.runs_per_user {
            return Err(AppError::Busy(format!(
                "You have {} agent runs going, the most at once. Wait for one to end, or stop one.",
                self.settings.runs_per_user
            )));
        }
        let native = self.ai.calls_tools(&provider).await;
        // As configured; else whole files for models without tool calls (small ones, mostly,
        // which write whole files far more reliably than edits).
        let edits = provider.edits().unwrap_or(if native {
            EditFormat::SearchReplace
        } else {
            EditFormat::Whole
        });
        let (_, policy) = self.effective_policy(&resolved.record.id).await?;
        let model = format!("{}/{}", provider.name(), provider.model());
        let provider_name = provider.name().to_owned();
        let protocol = if native { "native" } else { "text" };
        let (id, live) = self
            .new_run(actor, &resolved, task.clone(), model, protocol)
            .await?;
        self.registry.list(&id, workspace, live.clone(), None);
        let short: String = task.chars().take(120).collect();
        self.audit(actor, "agent-start", workspace, format!("{id}: {short}"))
            .await;
        let run = run::Run {
            exec: self.executor(&id, live, actor, workspace, policy),
            provider,
            native,
            edits,
            system: dialogue::system_prompt(native, edits),
            task,
            settings: self.settings.clone(),
            context_chars: dialogue::budget(
                self.ai
                    .capabilities(&provider_name)
                    .and_then(|c| c.context_tokens),
            ),
        };
        tokio::spawn(run.go());
        Ok(id)
    }

    async fn runs(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
    ) -> Result<Vec<RunSummary>, AppError> {
        let resolved = self
            .resolver
            .resolve(actor, workspace, Action::View)
            .await?;
        let mut runs = self.store.runs(&resolved.record.id, workspace, 50).await?;
        // The stored status of a run going on is where it began; the live one is current.
        for run in &mut runs {
            if let Some(live) = self.registry.get(workspace, &run.id) {
                *run = live.view().summary;
            }
        }
        Ok(runs)
    }

    async fn run(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        run: &str,
    ) -> Result<RunView, AppError> {
        self.view(actor, workspace, run).await
    }

    async fn decide(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        run: &str,
        seq: u32,
        decision: Decision,
    ) -> Result<(), AppError> {
        self.resolver.resolve(actor, workspace, Action::Use).await?;
        let live = self.registry.get(workspace, run).ok_or_else(|| {
            AppError::Busy("This run is over; there is nothing left to approve.".into())
        })?;
        let action = match &decision {
            Decision::Deny { .. } => "agent-deny",
            _ => "agent-approve",
        };
        let answer = live::Answer {
            decision,
            by: actor.name.to_string(),
        };
        if !live.answer(seq, answer) {
            return Err(AppError::Busy(
                "That step was already answered, or the run moved on.".into(),
            ));
        }
        self.audit(actor, action, workspace, format!("{run}: step {seq}"))
            .await;
        Ok(())
    }

    async fn stop(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        run: &str,
    ) -> Result<(), AppError> {
        self.resolver.resolve(actor, workspace, Action::Use).await?;
        // A run that is over already is stopped: nothing to do.
        if let Some(live) = self.registry.get(workspace, run) {
            live.stop.cancel();
            self.audit(actor, "agent-stop", workspace, run.to_owned())
                .await;
        }
        Ok(())
    }

    async fn undo(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        run: &str,
    ) -> Result<(), AppError> {
        let resolved = self.resolver.resolve(actor, workspace, Action::Use).await?;
        if self.registry.in_workspace(workspace, false) {
            return Err(AppError::Busy(
                "An agent is working in this workspace; stop it before undoing a run.".into(),
            ));
        }
        let mut summary = self.view_of(&resolved, run).await?.summary;
        if summary.undone_at.is_some() {
            return Err(AppError::Busy("This run was undone already.".into()));
        }
        checkpoint::restore(&self.commands, actor, workspace, run)
            .await
            .map_err(AppError::Internal)?;
        summary.undone_at = Some(unix_now());
        self.store.update_run(&summary, None).await?;
        self.files.announce(workspace);
        self.audit(actor, "agent-undo", workspace, run.to_owned())
            .await;
        Ok(())
    }

    async fn policy(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
    ) -> Result<PolicyView, AppError> {
        let resolved = self
            .resolver
            .resolve(actor, workspace, Action::View)
            .await?;
        let (chosen, effective) = self.effective_policy(&resolved.record.id).await?;
        Ok(PolicyView {
            chosen,
            floor: self.settings.floor,
            effective,
            may_change: resolved.access.can_manage(),
        })
    }

    async fn set_policy(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        policy: ConfirmPolicy,
    ) -> Result<PolicyView, AppError> {
        let resolved = self
            .resolver
            .resolve(actor, workspace, Action::Configure)
            .await?;
        self.store
            .set_agent_policy(&resolved.record.id, policy)
            .await?;
        self.audit(actor, "agent-policy", workspace, policy.as_str().to_owned())
            .await;
        self.policy(actor, workspace).await
    }
}
