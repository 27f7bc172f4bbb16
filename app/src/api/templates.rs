//! Template server functions: `POST /api/templates/<action>`. A build is followed on the
//! event stream at [`crate::wire::TEMPLATE_BUILD`].

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::model::{SetupOutcome, TemplateInfo};

#[cfg(feature = "ssr")]
use super::ssr::{actor, templates};

#[server(prefix = "/api/templates", endpoint = "list", input = Json)]
pub async fn list_templates() -> Result<Vec<TemplateInfo>, AppError> {
    templates()?.templates(&actor()?).await
}

#[server(prefix = "/api/templates", endpoint = "build", input = Json)]
pub async fn build_template(template: String) -> Result<(), AppError> {
    templates()?.build(&actor()?, &template).await
}

#[server(prefix = "/api/templates", endpoint = "add", input = Json)]
pub async fn add_template(
    devcontainer: String,
    #[server(default)] dockerfile: Option<String>,
) -> Result<TemplateInfo, AppError> {
    let dockerfile = dockerfile.filter(|d| !d.trim().is_empty());
    templates()?
        .add(&actor()?, &devcontainer, dockerfile.as_deref())
        .await
}

#[server(prefix = "/api/templates", endpoint = "remove", input = Json)]
pub async fn remove_template(template: String) -> Result<(), AppError> {
    templates()?.remove(&actor()?, &template).await
}

/// Runs the new workspace's `postCreateCommand`, once.
#[server(prefix = "/api/templates", endpoint = "set-up", input = Json)]
pub async fn set_up_workspace(workspace: String) -> Result<SetupOutcome, AppError> {
    let workspace = crate::auth::WorkspaceRef::parse(&workspace)?;
    templates()?.set_up(&actor()?, &workspace).await
}

#[server(prefix = "/api/templates", endpoint = "repository", input = Json)]
pub async fn repository_template(workspace: String) -> Result<Option<TemplateInfo>, AppError> {
    let workspace = crate::auth::WorkspaceRef::parse(&workspace)?;
    templates()?.repository(&actor()?, &workspace).await
}

#[server(prefix = "/api/templates", endpoint = "build-repository", input = Json)]
pub async fn build_repository(workspace: String) -> Result<(), AppError> {
    let workspace = crate::auth::WorkspaceRef::parse(&workspace)?;
    templates()?.build_repository(&actor()?, &workspace).await
}

/// Re-makes the workspace from its repository's devcontainer.json, keeping its files.
#[server(prefix = "/api/templates", endpoint = "apply-repository", input = Json)]
pub async fn apply_repository(workspace: String) -> Result<(), AppError> {
    let workspace = crate::auth::WorkspaceRef::parse(&workspace)?;
    templates()?.apply_repository(&actor()?, &workspace).await
}
