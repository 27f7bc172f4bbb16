//! Shared state of the HTTP server; handlers extract the parts they need via `FromRef`.

use std::sync::Arc;

use app::service::SharedWorkspaceService;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::access::Resolver;
use crate::ai::agent::AgentManager;
use crate::ai::AiManager;
use crate::auth::audit::AuditLog;
use crate::auth::service::AuthManager;
use crate::auth::AccessEvents;
use crate::creation::Creations;
use crate::files::FileManager;
use crate::http::mcp::McpService;
use crate::preview::Previews;
use crate::runtime::ContainerRuntime;
use crate::templates::Templates;
use crate::terminal::TerminalHub;
use crate::usage::UsageMonitor;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub workspaces: SharedWorkspaceService,
    /// Workspaces being made, as jobs.
    pub creations: Arc<Creations>,
    /// Finds a workspace for an actor, applying the policy: every route that names one.
    pub resolver: Resolver,
    pub auth: Arc<AuthManager>,
    /// Shares and accounts changing under open connections.
    pub access_events: AccessEvents,
    pub audit: AuditLog,
    pub runtime: Arc<dyn ContainerRuntime>,
    /// A unit message each time a workspace container changes.
    pub changes: broadcast::Sender<()>,
    pub terminals: TerminalHub,
    /// Live resource use of the workspaces pages watch.
    pub usage: Arc<UsageMonitor>,
    pub files: Arc<FileManager>,
    /// Servers inside workspaces, reached through AiCockpit.
    pub previews: Arc<Previews>,
    /// Workspace templates and their builds.
    pub templates: Arc<Templates>,
    pub ai: Arc<AiManager>,
    pub ssh_keys: Arc<crate::ssh::keys::SshKeys>,
    pub ssh: Arc<crate::ssh::SshServer>,
    pub agents: Arc<AgentManager>,
    /// The MCP transport every workspace's `/mcp/...` route hands its requests to.
    pub mcp: McpService,
    /// Cancelled when the server shuts down, so long-lived streams end and let it stop.
    pub shutdown: CancellationToken,
    /// Work the server waits for, once told to stop, before it exits: terminal connections
    /// closing with a reason, agent runs recording how they ended.
    pub tasks: TaskTracker,
}
