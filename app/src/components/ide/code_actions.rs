//! Code actions on the open file or its selection: explain, refactor, fix (with the
//! terminal's recent output as the error) or an instruction. An explanation is shown as
//! Markdown; an edit as a diff against the editor's text, hunks accepted or rejected one by
//! one, then applied to the editor as one undo step. Saving still goes through the
//! version check, so a change made elsewhere meanwhile is not overwritten unasked.

use leptos::prelude::*;

use super::js;
use super::state::{Ide, OpenFile};
use crate::ai::{CodeActionKind, CodeActionRequest, CodeActionResult};
use crate::api::ai::code_action;
use crate::error::AppError;

/// Lines of terminal output a fix sends as the error.
const ERROR_LINES: u32 = 40;

#[derive(Clone, PartialEq)]
enum Outcome {
    Idle,
    Asking(CodeActionKind),
    Explained(String),
    Reviewing,
    Failed(AppError),
}

#[component]
pub fn CodeActions(
    file: OpenFile,
    editor: StoredValue<Option<js::Editor>, LocalStorage>,
) -> impl IntoView {
    let ide = expect_context::<Ide>();
    let outcome = RwSignal::new(Outcome::Idle);
    let instruction = RwSignal::new(String::new());
    let review = StoredValue::new_local(None::<js::Review>);
    let review_host = NodeRef::<leptos::html::Div>::new();
    let explanation_host = NodeRef::<leptos::html::Div>::new();

    let close_review = move || {
        review.update_value(|r| {
            if let Some(r) = r.take() {
                r.dispose();
            }
        });
        outcome.set(Outcome::Idle);
    };
    let run = move |kind: CodeActionKind| {
        let Some(parts) = editor.with_value(|e| e.as_ref().map(js::Editor::selection_parts)) else {
            return;
        };
        let part = |i: u32| parts.get(i).as_string().unwrap_or_default();
        let (before, selected, after) = (part(0), part(1), part(2));
        let original = format!("{before}{selected}{after}");
        let path = file.path.get_untracked().absolute();
        let diagnostic = (kind == CodeActionKind::Fix && js::loaded())
            .then(|| js::terminal_text(ERROR_LINES))
            .filter(|t| !t.is_empty());
        let request = CodeActionRequest {
            workspace: ide.workspace.get_value(),
            file: path.clone(),
            before,
            selected,
            after,
            kind,
            instruction: instruction.get_untracked(),
            diagnostic,
            provider: None,
        };
        close_review();
        outcome.set(Outcome::Asking(kind));
        leptos::task::spawn_local(async move {
            match code_action(request).await {
                Ok(CodeActionResult::Explanation { markdown }) => {
                    outcome.set(Outcome::Explained(markdown))
                }
                Ok(CodeActionResult::Edit { text }) if text == original => {
                    outcome.set(Outcome::Explained("The model proposes no change.".into()))
                }
                Ok(CodeActionResult::Edit { text }) => {
                    outcome.set(Outcome::Reviewing);
                    // After the review host is in the page.
                    request_animation_frame(move || {
                        let Some(host) = review_host.get_untracked() else {
                            return;
                        };
                        review.set_value(Some(js::create_review(&host, &path, &original, &text)));
                    });
                }
                Err(e) => outcome.set(Outcome::Failed(e)),
            }
        });
    };
    let apply = move |_| {
        let Some(text) = review.with_value(|r| r.as_ref().map(js::Review::text)) else {
            return;
        };
        editor.with_value(|e| {
            if let Some(e) = e {
                e.set_text(&text);
                e.focus();
            }
        });
        close_review();
    };
    Effect::new(move |_| {
        if let Outcome::Explained(markdown) = outcome.get() {
            if let Some(host) = explanation_host.get() {
                js::when_loaded(move || js::render_answer(&host, &markdown, false));
            }
        }
    });
    on_cleanup(move || {
        review.try_update_value(|r| r.take().map(|r| r.dispose()));
    });
    let can_change = move || ide.can_change();
    let busy = move || matches!(outcome.get(), Outcome::Asking(_));
    let button = move |kind: CodeActionKind| {
        view! {
            <button type="button" class="button-like" disabled=busy on:click=move |_| run(kind)>
                {kind.label()}
            </button>
        }
    };

    view! {
        <div class="code-actions-bar" role="toolbar" aria-label="AI code actions">
            <span class="muted">"AI"</span>
            {button(CodeActionKind::Explain)}
            <Show when=can_change>
                {button(CodeActionKind::Refactor)}
                {button(CodeActionKind::Fix)}
                <form class="instruction" on:submit=move |ev| { ev.prevent_default(); run(CodeActionKind::Custom); }>
                    <label class="visually-hidden" for=format!("instruction-{}", file.id)>"Instruction for the model"</label>
                    <input id=format!("instruction-{}", file.id) placeholder="Or say what to change…"
                        prop:value=move || instruction.get()
                        on:input=move |ev| instruction.set(event_target_value(&ev)) />
                </form>
            </Show>
            <span class="muted" role="status">
                {move || match outcome.get() {
                    Outcome::Asking(kind) => format!("{}…", kind.label()),
                    _ => String::new(),
                }}
            </span>
        </div>
        {move || match outcome.get() {
            Outcome::Failed(e) => Some(view! {
                <p class="form-error code-actions-error" role="alert">{e.to_string()}</p>
            }.into_any()),
            Outcome::Explained(_) => Some(view! {
                <div class="code-explanation" data-testid="explanation">
                    <div class="chat-answer" node_ref=explanation_host></div>
                    <button type="button" class="button-like" on:click=move |_| outcome.set(Outcome::Idle)>"Close"</button>
                </div>
            }.into_any()),
            _ => None,
        }}
        <div class="code-review" class:hidden=move || outcome.get() != Outcome::Reviewing data-testid="review">
            <div class="code-review-bar">
                <span>"Proposed changes: accept or reject each, then apply."</span>
                <button type="button" class="button primary" on:click=apply>"Apply"</button>
                <button type="button" class="button" on:click=move |_| close_review()>"Discard"</button>
            </div>
            <div class="code-review-host" node_ref=review_host></div>
        </div>
    }
}
