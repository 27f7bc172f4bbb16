//! What a new workspace must satisfy before anything is made for it: checked by `create`,
//! and by a creation job before it starts (so a refusal comes back at once, beside the
//! field concerned, even when an image must be built first).

use app::auth::Actor;
use app::error::AppError;
use app::model::WorkspaceSpec;

use super::WorkspaceManager;

impl WorkspaceManager {
    /// `Ok` when `actor` may make the workspace `spec` describes: the token may make
    /// workspaces, the limits are within the server's, the template is offered (its image
    /// may still have to be built) or the image is one they may use, and the name is free.
    pub async fn may_create(&self, actor: &Actor, spec: &WorkspaceSpec) -> Result<(), AppError> {
        if actor.grant.workspace.is_some() {
            return Err(AppError::Forbidden(
                "This token is limited to one workspace: it cannot make others.".into(),
            ));
        }
        spec.limits.within(&self.settings.limits.max)?;
        match &spec.template {
            Some(id) => drop(self.template(id).await?),
            None => self.may_use_image(actor, &spec.image).await?,
        }
        match self.store.find(&actor.name, &spec.name).await? {
            Some(_) => Err(AppError::NameTaken(spec.name.to_string())),
            None => Ok(()),
        }
    }
}
