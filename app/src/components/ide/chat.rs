//! The AI panel beside the editor: a conversation about the workspace with a model the
//! user picks, answers streamed as Markdown (code highlighted, with Copy and "Insert at
//! cursor"), the open file, the selection or a terminal's recent output attached on
//! request, and what was sent and the tokens used shown. Stop ends the answer at once.
//! Viewers may ask; inserting into a file is for those who may change it.

use leptos::prelude::*;
use web_sys::AbortController;

use super::chat_attach::{attachments, Attach};
use super::chat_stream::stream_chat;
use super::js;
use super::state::Ide;
use crate::ai::{AiError, ChatEvent, ChatMessage, ChatRequest, Role, Usage};
use crate::api::ai::{
    ai_providers, change_conversation, list_conversations, open_conversation, probe_provider,
    set_default_provider,
};
use crate::api::auth::signed_in_user;
use crate::error::AppError;

#[component]
pub fn ChatPanel() -> impl IntoView {
    let ide = expect_context::<Ide>();
    let providers = LocalResource::new(ai_providers);
    let me = LocalResource::new(signed_in_user);
    let is_admin = move || {
        me.get()
            .and_then(Result::ok)
            .is_some_and(|u| u.role == crate::auth::Role::Admin)
    };
    let provider = RwSignal::new(String::new());
    let conversation = RwSignal::new(Vec::<ChatMessage>::new());
    let answer = RwSignal::new(String::new());
    let streaming = RwSignal::new(false);
    let error = RwSignal::new(None::<AppError>);
    let sent = RwSignal::new(Vec::<String>::new());
    // Tokens used so far, when the model server reports them.
    let tokens = RwSignal::new(None::<Usage>);
    let question = RwSignal::new(String::new());
    let probe = RwSignal::new(None::<String>);
    let attach = Attach::none();
    let controller = StoredValue::new_local(None::<AbortController>);
    // The saved conversation on screen (`None`: a new one, saved with its first answer).
    let saved_id = RwSignal::new(None::<String>);
    let saved_changed = RwSignal::new(0u32);
    let saved = LocalResource::new(move || {
        saved_changed.track();
        list_conversations(ide.workspace.get_value())
    });
    let renaming = RwSignal::new(None::<String>);

    let finish = move || {
        let text = answer.get_untracked();
        if !text.is_empty() {
            conversation.update(|c| c.push(ChatMessage::new(Role::Assistant, text)));
        }
        answer.set(String::new());
        streaming.set(false);
        controller.set_value(None);
        saved_changed.update(|n| *n += 1);
    };
    let ask = move || {
        let text = question.get_untracked().trim().to_owned();
        if text.is_empty() || streaming.get_untracked() {
            return;
        }
        let Ok(abort) = AbortController::new() else {
            return;
        };
        conversation.update(|c| c.push(ChatMessage::new(Role::User, text)));
        question.set(String::new());
        error.set(None);
        streaming.set(true);
        let request = ChatRequest {
            workspace: ide.workspace.get_value(),
            provider: Some(provider.get_untracked()).filter(|p| !p.is_empty()),
            messages: conversation.get_untracked(),
            attachments: attachments(&ide, attach),
            conversation: saved_id.get_untracked(),
        };
        controller.set_value(Some(abort.clone()));
        leptos::task::spawn_local(async move {
            let outcome = stream_chat(&request, &abort, |event| match event {
                ChatEvent::Context {
                    sent: labels,
                    conversation: id,
                    ..
                } => {
                    sent.set(labels);
                    saved_id.set(Some(id));
                }
                ChatEvent::Delta { text } => answer.update(|a| a.push_str(&text)),
                ChatEvent::Done { usage } => {
                    if let Some(usage) = usage {
                        tokens.update(|t| {
                            let t = t.get_or_insert_with(Usage::default);
                            t.prompt_tokens += usage.prompt_tokens;
                            t.completion_tokens += usage.completion_tokens;
                        });
                    }
                }
                ChatEvent::Error { error: e } => error.set(Some(e.into())),
            })
            .await;
            // An abort is the user's Stop, not a failure.
            if let Err(e) = outcome {
                if !abort.signal().aborted() {
                    error.set(Some(e));
                }
            }
            finish();
        });
    };
    let stop = move |_| {
        controller.with_value(|c| c.as_ref().map(AbortController::abort));
    };
    let test_connection = move |_| {
        let name = provider.get_untracked();
        probe.set(Some("Testing…".into()));
        leptos::task::spawn_local(async move {
            probe.set(Some(match probe_provider(name).await {
                Ok(found) => format!(
                    "Connected. Tool calls: {}. Context: {}.",
                    if found.native_tool_calls {
                        "native"
                    } else {
                        "by text"
                    },
                    found
                        .context_tokens
                        .map_or("not reported".to_owned(), |t| format!("{t} tokens"))
                ),
                Err(e) => e.to_string(),
            }));
        });
    };
    let can_insert = move || ide.can_change();
    let make_default = move |_| {
        let name = provider.get_untracked();
        leptos::task::spawn_local(async move {
            match set_default_provider(name.clone()).await {
                Ok(()) => {
                    probe.set(Some(format!("{name} is now the default for everyone.")));
                    providers.refetch();
                }
                Err(e) => probe.set(Some(e.to_string())),
            }
        });
    };
    let start_new = move || {
        saved_id.set(None);
        conversation.set(Vec::new());
        sent.set(Vec::new());
        tokens.set(None);
        error.set(None);
        renaming.set(None);
    };
    let open_saved = move |id: String| {
        if id.is_empty() {
            return start_new();
        }
        leptos::task::spawn_local(async move {
            match open_conversation(ide.workspace.get_value(), id.clone()).await {
                Ok(messages) => {
                    start_new();
                    saved_id.set(Some(id));
                    conversation.set(messages);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let change_saved = move |title: Option<String>| {
        let Some(id) = saved_id.get_untracked() else {
            return;
        };
        let deleting = title.is_none();
        leptos::task::spawn_local(async move {
            match change_conversation(ide.workspace.get_value(), id, title).await {
                Ok(()) => {
                    renaming.set(None);
                    if deleting {
                        start_new();
                    }
                    saved_changed.update(|n| *n += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };

    view! {
        <aside class="chat-panel" aria-label="AI assistant" data-testid="chat">
            <Suspense fallback=|| view! { <p class="muted chat-note">"Loading providers…"</p> }>
                {move || providers.get().map(|found| match found {
                    Ok(list) if list.is_empty() => view! {
                        <p class="chat-note" data-testid="ai-off">{AiError::Off.to_string()}</p>
                    }.into_any(),
                    Ok(list) => {
                        if provider.get_untracked().is_empty() {
                            let default = list.iter().find(|p| p.is_default).or(list.first());
                            provider.set(default.map(|p| p.name.clone()).unwrap_or_default());
                        }
                        let default = list.iter().find(|p| p.is_default).map(|p| p.name.clone());
                        let not_default = move || Some(provider.get()) != default;
                        view! {
                            <div class="chat-providers">
                                <label for="chat-provider" class="visually-hidden">"Model"</label>
                                <select id="chat-provider" prop:value=move || provider.get()
                                    on:change=move |ev| provider.set(event_target_value(&ev))>
                                    {list.into_iter().map(|p| {
                                        let label = format!("{} · {}", p.name, p.model);
                                        view! { <option value=p.name>{label}</option> }
                                    }).collect_view()}
                                </select>
                                <button type="button" class="button-like" on:click=test_connection>"Test connection"</button>
                                <Show when=move || is_admin() && not_default()>
                                    <button type="button" class="button-like" on:click=make_default
                                        title="Use this model for everyone who does not pick one">
                                        "Make default"
                                    </button>
                                </Show>
                            </div>
                            <p class="chat-note muted" role="status">{move || probe.get()}</p>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="chat-note error">{e.to_string()}</p> }.into_any(),
                })}
            </Suspense>
            <div class="chat-saved">
                <label for="chat-saved" class="visually-hidden">"Saved conversations"</label>
                <select id="chat-saved" data-testid="saved-conversations"
                    prop:value=move || saved_id.get().unwrap_or_default()
                    on:change=move |ev| open_saved(event_target_value(&ev))>
                    <option value="">"New conversation"</option>
                    {move || saved.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|c| {
                        view! { <option value=c.id.clone()>{c.title}</option> }
                    }).collect_view()}
                </select>
                <Show when=move || saved_id.get().is_some()>
                    <button type="button" class="button-like" on:click=move |_| {
                        let current = saved.get_untracked().and_then(Result::ok).unwrap_or_default()
                            .into_iter().find(|c| Some(&c.id) == saved_id.get_untracked().as_ref())
                            .map(|c| c.title).unwrap_or_default();
                        renaming.set(Some(current));
                    }>"Rename"</button>
                    <button type="button" class="button-like" on:click=move |_| change_saved(None)>"Delete"</button>
                </Show>
            </div>
            <Show when=move || renaming.get().is_some()>
                <form class="chat-rename" on:submit=move |ev| {
                    ev.prevent_default();
                    change_saved(renaming.get_untracked());
                }>
                    <label for="chat-rename" class="visually-hidden">"Conversation name"</label>
                    <input id="chat-rename" prop:value=move || renaming.get().unwrap_or_default()
                        on:input=move |ev| renaming.set(Some(event_target_value(&ev)))
                        on:keydown=move |ev| if ev.key() == "Escape" { renaming.set(None); } />
                    <button type="submit" class="button-like">"Save name"</button>
                </form>
            </Show>
            <div class="chat-log" aria-live="polite">
                <For each=move || conversation.get().into_iter().enumerate()
                    key=|(i, m)| (*i, m.content.len()) let:entry>
                    {
                        let (_, message) = entry;
                        match message.role {
                            Role::Assistant => view! {
                                <Answer text=Signal::stored(message.content) can_insert />
                            }.into_any(),
                            _ => view! { <p class="chat-question">{message.content}</p> }.into_any(),
                        }
                    }
                </For>
                <Show when=move || streaming.get()>
                    <Answer text=Signal::derive(move || answer.get()) can_insert />
                </Show>
                {move || error.get().map(|e| view! {
                    <p class="chat-error" role="alert" data-testid="chat-error">{e.to_string()}</p>
                })}
            </div>
            <Show when=move || !sent.with(Vec::is_empty) || tokens.get().is_some()>
                <p class="chat-context muted" data-testid="chat-context">
                    {move || {
                        let mut text = match tokens.get() {
                            Some(t) => format!("{} + {} tokens", t.prompt_tokens, t.completion_tokens),
                            None => "tokens not reported".to_owned(),
                        };
                        let labels = sent.get();
                        if !labels.is_empty() {
                            text.push_str(&format!(" · sent: {}", labels.join(", ")));
                        }
                        text
                    }}
                </p>
            </Show>
            <form class="chat-form" on:submit=move |ev| { ev.prevent_default(); ask(); }>
                <div class="chat-attach">
                    <label><input type="checkbox" bind:checked=attach.file />" Open file"</label>
                    <label title="The folder selected in the tree, else the workspace">
                        <input type="checkbox" bind:checked=attach.folder />" Folder listing"
                    </label>
                    <label><input type="checkbox" bind:checked=attach.selection />" Selection"</label>
                    <label><input type="checkbox" bind:checked=attach.terminal />" Terminal output"</label>
                </div>
                <label for="chat-question" class="visually-hidden">"Ask about this workspace"</label>
                <textarea id="chat-question" rows="3" placeholder="Ask about this workspace (Enter sends, Shift+Enter a new line)"
                    prop:value=move || question.get()
                    on:input=move |ev| question.set(event_target_value(&ev))
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" && !ev.shift_key() {
                            ev.prevent_default();
                            ask();
                        }
                    }></textarea>
                <div class="chat-buttons">
                    <Show when=move || streaming.get()
                        fallback=|| view! { <button type="submit" class="button primary">"Ask"</button> }>
                        <button type="button" class="button" on:click=stop>"Stop"</button>
                    </Show>
                    <button type="button" class="button-like" on:click=move |_| start_new()>"New conversation"</button>
                </div>
            </form>
        </aside>
    }
}

/// One answer, rendered as Markdown by the IDE bundle whenever its text changes.
#[component]
fn Answer(
    text: Signal<String>,
    can_insert: impl Fn() -> bool + Send + Sync + 'static,
) -> impl IntoView {
    let host = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        let markdown = text.get();
        let insert = can_insert();
        let Some(element) = host.get() else { return };
        js::when_loaded(move || js::render_answer(&element, &markdown, insert));
    });
    view! { <div class="chat-answer" node_ref=host data-testid="chat-answer"></div> }
}
