//! Recording what people do. A failure to write the log is logged, never shown to the
//! user: the action itself already happened.

use app::auth::{Actor, WorkspaceRef};

use crate::store::{unix_now, AuditEntry, AuditStore};

#[derive(Clone)]
pub struct AuditLog {
    store: AuditStore,
}

impl AuditLog {
    pub fn new(store: AuditStore) -> Self {
        Self { store }
    }

    pub async fn record(
        &self,
        actor: &Actor,
        action: &str,
        workspace: Option<&WorkspaceRef>,
        detail: Option<String>,
    ) {
        self.append(AuditEntry {
            actor: Some(actor.name.to_string()),
            action: action.to_owned(),
            workspace: workspace.map(ToString::to_string),
            detail,
            address: actor.address.map(|a| a.to_string()),
            at: unix_now(),
        })
        .await
    }

    pub async fn append(&self, entry: AuditEntry) {
        if let Err(e) = self.store.append_audit(&entry).await {
            tracing::error!(error = %e, action = %entry.action, "could not write the audit log");
        }
    }

    pub fn store(&self) -> &AuditStore {
        &self.store
    }
}
