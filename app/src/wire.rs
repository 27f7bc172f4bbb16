//! The plain routes the browser and the server both name, in axum's path syntax: the
//! server's route table is built from these patterns and the browser fills them in for its
//! requests, so the two cannot drift apart. The terminal's messages are in `terminal`, the
//! live events' in `components::live_updates`.

use crate::auth::WorkspaceRef;

/// Server-sent events: a workspace changed, files changed.
pub const EVENTS: &str = "/api/events";
/// Server-sent live resource use of the workspaces a page shows.
pub const USAGE: &str = "/api/usage";
/// Server-sent events of a template's image build (`?template=<id>`).
pub const TEMPLATE_BUILD: &str = "/api/templates/build";
/// A workspace's creation as server-sent events (`view`, `line`), and an archive sent
/// ahead of a creation that starts with it.
pub const CREATION_EVENTS: &str = "/api/workspaces/creations/{creation}/events";
pub const CREATION_UPLOADS: &str = "/api/workspaces/uploads";
/// An AI chat answer, streamed as JSON lines.
pub const CHAT: &str = "/api/ai/chat";
/// Whether the container engine answers.
pub const HEALTH: &str = "/api/health";
/// A file of a workspace (`?workspace=&path=`), down and up, and its whole tree as an
/// archive, out and in.
pub const FILES_DOWNLOAD: &str = "/api/files/download";
pub const FILES_UPLOAD: &str = "/api/files/upload";
pub const FILES_EXPORT: &str = "/api/files/export";
pub const FILES_UNPACK: &str = "/api/files/unpack";
/// An agent run's live events, and its whole transcript.
pub const AGENT_EVENTS: &str = "/api/agent/{owner}/{workspace}/{run}/events";
pub const AGENT_TRANSCRIPT: &str = "/api/agent/{owner}/{workspace}/{run}/transcript";
/// A workspace as an MCP server, for outside agents.
pub const MCP: &str = "/mcp/{owner}/{workspace}";
/// One terminal of a workspace (a WebSocket; `DELETE` ends it).
pub const TERMINAL: &str = "/ws/terminal/{owner}/{workspace}/{terminal}";
/// A port of a workspace opened by a signed-in user, and what follows it.
pub const PORTS: &str = "/workspaces/{owner}/{name}/ports/{*port}";
/// Previews, each under a grant of its own, and what follows it.
pub const PREVIEWS: &str = "/previews/{*grant}";
/// What every preview's path begins with.
pub const PREVIEW_PREFIX: &str = "/previews/";
/// Prometheus metrics, for admins.
pub const METRICS: &str = "/metrics";
/// SSH into workspaces over a WebSocket on the site's own origin, for `aicockpit proxy`.
pub const SSH_TUNNEL: &str = "/api/ssh/tunnel";

/// `pattern` with its `{owner}` and `{workspace}` (or `{name}`) naming `workspace`, and each
/// other `{key}` (or `{*key}`) replaced by its value in `rest`.
pub fn fill(pattern: &str, workspace: &WorkspaceRef, rest: &[(&str, &str)]) -> String {
    let owner = workspace.owner.to_string();
    let name = workspace.name.to_string();
    let values = [
        ("owner", owner.as_str()),
        ("workspace", &name),
        ("name", &name),
    ];
    let mut filled = pattern.to_owned();
    for (key, value) in values.iter().chain(rest) {
        filled = filled
            .replace(&format!("{{{key}}}"), value)
            .replace(&format!("{{*{key}}}"), value);
    }
    filled
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_filled_for_a_workspace() {
        let web = WorkspaceRef::parse("ada/web").unwrap();
        assert_eq!(
            fill(TERMINAL, &web, &[("terminal", "main")]),
            "/ws/terminal/ada/web/main"
        );
        assert_eq!(
            fill(PORTS, &web, &[("port", "8000/")]),
            "/workspaces/ada/web/ports/8000/"
        );
        assert_eq!(fill(MCP, &web, &[]), "/mcp/ada/web");
        assert!(PREVIEWS.starts_with(PREVIEW_PREFIX));
    }
}
