//! The session cookie and the `Authorization: Bearer` header: reading them from a request
//! and writing the `Set-Cookie` values. The cookie is `HttpOnly` (scripts never see it),
//! `SameSite=Lax` (not sent with cross-site requests other than top-level navigation), and
//! whenever the browser reached us over TLS `Secure` and named with the `__Host-` prefix,
//! which no other host — a preview's, a sibling domain's — can set or overwrite.

use axum::http::{header, HeaderMap};

pub const SESSION_COOKIE: &str = "aicockpit_session";
/// The session cookie's name under HTTPS.
pub const SECURE_SESSION_COOKIE: &str = "__Host-aicockpit_session";

fn session_name(secure: bool) -> &'static str {
    match secure {
        true => SECURE_SESSION_COOKIE,
        false => SESSION_COOKIE,
    }
}

/// The bearer token, if the request has an `Authorization: Bearer …` header.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The values of the cookies named `name` in the `Cookie` header(s), in order.
pub fn values<'a>(headers: &'a HeaderMap, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(move |(found, _)| *found == name)
        .map(|(_, value)| value)
}

/// The session secret from the `Cookie` header(s): under HTTPS only the `__Host-` one.
pub fn session(headers: &HeaderMap, secure: bool) -> Option<&str> {
    values(headers, session_name(secure))
        .next()
        .filter(|v| !v.is_empty())
}

pub fn set_session(secret: &str, max_age_secs: u64, secure: bool) -> String {
    let name = session_name(secure);
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={secret}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}")
}

pub fn clear_session(secure: bool) -> String {
    set_session("", 0, secure)
}

/// Whether a `name=value` pair (or a `Set-Cookie` value) is one of AiCockpit's cookies.
pub fn is_ours(cookie: &str) -> bool {
    cookie
        .trim_start()
        .trim_start_matches("__Host-")
        .starts_with("aicockpit_")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn reads_bearer_tokens_and_the_session_cookie() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer aic_x"),
        );
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; aicockpit_session=s3"),
        );
        assert_eq!(bearer(&headers), Some("aic_x"));
        assert_eq!(session(&headers, false), Some("s3"));
        assert_eq!(
            session(&headers, true),
            None,
            "under HTTPS only the __Host- cookie"
        );
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&headers), None);
        let mut other = HeaderMap::new();
        other.insert(
            header::COOKIE,
            HeaderValue::from_static("aicockpit_session_x=1; b=2"),
        );
        assert_eq!(session(&other, false), None);
        let mut secure = HeaderMap::new();
        secure.insert(
            header::COOKIE,
            HeaderValue::from_static("aicockpit_session=planted; __Host-aicockpit_session=real"),
        );
        assert_eq!(session(&secure, true), Some("real"));
    }

    #[test]
    fn cookies_are_http_only_lax_and_secure_under_tls() {
        let plain = set_session("s", 60, false);
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Lax"));
        assert!(!plain.contains("Secure") && plain.starts_with("aicockpit_session="));
        let secure = set_session("s", 60, true);
        assert!(
            secure.starts_with("__Host-aicockpit_session=s; Path=/;")
                && secure.ends_with("; Secure")
        );
        assert!(
            !secure.contains("Domain"),
            "a __Host- cookie names no domain"
        );
        assert!(clear_session(false).contains("Max-Age=0"));
        assert!(clear_session(true).starts_with("__Host-"));
        assert!(is_ours("__Host-aicockpit_session=x") && is_ours(" aicockpit_preview=g"));
        assert!(!is_ours("theme=dark"));
    }
}
