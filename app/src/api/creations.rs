//! Making a workspace: `POST /api/workspaces/create` starts the whole job on the server
//! (image build, container, files, devcontainer.json, set-up) and answers at the point the
//! caller asks for; its progress is followed at [`crate::wire::CREATION_EVENTS`], and the
//! calls below look at, cancel, resume or dismiss it.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::model::{CreateWorkspaceRequest, CreationView, CreationWait};

#[cfg(feature = "ssr")]
use super::ssr::{actor, creations};

/// Starts making a workspace; answers once it runs unless `wait` says otherwise.
#[server(prefix = "/api/workspaces", endpoint = "create", input = Json)]
pub async fn create_workspace(
    request: CreateWorkspaceRequest,
    #[server(default)] wait: CreationWait,
) -> Result<CreationView, AppError> {
    creations()?.create(&actor()?, request, wait).await
}

#[server(prefix = "/api/workspaces", endpoint = "creation", input = Json)]
pub async fn creation(id: String) -> Result<CreationView, AppError> {
    creations()?.creation(&actor()?, &id).await
}

/// The caller's creations that did not finish, newest first.
#[server(prefix = "/api/workspaces", endpoint = "creations", input = Json)]
pub async fn unfinished_creations() -> Result<Vec<CreationView>, AppError> {
    creations()?.unfinished(&actor()?).await
}

#[server(prefix = "/api/workspaces", endpoint = "cancel-creation", input = Json)]
pub async fn cancel_creation(id: String) -> Result<CreationView, AppError> {
    creations()?.cancel(&actor()?, &id).await
}

#[server(prefix = "/api/workspaces", endpoint = "resume-creation", input = Json)]
pub async fn resume_creation(id: String) -> Result<CreationView, AppError> {
    creations()?.resume(&actor()?, &id).await
}

#[server(prefix = "/api/workspaces", endpoint = "dismiss-creation", input = Json)]
pub async fn dismiss_creation(id: String) -> Result<(), AppError> {
    creations()?.dismiss(&actor()?, &id).await
}
