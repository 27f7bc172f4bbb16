//! A ~2 MB image made in-process from the host's static `/bin/busybox` (Debian's
//! `busybox-static`): fast to build, enough for a shell, used by tests and benchmarks.

use std::path::Path;

use bytes::Bytes;
use futures::stream;

use super::{content_tag, ImageBuildError};
use crate::runtime::ImageStore;

pub const BUSYBOX_PATH: &str = "/bin/busybox";
const RECIPE_VERSION: &[u8] = b"busybox-image-1";
const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\ndev:x:1000:1000:dev:/home/dev:/bin/sh\n";
const GROUP: &str = "root:x:0:\ndev:x:1000:\n";

/// Imports the BusyBox image if it is not there yet and returns its reference.
pub async fn ensure(images: &dyn ImageStore) -> Result<String, ImageBuildError> {
    let binary = std::fs::read(BUSYBOX_PATH).map_err(|_| ImageBuildError::MissingTool {
        tool: BUSYBOX_PATH,
        package: "busybox-static",
    })?;
    let reference = format!(
        "aicockpit/busybox:{}",
        content_tag(&[RECIPE_VERSION, &binary])
    );
    if images.image_exists(&reference).await? {
        return Ok(reference);
    }
    let applets = applets(Path::new(BUSYBOX_PATH))?;
    let tarball = root_filesystem(&binary, &applets)
        .map_err(ImageBuildError::io("packing the BusyBox image"))?;
    let body = stream::once(async move { Ok(Bytes::from(tarball)) });
    let changes = ["ENV PATH=/bin".to_owned(), "WORKDIR /workspace".to_owned()];
    images
        .import_image(Box::pin(body), &reference, &changes)
        .await?;
    Ok(reference)
}

fn applets(busybox: &Path) -> Result<Vec<String>, ImageBuildError> {
    let output = std::process::Command::new(busybox)
        .arg("--list")
        .output()
        .map_err(ImageBuildError::io("listing BusyBox applets"))?;
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|a| !a.is_empty() && *a != "busybox" && !a.contains('/'))
        .map(str::to_owned)
        .collect())
}

fn header(kind: tar::EntryType, mode: u32, owner: u64, size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_uid(owner);
    header.set_gid(owner);
    header.set_mtime(0);
    header.set_size(size);
    header
}

/// A root filesystem: `/bin` with BusyBox and a link per applet, users root and dev
/// (uid 1000), and `/workspace` owned by dev.
fn root_filesystem(binary: &[u8], applets: &[String]) -> std::io::Result<Vec<u8>> {
    use tar::EntryType::{Directory, Regular, Symlink};
    let mut tar = tar::Builder::new(Vec::new());
    for (dir, mode, owner) in [
        ("bin", 0o755, 0),
        ("etc", 0o755, 0),
        ("root", 0o700, 0),
        ("tmp", 0o1777, 0),
        ("home/dev", 0o755, 1000),
        ("workspace", 0o755, 1000),
    ] {
        tar.append_data(
            &mut header(Directory, mode, owner, 0),
            dir,
            std::io::empty(),
        )?;
    }
    for (path, mode, data) in [
        ("bin/busybox", 0o755, binary),
        ("etc/passwd", 0o644, PASSWD.as_bytes()),
        ("etc/group", 0o644, GROUP.as_bytes()),
    ] {
        tar.append_data(&mut header(Regular, mode, 0, data.len() as u64), path, data)?;
    }
    for applet in applets {
        tar.append_link(
            &mut header(Symlink, 0o777, 0, 0),
            format!("bin/{applet}"),
            "busybox",
        )?;
    }
    tar.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_filesystem_has_the_shell_and_an_owned_workspace() {
        let tarball = root_filesystem(b"ELF", &["sh".into(), "sleep".into()]).unwrap();
        let mut archive = tar::Archive::new(&tarball[..]);
        let entries: Vec<(String, u64)> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.path().unwrap().display().to_string(),
                    e.header().uid().unwrap(),
                )
            })
            .collect();
        assert!(entries.contains(&("bin/sh".into(), 0)));
        assert!(entries.contains(&("bin/busybox".into(), 0)));
        assert!(entries.contains(&("workspace".into(), 1000)));
    }
}
