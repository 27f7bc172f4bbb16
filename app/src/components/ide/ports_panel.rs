//! The IDE's ports: what listens inside the workspace (and what its template names), each
//! with an Open button to its preview, and, for whoever manages the workspace, share links
//! that expire.

use leptos::prelude::*;

use super::state::Ide;
use crate::api::previews::{preview_links, revoke_preview_link, share_port, workspace_ports};
use crate::model::{
    format_expiry, preview_path, unix_now, LinkLifetime, PreviewLink, WorkspacePort,
};

/// How often the list is read again while the page is visible.
const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(3);

/// The workspace's ports, read now and then while the page is visible, for the header's
/// count and the panel.
pub fn watch_ports(ide: Ide) -> RwSignal<Vec<WorkspacePort>> {
    let ports = RwSignal::new(Vec::new());
    Effect::new(move |_| {
        let read = move || {
            if document().hidden() || !ide.access.get_untracked().is_some_and(|a| a.can_use()) {
                return;
            }
            let workspace = ide.workspace.get_value().to_string();
            leptos::task::spawn_local(async move {
                // A stopped workspace has no ports; the error is not worth a notice.
                let now = workspace_ports(workspace).await.unwrap_or_default();
                if ports.with_untracked(|p| *p != now) {
                    ports.set(now);
                }
            });
        };
        read();
        let interval = set_interval_with_handle(read, REFRESH_EVERY).ok();
        on_cleanup(move || {
            if let Some(interval) = interval {
                interval.clear();
            }
        });
    });
    // Read at once when the access is known.
    Effect::new(move |_| {
        if ide.access.get().is_some_and(|a| a.can_use()) {
            let workspace = ide.workspace.get_value().to_string();
            leptos::task::spawn_local(async move {
                if let Ok(now) = workspace_ports(workspace).await {
                    ports.set(now);
                }
            });
        }
    });
    ports
}

#[component]
pub fn PortsPanel(ports: RwSignal<Vec<WorkspacePort>>) -> impl IntoView {
    let ide = expect_context::<Ide>();
    let workspace = ide.workspace.get_value();
    let manages = move || ide.access.get().is_some_and(|a| a.can_manage());
    let links = RwSignal::new(Vec::<PreviewLink>::new());
    let reload_links = move || {
        let name = ide.workspace.get_value().to_string();
        leptos::task::spawn_local(async move {
            match preview_links(name).await {
                Ok(now) => links.set(now),
                Err(error) => ide.error(&error),
            }
        });
    };
    Effect::new(move |_| {
        if manages() {
            reload_links();
        }
    });
    let lifetime = RwSignal::new(LinkLifetime::Day);
    let share = move |port: u16| {
        let name = ide.workspace.get_value().to_string();
        let lifetime = lifetime.get_untracked().label().to_owned();
        leptos::task::spawn_local(async move {
            match share_port(name, port.to_string(), lifetime).await {
                Ok(_) => {
                    ide.info(format!("Share link for port {port} made: copy it below."));
                    reload_links();
                }
                Err(error) => ide.error(&error),
            }
        });
    };
    let revoke = move |id: i64| {
        let name = ide.workspace.get_value().to_string();
        leptos::task::spawn_local(async move {
            match revoke_preview_link(name, id).await {
                Ok(()) => reload_links(),
                Err(error) => ide.error(&error),
            }
        });
    };
    let origin = || window().location().origin().unwrap_or_default();

    view! {
        <aside class="chat-panel ports-panel" aria-label="Ports" data-testid="ports">
            <p class="chat-note muted">
                "Servers listening in the workspace open here, for you and whoever may use it. Previews run sandboxed: no cookies or local storage, and the app must use relative links."
            </p>
            <Show when=move || ports.with(Vec::is_empty)>
                <p class="chat-note" data-testid="no-ports">
                    "Nothing is listening yet. Start a server in a terminal, for example "
                    <code>"python3 -m http.server 8000"</code>"."
                </p>
            </Show>
            <Show when=manages>
                <div class="chat-providers">
                    <label for="link-lifetime">"Share links last"</label>
                    <select id="link-lifetime" on:change=move |ev| {
                        if let Some(chosen) = LinkLifetime::parse(&event_target_value(&ev)) {
                            lifetime.set(chosen);
                        }
                    }>
                        {LinkLifetime::ALL.into_iter().map(|l| view! {
                            <option value=l.label() selected=l == LinkLifetime::Day>{l.label()}</option>
                        }).collect_view()}
                    </select>
                </div>
            </Show>
            <ul class="port-list">
                <For each=move || ports.get() key=|p| p.clone() let:port>
                    {
                        let href = preview_path(&workspace, port.port);
                        let number = port.port;
                        let problem = port.problem();
                        view! {
                            <li class="port" data-testid="port" data-port=number.to_string()>
                                <span class="port-number">{number}</span>
                                {port.forwarded.then(|| view! { <span class="badge" title="Named in the template">"forwarded"</span> })}
                                {match problem {
                                    None => view! {
                                        <a class="button-like" href=href target="_blank" rel="noopener">"Open"</a>
                                    }.into_any(),
                                    Some(problem) => view! { <span class="muted port-problem">{problem}</span> }.into_any(),
                                }}
                                <Show when=manages>
                                    <button type="button" on:click=move |_| share(number)
                                        title="A link anyone can open until it expires">
                                        "Share link"
                                    </button>
                                </Show>
                            </li>
                        }
                    }
                </For>
            </ul>
            <Show when=manages>
                <ul class="port-list" data-testid="share-links">
                    <For each=move || links.get() key=|l| l.id let:link>
                        {
                            let url = format!("{}{}", origin(), link.path);
                            let id = link.id;
                            view! {
                                <li class="share-link" data-testid="share-link">
                                    <span>{format!("Port {} · {}", link.port, format_expiry(link.expires_at, unix_now()))}</span>
                                    <input type="text" readonly value=url aria-label="Share link"
                                        on:focus=move |ev| {
                                            use wasm_bindgen::JsCast;
                                            if let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                                                input.select();
                                            }
                                        } />
                                    <button type="button" on:click=move |_| revoke(id)>"Revoke"</button>
                                </li>
                            }
                        }
                    </For>
                </ul>
            </Show>
        </aside>
    }
}
