//! Which `Host` the server answers to and which `Origin` may change things. Loopback is no
//! boundary for a browser: any page the user visits can open a WebSocket to 127.0.0.1, and
//! a DNS-rebinding page reaches it under a name of its own. So:
//! - `Host` must be an IP literal, `localhost`, or the configured public URL's host (a
//!   rebinding attack needs a name it controls, which none of these are);
//! - a WebSocket upgrade or a state-changing request that carries an `Origin` must come from
//!   the host it was sent to, or from the public URL. Requests without one come from
//!   scripts, not browsers; they must then prove who they are with a token (see `actor`).

use std::net::IpAddr;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The origins this server belongs to.
#[derive(Debug, Clone, Default)]
pub struct SiteOrigins {
    /// `scheme://host[:port]` of the public URL, lowercase, without a default port.
    public: Option<Origin>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

impl Origin {
    fn parse(raw: &str) -> Option<Self> {
        let uri: Uri = raw.trim().parse().ok()?;
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let authority = uri.authority()?;
        let default = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => return None,
        };
        Some(Self {
            host: authority.host().to_ascii_lowercase(),
            port: authority.port_u16().filter(|p| *p != default),
            scheme,
        })
    }
}

/// A `Host` header split into host and port, lowercase.
/// The host a request names, as sent: the `Host` header, or the request target's
/// authority (HTTP/2 carries it there).
pub fn named_host<'a>(headers: &'a HeaderMap, uri: &'a Uri) -> &'a str {
    headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or(uri.authority().map(|a| a.as_str()))
        .unwrap_or_default()
}

/// A `host[:port]` as its lower-case name and its port.
pub fn split_host(raw: &str) -> Option<(String, Option<u16>)> {
    let authority: axum::http::uri::Authority = raw.trim().parse().ok()?;
    Some((authority.host().to_ascii_lowercase(), authority.port_u16()))
}

fn is_ip_literal(host: &str) -> bool {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .is_ok()
}

/// Why a request was turned away before anything happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    UnknownHost(String),
    ForeignOrigin(String),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::UnknownHost(host) => (
                StatusCode::MISDIRECTED_REQUEST,
                format!("This server does not answer to the host “{host}”. Use its address, localhost, or the URL set with --public-url (AICOCKPIT_PUBLIC_URL)."),
            ),
            Refusal::ForeignOrigin(origin) => (
                StatusCode::FORBIDDEN,
                format!("Refused a request from the page at “{origin}”: only AiCockpit's own pages may do this."),
            ),
        }
        .into_response()
    }
}

impl SiteOrigins {
    /// `public_url` is where people reach the server, e.g. `https://cockpit.example.com`.
    pub fn new(public_url: Option<&str>) -> Result<Self, String> {
        let public = public_url
            .map(|url| {
                Origin::parse(url).ok_or_else(|| {
                    format!("the public URL “{url}” is not an http:// or https:// URL")
                })
            })
            .transpose()?;
        Ok(Self { public })
    }

    /// A wildcard domain for previews must be a host name outside AiCockpit's own: a page
    /// on a preview host could otherwise set cookies AiCockpit's host receives.
    pub fn check_preview_domain(&self, domain: &str) -> Result<(), String> {
        let domain = domain.to_ascii_lowercase();
        let valid = !domain.is_empty()
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        if !valid {
            return Err(format!(
                "the preview domain “{domain}” is not a host name (give one such as preview.example.com, without scheme or port)"
            ));
        }
        match &self.public {
            Some(public) if public.host == domain || public.host.ends_with(&format!(".{domain}")) => Err(format!(
                "the preview domain “{domain}” holds AiCockpit's own host {}: previews must live outside it, e.g. on a domain of their own",
                public.host
            )),
            _ => Ok(()),
        }
    }

    /// Whether the public URL is served over TLS (cookies are then `Secure`).
    pub fn public_is_https(&self) -> bool {
        self.public.as_ref().is_some_and(|o| o.scheme == "https")
    }

    pub fn host_allowed(&self, host: &str) -> bool {
        let Some((name, _)) = split_host(host) else {
            return false;
        };
        name == "localhost"
            || is_ip_literal(&name)
            || self.public.as_ref().is_some_and(|p| p.host == name)
    }

    /// Same origin as the host the request was sent to (the scheme aside: behind a TLS
    /// proxy the server sees http), or the public URL's origin.
    pub fn origin_allowed(&self, origin: &str, host: &str) -> bool {
        let Some(origin) = Origin::parse(origin) else {
            return false;
        };
        if self.public.as_ref() == Some(&origin) {
            return true;
        }
        let Some((host, port)) = split_host(host) else {
            return false;
        };
        let default = if origin.scheme == "https" { 443 } else { 80 };
        origin.host == host && origin.port == port.filter(|p| *p != default)
    }

    /// The check for one request: `Ok` to go on, or why not.
    pub fn check(&self, method: &Method, uri: &Uri, headers: &HeaderMap) -> Result<(), Refusal> {
        let host = named_host(headers, uri);
        if !self.host_allowed(host) {
            return Err(Refusal::UnknownHost(host.to_owned()));
        }
        // A preview's pages run on an opaque origin (`Origin: null`) and carry no
        // AiCockpit credential: the grant in the path authorises them, not a cookie.
        let preview = uri.path().starts_with(app::wire::PREVIEW_PREFIX);
        if !changes_state(method, headers) || preview {
            return Ok(());
        }
        match headers.get(header::ORIGIN).map(|v| v.to_str()) {
            None => Ok(()),
            Some(Ok(origin)) if self.origin_allowed(origin, host) => Ok(()),
            Some(origin) => Err(Refusal::ForeignOrigin(
                origin.unwrap_or("(unreadable)").to_owned(),
            )),
        }
    }
}

/// Requests a foreign page must not make: anything but a read, and WebSocket upgrades
/// (which are GETs that then carry keystrokes).
pub fn changes_state(method: &Method, headers: &HeaderMap) -> bool {
    let upgrade = headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    upgrade || !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Middleware: refuses unknown hosts (421) and foreign origins (403) before any handler runs.
pub async fn guard(State(origins): State<SiteOrigins>, request: Request, next: Next) -> Response {
    match origins.check(request.method(), request.uri(), request.headers()) {
        Ok(()) => next.run(request).await,
        Err(refusal) => {
            tracing::warn!(?refusal, method = %request.method(), path = %request.uri().path(), "request refused");
            refusal.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn answers_to_addresses_localhost_and_the_public_host_only() {
        let site = SiteOrigins::new(Some("https://Cockpit.example.com")).unwrap();
        for host in [
            "127.0.0.1:3000",
            "localhost:3000",
            "localhost",
            "[::1]:3000",
            "192.168.1.20:3000",
            "cockpit.example.com",
            "COCKPIT.example.com:443",
        ] {
            assert!(site.host_allowed(host), "{host}");
        }
        for host in [
            "rebind.attacker.example",
            "rebind.attacker.example:3000",
            "localhost.attacker.example",
            "127.0.0.1.nip.io:3000",
            "",
            "a b",
        ] {
            assert!(!site.host_allowed(host), "{host}");
        }
        assert!(!SiteOrigins::default().host_allowed("cockpit.example.com"));
    }

    #[test]
    fn origins_must_match_the_host_or_the_public_url() {
        let site = SiteOrigins::new(Some("https://cockpit.example.com")).unwrap();
        assert!(site.origin_allowed("http://127.0.0.1:3000", "127.0.0.1:3000"));
        assert!(site.origin_allowed("http://LOCALHOST:3000", "localhost:3000"));
        assert!(site.origin_allowed("http://localhost", "localhost:80"));
        assert!(site.origin_allowed("https://cockpit.example.com", "127.0.0.1:3000"));
        assert!(site.origin_allowed("https://cockpit.example.com:443", "x"));
        // Another port on the same machine is another site.
        assert!(!site.origin_allowed("http://127.0.0.1:8080", "127.0.0.1:3000"));
        assert!(!site.origin_allowed("http://localhost:3000", "127.0.0.1:3000"));
        assert!(!site.origin_allowed("https://evil.example", "127.0.0.1:3000"));
        assert!(!site.origin_allowed("http://cockpit.example.com", "127.0.0.1:3000"));
        assert!(!site.origin_allowed("null", "127.0.0.1:3000"));
        assert!(!site.origin_allowed("file://x", "127.0.0.1:3000"));
    }

    #[test]
    fn checks_origin_on_state_changes_and_websockets_only() {
        let site = SiteOrigins::default();
        let foreign = [
            (header::HOST, "127.0.0.1:3000"),
            (header::ORIGIN, "https://evil.example"),
        ];
        assert!(site
            .check(&Method::GET, &Uri::default(), &headers(&foreign))
            .is_ok());
        assert_eq!(
            site.check(&Method::POST, &Uri::default(), &headers(&foreign)),
            Err(Refusal::ForeignOrigin("https://evil.example".into()))
        );
        let mut upgrade = headers(&foreign);
        upgrade.insert(header::UPGRADE, HeaderValue::from_static("WebSocket"));
        assert!(site.check(&Method::GET, &Uri::default(), &upgrade).is_err());
        let own = [
            (header::HOST, "127.0.0.1:3000"),
            (header::ORIGIN, "http://127.0.0.1:3000"),
        ];
        assert!(site
            .check(&Method::DELETE, &Uri::default(), &headers(&own))
            .is_ok());
        // A script: no Origin. Whether it may act is for authentication to decide.
        assert!(site
            .check(
                &Method::POST,
                &Uri::default(),
                &headers(&[(header::HOST, "localhost:3000")])
            )
            .is_ok());
        assert_eq!(
            site.check(
                &Method::GET,
                &Uri::default(),
                &headers(&[(header::HOST, "rebind.attacker.example")])
            ),
            Err(Refusal::UnknownHost("rebind.attacker.example".into()))
        );
        assert!(site
            .check(&Method::GET, &Uri::default(), &HeaderMap::new())
            .is_err());
    }

    #[test]
    fn a_public_url_must_be_http_or_https() {
        assert!(SiteOrigins::new(Some("ftp://x")).is_err());
        let site = SiteOrigins::new(Some("https://cockpit.example.com")).unwrap();
        assert!(site.check_preview_domain("preview.example.net").is_ok());
        assert!(site.check_preview_domain("apps.example.com").is_ok());
        for bad in ["example.com", "cockpit.example.com", "http://x", "x:80", ""] {
            assert!(site.check_preview_domain(bad).is_err(), "{bad}");
        }
        assert!(SiteOrigins::new(Some("cockpit.example.com")).is_err());
        assert!(SiteOrigins::new(Some("https://cockpit.example.com"))
            .unwrap()
            .public_is_https());
    }
}
