//! File server functions for the IDE: `POST /api/files/<action>` with a JSON body naming
//! the workspace as `owner/name`. Uploads
//! and downloads stream, so they are plain routes on the server (`/api/files/upload`,
//! `/api/files/download`). Names and paths arrive as strings and are parsed here, so a bad
//! one gets the typed error (422 with the reason) instead of a decoding failure.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::files::{FileEntry, TextFile};

#[cfg(feature = "ssr")]
use super::ssr::{actor, files};
#[cfg(feature = "ssr")]
use crate::{auth::Actor, auth::WorkspaceRef, workspace_path::WorkspacePath};

/// The actor, and the workspace and path named in the request.
#[cfg(feature = "ssr")]
fn parse(workspace: &str, path: &str) -> Result<(Actor, WorkspaceRef, WorkspacePath), AppError> {
    let actor = actor()?;
    let workspace = WorkspaceRef::parse(workspace)?;
    let path = WorkspacePath::parse(path)?;
    Ok((actor, workspace, path))
}

#[server(prefix = "/api/files", endpoint = "list", input = Json)]
pub async fn list_folder(workspace: String, folder: String) -> Result<Vec<FileEntry>, AppError> {
    let (actor, workspace, folder) = parse(&workspace, &folder)?;
    files()?.list(&actor, &workspace, &folder).await
}

#[server(prefix = "/api/files", endpoint = "read", input = Json)]
pub async fn read_file(workspace: String, file: String) -> Result<TextFile, AppError> {
    let (actor, workspace, file) = parse(&workspace, &file)?;
    files()?.read_text(&actor, &workspace, &file).await
}

/// Saves `text`; with `base` (the version it was opened with) only if nobody changed the
/// file since. Returns the new version.
#[server(prefix = "/api/files", endpoint = "write", input = Json)]
pub async fn write_file(
    workspace: String,
    file: String,
    text: String,
    #[server(default)] base: Option<String>,
) -> Result<String, AppError> {
    let (actor, workspace, file) = parse(&workspace, &file)?;
    files()?
        .write_text(&actor, &workspace, &file, text, base)
        .await
}

#[server(prefix = "/api/files", endpoint = "create-file", input = Json)]
pub async fn create_file(workspace: String, file: String) -> Result<(), AppError> {
    let (actor, workspace, file) = parse(&workspace, &file)?;
    files()?.create_file(&actor, &workspace, &file).await
}

#[server(prefix = "/api/files", endpoint = "create-folder", input = Json)]
pub async fn create_folder(workspace: String, folder: String) -> Result<(), AppError> {
    let (actor, workspace, folder) = parse(&workspace, &folder)?;
    files()?.create_folder(&actor, &workspace, &folder).await
}

#[server(prefix = "/api/files", endpoint = "rename", input = Json)]
pub async fn rename_path(workspace: String, from: String, to: String) -> Result<(), AppError> {
    let (actor, workspace, from) = parse(&workspace, &from)?;
    let to = WorkspacePath::parse(&to)?;
    files()?.rename(&actor, &workspace, &from, &to).await
}

#[server(prefix = "/api/files", endpoint = "delete", input = Json)]
pub async fn delete_path(workspace: String, path: String) -> Result<(), AppError> {
    let (actor, workspace, path) = parse(&workspace, &path)?;
    files()?.delete(&actor, &workspace, &path).await
}

/// Clones a repository into the workspace's `/workspace`, which must be empty (a new
/// workspace): what the create form does after creating one from a repository.
#[server(prefix = "/api/files", endpoint = "clone", input = Json)]
pub async fn clone_repository(
    workspace: String,
    url: String,
    #[server(default)] branch: Option<String>,
) -> Result<(), AppError> {
    use crate::error::Field;
    use crate::model::GitSource;
    let actor = actor()?;
    let workspace = WorkspaceRef::parse(&workspace)?;
    let source =
        GitSource::parse(&url, branch.as_deref().unwrap_or_default()).and_then(|source| {
            source.ok_or_else(|| AppError::invalid(Field::Repository, "Give the repository's URL."))
        })?;
    files()?.clone_repository(&actor, &workspace, &source).await
}
