//! Preview server functions for the IDE's ports panel: `POST /api/previews/<action>` with
//! the workspace as `owner/name`. The previews themselves are plain routes on the server.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::model::{PreviewLink, WorkspacePort};

#[cfg(feature = "ssr")]
use super::ssr::{actor, previews};
#[cfg(feature = "ssr")]
use crate::{auth::Actor, auth::WorkspaceRef};

#[cfg(feature = "ssr")]
fn parse(workspace: &str) -> Result<(Actor, WorkspaceRef), AppError> {
    let actor = actor()?;
    let workspace = WorkspaceRef::parse(workspace)?;
    Ok((actor, workspace))
}

#[server(prefix = "/api/previews", endpoint = "ports", input = Json)]
pub async fn workspace_ports(workspace: String) -> Result<Vec<WorkspacePort>, AppError> {
    let (actor, workspace) = parse(&workspace)?;
    previews()?.ports(&actor, &workspace).await
}

#[server(prefix = "/api/previews", endpoint = "links", input = Json)]
pub async fn preview_links(workspace: String) -> Result<Vec<PreviewLink>, AppError> {
    let (actor, workspace) = parse(&workspace)?;
    previews()?.links(&actor, &workspace).await
}

/// A share link for `port`, lasting `lifetime` (a [`LinkLifetime`](crate::model::LinkLifetime) label).
#[server(prefix = "/api/previews", endpoint = "share", input = Json)]
pub async fn share_port(
    workspace: String,
    port: String,
    lifetime: String,
) -> Result<PreviewLink, AppError> {
    use crate::error::Field;
    use crate::model::{parse_port, LinkLifetime};
    let (actor, workspace) = parse(&workspace)?;
    let port = parse_port(&port)?;
    let lifetime = LinkLifetime::parse(&lifetime)
        .ok_or_else(|| AppError::invalid(Field::Port, "Choose how long the link lasts."))?;
    previews()?
        .create_link(&actor, &workspace, port, lifetime)
        .await
}

#[server(prefix = "/api/previews", endpoint = "revoke", input = Json)]
pub async fn revoke_preview_link(workspace: String, id: i64) -> Result<(), AppError> {
    let (actor, workspace) = parse(&workspace)?;
    previews()?.revoke_link(&actor, &workspace, id).await
}
