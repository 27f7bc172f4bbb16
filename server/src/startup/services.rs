//! The services, made from the configuration: each constructor only constructs (nothing
//! runs in the background, nothing is written); what must happen once before serving is in
//! `prepare`, and the loops that run while serving are started in `background`.

use std::sync::Arc;

use app::auth::SshAccess;
use tokio::sync::broadcast;
use tokio_util::task::TaskTracker;

use super::StartupError;
use crate::ai::agent::AgentManager;
use crate::ai::AiManager;
use crate::auth::audit::AuditLog;
use crate::auth::{AccessEvents, AuthManager, AuthSettings};
use crate::commands::{CommandRunner, CommandSettings};
use crate::config::ServeConfig;
use crate::creation::{CreationParts, Creations, Uploads};
use crate::files::FileManager;
use crate::preview::{self, PreviewParts, PreviewSettings, Previews};
use crate::runtime::{Backend, ContainerRuntime};
use crate::ssh::keys::SshKeys;
use crate::ssh::{host_key, SshParts, SshServer};
use crate::store::Store;
use crate::templates::catalog::Catalog;
use crate::templates::{Templates, SET_UP_DEADLINE};
use crate::terminal::TerminalHub;
use crate::usage::UsageMonitor;
use crate::workspaces::{WorkspaceManager, WorkspaceParts, WorkspaceSettings};

/// Every service of a running server.
pub struct Services {
    pub runtime: Arc<dyn ContainerRuntime>,
    pub events: AccessEvents,
    pub audit: AuditLog,
    /// A unit message each time a workspace container changes.
    pub changes: broadcast::Sender<()>,
    pub auth: Arc<AuthManager>,
    pub workspaces: Arc<WorkspaceManager>,
    pub creations: Arc<Creations>,
    pub terminals: TerminalHub,
    pub usage: Arc<UsageMonitor>,
    pub files: Arc<FileManager>,
    pub ai: Arc<AiManager>,
    pub agents: Arc<AgentManager>,
    pub previews: Arc<Previews>,
    pub templates: Arc<Templates>,
    pub ssh: Arc<SshServer>,
    pub ssh_keys: Arc<SshKeys>,
}

impl Services {
    /// The services `config` describes on `backend` and `store`; `https` when browsers
    /// reach the server over TLS; agent runs are spawned on `tasks`; `ssh` says where
    /// SSH is served (for the account page).
    pub async fn new(
        config: &ServeConfig,
        backend: &Backend,
        store: &Store,
        auth: AuthSettings,
        https: bool,
        tasks: TaskTracker,
        ssh: SshAccess,
    ) -> Result<Self, StartupError> {
        let runtime = backend.containers.clone();
        let events = AccessEvents::default();
        let audit = AuditLog::new(store.audit());
        let auth = Arc::new(AuthManager::new(store, auth, events.clone()));
        let catalog = Catalog::new(
            store.templates(),
            config.templates.folder.clone(),
            crate::images::dev::reference(),
        );
        let workspaces = Arc::new(WorkspaceManager::new(
            backend,
            store,
            WorkspaceSettings {
                limits: config.limits,
                idle_minute: config.idle_minute,
                sudo: config.templates.sudo,
                network: config.network.clone(),
                images: config.images.clone(),
                ..WorkspaceSettings::new(config.default_image.clone())
            },
            WorkspaceParts {
                events: events.clone(),
                templates: Some(Arc::new(catalog.clone())),
            },
        ));
        let resolver = workspaces.resolver();
        let terminals = TerminalHub::new(
            runtime.clone(),
            config.terminals.clone(),
            workspaces.holder(),
        );
        let files = Arc::new(FileManager::new(
            runtime.clone(),
            resolver.clone(),
            audit.clone(),
            config.files.clone(),
            workspaces.egress(),
        ));
        let ai = Arc::new(
            AiManager::new(
                config.ai.clone(),
                resolver.clone(),
                files.clone(),
                audit.clone(),
                store,
            )
            .await,
        );
        let commands = |deadline| {
            CommandRunner::new(
                runtime.clone(),
                resolver.clone(),
                CommandSettings {
                    deadline,
                    ..CommandSettings::default()
                },
            )
        };
        let agents = Arc::new(AgentManager::new(
            ai.clone(),
            files.clone(),
            commands(CommandSettings::default().deadline),
            resolver.clone(),
            store,
            audit.clone(),
            config.ai.agent.clone(),
            tasks.clone(),
        ));
        let previews = Arc::new(Previews::new(
            PreviewParts {
                links: store.preview_links(),
                users: store.users(),
                resolver: resolver.clone(),
                runtime: runtime.clone(),
                holder: workspaces.holder(),
                audit: audit.clone(),
                events: events.clone(),
            },
            PreviewSettings {
                https,
                ..config.previews.clone()
            },
            &preview::signing_key(&store.settings()).await?,
        ));
        let templates = Arc::new(Templates::new(
            catalog,
            workspaces.clone(),
            config.templates.clone(),
            backend,
            store,
            resolver.clone(),
            commands(SET_UP_DEADLINE),
            audit.clone(),
        ));
        let creations = Arc::new(Creations::new(
            CreationParts {
                workspaces: workspaces.clone(),
                templates: templates.clone(),
                files: files.clone(),
                uploads: Uploads::new(Uploads::beside(&config.database), config.files.clone()),
                store: store.creations(),
            },
            tasks,
        ));
        let host_key = host_key::load_or_create(&host_key::beside(&config.database))
            .map_err(|e| StartupError::Config(e.to_string()))?;
        let ssh_keys = Arc::new(SshKeys::new(
            store.ssh_keys(),
            audit.clone(),
            events.clone(),
            SshAccess {
                host_fingerprint: crate::ssh::fingerprint(&host_key),
                host_key: host_key
                    .public_key()
                    .to_openssh()
                    .map_err(|e| StartupError::Config(e.to_string()))?,
                ..ssh
            },
        ));
        let ssh = Arc::new(SshServer::new(
            SshParts {
                auth: auth.clone(),
                keys: store.ssh_keys(),
                resolver: resolver.clone(),
                workspaces: workspaces.clone(),
                terminals: terminals.clone(),
                runtime: runtime.clone(),
                holder: workspaces.holder(),
                files: files.clone(),
                audit: audit.clone(),
            },
            host_key,
        ));
        Ok(Self {
            ssh,
            ssh_keys,
            usage: UsageMonitor::new(runtime.clone()),
            changes: broadcast::channel(64).0,
            runtime,
            events,
            audit,
            auth,
            workspaces,
            creations,
            terminals,
            files,
            ai,
            agents,
            previews,
            templates,
        })
    }

    /// What must happen once before serving: the workspaces brought in line with the
    /// runtime (containers adopted, creates and stops cut short finished), the agent
    /// runs the last server left going marked as ended, its creations as interrupted.
    pub async fn prepare(&self) {
        match self.workspaces.reconcile().await {
            Ok(done) => tracing::info!(
                deleted = done.deleted,
                adopted = done.adopted,
                relinked = done.relinked,
                updated = done.updated,
                "reconciled with the runtime"
            ),
            Err(e) => {
                tracing::warn!(error = %e, "could not reconcile with the runtime; continuing")
            }
        }
        if let Err(e) = self.workspaces.recover(None).await {
            tracing::warn!(error = %e, "could not start the workspaces that should be running");
        }
        self.agents.end_interrupted_runs().await;
        self.creations.interrupt_left_running().await;
    }
}
