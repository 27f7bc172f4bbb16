//! The port that server functions call. `server` implements it; `app` only knows the trait,
//! so the dependency points one way (server → app).

use std::sync::Arc;

use crate::error::AppError;
use crate::files::{FileEntry, TextFile};
use crate::model::{ImageChoice, Workspace, WorkspaceList, WorkspaceName, WorkspaceSpec};
use crate::workspace_path::WorkspacePath;

#[async_trait::async_trait]
pub trait WorkspaceService: Send + Sync + 'static {
    async fn list(&self) -> Result<WorkspaceList, AppError>;
    async fn create(&self, spec: WorkspaceSpec) -> Result<Workspace, AppError>;
    async fn start(&self, name: &WorkspaceName) -> Result<(), AppError>;
    async fn stop(&self, name: &WorkspaceName) -> Result<(), AppError>;
    /// Removes the container; the volume (the user's files) too unless `keep_volume`.
    async fn delete(&self, name: &WorkspaceName, keep_volume: bool) -> Result<(), AppError>;
    async fn images(&self) -> Result<Vec<ImageChoice>, AppError>;
}

pub type SharedWorkspaceService = Arc<dyn WorkspaceService>;

/// Files inside a running workspace, as its user sees them. Every path is confined to
/// `/workspace`, symbolic links included.
#[async_trait::async_trait]
pub trait FileService: Send + Sync + 'static {
    /// The entries of a folder, sorted for the tree.
    async fn list(
        &self,
        workspace: &WorkspaceName,
        folder: &WorkspacePath,
    ) -> Result<Vec<FileEntry>, AppError>;
    /// A text file for the editor; large and binary files are refused with a hint to download.
    async fn read_text(
        &self,
        workspace: &WorkspaceName,
        file: &WorkspacePath,
    ) -> Result<TextFile, AppError>;
    /// Replaces (or creates) a file, atomically: a failed write leaves the old contents.
    /// With `base`, only if the file still has that version; returns the new version.
    async fn write_text(
        &self,
        workspace: &WorkspaceName,
        file: &WorkspacePath,
        text: String,
        base: Option<String>,
    ) -> Result<String, AppError>;
    /// Creates an empty file; refuses an existing name.
    async fn create_file(
        &self,
        workspace: &WorkspaceName,
        file: &WorkspacePath,
    ) -> Result<(), AppError>;
    async fn create_folder(
        &self,
        workspace: &WorkspaceName,
        folder: &WorkspacePath,
    ) -> Result<(), AppError>;
    /// Moves a file or folder; refuses to replace an existing name.
    async fn rename(
        &self,
        workspace: &WorkspaceName,
        from: &WorkspacePath,
        to: &WorkspacePath,
    ) -> Result<(), AppError>;
    /// Deletes a file or a whole folder (a symbolic link itself, never its target).
    async fn delete(&self, workspace: &WorkspaceName, path: &WorkspacePath)
        -> Result<(), AppError>;
}

pub type SharedFileService = Arc<dyn FileService>;
