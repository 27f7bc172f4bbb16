//! The agent's terminal in its panel: each command the agent runs, as `$ command`, with its
//! output live as it comes (colours and progress bars rendered by xterm.js, read-only) and
//! how it ended. Reopened, it replays the run's commands from their recorded results.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::js::{self, Terminal};
use crate::agent::{AgentEvent, RunView, Step, StepKind};

/// Feeds a run's events to the terminal once it exists.
#[derive(Clone, Copy)]
pub struct AgentTerminal {
    terminal: StoredValue<Option<Terminal>, LocalStorage>,
    /// Whether the command running now streamed output (then its result is not repeated).
    streamed: StoredValue<bool>,
    /// The last call was a command.
    in_command: StoredValue<bool>,
}

/// Exec output ends lines with `\n` alone; the terminal wants `\r\n`.
fn lines(text: &str) -> String {
    text.replace('\n', "\r\n")
}

impl AgentTerminal {
    pub fn new() -> Self {
        Self {
            terminal: StoredValue::new_local(None),
            streamed: StoredValue::new(false),
            in_command: StoredValue::new(false),
        }
    }

    fn write(&self, text: &str) {
        self.terminal.with_value(|t| {
            if let Some(t) = t {
                t.write_text(text);
            }
        });
    }

    pub fn feed(&self, event: &AgentEvent) {
        match event {
            AgentEvent::Snapshot { run } => {
                self.terminal
                    .with_value(|t| t.as_ref().map(Terminal::reset));
                self.streamed.set_value(false);
                for step in &run.steps {
                    self.step(step);
                }
            }
            AgentEvent::Step { step } => self.step(step),
            AgentEvent::Output { text } => {
                self.streamed.set_value(true);
                self.write(&lines(text));
            }
            _ => {}
        }
    }

    fn step(&self, step: &Step) {
        match &step.kind {
            StepKind::Call {
                tool, arguments, ..
            } => {
                let command = tool == "run_command";
                self.in_command.set_value(command);
                self.streamed.set_value(false);
                if command {
                    let line = serde_json::from_str::<serde_json::Value>(arguments)
                        .ok()
                        .and_then(|a| a["command"].as_str().map(str::to_owned))
                        .unwrap_or_default();
                    self.write(&format!("\x1b[1m$ {}\x1b[0m\r\n", lines(&line)));
                }
            }
            StepKind::Decision {
                approved: false, ..
            } if self.in_command.get_value() => {
                self.write("\x1b[33m[not run: denied]\x1b[0m\r\n");
                self.in_command.set_value(false);
            }
            StepKind::Result { text, took_ms, .. } if self.in_command.get_value() => {
                let (status, output) = text.split_once('\n').unwrap_or((text, ""));
                if !self.streamed.get_value() {
                    self.write(&lines(output));
                    if !output.is_empty() && !output.ends_with('\n') {
                        self.write("\r\n");
                    }
                }
                self.write(&format!("\x1b[2m[{status} · {took_ms} ms]\x1b[0m\r\n"));
                self.in_command.set_value(false);
            }
            _ => {}
        }
    }
}

/// The terminal itself, fed through `feed`; made showing `run` so far.
#[component]
pub fn AgentTerminalView(feed: AgentTerminal, run: RwSignal<Option<RunView>>) -> impl IntoView {
    let host = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        let Some(element) = host.get() else { return };
        js::when_loaded(move || {
            // Read-only: keys and sizes go nowhere. (A closure, not `new Function`: the
            // page's CSP forbids evaluating strings.)
            let ignore: js_sys::Function = wasm_bindgen::closure::Closure::<dyn Fn()>::new(|| {})
                .into_js_value()
                .unchecked_into();
            let terminal = js::create_terminal(&element, &ignore, &ignore);
            feed.terminal.set_value(Some(terminal));
            if let Some(run) = run.get_untracked() {
                feed.feed(&AgentEvent::Snapshot { run: Box::new(run) });
            }
        });
    });
    on_cleanup(move || {
        feed.terminal.update_value(|t| {
            if let Some(t) = t.take() {
                t.dispose();
            }
        })
    });
    view! { <div class="agent-terminal" node_ref=host data-testid="agent-terminal"></div> }
}
