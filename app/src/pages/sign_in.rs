//! `/sign-in`: name and password; back to the page that sent the user here.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::auth::sign_in;
use crate::components::navigation::{go_to, local_path};
use crate::error::AppError;

#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || local_path(&query.with_untracked(|q| q.get("next").unwrap_or_default()));
    let changed = query.with_untracked(|q| q.get("changed").is_some());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let action =
        Action::new(|(name, password): &(String, String)| sign_in(name.clone(), password.clone()));
    Effect::new(move |_| match action.value().get() {
        Some(Ok(_)) => go_to(&next()),
        Some(Err(e)) => {
            error.set(Some(e));
            password.set(String::new());
        }
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        action.dispatch((name.get_untracked(), password.get_untracked()));
    };
    let pending = action.pending();
    view! {
        <Title text="Sign in · AiCockpit" />
        <main class="page narrow auth-page">
            <section class="card">
                <h1><span class="brand-mark" aria-hidden="true">"◆ "</span>"Sign in to AiCockpit"</h1>
                {changed.then(|| view! {
                    <p class="success" role="status">"Your password was changed and every session ended. Sign in with the new password."</p>
                })}
                <form class="create-form" on:submit=submit>
                    <div class="field">
                        <label for="user-name">"User name"</label>
                        <input id="user-name" name="username" autocomplete="username"
                            autocapitalize="none" spellcheck="false" required
                            prop:value=move || name.get()
                            on:input=move |ev| name.set(event_target_value(&ev)) />
                    </div>
                    <div class="field">
                        <label for="password">"Password"</label>
                        <input id="password" name="password" type="password"
                            autocomplete="current-password" required
                            prop:value=move || password.get()
                            on:input=move |ev| password.set(event_target_value(&ev)) />
                    </div>
                    <div class="form-actions">
                        <button class="button primary" type="submit" disabled=move || pending.get()>
                            {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                        </button>
                    </div>
                    <p class="form-error" role="alert">{move || error.get().map(|e| e.to_string())}</p>
                </form>
            </section>
        </main>
    }
}
