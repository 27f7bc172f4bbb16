//! Changes of who may do what, announced to the connections open when they happen, so a
//! revoked share or a disabled account takes effect at once, not at the next reconnect.

use tokio::sync::broadcast;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessChange {
    /// Something about the user's account changed: signed out, a session or token ended,
    /// the password, the role, disabled. Each open connection checks its own credential
    /// again (and closes if it no longer works), then its access.
    Account { user_id: i64 },
    /// A share of one workspace with the user changed: its connections check access again.
    Share { user_id: i64, workspace_id: String },
}

impl AccessChange {
    /// Whether this change may concern `user_id`'s connection to `workspace_id`.
    pub fn concerns(&self, user: i64, workspace: &str) -> bool {
        match self {
            AccessChange::Account { user_id } => *user_id == user,
            AccessChange::Share {
                user_id,
                workspace_id,
            } => *user_id == user && workspace_id == workspace,
        }
    }
}

#[derive(Clone)]
pub struct AccessEvents(broadcast::Sender<AccessChange>);

impl Default for AccessEvents {
    fn default() -> Self {
        Self(broadcast::channel(256).0)
    }
}

impl AccessEvents {
    pub fn send(&self, change: AccessChange) {
        // Nobody listening is fine: no connection is open.
        let _ = self.0.send(change);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<AccessChange> {
        self.0.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_concern_their_user_and_workspace() {
        let account = AccessChange::Account { user_id: 2 };
        assert!(account.concerns(2, "w1"));
        assert!(!account.concerns(3, "w1"));
        let share = AccessChange::Share {
            user_id: 2,
            workspace_id: "w1".into(),
        };
        assert!(share.concerns(2, "w1"));
        assert!(!share.concerns(2, "w2"));
    }
}
