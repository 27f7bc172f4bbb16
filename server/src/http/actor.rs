//! The authentication layer every request passes after the Host/Origin guard: it decides
//! once who the request acts for and puts that [`Actor`] on the request (server functions,
//! pages and plain routes all read it from there). A request nobody signed in for reaches
//! only the public routes below; pages redirect to the sign-in page, everything else gets
//! 401. New routes are therefore closed unless added here on purpose, and the route-table
//! test walks every route the router serves to prove it.

use std::net::SocketAddr;
use std::sync::Arc;

use app::auth::{ClientInfo, Via};
use app::components::navigation::encode;
use app::error::AppError;
use app::service::AuthService;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, Method, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::origin::changes_state;
use crate::auth::service::AuthManager;

/// Routes that answer without a signed-in user.
pub const PUBLIC_PATHS: [&str; 6] = [
    "/sign-in",
    "/setup",
    "/api/auth/sign-in",
    "/api/auth/set-up",
    app::wire::HEALTH,
    "/favicon.svg",
];
/// The built site's scripts, styles and WASM (the sign-in page needs them too), and the
/// previews, which their grant authorises instead of a session (see `preview`).
pub const PUBLIC_PREFIXES: [&str; 3] = ["/pkg/", "/ide/", app::wire::PREVIEW_PREFIX];

pub fn is_public(path: &str) -> bool {
    let dotted = path.split('/').any(|s| s == ".." || s == ".");
    !dotted && (PUBLIC_PATHS.contains(&path) || PUBLIC_PREFIXES.iter().any(|p| path.starts_with(p)))
}

/// Shared by the middleware and the server's TLS setting.
#[derive(Clone)]
pub struct Authenticator {
    pub auth: Arc<AuthManager>,
    /// Served over TLS directly.
    pub tls: bool,
}

pub async fn authenticate(
    State(authenticator): State<Authenticator>,
    mut request: Request,
    next: Next,
) -> Response {
    let client = ClientInfo {
        address: request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip()),
        https: authenticator.tls || forwarded_https(request.headers()),
    };
    // A cookie alone never authorises a change: browsers send an Origin with every
    // state-changing request (checked by the guard), scripts must use a token.
    let cookie_allowed = !changes_state(request.method(), request.headers())
        || request.headers().contains_key(header::ORIGIN);
    let found = authenticator
        .auth
        .authenticate(request.headers(), cookie_allowed, client)
        .await;
    request.extensions_mut().insert(client);
    match found {
        Ok(Some(found)) => {
            // A token does what its scopes say; a session, all its user may. What anyone
            // may reach needs no scope.
            let (method, path) = (request.method(), request.uri().path());
            if matches!(found.actor.via, Via::Token(_)) && !is_public(path) {
                if let Err(refused) = super::scopes::check(&found.actor.grant, method, path) {
                    return refused.into_response();
                }
            }
            request.extensions_mut().insert(found.actor);
            request.extensions_mut().insert(found.credential);
            if let Some(session) = found.session {
                request.extensions_mut().insert(session);
            }
            next.run(request).await
        }
        Ok(None) if is_public(request.uri().path()) => next.run(request).await,
        Ok(None) => {
            let (method, uri) = (request.method().clone(), request.uri().clone());
            refuse(&authenticator.auth, &method, &uri).await
        }
        Err(e) => e.into_response(),
    }
}

/// `X-Forwarded-Proto: https` from a reverse proxy that terminated TLS. Trusting it can
/// only make cookies stricter (`Secure`), never looser.
fn forwarded_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// Pages send people to sign in (or to set-up on a new server) and back; the rest is 401.
async fn refuse(auth: &AuthManager, method: &Method, uri: &Uri) -> Response {
    let path = uri.path();
    let for_programs = path == app::wire::METRICS
        || ["/api/", "/ws/", "/mcp/"]
            .iter()
            .any(|p| path.starts_with(p));
    let is_page = method == Method::GET && !for_programs;
    if !is_page {
        return AppError::Unauthenticated.into_response();
    }
    if auth.needs_setup().await.unwrap_or(false) {
        return Redirect::to("/setup").into_response();
    }
    let wanted = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    Redirect::to(&format!("/sign-in?next={}", encode(wanted))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sign_in_set_up_health_and_assets_are_public() {
        for path in [
            "/sign-in",
            "/api/auth/sign-in",
            "/pkg/aicockpit.wasm",
            "/ide/ide.js",
            "/previews/abc/",
        ] {
            assert!(is_public(path), "{path}");
        }
        for path in [
            "/",
            "/workspaces/ada/web",
            "/api/workspaces/list",
            "/api/auth/me",
            "/ws/terminal/ada/web/main",
            "/api/events",
            "/sign-in/../api/workspaces/list",
            "/pkg/../api/workspaces/list",
            "/pkg",
        ] {
            assert!(!is_public(path), "{path}");
        }
    }

    #[test]
    fn the_return_path_is_encoded() {
        assert_eq!(
            encode("/workspaces/a/b?x=1&y"),
            "/workspaces/a/b%3Fx%3D1%26y"
        );
    }
}
