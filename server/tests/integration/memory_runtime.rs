//! The services on the in-memory runtime: what they do goes only through the runtime
//! ports, so the same workspace rules hold on any engine, and its messages name the engine
//! it is, never Docker.

use std::sync::Arc;
use std::time::Duration;

use aicockpit::auth::audit::AuditLog;
use aicockpit::files::{FileManager, FileSettings};
use aicockpit::runtime::memory::MemoryRuntime;
use aicockpit::runtime::{labels, Backend, ContainerRuntime, ContainerState};
use aicockpit::workspaces::container_name;
use app::error::{AppError, Field};
use app::model::{Limits, WorkspaceStatus};
use app::service::{FileService, WorkspaceService};
use app::workspace_path::WorkspacePath;
use serde_json::json;

use crate::helpers::*;
use crate::test_app::spawn_app_on;

const IMAGE: &str = crate::test_app::MEMORY_IMAGE;

async fn on_memory() -> (Arc<MemoryRuntime>, TestService) {
    let runtime = Arc::new(MemoryRuntime::new(&[IMAGE]));
    let svc = service_on(Backend::of(runtime.clone()), IMAGE).await;
    (runtime, svc)
}

/// The id of the container the runtime holds for `name`.
async fn container_id(runtime: &MemoryRuntime, name: &app::model::WorkspaceName) -> String {
    let listed = runtime.list_managed().await.unwrap();
    listed
        .into_iter()
        .find(|c| c.labels.get(labels::NAME) == Some(&name.to_string()))
        .expect("a managed container")
        .id
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workspace_lives_its_whole_life_on_the_in_memory_runtime() {
    let (runtime, svc) = on_memory().await;
    let name = unique_name("mem");
    let created = svc.create(spec(&name, IMAGE)).await.unwrap();
    assert_eq!(created.status, WorkspaceStatus::Running);
    assert_eq!(runtime.volumes(), [volume(&name)]);

    svc.stop(&name).await.unwrap();
    assert_eq!(svc.status_of(&name).await, WorkspaceStatus::Stopped);
    svc.stop(&name)
        .await
        .expect("stopping a stopped workspace is no error");
    svc.start(&name).await.unwrap();
    svc.start(&name)
        .await
        .expect("starting a running one neither");
    assert_eq!(svc.status_of(&name).await, WorkspaceStatus::Running);

    svc.delete(&name, true).await.unwrap();
    assert!(svc.list().await.unwrap().workspaces.is_empty());
    assert_eq!(runtime.volumes(), [volume(&name)], "the files are kept");
    svc.create(spec(&name, IMAGE)).await.unwrap();
    svc.delete(&name, false).await.unwrap();
    assert!(runtime.volumes().is_empty());
    assert!(runtime.list_managed().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_container_removed_behind_its_back_is_made_again_on_start() {
    let (runtime, svc) = on_memory().await;
    let name = unique_name("mem-gone");
    svc.create(spec(&name, IMAGE)).await.unwrap();
    let first = container_id(&runtime, &name).await;
    runtime.remove_container(&first).await.unwrap();
    svc.start(&name).await.unwrap();
    let second = container_id(&runtime, &name).await;
    assert_ne!(first, second);
    assert_eq!(svc.status_of(&name).await, WorkspaceStatus::Running);
    assert_eq!(runtime.volumes(), [volume(&name)], "on the same volume");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_container_the_engine_made_after_a_cut_short_create_is_taken_on() {
    let (runtime, svc) = on_memory().await;
    let name = unique_name("mem-late");
    svc.create(spec(&name, IMAGE)).await.unwrap();
    let first = container_id(&runtime, &name).await;
    let made = runtime.spec_of(&first).unwrap();
    runtime.remove_container(&first).await.unwrap();
    // The engine finishes a create whose server was killed before it heard the answer.
    let late = runtime.create_container(&made).await.unwrap();
    svc.start(&name).await.unwrap();
    assert_eq!(container_id(&runtime, &name).await, late);
    assert_eq!(svc.status_of(&name).await, WorkspaceStatus::Running);

    // A container of that name made for another workspace is never taken.
    let other = unique_name("mem-late-other");
    svc.create(spec(&other, IMAGE)).await.unwrap();
    let theirs = container_id(&runtime, &other).await;
    let mut squatter = runtime.spec_of(&theirs).unwrap();
    runtime.remove_container(&theirs).await.unwrap();
    squatter
        .labels
        .insert(labels::WORKSPACE.into(), "someone-else".into());
    runtime.create_container(&squatter).await.unwrap();
    assert!(matches!(
        svc.start(&other).await,
        Err(AppError::NameTaken(_))
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_runtimes_refusals_become_the_forms_errors() {
    let (runtime, svc) = on_memory().await;

    let missing = svc
        .create(spec(&unique_name("mem-img"), "memory/absent:1"))
        .await
        .unwrap_err();
    assert!(
        matches!(&missing, AppError::ImageMissing { image, .. } if image == "memory/absent:1"),
        "{missing:?}"
    );

    // A container the store does not know holds the name on the engine.
    let name = unique_name("mem-taken");
    let foreign = aicockpit::runtime::ContainerSpec {
        name: container_name(&owner(), &name),
        image: IMAGE.into(),
        volume: "foreign".into(),
        mount_path: "/workspace".into(),
        user: "1000:1000".into(),
        command: Vec::new(),
        env: Vec::new(),
        labels: Default::default(),
        limits: Limits::DEFAULT,
        capabilities: Vec::new(),
        new_privileges: false,
        network: Default::default(),
    };
    runtime.create_container(&foreign).await.unwrap();
    let taken = svc.create(spec(&name, IMAGE)).await.unwrap_err();
    assert_eq!(taken, AppError::NameTaken(reference(&name).to_string()));

    // The machine has 2 CPUs; the server's bounds would allow 64.
    let name = unique_name("mem-cpus");
    svc.create(spec(&name, IMAGE)).await.unwrap();
    let refused = svc
        .manager
        .set_limits(
            &svc.actor,
            &reference(&name),
            Limits::parse(3.0, 256, 256).unwrap(),
        )
        .await
        .unwrap_err();
    assert_eq!(refused.field(), Some(Field::Cpus), "{refused}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_runtime_is_an_outage_that_names_it() {
    let (runtime, svc) = on_memory().await;
    runtime.set_reachable(false);
    let error = svc.list().await.unwrap_err();
    assert!(error.is_outage(), "{error:?}");
    assert!(
        matches!(&error, AppError::EngineUnavailable { engine, address, .. } if engine == "The in-memory runtime" && address == "memory"),
        "{error:?}"
    );
    assert!(!error.to_string().contains("Docker"), "{error}");
    runtime.set_reachable(true);
    svc.list().await.expect("back once it is");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_database_adopts_what_the_runtime_runs() {
    let (runtime, svc) = on_memory().await;
    let name = unique_name("mem-adopt");
    svc.create(spec(&name, IMAGE)).await.unwrap();
    let fresh = service_on(Backend::of(runtime.clone()), IMAGE).await;
    let done = fresh.manager.reconcile().await.unwrap();
    assert_eq!(done.adopted, 1);
    assert_eq!(fresh.status_of(&name).await, WorkspaceStatus::Running);
}

#[tokio::test(flavor = "multi_thread")]
async fn processes_report_their_exit_status_and_need_a_running_container() {
    let runtime = Arc::new(MemoryRuntime::answering(
        &[IMAGE],
        Box::new(|exec| match exec.command.get(4).map(String::as_str) {
            // `files.sh list`: one folder entry, as the script prints it.
            Some("list") => (b"d- src/".to_vec(), 0),
            _ => (b"refused\n".to_vec(), 3),
        }),
    ));
    let svc = service_on(Backend::of(runtime.clone()), IMAGE).await;
    let files = FileManager::new(
        runtime.clone(),
        svc.manager.resolver(),
        AuditLog::new(svc.store.audit()),
        FileSettings::default(),
        svc.manager.egress(),
    );
    let name = unique_name("mem-files");
    svc.create(spec(&name, IMAGE)).await.unwrap();
    let root = WorkspacePath::parse("").unwrap();
    let listed = files
        .list(&svc.actor, &reference(&name), &root)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    let failed = files
        .delete(
            &svc.actor,
            &reference(&name),
            &WorkspacePath::parse("x").unwrap(),
        )
        .await;
    assert!(failed.is_err(), "a non-zero status is a failure");

    svc.stop(&name).await.unwrap();
    let stopped = files.list(&svc.actor, &reference(&name), &root).await;
    assert_eq!(
        stopped.unwrap_err(),
        AppError::NotRunning(reference(&name).to_string())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_container_is_started_again_if_it_should_run() {
    let runtime = Arc::new(MemoryRuntime::new(&[IMAGE]));
    let app = spawn_app_on(Backend::of(runtime.clone()), IMAGE.into()).await;
    let (running, stopped) = (unique_name("mem-lost"), unique_name("mem-lost-stopped"));
    for name in [&running, &stopped] {
        let created = app.call("create", app.create_request(name)).await;
        assert_eq!(created.status(), 200);
    }
    assert_eq!(app.call("stop", app.target(&stopped)).await.status(), 200);

    runtime.lose(&container_id(&runtime, &stopped).await);
    runtime.lose(&container_id(&runtime, &running).await);
    let entry = app
        .wait_for(&running, Duration::from_secs(5), |e| {
            // The list can show the notice a moment before it sees the container running.
            e["notice"]["kind"] == "Lost" && e["status"] == "Running"
        })
        .await;
    assert_eq!(entry["status"], "Running", "{entry}");
    assert_eq!(entry["notice"]["kind"], "Lost", "{entry}");
    let left = app.entry(&stopped).await;
    assert_eq!(left["status"], "Stopped", "asked to stop: stays stopped");
    assert!(left["notice"].is_null(), "{left}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_server_runs_on_the_runtime_it_is_handed() {
    let runtime = Arc::new(MemoryRuntime::new(&[IMAGE]));
    let app = spawn_app_on(Backend::of(runtime.clone()), IMAGE.into()).await;
    let name = unique_name("mem-http");
    let created = app.call("create", app.create_request(&name)).await;
    assert_eq!(created.status(), 200, "{}", created.text().await.unwrap());
    let entry = app
        .wait_for(&name, Duration::from_secs(5), |e| e["status"] == "Running")
        .await;
    assert_eq!(entry["status"], "Running", "{entry}");
    assert_eq!(entry["placement"]["runtime"], "The in-memory runtime");
    let id = container_id(&runtime, &name).await;
    assert_eq!(
        runtime.inspect(&id).await.unwrap().info.state,
        ContainerState::Running
    );

    runtime.set_reachable(false);
    let down = app.call("list", json!({})).await;
    assert_eq!(down.status(), 503);
    let page = app.get("/").await.text().await.unwrap();
    assert!(
        page.contains("The in-memory runtime is not reachable"),
        "the banner names it"
    );
    assert!(!page.contains("Docker"), "and not Docker");
}
