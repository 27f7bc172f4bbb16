//! Previews on a wildcard domain, for apps that assume they live at `/`: with
//! `--preview-domain D`, port 8000 of ada's `web` is also `8000--web--ada.D`. That is an
//! origin of its own, so the app runs unsandboxed with its own cookies, and none of
//! AiCockpit's routes answer there. The browser arrives with a grant in the address
//! ([`GRANT_PATH`]), which becomes a cookie for that host alone (`SameSite=Strict`); every
//! request is then checked against the grant in its cookie, as on the path form. Preview
//! hosts share a site with each other (and often with AiCockpit), so the cookie's SameSite
//! does not keep one member's preview page from calling another's: the Origin check does,
//! for WebSockets and every request that changes something.

use std::sync::Arc;

use app::auth::WorkspaceRef;
use app::error::AppError;
use std::collections::HashMap;

use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::pass_on;
use super::proxy::Mode;
use crate::auth::cookie;
use crate::http::errors::page;
use crate::http::origin::{changes_state, named_host, split_host, SiteOrigins};
use crate::preview::{Previews, Refusal, Target};

/// Where a preview host takes the grant it is opened with.
pub const GRANT_PATH: &str = "/__aicockpit/grant";
/// The cookie holding a preview host's grant.
pub const COOKIE: &str = "aicockpit_preview";

/// The host label of a workspace's port: `<port>--<name>--<owner>`, when that fits in a
/// DNS label (63 characters).
pub fn label(workspace: &WorkspaceRef, port: u16) -> Option<String> {
    let label = format!("{port}--{}--{}", workspace.name, workspace.owner);
    (label.len() <= 63).then_some(label)
}

/// Where a signed-in user's browser goes to open a port on its own host: the grant
/// exchange there, then `next`.
pub fn grant_url(
    workspace: &WorkspaceRef,
    port: u16,
    domain: &str,
    https: bool,
    host_port: Option<u16>,
    grant: &str,
    next: &str,
) -> Option<String> {
    let scheme = if https { "https" } else { "http" };
    let port_part = host_port.map(|p| format!(":{p}")).unwrap_or_default();
    let next = app::components::navigation::encode(next);
    Some(format!(
        "{scheme}://{}.{domain}{port_part}{GRANT_PATH}?grant={grant}&next={next}",
        label(workspace, port)?
    ))
}

/// The port and `<name>--<owner>` a preview host's name carries.
fn parse(host: &str, domain: &str) -> Option<(u16, String)> {
    let (name, _) = split_host(host)?;
    let label = name
        .strip_suffix(&format!(".{}", domain.to_ascii_lowercase()))?
        .to_owned();
    let (port, rest) = label.split_once("--")?;
    if label.contains('.') || !port.bytes().all(|b| b.is_ascii_digit()) || rest.is_empty() {
        return None;
    }
    Some((port.parse().ok()?, rest.to_owned()))
}

/// Whether a grant's target is the one the host names.
fn names(target: &Target, port: u16, rest: &str) -> bool {
    target.port == port && format!("{}--{}", target.workspace.name, target.workspace.owner) == rest
}

/// Middleware, outside everything else: a request to a preview host is answered here and
/// never reaches AiCockpit's own routes; any other passes on.
pub async fn route(
    State(previews): State<Arc<Previews>>,
    request: Request,
    next: Next,
) -> Response {
    let named = previews
        .settings()
        .domain
        .as_deref()
        .and_then(|domain| parse(named_host(request.headers(), request.uri()), domain));
    match named {
        Some((port, rest)) => serve(&previews, port, &rest, request).await,
        None => next.run(request).await,
    }
}

/// The `Origin` of a request that acts (a WebSocket, a change) when it is not this
/// preview host's own: another site's, another preview's, or an opaque one.
fn foreign_origin(request: &Request) -> Option<String> {
    if !changes_state(request.method(), request.headers()) {
        return None;
    }
    let origin = request.headers().get(header::ORIGIN)?;
    let origin = origin.to_str().unwrap_or("(unreadable)");
    let host = named_host(request.headers(), request.uri());
    (!SiteOrigins::default().origin_allowed(origin, host)).then(|| origin.to_owned())
}

/// Takes the grant, sets it as this host's cookie, and goes on to `next` from a page of
/// this host: a `SameSite=Strict` cookie is not sent on a redirect that began on another
/// site (AiCockpit's), but is on a navigation this host's own page starts.
fn grant_answer(grant: &str, next: &str, https: bool) -> Response {
    let next = app::components::navigation::local_path(next);
    let secure = if https { "; Secure" } else { "" };
    let cookie = format!("{COOKIE}={grant}; Path=/; HttpOnly; SameSite=Strict{secure}");
    let escaped = next
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let page = format!(
        "<!doctype html><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0;url={escaped}\"><title>Opening the preview</title><a href=\"{escaped}\">Open the preview</a>\n"
    );
    let mut response = (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        page,
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

async fn serve(previews: &Arc<Previews>, port: u16, rest: &str, request: Request) -> Response {
    if let Some(origin) = foreign_origin(&request) {
        return page(&AppError::Forbidden(format!(
            "A page from {origin} may not act on this preview."
        )));
    }
    if request.uri().path() == GRANT_PATH {
        let query: HashMap<String, String> = Query::try_from_uri(request.uri())
            .map(|q| q.0)
            .unwrap_or_default();
        let grant = query.get("grant").cloned().unwrap_or_default();
        return match previews.target(&grant).await {
            Ok(target) if names(&target, port, rest) => {
                let next = query.get("next").map_or("/", String::as_str);
                grant_answer(&grant, next, previews.settings().https)
            }
            Ok(_) => Refusal::Withdrawn.into_response(),
            Err(refusal) => refusal.into_response(),
        };
    }
    // The first grant among the cookies that holds for this host (another preview could
    // have planted one for its own).
    let mut refusal = None;
    for grant in grants(request.headers()) {
        match previews.target(&grant).await {
            Ok(target) if names(&target, port, rest) => {
                let path = request
                    .uri()
                    .path_and_query()
                    .map_or("/".to_owned(), |p| p.as_str().to_owned());
                return pass_on(previews, request, &target, &path, Mode::Host, &grant).await;
            }
            Ok(_) => {}
            Err(r) => refusal = Some(r),
        }
    }
    match refusal {
        Some(Refusal::Grant(crate::preview::grant::GrantError::Expired))
        | Some(Refusal::NotRunning(_)) => {
            refusal.map(IntoResponse::into_response).unwrap_or_default()
        }
        _ => page(&AppError::NoPreview),
    }
}

/// The preview grants among the request's cookies.
fn grants(headers: &HeaderMap) -> Vec<String> {
    cookie::values(headers, COOKIE).map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_of_a_workspace_has_a_host_of_its_own() {
        let web = WorkspaceRef::parse("ada/web").unwrap();
        assert_eq!(label(&web, 8000).as_deref(), Some("8000--web--ada"));
        let long = WorkspaceRef::parse(&format!("ada/{}", "a".repeat(60))).unwrap();
        assert_eq!(label(&long, 8000), None);
        assert_eq!(
            grant_url(
                &web,
                8000,
                "localhost",
                false,
                Some(3000),
                "g.s",
                "/a b?x=1"
            )
            .unwrap(),
            "http://8000--web--ada.localhost:3000/__aicockpit/grant?grant=g.s&next=/a%20b%3Fx%3D1"
        );
    }

    #[test]
    fn only_preview_hosts_under_the_domain_are_taken() {
        let d = "preview.example.com";
        assert_eq!(
            parse("8000--web--ada.preview.example.com", d),
            Some((8000, "web--ada".into()))
        );
        assert_eq!(
            parse("8000--web--ada.Preview.Example.com:443", d),
            Some((8000, "web--ada".into()))
        );
        for other in [
            "preview.example.com",
            "cockpit.example.com",
            "x.8000--web--ada.preview.example.com",
            "web--ada.preview.example.com",
            "8000.preview.example.com",
            "99999--web--ada.preview.example.com",
            "8000--web--ada.preview.example.com.evil.net",
        ] {
            assert_eq!(parse(other, d), None, "{other}");
        }
    }

    #[test]
    fn the_grant_becomes_a_strict_cookie_and_leads_on_only_within_the_host() {
        let answer = grant_answer("g.s", "/app?x=1&y=2", true);
        let cookie = answer.headers()[header::SET_COOKIE].to_str().unwrap();
        assert!(
            cookie.contains("SameSite=Strict") && cookie.ends_with("; Secure"),
            "{cookie}"
        );
        for outside in ["/\\evil.example", "//evil.example", "https://evil.example"] {
            let answer = grant_answer("g.s", outside, false);
            let location = answer.headers().get(header::LOCATION);
            assert!(location.is_none(), "no redirect header at all");
            assert!(!format!("{answer:?}").contains("evil"));
        }
    }

    #[test]
    fn only_this_hosts_own_pages_may_act_on_it() {
        let request = |method: &str, origin: Option<&str>, upgrade: bool| {
            let mut builder = axum::http::Request::builder()
                .method(method)
                .uri("/socket")
                .header(header::HOST, "8000--web--ada.localhost:3000");
            if let Some(origin) = origin {
                builder = builder.header(header::ORIGIN, origin);
            }
            if upgrade {
                builder = builder.header(header::UPGRADE, "websocket");
            }
            builder.body(axum::body::Body::empty()).unwrap()
        };
        let own = "http://8000--web--ada.localhost:3000";
        let other = "http://8000--app--bob.localhost:3000";
        assert_eq!(foreign_origin(&request("GET", Some(own), true)), None);
        assert_eq!(foreign_origin(&request("POST", Some(own), false)), None);
        assert_eq!(
            foreign_origin(&request("GET", Some(other), false)),
            None,
            "reads are the app's own affair"
        );
        assert_eq!(
            foreign_origin(&request("GET", Some(other), true)).as_deref(),
            Some(other)
        );
        assert_eq!(
            foreign_origin(&request("POST", Some(other), false)).as_deref(),
            Some(other)
        );
        assert_eq!(
            foreign_origin(&request("POST", Some("null"), false)).as_deref(),
            Some("null")
        );
        assert_eq!(
            foreign_origin(&request("POST", None, false)),
            None,
            "scripts send none"
        );
    }

    #[test]
    fn every_grant_cookie_is_tried() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; aicockpit_preview=one"),
        );
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("aicockpit_preview=two"),
        );
        assert_eq!(grants(&headers), ["one", "two"]);
    }
}
