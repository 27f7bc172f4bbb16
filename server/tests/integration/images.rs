//! Images built without a registry.

use app::model::WorkspaceStatus;
use app::service::WorkspaceService;

use aicockpit::images::{busybox, dev};

use crate::helpers::*;

#[tokio::test]
async fn the_busybox_image_is_content_addressed_and_built_once() {
    let first = test_image().await;
    let again = busybox::ensure(runtime().as_ref()).await.unwrap();
    assert_eq!(first, again);
    assert!(first.starts_with("aicockpit/busybox:"));
}

/// Builds the Debian dev image with debootstrap (about a minute, needs root and Debian's
/// mirror): run by the test script with `--include-ignored`.
#[tokio::test]
#[ignore = "slow: builds the Debian dev image; the test script runs it"]
async fn the_dev_image_has_the_toolset_and_a_dev_user() {
    let rt = runtime();
    let reference = dev::build(rt.as_ref(), &dev::BuildOptions::default(), &|line| {
        eprintln!("{line}")
    })
    .await
    .expect("the dev image builds");
    assert_eq!(reference, dev::reference());

    let svc = service().await;
    let name = unique_name("dev");
    let _cleanup = Cleanup(vec![name.clone()]);
    let created = svc.manager.create(spec(&name, &reference)).await.unwrap();
    assert_eq!(created.status, WorkspaceStatus::Running);
    assert_eq!(exec(&name, &["id", "-un"]).await.trim(), "dev");
    assert_eq!(
        exec(&name, &["stat", "-c", "%U", "/workspace"])
            .await
            .trim(),
        "dev"
    );
    let tools = exec(
        &name,
        &[
            "bash",
            "-c",
            "git --version && curl --version | head -1 && ps --version && less --version | head -1",
        ],
    )
    .await;
    for tool in ["git version", "curl", "procps", "less"] {
        assert!(tools.contains(tool), "{tool} missing in: {tools}");
    }
    svc.manager.delete(&name, false).await.unwrap();
}
