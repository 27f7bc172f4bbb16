//! Who is acting, shared by the browser and the server: user names, roles, the signed-in
//! user the pages show, and the `owner/name` reference that names a workspace for everyone
//! who may see it (names are unique per owner, not across the server).

use serde::{Deserialize, Serialize};

use crate::error::{AppError, Field};
pub use crate::names::{UserName, WorkspaceRef};

/// Checks a new password: long enough to resist guessing, short enough to hash quickly.
pub fn check_new_password(password: &str) -> Result<(), AppError> {
    const MIN: usize = 10;
    const MAX: usize = 1024;
    let length = password.chars().count();
    if length < MIN {
        return Err(AppError::invalid(
            Field::Password,
            format!("Use at least {MIN} characters; a few words together make a good password."),
        ));
    }
    if password.len() > MAX {
        return Err(AppError::invalid(
            Field::Password,
            format!("A password has at most {MAX} bytes."),
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// Manages users, sees and manages every workspace.
    Admin,
    /// Their own workspaces and those shared with them.
    Member,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }
}

/// How the signed-in user stands towards a workspace; pages offer only what it allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Access {
    Owner,
    /// An admin looking at someone else's workspace.
    Admin,
    Editor,
    Viewer,
}

impl Access {
    /// Type in terminals, change files, start and stop.
    pub fn can_use(self) -> bool {
        self != Access::Viewer
    }

    /// Delete and share.
    pub fn can_manage(self) -> bool {
        matches!(self, Access::Owner | Access::Admin)
    }
}

/// What sharing a workspace with someone lets them do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShareRole {
    /// Sees files and terminals; cannot type, save, upload, delete or start and stop.
    Viewer,
    /// Full use except deleting and sharing.
    Editor,
}

impl ShareRole {
    pub fn label(self) -> &'static str {
        match self {
            ShareRole::Viewer => "viewer",
            ShareRole::Editor => "editor",
        }
    }
}

/// One person a workspace is shared with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Share {
    pub user: UserName,
    pub role: ShareRole,
}

/// The signed-in user, as pages show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub name: UserName,
    pub role: Role,
}

/// What an API token may do, of what its user may. A browser session may do everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Scope {
    /// See workspaces, files, runs and logs; change nothing.
    Read,
    /// Create, start, stop, delete, share and configure workspaces; open previews.
    Workspaces,
    /// Write, upload, move and delete files; clone repositories.
    Files,
    /// Open terminals and type in them.
    Terminals,
    /// AI and the agent: chat, code actions, agent runs, the MCP endpoint.
    Agent,
    /// Answer an agent's calls that wait for approval (never its own run's).
    Approvals,
    /// Everything the user may do, making tokens and managing the account included.
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 7] = [
        Self::Read,
        Self::Workspaces,
        Self::Files,
        Self::Terminals,
        Self::Agent,
        Self::Approvals,
        Self::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Workspaces => "workspaces",
            Self::Files => "files",
            Self::Terminals => "terminals",
            Self::Agent => "agent",
            Self::Approvals => "approvals",
            Self::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text.trim())
    }

    pub fn describe(self) -> &'static str {
        match self {
            Self::Read => "see workspaces, files, runs and logs",
            Self::Workspaces => "create, start, stop, share and configure workspaces",
            Self::Files => "change files",
            Self::Terminals => "use terminals",
            Self::Agent => "use AI and the agent, over MCP too",
            Self::Approvals => "answer the agent's approvals",
            Self::Admin => "everything, making tokens included",
        }
    }
}

/// What a request's credential may do of what its user may: all of it for a session; a
/// token's scopes, and the one workspace it is limited to, if any (by id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub scopes: Vec<Scope>,
    pub workspace: Option<String>,
}

impl Grant {
    /// Everything the user may do.
    pub fn full() -> Self {
        Self {
            scopes: vec![Scope::Admin],
            workspace: None,
        }
    }

    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(&Scope::Admin) || self.scopes.contains(&scope)
    }

    /// Whether a token with `scopes` asks for nothing more than this grant has.
    pub fn covers(&self, scopes: &[Scope]) -> bool {
        scopes.iter().all(|scope| self.allows(*scope))
    }
}

/// A personal API token as its owner sees it listed (the secret is shown once, at creation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    #[serde(default)]
    pub scopes: Vec<Scope>,
    /// Unix seconds; `None`: until revoked.
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// `owner/name` of the one workspace it is limited to.
    #[serde(default)]
    pub workspace: Option<String>,
}

/// What a new token may do and for how long.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenRequest {
    pub name: String,
    pub scopes: Vec<Scope>,
    /// Limited to this workspace (`owner/name`).
    #[serde(default)]
    pub workspace: Option<WorkspaceRef>,
    /// Days until it stops working; `None`: until revoked.
    #[serde(default)]
    pub expires_in_days: Option<u32>,
}

/// A token just created: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewToken {
    pub secret: String,
    pub token: ApiToken,
}

/// An SSH public key as its owner sees it listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SshKeyView {
    pub id: i64,
    pub name: String,
    /// `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, …
    pub algorithm: String,
    /// `SHA256:…`, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// How to reach workspaces over SSH from this server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SshAccess {
    /// The server's host key fingerprint (`SHA256:…`), for users to check on first connect.
    pub host_fingerprint: String,
    /// The host key itself (`ssh-ed25519 AAAA…`), for a `known_hosts` line.
    pub host_key: String,
    /// The host name clients connect to (the public URL's).
    pub host: String,
    /// The dedicated SSH port, when one is open (`--ssh-bind`).
    pub port: Option<u16>,
}

/// A user as the admin page lists them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserSummary {
    pub name: UserName,
    pub role: Role,
    pub disabled: bool,
    pub created_at: i64,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub at: i64,
    /// Who; `None` for a failed sign-in, whose claimed name is in `detail`.
    pub actor: Option<String>,
    pub action: String,
    /// `owner/name`.
    pub workspace: Option<String>,
    pub detail: Option<String>,
    pub address: Option<String>,
}

/// What the audit page narrows the log to; empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditFilter {
    pub actor: String,
    /// A prefix: `file` matches `file-write`, `file-delete`…
    pub action: String,
    /// Part of `owner/name`.
    pub workspace: String,
}

/// What the server knows of a request beyond its user: where it came from, and whether
/// it reached us over TLS (directly, or through a proxy that says so).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClientInfo {
    pub address: Option<std::net::IpAddr>,
    pub https: bool,
}

/// The secret of the session a request was signed in with (to end it at sign-out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSecret(pub String);

/// A new session: the `Set-Cookie` value that carries it, and who it is for.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedIn {
    pub cookie: String,
    pub user: CurrentUser,
}

/// How a request proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Session,
    /// The API token with this id.
    Token(i64),
    /// An SSH public key of the user's.
    SshKey,
}

/// The user a request acts for, decided once per request on the server.
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    pub id: i64,
    pub name: UserName,
    pub role: Role,
    pub via: Via,
    /// What the credential may do of what the user may.
    pub grant: Grant,
    /// Where the request came from, for the audit log.
    pub address: Option<std::net::IpAddr>,
}

impl Actor {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn user(&self) -> CurrentUser {
        CurrentUser {
            name: self.name.clone(),
            role: self.role,
        }
    }
}

/// Plain routes take the actor as an extractor. The authentication layer has put it in
/// the request already; without one the route refuses with 401.
#[cfg(feature = "ssr")]
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Actor {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Actor>()
            .cloned()
            .ok_or(AppError::Unauthenticated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_are_plain_labels() {
        assert_eq!(UserName::parse(" ada-2 ").unwrap().as_str(), "ada-2");
        for bad in ["", "Ada", "a.b", "a/b", "2ada", "ada-", &"a".repeat(33)] {
            let error = UserName::parse(bad).unwrap_err();
            assert_eq!(error.field(), Some(Field::UserName), "{bad}");
        }
    }

    #[test]
    fn workspace_refs_round_trip() {
        let r = WorkspaceRef::parse("ada/web-1").unwrap();
        assert_eq!(r.owner.as_str(), "ada");
        assert_eq!(r.name.as_str(), "web-1");
        assert_eq!(r.to_string(), "ada/web-1");
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<WorkspaceRef>(&json).unwrap(), r);
        for bad in ["web-1", "ada/", "/web", "ada/web/x", "Ada/web", "ada/../x"] {
            assert!(WorkspaceRef::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scopes_read_back_and_admin_covers_them_all() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
        }
        assert_eq!(Scope::parse("root"), None);
        let full = Grant::full();
        assert!(Scope::ALL.iter().all(|s| full.allows(*s)));
        let agent = Grant {
            scopes: vec![Scope::Agent],
            workspace: Some("w1".into()),
        };
        assert!(agent.allows(Scope::Agent) && !agent.allows(Scope::Approvals));
        assert!(agent.covers(&[Scope::Agent]) && !agent.covers(&[Scope::Agent, Scope::Files]));
        assert!(full.covers(&Scope::ALL));
    }

    #[test]
    fn passwords_need_some_length() {
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("correct horse").is_ok());
        assert!(check_new_password(&"x".repeat(2000)).is_err());
        // Characters, not bytes, count towards the minimum.
        assert!(check_new_password("ééééééééé").is_err());
    }
}
