//! Making a workspace as one job on the server: the template's image built when it is
//! missing, the container made and started, an archive or a repository put in, the
//! devcontainer.json among those files applied, the set-up command run (`steps`). Its view
//! is kept in the store at each step, so a restart says where it stopped and can resume
//! it; while it runs, whoever follows sees each change and each line of output (`job`).
//! The calls a user makes on it are in `service`; archives sent ahead, in `uploads`.

mod job;
mod service;
mod steps;
pub mod uploads;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::auth::Actor;
use app::error::AppError;
use app::model::{
    CreateWorkspaceRequest, CreationState, CreationStep, CreationView, CreationWait, Seed,
    StepState, WorkspaceSpec,
};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use self::job::Job;
use self::steps::{Outcome, Steps};
pub use self::uploads::Uploads;
use crate::files::FileManager;
use crate::store::{unix_now, CreationStore};
use crate::sync::Unpoisoned;
use crate::templates::Templates;
use crate::workspaces::WorkspaceManager;

/// How long a finished creation stays on record.
const KEPT: Duration = Duration::from_secs(24 * 3600);
/// How long one that ended stays at hand for a page that follows it late (it may have
/// ended before the page began to follow, and one that made nothing is not kept).
const ENDED_AT_HAND: Duration = Duration::from_secs(120);

/// The services a creation's steps go through, and what it keeps of them.
pub struct CreationParts {
    pub workspaces: Arc<WorkspaceManager>,
    pub templates: Arc<Templates>,
    pub files: Arc<FileManager>,
    pub uploads: Uploads,
    pub store: CreationStore,
}

#[derive(Clone)]
pub struct Creations {
    workspaces: Arc<WorkspaceManager>,
    templates: Arc<Templates>,
    files: Arc<FileManager>,
    uploads: Uploads,
    store: CreationStore,
    /// Those running now, and those that ended a moment ago.
    jobs: Arc<Mutex<HashMap<String, Arc<Job>>>>,
    tasks: TaskTracker,
}

impl Creations {
    /// Creations through `parts`, each run spawned on `tasks` (so a stopping server waits
    /// for them to record where they stopped).
    pub fn new(parts: CreationParts, tasks: TaskTracker) -> Self {
        Self {
            workspaces: parts.workspaces,
            templates: parts.templates,
            files: parts.files,
            uploads: parts.uploads,
            store: parts.store,
            jobs: Arc::default(),
            tasks,
        }
    }

    pub fn uploads(&self) -> &Uploads {
        &self.uploads
    }

    /// Creation `id` of the actor's, while it runs or just after.
    fn at_hand(&self, actor: &Actor, id: &str) -> Option<Arc<Job>> {
        let job = self.jobs.locked().get(id).cloned()?;
        (job.user_id == actor.id).then_some(job)
    }

    /// Creation `id` of the actor's, if it runs.
    fn running(&self, actor: &Actor, id: &str) -> Option<Arc<Job>> {
        self.at_hand(actor, id)
            .filter(|job| !job.view().state.is_over())
    }

    /// Follows creation `id` of the actor's: the events so far, and (while it runs) those
    /// to come.
    pub async fn follow(&self, actor: &Actor, id: &str) -> Result<Following, AppError> {
        match self.at_hand(actor, id) {
            Some(job) => {
                let (past, views, lines) = job.follow();
                Ok(Following::Running { past, views, lines })
            }
            None => Ok(Following::Over(self.stored(actor, id).await?.view)),
        }
    }

    async fn stored(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<crate::store::StoredCreation, AppError> {
        match self.store.find(id).await? {
            Some(stored) if stored.user_id == actor.id => Ok(stored),
            _ => Err(AppError::NoSuchCreation(id.to_owned())),
        }
    }

    /// Marks the creations a server that stopped left running as interrupted.
    pub async fn interrupt_left_running(&self) {
        match self.store.interrupt_running(unix_now()).await {
            Ok(cut) if !cut.is_empty() => {
                tracing::info!(count = cut.len(), "creations cut short by a restart")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot mark interrupted creations"),
        }
    }

    /// When `shutdown` comes, stops every running creation as interrupted.
    pub async fn interrupt_all_on(&self, shutdown: CancellationToken) {
        shutdown.cancelled().await;
        for job in self.jobs.locked().values() {
            job.interrupt();
        }
    }

    /// Forgets finished creations and unused archives after a day; runs until dropped.
    pub async fn tidy_periodically(self) {
        let mut hours = tokio::time::interval(Duration::from_secs(3600));
        loop {
            hours.tick().await;
            let before = unix_now() - KEPT.as_secs() as i64;
            if let Err(e) = self.store.forget_done(before).await {
                tracing::warn!(error = %e, "cannot forget finished creations");
            }
            self.uploads.forget_older_than(uploads::KEPT_FOR).await;
        }
    }

    fn spawn(
        &self,
        actor: Actor,
        request: CreateWorkspaceRequest,
        spec: WorkspaceSpec,
        view: CreationView,
        workspace_id: Option<String>,
    ) -> Result<Arc<Job>, AppError> {
        let job = Arc::new(Job::new(actor.id, view.clone()));
        {
            let mut jobs = self.jobs.locked();
            if jobs
                .get(&view.id)
                .is_some_and(|j| !j.view().state.is_over())
            {
                return Err(AppError::Busy("This creation is running already.".into()));
            }
            jobs.insert(view.id.clone(), job.clone());
        }
        let (creations, running) = (self.clone(), job.clone());
        self.tasks.spawn(async move {
            let steps = Steps {
                creations: &creations,
                job: &running,
                actor: &actor,
                request: &request,
                spec: &spec,
                workspace: view.workspace.clone(),
                workspace_id,
            };
            creations.run(steps).await;
        });
        Ok(job)
    }

    /// Runs each step not done yet, in order, recording each change.
    async fn run(&self, mut steps: Steps<'_>) {
        let job = steps.job;
        let mut end = CreationState::Done;
        for step in CreationStep::ALL {
            let state = job.view().step(step).map(|s| s.state);
            if matches!(state, Some(StepState::Done | StepState::Skipped)) {
                continue;
            }
            if job.stop.is_cancelled() {
                end = job.stopped();
                break;
            }
            let view = job.change(|view| mark(view, step, StepState::Running, None));
            self.save(&view, steps.workspace_id.as_deref()).await;
            // Making the container is not cut half-way: cancelling waits for it.
            let outcome = match step {
                CreationStep::Create => Some(steps.run(step).await),
                _ => tokio::select! {
                    biased;
                    _ = job.stop.cancelled() => None,
                    outcome = steps.run(step) => Some(outcome),
                },
            };
            match outcome {
                Some(Ok(Outcome::Done(detail))) => {
                    job.change(|view| mark(view, step, StepState::Done, detail));
                }
                Some(Ok(Outcome::Skipped)) => {
                    job.change(|view| mark(view, step, StepState::Skipped, None));
                }
                Some(Err(error)) => {
                    tracing::info!(creation = %job.view().id, ?step, %error, "a creation failed");
                    job.change(|view| {
                        mark(view, step, StepState::Failed, Some(error.to_string()));
                        view.error = Some(error);
                    });
                    end = CreationState::Failed;
                    break;
                }
                None => {
                    job.change(|view| mark(view, step, StepState::Waiting, None));
                    end = job.stopped();
                    break;
                }
            }
        }
        let view = job.change(|view| {
            view.state = end;
            view.ended_at = Some(unix_now());
        });
        self.end(
            &view,
            steps.actor.id,
            steps.request,
            steps.workspace_id.as_deref(),
        )
        .await;
    }

    /// Records how `view` ended: one that made nothing and will not go on is forgotten
    /// (its answer or its page said why); an archive is kept only while it may be needed.
    async fn end(
        &self,
        view: &CreationView,
        user_id: i64,
        request: &CreateWorkspaceRequest,
        made: Option<&str>,
    ) {
        let (jobs, id) = (self.jobs.clone(), view.id.clone());
        tokio::spawn(async move {
            tokio::time::sleep(ENDED_AT_HAND).await;
            let mut jobs = jobs.locked();
            // Unless it was resumed meanwhile.
            if jobs.get(&id).is_some_and(|job| job.view().state.is_over()) {
                jobs.remove(&id);
            }
        });
        let nothing_made = view.state != CreationState::Done && !view.resumable();
        if nothing_made {
            if let Err(e) = self.store.delete(&view.id).await {
                tracing::warn!(error = %e, "cannot forget a creation");
            }
        } else {
            self.save(view, made).await;
        }
        if let Some(Seed::Archive { upload, .. }) = &request.seed {
            if view.state == CreationState::Done || nothing_made {
                self.uploads.remove(user_id, upload).await;
            }
        }
    }

    async fn save(&self, view: &CreationView, workspace_id: Option<&str>) {
        if let Err(e) = self.store.update(view, workspace_id).await {
            tracing::warn!(creation = %view.id, error = %e, "cannot record a creation's progress");
        }
    }

    /// Answers at `wait`: a creation that fails before its workspace exists answers
    /// with its error.
    async fn answer(&self, job: &Job, wait: CreationWait) -> Result<CreationView, AppError> {
        let view = match wait {
            CreationWait::Started => return Ok(job.view()),
            CreationWait::Made => job.until(CreationView::workspace_made).await,
            CreationWait::Done => job.until(|_| false).await,
        };
        match (view.state, &view.error) {
            (CreationState::Failed, Some(error)) if !view.workspace_made() => Err(error.clone()),
            _ => Ok(view),
        }
    }
}

/// A creation as its event stream sends it.
pub enum Following {
    Running {
        past: Vec<app::model::CreationEvent>,
        views: tokio::sync::watch::Receiver<CreationView>,
        lines: tokio::sync::broadcast::Receiver<String>,
    },
    /// Over: its last view.
    Over(CreationView),
}

fn mark(view: &mut CreationView, step: CreationStep, state: StepState, detail: Option<String>) {
    if let Some(shown) = view.step_mut(step) {
        shown.state = state;
        shown.detail = detail;
    }
}
