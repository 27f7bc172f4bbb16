//! The shape of a container image reference, checked before anything reaches the engine.

/// Whether `image` has the shape of an image reference, `[host[:port]/]path[:tag][@digest]`,
/// so that nothing else (an option, a URL) ever reaches the container engine as one.
pub fn is_image_reference(image: &str) -> bool {
    let (named, digest) = match image.split_once('@') {
        Some((named, digest)) => (named, Some(digest)),
        None => (image, None),
    };
    let digest_ok = digest.is_none_or(|digest| {
        digest.split_once(':').is_some_and(|(algorithm, hex)| {
            !algorithm.is_empty()
                && algorithm
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+._-".contains(&b))
                && hex.len() >= 32
                && hex.bytes().all(|b| b.is_ascii_hexdigit())
        })
    });
    let last_slash = named.rfind('/').map_or(0, |i| i + 1);
    let (path, tag) = match named[last_slash..].rfind(':') {
        Some(i) => (&named[..last_slash + i], Some(&named[last_slash + i + 1..])),
        None => (named, None),
    };
    let tag_ok = tag.is_none_or(|tag| {
        (1..=128).contains(&tag.len())
            && !tag.starts_with(['.', '-'])
            && tag
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
    });
    let mut components: Vec<&str> = path.split('/').collect();
    // A first component with a dot or a port, or `localhost`, names a registry host.
    if components.len() > 1 && (components[0].contains(['.', ':']) || components[0] == "localhost")
    {
        let host = components.remove(0);
        let (name, port) = host.split_once(':').unwrap_or((host, "0"));
        let host_ok = name.starts_with(|c: char| c.is_ascii_alphanumeric())
            && name.ends_with(|c: char| c.is_ascii_alphanumeric())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.".contains(&b))
            && !port.is_empty()
            && port.bytes().all(|b| b.is_ascii_digit());
        if !host_ok {
            return false;
        }
    }
    let component_ok = |c: &str| {
        c.starts_with(|ch: char| ch.is_ascii_lowercase() || ch.is_ascii_digit())
            && c.ends_with(|ch: char| ch.is_ascii_lowercase() || ch.is_ascii_digit())
            && c.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
    };
    digest_ok && tag_ok && components.into_iter().all(component_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_have_the_registry_shape() {
        for good in [
            "busybox",
            "busybox:1.36",
            "aicockpit/dev:3f2a",
            "localhost:5000/team/dev",
            "registry.example.com/a/b_c-d:v1.2",
            "debian@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert!(is_image_reference(good), "{good}");
        }
        for bad in [
            "--privileged",
            "Busybox",
            "https://example.com/x",
            "a//b",
            "busybox:",
            "busybox:-x",
            "busybox@sha256:xyz",
            "-host.example.com/x",
            "bad host.example.com/x",
        ] {
            assert!(!is_image_reference(bad), "{bad}");
        }
    }
}
