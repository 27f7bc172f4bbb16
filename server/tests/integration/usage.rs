//! Live resource use on `/api/usage`, from the engine's real stats: what a running workspace
//! uses, who may watch it, and the server's capacity for admins.

use std::time::Duration;

use app::model::{ServerCapacity, UsageUpdate};
use eventsource_stream::{Event, Eventsource};
use futures::{Stream, StreamExt};

use crate::helpers::*;

/// The events of a usage stream opened by `client`.
async fn usage_events(
    client: &reqwest::Client,
    app: &TestApp,
    query: &str,
) -> impl Stream<Item = Event> + Unpin {
    let response = client
        .get(format!("{}/api/usage{query}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    response
        .bytes_stream()
        .eventsource()
        .filter_map(|event| async move { event.ok() })
        .boxed()
}

/// The next update naming `workspace` that has samples, within `within`.
async fn next_samples(
    events: &mut (impl Stream<Item = Event> + Unpin),
    workspace: &str,
    within: Duration,
) -> UsageUpdate {
    tokio::time::timeout(within, async {
        while let Some(event) = events.next().await {
            if event.event != "usage" {
                continue;
            }
            let update: UsageUpdate = serde_json::from_str(&event.data).unwrap();
            if update.workspace == workspace && !update.samples.is_empty() {
                return update;
            }
        }
        panic!("the usage stream ended");
    })
    .await
    .expect("usage samples arrive")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_running_workspace_reports_what_it_uses() {
    let (app, name, _cleanup) = app_with_workspace("usage").await;
    let workspace = reference(&name).to_string();
    let mut events = usage_events(&app.client, &app, &format!("?workspace={workspace}")).await;

    let sample = next_samples(&mut events, &workspace, Duration::from_secs(20))
        .await
        .samples[0];
    assert!(sample.memory_bytes > 0, "{sample:?}");
    assert_eq!(sample.memory_limit, 256 * 1024 * 1024, "its own limit");
    assert!(sample.processes >= 1, "{sample:?}");
    assert!(sample.cpu_cores < 0.5, "an idle shell: {sample:?}");

    // Keep a core busy inside the workspace: the samples show it.
    let busy = tokio::process::Command::new("docker")
        .args([
            "exec",
            "-d",
            &container(&name),
            "sh",
            "-c",
            "while :; do :; done",
        ])
        .status()
        .await
        .unwrap();
    assert!(busy.success());
    let saw_busy = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let update = next_samples(&mut events, &workspace, Duration::from_secs(10)).await;
            if update.samples.iter().any(|s| s.cpu_cores > 0.3) {
                return;
            }
        }
    })
    .await;
    assert!(saw_busy.is_ok(), "the busy loop shows as CPU use");

    // A second page opening now gets the recent history at once.
    let mut late = usage_events(&app.client, &app, &format!("?workspace={workspace}")).await;
    let history = next_samples(&mut late, &workspace, Duration::from_secs(5)).await;
    assert!(
        history.samples.len() > 1,
        "{} samples",
        history.samples.len()
    );

    // Stopped, it is no longer followed: an update without samples empties its charts.
    let stopped = app.call("stop", app.target(&name)).await;
    assert_eq!(stopped.status(), 200);
    let emptied = tokio::time::timeout(Duration::from_secs(15), async {
        while let Some(event) = late.next().await {
            if event.event == "usage" {
                let update: UsageUpdate = serde_json::from_str(&event.data).unwrap();
                if update.workspace == workspace && update.samples.is_empty() {
                    return;
                }
            }
        }
    })
    .await;
    assert!(emptied.is_ok(), "the stop is announced on the usage stream");

    // A page opening on the stopped workspace hears at once that it does not run.
    let mut opened = usage_events(&app.client, &app, &format!("?workspace={workspace}")).await;
    let first = tokio::time::timeout(Duration::from_secs(5), opened.next())
        .await
        .expect("an answer at once")
        .expect("the stream stays open");
    let update: UsageUpdate = serde_json::from_str(&first.data).unwrap();
    assert_eq!(
        (update.workspace.as_str(), update.samples.len()),
        (workspace.as_str(), 0)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_stream_shows_only_what_the_user_may_see() {
    let (app, name, _cleanup) = app_with_workspace("usage-who").await;
    let workspace = reference(&name).to_string();
    let stranger = app.member("usage-stranger").await;

    // The admin gets the machine's capacity first, then the workspace's samples.
    let mut admin = usage_events(&app.client, &app, "").await;
    let first = tokio::time::timeout(Duration::from_secs(10), admin.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.event, "capacity");
    let capacity: ServerCapacity = serde_json::from_str(&first.data).unwrap();
    assert!(
        capacity.cpus >= 1 && capacity.memory_bytes > 0,
        "{capacity:?}"
    );
    next_samples(&mut admin, &workspace, Duration::from_secs(20)).await;

    // A member who was not given the workspace hears nothing of it, nor of the machine.
    let mut theirs = usage_events(&stranger, &app, "").await;
    let mut heard = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(4), async {
        while let Some(event) = theirs.next().await {
            heard.push(event);
        }
    })
    .await;
    assert!(
        heard
            .iter()
            .all(|e| !e.data.contains(name.as_str()) && e.event != "capacity"),
        "{heard:?}"
    );

    // Shared with them, it appears in their stream.
    let shared = app
        .share(&workspace, "usage-stranger", "Viewer".into())
        .await;
    assert_eq!(shared.status(), 200);
    next_samples(&mut theirs, &workspace, Duration::from_secs(30)).await;
}
