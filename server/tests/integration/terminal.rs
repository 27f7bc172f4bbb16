//! Terminal sessions that outlive their viewers and the hub: fan-out, replay on reattach,
//! a new hub (a restarted server) finding the same shell, the idle timeout, and how the
//! shell ended.

use std::time::Duration;

use aicockpit::terminal::{Attachment, Ending, TerminalHub, TerminalSettings};
use tokio::sync::broadcast::error::RecvError;

use crate::helpers::*;
use crate::tty::sh;

fn hub(idle_timeout: Duration) -> TerminalHub {
    TerminalHub::new(
        runtime(),
        TerminalSettings {
            scrollback_bytes: 64 * 1024,
            idle_timeout,
            ..TerminalSettings::default()
        },
        aicockpit::terminal::holder::Installer::new(runtime()),
    )
}

/// Waits for `wanted` in an attachment's live output.
async fn expect_output(attachment: &mut Attachment, wanted: &str) {
    let mut seen = String::new();
    let found = tokio::time::timeout(Duration::from_secs(10), async {
        while !seen.contains(wanted) {
            match attachment.output.recv().await {
                Ok(chunk) => seen.push_str(&String::from_utf8_lossy(&chunk)),
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => panic!("the session ended; output: {seen:?}"),
            }
        }
    })
    .await;
    assert!(found.is_ok(), "{wanted:?} never appeared in {seen:?}");
}

async fn type_line(attachment: &Attachment, line: &str) {
    assert!(attachment.input.keys(format!("{line}\n").as_bytes()).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn two_viewers_share_a_session_and_a_reattach_replays_its_output() {
    let (_svc, name, _cleanup) = running_workspace("term").await;
    let hub = hub(Duration::from_secs(30));
    let container = container(&name);

    // Both at once (two tabs restored together): one session, which neither takes from
    // the other.
    let shell = sh();
    let (first, second) = tokio::join!(
        hub.attach("k1", &container, "t1", &shell),
        hub.attach("k1", &container, "t1", &shell)
    );
    let (mut first, mut second) = (first.unwrap(), second.unwrap());
    assert_eq!(hub.session_count(), 1);
    type_line(&first, "echo shared-''output").await;
    expect_output(&mut first, "shared-output").await;
    expect_output(&mut second, "shared-output").await;

    // Both viewers leave (a page reload); the shell keeps running and is replayed.
    drop((first, second));
    let mut again = hub.attach("k1", &container, "t1", &sh()).await.unwrap();
    assert!(String::from_utf8_lossy(&again.replay).contains("shared-output"));
    type_line(&again, "echo still-''here").await;
    expect_output(&mut again, "still-here").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_without_viewers_ends_after_the_idle_timeout() {
    let (_svc, name, _cleanup) = running_workspace("idle").await;
    let hub = hub(Duration::from_millis(200));
    let container = container(&name);
    let mut viewer = hub.attach("k1", &container, "t1", &sh()).await.unwrap();
    type_line(&viewer, "sleep 4321 & echo before-''idle").await;
    expect_output(&mut viewer, "before-idle").await;
    drop(viewer);

    eventually("the idle session's end", Duration::from_secs(5), || async {
        (hub.session_count() == 0).then_some(())
    })
    .await;
    // Its processes end with it (after the hang-up's grace period at the latest).
    let mut left = String::new();
    for _ in 0..50 {
        left = exec(
            &name,
            &["sh", "-c", "ps -o args | grep -cx 'sleep 4321' || true"],
        )
        .await;
        if left.trim() == "0" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(left.trim(), "0", "the idle session's processes still run");
    let fresh = hub.attach("k1", &container, "t1", &sh()).await.unwrap();
    assert!(
        !String::from_utf8_lossy(&fresh.replay).contains("before-idle"),
        "a new shell"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_end_of_the_process_closes_the_output() {
    let (_svc, name, _cleanup) = running_workspace("exit").await;
    let hub = hub(Duration::from_secs(30));
    let mut viewer = hub
        .attach("k1", &container(&name), "t1", &sh())
        .await
        .unwrap();
    type_line(&viewer, "exit").await;
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Err(RecvError::Closed) = viewer.output.recv().await {
                return;
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "viewers learn that the shell ended");
    assert_eq!(hub.session_count(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_hub_finds_the_same_shell_with_its_output() {
    let (_svc, name, _cleanup) = running_workspace("rehub").await;
    let container = container(&name);
    let old = hub(Duration::from_secs(30));
    let mut viewer = old.attach("k1", &container, "t1", &sh()).await.unwrap();
    type_line(&viewer, "KEPT=$((6*7)); echo first-''life").await;
    expect_output(&mut viewer, "first-life").await;
    // The server goes away without ending anything.
    drop((viewer, old));

    let new = hub(Duration::from_secs(30));
    let mut viewer = new.attach("k1", &container, "t1", &sh()).await.unwrap();
    let replayed = tokio::time::timeout(Duration::from_secs(10), async {
        let mut seen = String::from_utf8_lossy(&viewer.replay).into_owned();
        while !seen.contains("first-life") {
            if let Ok(chunk) = viewer.output.recv().await {
                seen.push_str(&String::from_utf8_lossy(&chunk));
            }
        }
    })
    .await;
    assert!(replayed.is_ok(), "the holder replays the shell's output");
    type_line(&viewer, "echo kept-$KEPT").await;
    expect_output(&mut viewer, "kept-42").await;
    // Another terminal of the same workspace is another shell.
    let mut other = new.attach("k2", &container, "t2", &sh()).await.unwrap();
    type_line(&other, "echo other-${KEPT:-unset}").await;
    expect_output(&mut other, "other-unset").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn how_the_shell_ended_is_told_and_a_resize_reaches_it() {
    let (_svc, name, _cleanup) = running_workspace("status").await;
    let hub = hub(Duration::from_secs(30));
    let mut viewer = hub
        .attach("k1", &container(&name), "t1", &sh())
        .await
        .unwrap();
    assert!(viewer.input.resize(37, 111).await);
    type_line(&viewer, "stty size").await;
    expect_output(&mut viewer, "37 111").await;
    type_line(&viewer, "exit 7").await;
    while viewer.output.recv().await.is_ok() {}
    assert_eq!(*viewer.ending.borrow(), Some(Ending::Exited(7)));
}
