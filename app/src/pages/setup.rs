//! `/setup?token=…`: the first admin, on a server without users. The token is the one the
//! server printed when it started (and wrote beside its database); it works once.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::auth::set_up;
use crate::auth::{check_new_password, UserName};
use crate::components::navigation::go_to;
use crate::error::{AppError, Field};

#[component]
pub fn SetupPage() -> impl IntoView {
    let query = use_query_map();
    let token = query.with_untracked(|q| q.get("token").unwrap_or_default());
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let action = Action::new(|(token, name, password): &(String, String, String)| {
        set_up(token.clone(), name.clone(), password.clone())
    });
    Effect::new(move |_| match action.value().get() {
        Some(Ok(_)) => go_to("/"),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let field_error = move |field: Field| {
        error
            .get()
            .filter(|e| e.field() == Some(field))
            .map(|e| e.to_string())
    };
    let has_token = !token.is_empty();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (chosen, secret) = (name.get_untracked(), password.get_untracked());
        let checked = UserName::parse(&chosen).and_then(|_| check_new_password(&secret));
        let checked = checked.and_then(|_| match secret == repeat.get_untracked() {
            true => Ok(()),
            false => Err(AppError::invalid(
                Field::Password,
                "The two passwords differ.",
            )),
        });
        match checked {
            Ok(()) => {
                error.set(None);
                action.dispatch((token.clone(), chosen, secret));
            }
            Err(e) => error.set(Some(e)),
        }
    };
    let pending = action.pending();
    view! {
        <Title text="Set up · AiCockpit" />
        <main class="page narrow auth-page">
            <section class="card">
                <h1>"Welcome to AiCockpit"</h1>
                <p class="muted">"Create the first account. It will be an admin: it manages users and sees every workspace."</p>
                {(!has_token).then(|| view! {
                    <p class="form-error" role="alert">
                        "This page needs the set-up link the server printed when it started (the token is also in the file "
                        <code>"<database>.setup-token"</code>
                        " beside its database). Or create the admin on the server: "
                        <code>"aicockpit user add --admin NAME"</code>
                    </p>
                })}
                <form class="create-form" on:submit=submit novalidate>
                    <div class="field">
                        <label for="setup-name">"User name"</label>
                        <input id="setup-name" name="username" autocomplete="username"
                            autocapitalize="none" spellcheck="false"
                            aria-describedby="setup-name-help setup-name-error"
                            prop:value=move || name.get()
                            on:input=move |ev| name.set(event_target_value(&ev)) />
                        <small id="setup-name-help" class="muted">"Lowercase letters, digits and hyphens."</small>
                        <p id="setup-name-error" class="field-error" role="alert">{move || field_error(Field::UserName)}</p>
                    </div>
                    <div class="field">
                        <label for="setup-password">"Password"</label>
                        <input id="setup-password" name="password" type="password" autocomplete="new-password"
                            aria-describedby="setup-password-error"
                            prop:value=move || password.get()
                            on:input=move |ev| password.set(event_target_value(&ev)) />
                    </div>
                    <div class="field">
                        <label for="setup-repeat">"The same password again"</label>
                        <input id="setup-repeat" name="repeat" type="password" autocomplete="new-password"
                            prop:value=move || repeat.get()
                            on:input=move |ev| repeat.set(event_target_value(&ev)) />
                        <p id="setup-password-error" class="field-error" role="alert">{move || field_error(Field::Password)}</p>
                    </div>
                    <div class="form-actions">
                        <button class="button primary" type="submit" disabled=move || pending.get() || !has_token>
                            {move || if pending.get() { "Creating…" } else { "Create the admin account" }}
                        </button>
                    </div>
                    <p class="form-error" role="alert">
                        {move || error.get().filter(|e| e.field().is_none()).map(|e| e.to_string())}
                    </p>
                </form>
            </section>
        </main>
    }
}
