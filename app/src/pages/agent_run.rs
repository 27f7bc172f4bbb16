//! `/workspaces/{owner}/{name}/agent/{run}`: one agent run's transcript — the task, every
//! step (the model's words, each call with its risk, approvals and who gave them, results,
//! timings, tokens) and the diff of what it changed — live while it runs, and the JSON to
//! keep. Linked from the IDE and the audit log.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use send_wrapper::SendWrapper;

use crate::agent::{transcript_path, RunView};
use crate::api::agent::agent_run;
use crate::auth::WorkspaceRef;
use crate::components::agent::steps::{summary_line, DiffView, StepList};
use crate::components::agent::{follow, RunEvents};
use crate::components::header::Header;
use crate::error::AppError;

#[component]
pub fn AgentRunPage() -> impl IntoView {
    let params = use_params_map();
    let (raw, id) = params.with_untracked(|p| {
        let part = |key| p.get(key).unwrap_or_default();
        (format!("{}/{}", part("owner"), part("name")), part("run"))
    });
    let workspace = WorkspaceRef::parse(&raw);
    let asked = (workspace.clone(), id.clone());
    let loaded = Resource::new(
        || (),
        move |_| {
            let (workspace, id) = asked.clone();
            async move { agent_run(workspace?, id).await }
        },
    );
    let view = RwSignal::new(None::<RunView>);
    let events = StoredValue::new(None::<SendWrapper<RunEvents>>);
    // A run still going on is followed live.
    Effect::new(move |_| {
        if let Some(Ok(run)) = loaded.get() {
            let live = !run.summary.status.is_over();
            let (workspace, id) = (run.summary.workspace.clone(), run.summary.id.clone());
            view.set(Some(run));
            if live {
                events.set_value(follow(&workspace, &id, view, |_| {}));
            }
        }
    });
    on_cleanup(move || events.set_value(None));
    let back = workspace
        .as_ref()
        .map(|w| format!("/workspaces/{}/{}", w.owner, w.name))
        .unwrap_or_else(|_| "/".into());
    view! {
        <Title text="Agent run · AiCockpit" />
        <Header current="" />
        <main class="page">
            <section class="card agent-run" aria-labelledby="run-title">
                <p><a href=back>"← Back to the workspace"</a></p>
                <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || loaded.get().map(|found| match found {
                        Err(e) => failure(e).into_any(),
                        Ok(first) => {
                            let shown = Signal::derive(move || view.get().unwrap_or_else(|| first.clone()));
                            view! {
                                <h2 id="run-title">{move || shown.get().summary.task}</h2>
                                <p class="muted" data-testid="run-summary">{move || summary_line(&shown.get().summary)}</p>
                                <p>{move || shown.get().summary.detail}</p>
                                <p>
                                    <a href=move || transcript_path(&shown.get().summary.workspace, &shown.get().summary.id)
                                        download="">"Download the transcript (JSON)"</a>
                                </p>
                                <StepList steps=Signal::derive(move || shown.get().steps) />
                                {move || shown.get().diff.map(|diff| view! {
                                    <h3>"What the run changed"</h3>
                                    <DiffView diff />
                                })}
                            }.into_any()
                        }
                    })}
                </Suspense>
            </section>
        </main>
    }
}

fn failure(error: AppError) -> impl IntoView {
    view! { <p class="form-error" role="alert">{error.to_string()}</p> }
}
