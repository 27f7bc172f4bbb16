//! A run while it is going on: its view (summary, steps, the approval it waits for), the
//! events that keep watching pages current, the answer slot for an approval and the stop
//! switch. The loop writes here; pages read a snapshot and follow the events, taken under
//! one lock so nothing falls between them.

use std::sync::Mutex;

use app::agent::{AgentEvent, Decision, Pending, RunStatus, RunView, Step, StepKind};
use app::ai::Usage;
use tokio::sync::{broadcast, oneshot};
use tokio_util::sync::CancellationToken;

use crate::sync::Unpoisoned;

/// Takes the question back when the wait for its answer ends.
struct Asked<'a>(&'a Live);

impl Drop for Asked<'_> {
    fn drop(&mut self) {
        self.0.clear_pending();
    }
}

/// A person's answer, and who gave it.
pub struct Answer {
    pub decision: Decision,
    pub by: String,
}

pub struct Live {
    view: Mutex<RunView>,
    events: broadcast::Sender<AgentEvent>,
    answer: Mutex<Option<(u32, oneshot::Sender<Answer>)>>,
    pub stop: CancellationToken,
    pub user_id: i64,
    /// The API token the run acts with (an outside agent's over MCP, or the one that
    /// started it): never the one that answers its approvals.
    pub token: Option<i64>,
    /// Why Stop was pressed, when it was not the user (the server stopping).
    stop_reason: Mutex<Option<String>>,
    /// When a call last began or ended (for an MCP run's idle end).
    active: Mutex<std::time::Instant>,
    ended: std::sync::atomic::AtomicBool,
}

fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

impl Live {
    pub fn new(view: RunView, actor: &app::auth::Actor) -> Self {
        Self {
            view: Mutex::new(view),
            events: broadcast::channel(256).0,
            answer: Mutex::new(None),
            stop: CancellationToken::new(),
            user_id: actor.id,
            token: match actor.via {
                app::auth::Via::Token(id) => Some(id),
                app::auth::Via::Session | app::auth::Via::SshKey => None,
            },
            stop_reason: Mutex::new(None),
            active: Mutex::new(std::time::Instant::now()),
            ended: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn with_view<T>(&self, f: impl FnOnce(&mut RunView) -> T) -> T {
        f(&mut self.view.locked())
    }

    /// Applies `event` to the view and tells the watchers.
    fn publish(&self, event: AgentEvent) {
        self.with_view(|view| {
            view.apply(event.clone());
            // Nobody watching is fine.
            let _ = self.events.send(event);
        });
    }

    pub fn view(&self) -> RunView {
        self.with_view(|view| view.clone())
    }

    /// Everything so far, and the events from here on.
    pub fn watch(&self) -> (RunView, broadcast::Receiver<AgentEvent>) {
        self.with_view(|view| (view.clone(), self.events.subscribe()))
    }

    /// Stops the run for `reason` (the user's Stop is `stop.cancel()`).
    pub fn stop_because(&self, reason: &str) {
        *self.stop_reason.locked() = Some(reason.to_owned());
        self.stop.cancel();
    }

    /// Why the run was stopped.
    pub fn stop_reason(&self) -> String {
        self.stop_reason
            .locked()
            .clone()
            .unwrap_or_else(|| "stopped by the user".to_owned())
    }

    pub fn touch(&self) {
        *self.active.locked() = std::time::Instant::now();
    }

    pub fn idle_for(&self) -> std::time::Duration {
        self.active.locked().elapsed()
    }

    pub fn status(&self) -> RunStatus {
        self.with_view(|view| view.summary.status)
    }

    /// Adds a step, numbered after the last one (numbered and added under one lock, so
    /// steps recorded at once never share a number).
    pub fn step(&self, kind: StepKind) -> Step {
        self.with_view(|view| {
            let step = Step {
                seq: view.steps.len() as u32,
                at_ms: now_ms(),
                kind,
            };
            let event = AgentEvent::Step { step: step.clone() };
            view.apply(event.clone());
            let _ = self.events.send(event);
            step
        })
    }

    /// True the first time only: the one who ends the run.
    pub fn claim_end(&self) -> bool {
        !self.ended.swap(true, std::sync::atomic::Ordering::SeqCst)
    }

    pub fn is_ended(&self) -> bool {
        self.ended.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn set_status(&self, status: RunStatus, detail: Option<String>) {
        self.publish(AgentEvent::Status { status, detail });
    }

    pub fn add_tokens(&self, usage: Usage) {
        let tokens = self.with_view(|view| {
            let t = &mut view.summary.tokens;
            t.prompt_tokens += usage.prompt_tokens;
            t.completion_tokens += usage.completion_tokens;
            *t
        });
        self.publish(AgentEvent::Tokens { tokens });
    }

    pub fn thought(&self, text: &str) {
        let _ = self.events.send(AgentEvent::Thought {
            text: text.to_owned(),
        });
    }

    pub fn output(&self, bytes: &[u8]) {
        let _ = self.events.send(AgentEvent::Output {
            text: String::from_utf8_lossy(bytes).into_owned(),
        });
    }

    pub fn set_diff(&self, diff: String) {
        self.publish(AgentEvent::Diff { diff });
    }

    /// Waits for a person's answer to `pending`; `None` when the run was stopped first.
    pub async fn ask(&self, pending: Pending) -> Option<Answer> {
        let (tell, told) = oneshot::channel();
        *self.answer.locked() = Some((pending.seq, tell));
        self.publish(AgentEvent::Pending {
            pending: Some(pending),
        });
        // However the wait ends (an answer, Stop, or the waiting call dropped), the card goes.
        let _asked = Asked(self);
        tokio::select! {
            answer = told => answer.ok(),
            _ = self.stop.cancelled() => None,
        }
    }

    /// Takes back the question of a run that ended while it waited.
    pub fn clear_pending(&self) {
        self.answer.locked().take();
        if self.with_view(|view| view.pending.is_some()) {
            self.publish(AgentEvent::Pending { pending: None });
        }
    }

    /// Hands a person's answer to the call `seq` waits on; false when nothing waits on it.
    pub fn answer(&self, seq: u32, answer: Answer) -> bool {
        let mut slot = self.answer.locked();
        match slot.take() {
            Some((waiting, tell)) if waiting == seq => tell.send(answer).is_ok(),
            other => {
                *slot = other;
                false
            }
        }
    }
}
