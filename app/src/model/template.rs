//! Workspace templates: a devcontainer.json (and a Dockerfile) that give a new workspace its
//! image, environment, set-up commands, ports and default limits. Built-in ones build on the
//! local dev image; admins add their own.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TemplateOrigin {
    BuiltIn,
    /// Added by an admin on the Templates page.
    Added,
    /// From the server's templates folder.
    Folder,
    /// A workspace's own repository (`.devcontainer/devcontainer.json`).
    Repository,
}

impl TemplateOrigin {
    pub fn label(self) -> &'static str {
        match self {
            Self::BuiltIn => "built in",
            Self::Added => "added by an admin",
            Self::Folder => "from the server's templates folder",
            Self::Repository => "from the repository",
        }
    }
}

/// What the create form's template choice knows about a template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateInfo {
    pub id: String,
    pub name: String,
    pub origin: TemplateOrigin,
    /// The image a workspace made from it runs.
    pub image: String,
    /// Whether that image is on this machine (built, for a Dockerfile template).
    pub ready: bool,
    /// Built from a Dockerfile (otherwise it names an image).
    pub builds: bool,
    pub cpus: Option<f64>,
    pub memory_mib: Option<u64>,
    pub idle_minutes: Option<u32>,
    pub forward_ports: Vec<u16>,
    pub post_create: Option<String>,
    /// What its devcontainer.json has that AiCockpit does not use, and why.
    pub ignored: Vec<String>,
    /// Root inside by passwordless `sudo`: lower isolation.
    pub sudo: bool,
}

/// One event of a template's build.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum BuildEvent {
    /// A line of output; `step` is `(3, 7)` for the third step of seven.
    Line {
        step: Option<(u32, u32)>,
        text: String,
    },
    Done {
        image: String,
    },
    /// The step that failed (its Dockerfile line), and the engine's message.
    Failed {
        step: Option<String>,
        message: String,
    },
}

impl BuildEvent {
    /// The event's name on the event stream.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Line { .. } => "line",
            Self::Done { .. } => "done",
            Self::Failed { .. } => "failed",
        }
    }
}

/// How a workspace's `postCreateCommand` went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetupOutcome {
    /// The command, or `None` when there was nothing (left) to run.
    pub command: Option<String>,
    pub exit_code: Option<i64>,
    /// The end of its output.
    pub output: String,
}

impl SetupOutcome {
    pub fn failed(&self) -> bool {
        self.command.is_some() && self.exit_code != Some(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setup_failed_only_when_a_command_ran_and_did_not_succeed() {
        let outcome = |command: Option<&str>, exit_code| SetupOutcome {
            command: command.map(Into::into),
            exit_code,
            output: String::new(),
        };
        assert!(!outcome(None, None).failed());
        assert!(!outcome(Some("make"), Some(0)).failed());
        assert!(outcome(Some("make"), Some(2)).failed());
        assert!(outcome(Some("make"), None).failed());
    }

    #[test]
    fn build_events_name_themselves() {
        let done = BuildEvent::Done { image: "x".into() };
        assert_eq!(done.kind(), "done");
        let json = serde_json::to_string(&done).unwrap();
        assert_eq!(serde_json::from_str::<BuildEvent>(&json).unwrap(), done);
    }
}
