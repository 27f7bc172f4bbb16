//! Wires the application together: runtime, store, services, the router with Leptos pages,
//! server functions, live updates, health and static files, behind the Host/Origin guard
//! and authentication.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use app::model::LimitBounds;
use app::service::SharedWorkspaceService;
use axum::Router;
use axum_server::tls_rustls::RustlsConfig;
use leptos::config::{get_configuration, LeptosOptions};
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::ai::agent::AgentManager;
use crate::ai::{AiManager, AiSettings};
use crate::auth::audit::AuditLog;
use crate::auth::{AccessEvents, AuthManager, AuthSettings};
use crate::commands::{CommandRunner, CommandSettings};
use crate::egress::NetworkSettings;
use crate::files::{FileManager, FileSettings};
use crate::http::actor::Authenticator;
use crate::http::origin::SiteOrigins;
use crate::http::state::AppState;
use crate::http::{self, mcp};
use crate::preview::{PreviewParts, PreviewSettings, Previews};
use crate::runtime::Backend;
use crate::store::{Store, StoreError};
use crate::templates::catalog::Catalog;
use crate::templates::{TemplateSettings, Templates, SET_UP_DEADLINE};
use crate::terminal::{TerminalHub, TerminalSettings};
use crate::usage::UsageMonitor;
use crate::workspaces::{
    relay_lifecycle_events, stop_idle_workspaces, ImageSettings, WorkspaceManager,
    WorkspaceSettings,
};

/// Everything `serve` needs, independent of how it was configured.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub bind: SocketAddr,
    pub database: PathBuf,
    pub default_image: String,
    /// Workspace limits: what a new one gets, and the most any may have; idle times too.
    pub limits: LimitBounds,
    /// How long a minute of idle time lasts: a minute, shorter only in tests.
    pub idle_minute: Duration,
    pub site_root: PathBuf,
    /// Where people reach the server, besides its address and localhost.
    pub public_url: Option<String>,
    /// Serve HTTPS directly, without a reverse proxy in front.
    pub tls: Option<TlsFiles>,
    pub terminals: TerminalSettings,
    pub files: FileSettings,
    pub auth: AuthSettings,
    pub ai: AiSettings,
    pub previews: PreviewSettings,
    pub templates: TemplateSettings,
    /// Workspaces' network levels and allowlist.
    pub network: NetworkSettings,
    /// The images members may use besides the defaults.
    pub images: ImageSettings,
}

impl ServeConfig {
    /// On a port of the loopback interface's choosing, with the database file `database`,
    /// `default_image` offered first, and every other setting at its default.
    pub fn local(database: PathBuf, default_image: impl Into<String>) -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            database,
            default_image: default_image.into(),
            limits: LimitBounds::default(),
            idle_minute: Duration::from_secs(60),
            site_root: "target/site".into(),
            public_url: None,
            tls: None,
            terminals: TerminalSettings::default(),
            files: FileSettings::default(),
            auth: AuthSettings::default(),
            ai: AiSettings::default(),
            previews: PreviewSettings::default(),
            templates: TemplateSettings::default(),
            network: NetworkSettings::default(),
            images: ImageSettings::default(),
        }
    }
}

/// A PEM certificate chain and its private key.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TlsFiles {
    async fn load(&self) -> Result<RustlsConfig, StartupError> {
        // One crypto provider is compiled in; make it the process default before rustls
        // looks for one (installing twice, as tests do, is harmless).
        let _ = rustls::crypto::ring::default_provider().install_default();
        RustlsConfig::from_pem_file(&self.cert, &self.key)
            .await
            .map_err(|e| {
                StartupError::Config(format!(
                    "cannot use the TLS certificate {} with the key {}: {e}",
                    self.cert.display(),
                    self.key.display()
                ))
            })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("invalid Leptos configuration: {0}")]
    Leptos(String),
}

pub struct Application {
    listener: TcpListener,
    tls: Option<RustlsConfig>,
    router: Router,
    shutdown: CancellationToken,
    tasks: TaskTracker,
    pub addr: SocketAddr,
    pub workspaces: Arc<WorkspaceManager>,
    pub auth: Arc<AuthManager>,
    /// The one-time set-up token, while no user exists.
    pub setup_token: Option<String>,
}

impl Application {
    /// The server `config` describes, running workspaces on `backend`.
    pub async fn build(config: ServeConfig, backend: Backend) -> Result<Self, StartupError> {
        // Before the first runtime call, so that it is counted.
        crate::metrics::handle();
        let runtime = backend.containers.clone();
        let origins =
            SiteOrigins::new(config.public_url.as_deref()).map_err(StartupError::Config)?;
        if let Some(domain) = &config.previews.domain {
            origins
                .check_preview_domain(domain)
                .map_err(StartupError::Config)?;
        }
        let tls = match &config.tls {
            Some(files) => Some(files.load().await?),
            None => None,
        };
        let store = Store::open(&config.database).await?;
        let mut auth_settings = config.auth.clone();
        auth_settings.always_secure |= origins.public_is_https();
        auth_settings
            .setup_file
            .get_or_insert_with(|| setup_file(&config.database));
        let events = AccessEvents::default();
        let auth = Arc::new(AuthManager::new(
            store.clone(),
            auth_settings,
            events.clone(),
        ));
        let setup_token = auth
            .prepare_setup()
            .await
            .map_err(|e| StartupError::Config(e.to_string()))?;
        let catalog = Catalog::new(
            store.clone(),
            config.templates.folder.clone(),
            crate::images::dev::reference(),
        );
        let manager = Arc::new(
            WorkspaceManager::new(
                &backend,
                store.clone(),
                WorkspaceSettings {
                    limits: config.limits,
                    idle_minute: config.idle_minute,
                    sudo: config.templates.sudo,
                    network: config.network.clone(),
                    images: config.images.clone(),
                    ..WorkspaceSettings::new(config.default_image.clone())
                },
            )
            .announcing(events.clone())
            .with_templates(catalog.clone()),
        );
        match manager.reconcile().await {
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
        // Workspaces as they should be: running (a create cut short, a machine restarted) or
        // stopped (a stop cut short).
        if let Err(e) = manager.recover(None).await {
            tracing::warn!(error = %e, "could not start the workspaces that should be running");
        }
        let (changes, _) = broadcast::channel(64);
        tokio::spawn(relay_lifecycle_events(manager.clone(), changes.clone()));

        let listener =
            TcpListener::bind(config.bind)
                .await
                .map_err(|source| StartupError::Bind {
                    addr: config.bind,
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| StartupError::Bind {
            addr: config.bind,
            source,
        })?;
        let shutdown = CancellationToken::new();
        tokio::spawn(stop_idle_workspaces(
            manager.clone(),
            changes.clone(),
            shutdown.clone(),
        ));
        let tasks = TaskTracker::new();
        let audit = AuditLog::new(store.clone());
        let terminals =
            TerminalHub::new(runtime.clone(), config.terminals.clone(), manager.holder());
        tokio::spawn(manager.egress().follow_containers(shutdown.clone()));
        let files = Arc::new(FileManager::new(
            runtime.clone(),
            manager.resolver(),
            audit.clone(),
            config.files.clone(),
            manager.egress(),
        ));
        let ai = Arc::new(
            AiManager::new(
                config.ai.clone(),
                manager.resolver(),
                files.clone(),
                audit.clone(),
                store.clone(),
            )
            .await,
        );
        let commands = CommandRunner::new(
            runtime.clone(),
            manager.resolver(),
            CommandSettings::default(),
        );
        let agents = Arc::new(
            AgentManager::new(
                ai.clone(),
                files.clone(),
                commands,
                manager.resolver(),
                store.clone(),
                audit.clone(),
                config.ai.agent.clone(),
                shutdown.clone(),
                tasks.clone(),
            )
            .await,
        );
        let previews = Arc::new(
            Previews::new(
                PreviewParts {
                    store: store.clone(),
                    resolver: manager.resolver(),
                    runtime: runtime.clone(),
                    holder: manager.holder(),
                    audit: audit.clone(),
                    events: events.clone(),
                },
                PreviewSettings {
                    https: tls.is_some() || origins.public_is_https(),
                    ..config.previews.clone()
                },
            )
            .await
            .map_err(|e| StartupError::Config(e.to_string()))?,
        );
        let templates = Arc::new(Templates::new(
            catalog,
            manager.clone(),
            config.templates.clone(),
            &backend,
            store,
            manager.resolver(),
            CommandRunner::new(
                runtime.clone(),
                manager.resolver(),
                CommandSettings {
                    deadline: SET_UP_DEADLINE,
                    ..CommandSettings::default()
                },
            ),
            audit.clone(),
        ));
        let mcp = mcp::service(agents.clone(), shutdown.child_token());
        let state = AppState {
            leptos_options: leptos_options(&config, addr)?,
            workspaces: manager.clone() as SharedWorkspaceService,
            resolver: manager.resolver(),
            auth: auth.clone(),
            access_events: events.clone(),
            audit: audit.clone(),
            runtime: runtime.clone(),
            changes,
            terminals,
            usage: UsageMonitor::new(runtime.clone()),
            files,
            previews,
            templates,
            ai,
            agents,
            mcp,
            shutdown: shutdown.clone(),
            tasks: tasks.clone(),
        };
        let authenticator = Authenticator {
            auth: auth.clone(),
            tls: tls.is_some(),
        };
        Ok(Self {
            listener,
            tls,
            router: http::router(state, origins, authenticator),
            shutdown,
            tasks,
            addr,
            workspaces: manager,
            auth,
            setup_token,
        })
    }

    /// Serves until `shutdown` completes, then ends open event streams, finishes the
    /// requests in flight, and waits (a while) for terminals to close with a reason and for
    /// agent runs to record how they ended.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let token = self.shutdown;
        let stop = async move {
            shutdown.await;
            token.cancel();
        };
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let served = match self.tls {
            None => {
                axum::serve(self.listener, service)
                    .with_graceful_shutdown(stop)
                    .await
            }
            Some(tls) => {
                let handle = axum_server::Handle::new();
                let stopping = handle.clone();
                tokio::spawn(async move {
                    stop.await;
                    stopping.graceful_shutdown(Some(Duration::from_secs(10)));
                });
                axum_server::from_tcp_rustls(self.listener.into_std()?, tls)?
                    .handle(handle)
                    .serve(service)
                    .await
            }
        };
        self.tasks.close();
        if tokio::time::timeout(FINISHING, self.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("stopping without waiting longer for terminals and agent runs");
        }
        served
    }

    /// Whether this server speaks HTTPS itself.
    pub fn serves_tls(&self) -> bool {
        self.tls.is_some()
    }
}

/// How long a stopping server waits for terminals and agent runs to finish.
const FINISHING: Duration = Duration::from_secs(15);

/// Where the set-up token is written while no user exists: beside the database.
pub fn setup_file(database: &std::path::Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".setup-token");
    PathBuf::from(name)
}

fn leptos_options(config: &ServeConfig, addr: SocketAddr) -> Result<LeptosOptions, StartupError> {
    let mut options = get_configuration(None)
        .map_err(|e| StartupError::Leptos(e.to_string()))?
        .leptos_options;
    options.site_addr = addr;
    options.site_root = config.site_root.to_string_lossy().as_ref().into();
    Ok(options)
}
