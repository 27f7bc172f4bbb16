//! Finishing what a server killed mid-way left: a delete cut short is completed (its
//! container, its files if they were to go, its record), and a workspace asked to stop that
//! still runs is stopped. Creates cut short are finished by recovery; see `recover`.

use app::error::AppError;
use app::model::WorkspaceName;

use super::{tolerate, WorkspaceManager};
use crate::runtime::{labels, ContainerInfo, ContainerState, RuntimeError};
use crate::store::WorkspaceRecord;

impl WorkspaceManager {
    /// Removes a workspace marked as being deleted: every container of it (a create may
    /// have been cut short too), its volume unless kept, then its record.
    pub(super) async fn remove(
        &self,
        record: &WorkspaceRecord,
        keep_volume: bool,
    ) -> Result<(), AppError> {
        let gone = |e: &RuntimeError| matches!(e, RuntimeError::NotFound(_));
        if let Some(id) = &record.container_id {
            tolerate(self.runtime.remove_container(id).await, gone)?;
            self.holder.forget(id);
        }
        if !keep_volume {
            tolerate(self.runtime.remove_volume(&record.volume).await, gone)?;
        }
        self.store.delete(&record.id).await?;
        self.resolver.activity().forget(&record.id);
        Ok(())
    }

    /// Completes the deletes a stopped server left unfinished; how many.
    pub(super) async fn finish_deletes(
        &self,
        containers: &[ContainerInfo],
    ) -> Result<usize, AppError> {
        let mut finished = 0;
        for (mut record, keep_volume) in self.store.being_deleted().await? {
            // The container it is labelled with, should the record not name it yet.
            if record.container_id.is_none() {
                record.container_id = of_workspace(containers, &record.id).map(|c| c.id.clone());
            }
            match self.remove(&record, keep_volume).await {
                Ok(()) => finished += 1,
                Err(e) => warn(&record.name, "finish deleting", e.to_string()),
            }
        }
        Ok(finished)
    }

    /// Stops the running workspaces that should not run (a stop cut short, or a start made
    /// outside AiCockpit: what was asked here wins); how many.
    pub(super) async fn stop_unwanted(
        &self,
        records: &[WorkspaceRecord],
        containers: &[ContainerInfo],
    ) -> usize {
        let mut stopped = 0;
        for record in records.iter().filter(|r| r.want_running == Some(false)) {
            let Some(container) = of_workspace(containers, &record.id) else {
                continue;
            };
            if container.state != ContainerState::Running {
                continue;
            }
            match self
                .runtime
                .stop_container(&container.id, self.settings.stop_grace)
                .await
            {
                Ok(()) => stopped += 1,
                Err(e) => warn(&record.name, "stop", e.to_string()),
            }
        }
        stopped
    }
}

/// The container labelled as `id`'s, among `containers`.
pub(super) fn of_workspace<'a>(
    containers: &'a [ContainerInfo],
    id: &str,
) -> Option<&'a ContainerInfo> {
    containers
        .iter()
        .find(|c| c.labels.get(labels::WORKSPACE).map(String::as_str) == Some(id))
}

fn warn(name: &WorkspaceName, what: &str, error: String) {
    tracing::warn!(workspace = %name, %error, "could not {what} a workspace left half-done");
}
