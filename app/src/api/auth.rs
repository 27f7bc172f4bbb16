//! Account server functions: sign-in and out, first-run set-up, the signed-in user, their
//! password and API tokens, and user management for admins. `POST /api/auth/<action>`.
//! Only `sign-in` and `set-up` answer without a signed-in user.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::auth::{
    ApiToken, AuditFilter, AuditRecord, CurrentUser, NewToken, Role, TokenRequest, UserName,
    UserSummary,
};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use super::ssr::{actor, auth, client, session_secret, set_cookie};

/// Signs in and sets the session cookie; the page then goes where it was headed.
#[server(prefix = "/api/auth", endpoint = "sign-in", input = Json)]
pub async fn sign_in(name: String, password: String) -> Result<CurrentUser, AppError> {
    let signed_in = auth()?
        .sign_in(&name, &password, client(), session_secret().as_deref())
        .await?;
    set_cookie(&signed_in.cookie);
    Ok(signed_in.user)
}

/// Creates the first admin with the set-up link's token, and signs them in.
#[server(prefix = "/api/auth", endpoint = "set-up", input = Json)]
pub async fn set_up(
    token: String,
    name: String,
    password: String,
) -> Result<CurrentUser, AppError> {
    let signed_in = auth()?.set_up(&token, &name, &password, client()).await?;
    set_cookie(&signed_in.cookie);
    Ok(signed_in.user)
}

#[server(prefix = "/api/auth", endpoint = "sign-out", input = Json)]
pub async fn sign_out() -> Result<(), AppError> {
    let cookie = auth()?
        .sign_out(&actor()?, session_secret().as_deref(), client())
        .await;
    set_cookie(&cookie);
    Ok(())
}

#[server(prefix = "/api/auth", endpoint = "me", input = Json)]
pub async fn signed_in_user() -> Result<CurrentUser, AppError> {
    Ok(actor()?.user())
}

/// Changes the signed-in user's password (every session ends); with `revoke_tokens`, every
/// API token of theirs ends too.
#[server(prefix = "/api/auth", endpoint = "password", input = Json)]
pub async fn change_password(
    current: String,
    new: String,
    #[server(default)] revoke_tokens: bool,
) -> Result<(), AppError> {
    auth()?
        .change_password(&actor()?, &current, &new, revoke_tokens)
        .await
}

#[server(prefix = "/api/auth", endpoint = "tokens", input = Json)]
pub async fn list_tokens() -> Result<Vec<ApiToken>, AppError> {
    auth()?.tokens(&actor()?).await
}

/// A new API token that may do what the request's scopes say (limited to one workspace,
/// expiring, when asked); its secret is shown this once.
#[server(prefix = "/api/auth", endpoint = "create-token", input = Json)]
pub async fn create_token(request: TokenRequest) -> Result<NewToken, AppError> {
    auth()?.create_token(&actor()?, request).await
}

#[server(prefix = "/api/auth", endpoint = "revoke-token", input = Json)]
pub async fn revoke_token(id: i64) -> Result<(), AppError> {
    auth()?.revoke_token(&actor()?, id).await
}

#[server(prefix = "/api/auth", endpoint = "users", input = Json)]
pub async fn list_users() -> Result<Vec<UserSummary>, AppError> {
    auth()?.users(&actor()?).await
}

#[server(prefix = "/api/auth", endpoint = "create-user", input = Json)]
pub async fn create_user(name: String, password: String, role: Role) -> Result<(), AppError> {
    auth()?.create_user(&actor()?, &name, &password, role).await
}

#[server(prefix = "/api/auth", endpoint = "disable-user", input = Json)]
pub async fn set_user_disabled(name: UserName, disabled: bool) -> Result<(), AppError> {
    auth()?.set_disabled(&actor()?, &name, disabled).await
}

#[server(prefix = "/api/auth", endpoint = "reset-password", input = Json)]
pub async fn reset_password(name: UserName, password: String) -> Result<(), AppError> {
    auth()?.reset_password(&actor()?, &name, &password).await
}

#[server(prefix = "/api/auth", endpoint = "set-role", input = Json)]
pub async fn set_role(name: UserName, role: Role) -> Result<(), AppError> {
    auth()?.set_role(&actor()?, &name, role).await
}

#[server(prefix = "/api/auth", endpoint = "audit", input = Json)]
pub async fn audit_log(filter: AuditFilter) -> Result<Vec<AuditRecord>, AppError> {
    auth()?.audit(&actor()?, filter).await
}
