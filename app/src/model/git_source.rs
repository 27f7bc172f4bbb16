//! A git repository to start a workspace from: its URL and, optionally, a branch. Checked
//! the same way in the form and on the server; the clone itself runs inside the workspace
//! as its user, so these checks are for clear errors, not a security boundary.

use serde::{Deserialize, Serialize};

use crate::error::{AppError, Field};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitSource {
    pub url: String,
    /// The branch (or tag) to check out; the repository's default when `None`.
    pub branch: Option<String>,
}

const SCHEMES: [&str; 4] = ["https://", "http://", "git://", "ssh://"];

impl GitSource {
    /// `None` when no URL was given.
    pub fn parse(url: &str, branch: &str) -> Result<Option<Self>, AppError> {
        let (url, branch) = (url.trim(), branch.trim());
        if url.is_empty() {
            return match branch.is_empty() {
                true => Ok(None),
                false => Err(AppError::invalid(
                    Field::Repository,
                    "Give the repository's URL for this branch.",
                )),
            };
        }
        // `user@host:path`, as `git clone` takes it for SSH.
        let scp_like = url.split_once(':').is_some_and(|(host, path)| {
            host.contains('@') && !host.contains('/') && !path.is_empty()
        });
        let valid = (SCHEMES.iter().any(|s| url.starts_with(s)) || scp_like)
            && !url.chars().any(|c| c.is_whitespace() || c.is_control());
        if !valid {
            return Err(AppError::invalid(
                Field::Repository,
                "Use a URL such as https://example.com/team/project.git or git@example.com:team/project.git.",
            ));
        }
        let branch = match branch {
            "" => None,
            branch if valid_branch(branch) => Some(branch.to_owned()),
            _ => return Err(AppError::invalid(
                Field::Branch,
                "A branch name has letters, digits and . _ / -, and does not start with - or /.",
            )),
        };
        Ok(Some(Self {
            url: url.to_owned(),
            branch,
        }))
    }
}

fn valid_branch(name: &str) -> bool {
    name.len() <= 200
        && !name.starts_with(['-', '/', '.'])
        && !name.ends_with(['/', '.'])
        && !name.contains("..")
        && !name.contains("//")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(url: &str, branch: &str) -> Result<Option<GitSource>, AppError> {
        GitSource::parse(url, branch)
    }

    #[test]
    fn common_urls_are_taken() {
        for url in [
            "https://example.com/team/project.git",
            "http://10.0.0.2/repo",
            "git://172.17.0.3/r",
            "ssh://git@example.com/team/project.git",
            "git@example.com:team/project.git",
        ] {
            let source = parsed(&format!(" {url} "), "").unwrap().unwrap();
            assert_eq!(source.url, url);
            assert_eq!(source.branch, None);
        }
        let source = parsed("https://e.com/r", "feature/x-1.2").unwrap().unwrap();
        assert_eq!(source.branch.as_deref(), Some("feature/x-1.2"));
        assert_eq!(parsed("", "").unwrap(), None);
    }

    #[test]
    fn others_are_explained() {
        for url in [
            "-uhack",
            "file:///etc",
            "ext::sh -c x",
            "example.com/r",
            "https://e.com/a b",
        ] {
            let error = parsed(url, "").unwrap_err();
            assert_eq!(error.field(), Some(Field::Repository), "{url}");
        }
        for branch in ["-f", "/x", "a..b", "a b", "x/", "ünï"] {
            let error = parsed("https://e.com/r", branch).unwrap_err();
            assert_eq!(error.field(), Some(Field::Branch), "{branch}");
        }
        assert_eq!(
            parsed("", "main").unwrap_err().field(),
            Some(Field::Repository)
        );
    }
}
