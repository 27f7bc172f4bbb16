//! The workspace service: lifecycle on top of the runtime port and the store. Docker is the
//! truth for run state; the store keeps what Docker does not know. Every call names the
//! actor and goes through the resolver, which applies the policy.

mod admission;
mod events;
mod idle;
mod images;
mod interrupted;
mod launch;
mod limits;
mod network;
mod reconcile;
mod recover;
mod sharing;
mod start_times;
mod template;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use app::auth::{Actor, Share, ShareRole, UserName, WorkspaceRef};
use app::error::AppError;
use app::model::{
    ImageChoice, LimitBounds, Limits, NetworkBounds, NetworkLevel, NetworkView, Workspace,
    WorkspaceList, WorkspaceName, WorkspaceSpec, WorkspaceStatus,
};
use app::service::WorkspaceService;

use crate::access::policy::Action;
use crate::access::{Resolved, Resolver, MOUNT_PATH, WORKSPACE_USER};
use crate::auth::audit::AuditLog;
use crate::auth::AccessEvents;
use crate::egress::Egress;
use crate::runtime::{
    labels, Backend, ContainerInfo, ContainerRuntime, ContainerState, ImageStore, RuntimeError,
};
use crate::store::{
    unix_now, BuiltImageStore, EgressStore, Owner, ShareStore, Store, UserStore, WorkspaceRecord,
    WorkspaceStore,
};
use crate::terminal::holder::Installer;

pub use events::relay_lifecycle_events;
pub use idle::stop_idle_workspaces;
pub use images::ImageSettings;
pub use launch::{CAPABILITIES, SUDO_CAPABILITIES};
pub use reconcile::Reconciled;
pub use template::{post_start, TemplateChoice, TemplateSource, POST_START_LOG};

/// How workspaces are made, from the configuration.
#[derive(Debug, Clone)]
pub struct WorkspaceSettings {
    pub default_image: String,
    /// `uid:gid` the workspace runs as.
    pub user: String,
    pub limits: LimitBounds,
    pub stop_grace: Duration,
    /// How long a minute of idle time lasts: a minute, shorter only in tests.
    pub idle_minute: Duration,
    /// Whether templates may give a workspace `sudo`.
    pub sudo: bool,
    /// Network levels and the allowlist.
    pub network: crate::egress::NetworkSettings,
    /// Which images members may use besides the defaults.
    pub images: ImageSettings,
}

impl WorkspaceSettings {
    pub fn new(default_image: impl Into<String>) -> Self {
        Self {
            default_image: default_image.into(),
            user: WORKSPACE_USER.into(),
            limits: LimitBounds::default(),
            stop_grace: Duration::from_secs(10),
            idle_minute: Duration::from_secs(60),
            sudo: true,
            network: crate::egress::NetworkSettings::default(),
            images: ImageSettings::default(),
        }
    }
}

pub struct WorkspaceManager {
    runtime: Arc<dyn ContainerRuntime>,
    images: Arc<dyn ImageStore>,
    /// Copies the holder into containers, for everything that runs it.
    holder: Installer,
    /// Serves each running workspace's outbound connections.
    egress: Arc<Egress>,
    store: WorkspaceStore,
    shares: ShareStore,
    /// To find the users named in shares and container labels.
    users: UserStore,
    built_images: BuiltImageStore,
    egress_log: EgressStore,
    resolver: Resolver,
    audit: AuditLog,
    events: AccessEvents,
    settings: WorkspaceSettings,
    started: start_times::StartTimes,
    /// Where `WorkspaceSpec::template` is looked up; none: templates are not offered.
    templates: Option<Arc<dyn TemplateSource>>,
}

/// The name a new container gets. Neither part may contain a dot, so owner and name cannot
/// run into each other. Existing containers are found by the id the store recorded.
pub fn container_name(owner: &UserName, name: &WorkspaceName) -> String {
    format!("aicockpit-{owner}.{name}")
}

/// Named after owner and workspace, so deleting a workspace but keeping its files and
/// creating one with the same name again brings the files back.
pub fn volume_name(owner: &UserName, name: &WorkspaceName) -> String {
    format!("aicockpit-{owner}.{name}-files")
}

/// What a workspace manager works with besides its backend, store and settings.
#[derive(Default)]
pub struct WorkspaceParts {
    /// Where share changes are announced, for the connections open on a workspace.
    pub events: AccessEvents,
    /// Where templates are found; none: templates are not offered.
    pub templates: Option<Arc<dyn TemplateSource>>,
}

impl WorkspaceManager {
    pub fn new(
        backend: &Backend,
        store: &Store,
        settings: WorkspaceSettings,
        parts: WorkspaceParts,
    ) -> Self {
        let holder = Installer::new(backend.containers.clone());
        let egress = Egress::new(
            backend.containers.clone(),
            holder.clone(),
            store,
            settings.network.clone(),
        );
        Self {
            runtime: backend.containers.clone(),
            images: backend.images.clone(),
            holder,
            egress,
            resolver: Resolver::new(store),
            audit: AuditLog::new(store.audit()),
            events: parts.events,
            store: store.workspaces(),
            shares: store.shares(),
            users: store.users(),
            built_images: store.built_images(),
            egress_log: store.egress(),
            settings,
            started: Default::default(),
            templates: parts.templates,
        }
    }

    /// The resolver every other route uses to find a workspace for an actor.
    pub fn resolver(&self) -> Resolver {
        self.resolver.clone()
    }

    /// What copies the holder into containers, shared with the terminals and previews.
    pub fn holder(&self) -> Installer {
        self.holder.clone()
    }

    /// The egress service, whose relays follow the containers once started.
    pub fn egress(&self) -> Arc<Egress> {
        self.egress.clone()
    }

    /// Resolves, acts, and records the action in the audit log.
    async fn act(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        action: Action,
        audit: &str,
    ) -> Result<Resolved, AppError> {
        let resolved = self.resolver.resolve(actor, workspace, action).await?;
        self.audit.record(actor, audit, Some(workspace), None).await;
        Ok(resolved)
    }
}

impl WorkspaceManager {
    /// A workspace as the API shows it: its record, whose it is, what the asking user may
    /// do, its container's state (`None`: no container) and, running, when it stops unused.
    fn shown(
        &self,
        record: WorkspaceRecord,
        owner: UserName,
        access: app::auth::Access,
        state: Option<ContainerState>,
        started_at: Option<i64>,
        node: Option<String>,
    ) -> Workspace {
        let running = state == Some(ContainerState::Running);
        Workspace {
            placement: app::model::Placement {
                runtime: self.runtime.engine().name().to_owned(),
                node,
            },
            idle_stop: running.then(|| self.idle_stop(&record)).flatten(),
            idle_minutes: record.idle_minutes,
            network: self.settings.network.level_of(&record),
            id: record.id,
            owner,
            name: record.name,
            access,
            image: record.image,
            status: status(state),
            limits: record.limits,
            created_at: record.created_at,
            started_at,
            notice: record.notice,
        }
    }
}

fn status(state: Option<ContainerState>) -> WorkspaceStatus {
    match state {
        None => WorkspaceStatus::Missing,
        Some(ContainerState::Running) => WorkspaceStatus::Running,
        Some(ContainerState::Created | ContainerState::Exited) => WorkspaceStatus::Stopped,
        Some(ContainerState::Paused) => WorkspaceStatus::Paused,
        Some(ContainerState::Restarting) => WorkspaceStatus::Restarting,
        Some(ContainerState::Removing) => WorkspaceStatus::Removing,
        Some(ContainerState::Dead) => WorkspaceStatus::Dead,
    }
}

/// "Already there" and "already gone" are success for idempotent lifecycle calls.
fn tolerate(
    result: Result<(), RuntimeError>,
    ok_when: fn(&RuntimeError) -> bool,
) -> Result<(), AppError> {
    match result {
        Err(e) if ok_when(&e) => Ok(()),
        other => other.map_err(AppError::from),
    }
}

#[async_trait::async_trait]
impl WorkspaceService for WorkspaceManager {
    async fn list(&self, actor: &Actor) -> Result<WorkspaceList, AppError> {
        let containers = self.runtime.list_managed().await?;
        let visible = self.resolver.visible(actor).await?;
        let by_workspace: HashMap<&str, &ContainerInfo> = containers
            .iter()
            .filter_map(|c| Some((c.labels.get(labels::WORKSPACE)?.as_str(), c)))
            .collect();
        let started = self
            .start_times(&by_workspace.values().copied().collect::<Vec<_>>())
            .await;
        let mut workspaces = Vec::with_capacity(visible.len());
        for Resolved {
            record,
            reference,
            access,
        } in visible
        {
            let container = by_workspace.get(record.id.as_str());
            let started_at = container.and_then(|c| started.get(&c.id).copied());
            workspaces.push(self.shown(
                record,
                reference.owner,
                access,
                container.map(|c| c.state),
                started_at,
                container.and_then(|c| c.node.clone()),
            ));
        }
        Ok(WorkspaceList {
            workspaces,
            now: unix_now(),
        })
    }

    async fn create(&self, actor: &Actor, spec: WorkspaceSpec) -> Result<Workspace, AppError> {
        self.may_create(actor, &spec).await?;
        let template::Chosen {
            image,
            setup,
            idle_minutes,
            network,
        } = self.image_and_setup(&spec).await?;
        let network = spec
            .network
            .or(network)
            .unwrap_or(self.settings.network.default);
        let network = self.allowed_level(network).await?;
        let workspace = WorkspaceRef::new(actor.name.clone(), spec.name.clone());
        let record = WorkspaceRecord {
            id: uuid::Uuid::new_v4().simple().to_string(),
            owner: Some(Owner {
                id: actor.id,
                name: actor.name.clone(),
            }),
            volume: volume_name(&actor.name, &spec.name),
            name: spec.name,
            image,
            limits: spec.limits,
            container_id: None,
            created_at: unix_now(),
            want_running: Some(true),
            notice: None,
            idle_minutes,
            setup,
            network,
        };
        self.store.insert(&record).await?;
        let launched = self.launch(&record, &workspace).await;
        // Running just now: its idle time starts here.
        self.resolver.activity().touch(&record.id);
        match &launched {
            Ok(_) => {
                let detail = Some(match &record.setup {
                    Some(setup) => format!("template {}, image {}", setup.template, record.image),
                    None => format!("image {}", record.image),
                });
                self.audit
                    .record(actor, "workspace-create", Some(&workspace), detail)
                    .await
            }
            Err(_) => {
                if let Err(e) = self.store.delete(&record.id).await {
                    tracing::warn!(error = %e, %workspace, "could not forget a workspace that failed to launch");
                }
            }
        }
        launched
    }

    async fn start(&self, actor: &Actor, workspace: &WorkspaceRef) -> Result<(), AppError> {
        let Resolved { record, .. } = self
            .act(actor, workspace, Action::Use, "workspace-start")
            .await?;
        self.store.set_want_running(&record.id, true).await?;
        self.forget_start_time(Some(&record.id));
        let result = match &record.container_id {
            Some(id) => self.runtime.start_container(id).await,
            None => Err(RuntimeError::NotFound("no container yet".into())),
        };
        let started = match (result, &record.container_id) {
            // The container was removed behind our back: recreate it on the same volume.
            (Err(RuntimeError::NotFound(_)), _) => self.launch(&record, workspace).await.map(drop),
            (Ok(()), Some(container)) => {
                self.egress.serve(container, &record.id);
                Ok(())
            }
            (other, _) => other.map_err(AppError::from),
        };
        // Running just now: its idle time starts here.
        self.resolver.activity().touch(&record.id);
        if started.is_ok() {
            self.after_start(&record).await;
        }
        started
    }

    async fn stop(&self, actor: &Actor, workspace: &WorkspaceRef) -> Result<(), AppError> {
        let Resolved { record, .. } = self
            .act(actor, workspace, Action::Use, "workspace-stop")
            .await?;
        // First, so that a recovery running meanwhile does not start it again.
        self.store.set_want_running(&record.id, false).await?;
        self.forget_start_time(Some(&record.id));
        let Some(id) = record.container_id else {
            return Ok(());
        };
        let result = self
            .runtime
            .stop_container(&id, self.settings.stop_grace)
            .await;
        tolerate(result, |e| matches!(e, RuntimeError::NotFound(_)))
    }

    async fn delete(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        keep_volume: bool,
    ) -> Result<(), AppError> {
        let Resolved { record, .. } = self
            .act(actor, workspace, Action::Delete, "workspace-delete")
            .await?;
        // Recorded first: a delete cut short is finished at the next start, never undone.
        self.store.begin_delete(&record.id, keep_volume).await?;
        self.remove(&record, keep_volume).await
    }

    async fn describe(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
    ) -> Result<Workspace, AppError> {
        let Resolved { record, access, .. } = self
            .resolver
            .resolve(actor, workspace, Action::View)
            .await?;
        let details = match &record.container_id {
            Some(id) => match self.runtime.inspect(id).await {
                Ok(details) => Some(details),
                Err(RuntimeError::NotFound(_)) => None,
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        let state = details.as_ref().map(|d| d.info.state);
        let node = details.as_ref().and_then(|d| d.info.node.clone());
        let started_at = details.and_then(|d| d.started_at);
        Ok(self.shown(
            record,
            workspace.owner.clone(),
            access,
            state,
            started_at,
            node,
        ))
    }

    async fn shares(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
    ) -> Result<Vec<Share>, AppError> {
        self.list_shares(actor, workspace).await
    }

    async fn share(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        user: &str,
        role: Option<ShareRole>,
    ) -> Result<(), AppError> {
        self.change_share(actor, workspace, user, role).await
    }

    async fn set_limits(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        limits: Limits,
    ) -> Result<Workspace, AppError> {
        self.change_limits(actor, workspace, limits).await
    }

    async fn set_idle_stop(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        minutes: Option<u32>,
    ) -> Result<Workspace, AppError> {
        self.change_idle_stop(actor, workspace, minutes).await
    }

    fn limit_bounds(&self) -> LimitBounds {
        self.settings.limits
    }

    async fn network_bounds(&self) -> NetworkBounds {
        self.bounds().await
    }

    async fn network(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
    ) -> Result<NetworkView, AppError> {
        self.view_network(actor, workspace).await
    }

    async fn set_network(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        level: NetworkLevel,
    ) -> Result<NetworkView, AppError> {
        self.change_network(actor, workspace, level).await
    }

    async fn images(&self, actor: &Actor) -> Result<Vec<ImageChoice>, AppError> {
        self.image_choices(actor).await
    }
}
