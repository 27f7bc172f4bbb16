//! Changes of who may do what, announced to the connections open when they happen, so a
//! revoked share or a disabled account takes effect at once, not at the next reconnect.

use tokio::sync::broadcast;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessChange {
    /// The user's sessions ended (account disabled, password changed or reset): their open
    /// connections close.
    SessionsEnded { user_id: i64 },
    /// What the user may do changed: a role (every workspace), or a share of one workspace.
    /// Their open connections check again.
    Changed {
        user_id: i64,
        workspace_id: Option<String>,
    },
}

impl AccessChange {
    /// Whether this change may concern `user_id`'s connection to `workspace_id`.
    pub fn concerns(&self, user: i64, workspace: &str) -> bool {
        match self {
            AccessChange::SessionsEnded { user_id } => *user_id == user,
            AccessChange::Changed {
                user_id,
                workspace_id,
            } => *user_id == user && workspace_id.as_deref().is_none_or(|w| w == workspace),
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
        let ended = AccessChange::SessionsEnded { user_id: 2 };
        assert!(ended.concerns(2, "w1"));
        assert!(!ended.concerns(3, "w1"));
        let share = AccessChange::Changed {
            user_id: 2,
            workspace_id: Some("w1".into()),
        };
        assert!(share.concerns(2, "w1"));
        assert!(!share.concerns(2, "w2"));
        let role = AccessChange::Changed {
            user_id: 2,
            workspace_id: None,
        };
        assert!(role.concerns(2, "w2"));
    }
}
