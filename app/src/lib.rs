//! AiCockpit's shared Leptos crate: the page shell, routes, pages, components, server
//! functions and the types both the browser and the server use.

// Leptos view types nest deeply; release builds (no type erasure) need the headroom.
#![recursion_limit = "256"]

pub mod agent;
pub mod ai;
pub mod api;
pub mod auth;
pub mod components;
pub mod error;
pub mod files;
pub mod image_reference;
pub mod model;
pub mod names;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
pub mod terminal;
pub mod wire;
pub mod workspace_path;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

use pages::dashboard::Dashboard;

/// The HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects only run in the browser: this marks the page as interactive, which the
    // browser tests wait for instead of sleeping.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Stylesheet id="leptos" href="/pkg/aicockpit.css" />
        <Title text="AiCockpit" />
        <Router>
            <Routes fallback=|| view! { <pages::not_found::NotFound /> }>
                <Route path=path!("") view=Dashboard />
                <Route path=path!("/sign-in") view=pages::sign_in::SignInPage />
                <Route path=path!("/setup") view=pages::setup::SetupPage />
                <Route path=path!("/account") view=pages::account::AccountPage />
                <Route path=path!("/admin/users") view=pages::users::UsersPage />
                <Route path=path!("/admin/audit") view=pages::audit::AuditPage />
                <Route path=path!("/admin/templates") view=pages::templates::TemplatesPage />
                <Route path=path!("/workspaces/:owner/:name") view=pages::ide::IdePage />
                <Route path=path!("/workspaces/:owner/:name/agent/:run") view=pages::agent_run::AgentRunPage />
            </Routes>
        </Router>
    }
}
