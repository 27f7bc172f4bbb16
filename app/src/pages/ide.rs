//! `/workspaces/{owner}/{name}`: the IDE for one workspace — file tree, editors and terminals, all
//! working inside its container.

use leptos::prelude::*;
use leptos_meta::{Link, Script, Title};
use leptos_router::hooks::use_params_map;

use crate::api::workspaces::{describe_workspace, start_workspace};
use crate::auth::{Access, WorkspaceRef};
use crate::components::connect_panel::ConnectPanel;
use crate::components::ide::agent_panel::AgentPanel;
use crate::components::ide::chat::ChatPanel;
use crate::components::ide::editors::EditorPanel;
use crate::components::ide::file_tree::FileTree;
use crate::components::ide::network_panel::NetworkPanel;
use crate::components::ide::ports_panel::{watch_ports, PortsPanel};
use crate::components::ide::state::Ide;
use crate::components::ide::terminals::TerminalPanel;
use crate::components::ide::{scripts_loaded, SCRIPT, STYLESHEET};
use crate::components::usage::{UsageBoard, UsageStrip};
use crate::error::AppError;
use crate::model::WorkspaceStatus;

#[component]
pub fn IdePage() -> impl IntoView {
    let params = use_params_map();
    let raw = params.with_untracked(|p| {
        let part = |key| p.get(key).unwrap_or_default();
        format!("{}/{}", part("owner"), part("name"))
    });
    match WorkspaceRef::parse(&raw) {
        Ok(workspace) => view! { <Ide workspace /> }.into_any(),
        Err(error) => view! {
            <main class="page">
                <section class="banner error" role="alert">
                    <h2>"No such workspace"</h2>
                    <p>{error.to_string()}</p>
                    <p><a href="/">"Back to the workspaces"</a></p>
                </section>
            </main>
        }
        .into_any(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Chat,
    Agent,
    Ports,
    Network,
}

#[component]
fn Ide(workspace: WorkspaceRef) -> impl IntoView {
    let ide = Ide::new(workspace.clone());
    let name = workspace.to_string();
    let usage = UsageBoard::follow(Some(name.clone()));
    // What this user may do here (a viewer watches): asked once the page runs; a stopped
    // workspace is started by whoever may use it.
    let asked = workspace.clone();
    Effect::new(move |_| {
        let asked = asked.clone();
        leptos::task::spawn_local(async move {
            match describe_workspace(asked.clone()).await {
                Ok(described) => {
                    ide.access.set(Some(described.access));
                    // Opening a stopped workspace (stopped unused, say) starts it.
                    if described.status == WorkspaceStatus::Stopped && described.access.can_use() {
                        ide.info("Starting the workspace…");
                        match start_workspace(asked).await {
                            Ok(()) => ide.info(
                                "Workspace started. Press a key in a terminal to reconnect it.",
                            ),
                            Err(error) => ide.error(&error),
                        }
                        ide.refresh_tree();
                    }
                }
                Err(error) => ide.error(&error),
            }
        });
    });
    let view_only = move || ide.access.get() == Some(Access::Viewer);
    provide_context(ide);
    let ports = watch_ports(ide);
    let open_ports = move || ports.with(|p| p.iter().filter(|p| p.problem().is_none()).count());
    // Without the bundle there is no terminal or editor: say why instead of waiting.
    Effect::new(move |_| {
        set_timeout(
            move || {
                if !scripts_loaded() {
                    ide.error(&AppError::Internal(format!(
                        "the terminal and editor scripts ({SCRIPT}) did not load; build the site with scripts/run, which bundles them"
                    )));
                }
            },
            std::time::Duration::from_secs(10),
        );
    });
    let notice = move || ide.notice.get();
    // The side panel open beside the editor, if any.
    let side = RwSignal::new(None::<Side>);
    let toggle = move |panel: Side| side.update(|s| *s = (*s != Some(panel)).then_some(panel));
    // How to reach it over SSH, loaded when asked for.
    let connecting = RwSignal::new(false);
    let connect_to = workspace.clone();
    view! {
        <Title text=format!("{name} · AiCockpit") />
        <Link rel="stylesheet" href=STYLESHEET />
        <Script src=SCRIPT />
        <div class="ide" class:with-chat=move || side.get().is_some()>
            <header class="ide-header">
                <a href="/" class="back" title="All workspaces">"← Workspaces"</a>
                <h1>{name.to_string()}</h1>
                <Show when=move || { ide.present.with(|p| p.len() > 1) }>
                    <span class="present muted" data-testid="present" title="Who has this workspace open">
                        {move || format!("Here: {}", ide.present.get().join(", "))}
                    </span>
                </Show>
                <Show when=view_only>
                    <span class="badge" data-testid="view-only"
                        title="Shared with you as a viewer: you see files and terminals, but cannot type, save or change anything">
                        "View only"
                    </span>
                </Show>
                <UsageStrip board=usage workspace=name.clone() />
                <p class="notice" class:error=move || notice().is_some_and(|n| n.is_error)
                    role="status" data-testid="notice">
                    {move || notice().map(|n| n.text)}
                </p>
                <Show when=move || ide.access.get().is_some_and(|a| a.can_use())>
                    <button type="button" class="button-like" data-testid="ports-button"
                        aria-pressed=move || (side.get() == Some(Side::Ports)).to_string()
                        on:click=move |_| toggle(Side::Ports)>
                        "Ports"
                        <Show when=move || { open_ports() > 0 }>
                            <span class="count" data-testid="ports-count">{open_ports}</span>
                        </Show>
                    </button>
                </Show>
                <Show when=move || ide.access.get().is_some_and(|a| a.can_use())>
                    <button type="button" class="button-like" data-testid="connect-button"
                        title="Reach this workspace from your own editor over SSH"
                        aria-pressed=move || connecting.get().to_string()
                        on:click=move |_| connecting.update(|open| *open = !*open)>
                        "Connect"
                    </button>
                </Show>
                <button type="button" class="button-like" data-testid="network-button"
                    aria-pressed=move || (side.get() == Some(Side::Network)).to_string()
                    on:click=move |_| toggle(Side::Network)>
                    "Network"
                </button>
                <button type="button" class="button-like" aria-pressed=move || (side.get() == Some(Side::Chat)).to_string()
                    on:click=move |_| toggle(Side::Chat)>
                    "AI assistant"
                </button>
                <button type="button" class="button-like" aria-pressed=move || (side.get() == Some(Side::Agent)).to_string()
                    on:click=move |_| toggle(Side::Agent)>
                    "Agent"
                </button>
            </header>
            <Show when=move || connecting.get()>
                <div class="ide-connect">
                    <ConnectPanel workspace=connect_to.clone() />
                </div>
            </Show>
            <FileTree />
            <div class="ide-main">
                <EditorPanel />
                <TerminalPanel workspace />
            </div>
            <Show when=move || side.get() == Some(Side::Chat)>
                <ChatPanel />
            </Show>
            <Show when=move || side.get() == Some(Side::Agent)>
                <AgentPanel />
            </Show>
            <Show when=move || side.get() == Some(Side::Ports)>
                <PortsPanel ports />
            </Show>
            <Show when=move || side.get() == Some(Side::Network)>
                <NetworkPanel />
            </Show>
        </div>
    }
}
