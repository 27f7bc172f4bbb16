//! Which scope a request needs when an API token makes it: one table for every route, read
//! by the authentication layer. A route missing here is refused to every token, and the
//! route-table test fails until it is added.

use app::auth::{Grant, Scope};
use app::error::AppError;
use axum::http::Method;

/// Server functions that only read, by path.
const READING: &[&str] = &[
    "/api/workspaces/list",
    "/api/workspaces/describe",
    "/api/workspaces/shares",
    "/api/workspaces/images",
    "/api/workspaces/limits",
    "/api/workspaces/network-bounds",
    "/api/workspaces/network",
    "/api/workspaces/creation",
    "/api/workspaces/creations",
    "/api/files/list",
    "/api/files/read",
    "/api/previews/ports",
    "/api/previews/links",
    "/api/templates/list",
    "/api/templates/repository",
    "/api/ai/providers",
    "/api/ai/conversations",
    "/api/ai/conversation",
    "/api/agent/runs",
    "/api/agent/run",
    "/api/agent/policy",
    "/api/auth/me",
    "/api/auth/tokens",
    "/api/auth/audit",
    "/api/auth/sign-out",
    "/api/ssh/keys",
    "/api/ssh/access",
];

/// Server functions that only an admin token (or a browser) may call, whoever the user.
const ADMINISTERING: &[&str] = &[
    "/api/auth/password",
    "/api/auth/create-token",
    "/api/auth/revoke-token",
    "/api/ssh/add-key",
    "/api/ssh/remove-key",
    "/api/auth/users",
    "/api/auth/create-user",
    "/api/auth/disable-user",
    "/api/auth/reset-password",
    "/api/auth/set-role",
    "/api/ai/set-default",
    "/api/templates/add",
    "/api/templates/remove",
];

/// The scope `method path` needs, or `None` for a route not in the table.
pub fn required(method: &Method, path: &str) -> Option<Scope> {
    if READING.contains(&path) {
        return Some(Scope::Read);
    }
    if ADMINISTERING.contains(&path) || path == app::wire::METRICS {
        return Some(Scope::Admin);
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    Some(match segments.as_slice() {
        ["api", "health" | "events" | "usage"] => Scope::Read,
        // Following a build's log; starting one is a POST to the same path.
        ["api", "templates", "build"] if method == Method::GET => Scope::Read,
        ["api", "workspaces", "creations", _, "events"] => Scope::Read,
        ["api", "workspaces", _] | ["api", "previews", _] | ["api", "templates", _] => {
            Scope::Workspaces
        }
        ["api", "files", "download" | "export"] => Scope::Read,
        ["api", "files", _] => Scope::Files,
        ["api", "agent", "decide"] => Scope::Approvals,
        ["api", "agent", _, _, _, "events" | "transcript"] => Scope::Read,
        ["api", "agent", _] | ["api", "ai", _] | ["mcp", _, _] => Scope::Agent,
        ["ws", "terminal", _, _, _] | ["api", "ssh", "tunnel"] => Scope::Terminals,
        // A port opened as a preview: what its server does, the token may make it do.
        ["workspaces", _, _, "ports", ..] => Scope::Workspaces,
        // Pages, for a token: reading.
        _ if (method == Method::GET || method == Method::HEAD) && !path.starts_with("/api/") => {
            Scope::Read
        }
        _ => return None,
    })
}

/// `Ok` when a credential with `grant` may make this request.
pub fn check(grant: &Grant, method: &Method, path: &str) -> Result<(), AppError> {
    match required(method, path) {
        Some(scope) if grant.allows(scope) => Ok(()),
        Some(scope) => Err(AppError::Forbidden(format!(
            "This token may not {}: it lacks the “{}” scope.",
            scope.describe(),
            scope.as_str()
        ))),
        None => Err(AppError::Forbidden(
            "No token may use this route.".to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(scopes: &[Scope]) -> Grant {
        Grant {
            scopes: scopes.to_vec(),
            workspace: None,
        }
    }

    #[test]
    fn each_kind_of_route_needs_its_scope() {
        let post = Method::POST;
        let cases = [
            ("/api/workspaces/list", Scope::Read),
            ("/api/workspaces/create", Scope::Workspaces),
            ("/api/workspaces/set-network", Scope::Workspaces),
            ("/api/files/read", Scope::Read),
            ("/api/files/write", Scope::Files),
            ("/api/agent/start", Scope::Agent),
            ("/api/agent/decide", Scope::Approvals),
            ("/api/ai/chat", Scope::Agent),
            ("/api/auth/create-token", Scope::Admin),
            ("/mcp/ada/web", Scope::Agent),
        ];
        for (path, scope) in cases {
            assert_eq!(required(&post, path), Some(scope), "{path}");
        }
        assert_eq!(
            required(&Method::GET, "/ws/terminal/ada/web/main"),
            Some(Scope::Terminals)
        );
        assert_eq!(
            required(&Method::GET, "/api/agent/ada/web/r1/transcript"),
            Some(Scope::Read)
        );
        assert_eq!(
            required(&Method::GET, "/workspaces/ada/web"),
            Some(Scope::Read)
        );
        assert_eq!(required(&post, "/api/nothing/here/at/all"), None);
    }

    #[test]
    fn a_token_does_what_its_scopes_say_and_admin_all() {
        let mcp = grant(&[Scope::Agent]);
        assert!(check(&mcp, &Method::POST, "/mcp/ada/web").is_ok());
        let refused = check(&mcp, &Method::POST, "/api/agent/decide").unwrap_err();
        assert!(refused.to_string().contains("approvals"), "{refused}");
        assert!(check(&mcp, &Method::POST, "/api/files/write").is_err());
        assert!(check(&mcp, &Method::POST, "/api/auth/create-token").is_err());
        let admin = grant(&[Scope::Admin]);
        assert!(check(&admin, &Method::POST, "/api/agent/decide").is_ok());
        assert!(check(&admin, &Method::POST, "/api/unknown/route/x").is_err());
    }
}
