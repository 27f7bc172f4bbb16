//! Idle stop: a running workspace that went unused for its idle time is stopped, as if its
//! owner had asked, with a notice saying why. Use is what `activity` records.

use std::sync::Arc;
use std::time::Duration;

use app::auth::{Actor, WorkspaceRef};
use app::error::AppError;
use app::model::{IdleStop, Notice, NoticeKind, Workspace};
use app::service::WorkspaceService;
use tokio_util::sync::CancellationToken;

use super::interrupted::of_workspace;
use super::{Resolved, WorkspaceManager};
use crate::access::policy::Action;
use crate::runtime::{ContainerState, RuntimeError};
use crate::store::{unix_now, WorkspaceRecord};

impl WorkspaceManager {
    /// Sets the workspace's idle time (owner or admin), within the server's bounds.
    pub(super) async fn change_idle_stop(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        minutes: Option<u32>,
    ) -> Result<Workspace, AppError> {
        self.settings.limits.idle.check(minutes)?;
        let Resolved { record, .. } = self
            .resolver
            .resolve(actor, workspace, Action::Configure)
            .await?;
        self.store.set_idle_minutes(&record.id, minutes).await?;
        let detail = match minutes {
            None => "the server's default".to_owned(),
            Some(0) => "never".to_owned(),
            Some(minutes) => format!("{minutes} minutes"),
        };
        self.audit
            .record(actor, "workspace-idle-stop", Some(workspace), Some(detail))
            .await;
        self.describe(actor, workspace).await
    }

    /// How long the workspace may go unused; `None`: it never stops for that.
    fn idle_time(&self, record: &WorkspaceRecord) -> Option<Duration> {
        let minutes = self
            .settings
            .limits
            .idle
            .effective_minutes(record.idle_minutes)?;
        Some(self.settings.idle_minute * minutes)
    }

    /// When a running workspace stops unless used, for the dashboard.
    pub(super) fn idle_stop(&self, record: &WorkspaceRecord) -> Option<IdleStop> {
        let after = self.idle_time(record)?;
        let unused = self.resolver.activity().unused_for(&record.id);
        Some(IdleStop {
            after_secs: after.as_secs(),
            at: unused.map(|unused| unix_now() + after.saturating_sub(unused).as_secs() as i64),
        })
    }

    /// Stops every running workspace that went unused for its idle time; how many.
    pub async fn stop_idle(&self) -> Result<usize, RuntimeError> {
        let containers = self.runtime.list_managed().await?;
        let records = match self.store.all().await {
            Ok(records) => records,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the workspaces to stop idle ones");
                return Ok(0);
            }
        };
        let mut stopped = 0;
        for record in records.iter().filter(|r| r.want_running == Some(true)) {
            let Some(after) = self.idle_time(record) else {
                continue;
            };
            let unused = self.resolver.activity().unused_for(&record.id);
            let Some(container) = of_workspace(&containers, &record.id)
                .filter(|c| c.state == ContainerState::Running && unused >= Some(after))
            else {
                continue;
            };
            // Recorded first, like a stop asked for: recovery must not start it again.
            if let Err(e) = self.store.set_want_running(&record.id, false).await {
                tracing::warn!(error = %e, workspace = %record.name, "cannot record an idle stop");
                continue;
            }
            self.forget_start_time(Some(&record.id));
            let result = self
                .runtime
                .stop_container(&container.id, self.settings.stop_grace)
                .await;
            if let Err(e) = result {
                tracing::warn!(error = %e, workspace = %record.name, "cannot stop an idle workspace");
                continue;
            }
            let notice = Notice {
                kind: NoticeKind::IdleStopped,
                at: unix_now(),
            };
            if let Err(e) = self.store.set_notice(&record.id, notice).await {
                tracing::warn!(error = %e, workspace = %record.name, "cannot record an idle stop");
            }
            tracing::info!(workspace = %record.name, idle = ?after, "stopped a workspace nobody used");
            stopped += 1;
        }
        Ok(stopped)
    }
}

/// Stops idle workspaces, looking twice per idle minute, until `shutdown`.
pub async fn stop_idle_workspaces(
    manager: Arc<WorkspaceManager>,
    changes: tokio::sync::broadcast::Sender<()>,
    shutdown: CancellationToken,
) {
    let every = manager.settings.idle_minute / 2;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
        match manager.stop_idle().await {
            // The dashboard shows the stop and its notice.
            Ok(stopped) if stopped > 0 => {
                let _ = changes.send(());
            }
            Ok(_) => {}
            Err(e) => tracing::debug!(error = %e, "cannot look for idle workspaces now"),
        }
    }
}
