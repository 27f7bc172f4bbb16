//! The one way to a workspace: "workspace W, as actor A may see it". Every route that names
//! a workspace (server functions, file routes, terminals) resolves it here, which asks the
//! store who owns it and whether it is shared, then the policy whether the action is allowed.
//! Containers are addressed by what the store recorded, never by a name formula. Being
//! resolved for someone counts as a use of the workspace (see `activity`).

use app::auth::{Access, Actor, WorkspaceRef};
use app::error::AppError;

use super::policy::{access_of, may, Action, Denied};
use super::Activity;
use crate::store::{ShareStore, Store, WorkspaceRecord, WorkspaceStore};

#[derive(Clone)]
pub struct Resolver {
    workspaces: WorkspaceStore,
    shares: ShareStore,
    activity: Activity,
}

/// A workspace the actor may act on, and how far.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub record: WorkspaceRecord,
    pub reference: WorkspaceRef,
    pub access: Access,
}

impl Resolved {
    /// The container to run things in; none recorded means it was never started or is gone.
    pub fn container(&self) -> Result<&str, AppError> {
        self.record
            .container_id
            .as_deref()
            .ok_or_else(|| AppError::NotRunning(self.reference.to_string()))
    }
}

impl Resolver {
    pub fn new(store: &Store) -> Self {
        Self {
            workspaces: store.workspaces(),
            shares: store.shares(),
            activity: Activity::default(),
        }
    }

    /// When the workspaces were last used, and what holds them in use.
    pub fn activity(&self) -> &Activity {
        &self.activity
    }

    pub async fn resolve(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        action: Action,
    ) -> Result<Resolved, AppError> {
        let resolved = self.peek(actor, workspace, action).await?;
        self.activity.touch(&resolved.record.id);
        Ok(resolved)
    }

    /// Resolves without counting as a use: for watching a workspace, not working in it.
    pub async fn peek(
        &self,
        actor: &Actor,
        workspace: &WorkspaceRef,
        action: Action,
    ) -> Result<Resolved, AppError> {
        let Some(record) = self
            .workspaces
            .find(&workspace.owner, &workspace.name)
            .await?
        else {
            return Err(Denied::Hidden.into_error(workspace));
        };
        let access = self.access(actor, &record).await?;
        may(access, action).map_err(|denied| denied.into_error(workspace))?;
        match access {
            Some(access) => Ok(Resolved {
                record,
                reference: workspace.clone(),
                access,
            }),
            None => Err(Denied::Hidden.into_error(workspace)),
        }
    }

    /// Every workspace the actor may see, without counting as a use.
    pub async fn visible(&self, actor: &Actor) -> Result<Vec<Resolved>, AppError> {
        let records = match actor.is_admin() {
            true => self.workspaces.all().await?,
            false => self.workspaces.visible_to(actor.id).await?,
        };
        let mut visible = Vec::with_capacity(records.len());
        for record in records {
            let Some(owner) = record.owner.as_ref().map(|o| o.name.clone()) else {
                continue;
            };
            if let Some(access) = self.access(actor, &record).await? {
                let reference = WorkspaceRef::new(owner, record.name.clone());
                visible.push(Resolved {
                    record,
                    reference,
                    access,
                });
            }
        }
        Ok(visible)
    }

    /// How the actor stands towards a stored workspace (shares are only looked up when
    /// ownership and role do not already decide). A token limited to another workspace
    /// has none: for it, this one does not exist.
    pub async fn access(
        &self,
        actor: &Actor,
        record: &WorkspaceRecord,
    ) -> Result<Option<Access>, AppError> {
        if actor
            .grant
            .workspace
            .as_ref()
            .is_some_and(|only| *only != record.id)
        {
            return Ok(None);
        }
        let owner = record.owner.as_ref().map(|o| o.id);
        let decided = owner == Some(actor.id) || actor.is_admin();
        let share = match decided {
            true => None,
            false => self.shares.share_of(&record.id, actor.id).await?,
        };
        Ok(access_of(actor, owner, share))
    }
}
