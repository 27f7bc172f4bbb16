//! Each step of a creation, through the services that own it: the template's build, the
//! workspace's `create`, the file service's clone and unpack, the repository's own
//! devcontainer.json, the set-up command. Each says what it did, that there was nothing to
//! do, or why it failed.

use std::sync::Arc;

use app::auth::{Actor, WorkspaceRef};
use app::error::{AppError, Field};
use app::model::{
    BuildEvent, CreateWorkspaceRequest, CreationStep, CreationView, Seed, StepState, WorkspaceSpec,
};
use app::service::{FileService, TemplateService, WorkspaceService};
use app::workspace_path::WorkspacePath;
use tokio::sync::broadcast::error::RecvError;

use super::job::Job;
use super::Creations;
use crate::templates::builds::Build;

pub enum Outcome {
    /// Done; what to say of it, if anything.
    Done(Option<String>),
    /// Nothing to do for this workspace.
    Skipped,
}

/// One run of a creation's steps, for `actor`.
pub struct Steps<'a> {
    pub creations: &'a Creations,
    pub job: &'a Job,
    pub actor: &'a Actor,
    pub request: &'a CreateWorkspaceRequest,
    pub spec: &'a WorkspaceSpec,
    pub workspace: WorkspaceRef,
    /// The workspace's id, once made.
    pub workspace_id: Option<String>,
}

impl Steps<'_> {
    pub async fn run(&mut self, step: CreationStep) -> Result<Outcome, AppError> {
        match step {
            CreationStep::BuildImage => self.build_image().await,
            CreationStep::Create => self.create().await,
            CreationStep::Seed => self.seed().await,
            CreationStep::Devcontainer => self.devcontainer().await,
            CreationStep::SetUp => self.set_up().await,
        }
    }

    async fn build_image(&self) -> Result<Outcome, AppError> {
        let Some(template) = &self.spec.template else {
            return Ok(Outcome::Skipped);
        };
        match self.creations.templates.ensure_built(template).await? {
            None => Ok(Outcome::Skipped),
            Some(build) => {
                let image = self.follow(build, CreationStep::BuildImage).await?;
                Ok(Outcome::Done(Some(format!("Its image {image} was built."))))
            }
        }
    }

    /// Makes the workspace, unless this creation made it before a restart or a failure.
    async fn create(&mut self) -> Result<Outcome, AppError> {
        let workspaces = &self.creations.workspaces;
        if let Ok(made) = workspaces.describe(self.actor, &self.workspace).await {
            let ours = Some(&made.id) == self.workspace_id.as_ref()
                || made.created_at >= self.job.view().started_at;
            if ours {
                self.workspace_id = Some(made.id);
                return Ok(Outcome::Done(None));
            }
        }
        let made = workspaces.create(self.actor, self.spec.clone()).await?;
        self.workspace_id = Some(made.id);
        Ok(Outcome::Done(None))
    }

    async fn seed(&self) -> Result<Outcome, AppError> {
        let files = &self.creations.files;
        match &self.request.seed {
            None => return Ok(Outcome::Skipped),
            Some(Seed::Repository(source)) => {
                files
                    .clone_repository(self.actor, &self.workspace, source)
                    .await?
            }
            Some(Seed::Archive { upload, .. }) => {
                let (size, archive) = self.creations.uploads.open(self.actor.id, upload).await?;
                let root = WorkspacePath::root();
                files
                    .unpack(self.actor, &self.workspace, &root, size, archive)
                    .await?
            }
        }
        Ok(Outcome::Done(
            self.request.seed.as_ref().map(Seed::describe),
        ))
    }

    /// Without a template, the devcontainer.json in the files put in (a repository's, an
    /// archive's) makes the workspace again (built first when it has a Dockerfile).
    async fn devcontainer(&self) -> Result<Outcome, AppError> {
        if self.spec.template.is_some() || self.request.seed.is_none() {
            return Ok(Outcome::Skipped);
        }
        let templates = &self.creations.templates;
        let Some(found) = templates.repository(self.actor, &self.workspace).await? else {
            return Ok(Outcome::Skipped);
        };
        if found.builds && !found.ready {
            templates
                .build_repository(self.actor, &self.workspace)
                .await?;
            let build = templates
                .builds()
                .of(&found.id)
                .ok_or_else(|| AppError::Internal("the repository's build did not start".into()))?;
            self.follow(build, CreationStep::Devcontainer).await?;
        }
        templates
            .apply_repository(self.actor, &self.workspace)
            .await?;
        Ok(Outcome::Done(Some(
            "It was made again from the devcontainer.json in its files.".into(),
        )))
    }

    async fn set_up(&self) -> Result<Outcome, AppError> {
        let outcome = self
            .creations
            .templates
            .set_up(self.actor, &self.workspace)
            .await?;
        let Some(command) = &outcome.command else {
            return Ok(Outcome::Skipped);
        };
        for line in outcome.output.lines() {
            self.job.line(line.to_owned());
        }
        match outcome.failed() {
            false => Ok(Outcome::Done(Some("Its set-up command ran.".into()))),
            true => Err(AppError::invalid(
                Field::Template,
                format!(
                    "Its set-up command `{command}` failed ({}): {}",
                    outcome
                        .exit_code
                        .map_or("stopped".into(), |code| format!("exit {code}")),
                    last_lines(&outcome.output, 5),
                ),
            )),
        }
    }

    /// Relays `build`'s output as this step's, until it ends; the image it made.
    async fn follow(&self, build: Arc<Build>, step: CreationStep) -> Result<String, AppError> {
        let (past, mut rest) = build.follow();
        for event in past {
            if let Some(end) = self.relay(event, step) {
                return end;
            }
        }
        loop {
            match rest.recv().await {
                Ok(event) => {
                    if let Some(end) = self.relay(event, step) {
                        return end;
                    }
                }
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => {
                    return Err(AppError::Internal(
                        "the build ended without a result".into(),
                    ))
                }
            }
        }
    }

    fn relay(&self, event: BuildEvent, step: CreationStep) -> Option<Result<String, AppError>> {
        match event {
            BuildEvent::Line { step: at, text } => {
                if let Some((at, of)) = at {
                    let detail = Some(format!("step {at} of {of}"));
                    let changed = self.job.view().step(step).map(|s| &s.detail) != Some(&detail);
                    if changed {
                        self.job.change(|view| set_detail(view, step, detail));
                    }
                }
                self.job.line(text);
                None
            }
            BuildEvent::Done { image } => Some(Ok(image)),
            BuildEvent::Failed { step: at, message } => {
                let failed = match at {
                    Some(at) => format!("{at} failed: {message}"),
                    None => message,
                };
                Some(Err(AppError::invalid(
                    Field::Template,
                    format!("The image did not build. {failed}"),
                )))
            }
        }
    }
}

fn set_detail(view: &mut CreationView, step: CreationStep, detail: Option<String>) {
    if let Some(shown) = view
        .step_mut(step)
        .filter(|s| s.state == StepState::Running)
    {
        shown.detail = detail;
    }
}

fn last_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}
