//! Preview URLs: a server listening inside a workspace, reached through AiCockpit.
//!
//! A signed-in user who may use the workspace opens `/workspaces/<owner>/<name>/ports/<port>/`
//! and is sent on to `/previews/<grant>/`, a signed grant of their own (see `grant`); the
//! owner can also make share links, grants that name a revocable row instead of a user. Every
//! request under `/previews/` is checked against what its grant names, then passed through
//! (`proxy`). Previews are served sandboxed, on an opaque origin: a page from a workspace can
//! never act with the viewer's AiCockpit session, even though it comes from the same host.

pub mod grant;
pub mod ports;
pub mod tunnel;

use std::sync::Arc;
use std::time::Duration;

use app::auth::{Actor, Via, WorkspaceRef};
use app::error::AppError;
use app::model::{LinkLifetime, PreviewLink, WorkspacePort};
use app::service::PreviewService;
use app::wire::PREVIEW_PREFIX;
use futures::StreamExt;

use self::grant::{Bearer, Grant, GrantError, Signer};
use self::tunnel::{TunnelClient, Tunnels};
use crate::access::policy::Action;
use crate::access::{Resolved, Resolver, MOUNT_PATH, WORKSPACE_USER};
use crate::auth::audit::AuditLog;
use crate::auth::AccessEvents;
use crate::runtime::{ContainerRuntime, ExecChunk, ExecSpec};
use crate::store::{unix_now, PreviewLinkStore, SettingStore, StoreError, UserStore};
use crate::terminal::holder::Installer;

/// How long the grant a signed-in user gets when opening a preview lasts: a working day.
pub const USER_GRANT_SECS: i64 = 8 * 3_600;
/// Where the signing key is kept, so grants outlive a restart.
const KEY_SETTING: &str = "preview_key";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewSettings {
    /// Share links asked for longer are cut to this.
    pub longest_link: std::time::Duration,
    /// A wildcard domain previews are also served on, as `<port>--<name>--<owner>.<domain>`
    /// (see `host`).
    pub domain: Option<String>,
    /// Whether people reach AiCockpit over HTTPS (then preview hosts are reached so too).
    pub https: bool,
}

impl Default for PreviewSettings {
    fn default() -> Self {
        Self {
            longest_link: std::time::Duration::from_secs(LinkLifetime::Week.seconds() as u64),
            domain: None,
            https: false,
        }
    }
}

/// Why a preview request is not passed on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    #[error("{0}")]
    Grant(#[from] GrantError),
    #[error("this preview is not available to you any more")]
    Withdrawn,
    #[error("the workspace {0} is not running; start it, then reload this page")]
    NotRunning(String),
    #[error("AiCockpit could not check this preview: {0}")]
    Failed(String),
}

/// Where a preview request goes: a port inside a workspace's container.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub workspace: WorkspaceRef,
    pub container: String,
    pub port: u16,
}

/// How often a preview's open WebSockets check their grant, besides whenever access changes.
const RECHECK: Duration = Duration::from_secs(60);

/// What previews need of the rest of the server.
pub struct PreviewParts {
    pub links: PreviewLinkStore,
    /// To check that the user a grant was given to may still use the workspace.
    pub users: UserStore,
    pub resolver: Resolver,
    pub runtime: Arc<dyn ContainerRuntime>,
    pub holder: Installer,
    pub audit: AuditLog,
    pub events: AccessEvents,
}

pub struct Previews {
    signer: Signer,
    links: PreviewLinkStore,
    users: UserStore,
    resolver: Resolver,
    runtime: Arc<dyn ContainerRuntime>,
    client: TunnelClient,
    audit: AuditLog,
    events: AccessEvents,
    settings: PreviewSettings,
}

/// The key grants are signed with: made once, kept in the store, so grants outlive restarts.
pub async fn signing_key(store: &SettingStore) -> Result<String, StoreError> {
    if let Some(key) = store.setting(KEY_SETTING).await? {
        return Ok(key);
    }
    let key = crate::auth::secret::random_secret()
        .map_err(|e| StoreError::Corrupt(format!("no randomness: {e}")))?;
    store.set_setting(KEY_SETTING, &key).await?;
    Ok(key)
}

impl Previews {
    /// Previews signed with `key` (see [`signing_key`]).
    pub fn new(parts: PreviewParts, settings: PreviewSettings, key: &str) -> Self {
        let PreviewParts {
            links,
            users,
            resolver,
            runtime,
            holder,
            audit,
            events,
        } = parts;
        Self {
            signer: Signer::new(key.as_bytes()),
            client: Tunnels::client(runtime.clone(), holder),
            links,
            users,
            resolver,
            runtime,
            audit,
            events,
            settings,
        }
    }

    pub fn client(&self) -> &TunnelClient {
        &self.client
    }

    /// Resolves once the grant `token` stops holding (access revoked, link revoked or
    /// expired, workspace gone): checked whenever access changes anywhere, and every minute.
    pub fn withdrawn(
        self: &Arc<Self>,
        token: &str,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        let (this, token) = (self.clone(), token.to_owned());
        let mut changes = this.events.subscribe();
        async move {
            loop {
                tokio::select! {
                    _ = changes.recv() => {}
                    _ = tokio::time::sleep(RECHECK) => {}
                }
                if matches!(
                    this.target(&token).await,
                    Err(Refusal::Grant(_) | Refusal::Withdrawn)
                ) {
                    return;
                }
            }
        }
    }

    pub fn settings(&self) -> &PreviewSettings {
        &self.settings
    }

    /// A grant (signed, as a path segment) for the actor to open `port` of a workspace
    /// they may use.
    pub async fn open(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        port: u16,
    ) -> Result<String, AppError> {
        let resolved = self.resolver.resolve(actor, workspace, Action::Use).await?;
        Ok(self.signer.sign(&Grant {
            bearer: Bearer::User(actor.id),
            workspace: workspace.clone(),
            workspace_id: resolved.record.id,
            port,
            expires_at: unix_now() + USER_GRANT_SECS,
        }))
    }

    /// Where a grant opens on AiCockpit's own host (ending in `/`).
    pub fn path(token: &str) -> String {
        format!("{PREVIEW_PREFIX}{token}/")
    }

    /// Where a request under the grant `token` goes, if what the grant names still allows it.
    pub async fn target(&self, token: &str) -> Result<Target, Refusal> {
        let now = unix_now();
        let grant = self.signer.verify(token, now)?;
        let failed = |e: StoreError| Refusal::Failed(e.to_string());
        let (user_id, action) = match grant.bearer {
            Bearer::User(id) => (id, Action::Use),
            Bearer::Link(id) => {
                let link = self
                    .links
                    .live_preview_link(id, now)
                    .await
                    .map_err(failed)?
                    .ok_or(Refusal::Withdrawn)?;
                if link.workspace_id != grant.workspace_id || link.port != grant.port {
                    return Err(Refusal::Withdrawn);
                }
                // A link holds while its maker may still share the workspace.
                (link.created_by, Action::Share)
            }
        };
        let user = self
            .users
            .user_by_id(user_id)
            .await
            .map_err(failed)?
            .filter(|u| !u.disabled)
            .ok_or(Refusal::Withdrawn)?;
        let actor = Actor {
            id: user.id,
            name: user.name,
            role: user.role,
            via: Via::Session,
            grant: app::auth::Grant::full(),
            address: None,
        };
        let resolved = self
            .resolver
            .resolve(&actor, &grant.workspace, action)
            .await
            .map_err(|_| Refusal::Withdrawn)?;
        // The name may now belong to another workspace, made after this one was deleted.
        if resolved.record.id != grant.workspace_id {
            return Err(Refusal::Withdrawn);
        }
        // Whether it runs is found out by reaching it: no engine call on every request.
        let container = resolved
            .container()
            .map_err(|_| Refusal::NotRunning(grant.workspace.to_string()))?
            .to_owned();
        Ok(Target {
            workspace: grant.workspace,
            container,
            port: grant.port,
        })
    }

    async fn managed(&self, actor: &Actor, workspace: &WorkspaceRef) -> Result<Resolved, AppError> {
        self.resolver.resolve(actor, workspace, Action::Share).await
    }

    fn link(
        &self,
        workspace: &WorkspaceRef,
        record: crate::store::PreviewLinkRecord,
    ) -> PreviewLink {
        let path = Self::path(&self.signer.sign(&Grant {
            bearer: Bearer::Link(record.id),
            workspace: workspace.clone(),
            workspace_id: record.workspace_id,
            port: record.port,
            expires_at: record.expires_at,
        }));
        PreviewLink {
            id: record.id,
            port: record.port,
            path,
            created_by: record.created_by_name,
            expires_at: record.expires_at,
        }
    }
}

#[async_trait::async_trait]
impl PreviewService for Previews {
    async fn ports(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
    ) -> Result<Vec<WorkspacePort>, AppError> {
        let resolved = self.resolver.peek(actor, workspace, Action::Use).await?;
        let spec = ExecSpec {
            command: vec!["/bin/sh".into(), "-c".into(), ports::COMMAND.into()],
            user: WORKSPACE_USER.into(),
            working_dir: MOUNT_PATH.into(),
            env: Vec::new(),
        };
        let process = self
            .runtime
            .exec(resolved.container()?, &spec, None)
            .await
            .map_err(crate::error::exec_failed(workspace))?;
        let mut tables = Vec::new();
        let mut output = process.output;
        while let Some(chunk) = output.next().await {
            if let ExecChunk::Stdout(bytes) = chunk? {
                tables.extend_from_slice(&bytes);
            }
        }
        let forwarded = resolved
            .record
            .setup
            .as_ref()
            .map(|s| s.forward_ports.as_slice())
            .unwrap_or_default();
        Ok(ports::listening(
            &String::from_utf8_lossy(&tables),
            forwarded,
        ))
    }

    async fn links(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
    ) -> Result<Vec<PreviewLink>, AppError> {
        let resolved = self.managed(actor, workspace).await?;
        let links = self
            .links
            .preview_links(&resolved.record.id, unix_now())
            .await?;
        Ok(links
            .into_iter()
            .map(|record| self.link(workspace, record))
            .collect())
    }

    async fn create_link(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        port: u16,
        lifetime: LinkLifetime,
    ) -> Result<PreviewLink, AppError> {
        let resolved = self.managed(actor, workspace).await?;
        let now = unix_now();
        let longest = self.settings.longest_link.as_secs().min(i64::MAX as u64) as i64;
        let id = self
            .links
            .insert_preview_link(
                &resolved.record.id,
                port,
                actor.id,
                now,
                now + lifetime.seconds().min(longest),
            )
            .await?;
        let record = self
            .links
            .live_preview_link(id, now)
            .await?
            .ok_or_else(|| AppError::Internal("the new link was not kept".into()))?;
        self.audit
            .record(
                actor,
                "preview link created",
                Some(workspace),
                Some(format!("port {port}, for {}", lifetime.label())),
            )
            .await;
        Ok(self.link(workspace, record))
    }

    async fn revoke_link(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        id: i64,
    ) -> Result<(), AppError> {
        let resolved = self.managed(actor, workspace).await?;
        if !self
            .links
            .delete_preview_link(&resolved.record.id, id)
            .await?
        {
            return Err(AppError::NotFound(format!(
                "{workspace}: preview link {id}"
            )));
        }
        self.audit
            .record(actor, "preview link revoked", Some(workspace), None)
            .await;
        Ok(())
    }
}
