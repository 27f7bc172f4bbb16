//! Processes and files inside containers: bollard's demultiplexed exec stream, with stdin
//! copied in from a byte stream and closed at its end so the process sees end-of-file; and
//! archives packed from and unpacked into a container.

use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use bollard::query_parameters::{DownloadFromContainerOptions, UploadToContainerOptions};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use tokio::io::AsyncWriteExt;

use super::DockerRuntime;
use crate::runtime::{ByteStream, ExecChunk, ExecProcess, ExecSpec, RuntimeError};

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
        let exec = self
            .call("create exec", docker.create_exec(container, options))
            .await?;
        let start = StartExecOptions {
            detach: false,
            tty: false,
            output_capacity: Some(OUTPUT_CAPACITY),
        };
        let started = self
            .call("start exec", docker.start_exec(&exec.id, Some(start)))
            .await?;
        let StartExecResults::Attached { output, mut input } = started else {
            return Err(RuntimeError::Refused("the exec started detached".into()));
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
        let address = self.address.clone();
        let output = output
            .map_err(move |e| RuntimeError::Unavailable {
                address: address.clone(),
                detail: e.to_string(),
            })
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
            exec_id: exec.id,
            output,
        })
    }

    pub(super) async fn exec_exit_code(&self, exec_id: &str) -> Result<Option<i64>, RuntimeError> {
        let docker = self.client()?;
        let inspect = self
            .call("inspect exec", docker.inspect_exec(exec_id))
            .await?;
        Ok(match inspect.running {
            Some(true) => None,
            _ => inspect.exit_code,
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
