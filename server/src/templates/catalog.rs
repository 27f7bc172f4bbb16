//! Where templates come from: built in (compiled into the server), a folder on the server
//! (one sub-folder per template, with its devcontainer.json and the files its build needs),
//! and those admins add (kept in the database). Each is parsed when listed, so a broken one
//! is reported instead of hiding the rest.

use std::path::{Path, PathBuf};

use app::error::{AppError, Field};
use app::model::{TemplateInfo, TemplateOrigin};
use bytes::Bytes;

use super::context::{folder_context, single_file};
use super::devcontainer::{self, DevContainer, Source};
use crate::images::content_tag;
use crate::runtime::ImageBuild;
use crate::store::{StoredTemplate, TemplateStore, WorkspaceSetup};

/// The build argument naming the local dev image, for `FROM ${AICOCKPIT_DEV_IMAGE}`.
pub const DEV_IMAGE_ARG: &str = "AICOCKPIT_DEV_IMAGE";

/// id, devcontainer.json, Dockerfile.
const BUILT_IN: [(&str, &str, &str); 5] = [
    (
        "python",
        include_str!("../../templates/python/devcontainer.json"),
        include_str!("../../templates/python/Dockerfile"),
    ),
    (
        "node",
        include_str!("../../templates/node/devcontainer.json"),
        include_str!("../../templates/node/Dockerfile"),
    ),
    (
        "rust",
        include_str!("../../templates/rust/devcontainer.json"),
        include_str!("../../templates/rust/Dockerfile"),
    ),
    (
        "go",
        include_str!("../../templates/go/devcontainer.json"),
        include_str!("../../templates/go/Dockerfile"),
    ),
    (
        "java",
        include_str!("../../templates/java/devcontainer.json"),
        include_str!("../../templates/java/Dockerfile"),
    ),
];

/// A template, read and understood.
#[derive(Debug, Clone)]
pub struct Template {
    pub id: String,
    pub origin: TemplateOrigin,
    pub parsed: DevContainer,
    /// The Dockerfile's text, for built-in and added templates.
    dockerfile: Option<String>,
    /// For folder templates: the template's folder, and where in it the devcontainer.json
    /// is (`""` or `.devcontainer`); build paths are relative to the latter.
    folder: Option<(PathBuf, String)>,
    /// The text it was read from, part of its image's tag.
    devcontainer: String,
}

impl Template {
    pub fn new(
        id: &str,
        origin: TemplateOrigin,
        devcontainer: &str,
        dockerfile: Option<String>,
        folder: Option<(PathBuf, String)>,
    ) -> Result<Self, AppError> {
        let mut parsed = devcontainer::parse(devcontainer)
            .map_err(|e| AppError::invalid(Field::Template, e.to_string()))?;
        if origin == TemplateOrigin::Repository {
            not_self_granted(&mut parsed);
        }
        Ok(Self {
            id: id.to_owned(),
            origin,
            parsed,
            dockerfile,
            folder,
            devcontainer: devcontainer.to_owned(),
        })
    }

    /// Whether it builds from a Dockerfile (rather than naming an image).
    pub fn builds(&self) -> bool {
        matches!(self.parsed.source, Source::Build { .. })
    }

    pub fn name(&self) -> String {
        self.parsed.name.clone().unwrap_or_else(|| self.id.clone())
    }

    /// The image a workspace made from it runs: the one it names, or the one its build
    /// makes, tagged by what went into it (so a change builds anew, and nothing else does).
    pub fn image(&self, dev_image: &str) -> String {
        match &self.parsed.source {
            Source::Image(image) => image.clone(),
            Source::Build { args, .. } => {
                let args = format!("{args:?}");
                let tag = content_tag(&[
                    self.devcontainer.as_bytes(),
                    self.dockerfile.as_deref().unwrap_or_default().as_bytes(),
                    args.as_bytes(),
                    dev_image.as_bytes(),
                ]);
                format!("aicockpit/template-{}:{tag}", self.id)
            }
        }
    }

    pub fn info(&self, dev_image: &str, ready: bool) -> TemplateInfo {
        let parsed = &self.parsed;
        TemplateInfo {
            id: self.id.clone(),
            name: self.name(),
            origin: self.origin,
            image: self.image(dev_image),
            ready,
            builds: matches!(parsed.source, Source::Build { .. }),
            cpus: parsed.defaults.cpus,
            memory_mib: parsed.defaults.memory_mib,
            idle_minutes: parsed.defaults.idle_minutes,
            forward_ports: parsed.forward_ports.clone(),
            post_create: parsed.post_create.clone(),
            ignored: parsed.ignored.clone(),
            sudo: parsed.defaults.sudo,
        }
    }

    /// What a workspace made from it keeps.
    pub fn setup(&self) -> WorkspaceSetup {
        WorkspaceSetup {
            template: self.id.clone(),
            env: self.parsed.container_env.clone(),
            post_create: self.parsed.post_create.clone(),
            post_start: self.parsed.post_start.clone(),
            forward_ports: self.parsed.forward_ports.clone(),
            set_up: false,
            sudo: self.parsed.defaults.sudo,
            allowed_hosts: self.parsed.defaults.allowed_hosts.clone(),
        }
    }

    /// The build's context (a tar archive) and what to build from it; `None` for a
    /// template that names an image.
    pub fn build(&self, dev_image: &str) -> Result<Option<(Bytes, ImageBuild)>, AppError> {
        let Source::Build {
            dockerfile,
            context,
            args,
        } = &self.parsed.source
        else {
            return Ok(None);
        };
        let mut args = args.clone();
        args.entry(DEV_IMAGE_ARG.into())
            .or_insert_with(|| dev_image.to_owned());
        let (context_tar, dockerfile) = match (&self.folder, &self.dockerfile) {
            (Some((root, json_dir)), _) => folder_context(root, json_dir, context, dockerfile)?,
            (None, Some(text)) => (single_file(dockerfile, text), dockerfile.clone()),
            (None, None) => {
                return Err(AppError::invalid(
                    Field::Template,
                    "this template builds from a Dockerfile, but has none",
                ))
            }
        };
        Ok(Some((
            context_tar,
            ImageBuild {
                reference: self.image(dev_image),
                dockerfile,
                args,
                // An admin's Dockerfile, built on the engine's default network.
                network_of: None,
            },
        )))
    }
}

/// What a repository may not give itself, reported as not applied: root inside, more
/// hosts or another network level. Only admins' templates carry those.
fn not_self_granted(parsed: &mut DevContainer) {
    let defaults = &mut parsed.defaults;
    let admins = "only templates an admin made carry it; an admin can add this devcontainer.json on the Templates page";
    if std::mem::take(&mut defaults.sudo) {
        parsed.ignored.push(format!(
            "`customizations.aicockpit.sudo`: not applied, a repository cannot give itself root: {admins}"
        ));
    }
    if !std::mem::take(&mut defaults.allowed_hosts).is_empty() {
        parsed.ignored.push(format!(
            "`customizations.aicockpit.allowedHosts`: not applied, a repository cannot widen its own allowlist: {admins}"
        ));
    }
    if defaults.network.take().is_some() {
        parsed.ignored.push(
            "`customizations.aicockpit.network`: not applied; the workspace's owner sets its network level in the IDE's Network panel".into(),
        );
    }
}

/// An id for an added template: its name, lower-cased, runs of anything else as one `-`.
pub fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().chars() {
        match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9') => slug.push(c),
            _ if !slug.ends_with('-') && !slug.is_empty() => slug.push('-'),
            _ => {}
        }
    }
    slug.trim_end_matches('-').chars().take(40).collect()
}

#[derive(Clone)]
pub struct Catalog {
    store: TemplateStore,
    folder: Option<PathBuf>,
    pub dev_image: String,
}

impl Catalog {
    pub fn new(store: TemplateStore, folder: Option<PathBuf>, dev_image: String) -> Self {
        Self {
            store,
            folder,
            dev_image,
        }
    }

    pub fn is_built_in(id: &str) -> bool {
        BUILT_IN.iter().any(|(b, _, _)| *b == id)
    }

    /// Every template that reads; the ones that do not are logged and left out.
    pub async fn all(&self) -> Result<Vec<Template>, AppError> {
        let mut templates: Vec<Template> = BUILT_IN
            .iter()
            .filter_map(|(id, json, dockerfile)| {
                Template::new(
                    id,
                    TemplateOrigin::BuiltIn,
                    json,
                    Some((*dockerfile).into()),
                    None,
                )
                .ok()
            })
            .collect();
        if let Some(folder) = &self.folder {
            templates.extend(read_folder(folder));
        }
        for StoredTemplate {
            id,
            devcontainer,
            dockerfile,
        } in self.store.templates().await?
        {
            match Template::new(&id, TemplateOrigin::Added, &devcontainer, dockerfile, None) {
                Ok(template) => templates.push(template),
                Err(e) => {
                    tracing::warn!(template = %id, error = %e, "a stored template does not read")
                }
            }
        }
        Ok(templates)
    }

    pub async fn find(&self, id: &str) -> Result<Template, AppError> {
        self.all()
            .await?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or_else(|| {
                AppError::invalid(Field::Template, format!("There is no template “{id}”."))
            })
    }

    /// Reads an admin's template; the id comes from its name.
    pub fn parse_added(devcontainer: &str, dockerfile: Option<&str>) -> Result<Template, AppError> {
        let invalid = |m: &str| AppError::invalid(Field::Template, m);
        let probe = Template::new("x", TemplateOrigin::Added, devcontainer, None, None)?;
        let name = probe
            .parsed
            .name
            .clone()
            .ok_or_else(|| invalid("Give the template a \"name\" in its devcontainer.json."))?;
        let id = slug(&name);
        if id.is_empty() {
            return Err(invalid("The template's name needs letters or digits."));
        }
        if Self::is_built_in(&id) {
            return Err(invalid(
                "A built-in template has that name; choose another.",
            ));
        }
        match (&probe.parsed.source, dockerfile) {
            (Source::Build { .. }, None) => {
                return Err(invalid("Its devcontainer.json builds from a Dockerfile: add the Dockerfile."))
            }
            (Source::Image(_), Some(_)) => {
                return Err(invalid("Its devcontainer.json names an image, so it needs no Dockerfile; remove one of them."))
            }
            _ => {}
        }
        Template::new(
            &id,
            TemplateOrigin::Added,
            devcontainer,
            dockerfile.map(str::to_owned),
            None,
        )
    }
}

/// Each sub-folder with a devcontainer.json (at its top or in `.devcontainer/`).
fn read_folder(folder: &Path) -> Vec<Template> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        tracing::warn!(folder = %folder.display(), "the templates folder cannot be read");
        return Vec::new();
    };
    let mut templates: Vec<Template> = entries
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|entry| {
            let dir = entry.path();
            let id = slug(&entry.file_name().to_string_lossy());
            let json = ["devcontainer.json", ".devcontainer/devcontainer.json"]
                .iter()
                .map(|p| dir.join(p))
                .find(|p| p.is_file())?;
            let text = std::fs::read_to_string(&json).ok()?;
            let json_dir = match json.ends_with(".devcontainer/devcontainer.json") {
                true => ".devcontainer",
                false => "",
            };
            let folder = Some((dir.clone(), json_dir.to_owned()));
            match Template::new(&id, TemplateOrigin::Folder, &text, None, folder) {
                Ok(template) => Some(template),
                Err(e) => {
                    tracing::warn!(template = %json.display(), error = %e, "a template does not read");
                    None
                }
            }
        })
        .filter(|t| !Catalog::is_built_in(&t.id))
        .collect();
    templates.sort_by(|a, b| a.id.cmp(&b.id));
    templates
}

#[cfg(test)]
mod tests {
    use super::super::context::within;
    use super::*;

    fn entry_names(context: &Bytes) -> Vec<String> {
        tar::Archive::new(&context[..])
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect()
    }

    fn built_in(id: &str, json: &str, dockerfile: &str) -> Template {
        Template::new(
            id,
            TemplateOrigin::BuiltIn,
            json,
            Some(dockerfile.into()),
            None,
        )
        .unwrap()
    }

    #[test]
    fn every_built_in_template_reads_cleanly_and_builds_on_the_dev_image() {
        for (id, json, dockerfile) in BUILT_IN {
            let template = built_in(id, json, dockerfile);
            assert!(
                template.parsed.ignored.is_empty(),
                "{id}: {:?}",
                template.parsed.ignored
            );
            assert!(dockerfile.contains("FROM ${AICOCKPIT_DEV_IMAGE}"), "{id}");
            let (context, build) = template.build("aicockpit/dev:abc").unwrap().unwrap();
            assert_eq!(build.args[DEV_IMAGE_ARG], "aicockpit/dev:abc");
            assert!(build
                .reference
                .starts_with(&format!("aicockpit/template-{id}:")));
            assert_eq!(entry_names(&context), [build.dockerfile.as_str()]);
        }
    }

    #[test]
    fn an_image_tag_follows_what_went_into_it() {
        let (id, json, dockerfile) = BUILT_IN[0];
        let template = built_in(id, json, dockerfile);
        let changed = built_in(id, json, &format!("{dockerfile}\n"));
        assert_eq!(template.image("dev:1"), template.image("dev:1"));
        assert_ne!(template.image("dev:1"), template.image("dev:2"));
        assert_ne!(template.image("dev:1"), changed.image("dev:1"));
    }

    #[test]
    fn added_templates_need_a_name_and_a_matching_dockerfile() {
        let build = r#"{ "name": "Data Science!", "build": { "dockerfile": "Dockerfile" } }"#;
        let added = Catalog::parse_added(build, Some("FROM x")).unwrap();
        assert_eq!(added.id, "data-science");
        let refused = |json: &str, dockerfile: Option<&str>| {
            Catalog::parse_added(json, dockerfile)
                .unwrap_err()
                .to_string()
        };
        assert!(refused(build, None).contains("add the Dockerfile"));
        assert!(refused(r#"{ "name": "x", "image": "a" }"#, Some("FROM x"))
            .contains("needs no Dockerfile"));
        assert!(refused(r#"{ "image": "a" }"#, None).contains("name"));
        assert!(refused(r#"{ "name": "Python", "image": "a" }"#, None).contains("built-in"));
    }

    #[test]
    fn folder_templates_build_from_their_folder_and_may_not_leave_it() {
        let dir = tempfile::tempdir().unwrap();
        let template = dir.path().join("Data Tools/.devcontainer");
        std::fs::create_dir_all(&template).unwrap();
        std::fs::write(
            template.join("devcontainer.json"),
            r#"{ "build": { "dockerfile": "Dockerfile", "context": ".." } }"#,
        )
        .unwrap();
        std::fs::write(template.join("Dockerfile"), "FROM x\nCOPY tools.txt /\n").unwrap();
        std::fs::write(dir.path().join("Data Tools/tools.txt"), "t").unwrap();
        std::fs::create_dir_all(dir.path().join("empty")).unwrap();
        let found = read_folder(dir.path());
        assert_eq!(
            found.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
            ["data-tools"]
        );
        // ".." from .devcontainer/ is the template's folder: allowed.
        let (context, build) = found[0].build("dev").unwrap().unwrap();
        assert_eq!(build.dockerfile, ".devcontainer/Dockerfile");
        let names = entry_names(&context);
        assert!(names.iter().any(|n| n.ends_with("tools.txt")), "{names:?}");
        let root = dir.path().join("Data Tools");
        for (context, dockerfile) in [
            ("../..", "Dockerfile"),
            (".", "../../x"),
            ("/", "Dockerfile"),
            (".", "../Dockerfile2"),
        ] {
            assert!(
                folder_context(&root, ".devcontainer", context, dockerfile).is_err(),
                "{context} {dockerfile}"
            );
        }
        assert_eq!(within(".devcontainer", ".."), Some(String::new()));
        assert_eq!(within("", "a/./b/../c"), Some("a/c".into()));
    }

    #[test]
    fn slugs_are_lower_case_words_joined_by_dashes() {
        assert_eq!(slug("  Data Science!  "), "data-science");
        assert_eq!(slug("Go 1.22"), "go-1-22");
        assert_eq!(slug("!!!"), "");
    }
}
