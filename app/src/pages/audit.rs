//! `/admin/audit`: who did what, when, to which workspace, from where; newest first and
//! filterable. Admins see everything; others what they did and what happened to their
//! workspaces.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::agent::run_page;
use crate::api::auth::audit_log;
use crate::auth::{AuditFilter, WorkspaceRef};
use crate::components::header::Header;
use crate::model::{format_age, unix_now};

#[component]
pub fn AuditPage() -> impl IntoView {
    let filter = RwSignal::new(AuditFilter::default());
    let entries = Resource::new(move || filter.get(), audit_log);
    let input = move |id: &'static str, label: &'static str, set: fn(&mut AuditFilter, String)| {
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input id=id autocomplete="off" spellcheck="false"
                    on:change=move |ev| filter.update(|f| set(f, event_target_value(&ev))) />
            </div>
        }
    };
    view! {
        <Title text="Audit log · AiCockpit" />
        <Header current="/admin/audit" />
        <main class="page">
            <section class="card" aria-labelledby="audit-title">
                <h2 id="audit-title">"Audit log"</h2>
                <form class="filters" on:submit=|ev| ev.prevent_default()>
                    {input("audit-actor", "User", |f, v| f.actor = v)}
                    {input("audit-action", "Action (prefix)", |f, v| f.action = v)}
                    {input("audit-workspace", "Workspace", |f, v| f.workspace = v)}
                </form>
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || entries.get().map(|result| match result {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"Nothing matches."</p> }.into_any(),
                        Ok(list) => {
                            let now = unix_now();
                            view! {
                                <div class="table-scroll">
                                    <table class="workspaces audit">
                                        <thead><tr>
                                            <th scope="col">"When"</th>
                                            <th scope="col">"Who"</th>
                                            <th scope="col">"What"</th>
                                            <th scope="col">"Workspace"</th>
                                            <th scope="col">"Detail"</th>
                                            <th scope="col">"From"</th>
                                        </tr></thead>
                                        <tbody>
                                            {list.into_iter().map(|e| view! {
                                                <tr data-action=e.action.clone() data-actor=e.actor.clone().unwrap_or_default()>
                                                    <td>{format!("{} ago", format_age(now - e.at))}</td>
                                                    <td>{e.actor.clone().unwrap_or_else(|| "—".into())}</td>
                                                    <td>{e.action.clone()}</td>
                                                    <td>{e.workspace.clone().unwrap_or_default()}</td>
                                                    <td>{detail(&e.action, e.workspace.as_deref(), e.detail.unwrap_or_default())}</td>
                                                    <td>{e.address.unwrap_or_default()}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                            }.into_any()
                        }
                        Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                    })}
                </Transition>
            </section>
        </main>
    }
}

/// An agent entry's detail links to its run's transcript.
fn detail(action: &str, workspace: Option<&str>, detail: String) -> impl IntoView {
    let run = detail.split(':').next().unwrap_or_default();
    let is_run = run.len() == 32 && run.chars().all(|c| c.is_ascii_hexdigit());
    let target = workspace
        .and_then(|w| WorkspaceRef::parse(w).ok())
        .filter(|_| action.starts_with("agent-") && is_run)
        .map(|w| run_page(&w, run));
    match target {
        Some(href) => view! { <a href=href>{detail}</a> }.into_any(),
        None => detail.into_any(),
    }
}
