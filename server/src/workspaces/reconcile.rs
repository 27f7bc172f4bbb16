//! Start-up reconciliation of the store with Docker: containers AiCockpit made (found by
//! label) but the store lost are adopted again; records whose container moved are updated.
//! Records without a container stay and show as "missing" until started (which recreates
//! the container on the same volume) or deleted. Every container gets its record's limits
//! and the current restart policy, so containers made by older versions come back after an
//! engine restart too.

use std::collections::HashMap;

use futures::StreamExt;

use app::auth::UserName;
use app::error::AppError;
use app::model::{Limits, WorkspaceName};

use super::{volume_name, WorkspaceManager};
use crate::runtime::{labels, ContainerState, RuntimeError};
use crate::store::{unix_now, Owner, WorkspaceRecord};

/// What reconciliation changed, for the start-up log.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// Deletes a stopped server had left unfinished, finished.
    pub deleted: usize,
    pub adopted: usize,
    pub relinked: usize,
    pub updated: usize,
}

impl WorkspaceManager {
    pub async fn reconcile(&self) -> Result<Reconciled, AppError> {
        let containers = self.runtime.list_managed().await?;
        let mut done = Reconciled {
            deleted: self.finish_deletes(&containers).await?,
            ..Reconciled::default()
        };
        let records: HashMap<String, WorkspaceRecord> = self
            .store
            .all()
            .await?
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
        let mut to_update = Vec::new();
        for container in containers {
            let Some(id) = container.labels.get(labels::WORKSPACE) else {
                continue;
            };
            match records.get(id) {
                Some(record) => {
                    let running = container.state == ContainerState::Running;
                    self.store.learn_want_running(id, running).await?;
                    if record.container_id.as_deref() != Some(container.id.as_str()) {
                        self.store.set_container(id, &container.id).await?;
                        done.relinked += 1;
                    }
                    if let Some(owner) = &record.owner {
                        let spec = self.container_spec(record, &owner.name).await;
                        to_update.push((container.id, spec));
                    }
                }
                None => {
                    let Some(name) = container
                        .labels
                        .get(labels::NAME)
                        .and_then(|n| WorkspaceName::parse(n).ok())
                    else {
                        continue;
                    };
                    let details = match self.runtime.inspect(&container.id).await {
                        Ok(details) => details,
                        // Removed since it was listed: nothing to adopt.
                        Err(RuntimeError::NotFound(_)) => continue,
                        Err(e) => return Err(e.into()),
                    };
                    let owner = self
                        .owner_from_label(container.labels.get(labels::OWNER))
                        .await?;
                    let volume = match &owner {
                        Some(owner) => volume_name(&owner.name, &name),
                        // Made before accounts existed.
                        None => format!("aicockpit-{name}-files"),
                    };
                    let record = WorkspaceRecord {
                        id: id.clone(),
                        owner,
                        volume,
                        name,
                        image: container.image.clone(),
                        limits: details.limits.unwrap_or(Limits::DEFAULT),
                        container_id: Some(container.id.clone()),
                        created_at: unix_now(),
                        // Found, not asked for: learnt from the engine at the next start.
                        want_running: None,
                        notice: None,
                        idle_minutes: None,
                        setup: None,
                        network: self.settings.network.default,
                    };
                    match self.store.insert(&record).await {
                        Ok(()) => done.adopted += 1,
                        Err(e) => {
                            tracing::warn!(error = %e, container = %container.id, "cannot adopt container")
                        }
                    }
                }
            }
        }
        done.updated = futures::stream::iter(to_update)
            .map(|(id, spec)| async move {
                let result = self.runtime.update_container(&id, &spec).await;
                if let Err(e) = &result {
                    tracing::warn!(error = %e, container = %id, "cannot update a container's settings");
                }
                result.is_ok()
            })
            .buffer_unordered(4)
            .filter(|ok| std::future::ready(*ok))
            .count()
            .await;
        Ok(done)
    }

    /// The user a container's owner label names, if they exist.
    async fn owner_from_label(&self, label: Option<&String>) -> Result<Option<Owner>, AppError> {
        let Some(name) = label.and_then(|l| UserName::parse(l).ok()) else {
            return Ok(None);
        };
        Ok(self.users.user_by_name(&name).await?.map(|user| Owner {
            id: user.id,
            name: user.name,
        }))
    }
}
