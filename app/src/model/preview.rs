//! Preview URLs: what runs inside a workspace, reached through AiCockpit. A signed-in user
//! opens `/workspaces/<owner>/<name>/ports/<port>/`, which sends them on to a grant of their
//! own under [`crate::wire::PREVIEW_PREFIX`]; share links are grants the owner makes for anyone.

use serde::{Deserialize, Serialize};

use crate::auth::WorkspaceRef;
use crate::error::{AppError, Field};

/// The address that opens `port` of `workspace` for whoever is signed in.
pub fn preview_path(workspace: &WorkspaceRef, port: u16) -> String {
    crate::wire::fill(
        crate::wire::PORTS,
        workspace,
        &[("port", &format!("{port}/"))],
    )
}

/// A port to preview: a user port (1024 and up; below that only root can listen).
pub fn parse_port(raw: &str) -> Result<u16, AppError> {
    match raw.trim().parse::<u16>() {
        Ok(port) if port >= 1024 => Ok(port),
        _ => Err(AppError::invalid(
            Field::Port,
            "A port is a number from 1024 to 65535.",
        )),
    }
}

/// A TCP port inside a workspace: listening now, named by its template, or both.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WorkspacePort {
    pub port: u16,
    pub listening: bool,
    /// Listening where AiCockpit reaches it from inside the workspace: the loopback
    /// address or every address (not only one of the workspace's other addresses).
    pub reachable: bool,
    /// Named in the template's `forwardPorts`.
    pub forwarded: bool,
}

impl WorkspacePort {
    /// What the ports list says about it, when it cannot be opened.
    pub fn problem(&self) -> Option<&'static str> {
        match (self.listening, self.reachable) {
            (false, _) => Some("Nothing is listening on it yet."),
            (true, false) => Some(
                "Listening on another address only: start the server on 127.0.0.1 or 0.0.0.0 to open it here.",
            ),
            (true, true) => None,
        }
    }
}

/// How long a share link lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkLifetime {
    Hour,
    Day,
    Week,
}

impl LinkLifetime {
    pub const ALL: [LinkLifetime; 3] = [Self::Hour, Self::Day, Self::Week];

    pub fn seconds(self) -> i64 {
        match self {
            Self::Hour => 3_600,
            Self::Day => 86_400,
            Self::Week => 7 * 86_400,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Hour => "1 hour",
            Self::Day => "1 day",
            Self::Week => "7 days",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.label() == raw)
    }
}

/// A share link for one port: anyone holding its address may open it until it expires or
/// the owner revokes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewLink {
    pub id: i64,
    pub port: u16,
    /// The path to share (the page adds its origin).
    pub path: String,
    pub created_by: String,
    /// Unix seconds.
    pub expires_at: i64,
}

/// How long until `expires_at`, as a person says it: "expires in 50 min".
pub fn format_expiry(expires_at: i64, now: i64) -> String {
    let left = expires_at - now;
    match left {
        ..=0 => "expired".into(),
        1..=5_399 => format!("expires in {} min", (left + 59) / 60),
        5_400..=129_599 => format!("expires in {} h", (left + 1_800) / 3_600),
        _ => format!("expires in {} days", (left + 43_200) / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_user_ports() {
        assert_eq!(parse_port(" 8000 "), Ok(8000));
        assert_eq!(parse_port("65535"), Ok(65535));
        for bad in ["", "80", "1023", "65536", "-1", "http"] {
            assert!(parse_port(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_port_says_why_it_cannot_be_opened() {
        let port = |listening, reachable| WorkspacePort {
            port: 8000,
            listening,
            reachable,
            forwarded: true,
        };
        assert_eq!(port(true, true).problem(), None);
        assert!(port(true, false).problem().unwrap().contains("127.0.0.1"));
        assert!(port(false, false).problem().is_some());
    }

    #[test]
    fn lifetimes_read_back_from_their_labels() {
        for lifetime in LinkLifetime::ALL {
            assert_eq!(LinkLifetime::parse(lifetime.label()), Some(lifetime));
        }
        assert_eq!(LinkLifetime::Day.seconds(), 86_400);
    }

    #[test]
    fn expiry_reads_in_the_largest_sensible_unit() {
        assert_eq!(format_expiry(100, 100), "expired");
        assert_eq!(format_expiry(3_600, 0), "expires in 60 min");
        assert_eq!(format_expiry(86_400, 0), "expires in 24 h");
        assert_eq!(format_expiry(7 * 86_400, 0), "expires in 7 days");
    }

    #[test]
    fn the_preview_path_names_owner_workspace_and_port() {
        let workspace = WorkspaceRef::parse("ada/web").unwrap();
        assert_eq!(
            preview_path(&workspace, 8000),
            "/workspaces/ada/web/ports/8000/"
        );
    }
}
