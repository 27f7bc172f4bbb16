//! Changing a workspace's limits, below its row on the dashboard: CPUs, memory and
//! processes, applied to the running container at once (nothing restarts), and how long it
//! may go unused before it stops; within what the server allows.

use leptos::prelude::*;

use super::workspace_ops::Drafts;
use crate::api::workspaces::{set_workspace_idle_stop, set_workspace_limits, workspace_limits};
use crate::auth::WorkspaceRef;
use crate::error::{AppError, Field};
use crate::model::{format_memory, IdleBounds, Limits};

#[component]
pub fn LimitsPanel(
    workspace: WorkspaceRef,
    limits: Limits,
    idle_minutes: Option<u32>,
    drafts: Drafts,
    on_saved: Callback<()>,
) -> impl IntoView {
    let bounds = LocalResource::new(workspace_limits);
    let server = move || bounds.get().and_then(Result::ok).unwrap_or_default();
    let max = move || server().max;
    let key = workspace.to_string();
    let cpus = drafts.field(&key, "cpus", limits.cpus.to_string());
    let memory = drafts.field(&key, "memory", limits.memory_mib.to_string());
    let processes = drafts.field(&key, "processes", limits.processes.to_string());
    let idle_text = idle_minutes.map(|m| m.to_string()).unwrap_or_default();
    let idle = drafts.field(&key, "idle", idle_text);
    let error = RwSignal::new(None::<AppError>);
    let target = workspace.clone();
    let save = Action::new(move |&(limits, idle): &(Limits, Option<u32>)| {
        let target = target.clone();
        async move {
            set_workspace_limits(
                target.clone(),
                limits.cpus,
                limits.memory_mib,
                limits.processes,
            )
            .await?;
            set_workspace_idle_stop(target, idle).await
        }
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
        let idle = parse_idle(&idle.get_untracked(), &server().idle);
        match parsed.and_then(|limits| Ok((limits, idle?))) {
            Ok(chosen) => {
                error.set(None);
                save.dispatch(chosen);
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
                <div class="field">
                    <label for=id("idle")>"Stop when unused (min)"</label>
                    <input id=id("idle") type="number" step="1" min="0"
                        placeholder=move || server().idle.default_minutes.map_or("never".to_owned(), |m| m.to_string())
                        prop:value=move || idle.get()
                        on:input=move |ev| idle.set(event_target_value(&ev)) />
                    <p class="field-error" role="alert">{move || field_error(Field::IdleStop)}</p>
                </div>
                <button class="button primary" type="submit" disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Applying…" } else { "Apply" }}
                </button>
            </form>
            <p class="muted">
                {move || {
                    let max = max();
                    let idle = match server().idle.max_minutes {
                        Some(longest) => format!(" A workspace stops after at most {longest} minutes unused."),
                        None => " Idle stop: empty for the server's default, 0 for never.".to_owned(),
                    };
                    format!(
                        "Applied while it runs, nothing restarts. This server allows up to {} CPUs, {} and {} processes.{idle}",
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

/// The idle time typed: empty for the server's default, else whole minutes (0: never).
fn parse_idle(text: &str, bounds: &IdleBounds) -> Result<Option<u32>, AppError> {
    let text = text.trim();
    let minutes = match text {
        "" => None,
        _ => Some(text.parse::<u32>().map_err(|_| {
            AppError::invalid(
                Field::IdleStop,
                "Whole minutes (0: never), or empty for the server's default.",
            )
        })?),
    };
    bounds.check(minutes)?;
    Ok(minutes)
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
