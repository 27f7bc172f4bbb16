//! The agent panel beside the editor: give a task, watch the run step by step (status from
//! the loop itself, its commands and their output live in a terminal), answer its
//! approvals, stop it, and when it is over see the diff of what it changed and undo it. The
//! run goes on on the server when the page closes; reopening the panel shows it live again.
//! The workspace's confirmation policy is chosen here by its owner.

use leptos::prelude::*;
use send_wrapper::SendWrapper;

use super::agent_terminal::{AgentTerminal, AgentTerminalView};
use super::mcp_connect::McpConnect;
use super::state::Ide;
use crate::agent::{run_page, transcript_path, AgentEvent, ConfirmPolicy, Decision, RunView};
use crate::api::agent::{
    agent_policy, agent_runs, decide_agent, set_agent_policy, start_agent, stop_agent, undo_agent,
};
use crate::api::ai::ai_providers;
use crate::components::agent::approval::ApprovalCard;
use crate::components::agent::steps::{summary_line, DiffView, StepList};
use crate::components::agent::{follow, RunEvents};
use crate::error::AppError;

#[component]
pub fn AgentPanel() -> impl IntoView {
    let ide = expect_context::<Ide>();
    let providers = LocalResource::new(ai_providers);
    let provider = RwSignal::new(String::new());
    let policy_changed = RwSignal::new(0u32);
    let policy = LocalResource::new(move || {
        policy_changed.track();
        agent_policy(ide.workspace.get_value())
    });
    let runs_changed = RwSignal::new(0u32);
    let runs = LocalResource::new(move || {
        runs_changed.track();
        agent_runs(ide.workspace.get_value())
    });
    let task = RwSignal::new(String::new());
    // The run on screen, and its view kept current by its events.
    let shown = RwSignal::new(None::<String>);
    let run = RwSignal::new(None::<RunView>);
    let terminal = AgentTerminal::new();
    // What the model is writing now, until its step arrives.
    let thinking = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let events = StoredValue::new(None::<SendWrapper<RunEvents>>);
    let failed = move |e: AppError| error.set(Some(e));

    Effect::new(move |_| {
        let Some(id) = shown.get() else { return };
        events.set_value(None);
        let feed = move |event: &AgentEvent| {
            terminal.feed(event);
            match event {
                AgentEvent::Thought { text } => thinking.update(|t| t.push_str(text)),
                AgentEvent::Step { .. } | AgentEvent::Snapshot { .. } => {
                    thinking.set(String::new())
                }
                _ => {}
            }
        };
        events.set_value(follow(&ide.workspace.get_value(), &id, run, feed));
    });
    on_cleanup(move || events.set_value(None));
    // With nothing chosen, the newest run is shown.
    Effect::new(move |_| {
        if let Some(Ok(list)) = runs.get() {
            if shown.get_untracked().is_none() {
                shown.set(list.first().map(|r| r.id.clone()));
            }
        }
    });
    // A run that ends changes the list.
    Effect::new(move |was_over: Option<bool>| {
        let over = run.with(|r| r.as_ref().is_some_and(|r| r.summary.status.is_over()));
        if was_over == Some(false) && over {
            runs_changed.update(|n| *n += 1);
        }
        over
    });

    let start = move || {
        let text = task.get_untracked();
        if text.trim().is_empty() {
            return;
        }
        error.set(None);
        let chosen = Some(provider.get_untracked()).filter(|p| !p.is_empty());
        leptos::task::spawn_local(async move {
            match start_agent(ide.workspace.get_value(), text, chosen).await {
                Ok(id) => {
                    task.set(String::new());
                    run.set(None);
                    shown.set(Some(id));
                    runs_changed.update(|n| *n += 1);
                }
                Err(e) => failed(e),
            }
        });
    };
    let shown_id = move || shown.get_untracked().unwrap_or_default();
    let decide = move |seq: u32, decision: Decision| {
        leptos::task::spawn_local(async move {
            if let Err(e) = decide_agent(ide.workspace.get_value(), shown_id(), seq, decision).await
            {
                failed(e);
            }
        });
    };
    let stop = move |_| {
        leptos::task::spawn_local(async move {
            if let Err(e) = stop_agent(ide.workspace.get_value(), shown_id()).await {
                failed(e);
            }
        });
    };
    let undo = move |_| {
        let sure = window()
            .confirm_with_message(
                "Put /workspace back as it was before this run? Changes made since, by anyone, are lost too.",
            )
            .unwrap_or(false);
        if !sure {
            return;
        }
        leptos::task::spawn_local(async move {
            match undo_agent(ide.workspace.get_value(), shown_id()).await {
                Ok(()) => {
                    ide.info("The run was undone.");
                    ide.refresh_tree();
                    // Follow it again: the stored run now says it was undone.
                    shown.set(Some(shown_id()));
                    runs_changed.update(|n| *n += 1);
                }
                Err(e) => failed(e),
            }
        });
    };
    let change_policy = move |value: String| {
        let Some(chosen) = ConfirmPolicy::parse(&value) else {
            return;
        };
        leptos::task::spawn_local(async move {
            match set_agent_policy(ide.workspace.get_value(), chosen).await {
                Ok(_) => policy_changed.update(|n| *n += 1),
                Err(e) => failed(e),
            }
        });
    };
    let can_change = move || ide.can_change();
    let status = move || run.with(|r| r.as_ref().map(|r| r.summary.status));
    let live = move || status().is_some_and(|s| !s.is_over());
    // The terminal shows once the run has a command to show.
    let has_commands = Memo::new(move |_| {
        run.with(|r| {
            r.as_ref().is_some_and(|r| {
                r.steps.iter().any(|s| {
                    matches!(&s.kind, crate::agent::StepKind::Call { tool, .. } if tool == "run_command")
                })
            })
        })
    });
    // Its own memo, so a card being filled in is not redrawn by every other event.
    let pending = Memo::new(move |_| run.with(|r| r.as_ref().and_then(|r| r.pending.clone())));

    view! {
        <aside class="chat-panel agent-panel" aria-label="Agent" data-testid="agent">
            <div class="chat-providers">
                <label for="agent-provider" class="visually-hidden">"Model"</label>
                <select id="agent-provider" prop:value=move || provider.get()
                    on:change=move |ev| provider.set(event_target_value(&ev))>
                    {move || providers.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|p| {
                        let label = format!("{} · {}", p.name, p.model);
                        let selected = p.is_default;
                        view! { <option value=p.name selected=selected>{label}</option> }
                    }).collect_view()}
                </select>
                {move || policy.get().and_then(Result::ok).map(|p| {
                    let floor_note = (p.effective != p.chosen)
                        .then(|| format!("The server asks at least: {}", p.floor.label()));
                    view! {
                        <label for="agent-policy" class="visually-hidden">"When the agent asks"</label>
                        <select id="agent-policy" data-testid="agent-policy" disabled=!p.may_change
                            title=floor_note.clone().unwrap_or_else(|| "When the agent waits for approval".into())
                            on:change=move |ev| change_policy(event_target_value(&ev))>
                            {ConfirmPolicy::ALL.into_iter().map(|option| view! {
                                <option value=option.as_str() selected=option == p.chosen>{option.label()}</option>
                            }).collect_view()}
                        </select>
                        {floor_note.map(|n| view! { <p class="chat-note muted">{n}</p> })}
                    }
                })}
            </div>
            <div class="chat-saved">
                <label for="agent-runs" class="visually-hidden">"Runs"</label>
                <select id="agent-runs" data-testid="agent-runs"
                    prop:value=move || shown.get().unwrap_or_default()
                    on:change=move |ev| {
                        run.set(None);
                        shown.set(Some(event_target_value(&ev)).filter(|id| !id.is_empty()));
                    }>
                    <option value="">"New task"</option>
                    {move || runs.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|r| {
                        // The list is fetched when runs start and end: a status between is stale.
                        let status = if r.status.is_over() { r.status.label() } else { "Going on" };
                        let label = format!("{status} · {}", r.task.chars().take(60).collect::<String>());
                        let selected = shown.get().as_ref() == Some(&r.id);
                        view! { <option value=r.id.clone() selected=selected>{label}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div class="chat-log agent-log" aria-live="polite">
                {move || run.get().map(|r| {
                    let workspace = r.summary.workspace.clone();
                    let id = r.summary.id.clone();
                    view! {
                        <p class="agent-status" data-testid="agent-status" data-status=r.summary.status.as_str()>
                            {summary_line(&r.summary)}
                        </p>
                        {r.summary.detail.clone().filter(|_| r.summary.status.is_over()).map(|d| view! {
                            <p class="agent-detail">{d}</p>
                        })}
                        <p class="muted">
                            <a href=run_page(&workspace, &id) target="_blank">"Transcript"</a>" · "
                            <a href=transcript_path(&workspace, &id) download="">"JSON"</a>
                        </p>
                    }
                })}
                <StepList steps=Signal::derive(move || run.with(|r| r.as_ref().map(|r| r.steps.clone()).unwrap_or_default())) />
                <Show when=move || live() && !thinking.with(|t| t.trim().is_empty())>
                    <p class="agent-step thought" data-testid="agent-thinking">
                        {move || thinking.with(|t| t.split("<tool name=").next().unwrap_or_default().to_owned())}
                    </p>
                </Show>
                <Show when=move || has_commands.get()>
                    <AgentTerminalView feed=terminal run />
                </Show>
                {move || pending.get().map(|pending| view! {
                    <ApprovalCard pending can_answer=can_change() on_decide=decide />
                })}
                {move || run.get().filter(|r| r.summary.status.is_over()).and_then(|r| r.diff.clone().map(|diff| {
                    let undone = r.summary.undone_at.is_some();
                    view! {
                        <h3>"What the run changed"</h3>
                        <DiffView diff />
                        <Show when=move || can_change() && !undone>
                            <button type="button" class="button" data-testid="agent-undo" on:click=undo>"Undo this run"</button>
                        </Show>
                    }
                }))}
                {move || error.get().map(|e| view! {
                    <p class="chat-error" role="alert" data-testid="agent-error">{e.to_string()}</p>
                })}
            </div>
            <Show when=can_change fallback=|| view! { <p class="chat-note muted">"Viewers watch runs; starting one needs editor access."</p> }>
                <form class="chat-form" on:submit=move |ev| { ev.prevent_default(); start(); }>
                    <label for="agent-task" class="visually-hidden">"Task for the agent"</label>
                    <textarea id="agent-task" rows="3" placeholder="A task for the agent, e.g. “add a test for parse() and make it pass”"
                        prop:value=move || task.get()
                        on:input=move |ev| task.set(event_target_value(&ev))></textarea>
                    <div class="chat-buttons">
                        <Show when=live
                            fallback=|| view! { <button type="submit" class="button primary">"Start"</button> }>
                            <button type="button" class="button" data-testid="agent-stop" on:click=stop>"Stop"</button>
                        </Show>
                    </div>
                </form>
                <McpConnect />
            </Show>
        </aside>
    }
}
