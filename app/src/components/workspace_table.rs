//! The list of workspaces with their lifecycle buttons (start, stop, delete with confirmation).

use leptos::prelude::*;

use super::archive;
use super::connect_panel::ConnectPanel;
use super::limits_panel::LimitsPanel;
use super::share_panel::SharePanel;
use super::usage::{UsageBoard, UsageCell};
use super::workspace_ops::{Op, WorkspaceOps};
use crate::auth::Access;
use crate::model::{format_age, format_memory, Workspace, WorkspaceList, WorkspaceStatus};

#[component]
pub fn WorkspaceTable(list: WorkspaceList, ops: WorkspaceOps, usage: UsageBoard) -> impl IntoView {
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
                            <th scope="col">"Usage"</th>
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
                            .map(|workspace| view! { <WorkspaceRow workspace now ops usage /> })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn WorkspaceRow(
    workspace: Workspace,
    now: i64,
    ops: WorkspaceOps,
    usage: UsageBoard,
) -> impl IntoView {
    let reference = workspace.reference();
    let Workspace {
        owner,
        name,
        access,
        image,
        status,
        limits,
        created_at,
        started_at,
        notice,
        idle_stop,
        idle_minutes,
        placement,
        ..
    } = workspace;
    let key = reference.to_string();
    let row = ops.row(&key);
    let busy = move || row.pending.with(Option::is_some);
    let op_button = |label: &'static str, op: Op| {
        let reference = reference.clone();
        view! {
            <button class="button" disabled=busy on:click=move |_| ops.run(reference.clone(), op)>
                {label}
            </button>
        }
    };
    // Opens or closes one of the row's panels (sharing, limits).
    let panel_button = |label: &'static str, panel: RwSignal<Option<String>>| {
        let (key, open) = (key.clone(), key.clone());
        view! {
            <button
                class="button"
                aria-expanded=move || (panel.get().as_deref() == Some(open.as_str())).to_string()
                on:click=move |_| ops.toggle_panel(panel, &key)
            >
                {label}
            </button>
        }
    };
    let href = format!("/workspaces/{reference}");
    let shared_ref = reference.clone();
    let limits_ref = reference.clone();
    let connect_ref = reference.clone();
    // Someone else's: say whose, and how it is shared.
    let shared = (access != Access::Owner).then(|| {
        let how = match access {
            Access::Viewer => " · view only",
            Access::Editor => " · editor",
            _ => "",
        };
        view! { <span class="owner muted">{format!("{owner}{how}")}</span> }
    });
    let uptime = started_at
        .filter(|_| status == WorkspaceStatus::Running)
        .map(|t| format_age(now - t))
        .unwrap_or_else(|| "—".into());

    view! {
        <tr data-workspace=name.to_string() data-owner=owner.to_string() aria-busy=move || busy().to_string()>
            <th scope="row" class="name">
                // A full page load: the IDE brings its own scripts.
                <a href=href.clone() rel="external" title="Open the IDE">{name.to_string()}</a>
                {shared}
                {notice.map(|notice| view! {
                    <p class="notice" role="status" data-testid="notice">{notice.message()}</p>
                })}
                {idle_stop.map(|idle| view! {
                    <p class="idle muted" data-testid="idle-stop">{idle.describe()}</p>
                })}
            </th>
            <td>
                <span class=format!("status status-{}", status.label()) data-testid="status">
                    {move || row.pending.get().map_or(status.label(), Op::pending_label)}
                </span>
                <p class="placement muted" data-testid="placement" title="What runs it">
                    {placement.describe()}
                </p>
            </td>
            <td class="usage-cell">
                {match status == WorkspaceStatus::Running {
                    true => view! { <UsageCell board=usage workspace=key.clone() cpu_limit=limits.cpus /> }.into_any(),
                    false => view! { <span class="muted">"—"</span> }.into_any(),
                }}
            </td>
            <td class="image" title=image.clone()>{image.clone()}</td>
            <td>{format!("{}", limits.cpus)}</td>
            <td>{format_memory(limits.memory_mib)}</td>
            <td title="Time since the workspace was created">{format!("{} ago", format_age(now - created_at))}</td>
            <td>{uptime}</td>
            <td>
                <div class="actions">
                {(status == WorkspaceStatus::Running).then(|| view! {
                    <a class="button primary" href=href.clone() rel="external">"Open"</a>
                })}
                {(access.can_use() && status.can_start()).then(|| op_button("Start", Op::Start))}
                {(access.can_use() && status.can_stop()).then(|| op_button("Stop", Op::Stop))}
                <a class="button" href=archive::export_url(&key) download
                    title="Download all of /workspace as .tar.gz">"Export"</a>
                {access.can_use().then(|| panel_button("Connect", ops.connecting))}
                {access.can_manage().then(|| panel_button("Share", ops.sharing))}
                {access.can_manage().then(|| panel_button("Limits", ops.limits))}
                {access.can_manage().then(|| view! {
                    <button
                        class="button danger-outline"
                        disabled=busy
                        aria-expanded=move || row.confirming.get().to_string()
                        on:click={
                            let key = key.clone();
                            move |_| ops.toggle_confirmation(&key)
                        }
                    >
                        "Delete"
                    </button>
                })}
                </div>
            </td>
        </tr>
        <Show when=move || row.confirming.get()>
            <tr class="confirm-row">
                <td colspan="9">
                    <div class="confirm" role="group" aria-label=format!("Delete {name}")>
                        <span>"Delete " <strong>{name.to_string()}</strong> "?"</span>
                        <label>
                            <input
                                type="checkbox"
                                prop:checked=move || ops.delete_files.get()
                                on:change=move |ev| ops.delete_files.set(event_target_checked(&ev))
                            />
                            " Also delete its files (the /workspace volume)"
                        </label>
                        <button
                            class="button danger"
                            disabled=busy
                            on:click={
                                let reference = reference.clone();
                                move |_| {
                                    let keep_volume = !ops.delete_files.get_untracked();
                                    ops.run(reference.clone(), Op::Delete { keep_volume });
                                }
                            }
                        >
                            "Delete workspace"
                        </button>
                        <button class="button" on:click=move |_| ops.confirming.set(None)>
                            "Cancel"
                        </button>
                    </div>
                </td>
            </tr>
        </Show>
        <Show when={
            let key = key.clone();
            move || ops.sharing.get().as_deref() == Some(key.as_str())
        }>
            <tr class="confirm-row">
                <td colspan="9">
                    <SharePanel workspace=shared_ref.clone() drafts=ops.drafts />
                </td>
            </tr>
        </Show>
        <Show when={
            let key = key.clone();
            move || ops.connecting.get().as_deref() == Some(key.as_str())
        }>
            <tr class="confirm-row">
                <td colspan="9">
                    <ConnectPanel workspace=connect_ref.clone() />
                </td>
            </tr>
        </Show>
        <Show when={
            let key = key.clone();
            move || ops.limits.get().as_deref() == Some(key.as_str())
        }>
            <tr class="confirm-row">
                <td colspan="9">
                    <LimitsPanel
                        workspace=limits_ref.clone()
                        limits
                        idle_minutes
                        drafts=ops.drafts
                        on_saved=Callback::new(move |_| ops.limits_saved())
                    />
                </td>
            </tr>
        </Show>
        <Show when=move || row.error.with(Option::is_some)>
            <tr class="error-row">
                <td colspan="9" role="alert">{move || row.error.get()}</td>
            </tr>
        </Show>
    }
}
