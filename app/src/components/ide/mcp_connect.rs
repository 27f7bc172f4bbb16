//! Connecting an outside agent (a CLI agent, an editor) to this workspace over MCP: a token
//! made for this one workspace's MCP endpoint and nothing else — it cannot approve its own
//! calls, read other workspaces or make tokens — and the client settings that use it.

use leptos::prelude::*;

use super::state::Ide;
use crate::api::auth::create_token;
use crate::auth::{NewToken, Scope, TokenRequest};
use crate::error::AppError;

/// Days the token lasts; a new one is a click away.
const DAYS: u32 = 30;

#[component]
pub fn McpConnect() -> impl IntoView {
    let ide = expect_context::<Ide>();
    let made = RwSignal::new(None::<Result<NewToken, AppError>>);
    let make = move |_| {
        let workspace = ide.workspace.get_value();
        let request = TokenRequest {
            name: format!("MCP for {workspace}"),
            scopes: vec![Scope::Agent],
            workspace: Some(workspace),
            expires_in_days: Some(DAYS),
        };
        leptos::task::spawn_local(async move { made.set(Some(create_token(request).await)) });
    };
    let settings = move |token: &NewToken| {
        let origin = window().location().origin().unwrap_or_default();
        let workspace = ide.workspace.get_value();
        format!(
            "{{\n  \"mcpServers\": {{\n    \"{}\": {{\n      \"type\": \"http\",\n      \"url\": \"{origin}/mcp/{workspace}\",\n      \"headers\": {{ \"Authorization\": \"Bearer {}\" }}\n    }}\n  }}\n}}",
            workspace.name, token.secret
        )
    };
    view! {
        <details class="mcp-connect" data-testid="mcp-connect">
            <summary>"Connect an outside agent (MCP)"</summary>
            <p class="chat-note muted">
                {format!("A token for this workspace's MCP endpoint only, for {DAYS} days: its calls follow the policy above, and only you approve them here.")}
            </p>
            <button type="button" class="button" data-testid="mcp-token" on:click=make>"Make a token"</button>
            {move || made.get().map(|result| match result {
                Ok(token) => view! {
                    <p class="chat-note">"Copy these settings into the agent's MCP configuration now; the token is not shown again."</p>
                    <pre class="secret" data-testid="mcp-settings">{settings(&token)}</pre>
                }.into_any(),
                Err(e) => view! { <p class="chat-error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </details>
    }
}
