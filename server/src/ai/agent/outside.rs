//! Outside agents' work (MCP clients, served by `http::mcp`): their calls form one run per
//! user and workspace, begun (with a checkpoint, so it can be undone) at the first call and
//! ended after a quiet spell or by Stop in the IDE.

use std::sync::Arc;
use std::time::Duration;

use app::agent::{RunStatus, StepKind};
use app::auth::{Actor, WorkspaceRef};
use app::error::AppError;

use super::execute::Executor;
use super::AgentManager;
use crate::access::policy::Action;
use crate::ai::tools::ToolCall;

impl AgentManager {
    /// Runs an outside agent's call in its run for this user and workspace (begun now if
    /// none is going on); its result, or why it did not run.
    pub async fn mcp_call(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        client: &str,
        call: ToolCall,
    ) -> Result<(bool, String), AppError> {
        let exec = match self.registry.mcp_of(workspace, actor) {
            Some(exec) => exec,
            None => self.begin_mcp_run(actor, workspace, client).await?,
        };
        exec.live.touch();
        let done = exec.carry_out(call).await;
        exec.live.touch();
        match done {
            Ok(done) => {
                // Back to the outside agent's thinking.
                exec.live.set_status(RunStatus::Thinking, None);
                Ok(done)
            }
            Err((RunStatus::Stopped, _)) => {
                Ok((false, "The user stopped this work in AiCockpit.".into()))
            }
            Err((status, why)) => {
                exec.end(status, why.clone()).await;
                Err(AppError::Forbidden(why))
            }
        }
    }

    async fn begin_mcp_run(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        client: &str,
    ) -> Result<Arc<Executor>, AppError> {
        let _one_at_a_time = self.changing.lock().await;
        if let Some(exec) = self.registry.mcp_of(workspace, actor) {
            return Ok(exec);
        }
        let resolved = self.resolver.resolve(actor, workspace, Action::Use).await?;
        resolved.container()?;
        let task = format!("Work by {client} over MCP");
        let (id, live) = self
            .new_run(actor, &resolved, task.clone(), "mcp".into(), "mcp")
            .await?;
        let exec = Arc::new(self.executor(&id, live.clone(), actor, &resolved));
        self.audit(actor, "agent-start", workspace, format!("{id}: {task}"))
            .await;
        // Listed once the checkpoint exists, so no call can change files before it.
        if let Err((status, detail)) = exec.begin().await {
            exec.end(status, detail.clone()).await;
            return Err(AppError::Internal(detail));
        }
        let in_use = self.resolver.activity().hold(&resolved.record.id);
        self.registry
            .list(&id, workspace, live, Some(exec.clone()), in_use);
        exec.record(StepKind::Prompt {
            system: format!("Tools offered over MCP at /mcp/{workspace}"),
            task,
        })
        .await;
        self.tasks
            .spawn(end_when_quiet(exec.clone(), self.settings.mcp_idle));
        Ok(exec)
    }
}

/// Ends an MCP run when Stop is pressed, or once no call came for `idle`.
async fn end_when_quiet(exec: Arc<Executor>, idle: Duration) {
    let check = (idle / 4).clamp(Duration::from_millis(50), Duration::from_secs(15));
    loop {
        tokio::select! {
            _ = exec.live.stop.cancelled() => {
                let (status, why) = exec.stopped();
                return exec.end(status, why).await;
            }
            _ = tokio::time::sleep(check) => {}
        }
        if exec.live.is_ended() {
            return;
        }
        let busy = matches!(
            exec.live.status(),
            RunStatus::RunningTool | RunStatus::WaitingForApproval
        );
        if !busy && exec.live.idle_for() >= idle {
            let detail = format!(
                "the MCP client made no call for {} s",
                exec.live.idle_for().as_secs()
            );
            return exec.end(RunStatus::Done, detail).await;
        }
    }
}
