//! What every run does with a tool call, whoever made it (the loop's model, or an outside
//! agent over MCP): the rules' risk, an approval when the policy says so, the call through
//! the tools, each step recorded live and in the transcript; and how a run begins (a
//! checkpoint) and ends (its diff, stored, audited, taken off the list of runs going on).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::agent::{ConfirmPolicy, Decision, Pending, RunStatus, StepKind};
use app::auth::{Actor, WorkspaceRef};
use serde_json::Value;

use super::live::Live;
use super::{checkpoint, policy, preview, Registry};
use crate::access::policy::Action;
use crate::access::Resolver;
use crate::ai::tools::{ToolCall, Tools};
use crate::auth::audit::AuditLog;
use crate::commands::CommandRunner;
use crate::files::FileManager;
use crate::store::{unix_now, AgentRunStore, UserStore};

/// How a run ended, and why.
pub type Ending = (RunStatus, String);

pub struct Executor {
    pub id: String,
    pub live: Arc<Live>,
    pub actor: Actor,
    pub workspace: WorkspaceRef,
    /// The workspace's id, to read its policy at each call.
    pub workspace_id: String,
    /// The server's floor under every workspace's policy.
    pub floor: ConfirmPolicy,
    /// One call at a time (an outside agent may send several at once).
    pub calls: tokio::sync::Mutex<()>,
    pub tools: Tools,
    pub files: Arc<FileManager>,
    pub commands: CommandRunner,
    pub store: AgentRunStore,
    pub users: UserStore,
    pub audit: AuditLog,
    pub registry: Registry,
    pub resolver: Resolver,
}

impl Executor {
    /// How a stopped run ended: by the user, or as the server stopped.
    pub fn stopped(&self) -> Ending {
        (RunStatus::Stopped, self.live.stop_reason())
    }

    /// Runs `work` unless Stop is pressed first; `None` when it was.
    pub async fn unless_stopped<T>(&self, work: impl Future<Output = T>) -> Option<T> {
        tokio::select! {
            biased;
            _ = self.live.stop.cancelled() => None,
            done = work => Some(done),
        }
    }

    /// Records a step, live and in the transcript.
    pub async fn record(&self, kind: StepKind) -> u32 {
        let step = self.live.step(kind);
        if let Err(e) = self.store.add_step(&self.id, &step).await {
            tracing::warn!(run = %self.id, error = %e, "could not store an agent step");
        }
        step.seq
    }

    /// Whether the user the run works for may still change the workspace, as they are now:
    /// a disabled account, a lost share or a lost admin role ends the run.
    pub async fn still_allowed(&self) -> Result<(), Ending> {
        let lost = |why: String| (RunStatus::Failed, why);
        let user = self
            .users
            .user_by_id(self.actor.id)
            .await
            .map_err(|e| lost(e.to_string()))?
            .filter(|u| !u.disabled)
            .ok_or_else(|| lost(format!("{}'s account was disabled", self.actor.name)))?;
        let now = Actor {
            role: user.role,
            ..self.actor.clone()
        };
        let resolved = self
            .resolver
            .resolve(&now, &self.workspace, Action::Use)
            .await
            .map_err(|_| {
                lost(format!(
                    "{} may no longer change this workspace",
                    self.actor.name
                ))
            })?;
        // The name may now belong to another workspace, made after this one was deleted.
        if resolved.record.id != self.workspace_id {
            return Err(lost("the workspace was deleted".into()));
        }
        Ok(())
    }

    /// Saves the checkpoint the run can be undone to; the reason when it cannot.
    pub async fn begin(&self) -> Result<(), Ending> {
        let newest = self
            .store
            .runs(&self.workspace_id, &self.workspace, checkpoint::KEPT as u32)
            .await
            .map_err(|e| (RunStatus::Failed, e.to_string()))?;
        let keep: Vec<String> = newest.into_iter().map(|r| r.id).collect();
        let saved = checkpoint::save(
            &self.commands,
            &self.actor,
            &self.workspace,
            &self.id,
            &keep,
        );
        match self.unless_stopped(saved).await {
            None => Err(self.stopped()),
            Some(Err(e)) => Err((RunStatus::Failed, e)),
            Some(Ok(())) => Ok(()),
        }
    }

    /// The policy now: the owner may tighten it while a run goes on.
    async fn policy(&self) -> ConfirmPolicy {
        match self.store.agent_policy(&self.workspace_id).await {
            Ok(chosen) => chosen.unwrap_or_default().max(self.floor),
            // Unknown: ask.
            Err(_) => ConfirmPolicy::Always,
        }
    }

    /// Records how the run ended and what it changed (once, whoever comes first).
    pub async fn end(&self, status: RunStatus, detail: String) {
        if !self.live.claim_end() {
            return;
        }
        self.live.clear_pending();
        let diff = checkpoint::changes(&self.commands, &self.actor, &self.workspace, &self.id)
            .await
            .unwrap_or_else(|e| e);
        self.live.set_diff(diff.clone());
        self.live.set_status(status, Some(detail.clone()));
        let mut summary = self.live.view().summary;
        summary.ended_at = Some(unix_now());
        if let Err(e) = self.store.update_run(&summary, Some(&diff)).await {
            tracing::warn!(run = %self.id, error = %e, "could not record the end of an agent run");
        }
        self.files.announce(&self.workspace);
        let line = format!("{}: {} ({detail})", self.id, status.as_str());
        self.audit
            .record(&self.actor, "agent-end", Some(&self.workspace), Some(line))
            .await;
        self.registry.remove(&self.id);
    }

    /// Asks for approval when the policy says so, then runs the call (if the user still
    /// may): its result for the model, or how the run ended meanwhile.
    pub async fn carry_out(&self, call: ToolCall) -> Result<(bool, String), Ending> {
        let _one_at_a_time = self.calls.lock().await;
        let name = tool_name(&call);
        let risk = policy::assess(&call);
        let asks = policy::asks(self.policy().await, &call, &risk);
        let seq = self
            .record(StepKind::Call {
                tool: name.clone(),
                arguments: arguments_of(&call),
                risk: risk.clone(),
                asks,
            })
            .await;
        let mut call = call;
        if asks {
            self.live.set_status(RunStatus::WaitingForApproval, None);
            let pending = Pending {
                seq,
                tool: name,
                detail: preview::preview(&self.files, &self.actor, &self.workspace, &call).await,
                editable: policy::editable(&call),
                risk,
            };
            let answer = self.live.ask(pending).await.ok_or_else(|| self.stopped())?;
            let (approved, edited, reason) = match answer.decision {
                Decision::Approve => (true, None, None),
                Decision::ApproveEdited { value } => {
                    call = policy::with_edit(call, value.clone());
                    (true, Some(value), None)
                }
                Decision::Deny { reason } => (false, None, Some(reason)),
            };
            self.record(StepKind::Decision {
                approved,
                by: answer.by,
                edited,
                reason: reason.clone(),
            })
            .await;
            if !approved {
                let text = match reason.filter(|r| !r.trim().is_empty()) {
                    Some(reason) => format!("The user did not allow this. Their reason: {reason}"),
                    None => "The user did not allow this.".to_owned(),
                };
                self.record(StepKind::Result {
                    ok: false,
                    text: text.clone(),
                    took_ms: 0,
                })
                .await;
                return Ok((false, text));
            }
        }
        self.still_allowed().await?;
        self.live.set_status(RunStatus::RunningTool, None);
        let began = Instant::now();
        let command = matches!(call, ToolCall::RunCommand { .. });
        let watch = |bytes: &[u8]| self.live.output(bytes);
        let result = self
            .unless_stopped(self.tools.call_watched(
                &self.actor,
                &self.workspace,
                call,
                Some(&watch),
            ))
            .await
            .ok_or_else(|| self.stopped())?;
        if command {
            // A command may have changed files: open trees relist.
            self.files.announce(&self.workspace);
        }
        self.record(StepKind::Result {
            ok: result.ok,
            text: result.text.clone(),
            took_ms: millis(began.elapsed()),
        })
        .await;
        Ok((result.ok, result.text))
    }
}

fn millis(took: Duration) -> u64 {
    took.as_millis().min(u64::MAX as u128) as u64
}

fn arguments_value(call: &ToolCall) -> Value {
    serde_json::to_value(call).unwrap_or_default()
}

pub fn tool_name(call: &ToolCall) -> String {
    arguments_value(call)["tool"]
        .as_str()
        .unwrap_or("tool")
        .to_owned()
}

/// A call's arguments as JSON, for the transcript.
fn arguments_of(call: &ToolCall) -> String {
    arguments_value(call)["arguments"].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_named_and_their_arguments_kept() {
        let call = ToolCall::ReadFile {
            path: "a.rs".into(),
            start_line: Some(2),
            end_line: None,
        };
        assert_eq!(tool_name(&call), "read_file");
        let arguments: Value = serde_json::from_str(&arguments_of(&call)).unwrap();
        assert_eq!(arguments["path"], "a.rs");
    }
}
