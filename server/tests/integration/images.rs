//! Images built without a registry.

use aicockpit::files::FileSettings;
use aicockpit::images::{busybox, dev};
use app::error::AppError;
use app::model::{WorkspaceName, WorkspaceStatus};
use app::workspace_path::WorkspacePath;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread")]
async fn the_busybox_image_is_content_addressed_and_built_once() {
    let first = test_image().await;
    let again = busybox::ensure(&docker_runtime()).await.unwrap();
    assert_eq!(first, again);
    assert!(first.starts_with("aicockpit/busybox:"));
}

/// Builds the Debian dev image with debootstrap (about a minute, needs root and Debian's
/// mirror): run by the test script with `--include-ignored`.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "slow: builds the Debian dev image; the test script runs it"]
async fn the_dev_image_has_the_tools_a_developer_expects_and_a_dev_user() {
    let reference = dev_image().await;
    assert_eq!(reference, dev::reference());

    let svc = service().await;
    let name = unique_name("dev");
    let _cleanup = Cleanup(vec![name.clone()]);
    let created = svc.create(spec(&name, &reference)).await.unwrap();
    assert_eq!(created.status, WorkspaceStatus::Running);
    assert_eq!(exec(&name, &["id", "-un"]).await.trim(), "dev");
    assert_eq!(
        exec(&name, &["stat", "-c", "%U", "/workspace"])
            .await
            .trim(),
        "dev"
    );
    // Each tool answers; a C program builds and runs; a venv gets its own pip.
    let checks = [
        ("git --version", "git version"),
        ("curl --version", "curl"),
        ("wget --version", "GNU Wget"),
        ("ps --version", "procps"),
        ("less --version", "less"),
        ("vim --version", "VIM - Vi IMproved"),
        ("nano --version", "GNU nano"),
        ("make --version", "GNU Make"),
        ("ssh -V 2>&1", "OpenSSH"),
        ("jq --version", "jq-"),
        ("rg --version", "ripgrep"),
        ("zip -v", "Zip"),
        ("unzip -v", "UnZip"),
        ("echo 'int main(void){return 0;}' > /tmp/t.c && gcc /tmp/t.c -o /tmp/t && /tmp/t && echo compiled", "compiled"),
        ("python3 -m venv /tmp/venv && /tmp/venv/bin/pip --version", "pip"),
        ("python3 -c 'print(\"é\".upper())'", "É"),
        ("echo $LANG", "C.UTF-8"),
    ];
    for (command, expected) in checks {
        let answer = exec(&name, &["bash", "-c", command]).await;
        assert!(answer.contains(expected), "`{command}` gave: {answer}");
    }
    files_work_with_dash_and_gnu_tools(&svc, &name).await;
    svc.delete(&name, false).await.unwrap();
}

/// The file service's script under Debian's /bin/sh (dash) and GNU tools, not BusyBox.
async fn files_work_with_dash_and_gnu_tools(svc: &TestService, name: &WorkspaceName) {
    let files = svc.files(FileSettings::default());
    let path = |raw: &str| WorkspacePath::parse(raw).unwrap();
    files.create_folder(name, &path("src")).await.unwrap();
    files
        .write_text(name, &path("src/main.rs"), "fn main() {}\n".into(), None)
        .await
        .unwrap();
    let opened = files.read_text(name, &path("src/main.rs")).await.unwrap();
    assert_eq!(opened.text, "fn main() {}\n");
    exec(
        name,
        &["sh", "-c", "echo changed >> /workspace/src/main.rs"],
    )
    .await;
    let stale = files
        .write_text(name, &path("src/main.rs"), "x".into(), Some(opened.version))
        .await;
    assert!(matches!(stale, Err(AppError::FileChanged(_))), "{stale:?}");
    let listed = files.list(name, &path("")).await.unwrap();
    assert!(listed.iter().any(|e| e.name() == "src"), "{listed:?}");
    exec(name, &["ln", "-s", "/etc", "/workspace/etc"]).await;
    let escape = files.list(name, &path("etc")).await;
    assert!(
        matches!(escape, Err(AppError::InvalidPath { .. })),
        "{escape:?}"
    );
    let download = files.download(name, &path("src")).await.unwrap();
    assert_eq!(download.file_name, "src.tar");
}
