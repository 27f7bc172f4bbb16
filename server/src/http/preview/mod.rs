//! The preview routes: opening a port as a signed-in user, and the previews themselves.

pub mod host;
pub mod proxy;

use std::sync::Arc;

use app::auth::{Actor, WorkspaceRef};
use app::error::AppError;
use app::model::parse_port;
use app::wire::PREVIEW_PREFIX;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect, Response};

use crate::http::errors::page;
use crate::http::origin::{named_host, split_host};
use crate::preview::grant::GrantError;
use crate::preview::{Previews, Refusal, Target};
use proxy::{Mode, ProxyError};

/// `GET /workspaces/{owner}/{name}/ports/{port}[/…]`: for someone who may use the
/// workspace, a grant of their own for the port, and on to the same place in the preview.
/// Opened in a browser tab, so a refusal is a page to read.
pub async fn open(
    actor: Actor,
    State(previews): State<Arc<Previews>>,
    Path((owner, name, _)): Path<(String, String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    // Preview hosts are reached on the port the browser used for AiCockpit.
    let host_port = split_host(named_host(&headers, &uri)).and_then(|(_, port)| port);
    match grant_for(&actor, &previews, &owner, &name, &uri, host_port).await {
        Ok(path) => Redirect::to(&path).into_response(),
        Err(error) => page(&error),
    }
}

async fn grant_for(
    actor: &Actor,
    previews: &Previews,
    owner: &str,
    name: &str,
    uri: &Uri,
    host_port: Option<u16>,
) -> Result<String, AppError> {
    let workspace = WorkspaceRef::parse(&format!("{owner}/{name}"))?;
    // The raw path, so that what follows the port reaches the server still encoded.
    let after = uri
        .path()
        .split_once("/ports/")
        .map_or("", |(_, after)| after);
    let (port, rest) = after.split_once('/').unwrap_or((after, ""));
    let port = parse_port(port)?;
    let grant = previews.open(actor, &workspace, port).await?;
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    let next = format!("/{rest}{query}");
    // On its own host when a preview domain is set (and the name fits in one label).
    let on_host = previews.settings().domain.as_deref().and_then(|domain| {
        host::grant_url(
            &workspace,
            port,
            domain,
            previews.settings().https,
            host_port,
            &grant,
            &next,
        )
    });
    Ok(on_host.unwrap_or_else(|| format!("{}{}", Previews::path(&grant), &next[1..])))
}

/// Any method on `/previews/{grant}[/{*rest}]`: the request passed to the workspace's
/// server, when the grant still holds. Authorised by the grant alone, never by a cookie.
pub async fn serve(State(previews): State<Arc<Previews>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let Some((token, rest)) = path
        .strip_prefix(PREVIEW_PREFIX)
        .map(|p| p.split_once('/').unwrap_or((p, "")))
    else {
        return page(&AppError::NoPreview);
    };
    let target = match previews.target(token).await {
        Ok(target) => target,
        Err(refusal) => return refusal.into_response(),
    };
    let prefix = format!("{PREVIEW_PREFIX}{token}/");
    if !path.starts_with(&prefix) {
        // Relative addresses in the page need the trailing slash.
        return Redirect::permanent(&prefix).into_response();
    }
    let query = request
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let forwarded = format!("/{rest}{query}");
    let mode = Mode::Path { prefix: &prefix };
    pass_on(&previews, request, &target, &forwarded, mode, token).await
}

/// The request passed to the target's server under the grant `grant`, or a page saying
/// why it could not be.
pub(super) async fn pass_on(
    previews: &Arc<Previews>,
    request: Request,
    target: &Target,
    path_and_query: &str,
    mode: Mode<'_>,
    grant: &str,
) -> Response {
    let withdrawn = previews.withdrawn(grant);
    let client = previews.client();
    let port = target.port;
    match proxy::forward(
        request,
        client,
        &target.container,
        port,
        path_and_query,
        mode,
        withdrawn,
    )
    .await
    {
        Ok(response) => response,
        Err(ProxyError::NotRunning) => page(&AppError::NotRunning(target.workspace.to_string())),
        Err(error) => {
            tracing::debug!(%error, workspace = %target.workspace, "preview not served");
            let advice = match error {
                ProxyError::Broken { reason, .. } => format!(
                    "The server on port {port} in {} broke off the answer ({reason}). Reload to try again.",
                    target.workspace
                ),
                _ => format!(
                    "Nothing answers on port {port} in {}. Start the server there (on 127.0.0.1 or 0.0.0.0), then reload this page.",
                    target.workspace
                ),
            };
            page(&AppError::NoAnswer(advice))
        }
    }
}

impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Grant(GrantError::Expired) => AppError::Gone(
                "This preview link has expired. Ask the workspace's owner for a new one, or open the port again from the IDE."
                    .into(),
            ),
            Refusal::Grant(GrantError::Invalid) | Refusal::Withdrawn => AppError::NoPreview,
            Refusal::NotRunning(workspace) => AppError::NotRunning(workspace),
            Refusal::Failed(why) => AppError::Internal(why),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        page(&self.into())
    }
}
