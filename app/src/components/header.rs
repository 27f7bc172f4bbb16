//! The top bar shown on every page: the sections, and who is signed in with a way out.

use leptos::prelude::*;

use crate::api::auth::{sign_out, signed_in_user};
use crate::auth::Role;
use crate::components::navigation::go_to;

#[component]
pub fn Header(
    /// The section this page belongs to, marked as current.
    #[prop(default = "/")]
    current: &'static str,
) -> impl IntoView {
    let user = Resource::new(|| (), |_| signed_in_user());
    let leave = Action::new(|_: &()| sign_out());
    Effect::new(move |_| {
        if leave.value().get().is_some() {
            go_to("/sign-in");
        }
    });
    let link = move |href: &'static str, label: &'static str| {
        view! {
            <a href=href aria-current=(current == href).then_some("page")>{label}</a>
        }
    };
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                "AiCockpit"
            </a>
            <nav aria-label="Main">
                {link("/", "Workspaces")}
                <Transition>
                    {move || user.get().and_then(Result::ok).filter(|u| u.role == Role::Admin).map(|_| {
                        view! {
                            <a href="/admin/users" aria-current=(current == "/admin/users").then_some("page")>"Users"</a>
                            <a href="/admin/audit" aria-current=(current == "/admin/audit").then_some("page")>"Audit"</a>
                            <a href="/admin/templates" aria-current=(current == "/admin/templates").then_some("page")>"Templates"</a>
                        }
                    })}
                </Transition>
            </nav>
            <div class="user-menu">
                <Transition>
                    {move || user.get().and_then(Result::ok).map(|u| view! {
                        <a href="/account" class="who" title="Your account: password and API tokens"
                            aria-current=(current == "/account").then_some("page")>
                            {u.name.to_string()}
                            <span class="muted">{format!(" · {}", u.role.label())}</span>
                        </a>
                    })}
                </Transition>
                <button class="button" on:click=move |_| { leave.dispatch(()); }>"Sign out"</button>
            </div>
        </header>
    }
}
