//! The workspace lifecycle, terminals and files on a real Kubernetes cluster, when
//! `AICOCKPIT_TEST_KUBECONFIG` names a kubeconfig (its current context). The namespace
//! (`AICOCKPIT_TEST_KUBE_NAMESPACE`, default `aicockpit-test`) must exist; the image
//! (`AICOCKPIT_TEST_KUBE_IMAGE`, default `debian:bookworm-slim`) must be pullable by the
//! cluster and have `sh`, `env`, GNU `tar` and coreutils. Ignored unless asked for: the
//! test script runs them when `AICOCKPIT_TEST_KUBECONFIG` is set.

use std::sync::Arc;
use std::time::Duration;

use aicockpit::auth::audit::AuditLog;
use aicockpit::files::{FileManager, FileSettings};
use aicockpit::runtime::kubernetes::{KubernetesRuntime, KubernetesSettings, Storage};
use aicockpit::runtime::Backend;
use aicockpit::terminal::{TerminalHub, TerminalSettings};
use app::model::WorkspaceStatus;
use app::service::FileService;
use app::workspace_path::WorkspacePath;

use crate::helpers::*;

/// The cluster's runtime and the image to use.
async fn cluster() -> (Arc<KubernetesRuntime>, String) {
    let path = std::env::var("AICOCKPIT_TEST_KUBECONFIG")
        .expect("AICOCKPIT_TEST_KUBECONFIG names a kubeconfig");
    let settings = KubernetesSettings {
        namespace: std::env::var("AICOCKPIT_TEST_KUBE_NAMESPACE")
            .unwrap_or_else(|_| "aicockpit-test".into()),
        storage: Storage {
            class: std::env::var("AICOCKPIT_TEST_KUBE_STORAGE_CLASS").ok(),
            size: "1Gi".into(),
        },
        timeout: Duration::from_secs(30),
        start_timeout: Duration::from_secs(300),
    };
    let runtime = KubernetesRuntime::connect_to(path.as_ref(), settings)
        .await
        .expect("the kubeconfig works");
    let image = std::env::var("AICOCKPIT_TEST_KUBE_IMAGE")
        .unwrap_or_else(|_| "debian:bookworm-slim".into());
    (Arc::new(runtime), image)
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a Kubernetes cluster: set AICOCKPIT_TEST_KUBECONFIG"]
async fn a_workspace_lives_its_whole_life_on_the_cluster() {
    let (cluster, image) = cluster().await;
    let svc = service_on(Backend::of(cluster.clone()), &image).await;
    let name = unique_name("kube");
    let created = svc.create(spec(&name, &image)).await.unwrap();
    assert_eq!(created.status, WorkspaceStatus::Running);
    svc.stop(&name).await.unwrap();
    assert_eq!(svc.status_of(&name).await, WorkspaceStatus::Stopped);
    svc.start(&name).await.unwrap();
    assert_eq!(svc.status_of(&name).await, WorkspaceStatus::Running);
    svc.delete(&name, false).await.unwrap();
    assert!(svc.list().await.unwrap().workspaces.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a Kubernetes cluster: set AICOCKPIT_TEST_KUBECONFIG"]
async fn files_and_terminals_work_on_the_cluster() {
    let (cluster, image) = cluster().await;
    let svc = service_on(Backend::of(cluster.clone()), &image).await;
    let name = unique_name("kube-io");
    svc.create(spec(&name, &image)).await.unwrap();
    let files = FileManager::new(
        cluster.clone(),
        svc.manager.resolver(),
        AuditLog::new(svc.store.audit()),
        FileSettings::default(),
        svc.manager.egress(),
    );
    let path = WorkspacePath::parse("notes.txt").unwrap();
    files
        .write_text(
            &svc.actor,
            &reference(&name),
            &path,
            "on the cluster\n".into(),
            None,
        )
        .await
        .unwrap();
    let read = files
        .read_text(&svc.actor, &reference(&name), &path)
        .await
        .unwrap();
    assert_eq!(read.text, "on the cluster\n");

    let container = svc
        .store
        .workspaces()
        .all()
        .await
        .unwrap()
        .into_iter()
        .find(|w| w.name == name)
        .and_then(|w| w.container_id)
        .expect("a container");
    let holder = aicockpit::terminal::holder::Installer::new(cluster.clone());
    let hub = TerminalHub::new(cluster.clone(), TerminalSettings::default(), holder);
    let mut attachment = hub
        .attach("k1", &container, "t1", &crate::tty::sh())
        .await
        .expect("a terminal through the holder");
    assert!(attachment.input.keys(b"cat notes.txt\n").await);
    let mut seen = String::new();
    let found = tokio::time::timeout(Duration::from_secs(20), async {
        while !seen.contains("on the cluster") {
            match attachment.output.recv().await {
                Ok(chunk) => seen.push_str(&String::from_utf8_lossy(&chunk)),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => break,
            }
        }
    })
    .await;
    assert!(found.is_ok() && seen.contains("on the cluster"), "{seen:?}");
    svc.delete(&name, false).await.unwrap();
}
