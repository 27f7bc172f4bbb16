//! Types shared by the browser and the server: request/response DTOs and validated newtypes.
//! They compile on both sides so the form can validate as the user types and the server
//! validates the same way again.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::auth::{Access, UserName, WorkspaceRef};
use crate::error::{AppError, Field};

/// A workspace name: a DNS label (RFC 1123), so it can become a container name, a volume
/// name and, later, a host name for preview URLs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WorkspaceName(String);

impl WorkspaceName {
    pub const MAX_LEN: usize = 63;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let invalid = |message: &str| AppError::invalid(Field::Name, message);
        let name = raw.trim();
        if name.is_empty() {
            return Err(invalid("Give the workspace a name."));
        }
        if name.len() > Self::MAX_LEN {
            return Err(invalid("A name has at most 63 characters."));
        }
        if let Some(c) = name
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(AppError::invalid(
                Field::Name,
                format!("“{c}” is not allowed: use lowercase letters, digits and hyphens."),
            ));
        }
        if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(invalid("A name starts with a lowercase letter."));
        }
        if name.ends_with('-') {
            return Err(invalid("A name cannot end with a hyphen."));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for WorkspaceName {
    type Error = AppError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<WorkspaceName> for String {
    fn from(value: WorkspaceName) -> Self {
        value.0
    }
}

impl fmt::Display for WorkspaceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// CPU, memory and process limits of a workspace container; all three can be changed
/// while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    /// Number of CPUs (fractions allowed), enforced through CFS quota.
    pub cpus: f64,
    /// Memory limit in MiB; swap is capped at the same value.
    pub memory_mib: u64,
    /// How many processes and threads may exist at once (a fork bomb stops there).
    #[serde(default = "default_processes")]
    pub processes: u32,
}

fn default_processes() -> u32 {
    Limits::DEFAULT.processes
}

impl Limits {
    pub const CPUS: (f64, f64) = (0.1, 64.0);
    pub const MEMORY_MIB: (u64, u64) = (64, 256 * 1024);
    pub const PROCESSES: (u32, u32) = (32, 65_536);
    pub const DEFAULT: Limits = Limits {
        cpus: 1.0,
        memory_mib: 1024,
        processes: 1024,
    };

    pub fn parse(cpus: f64, memory_mib: u64, processes: u32) -> Result<Self, AppError> {
        let (min_cpu, max_cpu) = Self::CPUS;
        if !cpus.is_finite() || !(min_cpu..=max_cpu).contains(&cpus) {
            return Err(AppError::invalid(
                Field::Cpus,
                format!("CPUs must be between {min_cpu} and {max_cpu}."),
            ));
        }
        let (min_mem, max_mem) = Self::MEMORY_MIB;
        if !(min_mem..=max_mem).contains(&memory_mib) {
            return Err(AppError::invalid(
                Field::Memory,
                format!("Memory must be between {min_mem} and {max_mem} MiB."),
            ));
        }
        let (min_proc, max_proc) = Self::PROCESSES;
        if !(min_proc..=max_proc).contains(&processes) {
            return Err(AppError::invalid(
                Field::Processes,
                format!("Processes must be between {min_proc} and {max_proc}."),
            ));
        }
        Ok(Self {
            cpus,
            memory_mib,
            processes,
        })
    }

    /// Checks these limits against the server's maxima, naming the first one exceeded.
    pub fn within(&self, max: &Limits) -> Result<(), AppError> {
        if self.cpus > max.cpus {
            return Err(AppError::invalid(
                Field::Cpus,
                format!(
                    "This server allows at most {} CPUs per workspace.",
                    max.cpus
                ),
            ));
        }
        if self.memory_mib > max.memory_mib {
            return Err(AppError::invalid(
                Field::Memory,
                format!(
                    "This server allows at most {} of memory per workspace.",
                    format_memory(max.memory_mib)
                ),
            ));
        }
        if self.processes > max.processes {
            return Err(AppError::invalid(
                Field::Processes,
                format!(
                    "This server allows at most {} processes per workspace.",
                    max.processes
                ),
            ));
        }
        Ok(())
    }
}

/// The limits a new workspace starts with and the most any workspace may have, as the
/// server is configured.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LimitBounds {
    pub default: Limits,
    pub max: Limits,
}

impl Default for LimitBounds {
    /// The built-in defaults, and no maximum beyond what any limit allows.
    fn default() -> Self {
        Self {
            default: Limits::DEFAULT,
            max: Limits {
                cpus: Limits::CPUS.1,
                memory_mib: Limits::MEMORY_MIB.1,
                processes: Limits::PROCESSES.1,
            },
        }
    }
}

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
}

/// A validated request to create a workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceSpec {
    pub name: WorkspaceName,
    pub image: String,
    pub limits: Limits,
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
        Ok(WorkspaceSpec {
            name,
            image: image.to_owned(),
            limits,
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
}

/// Something that happened to a workspace unasked, shown until its next start or stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub kind: NoticeKind,
    /// Unix seconds.
    pub at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoticeKind {
    /// The container engine restarted, and AiCockpit (or the engine) started it again.
    EngineRestarted,
    /// The kernel killed a process in it for want of memory.
    OutOfMemory,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EngineRestarted => "engine-restarted",
            Self::OutOfMemory => "out-of-memory",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::EngineRestarted, Self::OutOfMemory]
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

impl Notice {
    /// What to tell the user, with what to do where there is something to do.
    pub fn message(&self) -> String {
        let at = format_clock(self.at);
        match self.kind {
            NoticeKind::EngineRestarted => {
                format!("Restarted after the container engine restarted at {at}.")
            }
            NoticeKind::OutOfMemory => format!(
                "A process ran out of memory at {at} and was killed: raise its memory limit."
            ),
        }
    }
}

/// "10:42 UTC": the same text on the server and in the browser.
pub fn format_clock(unix: i64) -> String {
    let day = unix.rem_euclid(86_400);
    format!("{:02}:{:02} UTC", day / 3_600, day % 3_600 / 60)
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

    #[test]
    fn notices_say_when_and_what_to_do() {
        let at = 1_700_000_000 - 1_700_000_000 % 86_400 + 10 * 3_600 + 42 * 60 + 59;
        let oom = Notice {
            kind: NoticeKind::OutOfMemory,
            at,
        };
        assert_eq!(
            oom.message(),
            "A process ran out of memory at 10:42 UTC and was killed: raise its memory limit."
        );
        for kind in [NoticeKind::EngineRestarted, NoticeKind::OutOfMemory] {
            assert_eq!(NoticeKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(NoticeKind::parse("other"), None);
    }

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
    fn limits_are_bounded() {
        assert!(Limits::parse(1.0, 1024, 512).is_ok());
        assert_eq!(
            Limits::parse(0.0, 1024, 512).unwrap_err().field(),
            Some(Field::Cpus)
        );
        assert_eq!(
            Limits::parse(f64::NAN, 1024, 512).unwrap_err().field(),
            Some(Field::Cpus)
        );
        assert_eq!(
            Limits::parse(1.0, 10, 512).unwrap_err().field(),
            Some(Field::Memory)
        );
        assert_eq!(
            Limits::parse(1.0, 1024, 1).unwrap_err().field(),
            Some(Field::Processes)
        );
    }

    #[test]
    fn limits_above_the_server_maximum_name_the_limit() {
        let max = Limits::parse(2.0, 4096, 2048).unwrap();
        assert!(Limits::DEFAULT.within(&max).is_ok());
        let over = |limits: Limits| limits.within(&max).unwrap_err();
        let cpus = over(Limits {
            cpus: 4.0,
            ..Limits::DEFAULT
        });
        assert_eq!(cpus.field(), Some(Field::Cpus));
        assert_eq!(
            cpus.to_string(),
            "This server allows at most 2 CPUs per workspace."
        );
        let memory = over(Limits {
            memory_mib: 8192,
            ..Limits::DEFAULT
        });
        assert_eq!(
            memory.to_string(),
            "This server allows at most 4 GiB of memory per workspace."
        );
        assert_eq!(
            over(Limits {
                processes: 4096,
                ..Limits::DEFAULT
            })
            .field(),
            Some(Field::Processes)
        );
    }

    #[test]
    fn request_validation_checks_every_field() {
        let ok = CreateWorkspaceRequest {
            name: "dev".into(),
            image: "aicockpit/dev:abc".into(),
            cpus: 2.0,
            memory_mib: 2048,
            processes: None,
        };
        assert_eq!(ok.validate().unwrap().limits.memory_mib, 2048);
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
