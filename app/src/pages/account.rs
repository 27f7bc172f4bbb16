//! `/account`: the signed-in user's password and personal API tokens.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::auth::{change_password, create_token, list_tokens, revoke_token};
use crate::auth::{check_new_password, NewToken};
use crate::components::header::Header;
use crate::components::navigation::go_to;
use crate::error::{AppError, Field};
use crate::model::{format_age, unix_now};

#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <Title text="Account · AiCockpit" />
        <Header current="/account" />
        <main class="page narrow">
            <PasswordCard />
            <TokensCard />
        </main>
    }
}

#[component]
fn PasswordCard() -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let action = Action::new(|(current, new): &(String, String)| {
        change_password(current.clone(), new.clone())
    });
    Effect::new(move |_| match action.value().get() {
        // Every session ended, this one too: sign in again with the new password.
        Some(Ok(())) => go_to("/sign-in?changed=1&next=/account"),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let chosen = new.get_untracked();
        let checked =
            check_new_password(&chosen).and_then(|_| match chosen == repeat.get_untracked() {
                true => Ok(()),
                false => Err(AppError::invalid(
                    Field::Password,
                    "The two new passwords differ.",
                )),
            });
        match checked {
            Ok(()) => {
                error.set(None);
                action.dispatch((current.get_untracked(), chosen));
            }
            Err(e) => error.set(Some(e)),
        }
    };
    let input =
        |id: &'static str, label: &'static str, value: RwSignal<String>, auto: &'static str| {
            view! {
                <div class="field">
                    <label for=id>{label}</label>
                    <input id=id type="password" autocomplete=auto
                        prop:value=move || value.get()
                        on:input=move |ev| value.set(event_target_value(&ev)) />
                </div>
            }
        };
    view! {
        <section class="card" aria-labelledby="password-title">
            <h2 id="password-title">"Password"</h2>
            <p class="muted">"Changing it signs you out everywhere, this browser included."</p>
            <form class="create-form" on:submit=submit novalidate>
                {input("current-password", "Current password", current, "current-password")}
                {input("new-password", "New password", new, "new-password")}
                {input("repeat-password", "The new password again", repeat, "new-password")}
                <div class="form-actions">
                    <button class="button primary" type="submit" disabled=move || action.pending().get()>
                        "Change password"
                    </button>
                </div>
                <p class="form-error" role="alert">{move || error.get().map(|e| e.to_string())}</p>
            </form>
        </section>
    }
}

#[component]
fn TokensCard() -> impl IntoView {
    let refresh = RwSignal::new(0u32);
    let tokens = Resource::new(move || refresh.get(), |_| list_tokens());
    let name = RwSignal::new(String::new());
    let created = RwSignal::new(None::<NewToken>);
    let error = RwSignal::new(None::<AppError>);
    let create = Action::new(|name: &String| create_token(name.clone()));
    let revoke = Action::new(|id: &i64| revoke_token(*id));
    Effect::new(move |_| match create.value().get() {
        Some(Ok(token)) => {
            created.set(Some(token));
            name.set(String::new());
            refresh.update(|n| *n += 1);
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    Effect::new(move |_| match revoke.value().get() {
        Some(Ok(())) => refresh.update(|n| *n += 1),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        create.dispatch(name.get_untracked());
    };
    view! {
        <section class="card" aria-labelledby="tokens-title">
            <h2 id="tokens-title">"API tokens"</h2>
            <p class="muted">
                "For scripts and the JSON API: send " <code>"Authorization: Bearer <token>"</code>
                ". A token acts as you; revoke it when it is no longer needed."
            </p>
            {move || created.get().map(|token| view! {
                <div class="secret" role="status" data-testid="new-token">
                    <p>"Copy the token for “" {token.token.name.clone()} "” now: it is not shown again."</p>
                    <code>{token.secret.clone()}</code>
                </div>
            })}
            <Transition fallback=|| view! { <p class="muted">"Loading tokens…"</p> }>
                {move || tokens.get().map(|result| match result {
                    Ok(list) if list.is_empty() => view! { <p class="muted">"No tokens yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="workspaces">
                            <thead><tr>
                                <th scope="col">"Name"</th>
                                <th scope="col">"Created"</th>
                                <th scope="col">"Last used"</th>
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|token| {
                                    let id = token.id;
                                    view! {
                                        <tr data-token=token.name.clone()>
                                            <th scope="row">{token.name.clone()}</th>
                                            <td>{format!("{} ago", format_age(unix_now() - token.created_at))}</td>
                                            <td>{token.last_used_at.map_or("never".to_owned(), |t| format!("{} ago", format_age(unix_now() - t)))}</td>
                                            <td><button class="button danger-outline" on:click=move |_| { revoke.dispatch(id); }>"Revoke"</button></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
            <form class="inline-form" on:submit=submit>
                <div class="field">
                    <label for="token-name">"New token's name"</label>
                    <input id="token-name" maxlength="64" placeholder="deploy script"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev)) />
                </div>
                <button class="button primary" type="submit" disabled=move || create.pending().get()>"Create token"</button>
            </form>
            <p class="form-error" role="alert">{move || error.get().map(|e| e.to_string())}</p>
        </section>
    }
}
