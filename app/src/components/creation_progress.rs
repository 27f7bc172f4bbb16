//! A workspace's creation as it runs on the server: its steps (each waiting, running with
//! where it is, done, or failed with why), the output of its builds and set-up, and what
//! can be done with it (cancel while it runs; resume or dismiss once it stopped). Follows
//! the creation's event stream while it is shown.

use leptos::prelude::*;

use crate::api::creations::{
    cancel_creation, dismiss_creation, resume_creation, unfinished_creations,
};
use crate::model::{CreationEvent, CreationState, CreationView, StepState};
use crate::wire::{fill, CREATION_EVENTS};

/// Lines of output kept on the page.
const KEPT_LINES: usize = 500;

type Following = send_wrapper::SendWrapper<(
    web_sys::EventSource,
    Vec<wasm_bindgen::closure::Closure<dyn FnMut(web_sys::MessageEvent)>>,
)>;

/// Shows `view` and follows it until it ends; `on_end` gets how it ended, `on_dismiss`
/// runs once it is dismissed.
#[component]
pub fn CreationProgress(
    view: CreationView,
    #[prop(into)] on_end: Callback<CreationView>,
    #[prop(into)] on_dismiss: Callback<()>,
) -> impl IntoView {
    let current = RwSignal::new(view);
    let lines = RwSignal::new(Vec::<String>::new());
    let failure = RwSignal::new(None::<String>);
    let following = StoredValue::new(None::<Following>);
    let follow = move || {
        if current.with_untracked(|v| v.state.is_over()) {
            return;
        }
        stop(following);
        following.set_value(open(current, lines, on_end, following));
    };
    // In the browser only: the stream is not part of the server's page.
    Effect::new(move |_| follow());
    on_cleanup(move || stop(following));

    let act = move |what: &'static str| {
        let id = current.with_untracked(|v| v.id.clone());
        failure.set(None);
        leptos::task::spawn_local(async move {
            let done = match what {
                "cancel" => cancel_creation(id).await.map(|v| current.set(v)),
                "resume" => resume_creation(id).await.map(|v| {
                    current.set(v);
                    lines.set(Vec::new());
                    follow();
                }),
                _ => dismiss_creation(id).await.map(|()| on_dismiss.run(())),
            };
            if let Err(error) = done {
                failure.set(Some(error.to_string()));
            }
        });
    };
    let state = move || current.with(|v| v.state);

    view! {
        <div class="creation" data-testid="creation" data-state=move || state().as_str()>
            <ol class="creation-steps">
                {move || current.with(|v| v.steps.iter()
                    .filter(|s| s.state != StepState::Skipped)
                    .map(|s| {
                        let mark = match s.state {
                            StepState::Waiting => "○",
                            StepState::Running => "◐",
                            StepState::Done | StepState::Skipped => "✓",
                            StepState::Failed => "✗",
                        };
                        let detail = match s.state {
                            StepState::Running => s.detail.clone(),
                            _ => None,
                        };
                        view! {
                            <li data-state=format!("{:?}", s.state).to_lowercase()>
                                <span aria-hidden="true">{mark}" "</span>
                                {s.step.label()}
                                {detail.map(|d| view! { <span class="muted">" · "{d}</span> })}
                            </li>
                        }
                    })
                    .collect_view())}
            </ol>
            <Show when=move || lines.with(|l| !l.is_empty())>
                <details>
                    <summary>"Log"</summary>
                    <pre class="creation-log">{move || lines.with(|l| l.join("\n"))}</pre>
                </details>
            </Show>
            <div class="creation-actions">
                <Show when=move || state() == CreationState::Running>
                    <button class="button" type="button" on:click=move |_| act("cancel")>"Cancel"</button>
                </Show>
                <Show when=move || current.with(CreationView::resumable)>
                    <span class="muted">{move || current.with(CreationView::summary)}</span>
                    <button class="button" type="button" on:click=move |_| act("resume")>"Resume"</button>
                    <button class="button" type="button" on:click=move |_| act("dismiss")>"Dismiss"</button>
                </Show>
            </div>
            <p class="field-error" role="alert">{move || failure.get()}</p>
        </div>
    }
}

/// Opens the creation's event stream: each view replaces the shown one (the last ends it),
/// each line is added to the log.
fn open(
    current: RwSignal<CreationView>,
    lines: RwSignal<Vec<String>>,
    on_end: Callback<CreationView>,
    following: StoredValue<Option<Following>>,
) -> Option<Following> {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    let (workspace, id) = current.with_untracked(|v| (v.workspace.clone(), v.id.clone()));
    let url = fill(CREATION_EVENTS, &workspace, &[("creation", &id)]);
    let source = web_sys::EventSource::new(&url).ok()?;
    let on_event = move |event: web_sys::MessageEvent| {
        let data = event.data().as_string().unwrap_or_default();
        match serde_json::from_str::<CreationEvent>(&data) {
            Ok(CreationEvent::View(view)) => {
                let over = view.state.is_over();
                current.set(view.clone());
                if over {
                    stop(following);
                    on_end.run(view);
                }
            }
            Ok(CreationEvent::Line(line)) => lines.update(|all| {
                if all.len() == KEPT_LINES {
                    all.remove(0);
                }
                all.push(line);
            }),
            Err(_) => {}
        }
    };
    let mut handlers = Vec::new();
    for kind in ["view", "line"] {
        let handler = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(on_event);
        let _ = source.add_event_listener_with_callback(kind, handler.as_ref().unchecked_ref());
        handlers.push(handler);
    }
    // A reconnect replays the output kept so far.
    let reset = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_| lines.set(Vec::new()));
    let _ = source.add_event_listener_with_callback("open", reset.as_ref().unchecked_ref());
    handlers.push(reset);
    Some(send_wrapper::SendWrapper::new((source, handlers)))
}

fn stop(following: StoredValue<Option<Following>>) {
    if let Some(following) = following.try_update_value(Option::take).flatten() {
        following.0.close();
    }
}

/// The signed-in user's creations that did not finish (one still running, one a restart
/// cut short, one whose files or set-up failed), each with what can be done with it.
#[component]
pub fn UnfinishedCreations(#[prop(into)] on_change: Callback<()>) -> impl IntoView {
    let all = RwSignal::new(Vec::<CreationView>::new());
    // In the browser: asked for once the page runs.
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            if let Ok(found) = unfinished_creations().await {
                all.set(found);
            }
        });
    });
    view! {
        <Show when=move || all.with(|a| !a.is_empty())>
            <section class="card" aria-labelledby="creations-title" data-testid="unfinished-creations">
                <h2 id="creations-title">"Unfinished workspaces"</h2>
                <For each=move || all.get() key=|view| view.id.clone() let:view>
                    {
                        let id = view.id.clone();
                        let workspace = view.workspace.to_string();
                        let heading = workspace.clone();
                        let on_dismiss = move |()| all.update(|a| a.retain(|v| v.id != id));
                        view! {
                            <article data-creation=workspace>
                                <h3>{heading}</h3>
                                <CreationProgress view on_end=move |_| on_change.run(()) on_dismiss />
                            </article>
                        }
                    }
                </For>
            </section>
        </Show>
    }
}
