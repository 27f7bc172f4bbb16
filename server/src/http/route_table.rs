//! The plain routes beside the Leptos pages and server functions, in one table: the router
//! is built from it and the route-table test walks it, so no plain route escapes that test.

use axum::http::Method;
use axum::routing::{any, get, post, put, MethodRouter};

use super::state::AppState;
use super::{agent, ai, events, files, health, mcp, metrics, preview, templates, terminal, usage};

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
            path: app::components::live_updates::EVENTS_PATH,
            methods: &[Method::GET],
            handler: get(events::events),
        },
        PlainRoute {
            path: app::model::USAGE_PATH,
            methods: &[Method::GET],
            handler: get(usage::stream),
        },
        PlainRoute {
            path: app::model::TEMPLATE_BUILD_PATH,
            methods: &[Method::GET],
            handler: get(templates::follow),
        },
        PlainRoute {
            path: metrics::PATH,
            methods: &[Method::GET],
            handler: get(metrics::serve),
        },
        PlainRoute {
            path: "/api/health",
            methods: &[Method::GET],
            handler: get(health::health),
        },
        PlainRoute {
            path: "/api/files/download",
            methods: &[Method::GET],
            handler: get(files::download),
        },
        PlainRoute {
            path: "/api/files/upload",
            methods: &[Method::PUT],
            handler: put(files::upload),
        },
        PlainRoute {
            path: "/api/files/export",
            methods: &[Method::GET],
            handler: get(files::export),
        },
        PlainRoute {
            path: "/api/files/unpack",
            methods: &[Method::PUT],
            handler: put(files::unpack),
        },
        PlainRoute {
            path: app::ai::CHAT_PATH,
            methods: &[Method::POST],
            handler: post(ai::chat),
        },
        PlainRoute {
            path: "/api/agent/{owner}/{workspace}/{run}/events",
            methods: &[Method::GET],
            handler: get(agent::events),
        },
        PlainRoute {
            path: "/api/agent/{owner}/{workspace}/{run}/transcript",
            methods: &[Method::GET],
            handler: get(agent::transcript),
        },
        PlainRoute {
            path: mcp::PATH,
            methods: &[Method::GET, Method::POST, Method::DELETE],
            handler: get(mcp::serve).post(mcp::serve).delete(mcp::serve),
        },
        PlainRoute {
            // `{port}` and what follows it, if anything.
            path: "/workspaces/{owner}/{name}/ports/{*port}",
            methods: &[Method::GET],
            handler: get(preview::open),
        },
        PlainRoute {
            // `{grant}` and what follows it, if anything.
            path: "/previews/{*grant}",
            methods: ANY_METHOD,
            handler: any(preview::serve),
        },
        PlainRoute {
            path: "/ws/terminal/{owner}/{workspace}/{terminal}",
            methods: &[Method::GET, Method::DELETE],
            handler: get(terminal::terminal).delete(terminal::close),
        },
    ]
}
