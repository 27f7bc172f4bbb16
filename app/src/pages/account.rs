//! `/account`: the signed-in user's password, personal API tokens and SSH keys.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::auth::{change_password, create_token, list_tokens, revoke_token};
use crate::auth::{check_new_password, ApiToken, NewToken, Scope, TokenRequest};
use crate::components::header::Header;
use crate::components::navigation::go_to;
use crate::components::ssh_keys::SshKeysCard;
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
            <SshKeysCard />
        </main>
    }
}

#[component]
fn PasswordCard() -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let revoke_tokens = RwSignal::new(true);
    let error = RwSignal::new(None::<AppError>);
    let action = Action::new(|(current, new, revoke): &(String, String, bool)| {
        change_password(current.clone(), new.clone(), *revoke)
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
                action.dispatch((
                    current.get_untracked(),
                    chosen,
                    revoke_tokens.get_untracked(),
                ));
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
                <label class="check">
                    <input type="checkbox" id="revoke-tokens"
                        prop:checked=move || revoke_tokens.get()
                        on:change=move |ev| revoke_tokens.set(event_target_checked(&ev)) />
                    " Also revoke my API tokens (do this if the old password may be known to someone)"
                </label>
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

/// "read, files", or what a token may do when it has every scope.
fn scopes_label(token: &ApiToken) -> String {
    let names: Vec<&str> = token.scopes.iter().map(|s| s.as_str()).collect();
    let limited = token
        .workspace
        .as_ref()
        .map(|w| format!(" · only {w}"))
        .unwrap_or_default();
    format!("{}{limited}", names.join(", "))
}

fn expiry_label(token: &ApiToken) -> String {
    match token.expires_at {
        None => "never".to_owned(),
        Some(at) if at <= unix_now() => "expired".to_owned(),
        Some(at) => format!("in {}", format_age(at - unix_now())),
    }
}

#[component]
fn TokensCard() -> impl IntoView {
    let refresh = RwSignal::new(0u32);
    let tokens = Resource::new(move || refresh.get(), |_| list_tokens());
    let name = RwSignal::new(String::new());
    let scopes = RwSignal::new(vec![Scope::Read]);
    let days = RwSignal::new(String::from("90"));
    let created = RwSignal::new(None::<NewToken>);
    let error = RwSignal::new(None::<AppError>);
    let create = Action::new(|request: &TokenRequest| create_token(request.clone()));
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
        create.dispatch(TokenRequest {
            name: name.get_untracked(),
            scopes: scopes.get_untracked(),
            workspace: None,
            expires_in_days: days.get_untracked().parse().ok(),
        });
    };
    let scope_box = move |scope: Scope| {
        let id = format!("scope-{}", scope.as_str());
        view! {
            <label class="check" title=scope.describe()>
                <input type="checkbox" id=id
                    prop:checked=move || scopes.with(|s| s.contains(&scope))
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        scopes.update(|s| {
                            s.retain(|x| *x != scope);
                            if on {
                                s.push(scope);
                                s.sort();
                            }
                        });
                    } />
                {format!(" {}", scope.as_str())}
            </label>
        }
    };
    view! {
        <section class="card" aria-labelledby="tokens-title">
            <h2 id="tokens-title">"API tokens"</h2>
            <p class="muted">
                "For scripts and the JSON API: send " <code>"Authorization: Bearer <token>"</code>
                ". A token does only what its scopes say, of what you may; give each the least it needs, and revoke it when it is no longer needed."
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
                                <th scope="col">"May"</th>
                                <th scope="col">"Expires"</th>
                                <th scope="col">"Last used"</th>
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|token| {
                                    let id = token.id;
                                    view! {
                                        <tr data-token=token.name.clone()>
                                            <th scope="row">{token.name.clone()}</th>
                                            <td>{scopes_label(&token)}</td>
                                            <td>{expiry_label(&token)}</td>
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
            <form class="create-form" on:submit=submit>
                <div class="field">
                    <label for="token-name">"New token's name"</label>
                    <input id="token-name" maxlength="64" placeholder="deploy script"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev)) />
                </div>
                <fieldset class="field scopes">
                    <legend>"It may"</legend>
                    {Scope::ALL.into_iter().map(scope_box).collect_view()}
                </fieldset>
                <div class="field">
                    <label for="token-days">"Expires"</label>
                    <select id="token-days" on:change=move |ev| days.set(event_target_value(&ev))>
                        <option value="7">"in 7 days"</option>
                        <option value="30">"in 30 days"</option>
                        <option value="90" selected>"in 90 days"</option>
                        <option value="365">"in a year"</option>
                        <option value="never">"never (until revoked)"</option>
                    </select>
                </div>
                <div class="form-actions">
                    <button class="button primary" type="submit" disabled=move || create.pending().get()>"Create token"</button>
                </div>
            </form>
            <p class="form-error" role="alert">{move || error.get().map(|e| e.to_string())}</p>
        </section>
    }
}
