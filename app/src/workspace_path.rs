//! Paths inside a workspace, confined to `/workspace`. Parsing normalises `.`, `..` and
//! repeated slashes lexically and refuses anything that would leave the workspace, NUL
//! bytes and over-long names. (Symbolic links can only be resolved inside the container;
//! the server checks those where it touches files.)

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Where every workspace's files live inside its container.
pub const WORKSPACE_ROOT: &str = "/workspace";
const MAX_NAME_BYTES: usize = 255;
const MAX_PATH_BYTES: usize = 4096;

/// A normalised path below `/workspace`, kept as its components (empty for the root).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WorkspacePath(Vec<String>);

impl WorkspacePath {
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// Accepts a path relative to the workspace (`src/main.rs`) or an absolute one inside it
    /// (`/workspace/src/main.rs`).
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let refuse = |reason: &str| AppError::InvalidPath {
            path: raw.chars().take(200).collect(),
            reason: reason.to_owned(),
        };
        if raw.contains('\0') {
            return Err(refuse("it contains a NUL byte"));
        }
        if raw.len() > MAX_PATH_BYTES {
            return Err(refuse("it is longer than 4096 bytes"));
        }
        let relative = match raw.strip_prefix('/') {
            None => raw,
            Some(_) => match raw.strip_prefix(WORKSPACE_ROOT) {
                Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
                _ => return Err(refuse("it is outside /workspace")),
            },
        };
        let mut components: Vec<String> = Vec::new();
        for part in relative.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    if components.pop().is_none() {
                        return Err(refuse("it leads outside /workspace"));
                    }
                }
                name if name.len() > MAX_NAME_BYTES => {
                    return Err(refuse("a name in it is longer than 255 bytes"))
                }
                name => components.push(name.to_owned()),
            }
        }
        Ok(Self(components))
    }

    /// A child of this path; `name` must be a single file or folder name.
    pub fn join(&self, name: &str) -> Result<Self, AppError> {
        if name.is_empty() || name == "." || name == ".." || name.contains('/') {
            return Err(AppError::InvalidPath {
                path: name.chars().take(200).collect(),
                reason: "a name cannot be empty, “.”, “..” or contain “/”".into(),
            });
        }
        Self::parse(&format!("{}/{name}", self.absolute()))
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    pub fn parent(&self) -> Option<Self> {
        let (_, parent) = self.0.split_last()?;
        Some(Self(parent.to_vec()))
    }

    /// True for this path and everything below it.
    pub fn starts_with(&self, ancestor: &WorkspacePath) -> bool {
        self.0.starts_with(&ancestor.0)
    }

    /// This path after `from` moved to `to`: `None` unless it is `from` or below it.
    pub fn rebase(&self, from: &WorkspacePath, to: &WorkspacePath) -> Option<WorkspacePath> {
        let rest = self.0.strip_prefix(from.0.as_slice())?;
        Some(Self(to.0.iter().chain(rest).cloned().collect()))
    }

    pub fn file_name(&self) -> Option<&str> {
        self.0.last().map(String::as_str)
    }

    /// `src/main.rs`; empty for the root.
    pub fn relative(&self) -> String {
        self.0.join("/")
    }

    /// `/workspace/src/main.rs`.
    pub fn absolute(&self) -> String {
        if self.is_root() {
            WORKSPACE_ROOT.to_owned()
        } else {
            format!("{WORKSPACE_ROOT}/{}", self.relative())
        }
    }
}

impl fmt::Display for WorkspacePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.absolute())
    }
}

impl TryFrom<String> for WorkspacePath {
    type Error = AppError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<WorkspacePath> for String {
    fn from(value: WorkspacePath) -> Self {
        value.absolute()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parsed(raw: &str) -> String {
        WorkspacePath::parse(raw).unwrap().absolute()
    }

    fn refused(raw: &str) -> String {
        WorkspacePath::parse(raw).unwrap_err().to_string()
    }

    #[test]
    fn normalises_inside_the_workspace() {
        assert_eq!(parsed(""), "/workspace");
        assert_eq!(parsed("/workspace"), "/workspace");
        assert_eq!(parsed("/workspace/"), "/workspace");
        assert_eq!(parsed("src//main.rs"), "/workspace/src/main.rs");
        assert_eq!(parsed("./src/./lib/../main.rs"), "/workspace/src/main.rs");
        assert_eq!(parsed("/workspace/a/b/../../c"), "/workspace/c");
        assert_eq!(parsed("notes/..."), "/workspace/notes/...");
    }

    #[test]
    fn refuses_escapes_with_a_reason() {
        assert!(refused("..").contains("leads outside /workspace"));
        assert!(refused("a/../../etc/passwd").contains("leads outside"));
        assert!(refused("/workspace/../etc").contains("leads outside"));
        assert!(refused("/etc/passwd").contains("is outside /workspace"));
        assert!(refused("/workspaces/x").contains("is outside /workspace"));
        assert!(refused("a\0b").contains("NUL"));
        assert!(refused(&"x".repeat(256)).contains("255 bytes"));
        assert!(refused(&"a/".repeat(2100)).contains("4096 bytes"));
    }

    #[test]
    fn join_takes_only_single_names() {
        let src = WorkspacePath::parse("src").unwrap();
        assert_eq!(
            src.join("main.rs").unwrap().absolute(),
            "/workspace/src/main.rs"
        );
        for bad in ["", ".", "..", "a/b", "../x"] {
            assert!(src.join(bad).is_err(), "{bad:?}");
        }
        assert!(src.join("a").unwrap().starts_with(&src));
        assert!(!WorkspacePath::parse("src2").unwrap().starts_with(&src));
        let (from, to) = (
            WorkspacePath::parse("src").unwrap(),
            WorkspacePath::parse("lib").unwrap(),
        );
        let moved = WorkspacePath::parse("src/a/b.rs")
            .unwrap()
            .rebase(&from, &to);
        assert_eq!(moved.unwrap().relative(), "lib/a/b.rs");
        assert_eq!(
            WorkspacePath::parse("srcx").unwrap().rebase(&from, &to),
            None
        );
        let root = WorkspacePath::root();
        assert_eq!(root.join("a.txt").unwrap().absolute(), "/workspace/a.txt");
    }

    #[test]
    fn parents_and_names() {
        let path = WorkspacePath::parse("a/b.txt").unwrap();
        assert_eq!(path.file_name(), Some("b.txt"));
        assert_eq!(path.parent().unwrap().absolute(), "/workspace/a");
        assert_eq!(WorkspacePath::root().parent(), None);
    }

    #[test]
    fn serializes_as_the_absolute_path_and_validates_on_the_way_in() {
        let path = WorkspacePath::parse("a/b").unwrap();
        assert_eq!(serde_json::to_string(&path).unwrap(), "\"/workspace/a/b\"");
        assert!(serde_json::from_str::<WorkspacePath>("\"/etc/shadow\"").is_err());
    }

    /// Lexical normalisation as a reference: a stack of names, `..` pops, escape = None.
    fn model(parts: &[&str]) -> Option<Vec<String>> {
        let mut stack = Vec::new();
        for part in parts {
            match *part {
                "" | "." => {}
                ".." => {
                    stack.pop()?;
                }
                name => stack.push(name.to_owned()),
            }
        }
        Some(stack)
    }

    proptest! {
        #[test]
        fn any_accepted_path_stays_inside_and_round_trips(raw in "\\PC{0,64}") {
            if let Ok(path) = WorkspacePath::parse(&raw) {
                let absolute = path.absolute();
                prop_assert!(absolute == WORKSPACE_ROOT || absolute.starts_with("/workspace/"));
                prop_assert!(!absolute.split('/').any(|c| c == ".." || c == "."));
                prop_assert!(!absolute.contains('\0') && !absolute.contains("//"));
                prop_assert_eq!(WorkspacePath::parse(&absolute).unwrap(), path);
            }
        }

        #[test]
        fn matches_the_reference_normalisation(
            parts in prop::collection::vec(prop_oneof!["\\.\\.", "\\.", "", "[a-z]{1,3}"], 0..12),
            absolute in any::<bool>(),
        ) {
            let joined = parts.join("/");
            // "./" keeps a relative path from starting with "/" when its first part is empty.
            let raw = if absolute { format!("/workspace/{joined}") } else { format!("./{joined}") };
            let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
            match (WorkspacePath::parse(&raw), model(&refs)) {
                (Ok(path), Some(expected)) => prop_assert_eq!(path.relative(), expected.join("/")),
                (Err(_), None) => {}
                (got, expected) => prop_assert!(false, "{raw:?}: {got:?} vs {expected:?}"),
            }
        }
    }
}
