//! The plain routes beside the Leptos pages and server functions, in one table: the router
//! is built from it and the route-table test walks it, so no plain route escapes that test.

use axum::http::Method;
use axum::routing::{any, get, post, put, MethodRouter};

use crate::state::AppState;
use crate::{ai, files, preview, routes, templates, terminal, usage};

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
            handler: get(routes::events),
        },
        PlainRoute {
            path: app::model::USAGE_PATH,
            methods: &[Method::GET],
            handler: get(usage::stream),
        },
        PlainRoute {
            path: app::model::TEMPLATE_BUILD_PATH,
            methods: &[Method::GET],
            handler: get(templates::routes::follow),
        },
        PlainRoute {
            path: crate::metrics::PATH,
            methods: &[Method::GET],
            handler: get(crate::metrics::serve),
        },
        PlainRoute {
            path: "/api/health",
            methods: &[Method::GET],
            handler: get(routes::health),
        },
        PlainRoute {
            path: "/api/files/download",
            methods: &[Method::GET],
            handler: get(files::routes::download),
        },
        PlainRoute {
            path: "/api/files/upload",
            methods: &[Method::PUT],
            handler: put(files::routes::upload),
        },
        PlainRoute {
            path: "/api/files/export",
            methods: &[Method::GET],
            handler: get(files::routes::export),
        },
        PlainRoute {
            path: "/api/files/unpack",
            methods: &[Method::PUT],
            handler: put(files::routes::unpack),
        },
        PlainRoute {
            path: app::ai::CHAT_PATH,
            methods: &[Method::POST],
            handler: post(ai::routes::chat),
        },
        PlainRoute {
            path: "/api/agent/{owner}/{workspace}/{run}/events",
            methods: &[Method::GET],
            handler: get(ai::agent::routes::events),
        },
        PlainRoute {
            path: "/api/agent/{owner}/{workspace}/{run}/transcript",
            methods: &[Method::GET],
            handler: get(ai::agent::routes::transcript),
        },
        PlainRoute {
            path: ai::agent::mcp::PATH,
            methods: &[Method::GET, Method::POST, Method::DELETE],
            handler: get(ai::agent::mcp::serve)
                .post(ai::agent::mcp::serve)
                .delete(ai::agent::mcp::serve),
        },
        PlainRoute {
            // `{port}` and what follows it, if anything.
            path: "/workspaces/{owner}/{name}/ports/{*port}",
            methods: &[Method::GET],
            handler: get(preview::routes::open),
        },
        PlainRoute {
            // `{grant}` and what follows it, if anything.
            path: "/previews/{*grant}",
            methods: ANY_METHOD,
            handler: any(preview::routes::serve),
        },
        PlainRoute {
            path: "/ws/terminal/{owner}/{workspace}/{terminal}",
            methods: &[Method::GET, Method::DELETE],
            handler: get(terminal::websocket::terminal).delete(terminal::websocket::close),
        },
    ]
}
