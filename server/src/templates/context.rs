//! Build contexts: the tar archive a template's image is built from (one Dockerfile, or a
//! folder on the server or in a workspace), and the paths inside it, which may never leave
//! the folder they are relative to.

use std::path::Path;

use app::error::{AppError, Field};
use bytes::Bytes;

/// A context of one file.
pub fn single_file(path: &str, text: &str) -> Bytes {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(text.len() as u64);
    header.set_mode(0o644);
    // Writing to memory cannot fail.
    let _ = builder.append_data(&mut header, path.trim_start_matches("./"), text.as_bytes());
    Bytes::from(builder.into_inner().unwrap_or_default())
}

/// The build context of a folder template as a tar archive, and the Dockerfile's path in
/// it. `context` and `dockerfile` are relative to `json_dir` (where the devcontainer.json
/// is); neither may leave the template's folder, and the Dockerfile must be in the context.
pub fn folder_context(
    root: &Path,
    json_dir: &str,
    context: &str,
    dockerfile: &str,
) -> Result<(Bytes, String), AppError> {
    let (context, dockerfile) = build_paths(json_dir, context, dockerfile)?;
    let path = root.join(&context);
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    builder
        .append_dir_all(".", &path)
        .map_err(|e| AppError::Internal(format!("reading {}: {e}", path.display())))?;
    let tar = builder
        .into_inner()
        .map(Bytes::from)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((tar, dockerfile))
}

/// The build context's folder and the Dockerfile's path inside it, from `context` and
/// `dockerfile` as given relative to `json_dir` (where the devcontainer.json is): neither
/// may leave the folder they are relative to, and the Dockerfile must be in the context.
pub fn build_paths(
    json_dir: &str,
    context: &str,
    dockerfile: &str,
) -> Result<(String, String), AppError> {
    let refuse = |m: &str| AppError::invalid(Field::Template, m);
    let context = within(json_dir, context)
        .ok_or_else(|| refuse("the build's context must be inside the template's folder"))?;
    let dockerfile = within(json_dir, dockerfile)
        .ok_or_else(|| refuse("the Dockerfile must be inside the template's folder"))?;
    let dockerfile = match context.as_str() {
        "" => Some(dockerfile.as_str()),
        context => dockerfile.strip_prefix(&format!("{context}/")),
    }
    .ok_or_else(|| refuse("the Dockerfile must be inside the build's context"))?
    .to_owned();
    Ok((context, dockerfile))
}

/// `path` taken from `base`, both relative to a folder, with `.` and `..` resolved; `None`
/// when it leaves the folder.
pub fn within(base: &str, path: &str) -> Option<String> {
    if path.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in base.split('/').chain(path.split('/')) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}
