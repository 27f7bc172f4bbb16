//! Processes and files inside containers: bollard's demultiplexed exec stream, with stdin
//! copied in from a byte stream and closed at its end so the process sees end-of-file, and
//! the exit status read once Docker has it; archives packed from and unpacked into a
//! container.

use std::time::Duration;

use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use bollard::query_parameters::{DownloadFromContainerOptions, UploadToContainerOptions};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use tokio::io::AsyncWriteExt;

use super::{answer, conflict_means, refused, refused_as_such, unreachable_at, DockerRuntime};
use crate::runtime::{ByteStream, ExecChunk, ExecProcess, ExecSpec, ExitStatus, RuntimeError};

/// Frames are at most 32 KiB; the decoder's buffer gets room for two.
const OUTPUT_CAPACITY: usize = 64 * 1024;

impl DockerRuntime {
    pub(super) async fn exec(
        &self,
        container: &str,
        spec: &ExecSpec,
        stdin: Option<ByteStream>,
    ) -> Result<ExecProcess, RuntimeError> {
        let docker = self.client()?;
        let options = CreateExecOptions {
            attach_stdin: Some(stdin.is_some()),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(false),
            cmd: Some(spec.command.clone()),
            user: Some(spec.user.clone()),
            working_dir: Some(spec.working_dir.clone()),
            env: (!spec.env.is_empty()).then(|| spec.env.clone()),
            ..Default::default()
        };
        let exec = self.create_exec(&docker, container, options).await?;
        let start = StartExecOptions {
            detach: false,
            tty: false,
            output_capacity: Some(OUTPUT_CAPACITY),
        };
        let started = self
            .call_answering(
                "start exec",
                self.timeout,
                docker.start_exec(&exec.id, Some(start)),
                conflict_means(RuntimeError::NotRunning),
            )
            .await?;
        let StartExecResults::Attached { output, mut input } = started else {
            return Err(refused("the exec started detached"));
        };
        if let Some(mut stdin) = stdin {
            tokio::spawn(async move {
                while let Some(Ok(chunk)) = stdin.next().await {
                    if input.write_all(&chunk).await.is_err() {
                        return;
                    }
                }
                // A failed stdin stream also ends here: the process sees end-of-file early
                // and is expected to check that it got everything.
                let _ = input.shutdown().await;
            });
        }
        let output = output
            .map_err(unreachable_at(&self.address))
            .try_filter_map(|frame| async move {
                Ok(match frame {
                    LogOutput::StdOut { message } | LogOutput::Console { message } => {
                        Some(ExecChunk::Stdout(message))
                    }
                    LogOutput::StdErr { message } => Some(ExecChunk::Stderr(message)),
                    LogOutput::StdIn { .. } => None,
                })
            })
            .boxed();
        Ok(ExecProcess {
            output,
            exit: self.exit_status(docker, exec.id),
        })
    }

    /// `POST /containers/{id}/exec`, where 409 means the container is not running.
    pub(super) async fn create_exec(
        &self,
        docker: &bollard::Docker,
        container: &str,
        options: CreateExecOptions<String>,
    ) -> Result<bollard::exec::CreateExecResults, RuntimeError> {
        self.call_answering(
            "create exec",
            self.timeout,
            docker.create_exec(container, options),
            conflict_means(RuntimeError::NotRunning),
        )
        .await
    }

    /// The exec's status once it has ended. Docker records it a moment after the output
    /// ends, so this asks again, soon at first and then less often.
    pub(super) fn exit_status(&self, docker: bollard::Docker, exec_id: String) -> ExitStatus {
        let timeout = self.timeout;
        let address = self.address.clone();
        Box::pin(async move {
            let mut pause = Duration::from_millis(5);
            loop {
                let inspect = answer(
                    &address,
                    "inspect exec",
                    timeout,
                    docker.inspect_exec(&exec_id),
                    refused_as_such,
                )
                .await?;
                match (inspect.running, inspect.exit_code) {
                    (Some(true), _) | (_, None) => {}
                    (_, Some(code)) => return Ok(code),
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(200));
            }
        })
    }

    pub(super) async fn copy_into(
        &self,
        container: &str,
        path: &str,
        archive: Bytes,
    ) -> Result<(), RuntimeError> {
        let docker = self.client()?;
        let options = UploadToContainerOptions {
            path: path.to_owned(),
            ..Default::default()
        };
        let upload =
            docker.upload_to_container(container, Some(options), bollard::body_full(archive));
        self.call("copy into container", upload).await
    }

    /// The contents of `path` (not the folder itself: entries are `./…`), streamed as Docker
    /// packs them; works on stopped containers too, their volumes included.
    pub(super) fn copy_out(&self, container: &str, path: &str) -> ByteStream {
        let docker = match self.client() {
            Ok(docker) => docker,
            Err(e) => {
                let e = std::io::Error::other(e.to_string());
                return futures::stream::once(async move { Err(e) }).boxed();
            }
        };
        let options = DownloadFromContainerOptions {
            path: format!("{}/.", path.trim_end_matches('/')),
        };
        let this = self.address.clone();
        docker
            .download_from_container(container, Some(options))
            .map_err(move |e| {
                let error = match e {
                    bollard::errors::Error::DockerResponseServerError { message, .. } => message,
                    other => format!("the container engine at {this} is unreachable: {other}"),
                };
                std::io::Error::other(error)
            })
            .boxed()
    }
}
