//! The agent as server functions reach it: start, list, open, answer, stop and undo runs,
//! and the workspace's confirmation policy, each resolved for the actor first.

use app::agent::{ConfirmPolicy, Decision, PolicyView, RunSummary, RunView};
use app::auth::{Actor, Via, WorkspaceRef};
use app::error::AppError;
use app::service::AgentService;

use super::{checkpoint, dialogue, live, run, AgentManager, MAX_TASK_CHARS};
use crate::access::policy::Action;
use crate::ai::protocol::EditFormat;
use crate::store::unix_now;

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
        // In use from the start (the model is asked what it can do first), for the run's life.
        let in_use = self.resolver.activity().hold(&resolved.record.id);
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
        let native = self.ai.calls_tools(&provider).await;
        let _checked_until_listed = self.changing.lock().await;
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
        // As configured; else whole files for models without tool calls (small ones, mostly,
        // which write whole files far more reliably than edits).
        let edits = provider.edits().unwrap_or(if native {
            EditFormat::SearchReplace
        } else {
            EditFormat::Whole
        });
        let model = format!("{}/{}", provider.name(), provider.model());
        let provider_name = provider.name().to_owned();
        let protocol = if native { "native" } else { "text" };
        let (id, live) = self
            .new_run(actor, &resolved, task.clone(), model, protocol)
            .await?;
        self.registry
            .list(&id, workspace, live.clone(), None, in_use);
        let short: String = task.chars().take(120).collect();
        self.audit(actor, "agent-start", workspace, format!("{id}: {short}"))
            .await;
        let run = run::Run {
            exec: self.executor(&id, live, actor, &resolved),
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
        self.tasks.spawn(run.go());
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
        // What a run does is never approved by the credential it does it with.
        if let (Via::Token(token), Some(acting)) = (actor.via, live.token) {
            if token == acting {
                return Err(AppError::Forbidden(
                    "The token this run acts with cannot approve its own calls: answer in AiCockpit, or with another token that has the approvals scope.".into(),
                ));
            }
        }
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
        // No run may start while the files are put back.
        let _no_starts_meanwhile = self.changing.lock().await;
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
            .map_err(|e| match e {
                checkpoint::RestoreError::Gone => AppError::Busy(format!(
                    "This run can no longer be undone: only the newest {} checkpoints of a workspace are kept, and re-creating its container loses them.",
                    checkpoint::KEPT
                )),
                checkpoint::RestoreError::Failed(why) => AppError::Internal(why),
            })?;
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
