//! Types shared by the browser and the server: request/response DTOs and validated newtypes.
//! They compile on both sides so the form can validate as the user types and the server
//! validates the same way again.

use serde::{Deserialize, Serialize};

use crate::auth::{Access, UserName, WorkspaceRef};
use crate::error::{AppError, Field};

mod creation;
mod git_source;
mod idle;
mod limits;
mod network;
mod notice;
mod preview;
mod template;
mod usage;

pub use creation::{
    is_upload_id, CreationEvent, CreationState, CreationStep, CreationView, CreationWait, Seed,
    StepState, StepView, Upload,
};
pub use git_source::GitSource;
pub use idle::{IdleBounds, IdleStop};
pub use limits::{LimitBounds, Limits};
pub use network::{EgressRecord, NetworkBounds, NetworkLevel, NetworkView};
pub use notice::{format_clock, Notice, NoticeKind};
pub use preview::{
    format_expiry, parse_port, preview_path, LinkLifetime, PreviewLink, WorkspacePort,
};
pub use template::{BuildEvent, SetupOutcome, TemplateInfo, TemplateOrigin};
pub use usage::{
    format_bytes, format_cores, format_disk, format_rate, ServerCapacity, UsageSample, UsageUpdate,
    HISTORY,
};

pub use crate::names::WorkspaceName;

/// What the create form sends, validated into a [`WorkspaceSpec`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateWorkspaceRequest {
    pub name: String,
    pub image: String,
    pub cpus: f64,
    pub memory_mib: u64,
    /// The server's default when absent.
    #[serde(default)]
    pub processes: Option<u32>,
    /// A template's id: the workspace gets its image, environment and set-up.
    #[serde(default)]
    pub template: Option<String>,
    /// Its outbound network; the template's, or the server's default, when absent.
    #[serde(default)]
    pub network: Option<NetworkLevel>,
    /// What it starts with in `/workspace`; empty when absent.
    #[serde(default)]
    pub seed: Option<Seed>,
}

/// A validated request to create a workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceSpec {
    pub name: WorkspaceName,
    pub image: String,
    pub limits: Limits,
    pub template: Option<String>,
    pub network: Option<NetworkLevel>,
}

impl CreateWorkspaceRequest {
    pub fn validate(&self) -> Result<WorkspaceSpec, AppError> {
        let name = WorkspaceName::parse(&self.name)?;
        let image = self.image.trim();
        if image.is_empty() || image.len() > 255 || image.chars().any(char::is_whitespace) {
            return Err(AppError::invalid(
                Field::Image,
                "Choose an image, such as the AiCockpit dev image.",
            ));
        }
        if !crate::image_reference::is_image_reference(image) {
            return Err(AppError::invalid(
                Field::Image,
                format!("“{image}” is not an image name. Use one such as debian:bookworm or registry.example.com/team/dev:1.2."),
            ));
        }
        let processes = self.processes.unwrap_or(Limits::DEFAULT.processes);
        let limits = Limits::parse(self.cpus, self.memory_mib, processes)?;
        if let Some(seed) = &self.seed {
            seed.validate()?;
        }
        Ok(WorkspaceSpec {
            name,
            image: image.to_owned(),
            limits,
            template: self.template.clone().filter(|t| !t.is_empty()),
            network: self.network,
        })
    }
}

/// Run state as Docker reports it, plus `Missing` for a workspace whose container is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WorkspaceStatus {
    Running,
    Stopped,
    Paused,
    Restarting,
    Removing,
    Dead,
    Missing,
}

impl WorkspaceStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Stopped => "stopped",
            Self::Paused => "paused",
            Self::Restarting => "restarting",
            Self::Removing => "removing",
            Self::Dead => "dead",
            Self::Missing => "missing",
        }
    }

    pub fn can_start(self) -> bool {
        matches!(self, Self::Stopped | Self::Dead)
    }

    pub fn can_stop(self) -> bool {
        matches!(self, Self::Running | Self::Paused | Self::Restarting)
    }
}

/// One workspace as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workspace {
    pub id: String,
    pub owner: UserName,
    pub name: WorkspaceName,
    /// What the user who asked may do with it.
    pub access: Access,
    pub image: String,
    pub status: WorkspaceStatus,
    pub limits: Limits,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the last start, while running.
    pub started_at: Option<i64>,
    /// What last happened to it without anyone asking.
    pub notice: Option<Notice>,
    /// The idle time its owner chose, minutes (0: never); `None`: the server's default.
    pub idle_minutes: Option<u32>,
    /// When it stops for want of use, while running with an idle time.
    pub idle_stop: Option<IdleStop>,
    /// What runs it ("Docker", "Kubernetes"), and on which node when there are several.
    pub placement: Placement,
    /// Where its processes may connect to.
    pub network: NetworkLevel,
}

/// Where a workspace runs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Placement {
    pub runtime: String,
    pub node: Option<String>,
}

impl Placement {
    /// "Kubernetes · node-2", or the runtime alone.
    pub fn describe(&self) -> String {
        match &self.node {
            Some(node) => format!("{} · {node}", self.runtime),
            None => self.runtime.clone(),
        }
    }
}

impl Workspace {
    pub fn reference(&self) -> WorkspaceRef {
        WorkspaceRef::new(self.owner.clone(), self.name.clone())
    }
}

/// The dashboard's list, with the server's clock so that ages render the same on both sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceList {
    pub workspaces: Vec<Workspace>,
    pub now: i64,
}

/// An image the create form offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageChoice {
    pub reference: String,
    pub description: String,
    pub available: bool,
}

/// "512 MiB", "2 GiB", "1.5 GiB": memory as people say it.
pub fn format_memory(mib: u64) -> String {
    if mib < 1024 {
        format!("{mib} MiB")
    } else {
        format!("{} GiB", mib as f64 / 1024.0)
    }
}

/// Unix seconds, on whichever side this runs.
pub fn unix_now() -> i64 {
    #[cfg(target_arch = "wasm32")]
    {
        (js_sys::Date::now() / 1000.0) as i64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    }
}

/// "3 min", "2 h 5 min", "4 d 1 h": a compact age for tables.
pub fn format_age(seconds: i64) -> String {
    let s = seconds.max(0);
    let (d, h, m) = (s / 86_400, s % 86_400 / 3_600, s % 3_600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name_error(raw: &str) -> String {
        WorkspaceName::parse(raw).unwrap_err().to_string()
    }

    #[test]
    fn accepts_dns_labels() {
        for ok in ["a", "web", "api-2", "x1-y2-z3", &"a".repeat(63)] {
            assert_eq!(WorkspaceName::parse(ok).unwrap().as_str(), ok);
        }
        assert_eq!(
            WorkspaceName::parse("  trimmed ").unwrap().as_str(),
            "trimmed"
        );
    }

    #[test]
    fn rejects_bad_names_with_a_reason() {
        assert!(name_error("").contains("Give the workspace a name"));
        assert!(name_error(&"a".repeat(64)).contains("at most 63"));
        assert!(name_error("My-App").contains("“M” is not allowed"));
        assert!(name_error("a_b").contains("“_” is not allowed"));
        assert!(name_error("a/../b").contains("“/” is not allowed"));
        assert!(name_error("1abc").contains("starts with a lowercase letter"));
        assert!(name_error("-abc").contains("starts with a lowercase letter"));
        assert!(name_error("abc-").contains("cannot end with a hyphen"));
    }

    #[test]
    fn name_errors_point_at_the_name_field() {
        assert_eq!(
            WorkspaceName::parse("A").unwrap_err().field(),
            Some(Field::Name)
        );
    }

    #[test]
    fn deserializing_validates() {
        assert!(serde_json::from_str::<WorkspaceName>("\"ok-name\"").is_ok());
        assert!(serde_json::from_str::<WorkspaceName>("\"Bad Name\"").is_err());
    }

    #[test]
    fn request_validation_checks_every_field() {
        let ok = CreateWorkspaceRequest {
            name: "dev".into(),
            image: "aicockpit/dev:abc".into(),
            cpus: 2.0,
            memory_mib: 2048,
            processes: None,
            template: Some(String::new()),
            network: None,
            seed: None,
        };
        assert_eq!(ok.validate().unwrap().limits.memory_mib, 2048);
        // An empty template choice is none.
        assert_eq!(ok.validate().unwrap().template, None);
        let no_image = CreateWorkspaceRequest {
            image: " ".into(),
            ..ok.clone()
        };
        assert_eq!(no_image.validate().unwrap_err().field(), Some(Field::Image));
        let option = CreateWorkspaceRequest {
            image: "--privileged".into(),
            ..ok.clone()
        };
        assert_eq!(option.validate().unwrap_err().field(), Some(Field::Image));
    }

    #[test]
    fn memory_reads_naturally() {
        assert_eq!(format_memory(512), "512 MiB");
        assert_eq!(format_memory(2048), "2 GiB");
        assert_eq!(format_memory(1536), "1.5 GiB");
    }

    #[test]
    fn ages_are_compact() {
        assert_eq!(format_age(42), "42 s");
        assert_eq!(format_age(150), "2 min");
        assert_eq!(format_age(3 * 3600 + 120), "3 h 2 min");
        assert_eq!(format_age(2 * 86_400 + 3600), "2 d 1 h");
        assert_eq!(format_age(-5), "0 s");
    }
}
