//! Processes in workspace Pods through the exec WebSocket (channels for stdin, stdout,
//! stderr, and the status that carries the exit code), and archives copied in and out
//! with `tar` run that way. Kubernetes' exec has no user or working directory of its own:
//! processes run as the Pod's user, and the command is wrapped to change directory and set
//! the environment (`sh` and `env` must be in the image, as they are in the dev image).

use bytes::Bytes;
use futures::stream::{self, StreamExt, TryStreamExt};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Status;
use kube::api::AttachParams;
use tokio::io::AsyncWriteExt;
use tokio_util::io::ReaderStream;

use super::{spec, KubernetesRuntime};
use crate::runtime::{
    ByteStream, ContainerState, Engine, ExecChunk, ExecProcess, ExecSpec, ExitStatus, RuntimeError,
    EXIT_STATUS_WAIT,
};
use crate::sync::Unpoisoned;

/// Output is read in chunks of this size at most; the exec loop waits while a pipe is full.
const PIPE: usize = 64 * 1024;

/// `spec.command`, run in `spec.working_dir` with `spec.env` added.
pub fn wrapped(spec: &ExecSpec) -> Vec<String> {
    let mut command: Vec<String> = vec![
        "sh".into(),
        "-c".into(),
        r#"cd -- "$0" && exec env "$@""#.into(),
        spec.working_dir.clone(),
    ];
    command.extend(spec.env.iter().cloned());
    command.extend(spec.command.iter().cloned());
    command
}

/// The exit code in an exec's final status: `Success` is 0, `NonZeroExitCode` carries it.
pub fn exit_code(status: Option<Status>) -> Result<i64, RuntimeError> {
    let Some(status) = status else {
        return Err(RuntimeError::Refused {
            engine: Engine::Kubernetes,
            message: "the exec connection closed without an exit status".into(),
        });
    };
    if status.status.as_deref() == Some("Success") {
        return Ok(0);
    }
    let code = status
        .details
        .as_ref()
        .and_then(|d| d.causes.as_ref())
        .into_iter()
        .flatten()
        .find(|c| c.reason.as_deref() == Some("ExitCode"))
        .and_then(|c| c.message.as_deref()?.parse().ok());
    code.ok_or_else(|| RuntimeError::Refused {
        engine: Engine::Kubernetes,
        message: status
            .message
            .unwrap_or_else(|| "the process could not run".into()),
    })
}

pub async fn exec(
    runtime: &KubernetesRuntime,
    id: &str,
    spec: &ExecSpec,
    stdin: Option<ByteStream>,
) -> Result<ExecProcess, RuntimeError> {
    let pod = runtime.pod_name(id).await?;
    let params = AttachParams::default()
        .container(spec::CONTAINER)
        .stdin(stdin.is_some())
        .stdout(true)
        .stderr(true)
        .max_stdin_buf_size(PIPE)
        .max_stdout_buf_size(PIPE)
        .max_stderr_buf_size(PIPE);
    let started = runtime
        .call("exec", runtime.pods().exec(&pod, wrapped(spec), &params))
        .await;
    let mut process = match started {
        Ok(process) => process,
        Err(e) => return Err(not_running_or(runtime, &pod, e).await),
    };
    if let (Some(mut input), Some(mut stdin)) = (process.stdin(), stdin) {
        tokio::spawn(async move {
            while let Some(Ok(chunk)) = stdin.next().await {
                if input.write_all(&chunk).await.is_err() {
                    return;
                }
            }
            // The process sees end-of-file (a cut stdin stream too, as on Docker).
            let _ = input.shutdown().await;
        });
    }
    let stdout = process.stdout().map(|out| {
        ReaderStream::with_capacity(out, PIPE)
            .map_ok(ExecChunk::Stdout)
            .boxed()
    });
    let stderr = process.stderr().map(|err| {
        ReaderStream::with_capacity(err, PIPE)
            .map_ok(ExecChunk::Stderr)
            .boxed()
    });
    let status = process.take_status();
    let unreachable = {
        let address = runtime.address.clone();
        move |e: std::io::Error| RuntimeError::Unavailable {
            engine: Engine::Kubernetes,
            address: address.clone(),
            detail: e.to_string(),
        }
    };
    let output = stream::select(
        stdout.unwrap_or_else(|| stream::empty().boxed()),
        stderr.unwrap_or_else(|| stream::empty().boxed()),
    )
    .map_err(unreachable)
    // The process ends (its connection is aborted) when nobody reads its output any more.
    .map(move |chunk| {
        let _running = &process;
        chunk
    })
    .boxed();
    let exit = Box::pin(async move {
        match status {
            Some(status) => exit_code(status.await),
            None => exit_code(None),
        }
    });
    Ok(ExecProcess { output, exit })
}

/// The error for an exec that could not start: `NotRunning` when the Pod is not running.
async fn not_running_or(
    runtime: &KubernetesRuntime,
    name: &str,
    error: RuntimeError,
) -> RuntimeError {
    match runtime.pod(name).await {
        Ok(pod) if super::state::state_of(pod.as_ref()) != ContainerState::Running => {
            RuntimeError::NotRunning(name.to_owned())
        }
        _ => error,
    }
}

/// `command` run from `/`, with nothing added to its environment.
fn plain(command: &[&str]) -> ExecSpec {
    ExecSpec {
        command: command.iter().map(|c| c.to_string()).collect(),
        user: String::new(),
        working_dir: "/".into(),
        env: Vec::new(),
    }
}

/// The exit status of a process whose output has ended; a non-zero one is a failure that
/// quotes `stderr`.
async fn succeeded(spec: &ExecSpec, exit: ExitStatus, stderr: &[u8]) -> Result<(), RuntimeError> {
    let code = tokio::time::timeout(EXIT_STATUS_WAIT, exit)
        .await
        .unwrap_or(Err(RuntimeError::Timeout {
            engine: Engine::Kubernetes,
            operation: "exec status",
            after: EXIT_STATUS_WAIT,
        }))?;
    if code == 0 {
        return Ok(());
    }
    Err(RuntimeError::Refused {
        engine: Engine::Kubernetes,
        message: format!(
            "{} exited with {code}: {}",
            spec.command.join(" "),
            String::from_utf8_lossy(stderr).trim()
        ),
    })
}

/// Unpacks `archive` at `path` with the Pod's `tar` (existing folders keep their owner and
/// mode, which the workspace user may not change).
pub async fn copy_into(
    runtime: &KubernetesRuntime,
    id: &str,
    path: &str,
    archive: Bytes,
) -> Result<(), RuntimeError> {
    let spec = plain(&["tar", "-x", "--no-overwrite-dir", "-f", "-", "-C", path]);
    let stdin = stream::once(async move { Ok(archive) }).boxed();
    let mut process = exec(runtime, id, &spec, Some(stdin)).await?;
    let mut stderr = Vec::new();
    while let Some(chunk) = process.output.next().await {
        if let ExecChunk::Stderr(bytes) = chunk? {
            stderr.extend_from_slice(&bytes);
        }
    }
    succeeded(&spec, process.exit, &stderr).await
}

/// Packs the contents of `path` (entries `./…`) with the Pod's `tar`, streamed as it
/// comes; a failure of `tar` ends the stream with an error. The workspace must be
/// running, unlike on Docker: its files are reachable only through its Pod.
pub fn copy_out(runtime: &KubernetesRuntime, id: String, path: String) -> ByteStream {
    let runtime = runtime.clone();
    let spec = plain(&["tar", "-c", "-f", "-", "-C", &path, "."]);
    stream::once(async move {
        match exec(&runtime, &id, &spec, None).await {
            Ok(process) => packed(spec, process),
            Err(RuntimeError::NotRunning(_)) => failed(
                "the workspace is stopped: start it to export its files (on Kubernetes they are reachable only while it runs)",
            ),
            Err(e) => failed(&e.to_string()),
        }
    })
    .flatten()
    .boxed()
}

fn failed(message: &str) -> ByteStream {
    let error = std::io::Error::other(message.to_owned());
    stream::once(async move { Err(error) }).boxed()
}

/// The process's stdout, then an error if it failed.
fn packed(spec: ExecSpec, process: ExecProcess) -> ByteStream {
    let stderr = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = stderr.clone();
    let data = process.output.filter_map(move |chunk| {
        let item = match chunk {
            Ok(ExecChunk::Stdout(bytes)) => Some(Ok(bytes)),
            Ok(ExecChunk::Stderr(bytes)) => {
                let mut kept = kept.locked();
                kept.extend_from_slice(&bytes[..bytes.len().min(64 * 1024)]);
                None
            }
            Err(e) => Some(Err(std::io::Error::other(e.to_string()))),
        };
        async move { item }
    });
    let exit = process.exit;
    let end = stream::once(async move {
        let stderr = stderr.locked().clone();
        succeeded(&spec, exit, &stderr)
            .await
            .err()
            .map(|e| Err(std::io::Error::other(e.to_string())))
    })
    .filter_map(|end| async move { end });
    data.chain(end).boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{StatusCause, StatusDetails};

    #[test]
    fn commands_run_in_their_folder_with_their_environment() {
        let spec = ExecSpec {
            command: vec!["ls".into(), "-a".into()],
            user: "1000:1000".into(),
            working_dir: "/workspace/src".into(),
            env: vec!["TERM=dumb".into()],
        };
        assert_eq!(
            wrapped(&spec),
            [
                "sh",
                "-c",
                r#"cd -- "$0" && exec env "$@""#,
                "/workspace/src",
                "TERM=dumb",
                "ls",
                "-a"
            ]
        );
    }

    #[test]
    fn exit_codes_come_from_the_final_status() {
        let success = Status {
            status: Some("Success".into()),
            ..Default::default()
        };
        assert_eq!(exit_code(Some(success)), Ok(0));
        let failed = Status {
            status: Some("Failure".into()),
            reason: Some("NonZeroExitCode".into()),
            details: Some(StatusDetails {
                causes: Some(vec![StatusCause {
                    reason: Some("ExitCode".into()),
                    message: Some("3".into()),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(exit_code(Some(failed)), Ok(3));
        let broken = Status {
            status: Some("Failure".into()),
            message: Some("container not found".into()),
            ..Default::default()
        };
        assert!(
            matches!(exit_code(Some(broken)), Err(RuntimeError::Refused { message, .. }) if message == "container not found")
        );
        assert!(exit_code(None).is_err());
    }
}
