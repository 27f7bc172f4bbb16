//! Shared state of the HTTP server; handlers extract the parts they need via `FromRef`.

use std::sync::Arc;

use app::service::SharedWorkspaceService;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::files::FileManager;
use crate::runtime::ContainerRuntime;
use crate::terminal::TerminalHub;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub workspaces: SharedWorkspaceService,
    pub runtime: Arc<dyn ContainerRuntime>,
    /// A unit message each time a workspace container changes.
    pub changes: broadcast::Sender<()>,
    pub terminals: TerminalHub,
    pub files: Arc<FileManager>,
    /// Cancelled when the server shuts down, so long-lived streams end and let it stop.
    pub shutdown: CancellationToken,
}
