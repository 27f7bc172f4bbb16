//! AI server functions: the providers a user may pick, "Test connection", and the default
//! provider (admins). Answers stream over `app::ai::CHAT_PATH`, not through these.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::ai::{Capabilities, ProviderInfo};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use super::ssr::{actor, ai, respond};

#[server(prefix = "/api/ai", endpoint = "providers", input = Json)]
pub async fn ai_providers() -> Result<Vec<ProviderInfo>, AppError> {
    ai()?.providers(&actor()?).await.map_err(respond)
}

#[server(prefix = "/api/ai", endpoint = "probe", input = Json)]
pub async fn probe_provider(provider: String) -> Result<Capabilities, AppError> {
    ai()?.probe(&actor()?, &provider).await.map_err(respond)
}

#[server(prefix = "/api/ai", endpoint = "set-default", input = Json)]
pub async fn set_default_provider(provider: String) -> Result<(), AppError> {
    ai()?
        .set_default(&actor()?, &provider)
        .await
        .map_err(respond)
}
