//! The plain routes beside the Leptos pages and server functions, in one table: the router
//! is built from it and the route-table test walks it, so no plain route escapes that test.

use app::wire;
use axum::http::Method;
use axum::routing::{any, get, post, put, MethodRouter};

use super::state::AppState;
use super::{
    agent, ai, creations, events, files, health, mcp, metrics, preview, ssh_tunnel, templates,
    terminal, usage,
};

/// What a preview may be asked: whatever its server answers.
pub const ANY_METHOD: &[Method] = &[
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
    Method::OPTIONS,
];

/// A route beside the Leptos pages and server functions. The router is built from this
/// table and the route-table test walks it, so no plain route escapes that test.
pub struct PlainRoute {
    pub path: &'static str,
    pub methods: &'static [Method],
    pub(crate) handler: MethodRouter<AppState>,
}

pub fn plain_routes() -> Vec<PlainRoute> {
    vec![
        PlainRoute {
            path: wire::EVENTS,
            methods: &[Method::GET],
            handler: get(events::events),
        },
        PlainRoute {
            path: wire::USAGE,
            methods: &[Method::GET],
            handler: get(usage::stream),
        },
        PlainRoute {
            path: wire::TEMPLATE_BUILD,
            methods: &[Method::GET],
            handler: get(templates::follow),
        },
        PlainRoute {
            path: wire::SSH_TUNNEL,
            methods: &[Method::GET],
            handler: get(ssh_tunnel::tunnel),
        },
        PlainRoute {
            path: wire::METRICS,
            methods: &[Method::GET],
            handler: get(metrics::serve),
        },
        PlainRoute {
            path: wire::HEALTH,
            methods: &[Method::GET],
            handler: get(health::health),
        },
        PlainRoute {
            path: wire::FILES_DOWNLOAD,
            methods: &[Method::GET],
            handler: get(files::download),
        },
        PlainRoute {
            path: wire::FILES_UPLOAD,
            methods: &[Method::PUT],
            handler: put(files::upload),
        },
        PlainRoute {
            path: wire::FILES_EXPORT,
            methods: &[Method::GET],
            handler: get(files::export),
        },
        PlainRoute {
            path: wire::FILES_UNPACK,
            methods: &[Method::PUT],
            handler: put(files::unpack),
        },
        PlainRoute {
            path: wire::CREATION_EVENTS,
            methods: &[Method::GET],
            handler: get(creations::follow),
        },
        PlainRoute {
            path: wire::CREATION_UPLOADS,
            methods: &[Method::PUT],
            handler: put(creations::upload),
        },
        PlainRoute {
            path: wire::CHAT,
            methods: &[Method::POST],
            handler: post(ai::chat),
        },
        PlainRoute {
            path: wire::AGENT_EVENTS,
            methods: &[Method::GET],
            handler: get(agent::events),
        },
        PlainRoute {
            path: wire::AGENT_TRANSCRIPT,
            methods: &[Method::GET],
            handler: get(agent::transcript),
        },
        PlainRoute {
            path: wire::MCP,
            methods: &[Method::GET, Method::POST, Method::DELETE],
            handler: get(mcp::serve).post(mcp::serve).delete(mcp::serve),
        },
        PlainRoute {
            path: wire::PORTS,
            methods: &[Method::GET],
            handler: get(preview::open),
        },
        PlainRoute {
            path: wire::PREVIEWS,
            methods: ANY_METHOD,
            handler: any(preview::serve),
        },
        PlainRoute {
            path: wire::TERMINAL,
            methods: &[Method::GET, Method::DELETE],
            handler: get(terminal::terminal).delete(terminal::close),
        },
    ]
}
