//! Making a workspace as one job on the server: the template's image built if need be, the
//! container made and started, the chosen files put in, a repository's own devcontainer.json
//! applied, the set-up command run. The browser (or a script) starts it with one call and
//! follows its progress; it goes on when the page closes, says where it stopped after a
//! restart, and can be cancelled or resumed.

use serde::{Deserialize, Serialize};

use super::GitSource;
use crate::auth::WorkspaceRef;
use crate::error::{AppError, Field};

/// What a new workspace starts with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Seed {
    /// A git repository, cloned into `/workspace`.
    Repository(GitSource),
    /// An archive sent beforehand to [`crate::wire::CREATION_UPLOADS`], unpacked into
    /// `/workspace`; `name` is the file's, for what is said of it.
    Archive { upload: String, name: String },
}

impl Seed {
    /// Checks it as the server will, so a typo costs nothing.
    pub fn validate(&self) -> Result<(), AppError> {
        match self {
            Self::Repository(source) => {
                GitSource::parse(&source.url, source.branch.as_deref().unwrap_or_default())?
                    .map(drop)
                    .ok_or_else(|| {
                        AppError::invalid(Field::Repository, "Give the repository's URL.")
                    })
            }
            Self::Archive { upload, .. } => match is_upload_id(upload) {
                true => Ok(()),
                false => Err(AppError::BadRequest(format!(
                    "“{upload}” is not an upload's id"
                ))),
            },
        }
    }

    /// What is said of it once it is in.
    pub fn describe(&self) -> String {
        match self {
            Self::Repository(source) => format!("{} is cloned into /workspace.", source.url),
            Self::Archive { name, .. } => format!("The files of {name} are in it."),
        }
    }
}

/// An upload's id: 32 lowercase hexadecimal digits.
pub fn is_upload_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The answer to an archive upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    pub upload: String,
}

/// The steps of a creation, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CreationStep {
    /// The template's image, built when it is not on this machine.
    BuildImage,
    /// The volume and container, made and started.
    Create,
    /// The archive or repository put into `/workspace`.
    Seed,
    /// The `.devcontainer/devcontainer.json` in the files put in, without a template: built
    /// and the workspace made again from it.
    Devcontainer,
    /// The template's `postCreateCommand`.
    SetUp,
}

impl CreationStep {
    pub const ALL: [Self; 5] = [
        Self::BuildImage,
        Self::Create,
        Self::Seed,
        Self::Devcontainer,
        Self::SetUp,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::BuildImage => "Build the template's image",
            Self::Create => "Make and start the container",
            Self::Seed => "Put the files in",
            Self::Devcontainer => "Apply the devcontainer.json in its files",
            Self::SetUp => "Run the set-up command",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepState {
    Waiting,
    Running,
    Done,
    /// Nothing to do for this workspace.
    Skipped,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepView {
    pub step: CreationStep,
    pub state: StepState,
    /// What it did or where it is ("step 3 of 7"), or why it failed.
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CreationState {
    Running,
    Done,
    Failed,
    Cancelled,
    /// The server stopped while it ran; it can be resumed.
    Interrupted,
}

impl CreationState {
    pub fn is_over(self) -> bool {
        self != Self::Running
    }

    /// Whether what is left can run again.
    pub fn can_resume(self) -> bool {
        matches!(self, Self::Failed | Self::Cancelled | Self::Interrupted)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Interrupted => "interrupted",
        }
    }
}

/// A creation as its page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreationView {
    pub id: String,
    pub workspace: WorkspaceRef,
    pub state: CreationState,
    pub steps: Vec<StepView>,
    /// Why it stopped, for the form to show beside the field concerned.
    pub error: Option<AppError>,
    pub started_at: i64,
    pub ended_at: Option<i64>,
}

impl CreationView {
    /// A new creation: every step waiting.
    pub fn new(id: String, workspace: WorkspaceRef, started_at: i64) -> Self {
        Self {
            id,
            workspace,
            state: CreationState::Running,
            steps: CreationStep::ALL
                .into_iter()
                .map(|step| StepView {
                    step,
                    state: StepState::Waiting,
                    detail: None,
                })
                .collect(),
            error: None,
            started_at,
            ended_at: None,
        }
    }

    pub fn step(&self, step: CreationStep) -> Option<&StepView> {
        self.steps.iter().find(|s| s.step == step)
    }

    pub fn step_mut(&mut self, step: CreationStep) -> Option<&mut StepView> {
        self.steps.iter_mut().find(|s| s.step == step)
    }

    /// The step running now, or the one it stopped at.
    pub fn current(&self) -> Option<&StepView> {
        self.steps
            .iter()
            .find(|s| matches!(s.state, StepState::Running | StepState::Failed))
            .or_else(|| self.steps.iter().find(|s| s.state == StepState::Waiting))
    }

    /// Whether it stopped with something to go on from: the workspace made, or a restart
    /// cut it short. Others are forgotten when they end (their answer said why).
    pub fn resumable(&self) -> bool {
        self.state.can_resume()
            && (self.workspace_made() || self.state == CreationState::Interrupted)
    }

    /// Whether the container was made: from then on, the workspace exists.
    pub fn workspace_made(&self) -> bool {
        self.step(CreationStep::Create)
            .is_some_and(|s| s.state == StepState::Done)
    }

    /// One line on where it is or how it ended.
    pub fn summary(&self) -> String {
        let name = &self.workspace.name;
        let at = self.current().map(|s| s.step.label().to_lowercase());
        match self.state {
            CreationState::Running => match at {
                Some(at) => format!("Making {name}: {at}…"),
                None => format!("Making {name}…"),
            },
            CreationState::Done => {
                let said: Vec<String> = self
                    .steps
                    .iter()
                    .filter(|s| s.state == StepState::Done)
                    .filter_map(|s| s.detail.clone())
                    .collect();
                format!("Workspace {name} is running. {}", said.join(" "))
                    .trim_end()
                    .to_owned()
            }
            CreationState::Failed => {
                let why = self.error.as_ref().map(ToString::to_string);
                let made = match self.workspace_made() {
                    true => format!("Workspace {name} was made, but "),
                    false => format!("Workspace {name} was not made: "),
                };
                format!(
                    "{made}{} failed. {}",
                    at.unwrap_or_else(|| "a step".into()),
                    why.unwrap_or_default()
                )
                .trim_end()
                .to_owned()
            }
            CreationState::Cancelled => format!(
                "Making {name} was cancelled{}.",
                at.map(|at| format!(" before: {at}")).unwrap_or_default()
            ),
            CreationState::Interrupted => format!(
                "Making {name} was cut short by a restart of the server{}.",
                at.map(|at| format!(" at: {at}")).unwrap_or_default()
            ),
        }
    }
}

/// When the call that starts a creation answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CreationWait {
    /// At once; the caller follows its events.
    Started,
    /// Once the workspace runs (what is left goes on); a refusal before that is the
    /// answer's error.
    #[default]
    Made,
    /// Once every step is over.
    Done,
}

/// What a creation's event stream sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CreationEvent {
    /// The whole view, first and after each change of a step.
    View(CreationView),
    /// A line of output: a build's or the set-up command's.
    Line(String),
}

impl CreationEvent {
    /// The server-sent event's name.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::View(_) => "view",
            Self::Line(_) => "line",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> CreationView {
        let workspace = WorkspaceRef::parse("ada/web").unwrap();
        CreationView::new("c1".into(), workspace, 0)
    }

    #[test]
    fn a_failure_says_whether_the_workspace_was_made_and_where_it_stopped() {
        let mut failed = view();
        failed.state = CreationState::Failed;
        failed.step_mut(CreationStep::BuildImage).unwrap().state = StepState::Skipped;
        failed.step_mut(CreationStep::Create).unwrap().state = StepState::Done;
        failed.step_mut(CreationStep::Seed).unwrap().state = StepState::Failed;
        failed.error = Some(AppError::CloneFailed("no such repository".into()));
        let said = failed.summary();
        assert!(
            said.starts_with("Workspace web was made, but put the files in failed."),
            "{said}"
        );
        assert!(said.contains("no such repository"), "{said}");

        let mut early = view();
        early.state = CreationState::Failed;
        early.step_mut(CreationStep::BuildImage).unwrap().state = StepState::Failed;
        assert!(early.summary().starts_with("Workspace web was not made"));
    }

    #[test]
    fn done_says_what_each_step_did() {
        let mut done = view();
        done.state = CreationState::Done;
        for step in &mut done.steps {
            step.state = StepState::Skipped;
        }
        let seed = done.step_mut(CreationStep::Seed).unwrap();
        seed.state = StepState::Done;
        seed.detail = Some("x.git is cloned into /workspace.".into());
        assert_eq!(
            done.summary(),
            "Workspace web is running. x.git is cloned into /workspace."
        );
    }

    #[test]
    fn seeds_are_checked_as_the_server_will() {
        let bad = Seed::Repository(GitSource {
            url: "not a url".into(),
            branch: None,
        });
        assert_eq!(bad.validate().unwrap_err().field(), Some(Field::Repository));
        let archive = |upload: &str| Seed::Archive {
            upload: upload.into(),
            name: "a.tar".into(),
        };
        assert!(archive(&"ab".repeat(16)).validate().is_ok());
        assert!(archive("../../etc/passwd").validate().is_err());
        assert!(CreationState::Interrupted.can_resume());
        assert!(!CreationState::Done.can_resume());
    }
}
