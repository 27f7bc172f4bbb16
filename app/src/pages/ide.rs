//! `/workspaces/{name}`: the IDE for one workspace — file tree, editors and terminals, all
//! working inside its container.

use leptos::prelude::*;
use leptos_meta::{Link, Script, Title};
use leptos_router::hooks::use_params_map;

use crate::components::ide::editors::EditorPanel;
use crate::components::ide::file_tree::FileTree;
use crate::components::ide::state::Ide;
use crate::components::ide::terminals::TerminalPanel;
use crate::components::ide::{scripts_loaded, SCRIPT, STYLESHEET};
use crate::error::AppError;
use crate::model::WorkspaceName;

#[component]
pub fn IdePage() -> impl IntoView {
    let params = use_params_map();
    let raw = params.with_untracked(|p| p.get("name").unwrap_or_default());
    match WorkspaceName::parse(&raw) {
        Ok(name) => view! { <Ide name /> }.into_any(),
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

#[component]
fn Ide(name: WorkspaceName) -> impl IntoView {
    let ide = Ide::new(name.to_string());
    provide_context(ide);
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
    view! {
        <Title text=format!("{name} · AiCockpit") />
        <Link rel="stylesheet" href=STYLESHEET />
        <Script src=SCRIPT />
        <div class="ide">
            <header class="ide-header">
                <a href="/" class="back" title="All workspaces">"← Workspaces"</a>
                <h1>{name.to_string()}</h1>
                <p class="notice" class:error=move || notice().is_some_and(|n| n.is_error)
                    role="status" data-testid="notice">
                    {move || notice().map(|n| n.text)}
                </p>
            </header>
            <FileTree />
            <div class="ide-main">
                <EditorPanel />
                <TerminalPanel workspace=name.to_string() />
            </div>
        </div>
    }
}
