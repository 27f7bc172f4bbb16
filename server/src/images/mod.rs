//! Workspace images built on this machine, without a registry: the Debian dev image
//! (debootstrap) and a tiny BusyBox image for tests. Both are imported through the runtime
//! port and tagged by a hash of what went into them, so each is built once.

pub mod busybox;
pub mod dev;

use sha2::{Digest, Sha256};

use crate::runtime::RuntimeError;

#[derive(Debug, thiserror::Error)]
pub enum ImageBuildError {
    #[error("building the dev image needs root (debootstrap and chroot); run it with sudo")]
    NotRoot,
    #[error("`{tool}` is not installed; install it with `sudo apt-get install {package}`")]
    MissingTool {
        tool: &'static str,
        package: &'static str,
    },
    #[error("{step} failed: {detail}")]
    Step { step: &'static str, detail: String },
    #[error("the container engine failed: {0}")]
    Runtime(#[from] RuntimeError),
}

impl ImageBuildError {
    fn io(step: &'static str) -> impl FnOnce(std::io::Error) -> Self {
        move |e| Self::Step {
            step,
            detail: e.to_string(),
        }
    }
}

/// The first 12 hex digits of the SHA-256 of `parts`, for content-addressed tags.
pub fn content_tag(parts: &[&[u8]]) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part);
    }
    hex::encode(hash.finalize())[..12].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_tags_are_stable_and_sensitive_to_boundaries() {
        assert_eq!(content_tag(&[b"a", b"b"]), content_tag(&[b"a", b"b"]));
        assert_ne!(content_tag(&[b"ab", b""]), content_tag(&[b"a", b"b"]));
        assert_eq!(content_tag(&[b"x"]).len(), 12);
    }
}
