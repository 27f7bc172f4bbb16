//! Sharing one workspace, below its row on the dashboard: who has it and as what, a form
//! to share it with someone (viewer or editor), and changing or removing a share. Open
//! pages and terminals of the people concerned follow at once.

use leptos::prelude::*;

use super::workspace_ops::Drafts;
use crate::api::workspaces::{share_workspace, workspace_shares};
use crate::auth::{Share, ShareRole, WorkspaceRef};
use crate::error::AppError;

#[component]
pub fn SharePanel(workspace: WorkspaceRef, drafts: Drafts) -> impl IntoView {
    let refresh = RwSignal::new(0u32);
    let target = workspace.clone();
    let shares = Resource::new(
        move || refresh.get(),
        move |_| workspace_shares(target.clone()),
    );
    let user = drafts.field(&workspace.to_string(), "share-user", String::new());
    let role = RwSignal::new(ShareRole::Viewer);
    let error = RwSignal::new(None::<AppError>);
    let target = workspace.clone();
    let change = Action::new(move |(user, role): &(String, Option<ShareRole>)| {
        share_workspace(target.clone(), user.clone(), *role)
    });
    Effect::new(move |_| match change.value().get() {
        Some(Ok(())) => {
            user.set(String::new());
            refresh.update(|n| *n += 1);
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let run = move |who: String, as_role: Option<ShareRole>| {
        error.set(None);
        change.dispatch((who, as_role));
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        run(user.get_untracked(), Some(role.get_untracked()));
    };
    let label = format!("Share {workspace}");
    view! {
        <div class="share-panel" role="group" aria-label=label>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || shares.get().map(|result| match result {
                    Ok(list) if list.is_empty() => view! { <p class="muted">"Not shared with anyone."</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="shares">
                            {list.into_iter().map(|share| view! { <ShareRow share run /> }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
            <form class="inline-form" on:submit=submit>
                <div class="field">
                    <label for=format!("share-user-{workspace}")>"Share with (user name)"</label>
                    <input id=format!("share-user-{workspace}") autocomplete="off" autocapitalize="none"
                        spellcheck="false"
                        prop:value=move || user.get()
                        on:input=move |ev| user.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for=format!("share-role-{workspace}")>"As"</label>
                    <select id=format!("share-role-{workspace}")
                        on:change=move |ev| role.set(if event_target_value(&ev) == "editor" { ShareRole::Editor } else { ShareRole::Viewer })>
                        <option value="viewer">"viewer (watches, cannot type or save)"</option>
                        <option value="editor">"editor (full use, cannot delete or share)"</option>
                    </select>
                </div>
                <button class="button primary" type="submit" disabled=move || change.pending().get()>"Share"</button>
            </form>
            <p class="form-error" role="alert">{move || error.get().map(|e| e.to_string())}</p>
        </div>
    }
}

#[component]
fn ShareRow(
    share: Share,
    run: impl Fn(String, Option<ShareRole>) + Copy + 'static,
) -> impl IntoView {
    let Share { user, role } = share;
    let other = match role {
        ShareRole::Viewer => ShareRole::Editor,
        ShareRole::Editor => ShareRole::Viewer,
    };
    let (u1, u2) = (user.to_string(), user.to_string());
    view! {
        <li data-share=user.to_string()>
            <strong>{user.to_string()}</strong>
            <span class="muted">{format!(" · {}", role.label())}</span>
            <button class="button" on:click=move |_| run(u1.clone(), Some(other))>
                {format!("Make {}", other.label())}
            </button>
            <button class="button danger-outline" on:click=move |_| run(u2.clone(), None)>"Remove"</button>
        </li>
    }
}
