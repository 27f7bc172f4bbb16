//! Changing a workspace's limits, below its row on the dashboard: CPUs, memory and
//! processes, applied to the running container at once (nothing restarts), within what
//! the server allows.

use leptos::prelude::*;

use crate::api::workspaces::{set_workspace_limits, workspace_limits};
use crate::auth::WorkspaceRef;
use crate::error::{AppError, Field};
use crate::model::{format_memory, LimitBounds, Limits};

#[component]
pub fn LimitsPanel(
    workspace: WorkspaceRef,
    limits: Limits,
    on_saved: Callback<()>,
) -> impl IntoView {
    let bounds = LocalResource::new(workspace_limits);
    let max = move || {
        bounds
            .get()
            .and_then(Result::ok)
            .map_or(LimitBounds::default().max, |b| b.max)
    };
    let cpus = RwSignal::new(limits.cpus.to_string());
    let memory = RwSignal::new(limits.memory_mib.to_string());
    let processes = RwSignal::new(limits.processes.to_string());
    let error = RwSignal::new(None::<AppError>);
    let target = workspace.clone();
    let save = Action::new(move |limits: &Limits| {
        set_workspace_limits(
            target.clone(),
            limits.cpus,
            limits.memory_mib,
            limits.processes,
        )
    });
    Effect::new(move |_| match save.value().get() {
        Some(Ok(_)) => on_saved.run(()),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let number = |text: String| text.trim().parse::<f64>().unwrap_or(f64::NAN);
        let parsed = Limits::parse(
            number(cpus.get_untracked()),
            number(memory.get_untracked()).max(0.0) as u64,
            number(processes.get_untracked()).max(0.0) as u32,
        )
        .and_then(|limits| limits.within(&max()).map(|()| limits));
        match parsed {
            Ok(limits) => {
                error.set(None);
                save.dispatch(limits);
            }
            Err(e) => error.set(Some(e)),
        }
    };
    let field_error = move |field: Field| {
        error
            .get()
            .filter(|e| e.field() == Some(field))
            .map(|e| e.to_string())
    };
    let id = |what: &str| format!("limits-{what}-{workspace}");
    let label = format!("Limits of {workspace}");
    view! {
        <div class="limits-panel" role="group" aria-label=label>
            <form class="inline-form" on:submit=submit novalidate>
                <LimitField id=id("cpus") label="CPUs" step=0.1 min=Limits::CPUS.0
                    max=Signal::derive(move || max().cpus)
                    value=cpus error=Signal::derive(move || field_error(Field::Cpus)) />
                <LimitField id=id("memory") label="Memory (MiB)" step=64.0
                    min=Limits::MEMORY_MIB.0 as f64
                    max=Signal::derive(move || max().memory_mib as f64)
                    value=memory error=Signal::derive(move || field_error(Field::Memory)) />
                <LimitField id=id("processes") label="Processes" step=1.0
                    min=f64::from(Limits::PROCESSES.0)
                    max=Signal::derive(move || f64::from(max().processes))
                    value=processes error=Signal::derive(move || field_error(Field::Processes)) />
                <button class="button primary" type="submit" disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Applying…" } else { "Apply" }}
                </button>
            </form>
            <p class="muted">
                {move || {
                    let max = max();
                    format!(
                        "Applied while it runs, nothing restarts. This server allows up to {} CPUs, {} and {} processes.",
                        max.cpus, format_memory(max.memory_mib), max.processes
                    )
                }}
            </p>
            <p class="form-error" role="alert">
                {move || error.get().filter(|e| e.field().is_none()).map(|e| e.to_string())}
            </p>
        </div>
    }
}

/// One number of the form, with its bounds and the error that concerns it.
#[component]
fn LimitField(
    id: String,
    label: &'static str,
    step: f64,
    min: f64,
    max: Signal<f64>,
    value: RwSignal<String>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input id=id type="number" step=step min=min max=move || max.get()
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev)) />
            <p class="field-error" role="alert">{move || error.get()}</p>
        </div>
    }
}
