//! The creation service's calls: start, look, cancel, resume, dismiss, each for the
//! creation's own user only.

use app::auth::{Actor, WorkspaceRef};
use app::error::AppError;
use app::model::{
    CreateWorkspaceRequest, CreationState, CreationView, CreationWait, Seed, StepState,
};
use app::service::CreationService;

use super::Creations;
use crate::store::unix_now;
use crate::sync::Unpoisoned;

#[async_trait::async_trait]
impl CreationService for Creations {
    async fn create(
        &self,
        actor: &Actor,
        request: CreateWorkspaceRequest,
        wait: CreationWait,
    ) -> Result<CreationView, AppError> {
        let mut request = request;
        let default = app::service::WorkspaceService::limit_bounds(self.workspaces.as_ref());
        request.processes.get_or_insert(default.default.processes);
        let spec = request.validate()?;
        self.workspaces.may_create(actor, &spec).await?;
        if let Some(Seed::Archive { upload, .. }) = &request.seed {
            self.uploads.exists(actor.id, upload).await?;
        }
        let workspace = WorkspaceRef::new(actor.name.clone(), spec.name.clone());
        let id = uuid::Uuid::new_v4().simple().to_string();
        let view = CreationView::new(id, workspace, unix_now());
        self.store.insert(actor.id, &request, &view).await?;
        let job = self.spawn(actor.clone(), request, spec, view, None)?;
        self.answer(&job, wait).await
    }

    async fn creation(&self, actor: &Actor, id: &str) -> Result<CreationView, AppError> {
        match self.at_hand(actor, id) {
            Some(job) => Ok(job.view()),
            None => Ok(self.stored(actor, id).await?.view),
        }
    }

    async fn unfinished(&self, actor: &Actor) -> Result<Vec<CreationView>, AppError> {
        let stored = self.store.unfinished(actor.id).await?;
        Ok(stored
            .into_iter()
            .map(|s| match self.at_hand(actor, &s.view.id) {
                Some(job) => job.view(),
                None => s.view,
            })
            .collect())
    }

    async fn cancel(&self, actor: &Actor, id: &str) -> Result<CreationView, AppError> {
        let Some(job) = self.running(actor, id) else {
            self.stored(actor, id).await?;
            return Err(AppError::BadRequest("This creation is not running.".into()));
        };
        job.stop.cancel();
        Ok(job.until(|_| false).await)
    }

    async fn resume(&self, actor: &Actor, id: &str) -> Result<CreationView, AppError> {
        let stored = self.stored(actor, id).await?;
        if self.running(actor, id).is_some() {
            return Err(AppError::Busy("This creation is running already.".into()));
        }
        if !stored.view.resumable() {
            return Err(AppError::BadRequest(
                "This creation has nothing left to do.".into(),
            ));
        }
        let spec = stored.request.validate()?;
        let mut view = stored.view;
        view.state = CreationState::Running;
        view.error = None;
        view.ended_at = None;
        for step in &mut view.steps {
            if matches!(step.state, StepState::Running | StepState::Failed) {
                step.state = StepState::Waiting;
                step.detail = None;
            }
        }
        self.save(&view, None).await;
        let job = self.spawn(
            actor.clone(),
            stored.request,
            spec,
            view,
            stored.workspace_id,
        )?;
        Ok(job.view())
    }

    async fn dismiss(&self, actor: &Actor, id: &str) -> Result<(), AppError> {
        let stored = self.stored(actor, id).await?;
        if self.running(actor, id).is_some() {
            return Err(AppError::Busy("Cancel this creation first.".into()));
        }
        self.store.delete(id).await?;
        self.jobs.locked().remove(id);
        if let Some(Seed::Archive { upload, .. }) = &stored.request.seed {
            self.uploads.remove(actor.id, upload).await;
        }
        Ok(())
    }
}
