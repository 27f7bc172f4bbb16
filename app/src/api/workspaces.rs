//! Workspace server functions: list, start, stop, delete, limits, idle stop, and the image
//! choices (creating one is in `creations`).
//! Each is `POST /api/workspaces/<action>` with a JSON body, so scripts can call them too
//! (with an API token). Workspaces are named `owner/name`.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::auth::{Share, ShareRole, WorkspaceRef};
use crate::error::AppError;
use crate::model::{
    ImageChoice, LimitBounds, NetworkBounds, NetworkLevel, NetworkView, Workspace, WorkspaceList,
};

#[cfg(feature = "ssr")]
use super::ssr::{actor, workspaces};

#[server(prefix = "/api/workspaces", endpoint = "list", input = Json)]
pub async fn list_workspaces() -> Result<WorkspaceList, AppError> {
    workspaces()?.list(&actor()?).await
}

#[server(prefix = "/api/workspaces", endpoint = "images", input = Json)]
pub async fn list_images() -> Result<Vec<ImageChoice>, AppError> {
    workspaces()?.images(&actor()?).await
}

#[server(prefix = "/api/workspaces", endpoint = "start", input = Json)]
pub async fn start_workspace(workspace: WorkspaceRef) -> Result<(), AppError> {
    workspaces()?.start(&actor()?, &workspace).await
}

#[server(prefix = "/api/workspaces", endpoint = "stop", input = Json)]
pub async fn stop_workspace(workspace: WorkspaceRef) -> Result<(), AppError> {
    workspaces()?.stop(&actor()?, &workspace).await
}

#[server(prefix = "/api/workspaces", endpoint = "delete", input = Json)]
pub async fn delete_workspace(workspace: WorkspaceRef, keep_volume: bool) -> Result<(), AppError> {
    workspaces()?
        .delete(&actor()?, &workspace, keep_volume)
        .await
}

/// The limits a new workspace gets and the most any may have on this server.
#[server(prefix = "/api/workspaces", endpoint = "limits", input = Json)]
pub async fn workspace_limits() -> Result<LimitBounds, AppError> {
    actor()?;
    Ok(workspaces()?.limit_bounds())
}

/// Changes a workspace's CPU, memory and process limits while it runs.
#[server(prefix = "/api/workspaces", endpoint = "set-limits", input = Json)]
pub async fn set_workspace_limits(
    workspace: WorkspaceRef,
    cpus: f64,
    memory_mib: u64,
    processes: u32,
) -> Result<Workspace, AppError> {
    let limits = crate::model::Limits::parse(cpus, memory_mib, processes)?;
    workspaces()?
        .set_limits(&actor()?, &workspace, limits)
        .await
}

/// Sets how long a workspace may go unused before it stops (minutes; 0: never; none: the
/// server's default).
#[server(prefix = "/api/workspaces", endpoint = "set-idle-stop", input = Json)]
pub async fn set_workspace_idle_stop(
    workspace: WorkspaceRef,
    minutes: Option<u32>,
) -> Result<Workspace, AppError> {
    workspaces()?
        .set_idle_stop(&actor()?, &workspace, minutes)
        .await
}

/// One workspace as the signed-in user sees it, with what they may do.
#[server(prefix = "/api/workspaces", endpoint = "describe", input = Json)]
pub async fn describe_workspace(workspace: WorkspaceRef) -> Result<Workspace, AppError> {
    workspaces()?.describe(&actor()?, &workspace).await
}

#[server(prefix = "/api/workspaces", endpoint = "shares", input = Json)]
pub async fn workspace_shares(workspace: WorkspaceRef) -> Result<Vec<Share>, AppError> {
    workspaces()?.shares(&actor()?, &workspace).await
}

/// Shares with `user` as `role`; without a role, revokes the share.
#[server(prefix = "/api/workspaces", endpoint = "share", input = Json)]
pub async fn share_workspace(
    workspace: WorkspaceRef,
    user: String,
    #[server(default)] role: Option<ShareRole>,
) -> Result<(), AppError> {
    workspaces()?
        .share(&actor()?, &workspace, &user, role)
        .await
}

/// The server's network levels: the default, the most allowed, whether open can be given,
/// and the hosts the allowlist holds.
#[server(prefix = "/api/workspaces", endpoint = "network-bounds", input = Json)]
pub async fn workspace_network_bounds() -> Result<NetworkBounds, AppError> {
    actor()?;
    Ok(workspaces()?.network_bounds().await)
}

/// A workspace's network: its level, allowlist and the destinations its processes asked for.
#[server(prefix = "/api/workspaces", endpoint = "network", input = Json)]
pub async fn workspace_network(workspace: WorkspaceRef) -> Result<NetworkView, AppError> {
    workspaces()?.network(&actor()?, &workspace).await
}

/// Changes a workspace's network level (its owner or an admin), live.
#[server(prefix = "/api/workspaces", endpoint = "set-network", input = Json)]
pub async fn set_workspace_network(
    workspace: WorkspaceRef,
    level: NetworkLevel,
) -> Result<NetworkView, AppError> {
    workspaces()?
        .set_network(&actor()?, &workspace, level)
        .await
}
