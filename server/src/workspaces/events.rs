//! Relays Docker lifecycle events of managed containers to the browsers, reconnecting with
//! backoff when the engine goes away. A notification is also sent on every disconnect, so
//! pages re-check and show the outage (and again when Docker is back). When the engine is
//! back, workspaces that should be running are brought back ([`WorkspaceManager::recover`]).

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::broadcast;

use super::WorkspaceManager;
use crate::runtime::LifecycleKind;
use crate::store::unix_now;

const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// Runs until the process ends; spawn it once at start-up.
pub async fn relay_lifecycle_events(
    manager: Arc<WorkspaceManager>,
    changes: broadcast::Sender<()>,
) {
    let runtime = manager.runtime.clone();
    let mut backoff = Duration::from_millis(500);
    // When the engine went away, until everything is recovered; warn once per outage.
    let mut outage_since: Option<i64> = None;
    loop {
        if let Some(since) = outage_since {
            let recovered = match runtime.ping().await {
                Ok(()) => manager.recover(Some(since)).await,
                Err(e) => Err(e),
            };
            match recovered {
                Ok(restarted) => {
                    tracing::info!(restarted, "the container engine is back");
                    outage_since = None;
                    let _ = changes.send(());
                }
                Err(e) => {
                    // Not back yet (or busy): try again before following its events.
                    tracing::debug!(error = %e, "cannot recover yet");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            }
        }
        let mut events = runtime.lifecycle_events();
        while let Some(event) = events.next().await {
            match event {
                Ok(event) => {
                    backoff = Duration::from_millis(500);
                    manager.forget_start_time(event.workspace.as_deref());
                    match (event.kind, &event.workspace) {
                        (LifecycleKind::OutOfMemory, Some(id)) => {
                            manager.note_out_of_memory(id).await
                        }
                        (LifecycleKind::Lost, Some(id)) => {
                            // A start may wait minutes (scheduling, image pull): not here,
                            // where the other events wait.
                            let (manager, id, changes) =
                                (manager.clone(), id.clone(), changes.clone());
                            tokio::spawn(async move {
                                manager.restore_lost(&id).await;
                                let _ = changes.send(());
                            });
                        }
                        _ => {}
                    }
                    // No receivers is fine: nobody has the dashboard open.
                    let _ = changes.send(());
                }
                Err(e) if outage_since.is_some() => {
                    tracing::debug!(error = %e, "the runtime's event stream is still failing");
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the runtime's event stream failed; retrying every few seconds");
                    break;
                }
            }
        }
        outage_since.get_or_insert_with(unix_now);
        // Events were missed: any workspace may have restarted meanwhile.
        manager.forget_start_time(None);
        let _ = changes.send(());
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}
