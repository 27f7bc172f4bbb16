//! The terminal assistant (a button on the terminals, or Ctrl+K in one): a task in words
//! becomes a proposed command with a one-line explanation and a risk label decided by rules
//! on the server. The user edits it, then types it into the terminal or runs it; nothing
//! reaches the shell before that.

use std::collections::HashMap;

use leptos::prelude::*;

use super::js;
use super::state::Ide;
use super::terminal_connection::TerminalConnection;
use crate::ai::{CommandSuggestion, RiskLevel};
use crate::api::ai::suggest_command;
use crate::error::AppError;

/// The open terminals' connections by tab id, for typing into the one in front.
#[derive(Clone, Copy)]
pub struct OpenTerminals(pub StoredValue<HashMap<String, TerminalConnection>, LocalStorage>);

impl OpenTerminals {
    pub fn new() -> Self {
        Self(StoredValue::new_local(HashMap::new()))
    }
}

/// How much of the terminal's output goes with the task.
const OUTPUT_LINES: u32 = 60;

#[component]
pub fn CommandAssistant(
    /// The tab the command goes to.
    active: Signal<String>,
    open: RwSignal<bool>,
) -> impl IntoView {
    let ide = expect_context::<Ide>();
    let terminals = expect_context::<OpenTerminals>();
    let task = RwSignal::new(String::new());
    let with_output = RwSignal::new(true);
    let command = RwSignal::new(String::new());
    let proposal = RwSignal::new(None::<CommandSuggestion>);
    let error = RwSignal::new(None::<AppError>);
    let asking = RwSignal::new(false);
    let field = NodeRef::<leptos::html::Textarea>::new();
    Effect::new(move |_| {
        if open.get() {
            if let Some(field) = field.get() {
                let _ = field.focus();
            }
        }
    });

    let ask = move || {
        let text = task.get_untracked();
        if text.trim().is_empty() || asking.get_untracked() {
            return;
        }
        let output = (with_output.get_untracked() && js::loaded())
            .then(|| js::terminal_text(OUTPUT_LINES))
            .filter(|o| !o.is_empty());
        asking.set(true);
        error.set(None);
        let workspace = ide.workspace.get_value();
        leptos::task::spawn_local(async move {
            match suggest_command(workspace, text, None, output).await {
                Ok(found) => {
                    command.set(found.command.clone());
                    proposal.set(Some(found));
                }
                Err(e) => error.set(Some(e)),
            }
            asking.set(false);
        });
    };
    let close = move || {
        open.set(false);
        proposal.set(None);
        error.set(None);
        task.set(String::new());
    };
    let send = move |run: bool| {
        let mut text = command.get_untracked();
        if run {
            text.push('\r');
        }
        let id = active.get_untracked();
        terminals
            .0
            .with_value(|open| open.get(&id).map(|t| t.type_text(&text)));
        close();
    };

    view! {
        <Show when=move || open.get()>
            <form class="command-assistant" data-testid="command-assistant"
                on:submit=move |ev| { ev.prevent_default(); ask(); }
                on:keydown=move |ev| if ev.key() == "Escape" { close(); }>
                <label for="assist-task">"What should this terminal do?"</label>
                <textarea id="assist-task" rows="2" node_ref=field
                    placeholder="e.g. find the five largest files here"
                    prop:value=move || task.get()
                    on:input=move |ev| task.set(event_target_value(&ev))
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" && !ev.shift_key() {
                            ev.prevent_default();
                            ask();
                        }
                    }></textarea>
                <label class="muted"><input type="checkbox" bind:checked=with_output />" Send the terminal's recent output"</label>
                <div class="chat-buttons">
                    <button type="submit" class="button primary" disabled=move || asking.get()>
                        {move || if asking.get() { "Asking…" } else { "Propose a command" }}
                    </button>
                    <button type="button" class="button" on:click=move |_| close()>"Cancel"</button>
                </div>
                {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })}
                {move || proposal.get().map(|found| {
                    let level = found.risk.level;
                    let reasons = found.risk.reasons.join(", ");
                    view! {
                        <div class="proposal" data-testid="proposal">
                            <label for="assist-command">"Command (edit it if you like)"</label>
                            <input id="assist-command" class="mono" spellcheck="false"
                                prop:value=move || command.get()
                                on:input=move |ev| command.set(event_target_value(&ev)) />
                            <p class="muted">{found.explanation}</p>
                            <p class="risk" class:risk-high=level == RiskLevel::High
                                class:risk-medium=level == RiskLevel::Medium data-testid="risk">
                                {level.label()}
                                {(!reasons.is_empty()).then(|| format!(": {reasons}"))}
                            </p>
                            <div class="chat-buttons">
                                <button type="button" class="button" on:click=move |_| send(false)>"Type it"</button>
                                <button type="button" class="button primary" on:click=move |_| send(true)>
                                    {if level == RiskLevel::High { "Run anyway" } else { "Run" }}
                                </button>
                            </div>
                        </div>
                    }
                })}
            </form>
        </Show>
    }
}
