//! A workspace's outbound network: its level, what the server allows, and the destinations
//! its processes asked for. Whatever the level, a workspace reaches no other workspace and
//! no service on AiCockpit's host; terminals, files and previews go through AiCockpit.

use serde::{Deserialize, Serialize};

use crate::error::{AppError, Field};

/// Where a workspace's processes may connect to, from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum NetworkLevel {
    /// Nowhere: no network at all.
    None,
    /// Only the hosts the server allows, through AiCockpit's proxy, each try recorded.
    Allowlist,
    /// The internet, directly (never this host or other workspaces).
    Open,
}

impl NetworkLevel {
    pub const ALL: [NetworkLevel; 3] = [Self::None, Self::Allowlist, Self::Open];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Allowlist => "allowlist",
            Self::Open => "open",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|level| level.as_str() == text.trim().to_ascii_lowercase())
    }

    /// What a person choosing it should know.
    pub fn describe(self) -> &'static str {
        match self {
            Self::None => "No network: terminals, files and previews still work.",
            Self::Allowlist => {
                "Only allowed hosts (package registries, git hosts), through AiCockpit's proxy; every try is recorded."
            }
            Self::Open => "The internet, directly. Never this server or other workspaces.",
        }
    }

    /// Checks a choice against the server's maximum.
    pub fn within(self, max: NetworkLevel) -> Result<Self, AppError> {
        match self <= max {
            true => Ok(self),
            false => Err(AppError::invalid(
                Field::Network,
                format!(
                    "This server allows at most the “{}” network level.",
                    max.as_str()
                ),
            )),
        }
    }
}

/// The server's network settings, as the create form and the network panel show them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkBounds {
    /// A new workspace's level unless its template or creator chooses.
    pub default: NetworkLevel,
    /// The most any workspace may have.
    pub max: NetworkLevel,
    /// Why `Open` cannot be given on this server, when it cannot.
    pub open_unavailable: Option<String>,
    /// The hosts every workspace on `Allowlist` may reach (`*.example.com`, `host:port`).
    pub allowed_hosts: Vec<String>,
}

/// One destination a workspace's processes asked for, with how often and when last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EgressRecord {
    pub host: String,
    pub port: u16,
    pub allowed: bool,
    /// Why it was refused, or what allowed it.
    pub reason: String,
    pub count: u64,
    /// Unix seconds.
    pub last_at: i64,
}

/// A workspace's network as its panel shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkView {
    pub level: NetworkLevel,
    /// The hosts it may reach on `Allowlist`: the server's and its template's.
    pub allowed_hosts: Vec<String>,
    pub bounds: NetworkBounds,
    /// Whether the asking user may change the level (its owner, an admin).
    pub may_change: bool,
    /// The newest destinations first.
    pub recent: Vec<EgressRecord>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_read_order_and_stay_within_the_maximum() {
        for level in NetworkLevel::ALL {
            assert_eq!(NetworkLevel::parse(level.as_str()), Some(level));
        }
        assert_eq!(NetworkLevel::parse(" Open "), Some(NetworkLevel::Open));
        assert_eq!(NetworkLevel::parse("wide"), None);
        assert!(NetworkLevel::None < NetworkLevel::Allowlist);
        assert!(NetworkLevel::Allowlist < NetworkLevel::Open);
        assert!(NetworkLevel::Open.within(NetworkLevel::Allowlist).is_err());
        assert_eq!(
            NetworkLevel::None.within(NetworkLevel::Allowlist),
            Ok(NetworkLevel::None)
        );
        let refused = NetworkLevel::Open.within(NetworkLevel::None).unwrap_err();
        assert_eq!(refused.field(), Some(Field::Network));
    }
}
