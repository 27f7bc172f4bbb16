//! Changes made outside AiCockpit (a plain `docker stop`) reach browsers through the
//! server-sent event stream.

use std::time::Duration;

use futures::StreamExt;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread")]
async fn an_outside_docker_stop_is_announced_on_the_event_stream() {
    let (app, name, _cleanup) = app_with_workspace("sse").await;

    let response = app.get("/api/events").await;
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.bytes_stream();
    // The server follows Docker's events since it started; drain what the create announced.
    while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(200), body.next()).await {}

    let stop = tokio::process::Command::new("docker")
        .args(["stop", "-t", "1", &container(&name)])
        .output();
    let (stopped, event) = tokio::join!(stop, async {
        tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(chunk) = body.next().await {
                let chunk = chunk.unwrap();
                if String::from_utf8_lossy(&chunk).contains("data: changed") {
                    return true;
                }
            }
            false
        })
        .await
    });
    assert!(stopped.unwrap().status.success());
    assert_eq!(event, Ok(true), "a change event arrives");

    assert_eq!(app.status_of(&name).await, "Stopped");
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_ends_open_event_streams() {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = spawn_app_until(async move {
        let _ = stopped.await;
    })
    .await;
    let response = app.get("/api/events").await;
    let mut body = response.bytes_stream();

    stop.send(()).unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(_)) = body.next().await {}
    })
    .await;
    assert!(
        ended.is_ok(),
        "the event stream closes instead of holding the server open"
    );
    let server = app.server.expect("spawned");
    let finished = tokio::time::timeout(Duration::from_secs(10), server).await;
    assert!(
        matches!(finished, Ok(Ok(Ok(())))),
        "the server stops: {finished:?}"
    );
}

/// Everything an event stream says within `wait`.
async fn heard(
    mut body: impl futures::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin,
    wait: Duration,
) -> String {
    let mut seen = String::new();
    let _ = tokio::time::timeout(wait, async {
        while let Some(Ok(chunk)) = body.next().await {
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await;
    seen
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_changed_through_aicockpit_is_announced_to_those_who_may_see_it() {
    let (app, name, _cleanup) = app_with_workspace("sse-files").await;
    let nosy = app.member("nosy").await;
    let mine = app.get("/api/events").await.bytes_stream();
    let theirs = nosy
        .get(format!("{}/api/events", app.base))
        .send()
        .await
        .unwrap()
        .bytes_stream();
    // Both streams listen once their answers began.
    let written = app
        .files(
            "write",
            serde_json::json!({ "workspace": reference(&name).to_string(), "file": "pushed.txt", "text": "x" }),
        )
        .await;
    assert_eq!(written.status(), 200);
    let announcement = format!("event: files\ndata: {}", reference(&name));
    let (mine, theirs) = tokio::join!(
        heard(mine, Duration::from_secs(2)),
        heard(theirs, Duration::from_secs(2))
    );
    assert!(mine.contains(&announcement), "{mine:?}");
    assert!(!theirs.contains(name.as_str()), "{theirs:?}");
}
