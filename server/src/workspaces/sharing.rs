//! Sharing a workspace with another user as viewer or editor. Only its owner and admins
//! share; a change reaches the other user's open connections at once (they resolve again).

use app::auth::{Actor, Share, ShareRole, UserName, WorkspaceRef};
use app::error::{AppError, Field};

use super::WorkspaceManager;
use crate::access::policy::Action;
use crate::auth::AccessChange;

impl WorkspaceManager {
    pub(super) async fn list_shares(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
    ) -> Result<Vec<Share>, AppError> {
        let resolved = self
            .resolver
            .resolve(actor, workspace, Action::Share)
            .await?;
        let shares = self.shares.shares(&resolved.record.id).await?;
        Ok(shares
            .into_iter()
            .map(|(user, role)| Share { user, role })
            .collect())
    }

    pub(super) async fn change_share(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        user: &str,
        role: Option<ShareRole>,
    ) -> Result<(), AppError> {
        let resolved = self
            .resolver
            .resolve(actor, workspace, Action::Share)
            .await?;
        let name = UserName::parse(user)?;
        let Some(user) = self.users.user_by_name(&name).await? else {
            return Err(AppError::invalid(
                Field::UserName,
                format!("There is no user named “{name}”."),
            ));
        };
        if name == workspace.owner {
            return Err(AppError::invalid(
                Field::UserName,
                format!("{name} owns “{workspace}” already."),
            ));
        }
        let id = &resolved.record.id;
        let detail = match role {
            Some(role) => {
                self.shares.put_share(id, user.id, role).await?;
                format!("{name} as {}", role.label())
            }
            None => {
                self.shares.delete_share(id, user.id).await?;
                format!("{name} removed")
            }
        };
        self.events.send(AccessChange::Share {
            user_id: user.id,
            workspace_id: id.clone(),
        });
        self.audit
            .record(actor, "workspace-share", Some(workspace), Some(detail))
            .await;
        Ok(())
    }
}
