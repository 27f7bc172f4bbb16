//! Workspace server functions: list, create, start, stop, delete, and the image choices.
//! Each is `POST /api/workspaces/<action>` with a JSON body, so scripts can call them too.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::model::{CreateWorkspaceRequest, ImageChoice, Workspace, WorkspaceList, WorkspaceName};

#[cfg(feature = "ssr")]
use super::ssr::{respond, workspaces};

#[server(prefix = "/api/workspaces", endpoint = "list", input = Json)]
pub async fn list_workspaces() -> Result<WorkspaceList, AppError> {
    workspaces()?.list().await.map_err(respond)
}

#[server(prefix = "/api/workspaces", endpoint = "images", input = Json)]
pub async fn list_images() -> Result<Vec<ImageChoice>, AppError> {
    workspaces()?.images().await.map_err(respond)
}

#[server(prefix = "/api/workspaces", endpoint = "create", input = Json)]
pub async fn create_workspace(request: CreateWorkspaceRequest) -> Result<Workspace, AppError> {
    let spec = request.validate().map_err(respond)?;
    workspaces()?.create(spec).await.map_err(respond)
}

#[server(prefix = "/api/workspaces", endpoint = "start", input = Json)]
pub async fn start_workspace(name: WorkspaceName) -> Result<(), AppError> {
    workspaces()?.start(&name).await.map_err(respond)
}

#[server(prefix = "/api/workspaces", endpoint = "stop", input = Json)]
pub async fn stop_workspace(name: WorkspaceName) -> Result<(), AppError> {
    workspaces()?.stop(&name).await.map_err(respond)
}

#[server(prefix = "/api/workspaces", endpoint = "delete", input = Json)]
pub async fn delete_workspace(name: WorkspaceName, keep_volume: bool) -> Result<(), AppError> {
    workspaces()?
        .delete(&name, keep_volume)
        .await
        .map_err(respond)
}
