//! The governed agent as the browser and the server both see it: a run (a task given in
//! words, worked on in one workspace), its steps as they happen and afterwards, the
//! approval it may be waiting for, and the confirmation policy that decides when it waits.

use serde::{Deserialize, Serialize};

use crate::ai::{Risk, Usage};
use crate::auth::WorkspaceRef;

/// The live events of one run.
pub fn events_path(workspace: &WorkspaceRef, run: &str) -> String {
    crate::wire::fill(crate::wire::AGENT_EVENTS, workspace, &[("run", run)])
}

/// The whole transcript as JSON, for keeping.
pub fn transcript_path(workspace: &WorkspaceRef, run: &str) -> String {
    crate::wire::fill(crate::wire::AGENT_TRANSCRIPT, workspace, &[("run", run)])
}

/// The page showing a run: `/workspaces/{owner}/{workspace}/agent/{run}`.
pub fn run_page(workspace: &WorkspaceRef, run: &str) -> String {
    format!(
        "/workspaces/{}/{}/agent/{run}",
        workspace.owner, workspace.name
    )
}

/// When the agent waits for a person. Ordered from the least to the most asking, so a
/// floor is a maximum: `policy.max(floor)`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ConfirmPolicy {
    /// Everything runs without asking.
    Never,
    /// Commands and file changes the rules find risky wait for approval.
    #[default]
    Risky,
    /// Every command and file change waits for approval (reading never does).
    Always,
}

impl ConfirmPolicy {
    pub const ALL: [ConfirmPolicy; 3] = [Self::Always, Self::Risky, Self::Never];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Never => "never",
            Self::Risky => "risky",
            Self::Always => "always",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Never => "Never ask",
            Self::Risky => "Ask for risky actions",
            Self::Always => "Always ask",
        }
    }
}

/// A workspace's policy, the floor the server imposes, and what applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyView {
    pub chosen: ConfirmPolicy,
    pub floor: ConfirmPolicy,
    pub effective: ConfirmPolicy,
    /// Whether this user may change it (the owner, or an admin).
    pub may_change: bool,
}

/// Where a run is, as the loop itself reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Thinking,
    RunningTool,
    WaitingForApproval,
    Done,
    Failed,
    Stopped,
}

impl RunStatus {
    pub fn is_over(self) -> bool {
        matches!(self, Self::Done | Self::Failed | Self::Stopped)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Thinking => "thinking",
            Self::RunningTool => "running_tool",
            Self::WaitingForApproval => "waiting_for_approval",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Stopped => "stopped",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Thinking,
            Self::RunningTool,
            Self::WaitingForApproval,
            Self::Done,
            Self::Failed,
            Self::Stopped,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Thinking => "Thinking…",
            Self::RunningTool => "Running a tool…",
            Self::WaitingForApproval => "Waiting for approval",
            Self::Done => "Done",
            Self::Failed => "Failed",
            Self::Stopped => "Stopped",
        }
    }
}

/// A run as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub id: String,
    pub workspace: WorkspaceRef,
    pub task: String,
    pub started_by: String,
    /// `provider/model`.
    pub model: String,
    /// "native" tool calls or the "text" protocol.
    pub protocol: String,
    pub status: RunStatus,
    /// The summary when done; why, when failed or stopped.
    pub detail: Option<String>,
    /// Unix seconds.
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub tokens: Usage,
    /// Unix seconds when its changes were undone.
    pub undone_at: Option<i64>,
}

/// One thing that happened in a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepKind {
    /// What the model was first sent.
    Prompt {
        system: String,
        task: String,
    },
    /// What the model answered (its words; a call follows as its own step).
    Model {
        text: String,
        usage: Option<Usage>,
        took_ms: u64,
    },
    /// A tool call, its arguments as JSON, the rules' risk, and whether it must wait.
    Call {
        tool: String,
        arguments: String,
        risk: Risk,
        asks: bool,
    },
    /// A person's answer to a waiting call.
    Decision {
        approved: bool,
        by: String,
        /// The value as the person changed it before approving.
        edited: Option<String>,
        reason: Option<String>,
    },
    Result {
        ok: bool,
        text: String,
        took_ms: u64,
    },
    /// Said to the model by the loop (a malformed call), or about the run (a limit hit).
    Note {
        text: String,
    },
    Finish {
        summary: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub seq: u32,
    /// Unix milliseconds.
    pub at_ms: i64,
    #[serde(flatten)]
    pub kind: StepKind,
}

/// A call waiting for a person: what exactly would happen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    /// The `Call` step it belongs to.
    pub seq: u32,
    pub tool: String,
    /// The command, or the diff of the file change.
    pub detail: String,
    /// The value a person may edit before approving (the command, the new text).
    pub editable: Option<String>,
    pub risk: Risk,
}

/// A person's answer to a waiting call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    Approve,
    /// Approve, with the editable value changed.
    ApproveEdited {
        value: String,
    },
    /// Do not run it; the agent reads the reason.
    Deny {
        reason: String,
    },
}

/// A run with everything in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunView {
    pub summary: RunSummary,
    pub steps: Vec<Step>,
    pub pending: Option<Pending>,
    /// What the run changed in /workspace, as a unified diff, once it is over.
    pub diff: Option<String>,
}

/// One message of a run's live event stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AgentEvent {
    /// Everything so far; always first.
    Snapshot {
        run: Box<RunView>,
    },
    Step {
        step: Step,
    },
    Status {
        status: RunStatus,
        detail: Option<String>,
    },
    Pending {
        pending: Option<Pending>,
    },
    /// More output of the command running now.
    Output {
        text: String,
    },
    /// More of what the model is writing now (its step follows once it is complete).
    Thought {
        text: String,
    },
    Diff {
        diff: String,
    },
    Tokens {
        tokens: Usage,
    },
}

impl RunView {
    /// Applies a live event, so a page keeps one view current.
    pub fn apply(&mut self, event: AgentEvent) {
        match event {
            AgentEvent::Snapshot { run } => *self = *run,
            AgentEvent::Step { step } => self.steps.push(step),
            AgentEvent::Status { status, detail } => {
                self.summary.status = status;
                if detail.is_some() {
                    self.summary.detail = detail;
                }
            }
            AgentEvent::Pending { pending } => self.pending = pending,
            AgentEvent::Output { .. } | AgentEvent::Thought { .. } => {}
            AgentEvent::Diff { diff } => self.diff = Some(diff),
            AgentEvent::Tokens { tokens } => self.summary.tokens = tokens,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_floor_only_tightens() {
        assert_eq!(
            ConfirmPolicy::Never.max(ConfirmPolicy::Risky),
            ConfirmPolicy::Risky
        );
        assert_eq!(
            ConfirmPolicy::Always.max(ConfirmPolicy::Risky),
            ConfirmPolicy::Always
        );
        for policy in ConfirmPolicy::ALL {
            assert_eq!(ConfirmPolicy::parse(policy.as_str()), Some(policy));
        }
    }

    #[test]
    fn steps_travel_as_flat_json() {
        let step = Step {
            seq: 3,
            at_ms: 7,
            kind: StepKind::Result {
                ok: true,
                text: "hi".into(),
                took_ms: 2,
            },
        };
        let json = serde_json::to_value(&step).unwrap();
        assert_eq!(json["kind"], "result");
        assert_eq!(json["seq"], 3);
        assert_eq!(serde_json::from_value::<Step>(json).unwrap(), step);
    }
}
