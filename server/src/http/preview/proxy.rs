//! Passes a preview request to the server inside the workspace and its answer back, both
//! streaming; an upgrade (WebSockets) becomes a byte pipe. What belongs to AiCockpit never
//! crosses: the session cookie and API tokens are taken off the request, cookies the
//! workspace sets are dropped, and every answer is sandboxed onto an opaque origin.

use std::future::Future;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use hyper_util::rt::TokioIo;

use crate::auth::{cookie, secret};
use crate::preview::tunnel::{self, TunnelClient};
use crate::runtime::channel::ChannelError;
use crate::runtime::RuntimeError;

/// The sandbox every preview page runs in: scripts, forms and pop-ups work, but without
/// `allow-same-origin` the page's origin is opaque, so it cannot read AiCockpit's pages,
/// send its cookie with its own requests, or pass the Origin check of its API.
pub const SANDBOX: &str =
    "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads";

/// Headers about one connection, which a proxy must not pass on (RFC 9110, 7.6.1).
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Marks an answer passed through from a workspace's server: it decides how its answers
/// are encoded and streamed, so AiCockpit does not compress them (which would hold a
/// stream back).
#[derive(Debug, Clone, Copy)]
pub struct PassedThrough;

/// How a preview is reached, which decides what crosses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode<'a> {
    /// Under `prefix` on AiCockpit's own host: sandboxed, no cookies either way, the
    /// server's redirects kept under the prefix.
    Path { prefix: &'a str },
    /// On a host of its own: the app's cookies pass (AiCockpit's never do), no sandbox.
    Host,
}

#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("nothing answers on port {port}: {reason}")]
    Unreachable { port: u16, reason: String },
    #[error("the workspace is not running")]
    NotRunning,
    #[error("the server on port {port} broke off: {reason}")]
    Broken { port: u16, reason: String },
}

/// Sends `request` to `port` inside `container` as `path_and_query`. A WebSocket (or other
/// upgrade) it opens stays open until either side closes it or `withdrawn` resolves (the
/// grant stopped holding).
pub async fn forward(
    mut request: Request,
    client: &TunnelClient,
    container: &str,
    port: u16,
    path_and_query: &str,
    mode: Mode<'_>,
    withdrawn: impl Future<Output = ()> + Send + 'static,
) -> Result<Response, ProxyError> {
    let broken = |reason: String| ProxyError::Broken { port, reason };
    let upgrade = upgrade_of(request.headers());
    let from_browser = upgrade.is_some().then(|| hyper::upgrade::on(&mut request));
    let (parts, body) = request.into_parts();
    let address = tunnel::address(container, port, path_and_query).map_err(&broken)?;
    let mut upstream = axum::http::Request::builder()
        .method(parts.method)
        .uri(address)
        .body(body)
        .map_err(|e| broken(e.to_string()))?;
    *upstream.headers_mut() = request_headers(&parts.headers, port, upgrade.as_ref(), mode);

    let mut response =
        client
            .request(upstream)
            .await
            .map_err(|e| match tunnel::channel_error(&e) {
                Some(ChannelError::Refused(reason)) => ProxyError::Unreachable {
                    port,
                    reason: reason.clone(),
                },
                Some(ChannelError::Runtime(
                    RuntimeError::NotRunning(_) | RuntimeError::NotFound(_),
                )) => ProxyError::NotRunning,
                _ => broken(e.to_string()),
            })?;
    if let (StatusCode::SWITCHING_PROTOCOLS, Some(from_browser)) = (response.status(), from_browser)
    {
        let to_workspace = hyper::upgrade::on(&mut response);
        tokio::spawn(async move {
            let (Ok(browser), Ok(workspace)) = tokio::join!(from_browser, to_workspace) else {
                return;
            };
            let (mut browser, mut workspace) = (TokioIo::new(browser), TokioIo::new(workspace));
            tokio::select! {
                _ = tokio::io::copy_bidirectional(&mut browser, &mut workspace) => {}
                // Access ended: the connection goes with it.
                _ = withdrawn => {}
            }
        });
        let (parts, _) = response.into_parts();
        let mut answer = Response::from_parts(parts, Body::empty());
        if let Mode::Path { .. } = mode {
            sandbox(answer.headers_mut());
        }
        return Ok(answer);
    }
    let (mut parts, body) = response.into_parts();
    parts.headers = response_headers(&parts.headers, port, mode);
    parts.extensions.insert(PassedThrough);
    Ok(Response::from_parts(parts, Body::new(body)))
}

/// The `Upgrade` a request asks for (`websocket`), if it asks for one.
fn upgrade_of(headers: &HeaderMap) -> Option<HeaderValue> {
    let wants = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case("upgrade"));
    wants
        .then(|| headers.get(header::UPGRADE).cloned())
        .flatten()
}

/// The browser's headers, less the connection's own, AiCockpit's credentials and what
/// names AiCockpit's host; the workspace's server is told it is `localhost:<port>`, as
/// when its developer opens it there (dev servers often refuse other host names).
fn request_headers(
    headers: &HeaderMap,
    port: u16,
    upgrade: Option<&HeaderValue>,
    mode: Mode<'_>,
) -> HeaderMap {
    let mut out = without_hop_by_hop(headers);
    out.remove(header::COOKIE);
    if mode == Mode::Host {
        // The app's own cookies, without AiCockpit's.
        let theirs: Vec<&str> = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .map(str::trim)
            .filter(|pair| !pair.is_empty() && !cookie::is_ours(pair))
            .collect();
        if let Ok(value) = HeaderValue::from_str(&theirs.join("; ")) {
            if !theirs.is_empty() {
                out.insert(header::COOKIE, value);
            }
        }
    }
    let ours = cookie::bearer(headers).is_some_and(|t| t.starts_with(secret::TOKEN_PREFIX));
    if ours {
        out.remove(header::AUTHORIZATION);
    }
    if let Ok(host) = HeaderValue::from_str(&format!("localhost:{port}")) {
        out.insert(header::HOST, host);
    }
    if let Some(upgrade) = upgrade {
        out.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        out.insert(header::UPGRADE, upgrade.clone());
    }
    out
}

/// The workspace's answer headers, with its redirects kept inside the preview. On
/// AiCockpit's host: sandboxed and without cookies (a preview could otherwise set
/// AiCockpit's); on its own host: without cookies named like AiCockpit's.
fn response_headers(headers: &HeaderMap, port: u16, mode: Mode<'_>) -> HeaderMap {
    let mut out = without_hop_by_hop(headers);
    out.remove(header::SET_COOKIE);
    out.remove(HeaderName::from_static("service-worker-allowed"));
    let prefix = match mode {
        Mode::Path { prefix } => prefix,
        Mode::Host => "/",
    };
    if let Some(location) = headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|location| inside_preview(location, port, prefix))
        .and_then(|location| HeaderValue::from_str(&location).ok())
    {
        out.insert(header::LOCATION, location);
    }
    match mode {
        Mode::Path { .. } => sandbox(&mut out),
        Mode::Host => {
            for cookie in headers.get_all(header::SET_COOKIE) {
                if !cookie.to_str().is_ok_and(cookie::is_ours) {
                    out.append(header::SET_COOKIE, cookie.clone());
                }
            }
        }
    }
    out
}

/// A redirect to the server's own root (`/x`, `http://localhost:<port>/x`) as the
/// preview's address; other redirects are left alone.
fn inside_preview(location: &str, port: u16, prefix: &str) -> Option<String> {
    let own = [
        format!("http://localhost:{port}/"),
        format!("http://127.0.0.1:{port}/"),
    ];
    let path = own
        .iter()
        .find_map(|root| location.strip_prefix(root.as_str()))
        .map(|rest| format!("/{rest}"))
        .or_else(|| {
            (location.starts_with('/') && !location.starts_with("//")).then(|| location.into())
        })?;
    Some(format!("{}{path}", prefix.trim_end_matches('/')))
}

fn sandbox(headers: &mut HeaderMap) {
    // Added beside the server's own policy: a browser enforces both.
    headers.append(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(SANDBOX),
    );
    // The grant is in the address; it must not travel to other sites as a referrer.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

fn without_hop_by_hop(headers: &HeaderMap) -> HeaderMap {
    let mut out = headers.clone();
    // `Connection` may name further headers that belong to this hop only.
    let named: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .collect();
    for name in HOP_BY_HOP
        .iter()
        .copied()
        .chain(named.iter().map(String::as_str))
    {
        out.remove(name);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: Mode = Mode::Path {
        prefix: "/previews/abc/",
    };

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    #[test]
    fn aicockpit_credentials_and_hop_headers_stay_behind() {
        let sent = request_headers(
            &headers(&[
                ("cookie", "aicockpit_session=s3cret"),
                ("authorization", "Bearer aic_123"),
                ("connection", "keep-alive, x-hop"),
                ("x-hop", "1"),
                ("host", "cockpit.example:3000"),
                ("accept", "text/html"),
            ]),
            8000,
            None,
            PATH,
        );
        assert_eq!(sent.get("host").unwrap(), "localhost:8000");
        assert_eq!(sent.get("accept").unwrap(), "text/html");
        for gone in ["cookie", "authorization", "connection", "x-hop"] {
            assert!(!sent.contains_key(gone), "{gone}");
        }
        // The workspace's own credentials pass.
        let basic = request_headers(
            &headers(&[("authorization", "Basic eDp5")]),
            8000,
            None,
            PATH,
        );
        assert_eq!(basic.get("authorization").unwrap(), "Basic eDp5");
    }

    #[test]
    fn websocket_upgrades_are_asked_for_again() {
        let asked = headers(&[
            ("connection", "keep-alive, Upgrade"),
            ("upgrade", "websocket"),
        ]);
        let upgrade = upgrade_of(&asked);
        assert_eq!(upgrade.as_ref().unwrap(), "websocket");
        let sent = request_headers(&asked, 8000, upgrade.as_ref(), PATH);
        assert_eq!(sent.get("connection").unwrap(), "upgrade");
        assert_eq!(sent.get("upgrade").unwrap(), "websocket");
        assert_eq!(upgrade_of(&headers(&[("upgrade", "websocket")])), None);
    }

    #[test]
    fn answers_are_sandboxed_cookieless_and_redirect_inside_the_preview() {
        let answered = response_headers(
            &headers(&[
                ("set-cookie", "aicockpit_session=planted; Path=/"),
                ("content-security-policy", "default-src 'self'"),
                ("referrer-policy", "unsafe-url"),
                ("location", "/docs/"),
                ("content-type", "text/html"),
            ]),
            8000,
            PATH,
        );
        assert!(!answered.contains_key("set-cookie"));
        let policies: Vec<_> = answered
            .get_all("content-security-policy")
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(policies, ["default-src 'self'", SANDBOX]);
        assert!(!SANDBOX.contains("allow-same-origin"));
        assert_eq!(answered.get("referrer-policy").unwrap(), "no-referrer");
        assert_eq!(answered.get("location").unwrap(), "/previews/abc/docs/");
    }

    #[test]
    fn on_its_own_host_the_apps_cookies_pass_and_aicockpits_do_not() {
        let sent = request_headers(
            &headers(&[
                ("cookie", "aicockpit_preview=g; theme=dark"),
                ("cookie", "sid=1"),
            ]),
            8000,
            None,
            Mode::Host,
        );
        assert_eq!(sent.get("cookie").unwrap(), "theme=dark; sid=1");
        let answered = response_headers(
            &headers(&[
                ("set-cookie", "aicockpit_session=planted; Path=/"),
                ("set-cookie", "sid=2; Path=/"),
                ("location", "http://localhost:8000/login"),
            ]),
            8000,
            Mode::Host,
        );
        let cookies: Vec<_> = answered.get_all("set-cookie").iter().collect();
        assert_eq!(cookies, ["sid=2; Path=/"]);
        assert!(!answered.contains_key("content-security-policy"));
        assert_eq!(answered.get("location").unwrap(), "/login");
    }

    #[test]
    fn only_redirects_to_the_servers_own_root_are_rewritten() {
        let p = "/previews/abc/";
        assert_eq!(
            inside_preview("http://localhost:8000/x?y", 8000, p).as_deref(),
            Some("/previews/abc/x?y")
        );
        assert_eq!(inside_preview("https://example.com/", 8000, p), None);
        assert_eq!(inside_preview("//example.com/", 8000, p), None);
        assert_eq!(inside_preview("http://localhost:9000/", 8000, p), None);
        assert_eq!(inside_preview("next", 8000, p), None);
    }
}
