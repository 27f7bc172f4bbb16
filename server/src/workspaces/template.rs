//! Workspaces made from a template: the template's image (which the server resolves, never
//! the browser), the set-up the workspace keeps, and its `postStartCommand` on every start.

use app::error::{AppError, Field};
use app::model::WorkspaceSpec;

use app::auth::{Actor, WorkspaceRef};

use super::{Resolved, WorkspaceManager, MOUNT_PATH, WORKSPACE_USER};
use crate::access::policy::Action;
use crate::runtime::{ExecSpec, RuntimeError};
use crate::store::{WorkspaceRecord, WorkspaceSetup};

/// Where a `postStartCommand`'s output goes, inside the workspace.
pub const POST_START_LOG: &str = "/tmp/aicockpit-post-start.log";

/// Where `WorkspaceSpec::template` is looked up: the templates service's catalogue, as
/// workspaces see it (a port, so that workspaces need nothing of how templates are kept).
#[async_trait::async_trait]
pub trait TemplateSource: Send + Sync {
    /// What a workspace made from template `id` takes from it; not found if there is none.
    async fn template(&self, id: &str) -> Result<TemplateChoice, AppError>;
    /// Every image a template may start a workspace from, the dev image included.
    async fn images(&self) -> Result<Vec<String>, AppError>;
}

/// A template, as a new workspace takes it.
pub struct TemplateChoice {
    /// Shown in messages about it.
    pub name: String,
    pub image: String,
    pub setup: WorkspaceSetup,
    pub idle_minutes: Option<u32>,
    pub network: Option<app::model::NetworkLevel>,
}

/// What a new workspace takes from its template, or its own image without one.
pub(super) struct Chosen {
    pub image: String,
    pub setup: Option<WorkspaceSetup>,
    pub idle_minutes: Option<u32>,
    pub network: Option<app::model::NetworkLevel>,
}

impl WorkspaceManager {
    /// The image, set-up, idle time and network level for `spec`: its template's when it
    /// names one (whose image must be built already), else its own image.
    pub(super) async fn image_and_setup(&self, spec: &WorkspaceSpec) -> Result<Chosen, AppError> {
        let Some(id) = &spec.template else {
            return Ok(Chosen {
                image: spec.image.clone(),
                setup: None,
                idle_minutes: None,
                network: None,
            });
        };
        let template = self.template(id).await?;
        if !self.images.image_exists(&template.image).await? {
            return Err(AppError::ImageMissing {
                image: template.image,
                hint: format!("Build the template “{}” first.", template.name),
            });
        }
        // Capped by the server's bounds when applied, as any choice is.
        Ok(Chosen {
            image: template.image,
            setup: Some(template.setup),
            idle_minutes: template.idle_minutes,
            network: template.network,
        })
    }

    /// Template `id`, if this server offers it and its settings are allowed here (its image
    /// may not be built yet).
    pub(super) async fn template(&self, id: &str) -> Result<TemplateChoice, AppError> {
        let templates = self.templates.as_ref().ok_or_else(|| {
            AppError::invalid(Field::Template, "This server offers no templates.")
        })?;
        let template = templates.template(id).await?;
        self.sudo_allowed(&template.setup, &template.name)?;
        Ok(template)
    }

    fn sudo_allowed(&self, setup: &WorkspaceSetup, template: &str) -> Result<(), AppError> {
        match setup.sudo && !self.settings.sudo {
            true => Err(AppError::Forbidden(format!(
                "The template “{template}” gives root inside the workspace (sudo), which this server does not allow (--forbid-sudo)."
            ))),
            false => Ok(()),
        }
    }

    /// Makes the workspace again from `image` and `setup` (its repository's devcontainer,
    /// say): a new container on the same volume, so its files stay.
    pub async fn remake(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        image: String,
        setup: WorkspaceSetup,
        template: &str,
    ) -> Result<(), AppError> {
        self.sudo_allowed(&setup, template)?;
        // Its image, set-up and privileges are its owner's (or an admin's) to change.
        let Resolved { record, .. } = self
            .act(actor, workspace, Action::Configure, "workspace-remake")
            .await?;
        if let Some(id) = &record.container_id {
            match self.runtime.remove_container(id).await {
                Ok(()) | Err(RuntimeError::NotFound(_)) => self.holder.forget(id),
                Err(e) => return Err(e.into()),
            }
        }
        self.store
            .set_image_and_setup(&record.id, &image, &setup)
            .await?;
        let record = WorkspaceRecord {
            image,
            setup: Some(setup),
            container_id: None,
            ..record
        };
        self.launch(&record, workspace).await.map(drop)
    }

    /// Starts the workspace's `postStartCommand`, if it has one and its set-up ran, without
    /// waiting for it; its output goes to [`POST_START_LOG`].
    pub(super) async fn after_start(&self, record: &WorkspaceRecord) {
        let Some(setup) = record.setup.as_ref().filter(|s| s.set_up) else {
            return;
        };
        if let (Some(command), Some(container)) = (&setup.post_start, &record.container_id) {
            self.egress.ready(container, &record.id).await;
            post_start(self.runtime.as_ref(), container, command).await;
        }
    }
}

/// Runs `command` in the background in the container, as the workspace user.
pub async fn post_start(
    runtime: &dyn crate::runtime::ContainerRuntime,
    container: &str,
    command: &str,
) {
    let spec = ExecSpec {
        command: vec![
            "/bin/sh".into(),
            "-c".into(),
            format!("/bin/sh -c \"$AICOCKPIT_POST_START\" >{POST_START_LOG} 2>&1 &"),
        ],
        user: WORKSPACE_USER.into(),
        working_dir: MOUNT_PATH.into(),
        env: vec![format!("AICOCKPIT_POST_START={command}")],
    };
    match runtime.exec(container, &spec, None).await {
        // The shell exits at once; its output is empty.
        Ok(process) => {
            use futures::StreamExt;
            let _ = process.output.count().await;
        }
        Err(e) => tracing::warn!(error = %e, %container, "postStartCommand did not start"),
    }
}
