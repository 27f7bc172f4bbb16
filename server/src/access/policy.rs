//! The one decision: may this actor do this to this workspace? Handlers and server
//! functions never decide; the workspace resolver asks here and everything goes through it.
//! Someone else's workspace that the actor may not see does not exist for them.

use app::auth::{Access, Actor, ShareRole, WorkspaceRef};
use app::error::AppError;

/// How an actor stands towards one workspace: the strongest of ownership, the admin
/// role and a share, or none.
pub fn access_of(actor: &Actor, owner_id: Option<i64>, share: Option<ShareRole>) -> Option<Access> {
    if owner_id == Some(actor.id) {
        Some(Access::Owner)
    } else if actor.is_admin() {
        Some(Access::Admin)
    } else {
        share.map(|role| match role {
            ShareRole::Editor => Access::Editor,
            ShareRole::Viewer => Access::Viewer,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See it listed, read its files, watch its terminals.
    View,
    /// Type in terminals, change files, start and stop it.
    Use,
    Delete,
    Share,
    /// Change how it is governed (the agent's confirmation policy).
    Configure,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// The actor may not know the workspace exists.
    Hidden,
    /// Visible, but this action is not theirs to take.
    NotAllowed(Access),
}

pub fn may(access: Option<Access>, action: Action) -> Result<(), Denied> {
    let Some(access) = access else {
        return Err(Denied::Hidden);
    };
    let allowed = match action {
        Action::View => true,
        Action::Use => access.can_use(),
        Action::Delete | Action::Share | Action::Configure => access.can_manage(),
    };
    if allowed {
        Ok(())
    } else {
        Err(Denied::NotAllowed(access))
    }
}

impl Denied {
    /// The error the actor sees: not found when hidden, otherwise what they may do instead.
    pub fn into_error(self, workspace: &WorkspaceRef) -> AppError {
        match self {
            Denied::Hidden => AppError::NotFound(workspace.to_string()),
            Denied::NotAllowed(Access::Viewer) => AppError::Forbidden(format!(
                "You can watch “{workspace}” but not change it. Ask {} for editor access.",
                workspace.owner
            )),
            Denied::NotAllowed(_) => AppError::Forbidden(format!(
                "Only {} (or an admin) can delete or share “{workspace}”.",
                workspace.owner
            )),
        }
    }
}

/// Managing users is for admins.
pub fn may_manage_users(actor: &Actor) -> Result<(), AppError> {
    if actor.is_admin() {
        Ok(())
    } else {
        Err(AppError::Forbidden("Only admins manage users.".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::auth::{Role, UserName, Via};

    fn actor(id: i64, role: Role) -> Actor {
        Actor {
            id,
            name: UserName::parse(&format!("user{id}")).unwrap(),
            role,
            via: Via::Session,
            grant: app::auth::Grant::full(),
            address: None,
        }
    }

    #[test]
    fn access_comes_from_ownership_role_and_share() {
        let member = actor(2, Role::Member);
        let admin = actor(1, Role::Admin);
        assert_eq!(access_of(&member, Some(2), None), Some(Access::Owner));
        assert_eq!(access_of(&admin, Some(1), None), Some(Access::Owner));
        assert_eq!(access_of(&admin, Some(2), None), Some(Access::Admin));
        assert_eq!(access_of(&member, Some(1), None), None);
        assert_eq!(access_of(&member, None, None), None);
        assert_eq!(
            access_of(&member, Some(1), Some(ShareRole::Viewer)),
            Some(Access::Viewer)
        );
        assert_eq!(
            access_of(&member, Some(1), Some(ShareRole::Editor)),
            Some(Access::Editor)
        );
    }

    #[test]
    fn the_table_of_who_may_do_what() {
        use Action::*;
        let table = [
            (Access::Owner, [true, true, true, true]),
            (Access::Admin, [true, true, true, true]),
            (Access::Editor, [true, true, false, false]),
            (Access::Viewer, [true, false, false, false]),
        ];
        for (access, expected) in table {
            for (action, allowed) in [View, Use, Delete, Share].into_iter().zip(expected) {
                assert_eq!(
                    may(Some(access), action).is_ok(),
                    allowed,
                    "{access:?} {action:?}"
                );
            }
        }
        for action in [View, Use, Delete, Share] {
            assert_eq!(may(None, action), Err(Denied::Hidden));
        }
    }

    #[test]
    fn refusals_hide_what_is_not_visible_and_explain_the_rest() {
        let workspace = WorkspaceRef::parse("ada/web").unwrap();
        assert_eq!(
            Denied::Hidden.into_error(&workspace),
            AppError::NotFound("ada/web".into())
        );
        let viewer = Denied::NotAllowed(Access::Viewer).into_error(&workspace);
        assert!(matches!(&viewer, AppError::Forbidden(m) if m.contains("editor access")));
        assert!(may_manage_users(&actor(1, Role::Admin)).is_ok());
        assert!(may_manage_users(&actor(2, Role::Member)).is_err());
    }
}
