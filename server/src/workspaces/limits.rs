//! Changing a workspace's limits while it runs: Docker updates the container in place,
//! within the server's maxima; the store follows only what Docker accepted.

use app::auth::{Actor, WorkspaceRef};
use app::error::AppError;
use app::model::{format_memory, Limits, Workspace};
use app::service::WorkspaceService;

use super::{Resolved, WorkspaceManager};
use crate::access::policy::Action;
use crate::runtime::RuntimeError;
use crate::store::WorkspaceRecord;

impl WorkspaceManager {
    pub(super) async fn change_limits(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        limits: Limits,
    ) -> Result<Workspace, AppError> {
        limits.within(&self.settings.limits.max)?;
        let Resolved { record, .. } = self
            .resolver
            .resolve(actor, workspace, Action::Configure)
            .await?;
        let record = WorkspaceRecord { limits, ..record };
        if let Some(id) = &record.container_id {
            let spec = self.container_spec(&record, &workspace.owner).await;
            match self.runtime.update_container(id, &spec).await {
                // Without a container the new limits apply when it is made again.
                Ok(()) | Err(RuntimeError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        self.store.set_limits(&record.id, limits).await?;
        let detail = format!(
            "{} CPUs, {}, {} processes",
            limits.cpus,
            format_memory(limits.memory_mib),
            limits.processes
        );
        self.audit
            .record(actor, "workspace-limits", Some(workspace), Some(detail))
            .await;
        self.describe(actor, workspace).await
    }
}
