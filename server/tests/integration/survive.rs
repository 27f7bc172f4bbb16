//! Workspaces that survive: what should be running runs again (after a cut-short create, an
//! outside stop, an engine restart), with a notice saying why; an out-of-memory kill is
//! shown with what to do. The engine-restart test restarts the local Docker engine, so it
//! runs on its own (`AICOCKPIT_TEST_RESTART_ENGINE=1`, which the test script sets).

use std::time::Duration;

use app::model::{NoticeKind, WorkspaceStatus};
use bollard::models::{ContainerUpdateBody, RestartPolicy, RestartPolicyNameEnum};
use futures::StreamExt;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::test_app::spawn_app;

/// Removes a workspace's container straight through Docker, as if it never was made.
async fn remove_behind_our_back(name: &app::model::WorkspaceName) {
    let force = bollard::query_parameters::RemoveContainerOptions {
        force: true,
        ..Default::default()
    };
    raw_docker()
        .remove_container(&container(name), Some(force))
        .await
        .unwrap();
}

async fn restart_policy(name: &app::model::WorkspaceName) -> Option<RestartPolicyNameEnum> {
    let inspected = raw_docker()
        .inspect_container(&container(name), None)
        .await
        .unwrap();
    inspected.host_config?.restart_policy?.name
}

#[tokio::test(flavor = "multi_thread")]
async fn an_out_of_memory_kill_is_shown_with_what_to_do() {
    let app = spawn_app().await;
    let name = unique_name("oom");
    let _cleanup = Cleanup(vec![name.clone()]);
    let request = json!({ "request": { "name": name.as_str(), "image": app.image, "cpus": 0.5, "memory_mib": 64 } });
    assert_eq!(app.call("create", request).await.status(), 200);

    // A shell that doubles a string until the kernel kills it.
    exec(
        &name,
        &["sh", "-c", "x=aaaaaaaa; while true; do x=$x$x; done"],
    )
    .await;

    let entry = app
        .wait_for(&name, Duration::from_secs(20), |w| !w["notice"].is_null())
        .await;
    assert_eq!(entry["notice"]["kind"], "OutOfMemory", "{entry}");
    assert_eq!(entry["status"], "Running", "only the process was killed");
    let page = app.get("/").await.text().await.unwrap();
    assert!(
        page.contains("ran out of memory") && page.contains("raise its memory limit"),
        "the dashboard says what happened and what to do"
    );

    // A stop and start someone asks for clears it.
    assert_eq!(app.call("stop", app.target(&name)).await.status(), 200);
    assert_eq!(app.call("start", app.target(&name)).await.status(), 200);
    assert!(app.entry(&name).await["notice"].is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn workspaces_that_should_run_are_started_again_and_stopped_ones_stay_stopped() {
    let svc = service().await;
    let (running, stopped) = (unique_name("want-run"), unique_name("want-stop"));
    let _cleanup = Cleanup(vec![running.clone(), stopped.clone()]);
    svc.create(spec(&running, &svc.image)).await.unwrap();
    svc.create(spec(&stopped, &svc.image)).await.unwrap();
    svc.stop(&stopped).await.unwrap();
    // Stopped behind AiCockpit's back: it still should be running.
    raw_docker()
        .stop_container(&container(&running), None)
        .await
        .unwrap();

    assert_eq!(
        svc.manager.recover(None).await.unwrap(),
        0,
        "no outage, no notice"
    );
    let list = svc.list().await.unwrap();
    let status = |name| list.workspaces.iter().find(|w| &w.name == name).unwrap();
    assert_eq!(status(&running).status, WorkspaceStatus::Running);
    assert_eq!(status(&running).notice, None);
    assert_eq!(status(&stopped).status, WorkspaceStatus::Stopped);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_create_cut_short_before_its_container_is_finished_at_the_next_start() {
    let svc = service().await;
    let name = unique_name("cut-short");
    let _cleanup = Cleanup(vec![name.clone()]);
    svc.create(spec(&name, &svc.image)).await.unwrap();
    // As if the server died between recording the workspace and making its container.
    remove_behind_our_back(&name).await;

    svc.manager.reconcile().await.unwrap();
    svc.manager.recover(None).await.unwrap();
    let list = svc.list().await.unwrap();
    let entry = list.workspaces.iter().find(|w| w.name == name).unwrap();
    assert_eq!(entry.status, WorkspaceStatus::Running);
    let running = raw_docker()
        .list_containers(Some(bollard::query_parameters::ListContainersOptions {
            all: true,
            filters: Some(std::collections::HashMap::from([(
                "name".to_owned(),
                vec![container(&name)],
            )])),
            ..Default::default()
        }))
        .await
        .unwrap();
    assert_eq!(running.len(), 1, "one container for one workspace");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delete_cut_short_is_finished_at_the_next_start() {
    let svc = service().await;
    let (gone, kept) = (unique_name("cut-delete"), unique_name("cut-keep"));
    let _cleanup = Cleanup(vec![gone.clone(), kept.clone()]);
    for name in [&gone, &kept] {
        svc.create(spec(name, &svc.image)).await.unwrap();
        let id = svc
            .store
            .workspaces()
            .find(&owner(), name)
            .await
            .unwrap()
            .unwrap()
            .id;
        // As if the server died right after recording the delete.
        svc.store
            .workspaces()
            .begin_delete(&id, name == &kept)
            .await
            .unwrap();
    }
    assert!(
        svc.list().await.unwrap().workspaces.is_empty(),
        "hidden at once"
    );

    assert_eq!(svc.manager.reconcile().await.unwrap().deleted, 2);
    assert!(svc
        .store
        .workspaces()
        .being_deleted()
        .await
        .unwrap()
        .is_empty());
    let docker = raw_docker();
    for name in [&gone, &kept] {
        let inspected = docker.inspect_container(&container(name), None).await;
        assert!(inspected.is_err(), "{name}: the container is removed");
    }
    assert!(
        docker.inspect_volume(&volume(&gone)).await.is_err(),
        "its files went"
    );
    assert!(
        docker.inspect_volume(&volume(&kept)).await.is_ok(),
        "kept files stay"
    );
    // Not adopted back from a leftover either (other tests' containers may be).
    svc.manager.recover(None).await.unwrap();
    let listed = svc.list().await.unwrap().workspaces;
    assert!(!listed.iter().any(|w| w.name == gone || w.name == kept));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stop_cut_short_is_finished_at_the_next_start() {
    let (svc, name, _cleanup) = running_workspace("cut-stop").await;
    let id = svc
        .store
        .workspaces()
        .find(&owner(), &name)
        .await
        .unwrap()
        .unwrap()
        .id;
    // A stop records what is wanted first; the server died before Docker stopped it.
    svc.store
        .workspaces()
        .set_want_running(&id, false)
        .await
        .unwrap();

    svc.manager.reconcile().await.unwrap();
    svc.manager.recover(None).await.unwrap();
    let list = svc.list().await.unwrap();
    let entry = list.workspaces.iter().find(|w| w.name == name).unwrap();
    assert_eq!(entry.status, WorkspaceStatus::Stopped);
}

#[tokio::test(flavor = "multi_thread")]
async fn after_an_outage_a_missing_container_is_not_made_behind_a_create() {
    let svc = service().await;
    let name = unique_name("no-remake");
    let _cleanup = Cleanup(vec![name.clone()]);
    svc.create(spec(&name, &svc.image)).await.unwrap();
    remove_behind_our_back(&name).await;

    // A create could be under way while the server runs: only start-up makes containers.
    assert_eq!(svc.manager.recover(Some(0)).await.unwrap(), 0);
    let list = svc.list().await.unwrap();
    let entry = list.workspaces.iter().find(|w| w.name == name).unwrap();
    assert_eq!(entry.status, WorkspaceStatus::Missing);
}

#[tokio::test(flavor = "multi_thread")]
async fn start_up_gives_older_containers_the_restart_policy() {
    let (svc, name, _cleanup) = running_workspace("policy").await;
    assert_eq!(
        restart_policy(&name).await,
        Some(RestartPolicyNameEnum::UNLESS_STOPPED)
    );
    // As a container made by an older version.
    let none = ContainerUpdateBody {
        restart_policy: Some(RestartPolicy {
            name: Some(RestartPolicyNameEnum::NO),
            maximum_retry_count: None,
        }),
        ..Default::default()
    };
    raw_docker()
        .update_container(&container(&name), none)
        .await
        .unwrap();

    let done = svc.manager.reconcile().await.unwrap();
    assert!(done.updated >= 1, "{done:?}");
    assert_eq!(
        restart_policy(&name).await,
        Some(RestartPolicyNameEnum::UNLESS_STOPPED)
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "restarts the local Docker engine: the test script runs it alone with AICOCKPIT_TEST_RESTART_ENGINE=1"]
async fn after_an_engine_restart_running_workspaces_run_again_and_say_so() {
    let app = spawn_app().await;
    let (running, stopped) = (unique_name("engine-run"), unique_name("engine-stop"));
    let _cleanup = Cleanup(vec![running.clone(), stopped.clone()]);
    for name in [&running, &stopped] {
        assert_eq!(
            app.call("create", app.create_request(name)).await.status(),
            200
        );
    }
    assert_eq!(app.call("stop", app.target(&stopped)).await.status(), 200);
    let mut events = app.get("/api/events").await.bytes_stream();

    let setup = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/setup.sh");
    let restarted = tokio::process::Command::new("bash")
        .args(["-c", &format!("source {setup} && restart_docker")])
        .output()
        .await
        .unwrap();
    assert!(
        restarted.status.success(),
        "{}",
        String::from_utf8_lossy(&restarted.stderr)
    );

    let entry = app
        .wait_for(&running, Duration::from_secs(60), |w| {
            w["status"] == "Running" && !w["notice"].is_null()
        })
        .await;
    assert_eq!(entry["status"], "Running", "{entry}");
    let kind = NoticeKind::EngineRestarted;
    assert_eq!(entry["notice"]["kind"], json!(kind), "{entry}");
    let other = app.entry(&stopped).await;
    assert_eq!(
        (other["status"].as_str(), &other["notice"]),
        (Some("Stopped"), &Value::Null)
    );
    assert_eq!(exec(&running, &["echo", "back"]).await.trim(), "back");

    // Browsers were told, and the event stream follows the new engine.
    let mut told = 0;
    while let Ok(Some(Ok(chunk))) =
        tokio::time::timeout(Duration::from_millis(500), events.next()).await
    {
        told += String::from_utf8_lossy(&chunk)
            .matches("data: changed")
            .count();
    }
    assert!(told > 0, "pages were told of the outage and the recovery");
    let stop = tokio::process::Command::new("docker")
        .args(["stop", "-t", "1", &container(&running)])
        .output();
    let (_, announced) = tokio::join!(stop, async {
        tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(Ok(chunk)) = events.next().await {
                if String::from_utf8_lossy(&chunk).contains("data: changed") {
                    return;
                }
            }
        })
        .await
    });
    assert!(announced.is_ok(), "events after the restart arrive too");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_outside_shows_its_new_start_time() {
    let (app, name, _cleanup) = crate::test_app::app_with_workspace("new-start").await;
    let first = app.entry(&name).await["started_at"].as_i64().unwrap();
    // Listed again from what was remembered.
    assert_eq!(app.entry(&name).await["started_at"].as_i64(), Some(first));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    raw_docker()
        .restart_container(&container(&name), None)
        .await
        .unwrap();
    let entry = app
        .wait_for(&name, Duration::from_secs(10), |e| {
            e["started_at"].as_i64().is_some_and(|at| at > first)
        })
        .await;
    assert!(entry["started_at"].as_i64() > Some(first), "{entry}");
}
