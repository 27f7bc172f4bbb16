//! Docker's bare TTY execs, which the IDE benchmark compares terminals with: raw bytes in
//! and out, resizing, and output bytes 0x00–0x02 passed through intact.

use std::time::Duration;

use aicockpit::runtime::docker::TtySession;
use aicockpit::runtime::ExecSpec;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;

pub fn sh() -> ExecSpec {
    ExecSpec {
        command: vec!["sh".into()],
        user: "1000:1000".into(),
        working_dir: "/workspace".into(),
        env: vec!["TERM=xterm-256color".into()],
    }
}

async fn shell(name: &app::model::WorkspaceName) -> TtySession {
    docker_runtime()
        .open_tty(&container(name), &sh())
        .await
        .expect("a terminal opens")
}

/// Reads until `wanted` appears in the output; returns everything read.
async fn read_until(session: &mut TtySession, wanted: &[u8]) -> Vec<u8> {
    let mut seen = Vec::new();
    let mut chunk = [0u8; 4096];
    let found = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let n = session.io.read(&mut chunk).await.expect("terminal output");
            assert!(
                n > 0,
                "the terminal closed early; output so far: {:?}",
                String::from_utf8_lossy(&seen)
            );
            seen.extend_from_slice(&chunk[..n]);
            if seen.windows(wanted.len()).any(|w| w == wanted) {
                return;
            }
        }
    })
    .await;
    assert!(
        found.is_ok(),
        "{:?} never appeared in {:?}",
        String::from_utf8_lossy(wanted),
        String::from_utf8_lossy(&seen)
    );
    seen
}

#[tokio::test(flavor = "multi_thread")]
async fn input_reaches_the_shell_and_output_comes_back_raw() {
    let (_svc, name, _cleanup) = running_workspace("tty").await;
    let mut session = shell(&name).await;

    // The quotes keep the echoed command line from matching the expected output.
    session
        .io
        .write_all(b"echo hel''lo-$(id -u)\n")
        .await
        .unwrap();
    read_until(&mut session, b"hello-1000").await;

    // NUL, 0x01 and 0x02 at the start of output chunks are what bollard's decoder mangles.
    session
        .io
        .write_all(b"printf '\\000\\001\\002raw\\n'\n")
        .await
        .unwrap();
    read_until(&mut session, b"\x00\x01\x02raw").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn resizing_is_seen_by_the_shell() {
    let (_svc, name, _cleanup) = running_workspace("resize").await;
    let mut session = shell(&name).await;
    session.size.resize(37, 111).await.unwrap();
    session.io.write_all(b"stty size\n").await.unwrap();
    read_until(&mut session, b"37 111").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_exit_status_comes_with_the_session() {
    let (_svc, name, _cleanup) = running_workspace("tty-exit").await;
    let mut session = shell(&name).await;
    session.io.write_all(b"exit 7\n").await.unwrap();
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), session.io.read_to_end(&mut rest)).await;
    let status = tokio::time::timeout(Duration::from_secs(10), session.exit)
        .await
        .expect("the status is known soon after the end");
    assert_eq!(status.unwrap(), 7);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stopped_container_is_not_running() {
    let (svc, name, _cleanup) = running_workspace("tty-stopped").await;
    svc.stop(&name).await.unwrap();
    let refused = docker_runtime().open_tty(&container(&name), &sh()).await;
    assert!(
        matches!(
            refused,
            Err(aicockpit::runtime::RuntimeError::NotRunning(_))
        ),
        "{:?}",
        refused.err()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_container_is_a_clear_error() {
    let missing = docker_runtime()
        .open_tty("aicockpit-no-such-workspace", &sh())
        .await;
    assert!(matches!(
        missing,
        Err(aicockpit::runtime::RuntimeError::NotFound(_))
    ));
}
