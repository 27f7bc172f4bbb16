//! Wires the application together, in order: configuration checked, store opened, the
//! services made (`services`), what must happen once before serving done, the background
//! loops started (`background`), and the HTTP edge put on top of them.

mod background;
mod services;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use app::service::SharedWorkspaceService;
use axum::Router;
use axum_server::tls_rustls::RustlsConfig;
use leptos::config::{get_configuration, LeptosOptions};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::auth::AuthManager;
use crate::config::{ServeConfig, TlsFiles};
use crate::http::actor::Authenticator;
use crate::http::origin::SiteOrigins;
use crate::http::state::AppState;
use crate::http::{self, mcp};
use crate::runtime::Backend;
use crate::store::{Store, StoreError};
use crate::workspaces::WorkspaceManager;
use services::Services;

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
        let origins =
            SiteOrigins::new(config.public_url.as_deref()).map_err(StartupError::Config)?;
        if let Some(domain) = &config.previews.domain {
            origins
                .check_preview_domain(domain)
                .map_err(StartupError::Config)?;
        }
        let tls = match &config.tls {
            Some(files) => Some(load_tls(files).await?),
            None => None,
        };
        let store = Store::open(&config.database).await?;
        let mut auth = config.auth.clone();
        auth.always_secure |= origins.public_is_https();
        auth.setup_file
            .get_or_insert_with(|| setup_file(&config.database));
        let shutdown = CancellationToken::new();
        let tasks = TaskTracker::new();
        let https = tls.is_some() || origins.public_is_https();
        let services = Services::new(&config, &backend, &store, auth, https, tasks.clone()).await?;
        let setup_token = services
            .auth
            .prepare_setup()
            .await
            .map_err(|e| StartupError::Config(e.to_string()))?;
        services.prepare().await;
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
        background::start(&services, &shutdown);
        let Services {
            runtime,
            events,
            audit,
            changes,
            auth,
            workspaces,
            creations,
            terminals,
            usage,
            files,
            ai,
            agents,
            previews,
            templates,
        } = services;
        let state = AppState {
            leptos_options: leptos_options(&config, addr)?,
            workspaces: workspaces.clone() as SharedWorkspaceService,
            creations,
            resolver: workspaces.resolver(),
            auth: auth.clone(),
            access_events: events,
            audit,
            runtime,
            changes,
            terminals,
            usage,
            files,
            previews,
            templates,
            ai,
            mcp: mcp::service(agents.clone(), shutdown.child_token()),
            agents,
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
            workspaces,
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

/// The certificate and key `files` name, ready to serve.
async fn load_tls(files: &TlsFiles) -> Result<RustlsConfig, StartupError> {
    // One crypto provider is compiled in; make it the process default before rustls
    // looks for one (installing twice, as tests do, is harmless).
    let _ = rustls::crypto::ring::default_provider().install_default();
    RustlsConfig::from_pem_file(&files.cert, &files.key)
        .await
        .map_err(|e| {
            StartupError::Config(format!(
                "cannot use the TLS certificate {} with the key {}: {e}",
                files.cert.display(),
                files.key.display()
            ))
        })
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
