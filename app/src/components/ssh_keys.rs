//! The account page's SSH card: the user's public keys (added, listed, removed) and the
//! server's host key fingerprint, to check on the first connection.

use leptos::prelude::*;

use crate::api::ssh::{add_ssh_key, remove_ssh_key, ssh_details, ssh_keys};
use crate::error::{AppError, Field};
use crate::model::{format_age, unix_now};

#[component]
pub fn SshKeysCard() -> impl IntoView {
    let refresh = RwSignal::new(0u32);
    let keys = Resource::new(move || refresh.get(), |_| ssh_keys());
    let details = Resource::new(|| (), |_| ssh_details());
    let name = RwSignal::new(String::new());
    let key = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let add = Action::new(|(name, key): &(String, String)| add_ssh_key(name.clone(), key.clone()));
    let remove = Action::new(|id: &i64| remove_ssh_key(*id));
    Effect::new(move |_| match add.value().get() {
        Some(Ok(_)) => {
            name.set(String::new());
            key.set(String::new());
            refresh.update(|n| *n += 1);
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    Effect::new(move |_| match remove.value().get() {
        Some(Ok(())) => refresh.update(|n| *n += 1),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        add.dispatch((name.get_untracked(), key.get_untracked()));
    };
    let key_error = move || {
        error.get().and_then(|e| match e {
            AppError::Invalid {
                field: Field::SshKey,
                message,
            } => Some(message),
            _ => None,
        })
    };
    view! {
        <section class="card" aria-labelledby="ssh-title">
            <h2 id="ssh-title">"SSH keys"</h2>
            <p class="muted">
                "A key added here signs you in to your workspaces over SSH, from VS Code, JetBrains, Zed or plain "
                <code>"ssh"</code> ". Each workspace's Connect button says how."
            </p>
            <Suspense fallback=|| ()>
                {move || details.get().and_then(Result::ok).map(|access| view! {
                    <p>"This server's host key: " <code data-testid="host-fingerprint">{access.host_fingerprint}</code></p>
                })}
            </Suspense>
            <Transition fallback=|| view! { <p class="muted">"Loading keys…"</p> }>
                {move || keys.get().map(|result| match result {
                    Ok(list) if list.is_empty() => view! { <p class="muted">"No keys yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="workspaces">
                            <thead><tr>
                                <th scope="col">"Name"</th>
                                <th scope="col">"Fingerprint"</th>
                                <th scope="col">"Last used"</th>
                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|key| {
                                    let id = key.id;
                                    view! {
                                        <tr data-key=key.name.clone()>
                                            <th scope="row">{key.name.clone()}</th>
                                            <td><code>{key.fingerprint.clone()}</code> <span class="muted">{format!(" {}", key.algorithm)}</span></td>
                                            <td>{key.last_used_at.map_or("never".to_owned(), |t| format!("{} ago", format_age(unix_now() - t)))}</td>
                                            <td><button class="button danger-outline" on:click=move |_| { remove.dispatch(id); }>"Remove"</button></td>
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
                    <label for="ssh-key">"Public key"</label>
                    <textarea id="ssh-key" rows="3" spellcheck="false"
                        placeholder="ssh-ed25519 AAAA… you@laptop (the line of ~/.ssh/id_ed25519.pub)"
                        prop:value=move || key.get()
                        on:input=move |ev| key.set(event_target_value(&ev))></textarea>
                    <p class="field-error" role="alert">{key_error}</p>
                </div>
                <div class="field">
                    <label for="ssh-key-name">"Name (the key's comment when empty)"</label>
                    <input id="ssh-key-name" maxlength="64" placeholder="laptop"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev)) />
                </div>
                <div class="form-actions">
                    <button class="button primary" type="submit" disabled=move || add.pending().get()>"Add key"</button>
                </div>
            </form>
            <p class="form-error" role="alert">{move || error.get().filter(|e| !matches!(e, AppError::Invalid { field: Field::SshKey, .. })).map(|e| e.to_string())}</p>
        </section>
    }
}
