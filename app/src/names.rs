//! The names everything else is named by: users, workspaces, and the `owner/name` reference
//! that names a workspace for everyone who may see it (names are unique per owner, not
//! across the server). A leaf: parsed the same way in the browser and on the server.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{AppError, Field};

/// A user name: lowercase letters, digits and hyphens, like a workspace name, so that
/// `owner/name` and container names built from it are unambiguous.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserName(String);

impl UserName {
    pub const MAX_LEN: usize = 32;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let invalid = |message: String| AppError::invalid(Field::UserName, message);
        let name = raw.trim();
        if name.is_empty() {
            return Err(invalid("Enter a user name.".into()));
        }
        if name.len() > Self::MAX_LEN {
            return Err(invalid(format!(
                "A user name has at most {} characters.",
                Self::MAX_LEN
            )));
        }
        if let Some(c) = name
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(invalid(format!(
                "“{c}” is not allowed in a user name: use lowercase letters, digits and hyphens."
            )));
        }
        if !name.starts_with(|c: char| c.is_ascii_lowercase()) || name.ends_with('-') {
            return Err(invalid(
                "A user name starts with a lowercase letter and does not end with a hyphen.".into(),
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for UserName {
    type Error = AppError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<UserName> for String {
    fn from(value: UserName) -> Self {
        value.0
    }
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

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

/// `owner/name`: a workspace as everyone who may see it names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WorkspaceRef {
    pub owner: UserName,
    pub name: WorkspaceName,
}

impl WorkspaceRef {
    pub fn new(owner: UserName, name: WorkspaceName) -> Self {
        Self { owner, name }
    }

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let Some((owner, name)) = raw.trim().split_once('/') else {
            return Err(AppError::invalid(
                Field::Name,
                format!("“{raw}” does not name a workspace as owner/name."),
            ));
        };
        Ok(Self {
            owner: UserName::parse(owner)?,
            name: WorkspaceName::parse(name)?,
        })
    }
}

impl TryFrom<String> for WorkspaceRef {
    type Error = AppError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<WorkspaceRef> for String {
    fn from(value: WorkspaceRef) -> Self {
        value.to_string()
    }
}

impl fmt::Display for WorkspaceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}
