//! The IDE's network: where the workspace's processes may connect to (its level, which its
//! owner changes here within the server's maximum, and the hosts its allowlist holds), and
//! every destination they asked AiCockpit's proxy for, allowed or refused.

use leptos::prelude::*;

use super::state::Ide;
use crate::api::workspaces::{set_workspace_network, workspace_network};
use crate::model::{format_age, unix_now, NetworkLevel, NetworkView};

/// How often the destinations are read again while the panel is open.
const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(3);

#[component]
pub fn NetworkPanel() -> impl IntoView {
    let ide = expect_context::<Ide>();
    let network = RwSignal::new(None::<NetworkView>);
    let read = move || {
        if document().hidden() {
            return;
        }
        let workspace = ide.workspace.get_value();
        leptos::task::spawn_local(async move {
            match workspace_network(workspace).await {
                Ok(now) => network.set(Some(now)),
                Err(error) => ide.error(&error),
            }
        });
    };
    read();
    if let Ok(interval) = set_interval_with_handle(read, REFRESH_EVERY) {
        on_cleanup(move || interval.clear());
    }
    let change = move |value: String| {
        let Some(level) = NetworkLevel::parse(&value) else {
            return;
        };
        let workspace = ide.workspace.get_value();
        leptos::task::spawn_local(async move {
            match set_workspace_network(workspace, level).await {
                Ok(now) => {
                    ide.info(format!("Network: {}. {}", level.as_str(), level.describe()));
                    network.set(Some(now));
                }
                Err(error) => {
                    ide.error(&error);
                    read();
                }
            }
        });
    };
    view! {
        <aside class="chat-panel network-panel" aria-label="Network" data-testid="network">
            {move || network.get().map(|view| {
                let level = view.level;
                let max = view.bounds.max;
                let open_unavailable = view.bounds.open_unavailable.clone();
                view! {
                    <div class="chat-providers">
                        <label for="network-level">"Network"</label>
                        <select id="network-level" data-testid="network-level" disabled=!view.may_change
                            on:change=move |ev| change(event_target_value(&ev))>
                            {NetworkLevel::ALL.into_iter().map(|option| {
                                let unavailable = option > max
                                    || option == NetworkLevel::Open && open_unavailable.is_some();
                                view! {
                                    <option value=option.as_str() selected=option == level disabled=unavailable>
                                        {option.as_str()}
                                    </option>
                                }
                            }).collect_view()}
                        </select>
                    </div>
                    <p class="chat-note muted" data-testid="network-describe">{level.describe()}</p>
                    {(!view.may_change).then(|| view! {
                        <p class="chat-note muted">"Only its owner (or an admin) changes it."</p>
                    })}
                    {view.bounds.open_unavailable.clone().map(|why| view! {
                        <p class="chat-note muted">"Open is not available here: " {why}</p>
                    })}
                    {(level == NetworkLevel::Allowlist).then(|| view! {
                        <details class="allowlist">
                            <summary>{format!("{} allowed hosts", view.allowed_hosts.len())}</summary>
                            <ul>{view.allowed_hosts.iter().map(|h| view! { <li><code>{h.clone()}</code></li> }).collect_view()}</ul>
                        </details>
                    })}
                    <h3>"Destinations"</h3>
                    {match view.recent.is_empty() {
                        true => view! { <p class="chat-note muted">"Nothing asked for yet. Tools reach out through " <code>"HTTP_PROXY"</code> ", set in every terminal."</p> }.into_any(),
                        false => view! {
                            <table class="workspaces egress" data-testid="destinations">
                                <thead><tr>
                                    <th scope="col">"Where"</th>
                                    <th scope="col">""</th>
                                    <th scope="col">"Times"</th>
                                    <th scope="col">"Last"</th>
                                </tr></thead>
                                <tbody>
                                    {view.recent.iter().map(|r| view! {
                                        <tr data-allowed=r.allowed.to_string() title=r.reason.clone()>
                                            <th scope="row"><code>{format!("{}:{}", r.host, r.port)}</code></th>
                                            <td>{if r.allowed { "allowed" } else { "refused" }}</td>
                                            <td>{r.count}</td>
                                            <td>{format!("{} ago", format_age(unix_now() - r.last_at))}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    }}
                }
            })}
        </aside>
    }
}
