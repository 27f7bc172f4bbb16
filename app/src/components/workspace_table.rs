//! The list of workspaces with their lifecycle buttons (start, stop, delete with confirmation).

use leptos::prelude::*;

use crate::api::workspaces::{delete_workspace, start_workspace, stop_workspace};
use crate::error::AppError;
use crate::model::{
    format_age, format_memory, Workspace, WorkspaceList, WorkspaceName, WorkspaceStatus,
};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Start,
    Stop,
    Delete { keep_volume: bool },
}

impl Op {
    fn pending_label(self) -> &'static str {
        match self {
            Op::Start => "Starting…",
            Op::Stop => "Stopping…",
            Op::Delete { .. } => "Deleting…",
        }
    }

    async fn run(self, name: WorkspaceName) -> Result<(), AppError> {
        match self {
            Op::Start => start_workspace(name).await,
            Op::Stop => stop_workspace(name).await,
            Op::Delete { keep_volume } => delete_workspace(name, keep_volume).await,
        }
    }
}

#[component]
pub fn WorkspaceTable(list: WorkspaceList, on_change: Callback<()>) -> impl IntoView {
    if list.workspaces.is_empty() {
        return view! {
            <section class="card empty" data-testid="empty-state">
                <h2>"No workspaces yet"</h2>
                <p>
                    "A workspace is a container with its own persistent "
                    <code>"/workspace"</code>
                    " volume. Create your first one below: give it a name, pick an image and the CPU and memory it may use."
                </p>
            </section>
        }
        .into_any();
    }
    let now = list.now;
    view! {
        <section class="card">
            <h2>"Workspaces"</h2>
            <div class="table-scroll">
                <table class="workspaces">
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Image"</th>
                            <th scope="col">"CPU"</th>
                            <th scope="col">"Memory"</th>
                            <th scope="col">"Created"</th>
                            <th scope="col">"Uptime"</th>
                            <th scope="col">
                                <span class="visually-hidden">"Actions"</span>
                            </th>
                        </tr>
                    </thead>
                    <tbody>
                        {list
                            .workspaces
                            .into_iter()
                            .map(|workspace| view! { <WorkspaceRow workspace now on_change /> })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn WorkspaceRow(workspace: Workspace, now: i64, on_change: Callback<()>) -> impl IntoView {
    let Workspace {
        name,
        image,
        status,
        limits,
        created_at,
        started_at,
        ..
    } = workspace;
    let error = RwSignal::new(None::<String>);
    let confirming = RwSignal::new(false);
    let delete_files = RwSignal::new(false);
    let action = Action::new({
        let name = name.clone();
        move |op: &Op| op.run(name.clone())
    });
    Effect::new(move |_| match action.value().get() {
        Some(Ok(())) => {
            error.set(None);
            on_change.run(());
        }
        Some(Err(e)) => error.set(Some(e.to_string())),
        None => {}
    });
    let busy = move || action.pending().get();
    let op_button = move |label: &'static str, op: Op| {
        view! {
            <button class="button" disabled=busy on:click=move |_| { action.dispatch(op); }>
                {label}
            </button>
        }
    };
    let pending_label = move || action.input().get().map(Op::pending_label);
    let uptime = started_at
        .filter(|_| status == WorkspaceStatus::Running)
        .map(|t| format_age(now - t))
        .unwrap_or_else(|| "—".into());

    view! {
        <tr data-workspace=name.to_string() aria-busy=move || busy().to_string()>
            <th scope="row" class="name">{name.to_string()}</th>
            <td>
                <span class=format!("status status-{}", status.label()) data-testid="status">
                    {move || pending_label().unwrap_or(status.label())}
                </span>
            </td>
            <td class="image" title=image.clone()>{image.clone()}</td>
            <td>{format!("{}", limits.cpus)}</td>
            <td>{format_memory(limits.memory_mib)}</td>
            <td title="Time since the workspace was created">{format!("{} ago", format_age(now - created_at))}</td>
            <td>{uptime}</td>
            <td>
                <div class="actions">
                {status.can_start().then(|| op_button("Start", Op::Start))}
                {status.can_stop().then(|| op_button("Stop", Op::Stop))}
                <button
                    class="button danger-outline"
                    disabled=busy
                    aria-expanded=move || confirming.get().to_string()
                    on:click=move |_| confirming.update(|c| *c = !*c)
                >
                    "Delete"
                </button>
                </div>
            </td>
        </tr>
        <Show when=move || confirming.get()>
            <tr class="confirm-row">
                <td colspan="8">
                    <div class="confirm" role="group" aria-label=format!("Delete {name}")>
                        <span>"Delete " <strong>{name.to_string()}</strong> "?"</span>
                        <label>
                            <input
                                type="checkbox"
                                prop:checked=move || delete_files.get()
                                on:change=move |ev| delete_files.set(event_target_checked(&ev))
                            />
                            " Also delete its files (the /workspace volume)"
                        </label>
                        <button
                            class="button danger"
                            disabled=busy
                            on:click=move |_| {
                                action.dispatch(Op::Delete { keep_volume: !delete_files.get_untracked() });
                            }
                        >
                            "Delete workspace"
                        </button>
                        <button class="button" on:click=move |_| confirming.set(false)>
                            "Cancel"
                        </button>
                    </div>
                </td>
            </tr>
        </Show>
        <Show when=move || error.get().is_some()>
            <tr class="error-row">
                <td colspan="8" role="alert">{move || error.get()}</td>
            </tr>
        </Show>
    }
}
