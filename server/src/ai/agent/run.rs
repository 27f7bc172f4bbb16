//! The loop of one run, on the server (closing the page does not stop it): save a
//! checkpoint, then ask the model, read its call, let the policy decide whether a person
//! must approve it, run it through the tools, hand back the result, until the model
//! finishes, a limit or the stuck detector ends it, or someone presses Stop (which ends the
//! step in flight, a command included). Every step is recorded as it happens.

use std::time::Instant;

use app::agent::{RunStatus, StepKind};
use app::ai::{AiError, Usage};
use futures::{FutureExt, StreamExt};

use super::dialogue::{Dialogue, NativeCall};
use super::execute::{tool_name, Ending, Executor};
use super::AgentSettings;
use crate::ai::client::{Piece, Provider};
use crate::ai::protocol::{read_text_call, tool_definitions, EditFormat, STOP_AFTER_CALL};
use crate::ai::tools::ToolCall;

/// A run of the loop: the executor, and what the model loop needs beside it.
pub struct Run {
    pub exec: Executor,
    pub provider: Provider,
    pub native: bool,
    pub edits: EditFormat,
    pub system: String,
    pub task: String,
    pub settings: AgentSettings,
    /// Characters of conversation the model can take.
    pub context_chars: usize,
}

/// A model's reply: its words and the native calls it made.
struct Reply {
    text: String,
    calls: Vec<crate::ai::chunk::ToolCall>,
    usage: Option<Usage>,
}

/// A call read from a reply, or why it could not be read.
struct Made {
    call: Result<ToolCall, String>,
    name: String,
    /// The native call's id and arguments, answered by a `tool` message.
    native: Option<(String, String)>,
}

/// Counts the same thing happening again and again in a row.
#[derive(Default)]
struct Repeats {
    last_call: Option<ToolCall>,
    same_calls: u32,
    last_error: Option<String>,
    same_errors: u32,
    unusable: u32,
}

impl Repeats {
    fn call(&mut self, call: &ToolCall) -> u32 {
        self.unusable = 0;
        if self.last_call.as_ref() == Some(call) {
            self.same_calls += 1;
        } else {
            self.last_call = Some(call.clone());
            self.same_calls = 1;
        }
        self.same_calls
    }

    fn result(&mut self, ok: bool, text: &str) -> u32 {
        if ok {
            self.last_error = None;
            self.same_errors = 0;
        } else if self.last_error.as_deref() == Some(text) {
            self.same_errors += 1;
        } else {
            self.last_error = Some(text.to_owned());
            self.same_errors = 1;
        }
        self.same_errors
    }

    fn unusable(&mut self) -> u32 {
        self.unusable += 1;
        self.unusable
    }
}

impl Run {
    /// Works until the run ends, then records how, and what it changed.
    pub async fn go(self) {
        let limit = self.settings.max_time;
        // The whole run, waits for approval included; a step cut off ends its command. A run
        // that panics still ends, so it leaves the list of runs going on.
        let work = std::panic::AssertUnwindSafe(self.work()).catch_unwind();
        let (status, detail) = match tokio::time::timeout(limit, work).await {
            Ok(Ok(ending)) => ending,
            Ok(Err(_)) => (
                RunStatus::Failed,
                "AiCockpit failed while running it; the server log says why".to_owned(),
            ),
            Err(_) => (
                RunStatus::Failed,
                format!(
                    "stopped because it ran for {} minutes, the longest a run may take (AICOCKPIT_AGENT_MAX_MINUTES)",
                    limit.as_secs() / 60
                ),
            ),
        };
        self.exec.end(status, detail).await;
    }

    fn over_a_limit(&self, calls: u32) -> Option<String> {
        let limits = &self.settings;
        let tokens = self.exec.live.view().summary.tokens;
        if calls >= limits.max_steps {
            Some(format!(
                "it took {calls} steps, the most a run may take (AICOCKPIT_AGENT_MAX_STEPS)"
            ))
        } else if tokens.prompt_tokens + tokens.completion_tokens >= limits.max_tokens {
            Some(format!(
                "it used {} tokens, the most a run may use (AICOCKPIT_AGENT_MAX_TOKENS)",
                tokens.prompt_tokens + tokens.completion_tokens
            ))
        } else {
            None
        }
    }

    async fn work(&self) -> Ending {
        if let Err(ending) = self.exec.begin().await {
            return ending;
        }
        let mut dialogue = Dialogue::new(self.native, &self.system, &self.task);
        self.exec
            .record(StepKind::Prompt {
                system: self.system.clone(),
                task: self.task.clone(),
            })
            .await;
        let mut calls = 0;
        let mut repeats = Repeats::default();
        let limit = self.settings.repeat_limit;
        loop {
            if let Some(why) = self.over_a_limit(calls) {
                return (RunStatus::Failed, format!("stopped because {why}"));
            }
            self.exec.live.set_status(RunStatus::Thinking, None);
            dialogue.fit(self.context_chars);
            let began = Instant::now();
            let reply = match self.exec.unless_stopped(self.think(&dialogue)).await {
                None => return self.exec.stopped(),
                Some(Err(e)) => return (RunStatus::Failed, e.to_string()),
                Some(Ok(reply)) => reply,
            };
            self.exec
                .record(StepKind::Model {
                    text: reply.text.clone(),
                    usage: reply.usage,
                    took_ms: began.elapsed().as_millis() as u64,
                })
                .await;
            let Some(made) = self.read_call(&reply) else {
                dialogue.model_said(&reply.text, None);
                let nudge = "Call one of the tools to go on, or finish when the task is done.";
                self.exec
                    .record(StepKind::Note { text: nudge.into() })
                    .await;
                dialogue.correction(nudge);
                if repeats.unusable() >= limit {
                    return (
                        RunStatus::Failed,
                        format!("the model made no tool call {limit} times in a row"),
                    );
                }
                continue;
            };
            let native = made.native.as_ref().map(|(id, arguments)| NativeCall {
                id,
                name: &made.name,
                arguments,
            });
            dialogue.model_said(&reply.text, native);
            let native_id = made.native.as_ref().map(|(id, _)| id.as_str());
            let call = match made.call {
                Ok(call) => call,
                Err(wrong) => {
                    let text = format!("Your tool call could not be read: {wrong}");
                    self.exec
                        .record(StepKind::Note { text: text.clone() })
                        .await;
                    dialogue.result(native_id, &made.name, &text);
                    if repeats.unusable() >= limit {
                        return (
                            RunStatus::Failed,
                            format!("the model's tool call could not be read {limit} times in a row ({wrong})"),
                        );
                    }
                    continue;
                }
            };
            calls += 1;
            if let ToolCall::Finish { summary } = call {
                self.exec
                    .record(StepKind::Finish {
                        summary: summary.clone(),
                    })
                    .await;
                return (RunStatus::Done, summary);
            }
            if repeats.call(&call) >= limit {
                return (
                    RunStatus::Failed,
                    format!(
                        "the model made the same call {limit} times in a row ({})",
                        made.name
                    ),
                );
            }
            let (ok, text) = match self.exec.carry_out(call).await {
                Ok(done) => done,
                Err(ending) => return ending,
            };
            if repeats.result(ok, &text) >= limit {
                return (
                    RunStatus::Failed,
                    format!(
                        "the same error came back {limit} times in a row: {}",
                        first_line(&text)
                    ),
                );
            }
            dialogue.result(native_id, &made.name, &text);
        }
    }

    /// Asks the model, offering the tools its protocol uses.
    async fn think(&self, dialogue: &Dialogue) -> Result<Reply, AiError> {
        let tools = self.native.then(|| tool_definitions(self.edits));
        let stop = (!self.native).then_some(STOP_AFTER_CALL);
        let mut answer = self
            .provider
            .complete(&dialogue.messages(), tools.as_ref(), stop)
            .await?;
        let mut text = String::new();
        while let Some(piece) = answer.next().await {
            match piece? {
                Piece::Text(more) => {
                    self.exec.live.thought(&more);
                    text.push_str(&more);
                }
                Piece::Done { usage, tool_calls } => {
                    if let Some(usage) = usage {
                        self.exec.live.add_tokens(usage);
                    }
                    return Ok(Reply {
                        text,
                        calls: tool_calls,
                        usage,
                    });
                }
            }
        }
        Ok(Reply {
            text,
            calls: Vec::new(),
            usage: None,
        })
    }

    /// The call in a reply (only the first: one call at a time), if it made one.
    fn read_call(&self, reply: &Reply) -> Option<Made> {
        if let Some(call) = reply.calls.first() {
            let id = match call.id.as_str() {
                "" => format!("call_{}", uuid::Uuid::new_v4().simple()),
                id => id.to_owned(),
            };
            return Some(Made {
                call: ToolCall::parse(&call.name, &call.arguments),
                name: call.name.clone(),
                native: Some((id, call.arguments.clone())),
            });
        }
        match read_text_call(&reply.text) {
            Ok(None) => None,
            Ok(Some((call, _))) => Some(Made {
                name: tool_name(&call),
                call: Ok(call),
                native: None,
            }),
            Err(wrong) => Some(Made {
                call: Err(wrong),
                name: "tool".into(),
                native: None,
            }),
        }
    }
}

fn first_line(text: &str) -> &str {
    text.lines().find(|l| !l.trim().is_empty()).unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_are_counted_in_a_row_only() {
        let mut repeats = Repeats::default();
        let ls = ToolCall::RunCommand {
            command: "ls".into(),
            timeout_secs: None,
        };
        let pwd = ToolCall::RunCommand {
            command: "pwd".into(),
            timeout_secs: None,
        };
        assert_eq!(repeats.call(&ls), 1);
        assert_eq!(repeats.call(&ls), 2);
        assert_eq!(repeats.call(&pwd), 1);
        assert_eq!(repeats.result(false, "boom"), 1);
        assert_eq!(repeats.result(false, "boom"), 2);
        assert_eq!(repeats.result(true, "fine"), 0);
        assert_eq!(repeats.unusable(), 1);
        repeats.call(&ls);
        assert_eq!(repeats.unusable(), 1, "a usable call resets the count");
    }
}
