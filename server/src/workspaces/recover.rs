//! Bringing workspaces back to what AiCockpit wants: after the container engine restarts
//! (or at start-up), every workspace that should be running runs again, and the dashboard
//! says why; an out-of-memory kill is recorded with what to do about it.

use app::model::{Notice, NoticeKind, WorkspaceName};
use futures::StreamExt;

use super::WorkspaceManager;
use crate::runtime::{ContainerState, RuntimeError};
use crate::store::{unix_now, WorkspaceRecord};

/// How many workspaces are started at once: the engine has just come back, and is busy.
const CONCURRENT_STARTS: usize = 4;

impl WorkspaceManager {
    /// Starts every workspace that should be running and is not. Without `outage_since` (at
    /// start-up, before anything else runs) a workspace recorded without its container is
    /// made, and one running that should not (a stop cut short) is stopped. With it (when the engine went away), those started again meanwhile — by us or
    /// by the engine's restart policy — get a notice saying so; returns how many.
    pub async fn recover(&self, outage_since: Option<i64>) -> Result<usize, RuntimeError> {
        let containers = self.runtime.list_managed().await?;
        let wanted = match self.store.all().await {
            Ok(records) => records,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the workspaces to recover");
                return Ok(0);
            }
        };
        if outage_since.is_none() {
            let stopped = self.stop_unwanted(&wanted, &containers).await;
            if stopped > 0 {
                tracing::info!(stopped, "stopped workspaces that were asked to stop");
            }
        }
        let restarted =
            futures::stream::iter(wanted.into_iter().filter(|r| r.want_running == Some(true)))
                .map(|record| {
                    let state = record
                        .container_id
                        .as_ref()
                        .and_then(|id| containers.iter().find(|c| &c.id == id))
                        .map(|c| c.state);
                    self.bring_back(record, state, outage_since)
                })
                .buffer_unordered(CONCURRENT_STARTS)
                .filter(|restarted| std::future::ready(*restarted))
                .count()
                .await;
        Ok(restarted)
    }

    /// Starts one workspace if it is not running; true when it was (re)started in the outage.
    async fn bring_back(
        &self,
        record: WorkspaceRecord,
        state: Option<ContainerState>,
        outage_since: Option<i64>,
    ) -> bool {
        let name = record.name.clone();
        let still_wanted = || async {
            // A stop or delete may have come in since the list was read.
            matches!(self.store.wants_running(&record.id).await, Ok(true))
        };
        let started = match (state, &record.container_id) {
            (Some(ContainerState::Running | ContainerState::Restarting), Some(id)) => {
                // Already up: did the engine start it again while we were away?
                let since = outage_since.unwrap_or(i64::MAX);
                match self.runtime.inspect(id).await {
                    Ok(details) => details.started_at.is_some_and(|at| at >= since),
                    Err(_) => false,
                }
            }
            (Some(ContainerState::Removing), _) => false,
            (Some(_), Some(id)) if still_wanted().await => {
                match self.runtime.start_container(id).await {
                    Ok(()) => true,
                    Err(e) => return failed(&name, e.to_string()),
                }
            }
            (Some(_), _) => false,
            // No container: a create cut short. Made again only at start-up, when no create
            // can be under way; later it shows as missing until someone starts it.
            (None, _) if outage_since.is_some() || !still_wanted().await => false,
            (None, _) => match &record.owner {
                Some(owner) => {
                    let workspace = app::auth::WorkspaceRef::new(owner.name.clone(), name.clone());
                    match self.launch(&record, &workspace).await {
                        Ok(_) => true,
                        Err(e) => return failed(&name, e.to_string()),
                    }
                }
                None => false,
            },
        };
        if started && outage_since.is_some() {
            let notice = Notice {
                kind: NoticeKind::EngineRestarted,
                at: unix_now(),
            };
            if let Err(e) = self.store.set_notice(&record.id, notice).await {
                tracing::warn!(error = %e, workspace = %name, "cannot record a notice");
            }
            tracing::info!(workspace = %name, "running again after the container engine restarted");
        }
        started && outage_since.is_some()
    }

    /// Starts again the workspace `id` whose container the engine lost, if it should be
    /// running (a stop asked for meanwhile wins), and says so on the dashboard.
    pub async fn restore_lost(&self, id: &str) {
        let record = match self.store.all().await {
            Ok(records) => records.into_iter().find(|r| r.id == id),
            Err(e) => {
                tracing::warn!(error = %e, workspace = id, "cannot read a lost workspace");
                return;
            }
        };
        let Some((record, container)) = record.and_then(|r| r.container_id.clone().map(|c| (r, c)))
        else {
            return;
        };
        if !matches!(self.store.wants_running(id).await, Ok(true)) {
            return;
        }
        if let Err(e) = self.runtime.start_container(&container).await {
            failed(&record.name, e.to_string());
            return;
        }
        let notice = Notice {
            kind: NoticeKind::Lost,
            at: unix_now(),
        };
        if let Err(e) = self.store.set_notice(id, notice).await {
            tracing::warn!(error = %e, workspace = %record.name, "cannot record a notice");
        }
        tracing::info!(workspace = %record.name, "started again after its container was lost");
    }

    /// Records that the kernel killed a process in the workspace `id` for want of memory.
    pub async fn note_out_of_memory(&self, id: &str) {
        let notice = Notice {
            kind: NoticeKind::OutOfMemory,
            at: unix_now(),
        };
        if let Err(e) = self.store.set_notice(id, notice).await {
            tracing::warn!(error = %e, workspace = id, "cannot record an out-of-memory kill");
        }
    }
}

fn failed(name: &WorkspaceName, error: String) -> bool {
    tracing::warn!(workspace = %name, %error, "could not start a workspace that should be running");
    false
}
