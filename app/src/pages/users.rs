//! `/admin/users`: admins create users, change roles, disable accounts and reset
//! passwords. Disabling or resetting ends the user's sessions and open terminals at once.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::auth::{create_user, list_users, reset_password, set_role, set_user_disabled};
use crate::auth::{check_new_password, Role, UserName, UserSummary};
use crate::components::header::Header;
use crate::error::{AppError, Field};
use crate::model::{format_age, unix_now};

/// One change to one user, as the table's buttons ask for it.
#[derive(Clone)]
enum Change {
    Disabled(UserName, bool),
    Role(UserName, Role),
    Password(UserName, String),
}

async fn apply(change: Change) -> Result<(), AppError> {
    match change {
        Change::Disabled(name, disabled) => set_user_disabled(name, disabled).await,
        Change::Role(name, role) => set_role(name, role).await,
        Change::Password(name, password) => {
            check_new_password(&password)?;
            reset_password(name, password).await
        }
    }
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let refresh = RwSignal::new(0u32);
    let users = Resource::new(move || refresh.get(), |_| list_users());
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let change = Action::new(|change: &Change| apply(change.clone()));
    Effect::new(move |_| match change.value().get() {
        Some(Ok(())) => {
            done.set(Some("Saved.".into()));
            refresh.update(|n| *n += 1);
        }
        Some(Err(e)) => error.set(Some(e.to_string())),
        None => {}
    });
    let run = Callback::new(move |c: Change| {
        error.set(None);
        done.set(None);
        change.dispatch(c);
    });
    view! {
        <Title text="Users · AiCockpit" />
        <Header current="/admin/users" />
        <main class="page">
            <section class="card" aria-labelledby="users-title">
                <h2 id="users-title">"Users"</h2>
                <Transition fallback=|| view! { <p class="muted">"Loading users…"</p> }>
                    {move || users.get().map(|result| match result {
                        Ok(list) => view! { <UserTable list run /> }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                    })}
                </Transition>
                <p class="form-error" role="alert">{move || error.get()}</p>
                <p class="success" role="status">{move || done.get()}</p>
            </section>
            <NewUserCard on_created=Callback::new(move |_| refresh.update(|n| *n += 1)) />
        </main>
    }
}

#[component]
fn UserTable(list: Vec<UserSummary>, run: Callback<Change>) -> impl IntoView {
    let now = unix_now();
    view! {
        <div class="table-scroll">
            <table class="workspaces">
                <thead><tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Role"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Created"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {list.into_iter().map(|user| view! { <UserRow user now run /> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn UserRow(user: UserSummary, now: i64, run: Callback<Change>) -> impl IntoView {
    let UserSummary {
        name,
        role,
        disabled,
        created_at,
    } = user;
    let resetting = RwSignal::new(false);
    let password = RwSignal::new(String::new());
    let other_role = match role {
        Role::Admin => Role::Member,
        Role::Member => Role::Admin,
    };
    let (n1, n2, n3) = (name.clone(), name.clone(), name.clone());
    let (label, row) = (name.to_string(), name.to_string());
    let field = format!("reset-{name}");
    view! {
        <tr data-user=row>
            <th scope="row">{label}</th>
            <td>{role.label()}</td>
            <td>
                <span class=if disabled { "status status-dead" } else { "status status-running" }>
                    {if disabled { "disabled" } else { "active" }}
                </span>
            </td>
            <td>{format!("{} ago", format_age(now - created_at))}</td>
            <td>
                <div class="actions">
                    <button class="button" on:click=move |_| run.run(Change::Role(n1.clone(), other_role))>
                        {format!("Make {}", other_role.label())}
                    </button>
                    <button class="button" on:click=move |_| run.run(Change::Disabled(n2.clone(), !disabled))>
                        {if disabled { "Enable" } else { "Disable" }}
                    </button>
                    <button class="button" aria-expanded=move || resetting.get().to_string()
                        on:click=move |_| resetting.update(|r| *r = !*r)>
                        "Reset password"
                    </button>
                </div>
                <Show when=move || resetting.get()>
                    <form class="inline-form" on:submit={
                        let name = n3.clone();
                        move |ev: leptos::ev::SubmitEvent| {
                            ev.prevent_default();
                            run.run(Change::Password(name.clone(), password.get_untracked()));
                            password.set(String::new());
                            resetting.set(false);
                        }
                    }>
                        <label class="visually-hidden" for=field.clone()>"New password"</label>
                        <input id=field.clone() type="password" autocomplete="new-password"
                            placeholder="New password"
                            prop:value=move || password.get()
                            on:input=move |ev| password.set(event_target_value(&ev)) />
                        <button class="button primary" type="submit">"Set"</button>
                    </form>
                </Show>
            </td>
        </tr>
    }
}

#[component]
fn NewUserCard(on_created: Callback<()>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let admin = RwSignal::new(false);
    let error = RwSignal::new(None::<AppError>);
    let created = RwSignal::new(None::<String>);
    let create = Action::new(|(name, password, role): &(String, String, Role)| {
        create_user(name.clone(), password.clone(), *role)
    });
    Effect::new(move |_| match create.value().get() {
        Some(Ok(())) => {
            created.set(Some(format!("{} can sign in now.", name.get_untracked())));
            name.set(String::new());
            password.set(String::new());
            on_created.run(());
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        created.set(None);
        let (chosen, secret) = (name.get_untracked(), password.get_untracked());
        match UserName::parse(&chosen).and_then(|_| check_new_password(&secret)) {
            Ok(()) => {
                error.set(None);
                let role = if admin.get_untracked() {
                    Role::Admin
                } else {
                    Role::Member
                };
                create.dispatch((chosen, secret, role));
            }
            Err(e) => error.set(Some(e)),
        }
    };
    let field_error = move |field: Field| {
        error
            .get()
            .filter(|e| e.field() == Some(field))
            .map(|e| e.to_string())
    };
    view! {
        <section class="card" aria-labelledby="new-user-title">
            <h2 id="new-user-title">"New user"</h2>
            <form class="create-form" on:submit=submit novalidate>
                <div class="field">
                    <label for="new-user-name">"User name"</label>
                    <input id="new-user-name" autocomplete="off" autocapitalize="none" spellcheck="false"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev)) />
                    <p class="field-error" role="alert">{move || field_error(Field::UserName)}</p>
                </div>
                <div class="field">
                    <label for="new-user-password">"First password"</label>
                    <input id="new-user-password" type="password" autocomplete="new-password"
                        prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev)) />
                    <small class="muted">"Give it to them privately; they can change it on their account page."</small>
                    <p class="field-error" role="alert">{move || field_error(Field::Password)}</p>
                </div>
                <label>
                    <input type="checkbox" prop:checked=move || admin.get()
                        on:change=move |ev| admin.set(event_target_checked(&ev)) />
                    " Admin (manages users, sees every workspace)"
                </label>
                <div class="form-actions">
                    <button class="button primary" type="submit" disabled=move || create.pending().get()>"Create user"</button>
                    <span class="success" role="status">{move || created.get()}</span>
                </div>
                <p class="form-error" role="alert">
                    {move || error.get().filter(|e| e.field().is_none()).map(|e| e.to_string())}
                </p>
            </form>
        </section>
    }
}
