//! The HTTP edge: the shared state, the route table, every handler and middleware, and the
//! router that puts them together. The only module that names `AppState`; below it the
//! services know no route, handler or extractor (the proxies that speak HTTP to a
//! workspace's servers use its message types, nothing more). A test below holds this.
//!
//! Outside in, a request meets: request ids and tracing, the preview-host switch (a preview
//! host is another site), timing, security headers, the Host/Origin guard (`origin`), the
//! authentication layer (`actor`, with `scopes` for tokens), then a Leptos page, a server
//! function or a route of `route_table`.

pub mod actor;
pub mod agent;
pub mod ai;
pub mod creations;
pub mod errors;
pub mod events;
pub mod files;
pub mod headers;
pub mod health;
pub mod mcp;
pub mod metrics;
pub mod origin;
pub mod preview;
pub mod request_id;
pub mod route_table;
pub mod scopes;
pub mod sse;
pub mod ssh_tunnel;
pub mod state;
pub mod templates;
pub mod terminal;
pub mod usage;
pub mod workspace;

use app::service::{
    SharedAgentService, SharedAiService, SharedAuthService, SharedCreationService,
    SharedFileService, SharedPreviewService, SharedSshService, SharedTemplateService,
};
use app::{shell, App};
use axum::http::{Extensions, HeaderMap, StatusCode, Version};
use axum::middleware;
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use actor::Authenticator;
use origin::SiteOrigins;
use preview::proxy::PassedThrough;
use state::AppState;

/// The pages the router serves, in axum's path syntax (`/workspaces/{owner}/{name}`).
pub fn page_paths() -> Vec<String> {
    generate_route_list(App)
        .iter()
        .map(|route| route.path().to_owned())
        .collect()
}

pub fn router(state: AppState, origins: SiteOrigins, authenticator: Authenticator) -> Router {
    let transport = headers::Transport {
        https: authenticator.tls || origins.public_is_https(),
    };
    let routes = generate_route_list(App);
    let workspaces = state.workspaces.clone();
    let creations = state.creations.clone() as SharedCreationService;
    let files = state.files.clone() as SharedFileService;
    let auth = state.auth.clone() as SharedAuthService;
    let ai = state.ai.clone() as SharedAiService;
    let agents = state.agents.clone() as SharedAgentService;
    let previews_for_hosts = state.previews.clone();
    let previews = state.previews.clone() as SharedPreviewService;
    let templates = state.templates.clone() as SharedTemplateService;
    let ssh = state.ssh_keys.clone() as SharedSshService;
    let context = move || {
        provide_context(workspaces.clone());
        provide_context(creations.clone());
        provide_context(files.clone());
        provide_context(auth.clone());
        provide_context(ai.clone());
        provide_context(agents.clone());
        provide_context(previews.clone());
        provide_context(templates.clone());
        provide_context(ssh.clone());
        headers::provide_page_policy();
    };
    let options = state.leptos_options.clone();
    let plain = crate::http::route_table::plain_routes()
        .into_iter()
        .fold(Router::new(), |router, route| {
            router.route(route.path, route.handler)
        });
    plain
        .leptos_routes_with_context(&state, routes, context.clone(), move || {
            shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        // Inside compression, so that it reads a failed server function's error as written.
        .layer(middleware::from_fn(errors::server_fn_status))
        .layer(compression())
        // Outermost first: security headers on every answer, refusals included; then
        // foreign hosts and origins refused before anything runs; then who is asking.
        .layer(middleware::from_fn_with_state(
            authenticator,
            actor::authenticate,
        ))
        .layer(middleware::from_fn_with_state(origins, origin::guard))
        .layer(middleware::from_fn_with_state(
            transport,
            headers::security_headers,
        ))
        // Outermost: refusals are timed too, and every log line of a request names it.
        .layer(middleware::from_fn(metrics::track_requests))
        // A preview host is another site: none of the above is for it.
        .layer(middleware::from_fn_with_state(
            previews_for_hosts,
            preview::host::route,
        ))
        // Handlers log their own failures, with what went wrong.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_id::span)
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(middleware::from_fn(request_id::drop_unusual))
        .with_state(state)
}

/// Gzip for pages, scripts, styles, WASM and JSON (the IDE's bundle shrinks to a third);
/// never for event streams, AI answers, images, or file downloads, which stream as they are.
fn compression() -> CompressionLayer<impl Predicate> {
    let predicate = DefaultPredicate::new()
        .and(NotForContentType::const_new("application/octet-stream"))
        .and(NotForContentType::const_new("application/x-tar"))
        // AI answers stream line by line; gzip would hold them back.
        .and(NotForContentType::const_new("application/x-ndjson"))
        .and(
            |_: StatusCode, _: Version, _: &HeaderMap, extensions: &Extensions| {
                extensions.get::<PassedThrough>().is_none()
            },
        );
    CompressionLayer::new().compress_when(predicate)
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    /// Every Rust file under `dir`.
    fn sources(dir: &Path) -> Vec<PathBuf> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir).expect("the source folder reads") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                found.extend(sources(&path));
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
        found
    }

    /// Below the edge nothing knows of it: the services name neither the state nor a handler.
    #[test]
    fn only_the_edge_and_the_wiring_know_the_http_layer() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let above = [root.join("http"), root.join("startup"), root.join("lib.rs")];
        let mut reaching_up = Vec::new();
        for file in sources(&root) {
            if above.iter().any(|a| file.starts_with(a)) {
                continue;
            }
            let text = std::fs::read_to_string(&file).expect("a source file reads");
            if text.contains("crate::http") || text.contains("AppState") {
                reaching_up.push(
                    file.strip_prefix(&root)
                        .unwrap_or(&file)
                        .display()
                        .to_string(),
                );
            }
        }
        assert!(
            reaching_up.is_empty(),
            "these reach up into http: {reaching_up:?}"
        );
    }
}
