//! Workspace templates: a devcontainer.json subset (`devcontainer`), found built in, in a
//! folder on the server or added by admins (`catalog`), built through the runtime with their
//! progress streamed to whoever follows (`builds`, `routes`). A workspace made from one
//! keeps a copy of its set-up (environment, commands, ports); its `postCreateCommand` runs
//! once its files are in place, its `postStartCommand` on every start.

pub mod builds;
pub mod catalog;
pub mod devcontainer;
pub mod routes;

use std::time::Duration;

use app::auth::{Actor, WorkspaceRef};
use app::error::AppError;
use app::model::{SetupOutcome, TemplateInfo, TemplateOrigin};
use app::service::TemplateService;

use self::builds::Builds;
use self::catalog::{Catalog, Template};
use crate::auth::audit::AuditLog;
use crate::auth::policy::Action;
use crate::commands::CommandRunner;
use crate::runtime::ContainerRuntime;
use crate::store::{unix_now, Store, StoredTemplate};
use crate::workspaces::{post_start, Resolver};
use std::sync::Arc;

/// How the server offers templates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateSettings {
    /// A folder of templates, besides the built-in ones and those admins add.
    pub folder: Option<std::path::PathBuf>,
    /// Whether templates may ask for `sudo` (root inside, lower isolation).
    pub sudo: bool,
}

impl Default for TemplateSettings {
    fn default() -> Self {
        Self {
            folder: None,
            sudo: true,
        }
    }
}

/// The longest a `postCreateCommand` may run (installing dependencies can take a while).
pub const SET_UP_DEADLINE: Duration = Duration::from_secs(15 * 60);

pub struct Templates {
    catalog: Catalog,
    builds: Builds,
    runtime: Arc<dyn ContainerRuntime>,
    store: Store,
    resolver: Resolver,
    commands: CommandRunner,
    audit: AuditLog,
}

impl Templates {
    pub fn new(
        catalog: Catalog,
        runtime: Arc<dyn ContainerRuntime>,
        store: Store,
        resolver: Resolver,
        commands: CommandRunner,
        audit: AuditLog,
    ) -> Self {
        Self {
            catalog,
            builds: Builds::new(runtime.clone()),
            runtime,
            store,
            resolver,
            commands,
            audit,
        }
    }

    pub fn builds(&self) -> &Builds {
        &self.builds
    }

    async fn info(&self, template: &Template) -> Result<TemplateInfo, AppError> {
        let image = template.image(&self.catalog.dev_image);
        let ready = self.runtime.image_exists(&image).await?;
        Ok(template.info(&self.catalog.dev_image, ready))
    }

    fn admin_only(actor: &Actor, what: &str) -> Result<(), AppError> {
        match actor.is_admin() {
            true => Ok(()),
            false => Err(AppError::Forbidden(format!("Only admins {what}."))),
        }
    }
}

#[async_trait::async_trait]
impl TemplateService for Templates {
    async fn templates(&self, _actor: &Actor) -> Result<Vec<TemplateInfo>, AppError> {
        let mut infos = Vec::new();
        for template in self.catalog.all().await? {
            infos.push(self.info(&template).await?);
        }
        Ok(infos)
    }

    async fn build(&self, _actor: &Actor, template: &str) -> Result<(), AppError> {
        let template = self.catalog.find(template).await?;
        let info = self.info(&template).await?;
        if info.ready {
            return Ok(());
        }
        match template.build(&self.catalog.dev_image)? {
            Some((context, build)) => {
                self.builds.start(&template.id, context, build);
                Ok(())
            }
            None => Err(AppError::ImageMissing {
                image: info.image.clone(),
                hint: format!(
                    "The template “{}” names it; pull it with `aicockpit image pull {}`.",
                    info.name, info.image
                ),
            }),
        }
    }

    async fn add(
        &self,
        actor: &Actor,
        devcontainer: &str,
        dockerfile: Option<&str>,
    ) -> Result<TemplateInfo, AppError> {
        Self::admin_only(actor, "add templates")?;
        let template = Catalog::parse_added(devcontainer, dockerfile)?;
        let stored = StoredTemplate {
            id: template.id.clone(),
            devcontainer: devcontainer.to_owned(),
            dockerfile: dockerfile.map(str::to_owned),
        };
        self.store
            .put_template(&stored, actor.id, unix_now())
            .await?;
        self.audit
            .record(actor, "template added", None, Some(template.id.clone()))
            .await;
        self.info(&template).await
    }

    async fn remove(&self, actor: &Actor, template: &str) -> Result<(), AppError> {
        Self::admin_only(actor, "remove templates")?;
        let found = self.catalog.find(template).await?;
        if found.origin != TemplateOrigin::Added {
            return Err(AppError::Forbidden(format!(
                "“{}” is {}; only templates added here can be removed here.",
                found.name(),
                found.origin.label()
            )));
        }
        self.store.delete_template(template).await?;
        self.audit
            .record(actor, "template removed", None, Some(template.to_owned()))
            .await;
        Ok(())
    }

    async fn set_up(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
    ) -> Result<SetupOutcome, AppError> {
        let resolved = self.resolver.resolve(actor, workspace, Action::Use).await?;
        let Some(mut setup) = resolved.record.setup.clone().filter(|s| !s.set_up) else {
            return Ok(SetupOutcome {
                command: None,
                exit_code: None,
                output: String::new(),
            });
        };
        // Once, whatever happens: its output says what to do by hand.
        setup.set_up = true;
        self.store.set_setup(&resolved.record.id, &setup).await?;
        let mut done = SetupOutcome {
            command: None,
            exit_code: None,
            output: String::new(),
        };
        if let Some(command) = setup.post_create {
            let outcome = self
                .commands
                .run(actor, workspace, &command, Some(SET_UP_DEADLINE))
                .await?;
            done = SetupOutcome {
                command: Some(command),
                exit_code: outcome.exit_code,
                output: outcome.output,
            };
        }
        // Then the first start's command, as on every start after.
        if let Some(command) = &setup.post_start {
            post_start(self.runtime.as_ref(), resolved.container()?, command).await;
        }
        Ok(done)
    }
}
