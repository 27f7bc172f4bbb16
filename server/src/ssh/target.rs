//! The workspace an SSH user name asks for: `web.ada` is ada's workspace `web`, and `web`
//! alone the signed-in user's own. Names hold no dots, so the split is unambiguous.

use app::auth::{UserName, WorkspaceRef};
use app::model::WorkspaceName;

/// The workspace `login` names for `user`, or `None` when it names none.
pub fn workspace_of(login: &str, user: &UserName) -> Option<WorkspaceRef> {
    let (name, owner) = match login.split_once('.') {
        Some((name, owner)) => (name, UserName::parse(owner).ok()?),
        None => (login, user.clone()),
    };
    Some(WorkspaceRef {
        owner,
        name: WorkspaceName::parse(name).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str) -> UserName {
        UserName::parse(name).unwrap()
    }

    #[test]
    fn a_login_names_a_workspace_of_its_owner_or_of_the_user() {
        let ada = user("ada");
        assert_eq!(
            workspace_of("web.bob", &ada).unwrap().to_string(),
            "bob/web"
        );
        assert_eq!(workspace_of("web", &ada).unwrap().to_string(), "ada/web");
        assert!(workspace_of("", &ada).is_none());
        assert!(workspace_of("web.", &ada).is_none());
        assert!(workspace_of("a.b.c", &ada).is_none());
        assert!(workspace_of("../x", &ada).is_none());
    }
}
