//! Limits changed on a running workspace: Docker applies them in place (same container,
//! not restarted), the store keeps them, the server's maxima hold, and only the owner (or
//! an admin) may change them.

use aicockpit::workspaces::{WorkspaceManager, WorkspaceSettings};
use app::error::Field;
use app::model::{LimitBounds, Limits};
use app::service::WorkspaceService;
use serde_json::json;

use crate::helpers::*;
use crate::test_app::app_with_workspace;

#[tokio::test(flavor = "multi_thread")]
async fn limits_change_while_it_runs_without_a_restart() {
    let (svc, name, _cleanup) = running_workspace("limits").await;
    let before = raw_docker()
        .inspect_container(&container(&name), None)
        .await
        .unwrap();
    let limits = Limits::parse(0.25, 128, 100).unwrap();

    let shown = svc
        .manager
        .set_limits(&svc.actor, &reference(&name), limits)
        .await
        .unwrap();
    assert_eq!(shown.limits, limits);

    let after = raw_docker()
        .inspect_container(&container(&name), None)
        .await
        .unwrap();
    let host = after.host_config.unwrap();
    assert_eq!(host.nano_cpus, Some(250_000_000));
    assert_eq!(host.memory, Some(128 << 20));
    assert_eq!(host.memory_swap, Some(128 << 20));
    assert_eq!(host.pids_limit, Some(100));
    assert_eq!(after.id, before.id, "the same container");
    assert_eq!(
        after.state.unwrap().started_at,
        before.state.unwrap().started_at,
        "not restarted"
    );
    // The process limit holds inside: 150 sleeping children cannot all start.
    let output = exec(
        &name,
        &[
            "sh",
            "-c",
            "n=0; while [ $n -lt 150 ]; do sleep 5 & n=$((n+1)); done 2>&1; echo done",
        ],
    )
    .await;
    assert!(
        output.contains("can't fork") || output.contains("Resource temporarily unavailable"),
        "{output}"
    );
    let listed = svc.list().await.unwrap();
    let entry = listed.workspaces.iter().find(|w| w.name == name).unwrap();
    assert_eq!(entry.limits, limits, "kept in the store");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_servers_maxima_hold_for_new_and_changed_limits() {
    let (svc, name, _cleanup) = running_workspace("max").await;
    let bounds = LimitBounds {
        default: Limits::parse(0.5, 256, 256).unwrap(),
        max: Limits::parse(1.0, 512, 512).unwrap(),
        idle: Default::default(),
    };
    let settings = WorkspaceSettings {
        limits: bounds,
        ..WorkspaceSettings::new(svc.image.clone())
    };
    let strict = WorkspaceManager::new(
        &docker_backend(DOCKER_HOST),
        &svc.store,
        settings,
        Default::default(),
    );
    assert_eq!(strict.limit_bounds(), bounds);

    let too_many_cpus = Limits::parse(2.0, 256, 256).unwrap();
    let refused = strict
        .set_limits(&svc.actor, &reference(&name), too_many_cpus)
        .await
        .unwrap_err();
    assert_eq!(refused.field(), Some(Field::Cpus), "{refused}");
    let too_much_memory = spec(&unique_name("max-new"), &svc.image);
    let refused = strict
        .create(
            &svc.actor,
            app::model::WorkspaceSpec {
                limits: Limits::parse(0.5, 1024, 256).unwrap(),
                ..too_much_memory
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refused.field(), Some(Field::Memory), "{refused}");
    let host = raw_docker()
        .inspect_container(&container(&name), None)
        .await
        .unwrap()
        .host_config
        .unwrap();
    assert_eq!(host.nano_cpus, Some(500_000_000), "unchanged");
}

#[tokio::test(flavor = "multi_thread")]
async fn editors_use_a_workspace_but_cannot_change_its_limits() {
    let (app, name, _cleanup) = app_with_workspace("limits-role").await;
    let editor = app.member("limits-editor").await;
    let workspace = reference(&name).to_string();
    assert_eq!(
        app.share(&workspace, "limits-editor", json!("Editor"))
            .await
            .status(),
        200
    );

    let body = json!({ "workspace": workspace, "cpus": 0.5, "memory_mib": 128, "processes": 128 });
    let refused = editor
        .post(format!("{}/api/workspaces/set-limits", app.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let changed = app.post_json("/api/workspaces/set-limits", body).await;
    assert_eq!(changed.status(), 200, "{:?}", changed.text().await);
}
