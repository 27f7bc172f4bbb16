//! The preview routes: opening a port as a signed-in user, and the previews themselves.

use std::sync::Arc;

use app::auth::{Actor, WorkspaceRef};
use app::error::AppError;
use app::model::{parse_port, PREVIEW_PREFIX};
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};

use super::grant::GrantError;
use super::proxy::{self, ProxyError};
use super::{Previews, Refusal};

/// `GET /workspaces/{owner}/{name}/ports/{port}[/…]`: for someone who may use the
/// workspace, a grant of their own for the port, and on to the same place in the preview.
/// Opened in a browser tab, so a refusal is a page to read.
pub async fn open(
    actor: Actor,
    State(previews): State<Arc<Previews>>,
    Path((owner, name, _)): Path<(String, String, String)>,
    uri: Uri,
) -> Response {
    match grant_for(&actor, &previews, &owner, &name, &uri).await {
        Ok(path) => Redirect::to(&path).into_response(),
        Err(error) => refused(error.status_code(), &error.to_string()),
    }
}

async fn grant_for(
    actor: &Actor,
    previews: &Previews,
    owner: &str,
    name: &str,
    uri: &Uri,
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
    Ok(format!("{grant}{rest}{query}"))
}

/// Any method on `/previews/{grant}[/{*rest}]`: the request passed to the workspace's
/// server, when the grant still holds. Authorised by the grant alone, never by a cookie.
pub async fn serve(State(previews): State<Arc<Previews>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let Some((token, rest)) = path
        .strip_prefix(PREVIEW_PREFIX)
        .map(|p| p.split_once('/').unwrap_or((p, "")))
    else {
        return refused(StatusCode::NOT_FOUND, "There is no preview here.");
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
    match proxy::forward(request, target.address, &forwarded, &prefix).await {
        Ok(response) => response,
        Err(error) => {
            tracing::debug!(%error, workspace = %target.workspace, "preview not served");
            let port = target.address.port();
            let advice = match error {
                ProxyError::Unreachable { .. } => format!(
                    "Nothing answers on port {port} in {}. Start the server there, listening on 0.0.0.0 (not only 127.0.0.1), then reload this page.",
                    target.workspace
                ),
                ProxyError::Broken { reason, .. } => format!(
                    "The server on port {port} in {} broke off the answer ({reason}). Reload to try again.",
                    target.workspace
                ),
            };
            refused(StatusCode::BAD_GATEWAY, &advice)
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let status = match &self {
            Refusal::Grant(GrantError::Invalid) | Refusal::Withdrawn => StatusCode::NOT_FOUND,
            Refusal::Grant(GrantError::Expired) => StatusCode::GONE,
            Refusal::NotRunning(_) => StatusCode::SERVICE_UNAVAILABLE,
            Refusal::Failed(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let advice = match &self {
            Refusal::Grant(GrantError::Expired) => {
                "This preview link has expired. Ask the workspace's owner for a new one, or open the port again from the IDE."
                    .to_owned()
            }
            Refusal::Grant(GrantError::Invalid) | Refusal::Withdrawn => {
                "There is no preview here, or it is not yours to open.".to_owned()
            }
            other => format!("{}.", capitalised(&other.to_string())),
        };
        refused(status, &advice)
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A refusal as a page a person reads (previews open in a browser tab).
fn refused(status: StatusCode, message: &str) -> Response {
    (
        status,
        [("content-type", "text/plain; charset=utf-8")],
        format!("{message}\n"),
    )
        .into_response()
}
