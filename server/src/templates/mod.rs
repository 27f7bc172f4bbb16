//! Workspace templates: a devcontainer.json subset (`devcontainer`), found built in, in a
//! folder on the server or added by admins (`catalog`), built through the runtime with their
//! progress streamed to whoever follows (`builds`, `routes`). A workspace made from one
//! keeps a copy of its set-up (environment, commands, ports); its `postCreateCommand` runs
//! once its files are in place, its `postStartCommand` on every start.

pub mod builds;
pub mod catalog;
pub mod context;
mod customizations;
pub mod devcontainer;
pub mod dockerfile;
pub mod jsonc;
pub mod repository;
mod source;

use std::time::Duration;

use app::auth::{Actor, WorkspaceRef};
use app::error::{AppError, Field};
use app::model::{SetupOutcome, TemplateInfo, TemplateOrigin};
use app::service::TemplateService;

use self::builds::{Build, Builds};
use self::catalog::{Catalog, Template};
use crate::access::policy::Action;
use crate::access::{Resolved, Resolver};
use crate::auth::audit::AuditLog;
use crate::commands::CommandRunner;
use crate::runtime::{Backend, ContainerRuntime, ImageStore};
use crate::store::{
    unix_now, BuiltImageStore, Store, StoredTemplate, TemplateStore, WorkspaceStore,
};
use crate::workspaces::{post_start, WorkspaceManager};
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
    workspaces: Arc<WorkspaceManager>,
    settings: TemplateSettings,
    builds: Builds,
    runtime: Arc<dyn ContainerRuntime>,
    images: Arc<dyn ImageStore>,
    store: TemplateStore,
    /// The workspaces' records, for the set-up a template leaves in them.
    records: WorkspaceStore,
    built_images: BuiltImageStore,
    resolver: Resolver,
    commands: CommandRunner,
    audit: AuditLog,
}

impl Templates {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        catalog: Catalog,
        workspaces: Arc<WorkspaceManager>,
        settings: TemplateSettings,
        backend: &Backend,
        store: &Store,
        resolver: Resolver,
        commands: CommandRunner,
        audit: AuditLog,
    ) -> Self {
        Self {
            catalog,
            workspaces,
            settings,
            builds: Builds::new(backend.images.clone()),
            runtime: backend.containers.clone(),
            images: backend.images.clone(),
            store: store.templates(),
            records: store.workspaces(),
            built_images: store.built_images(),
            resolver,
            commands,
            audit,
        }
    }

    pub fn builds(&self) -> &Builds {
        &self.builds
    }

    /// `Ok` when `actor` may follow the build of `template`: anyone signed in for a
    /// template's, only who may use the workspace for a repository's.
    pub async fn may_follow(&self, actor: &Actor, template: &str) -> Result<(), AppError> {
        let Some(workspace) = self.builds.of(template).and_then(|b| b.workspace.clone()) else {
            return match template.starts_with(repository::ID_PREFIX) {
                // A repository's build nobody started here: nothing to follow, nor to say.
                true => Err(AppError::NotFound(template.to_owned())),
                false => Ok(()),
            };
        };
        let record = self.records.find_by_id(&workspace).await?;
        let access = match &record {
            Some(record) => self.resolver.access(actor, record).await?,
            None => None,
        };
        match access.is_some_and(|a| a.can_use()) {
            true => Ok(()),
            false => Err(AppError::NotFound(template.to_owned())),
        }
    }

    async fn info(&self, template: &Template) -> Result<TemplateInfo, AppError> {
        let image = template.image(&self.catalog.dev_image);
        let ready = self.images.image_exists(&image).await?;
        Ok(template.info(&self.catalog.dev_image, ready))
    }

    /// The workspace's repository template, and the container to read it from.
    async fn repository_of(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
    ) -> Result<(Resolved, Option<Template>), AppError> {
        let resolved = self.resolver.resolve(actor, workspace, Action::Use).await?;
        let container = resolved.container()?.to_owned();
        let found =
            repository::find(self.runtime.as_ref(), &container, &resolved.record.id).await?;
        Ok((resolved, found))
    }

    /// The repository's template, for its owner or an admin only: building and applying it
    /// changes the workspace's image and set-up, which an editor may not.
    async fn managed_repository(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
    ) -> Result<(Resolved, Template), AppError> {
        self.resolver
            .peek(actor, workspace, Action::Configure)
            .await?;
        self.required_repository(actor, workspace).await
    }

    /// [`repository_of`](Self::repository_of), where having one is required.
    async fn required_repository(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
    ) -> Result<(Resolved, Template), AppError> {
        match self.repository_of(actor, workspace).await? {
            (resolved, Some(template)) => Ok((resolved, template)),
            (_, None) => Err(AppError::invalid(
                Field::Template,
                "The repository has no .devcontainer/devcontainer.json.",
            )),
        }
    }

    /// The image a repository template runs: the one it names, or its last build's.
    fn repository_image(&self, template: &Template) -> Option<String> {
        match &template.parsed.source {
            devcontainer::Source::Image(image) => Some(image.clone()),
            devcontainer::Source::Build { .. } => match self.builds.of(&template.id) {
                Some(build) => build.image(),
                None => None,
            },
        }
    }

    /// Starts building `template`'s image unless it is on this machine: the build now
    /// running, or `None` when there is nothing to build.
    pub async fn ensure_built(&self, template: &str) -> Result<Option<Arc<Build>>, AppError> {
        let template = self.catalog.find(template).await?;
        let info = self.info(&template).await?;
        if info.ready {
            return Ok(None);
        }
        match template.build(&self.catalog.dev_image)? {
            Some((context, build)) => {
                Ok(Some(self.builds.start(&template.id, context, build, None)))
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
        self.ensure_built(template).await.map(drop)
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

    async fn repository(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
    ) -> Result<Option<TemplateInfo>, AppError> {
        let (_, found) = self.repository_of(actor, workspace).await?;
        let Some(template) = found else {
            return Ok(None);
        };
        let image = self.repository_image(&template);
        let ready = match &image {
            Some(image) => self.images.image_exists(image).await?,
            None => false,
        };
        Ok(Some(TemplateInfo {
            image: image.unwrap_or_default(),
            ..template.info(&self.catalog.dev_image, ready)
        }))
    }

    async fn build_repository(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
    ) -> Result<(), AppError> {
        let (resolved, template) = self.managed_repository(actor, workspace).await?;
        if !self.settings.sudo && template.builds() {
            // A build's steps run as root, in a container without AiCockpit's hardening.
            return Err(AppError::Forbidden(
                "This server does not build repositories' Dockerfiles (--forbid-sudo): their steps run as root.".into(),
            ));
        }
        let container = resolved.container()?;
        let Some(checked) = repository::build(
            self.runtime.as_ref(),
            container,
            &template,
            &self.catalog.dev_image,
        )
        .await?
        else {
            return Ok(());
        };
        for base in &checked.bases {
            self.workspaces.may_use_image(actor, base).await?;
        }
        // Its owner's, whoever builds it: it holds their repository's files.
        if let Some(owner) = &resolved.record.owner {
            self.built_images
                .record_built_image(&checked.build.reference, owner.id, unix_now())
                .await?;
        }
        let workspace_id = Some(resolved.record.id.clone());
        self.builds
            .start(&template.id, checked.context, checked.build, workspace_id);
        Ok(())
    }

    async fn apply_repository(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
    ) -> Result<(), AppError> {
        let (_, template) = self.managed_repository(actor, workspace).await?;
        let image = self.repository_image(&template).ok_or_else(|| {
            AppError::invalid(Field::Template, "Build the repository's image first.")
        })?;
        if !self.images.image_exists(&image).await? {
            return Err(AppError::ImageMissing {
                image,
                hint: "The repository's devcontainer.json names it; pull it or build it on this machine.".into(),
            });
        }
        self.workspaces.may_use_image(actor, &image).await?;
        self.workspaces
            .remake(actor, workspace, image, template.setup(), &template.name())
            .await
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
        self.records.set_setup(&resolved.record.id, &setup).await?;
        let mut done = SetupOutcome {
            command: None,
            exit_code: None,
            output: String::new(),
        };
        let egress = self.workspaces.egress();
        egress
            .ready(resolved.container()?, &resolved.record.id)
            .await;
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
