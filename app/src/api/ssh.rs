//! SSH server functions: the signed-in user's public keys and how to connect.
//! `POST /api/ssh/<action>`.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::auth::{SshAccess, SshKeyView};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use super::ssr::{actor, ssh};

#[server(prefix = "/api/ssh", endpoint = "keys", input = Json)]
pub async fn ssh_keys() -> Result<Vec<SshKeyView>, AppError> {
    ssh()?.keys(&actor()?).await
}

/// Adds a public key, pasted as `ssh-ed25519 AAAA… comment` (a `.pub` file's line).
#[server(prefix = "/api/ssh", endpoint = "add-key", input = Json)]
pub async fn add_ssh_key(name: String, key: String) -> Result<SshKeyView, AppError> {
    ssh()?.add_key(&actor()?, &name, &key).await
}

#[server(prefix = "/api/ssh", endpoint = "remove-key", input = Json)]
pub async fn remove_ssh_key(id: i64) -> Result<(), AppError> {
    ssh()?.remove_key(&actor()?, id).await
}

/// The host key's fingerprint and where the SSH server listens.
#[server(prefix = "/api/ssh", endpoint = "access", input = Json)]
pub async fn ssh_details() -> Result<SshAccess, AppError> {
    ssh()?.access(&actor()?).await
}
