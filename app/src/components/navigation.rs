//! Moving between pages with a full load, for the moments the session changes (sign-in,
//! sign-out, set-up): the next page must be rendered by the server for the new session.
//! And the URL pieces both sides build.

/// Only paths on this site: `next=https://evil.example` or `//evil.example` lead home. A
/// backslash or a control character anywhere is refused too: browsers read `\` as `/` and
/// drop tabs and newlines, so `/\t/evil.example` would become `//evil.example`.
pub fn local_path(next: &str) -> String {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    if local {
        next.to_owned()
    } else {
        "/".to_owned()
    }
}

/// Loads `path` as a new page.
pub fn go_to(path: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_href(path);
    }
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path("/workspaces/ada/web"), "/workspaces/ada/web");
        for outside in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/a\\..\\\\evil.example",
            "",
            "javascript:x",
        ] {
            assert_eq!(local_path(outside), "/", "{outside}");
        }
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(encode("/workspace/a b&c.txt"), "/workspace/a%20b%26c.txt");
        assert_eq!(encode("é"), "%C3%A9");
    }
}
