//! Terminal sessions that outlive their viewers: fan-out, replay on reattach, the idle
//! timeout, and the end of the process.

use std::time::Duration;

use aicockpit::terminal::{Attachment, TerminalHub, TerminalSettings};
use bytes::Bytes;
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
    attachment
        .input
        .send(Bytes::from(format!("{line}\n")))
        .await
        .unwrap();
}

#[tokio::test]
async fn two_viewers_share_a_session_and_a_reattach_replays_its_output() {
    let (_svc, name, _cleanup) = running_workspace("term").await;
    let hub = hub(Duration::from_secs(30));
    let container = container(&name);

    let mut first = hub.attach("t1", &container, &sh()).await.unwrap();
    let mut second = hub.attach("t1", &container, &sh()).await.unwrap();
    assert_eq!(hub.session_count(), 1);
    type_line(&first, "echo shared-''output").await;
    expect_output(&mut first, "shared-output").await;
    expect_output(&mut second, "shared-output").await;

    // Both viewers leave (a page reload); the shell keeps running and is replayed.
    drop((first, second));
    let mut again = hub.attach("t1", &container, &sh()).await.unwrap();
    assert!(String::from_utf8_lossy(&again.replay).contains("shared-output"));
    type_line(&again, "echo still-''here").await;
    expect_output(&mut again, "still-here").await;
}

#[tokio::test]
async fn a_session_without_viewers_ends_after_the_idle_timeout() {
    let (_svc, name, _cleanup) = running_workspace("idle").await;
    let hub = hub(Duration::from_millis(200));
    let container = container(&name);
    let mut viewer = hub.attach("t1", &container, &sh()).await.unwrap();
    type_line(&viewer, "sleep 4321 & echo before-''idle").await;
    expect_output(&mut viewer, "before-idle").await;
    drop(viewer);

    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(hub.session_count(), 0);
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
    let fresh = hub.attach("t1", &container, &sh()).await.unwrap();
    assert!(
        !String::from_utf8_lossy(&fresh.replay).contains("before-idle"),
        "a new shell"
    );
}

#[tokio::test]
async fn the_end_of_the_process_closes_the_output() {
    let (_svc, name, _cleanup) = running_workspace("exit").await;
    let hub = hub(Duration::from_secs(30));
    let mut viewer = hub.attach("t1", &container(&name), &sh()).await.unwrap();
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
