//! Wires the application together, in order: configuration checked, store opened, the
//! services made (`services`), what must happen once before serving done, the background
//! loops started (`background`), and the HTTP edge put on top of them.

mod background;
mod services;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use app::auth::SshAccess;
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
use crate::ssh::SshServer;
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
    /// The SSH server and where it listens, when SSH is served.
    ssh: Option<(Arc<SshServer>, TcpListener)>,
    /// Where SSH is served, when it is.
    pub ssh_addr: Option<SocketAddr>,
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
        let ssh_listener = match config.ssh_bind {
            Some(addr) => Some(bind(addr).await?),
            None => None,
        };
        let ssh_addr = ssh_listener.as_ref().map(|(_, addr)| *addr);
        let ssh_access = SshAccess {
            host_fingerprint: String::new(),
            host_key: String::new(),
            host: public_host(&config),
            port: ssh_addr.map(|a| a.port()),
        };
        let services = Services::new(
            &config,
            &backend,
            &store,
            auth,
            https,
            tasks.clone(),
            ssh_access,
        )
        .await?;
        let setup_token = services
            .auth
            .prepare_setup()
            .await
            .map_err(|e| StartupError::Config(e.to_string()))?;
        services.prepare().await;
        let (listener, addr) = bind(config.bind).await?;
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
            ssh,
            ssh_keys,
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
            ssh_keys,
            ssh: ssh.clone(),
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
            ssh: ssh_listener.map(|(listener, _)| (ssh, listener)),
            ssh_addr,
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
        if let Some((ssh, listener)) = self.ssh {
            tokio::spawn(ssh.serve(listener, token.clone(), self.tasks.clone()));
        }
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
/// Listens on `addr`; the address it got (its port, when `addr` asked for any).
async fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), StartupError> {
    let failed = |source| StartupError::Bind { addr, source };
    let listener = TcpListener::bind(addr).await.map_err(failed)?;
    let bound = listener.local_addr().map_err(failed)?;
    Ok((listener, bound))
}

/// The host name people reach the server by: the public URL's, else its address's.
fn public_host(config: &ServeConfig) -> String {
    let named = config
        .public_url
        .as_deref()
        .and_then(|url| url.parse::<axum::http::Uri>().ok())
        .and_then(|uri| uri.host().map(str::to_owned));
    named.unwrap_or_else(|| match config.bind.ip() {
        ip if ip.is_unspecified() || ip.is_loopback() => "localhost".to_owned(),
        ip => ip.to_string(),
    })
}

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
