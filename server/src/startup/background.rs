//! Every loop the server runs in the background, started here and nowhere else, each
//! ending when the server shuts down.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::services::Services;
use crate::workspaces::{relay_lifecycle_events, stop_idle_workspaces};

/// How often metrics samples are folded and freed memory given back.
const TIDY: Duration = Duration::from_secs(5);

/// Starts the loops of `services`, all of them ended by `shutdown`.
pub fn start(services: &Services, shutdown: &CancellationToken) {
    let workspaces = services.workspaces.clone();
    // Docker's events become the dashboards' `changed`.
    until(
        shutdown,
        relay_lifecycle_events(workspaces.clone(), services.changes.clone()),
    );
    until(shutdown, every(TIDY, crate::metrics::fold_samples));
    until(shutdown, every(TIDY, crate::memory::give_back_freed));
    until(
        shutdown,
        services.creations.as_ref().clone().tidy_periodically(),
    );
    let ai = services.ai.clone();
    until(shutdown, async move { ai.purge_old_conversations().await });
    // These end themselves on `shutdown`, after their own tidying up.
    tokio::spawn(stop_idle_workspaces(
        workspaces.clone(),
        services.changes.clone(),
        shutdown.clone(),
    ));
    // Each running workspace's outbound relay, begun and ended with its container.
    tokio::spawn(workspaces.egress().follow_containers(shutdown.clone()));
    // Agent runs are stopped, not dropped: each records how it ended.
    let (agents, stopping) = (services.agents.clone(), shutdown.clone());
    tokio::spawn(async move { agents.stop_all_on(stopping).await });
    // So are creations, each recording where it stopped.
    let (creations, stopping) = (services.creations.clone(), shutdown.clone());
    tokio::spawn(async move { creations.interrupt_all_on(stopping).await });
}

/// Runs `work` until it ends or `shutdown` is cancelled.
fn until(shutdown: &CancellationToken, work: impl Future<Output = ()> + Send + 'static) {
    let shutdown = shutdown.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = shutdown.cancelled() => {}
            _ = work => {}
        }
    });
}

/// Calls `tidy` every `period`, for as long as it runs.
async fn every(period: Duration, tidy: fn()) {
    let mut ticks = tokio::time::interval(period);
    loop {
        ticks.tick().await;
        tidy();
    }
}
