//! Processes through the exec WebSocket, against a loopback stand-in for the API server
//! that speaks Kubernetes' channel protocol (`v5.channel.k8s.io`: a channel byte before
//! each frame; 0 stdin, 1 stdout, 2 stderr, 3 the final status, 255 a closed stream).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};

use super::spec::{self, tests::spec as workspace_spec};
use super::{KubernetesRuntime, KubernetesSettings, Storage};
use crate::runtime::{ContainerRuntime, ExecChunk, ExecSpec, RuntimeError};

const CLAIM: &str = "aicockpit-ada.web-files";

/// What the stand-in's process does: print `stdout`, echo stdin until it closes, print
/// `stderr`, exit with `exit`. What it was asked is kept in `seen`.
#[derive(Clone, Default)]
struct Process {
    stdout: &'static [u8],
    stderr: &'static [u8],
    exit: i32,
    seen: Arc<Mutex<Seen>>,
}

#[derive(Default)]
struct Seen {
    query: String,
    stdin: Vec<u8>,
    claim_reads: usize,
}

async fn stand_in(process: Process) -> KubernetesRuntime {
    let app = Router::new()
        .route(
            "/api/v1/namespaces/ws/persistentvolumeclaims/{claim}",
            get(|State(process): State<Process>| async move {
                process.seen.lock().unwrap().claim_reads += 1;
                let claim = spec::claim(
                    &workspace_spec(),
                    &Storage {
                        class: None,
                        size: "1Gi".into(),
                    },
                );
                Json(serde_json::to_value(claim).unwrap_or_default())
            }),
        )
        .route("/api/v1/namespaces/ws/pods/{pod}/exec", get(exec))
        .with_state(process);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let config = kube::Config::new(address.parse().unwrap());
    let client = kube::Client::try_from(config).unwrap();
    KubernetesRuntime::with_client(
        client,
        address,
        KubernetesSettings {
            namespace: "ws".into(),
            storage: Storage {
                class: None,
                size: "1Gi".into(),
            },
            timeout: Duration::from_secs(5),
            start_timeout: Duration::from_secs(5),
        },
    )
}

async fn exec(
    upgrade: WebSocketUpgrade,
    Path(_pod): Path<String>,
    RawQuery(query): RawQuery,
    State(process): State<Process>,
) -> axum::response::Response {
    let query = query.unwrap_or_default();
    let stdin = query.contains("stdin=true");
    process.seen.lock().unwrap().query = query;
    upgrade
        .protocols(["v5.channel.k8s.io"])
        .on_upgrade(move |socket| run(socket, process, stdin))
}

async fn run(mut socket: WebSocket, process: Process, stdin: bool) {
    let frame =
        |channel: u8, data: &[u8]| Message::Binary(Bytes::from([&[channel], data].concat()));
    let _ = socket.send(frame(1, process.stdout)).await;
    while let Some(Ok(Message::Binary(data))) = match stdin {
        true => socket.next().await,
        false => None,
    } {
        match data.first() {
            Some(0) => {
                process
                    .seen
                    .lock()
                    .unwrap()
                    .stdin
                    .extend_from_slice(&data[1..]);
                let _ = socket.send(frame(1, &data[1..])).await;
            }
            Some(255) => break,
            _ => {}
        }
    }
    let _ = socket.send(frame(2, process.stderr)).await;
    let status: Value = match process.exit {
        0 => json!({ "metadata": {}, "status": "Success" }),
        code => json!({
            "metadata": {}, "status": "Failure", "reason": "NonZeroExitCode",
            "message": format!("command terminated with non-zero exit code: {code}"),
            "details": { "causes": [{ "reason": "ExitCode", "message": code.to_string() }] }
        }),
    };
    let _ = socket.send(frame(3, status.to_string().as_bytes())).await;
    let _ = socket.close().await;
}

fn cat() -> ExecSpec {
    ExecSpec {
        command: vec!["cat".into()],
        user: "1000:1000".into(),
        working_dir: "/workspace".into(),
        env: vec!["TERM=dumb".into()],
    }
}

#[tokio::test]
async fn output_stdin_and_the_exit_status_cross_the_channels() {
    let process = Process {
        stdout: b"out:",
        stderr: b"warning",
        exit: 3,
        ..Default::default()
    };
    let runtime = stand_in(process.clone()).await;
    let input = futures::stream::iter([Ok(Bytes::from_static(b"hello"))]).boxed();
    let mut running = runtime.exec(CLAIM, &cat(), Some(input)).await.unwrap();
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    while let Some(chunk) = running.output.next().await {
        match chunk.unwrap() {
            ExecChunk::Stdout(bytes) => stdout.extend_from_slice(&bytes),
            ExecChunk::Stderr(bytes) => stderr.extend_from_slice(&bytes),
        }
    }
    assert_eq!(stdout, b"out:hello");
    assert_eq!(stderr, b"warning");
    assert_eq!(running.exit.await, Ok(3));
    {
        let seen = process.seen.lock().unwrap();
        assert_eq!(seen.stdin, b"hello");
        let commands: Vec<String> = url_commands(&seen.query);
        assert_eq!(commands, super::exec::wrapped(&cat()));
        assert!(seen.query.contains("container=workspace"), "{}", seen.query);
    }

    // The Pod's name is read from the claim once, not before every process.
    let again = runtime.exec(CLAIM, &cat(), None).await.unwrap();
    let _ = again.output.collect::<Vec<_>>().await;
    assert_eq!(process.seen.lock().unwrap().claim_reads, 1);
}

/// The `command` parameters of an exec request, in order.
fn url_commands(query: &str) -> Vec<String> {
    form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k == "command")
        .map(|(_, v)| v.into_owned())
        .collect()
}

#[tokio::test]
async fn archives_go_in_and_come_out_through_tar() {
    let process = Process::default();
    let runtime = stand_in(process.clone()).await;
    runtime
        .copy_into(CLAIM, "/", Bytes::from_static(b"an archive"))
        .await
        .unwrap();
    {
        let seen = process.seen.lock().unwrap();
        assert_eq!(seen.stdin, b"an archive");
        let commands = url_commands(&seen.query);
        assert!(
            commands.ends_with(
                &["tar", "-x", "--no-overwrite-dir", "-f", "-", "-C", "/"].map(String::from)
            ),
            "{commands:?}"
        );
    }

    let packed = Process {
        stdout: b"packed files",
        ..Default::default()
    };
    let runtime = stand_in(packed).await;
    let out: Vec<Bytes> = runtime
        .copy_out(CLAIM, "/workspace")
        .map(|chunk| chunk.unwrap())
        .collect()
        .await;
    assert_eq!(out.concat(), b"packed files");
}

#[tokio::test]
async fn a_failed_pack_ends_the_stream_with_what_tar_said() {
    let process = Process {
        stdout: b"part of it",
        stderr: b"tar: ./secret: Cannot open: Permission denied",
        exit: 2,
        ..Default::default()
    };
    let runtime = stand_in(process).await;
    let items: Vec<std::io::Result<Bytes>> = runtime.copy_out(CLAIM, "/workspace").collect().await;
    assert_eq!(
        items[0].as_ref().unwrap(),
        &Bytes::from_static(b"part of it")
    );
    let last = items.last().unwrap().as_ref().unwrap_err().to_string();
    assert!(
        last.contains("Permission denied") && last.contains("exited with 2"),
        "{last}"
    );
}

#[tokio::test]
async fn a_failed_unpack_says_what_tar_said() {
    let process = Process {
        stderr: b"tar: x: Cannot open: Permission denied",
        exit: 2,
        ..Default::default()
    };
    let runtime = stand_in(process).await;
    let refused = runtime
        .copy_into(CLAIM, "/", Bytes::from_static(b"x"))
        .await;
    match refused {
        Err(RuntimeError::Refused { message, .. }) => {
            assert!(
                message.contains("Permission denied") && message.contains("exited with 2"),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
}
