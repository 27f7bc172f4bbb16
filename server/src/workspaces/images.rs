//! Which images a user may start workspaces from (and build on): the default image, the
//! dev image, the templates' images, their own repositories' builds, and what an admin
//! allowed (`--allowed-images`, patterns with `*`). Admins may use any, and so may everyone
//! with `--any-image`. A reference is judged by the image it names — its id — so an id, a
//! short id, a digest or another tag of an image nobody allowed is refused like its name.

use app::auth::Actor;
use app::error::{AppError, Field};
use app::model::ImageChoice;

use super::WorkspaceManager;

/// What the server allows besides the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageSettings {
    /// References or patterns (`debian:*`, `registry.example.com/team/*`).
    pub allowed: Vec<String>,
    /// Anyone may use any image on the engine.
    pub any: bool,
}

/// Whether `reference` matches `pattern`, where `*` stands for any run of characters.
fn matches(pattern: &str, reference: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = reference.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    for (i, part) in parts.iter().enumerate() {
        if i == parts.len() - 1 {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

impl WorkspaceManager {
    /// The references `actor` may use, as named; local images an admin's patterns match
    /// included.
    async fn usable(&self, actor: &Actor) -> Result<Vec<String>, AppError> {
        let mut usable = vec![self.settings.default_image.clone()];
        if let Some(templates) = &self.templates {
            usable.extend(templates.images().await?);
        }
        usable.extend(self.built_images.built_images(actor.id).await?);
        let patterns = &self.settings.images.allowed;
        if !patterns.is_empty() {
            let local = self.images.list_images().await?;
            usable.extend(
                local
                    .into_iter()
                    .filter(|tag| patterns.iter().any(|p| matches(p, tag))),
            );
            usable.extend(patterns.iter().filter(|p| !p.contains('*')).cloned());
        }
        usable.sort();
        usable.dedup();
        Ok(usable)
    }

    /// `Ok` when `actor` may start a workspace from (or build on) `reference`.
    pub async fn may_use_image(&self, actor: &Actor, reference: &str) -> Result<(), AppError> {
        if actor.is_admin() || self.settings.images.any {
            return Ok(());
        }
        // Not on this machine: the create says so (and nothing of anyone's is in it).
        let Some(wanted) = self.images.image_id(reference).await? else {
            return Ok(());
        };
        for usable in self.usable(actor).await? {
            if self.images.image_id(&usable).await?.as_deref() == Some(wanted.as_str()) {
                return Ok(());
            }
        }
        Err(AppError::invalid(
            Field::Image,
            format!(
                "“{reference}” is not an image you may use: choose the dev image, a template, or your own repository's build, or ask an admin to allow it."
            ),
        ))
    }

    /// The images the create form offers `actor`.
    pub(super) async fn image_choices(&self, actor: &Actor) -> Result<Vec<ImageChoice>, AppError> {
        let local = self.images.list_images().await?;
        let default = &self.settings.default_image;
        let mut choices = vec![ImageChoice {
            reference: default.clone(),
            description: "AiCockpit dev image (Debian: editors, compilers, Python, git)".into(),
            // A registry's images are never listed: asked for when not in the list.
            available: local.contains(default) || self.images.image_exists(default).await?,
        }];
        let everything = actor.is_admin() || self.settings.images.any;
        let usable = match everything {
            true => Vec::new(),
            false => self.usable(actor).await?,
        };
        choices.extend(
            local
                .into_iter()
                .filter(|r| r != default && (everything || usable.contains(r)))
                .map(|reference| ImageChoice {
                    description: reference.clone(),
                    reference,
                    available: true,
                }),
        );
        Ok(choices)
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn patterns_match_with_stars() {
        assert!(matches("debian:bookworm", "debian:bookworm"));
        assert!(!matches("debian:bookworm", "debian:bookworm-slim"));
        assert!(matches("debian:*", "debian:12"));
        assert!(!matches("debian:*", "debianx:12"));
        assert!(matches(
            "registry.example.com/team/*",
            "registry.example.com/team/app:1"
        ));
        assert!(!matches(
            "registry.example.com/team/*",
            "registry.example.com/other/app:1"
        ));
        assert!(matches("*/python:*", "library/python:3.12"));
        assert!(matches("*", "anything"));
    }
}
