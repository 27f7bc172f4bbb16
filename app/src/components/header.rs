//! The top bar shown on every page.

use leptos::prelude::*;

#[component]
pub fn Header() -> impl IntoView {
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                "AiCockpit"
            </a>
            <nav aria-label="Main">
                <a href="/" aria-current="page">"Workspaces"</a>
            </nav>
        </header>
    }
}
