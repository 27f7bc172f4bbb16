//! A workspace's network level: chosen at create (by its creator, or its template), changed
//! by its owner or an admin within the server's maximum, applied to a running container at
//! once (an open network needs the host guarded; see `runtime::docker::guard`).

use app::auth::{Actor, WorkspaceRef};
use app::error::{AppError, Field};
use app::model::{NetworkBounds, NetworkLevel, NetworkView};

use super::{Resolved, WorkspaceManager};
use crate::access::policy::Action;
use crate::runtime::{NetworkMode, RuntimeError};
use crate::store::WorkspaceRecord;

impl WorkspaceManager {
    /// The server's levels and allowlist, and whether an open network can be given here.
    pub(super) async fn bounds(&self) -> NetworkBounds {
        let unavailable = self.runtime.open_network_unavailable().await;
        self.settings.network.bounds(unavailable)
    }

    /// `level` if this server may give it now; the reason it may not, as the user sees it.
    pub(super) async fn allowed_level(
        &self,
        level: NetworkLevel,
    ) -> Result<NetworkLevel, AppError> {
        let level = level.within(self.settings.network.max)?;
        if level == NetworkLevel::Open {
            if let Some(why) = self.runtime.open_network_unavailable().await {
                return Err(AppError::invalid(
                    Field::Network,
                    format!("An open network is not available on this server: {why}."),
                ));
            }
        }
        Ok(level)
    }

    /// How the container of `record` meets the network: open only when its level is and
    /// the runtime can give it (a workspace left open by an older version, on a host not
    /// guarded, is isolated rather than left exposing the host; its proxy still serves it).
    pub(super) async fn network_mode(&self, record: &WorkspaceRecord) -> NetworkMode {
        match self.settings.network.level_of(record) {
            NetworkLevel::Open => match self.runtime.open_network_unavailable().await {
                None => NetworkMode::Open,
                Some(why) => {
                    tracing::warn!(workspace = %record.name, %why, "an open workspace is isolated instead");
                    NetworkMode::Isolated
                }
            },
            _ => NetworkMode::Isolated,
        }
    }

    pub(super) async fn view_network(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
    ) -> Result<NetworkView, AppError> {
        let Resolved { record, access, .. } =
            self.resolver.peek(actor, workspace, Action::View).await?;
        Ok(NetworkView {
            level: self.settings.network.level_of(&record),
            allowed_hosts: self
                .settings
                .network
                .allowlist_of(&record)
                .entries()
                .map(|e| e.to_string())
                .collect(),
            bounds: self.bounds().await,
            may_change: access.can_manage(),
            recent: self.egress_log.egress_log(&record.id).await?,
        })
    }

    pub(super) async fn change_network(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        level: NetworkLevel,
    ) -> Result<NetworkView, AppError> {
        let Resolved { record, .. } = self
            .resolver
            .resolve(actor, workspace, Action::Configure)
            .await?;
        let level = self.allowed_level(level).await?;
        let record = WorkspaceRecord {
            network: level,
            ..record
        };
        if let Some(id) = &record.container_id {
            let spec = self.container_spec(&record, &workspace.owner).await;
            match self.runtime.update_container(id, &spec).await {
                // Without a container the level applies when it is made again.
                Ok(()) | Err(RuntimeError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        self.store.set_network(&record.id, level).await?;
        self.audit
            .record(
                actor,
                "workspace-network",
                Some(workspace),
                Some(level.as_str().to_owned()),
            )
            .await;
        self.view_network(actor, workspace).await
    }
}
