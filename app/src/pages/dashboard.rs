//! `/`: the workspace dashboard. Server-rendered, then kept live by `live_updates`.

use leptos::prelude::*;

use crate::api::workspaces::list_workspaces;
use crate::components::create_form::CreateForm;
use crate::components::creation_progress::UnfinishedCreations;
use crate::components::header::Header;
use crate::components::live_updates::follow_changes;
use crate::components::usage::{ServerTotals, UsageBoard};
use crate::components::workspace_ops::WorkspaceOps;
use crate::components::workspace_table::WorkspaceTable;
use crate::error::AppError;

#[component]
pub fn Dashboard() -> impl IntoView {
    let refresh = RwSignal::new(0u32);
    follow_changes(refresh);
    let list = Resource::new(move || refresh.get(), |_| list_workspaces());
    let on_change = Callback::new(move |_: ()| refresh.update(|n| *n = n.wrapping_add(1)));
    let ops = WorkspaceOps::new(on_change);
    let usage = UsageBoard::follow(None);

    view! {
        <Header />
        <main class="page">
            <ServerTotals board=usage />
            <Transition fallback=|| view! { <p class="muted">"Loading workspaces…"</p> }>
                // A synchronous read of the resource, re-rendered in place on each refetch:
                // live updates refetch often, and overlapping async renders could leave a
                // stale table behind.
                {move || {
                    list.get()
                        .map(|result| match result {
                            Ok(list) => view! { <WorkspaceTable list ops usage /> }.into_any(),
                            Err(error) => view! { <OutageBanner error /> }.into_any(),
                        })
                }}
            </Transition>
            <UnfinishedCreations on_change />
            <CreateForm on_change />
        </main>
    }
}

/// Shown instead of the list when it cannot be loaded, with what to do about it.
#[component]
fn OutageBanner(error: AppError) -> impl IntoView {
    let title = match &error {
        AppError::EngineUnavailable { engine, .. } => format!("{engine} is not reachable"),
        _ => "Workspaces could not be loaded".to_owned(),
    };
    view! {
        <section class="banner error" role="alert" data-testid="outage">
            <h2>{title}</h2>
            <p>{error.to_string()}</p>
            <p class="muted">"This page reconnects on its own once the problem is fixed."</p>
        </section>
    }
}
