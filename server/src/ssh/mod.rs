//! SSH into workspaces, served by AiCockpit itself (no OpenSSH in the workspace): a user
//! connects as `<workspace>.<owner>` (or `<workspace>` for their own) with a key of theirs or
//! an API token, and lands in that workspace as its user, in `/workspace`. Shells with a PTY
//! are held by the terminal hub, as browser terminals are, so they outlive a dropped
//! connection. Served on its own port (`--ssh-bind`).

mod connection;
mod forward;
pub mod host_key;
pub mod keys;
mod process;
mod sftp;
mod target;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use russh::keys::{HashAlg, PrivateKey};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::access::Resolver;
use crate::auth::audit::AuditLog;
use crate::auth::AuthManager;
use crate::files::FileManager;
use crate::runtime::ContainerRuntime;
use crate::store::SshKeyStore;
use crate::terminal::holder::Installer;
use crate::terminal::TerminalHub;
use crate::workspaces::WorkspaceManager;
use connection::Connection;

/// What SSH sessions need of the rest of the server.
pub struct SshParts {
    pub auth: Arc<AuthManager>,
    pub keys: SshKeyStore,
    pub resolver: Resolver,
    /// Starts a stopped workspace on connect.
    pub workspaces: Arc<WorkspaceManager>,
    pub terminals: TerminalHub,
    pub runtime: Arc<dyn ContainerRuntime>,
    /// Copies the holder in, whose tunnel carries `-L` connections.
    pub holder: Installer,
    /// What SFTP reads and writes through, as the IDE does.
    pub files: Arc<FileManager>,
    pub audit: AuditLog,
}

pub struct SshServer {
    parts: Arc<SshParts>,
    config: Arc<russh::server::Config>,
}

/// `SHA256:…`, as clients print a host key's fingerprint.
pub fn fingerprint(host_key: &PrivateKey) -> String {
    host_key
        .public_key()
        .fingerprint(HashAlg::Sha256)
        .to_string()
}

impl SshServer {
    pub fn new(parts: SshParts, host_key: PrivateKey) -> Self {
        let config = russh::server::Config {
            server_id: russh::SshId::Standard("SSH-2.0-AiCockpit".into()),
            keys: vec![host_key],
            // Keys and tokens only: no passwords of accounts cross SSH.
            methods: [russh::MethodKind::PublicKey, russh::MethodKind::Password]
                .as_slice()
                .into(),
            auth_rejection_time: Duration::from_millis(300),
            auth_rejection_time_initial: Some(Duration::ZERO),
            inactivity_timeout: None,
            keepalive_interval: Some(Duration::from_secs(30)),
            keepalive_max: 4,
            nodelay: true,
            ..Default::default()
        };
        Self {
            parts: Arc::new(parts),
            config: Arc::new(config),
        }
    }

    /// Serves connections from `listener` until `shutdown`; each connection is tracked by
    /// `tasks` and told the server is going away.
    pub async fn serve(
        self: Arc<Self>,
        listener: TcpListener,
        shutdown: CancellationToken,
        tasks: TaskTracker,
    ) {
        loop {
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        tracing::warn!(error = %e, "ssh: cannot accept a connection");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
                _ = shutdown.cancelled() => return,
            };
            let _ = stream.set_nodelay(true);
            let connection = Connection::new(self.parts.clone(), Some(peer.ip()), None);
            tasks.spawn(serve_one(
                self.config.clone(),
                stream,
                connection,
                shutdown.clone(),
            ));
        }
    }

    /// Serves one connection carried some other way (the WebSocket tunnel), from `peer`,
    /// in which only the user `only_user` may sign in.
    pub fn serve_stream<S>(
        &self,
        stream: S,
        peer: Option<IpAddr>,
        only_user: Option<i64>,
        shutdown: CancellationToken,
        tasks: &TaskTracker,
    ) where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let connection = Connection::new(self.parts.clone(), peer, only_user);
        tasks.spawn(serve_one(self.config.clone(), stream, connection, shutdown));
    }
}

async fn serve_one<S>(
    config: Arc<russh::server::Config>,
    stream: S,
    connection: Connection,
    shutdown: CancellationToken,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let session = match russh::server::run_stream(config, stream, connection).await {
        Ok(session) => session,
        Err(e) => {
            tracing::debug!(error = %e, "ssh: a connection failed to start");
            return;
        }
    };
    let handle = session.handle();
    tokio::pin!(session);
    tokio::select! {
        ended = &mut session => {
            if let Err(e) = ended {
                tracing::debug!(error = %e, "ssh: a connection ended with an error");
            }
        }
        _ = shutdown.cancelled() => {
            let _ = handle
                .disconnect(
                    russh::Disconnect::ByApplication,
                    "AiCockpit is restarting".into(),
                    String::new(),
                )
                .await;
            let _ = tokio::time::timeout(Duration::from_secs(2), session).await;
        }
    }
}
