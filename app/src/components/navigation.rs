//! Moving between pages with a full load, for the moments the session changes (sign-in,
//! sign-out, set-up): the next page must be rendered by the server for the new session.

/// Only paths on this site: `next=https://evil.example` or `//evil.example` lead home.
pub fn local_path(next: &str) -> String {
    let local = next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\");
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
            "",
            "javascript:x",
        ] {
            assert_eq!(local_path(outside), "/", "{outside}");
        }
    }
}
