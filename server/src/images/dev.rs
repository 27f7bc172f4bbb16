//! The default workspace image: Debian bookworm from Debian's mirror via
//! `debootstrap --variant=minbase`, with what a developer expects on any machine (editors,
//! compilers and make, Python with venv and pip, git, ssh, jq, ripgrep, archivers) and a
//! non-root `dev` user (uid 1000) owning `/workspace`. Tagged by a hash of this recipe, so
//! it is built once.

use std::path::Path;
use std::process::Stdio;

use futures::{StreamExt, TryStreamExt};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio_util::io::ReaderStream;

use super::{content_tag, ImageBuildError};
use crate::runtime::ImageStore;

const SUITE: &str = "bookworm";
const PACKAGES: &str = "bash,git,curl,wget,ca-certificates,procps,less,vim,nano,\
build-essential,make,sudo,python3,python3-venv,python3-pip,openssh-client,jq,ripgrep,zip,unzip";
const SETUP: &str = "set -e
useradd --create-home --uid 1000 --user-group --shell /bin/bash dev
# Used only where a template asks for it: elsewhere no-new-privileges stops sudo.
echo 'dev ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/dev
chmod 0440 /etc/sudoers.d/dev
mkdir -p /workspace
chown dev:dev /workspace
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/*.log
";
const CHANGES: [&str; 5] = [
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "ENV LANG=C.UTF-8",
    "USER dev",
    "WORKDIR /workspace",
    "CMD [\"sleep\", \"infinity\"]",
];

/// The dev image's reference. Changing the recipe above changes the tag.
pub fn reference() -> String {
    let changes = CHANGES.join("\n");
    let tag = content_tag(&[
        SUITE.as_bytes(),
        PACKAGES.as_bytes(),
        SETUP.as_bytes(),
        changes.as_bytes(),
    ]);
    format!("aicockpit/dev:{tag}")
}

#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// A Debian mirror; debootstrap's default when `None`.
    pub mirror: Option<String>,
    /// Rebuild even when the image exists.
    pub force: bool,
}

/// Builds and imports the dev image unless present; `progress` receives one line per step.
pub async fn build(
    images: &dyn ImageStore,
    options: &BuildOptions,
    progress: &(dyn Fn(&str) + Send + Sync),
) -> Result<String, ImageBuildError> {
    let reference = reference();
    if !options.force && images.image_exists(&reference).await? {
        progress(&format!("{reference} is already built"));
        return Ok(reference);
    }
    ensure_root().await?;
    which("debootstrap", "debootstrap").await?;
    let root = tempfile::Builder::new()
        .prefix("aicockpit-rootfs-")
        .tempdir_in("/var/tmp")
        .map_err(ImageBuildError::io("creating a build directory"))?;

    progress(&format!("[1/3] debootstrap {SUITE} (minbase + {PACKAGES})"));
    let mut debootstrap = Command::new("debootstrap");
    debootstrap
        .args(["--variant=minbase", &format!("--include={PACKAGES}"), SUITE])
        .arg(root.path());
    if let Some(mirror) = &options.mirror {
        debootstrap.arg(mirror);
    }
    run_logged("debootstrap", debootstrap, progress).await?;

    progress("[2/3] adding the dev user and /workspace");
    let mut setup = Command::new("chroot");
    setup.arg(root.path()).args(["/bin/sh", "-c", SETUP]);
    run_logged("setting up the image", setup, progress).await?;

    progress(&format!("[3/3] importing as {reference}"));
    import(images, root.path(), &reference).await?;
    progress(&format!("built {reference}"));
    Ok(reference)
}

/// Streams the root filesystem through `tar` into the engine's image import.
async fn import(
    images: &dyn ImageStore,
    root: &Path,
    reference: &str,
) -> Result<(), ImageBuildError> {
    let mut tar = Command::new("tar")
        .args(["--numeric-owner", "--xattrs", "-C"])
        .arg(root)
        .args([
            "--exclude=./dev/*",
            "--exclude=./proc/*",
            "--exclude=./sys/*",
            "-cf",
            "-",
            ".",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(ImageBuildError::io("starting tar"))?;
    let stdout = tar.stdout.take().ok_or(ImageBuildError::Step {
        step: "tar",
        detail: "no output pipe".into(),
    })?;
    let body = ReaderStream::new(stdout).map_ok(bytes::Bytes::from).boxed();
    let changes: Vec<String> = CHANGES.iter().map(|c| c.to_string()).collect();
    let imported = images.import_image(body, reference, &changes).await;
    let output = tar
        .wait_with_output()
        .await
        .map_err(ImageBuildError::io("tar"))?;
    if !output.status.success() {
        return Err(ImageBuildError::Step {
            step: "tar",
            detail: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }
    Ok(imported?)
}

/// Runs a command, passing its output lines to `progress`; fails with the last lines.
async fn run_logged(
    step: &'static str,
    mut command: Command,
    progress: &(dyn Fn(&str) + Send + Sync),
) -> Result<(), ImageBuildError> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(ImageBuildError::io(step))?;
    let stdout = child.stdout.take().map(|s| BufReader::new(s).lines());
    let stderr = child.stderr.take().map(|s| BufReader::new(s).lines());
    let mut tail: Vec<String> = Vec::new();
    let (Some(mut stdout), Some(mut stderr)) = (stdout, stderr) else {
        return Err(ImageBuildError::Step {
            step,
            detail: "no output pipes".into(),
        });
    };
    let (mut out_open, mut err_open) = (true, true);
    while out_open || err_open {
        let line = tokio::select! {
            line = stdout.next_line(), if out_open => line.map_err(ImageBuildError::io(step))?.or_else(|| { out_open = false; None }),
            line = stderr.next_line(), if err_open => line.map_err(ImageBuildError::io(step))?.or_else(|| { err_open = false; None }),
        };
        if let Some(line) = line {
            progress(&format!("    {line}"));
            tail.push(line);
            if tail.len() > 5 {
                tail.remove(0);
            }
        }
    }
    let status = child.wait().await.map_err(ImageBuildError::io(step))?;
    if status.success() {
        Ok(())
    } else {
        Err(ImageBuildError::Step {
            step,
            detail: format!("{status}: {}", tail.join(" | ")),
        })
    }
}

async fn ensure_root() -> Result<(), ImageBuildError> {
    let output = Command::new("id")
        .arg("-u")
        .output()
        .await
        .map_err(ImageBuildError::io("id -u"))?;
    if String::from_utf8_lossy(&output.stdout).trim() == "0" {
        Ok(())
    } else {
        Err(ImageBuildError::NotRoot)
    }
}

async fn which(tool: &'static str, package: &'static str) -> Result<(), ImageBuildError> {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .await
        .map(|s| s.success())
        .unwrap_or(false);
    if found {
        Ok(())
    } else {
        Err(ImageBuildError::MissingTool { tool, package })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_is_content_addressed() {
        let r = reference();
        assert!(r.starts_with("aicockpit/dev:"));
        assert_eq!(r, reference());
        assert_eq!(r.len(), "aicockpit/dev:".len() + 12);
    }
}
