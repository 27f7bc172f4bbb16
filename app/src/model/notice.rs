//! Notices: what happened to a workspace without anyone asking, with what to do.

use serde::{Deserialize, Serialize};

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
    /// Nobody used it for its idle time, so it was stopped.
    IdleStopped,
    /// The engine lost its container unasked (a Kubernetes eviction, a node gone), and
    /// AiCockpit started it again.
    Lost,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EngineRestarted => "engine-restarted",
            Self::OutOfMemory => "out-of-memory",
            Self::IdleStopped => "idle-stopped",
            Self::Lost => "lost",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::EngineRestarted,
            Self::OutOfMemory,
            Self::IdleStopped,
            Self::Lost,
        ]
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
            NoticeKind::IdleStopped => {
                format!("Stopped at {at} after going unused for its idle time; start it to go on.")
            }
            NoticeKind::Lost => format!(
                "Its container was lost at {at} (the cluster evicted it or lost its node) and was started again: its files are kept, programs that were running must be started again."
            ),
        }
    }
}

/// "10:42 UTC": the same text on the server and in the browser.
pub fn format_clock(unix: i64) -> String {
    let day = unix.rem_euclid(86_400);
    format!("{:02}:{:02} UTC", day / 3_600, day % 3_600 / 60)
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
        for kind in [
            NoticeKind::EngineRestarted,
            NoticeKind::OutOfMemory,
            NoticeKind::IdleStopped,
            NoticeKind::Lost,
        ] {
            assert_eq!(NoticeKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(NoticeKind::parse("other"), None);
    }
}
