//! A repository's own `.devcontainer/devcontainer.json`, found in a workspace after its
//! repository was cloned: read through the runtime (running or not, nothing needed in the
//! image), built from the workspace's files, and the workspace re-made on the result with
//! the same volume.

use app::error::{AppError, Field};
use app::model::TemplateOrigin;
use bytes::Bytes;
use futures::StreamExt;

use super::catalog::{Template, DEV_IMAGE_ARG};
use super::context::build_paths;
use super::devcontainer::Source;
use super::dockerfile;
use crate::access::MOUNT_PATH;
use crate::images::content_tag;
use crate::runtime::{ContainerRuntime, ImageBuild};

/// Where a repository keeps it, relative to `/workspace`.
pub const DEVCONTAINER_DIR: &str = ".devcontainer";
/// The most of the `.devcontainer` folder read to find the file.
const MAX_FOLDER: usize = 16 << 20;
/// The largest build context sent to the engine.
const MAX_CONTEXT: usize = 512 << 20;

/// How a workspace's repository template's id (and its build's) begins.
pub const ID_PREFIX: &str = "repo-";

/// The id a workspace's repository template goes by (its build too).
pub fn template_id(workspace_id: &str) -> String {
    format!("{ID_PREFIX}{}", &workspace_id[..workspace_id.len().min(12)])
}

/// `path` of the container packed as a tar archive, at most `limit` bytes; `None` when
/// there is no such folder.
async fn pack(
    runtime: &dyn ContainerRuntime,
    container: &str,
    path: &str,
    limit: usize,
) -> Result<Option<Bytes>, AppError> {
    let mut stream = runtime.copy_out(container, path);
    let mut packed = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) if packed.is_empty() && is_missing(&e.to_string()) => return Ok(None),
            Err(e) => {
                return Err(crate::error::engine_refused(
                    runtime.engine(),
                    e.to_string(),
                ))
            }
        };
        packed.extend_from_slice(&chunk);
        if packed.len() > limit {
            return Err(AppError::invalid(
                Field::Template,
                format!(
                    "{path} is over {} MiB, too large to build from",
                    limit >> 20
                ),
            ));
        }
    }
    Ok(Some(Bytes::from(packed)))
}

/// Whether the engine's refusal says the path is not there.
fn is_missing(message: &str) -> bool {
    let message = message.to_lowercase();
    ["no such", "could not find", "not found"]
        .iter()
        .any(|m| message.contains(m))
}

/// The workspace's repository template, if its files have a
/// `.devcontainer/devcontainer.json`.
pub async fn find(
    runtime: &dyn ContainerRuntime,
    container: &str,
    workspace_id: &str,
) -> Result<Option<Template>, AppError> {
    let folder = format!("{MOUNT_PATH}/{DEVCONTAINER_DIR}");
    let Some(packed) = pack(runtime, container, &folder, MAX_FOLDER).await? else {
        return Ok(None);
    };
    let Some(text) = file_in(&packed, "devcontainer.json") else {
        return Ok(None);
    };
    let id = template_id(workspace_id);
    Template::new(&id, TemplateOrigin::Repository, &text, None, None).map(Some)
}

/// A repository's build, read and checked: its context, what to build, and the images it
/// builds on (which the image policy must allow).
pub struct RepositoryBuild {
    pub context: Bytes,
    pub build: ImageBuild,
    pub bases: Vec<String>,
}

/// The file `path` in the tar `archive`, as text (what is not UTF-8 reads as U+FFFD, which
/// no parser takes).
fn file_in(archive: &[u8], path: &str) -> Option<String> {
    let mut archive = tar::Archive::new(archive);
    let entries = archive.entries().ok()?;
    for entry in entries.flatten() {
        let mut entry = entry;
        let named = entry
            .path()
            .is_ok_and(|p| p.to_string_lossy().trim_start_matches("./") == path);
        if named {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut bytes).ok()?;
            return Some(String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    None
}

/// What to build for it, from the workspace's files; `None` when it names an image. The
/// Dockerfile is read first: remote `ADD` sources are refused.
pub async fn build(
    runtime: &dyn ContainerRuntime,
    container: &str,
    template: &Template,
    dev_image: &str,
) -> Result<Option<RepositoryBuild>, AppError> {
    let Source::Build {
        dockerfile,
        context,
        args,
    } = &template.parsed.source
    else {
        return Ok(None);
    };
    let (context, dockerfile) = build_paths(DEVCONTAINER_DIR, context, dockerfile)?;
    let path = format!("{MOUNT_PATH}/{context}");
    let tar = pack(runtime, container, &path, MAX_CONTEXT)
        .await?
        .ok_or_else(|| AppError::invalid(Field::Template, format!("{path} does not exist")))?;
    let mut args = args.clone();
    args.entry(DEV_IMAGE_ARG.into())
        .or_insert_with(|| dev_image.to_owned());
    let text = file_in(&tar, &dockerfile).ok_or_else(|| {
        AppError::invalid(
            Field::Template,
            format!("{path}/{dockerfile} does not exist"),
        )
    })?;
    let bases = dockerfile::base_images(&text, &args).map_err(|refused| {
        AppError::Forbidden(format!(
            "The repository's Dockerfile is not built: {refused}."
        ))
    })?;
    // Tagged by what the build reads, so a change to the repository builds anew.
    let tag = content_tag(&[&tar, format!("{args:?}{dockerfile}").as_bytes()]);
    // The steps share the workspace's network namespace: its level, and its proxy on the
    // loopback (the engine's predefined proxy arguments, kept out of the image's history).
    args.extend(crate::egress::proxy_env().into_iter().filter_map(|entry| {
        let (name, value) = entry.split_once('=')?;
        Some((name.to_owned(), value.to_owned()))
    }));
    Ok(Some(RepositoryBuild {
        context: tar,
        build: ImageBuild {
            reference: format!("aicockpit/{}:{tag}", template.id),
            dockerfile,
            args,
            network_of: Some(container.to_owned()),
        },
        bases,
    }))
}
