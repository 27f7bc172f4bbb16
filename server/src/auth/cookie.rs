//! The session cookie and the `Authorization: Bearer` header: reading them from a request
//! and writing the `Set-Cookie` values. The cookie is `HttpOnly` (scripts never see it),
//! `SameSite=Lax` (not sent with cross-site requests other than top-level navigation), and
//! `Secure` whenever the browser reached us over TLS.

use axum::http::{header, HeaderMap};

pub const SESSION_COOKIE: &str = "aicockpit_session";

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

/// The session secret from the `Cookie` header(s).
pub fn session(headers: &HeaderMap) -> Option<&str> {
    values(headers, SESSION_COOKIE)
        .next()
        .filter(|v| !v.is_empty())
}

pub fn set_session(secret: &str, max_age_secs: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={secret}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}"
    )
}

pub fn clear_session() -> String {
    format!("{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")
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
        assert_eq!(session(&headers), Some("s3"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&headers), None);
        let mut other = HeaderMap::new();
        other.insert(
            header::COOKIE,
            HeaderValue::from_static("aicockpit_session_x=1; b=2"),
        );
        assert_eq!(session(&other), None);
    }

    #[test]
    fn cookies_are_http_only_lax_and_secure_under_tls() {
        let plain = set_session("s", 60, false);
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Lax"));
        assert!(!plain.contains("Secure"));
        assert!(set_session("s", 60, true).ends_with("; Secure"));
        assert!(clear_session().contains("Max-Age=0"));
    }
}
