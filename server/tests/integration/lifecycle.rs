//! The workspace service on real Docker: lifecycle, labels, hardening read back with a raw
//! inspect, persistence of /workspace, volume choices on delete, and reconciliation.

use app::error::AppError;
use app::model::WorkspaceStatus;

use std::time::Duration;

use aicockpit::runtime::Backend;

use crate::helpers::*;

async fn is_listed(svc: &TestService, name: &app::model::WorkspaceName) -> bool {
    let list = svc.list().await.unwrap();
    list.workspaces.iter().any(|w| &w.name == name)
}

async fn status_of(svc: &TestService, name: &app::model::WorkspaceName) -> WorkspaceStatus {
    let list = svc.list().await.unwrap();
    list.workspaces
        .iter()
        .find(|w| &w.name == name)
        .expect("listed")
        .status
}

#[tokio::test(flavor = "multi_thread")]
async fn create_stop_start_delete_with_state_from_docker() {
    let svc = service().await;
    let name = unique_name("life");
    let _cleanup = Cleanup(vec![name.clone()]);

    let created = svc.create(spec(&name, &svc.image)).await.unwrap();
    assert_eq!(created.status, WorkspaceStatus::Running);
    let listed = svc.list().await.unwrap();
    let entry = listed.workspaces.iter().find(|w| w.name == name).unwrap();
    assert_eq!(entry.status, WorkspaceStatus::Running);
    assert!(
        entry.started_at.is_some(),
        "uptime comes from Docker's StartedAt"
    );

    svc.stop(&name).await.unwrap();
    assert_eq!(status_of(&svc, &name).await, WorkspaceStatus::Stopped);
    svc.stop(&name).await.expect("stopping twice is harmless");

    svc.start(&name).await.unwrap();
    assert_eq!(status_of(&svc, &name).await, WorkspaceStatus::Running);

    svc.delete(&name, false).await.unwrap();
    assert!(!is_listed(&svc, &name).await);
    let docker = raw_docker();
    assert!(docker
        .inspect_container(&container(&name), None)
        .await
        .is_err());
    assert!(
        docker.inspect_volume(&volume(&name)).await.is_err(),
        "volume removed on request"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn containers_are_labelled_and_locked_down() {
    let svc = service().await;
    let name = unique_name("sec");
    let _cleanup = Cleanup(vec![name.clone()]);
    let created = svc.create(spec(&name, &svc.image)).await.unwrap();

    let docker = raw_docker();
    let inspect = docker
        .inspect_container(&container(&name), None)
        .await
        .unwrap();
    let config = inspect.config.unwrap();
    let labels = config.labels.unwrap();
    assert_eq!(
        labels.get("io.aicockpit.managed").map(String::as_str),
        Some("true")
    );
    assert_eq!(labels.get("io.aicockpit.workspace"), Some(&created.id));
    assert_eq!(
        labels.get("io.aicockpit.name").map(String::as_str),
        Some(name.as_str())
    );
    assert!(labels.contains_key("io.aicockpit.owner"));
    assert_eq!(labels.get("io.aicockpit.template"), Some(&svc.image));
    assert_eq!(config.user.as_deref(), Some("1000:1000"));

    let host = inspect.host_config.unwrap();
    assert_eq!(host.init, Some(true));
    assert_eq!(host.privileged, Some(false));
    assert_eq!(host.cap_drop.unwrap(), vec!["ALL".to_string()]);
    let added = host.cap_add.unwrap();
    assert!(!added
        .iter()
        .any(|c| c.contains("SYS_ADMIN") || c.contains("NET_ADMIN")));
    assert!(host
        .security_opt
        .unwrap()
        .iter()
        .any(|o| o.starts_with("no-new-privileges")));
    assert_eq!(host.pids_limit, Some(1024));
    assert_eq!(host.memory, Some(256 * 1024 * 1024));
    assert_eq!(host.nano_cpus, Some(500_000_000));
    assert!(
        host.binds.unwrap_or_default().is_empty(),
        "no host bind mounts"
    );

    let mounts = inspect.mounts.unwrap();
    assert_eq!(mounts.len(), 1);
    assert_eq!(mounts[0].name.as_deref(), Some(volume(&name).as_str()));
    assert_eq!(mounts[0].destination.as_deref(), Some("/workspace"));
    assert!(!mounts
        .iter()
        .any(|m| m.source.as_deref() == Some("/var/run/docker.sock")));
    let volume = docker.inspect_volume(&volume(&name)).await.unwrap();
    assert_eq!(
        volume
            .labels
            .get("io.aicockpit.managed")
            .map(String::as_str),
        Some("true")
    );

    // Inside: not root, and privileges cannot be regained.
    assert_eq!(exec(&name, &["id", "-u"]).await.trim(), "1000");
    let status = exec(&name, &["sh", "-c", "grep NoNewPrivs /proc/self/status"]).await;
    assert!(status.contains('1'), "{status}");
}

#[tokio::test(flavor = "multi_thread")]
async fn files_in_workspace_survive_stop_and_start() {
    let (svc, name, _cleanup) = running_workspace("persist").await;
    exec(&name, &["sh", "-c", "echo kept > /workspace/note.txt"]).await;
    assert_eq!(
        exec(&name, &["stat", "-c", "%u", "/workspace/note.txt"])
            .await
            .trim(),
        "1000"
    );

    svc.stop(&name).await.unwrap();
    svc.start(&name).await.unwrap();
    assert_eq!(
        exec(&name, &["cat", "/workspace/note.txt"]).await.trim(),
        "kept"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_kept_volume_comes_back_with_the_same_name() {
    let (svc, name, _cleanup) = running_workspace("keep").await;
    exec(&name, &["sh", "-c", "echo mine > /workspace/data"]).await;

    svc.delete(&name, true).await.unwrap();
    assert!(
        raw_docker().inspect_volume(&volume(&name)).await.is_ok(),
        "volume kept"
    );
    svc.create(spec(&name, &svc.image)).await.unwrap();
    assert_eq!(
        exec(&name, &["cat", "/workspace/data"]).await.trim(),
        "mine"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn taken_names_missing_images_and_unknown_workspaces_are_clear_errors() {
    let (svc, name, _cleanup) = running_workspace("dup").await;
    let again = svc.create(spec(&name, &svc.image)).await.unwrap_err();
    assert_eq!(again, AppError::NameTaken(name.to_string()));

    let other = unique_name("noimg");
    let _cleanup_other = Cleanup(vec![other.clone()]);
    let missing = svc
        .create(spec(&other, "aicockpit/absent:nope"))
        .await
        .unwrap_err();
    assert!(
        matches!(&missing, AppError::ImageMissing { hint, .. } if hint.contains("aicockpit image pull")),
        "{missing:?}"
    );
    assert!(
        !is_listed(&svc, &other).await,
        "a failed create leaves no record"
    );

    let unknown = unique_name("ghost");
    assert_eq!(
        svc.stop(&unknown).await.unwrap_err(),
        AppError::NotFound(reference(&unknown).to_string())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_container_removed_outside_shows_missing_and_start_recreates_it() {
    let (svc, name, _cleanup) = running_workspace("gone").await;
    exec(&name, &["sh", "-c", "echo still-here > /workspace/f"]).await;
    std::process::Command::new("docker")
        .args(["rm", "-f", &container(&name)])
        .output()
        .unwrap();

    assert_eq!(status_of(&svc, &name).await, WorkspaceStatus::Missing);
    svc.start(&name).await.unwrap();
    assert_eq!(status_of(&svc, &name).await, WorkspaceStatus::Running);
    assert_eq!(
        exec(&name, &["cat", "/workspace/f"]).await.trim(),
        "still-here"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn reconcile_adopts_labelled_containers_a_new_database_does_not_know() {
    let (svc, name, _cleanup) = running_workspace("adopt").await;

    let fresh = service_on(docker_backend(DOCKER_HOST), &svc.image).await;
    let done = fresh.manager.reconcile().await.unwrap();
    assert!(done.adopted >= 1);
    let list = fresh.list().await.unwrap();
    let adopted = list
        .workspaces
        .iter()
        .find(|w| w.name == name)
        .expect("adopted");
    assert_eq!(adopted.status, WorkspaceStatus::Running);
    assert_eq!(adopted.limits.memory_mib, 256);
}

#[tokio::test(flavor = "multi_thread")]
async fn docker_down_is_a_clear_error_naming_the_address() {
    let address = "unix:///nonexistent/docker.sock";
    let down = Backend::docker(address, Duration::from_secs(2), Default::default());
    let svc = service_on(down, "img").await;
    let error = svc.list().await.unwrap_err();
    assert!(
        matches!(&error, AppError::EngineUnavailable { engine, address: a, .. } if a == address && engine == "Docker"),
        "{error:?}"
    );
    assert!(error.to_string().contains("Start the Docker engine"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_default_image_names_the_build_command() {
    let absent = "aicockpit/dev:absent000000";
    let svc = service_on(docker_backend(DOCKER_HOST), absent).await;
    let name = unique_name("nodev");
    let _cleanup = Cleanup(vec![name.clone()]);
    let error = svc.create(spec(&name, absent)).await.unwrap_err();
    assert!(
        matches!(&error, AppError::ImageMissing { image, hint } if image == absent && hint.contains("aicockpit image build")),
        "{error:?}"
    );
    assert!(error.to_string().contains(absent));
}

#[tokio::test(flavor = "multi_thread")]
async fn more_cpus_than_the_host_has_is_a_cpu_field_error() {
    let svc = service().await;
    let name = unique_name("cpus");
    let _cleanup = Cleanup(vec![name.clone()]);
    let mut too_many = spec(&name, &svc.image);
    too_many.limits.cpus = 64.0;
    let error = svc.create(too_many).await.unwrap_err();
    assert_eq!(error.field(), Some(app::error::Field::Cpus), "{error:?}");
    assert!(!is_listed(&svc, &name).await);
}
