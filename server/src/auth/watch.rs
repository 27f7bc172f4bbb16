//! An open connection (a terminal, an event stream, an SSH session) following its caller's
//! right to a workspace. Every share or account
//! change that concerns them is checked again as it is announced (the account first, then
//! the policy), so a terminal or an event stream changes or ends the moment access does.

use std::sync::Arc;

use app::auth::{Access, Actor, ClientInfo};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use super::{AccessChange, AuthManager, Credential};
use crate::access::policy::Action;
use crate::access::{Resolved, Resolver};

pub struct AccessWatch {
    actor: Actor,
    /// What the connection was opened with: checked again when the account changes.
    credential: Credential,
    changes: broadcast::Receiver<AccessChange>,
    resolver: Resolver,
    auth: Arc<AuthManager>,
}

impl AccessWatch {
    /// Follows `actor`, signed in with `credential`, from now on.
    pub fn new(
        auth: Arc<AuthManager>,
        resolver: Resolver,
        actor: Actor,
        credential: Credential,
    ) -> Self {
        Self {
            changes: auth.events.subscribe(),
            resolver,
            auth,
            actor,
            credential,
        }
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// Waits for the next change of the caller's access to `workspace`: the access they
    /// have now, or why they have none (a sentence for them).
    pub async fn changed(&mut self, workspace: &Resolved) -> Result<Access, String> {
        let id = &workspace.record.id;
        loop {
            let account_changed = match self.changes.recv().await {
                Ok(change) if change.concerns(self.actor.id, id) => {
                    matches!(change, AccessChange::Account { .. })
                }
                Ok(_) => continue,
                // Missed changes: check everything again rather than trust a stale right.
                Err(RecvError::Lagged(_)) => true,
                Err(RecvError::Closed) => std::future::pending().await,
            };
            if account_changed {
                let client = ClientInfo {
                    address: self.actor.address,
                    https: false,
                };
                match self.auth.recheck(&self.credential, client).await {
                    // The role may have changed too: decide with the fresh actor.
                    Ok(Some(actor)) => self.actor = actor,
                    _ => return Err("Your session ended (signed out, token revoked, password changed or account disabled). Sign in again to go on.".into()),
                }
            }
            let now = self
                .resolver
                .resolve(&self.actor, &workspace.reference, Action::View)
                .await;
            return match now {
                Ok(now) => Ok(now.access),
                Err(_) => {
                    let by = if account_changed { "" } else { " by its owner" };
                    Err(format!(
                        "Your access to {} was removed{by}.",
                        workspace.reference
                    ))
                }
            };
        }
    }

    /// Ends when the caller may no longer see `workspace`, with why.
    pub async fn lost(mut self, workspace: Resolved) -> String {
        loop {
            if let Err(why) = self.changed(&workspace).await {
                return why;
            }
        }
    }
}
