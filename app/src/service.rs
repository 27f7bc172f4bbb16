//! The port that server functions call. `server` implements it; `app` only knows the trait,
//! so the dependency points one way (server → app).

use std::sync::Arc;

use crate::error::AppError;
use crate::model::{ImageChoice, Workspace, WorkspaceList, WorkspaceName, WorkspaceSpec};

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
