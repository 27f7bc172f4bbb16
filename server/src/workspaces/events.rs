//! Relays Docker lifecycle events of managed containers to the browsers, reconnecting with
//! backoff when the engine goes away. A notification is also sent on every disconnect, so
//! pages re-check and show the outage (and again when Docker is back).

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::broadcast;

use crate::runtime::ContainerRuntime;

const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// Runs until the process ends; spawn it once at start-up.
pub async fn relay_lifecycle_events(
    runtime: Arc<dyn ContainerRuntime>,
    changes: broadcast::Sender<()>,
) {
    let mut backoff = Duration::from_millis(500);
    // Warn once per outage, not on every retry.
    let mut failing = false;
    loop {
        let mut events = runtime.lifecycle_events();
        while let Some(event) = events.next().await {
            match event {
                Ok(()) => {
                    backoff = Duration::from_millis(500);
                    failing = false;
                    // No receivers is fine: nobody has the dashboard open.
                    let _ = changes.send(());
                }
                Err(e) if failing => {
                    tracing::debug!(error = %e, "Docker event stream still failing");
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "Docker event stream failed; retrying every few seconds");
                    failing = true;
                    break;
                }
            }
        }
        let _ = changes.send(());
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}
