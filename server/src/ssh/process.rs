//! What an SSH channel runs, and how its output reaches the client: a shell held by the
//! terminal hub when the client asked for a PTY (so a dropped connection leaves it running,
//! to attach to again), or a plain process with stdin, stdout and stderr apart (what `git`,
//! `rsync`, `scp` and editors' installers use).

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use russh::server::Msg;
use russh::ChannelWriteHalf;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::access::{MOUNT_PATH, WORKSPACE_USER};
use crate::runtime::{ContainerRuntime, ExecChunk, ExecSpec};
use crate::terminal::hangup;
use crate::terminal::{Attachment, Ending, TerminalHub};

/// The client's end of a channel, for output; it waits while the client's window is full.
pub type Out = Arc<ChannelWriteHalf<Msg>>;

/// What a shell or command ends with when AiCockpit could not run it, as OpenSSH does.
const FAILED: u32 = 255;

/// Says `message` on the client's stderr, then ends the channel with `status`.
pub async fn fail(out: &Out, message: &str, status: u32) {
    let line = format!("aicockpit: {message}\r\n");
    let _ = out.extended_data(1, line.as_bytes()).await;
    end(out, status).await;
}

async fn end(out: &Out, status: u32) {
    let _ = out.exit_status(status).await;
    let _ = out.eof().await;
    let _ = out.close().await;
}

/// Relays a held shell's output to the client until the shell ends; `input` stays with
/// the caller for keys and window sizes.
pub async fn relay_terminal(out: Out, mut attachment: Attachment, hub: TerminalHub, key: String) {
    let replay = std::mem::take(&mut attachment.replay);
    let mut output = attachment.take_output();
    if !replay.is_empty() && out.data_bytes(replay).await.is_err() {
        return;
    }
    loop {
        match output.recv().await {
            Ok(chunk) => {
                if out.data_bytes(chunk).await.is_err() {
                    return;
                }
            }
            // Fell behind: redraw from the scrollback, as a browser terminal does.
            Err(RecvError::Lagged(_)) => {
                let Some((replay, fresh)) = hub.resync(&key) else {
                    continue;
                };
                output = fresh;
                if out.data_bytes(replay).await.is_err() {
                    return;
                }
            }
            Err(RecvError::Closed) => break,
        }
    }
    let ending = attachment.ending.borrow().clone();
    match ending {
        Some(Ending::Exited(code)) => end(&out, u32::try_from(code).unwrap_or(FAILED)).await,
        Some(Ending::Failed(why)) => {
            fail(&out, &format!("the shell could not start: {why}"), FAILED).await
        }
        None => fail(&out, "the workspace stopped", FAILED).await,
    }
}

/// A plain process: its stdin while the client sends, and the tag that ends it.
pub struct Process {
    pub stdin: Option<mpsc::Sender<Bytes>>,
    tag: String,
    runtime: Arc<dyn ContainerRuntime>,
    container: String,
}

impl Process {
    /// Starts `command` in `container` with `env`; its output and status go to `out`.
    pub async fn start(
        runtime: Arc<dyn ContainerRuntime>,
        container: &str,
        command: Vec<String>,
        mut env: Vec<String>,
        out: Out,
    ) -> Result<(Self, tokio::task::JoinHandle<()>), String> {
        let tag = format!("ssh-{}", uuid::Uuid::new_v4().simple());
        env.push(hangup::tag_entry(&tag));
        let spec = ExecSpec {
            command,
            user: WORKSPACE_USER.to_owned(),
            working_dir: MOUNT_PATH.to_owned(),
            env,
        };
        let (stdin, from_client) = mpsc::channel::<Bytes>(16);
        let stdin_stream = ReceiverStream::new(from_client).map(Ok).boxed();
        let mut process = runtime
            .exec(container, &spec, Some(stdin_stream))
            .await
            .map_err(|e| e.to_string())?;
        let relay = tokio::spawn(async move {
            while let Some(chunk) = process.output.next().await {
                let sent = match chunk {
                    Ok(ExecChunk::Stdout(bytes)) => out.data_bytes(bytes).await,
                    Ok(ExecChunk::Stderr(bytes)) => out.extended_data(1, &bytes[..]).await,
                    Err(_) => break,
                };
                if sent.is_err() {
                    return;
                }
            }
            match process.exit.await {
                Ok(code) => end(&out, u32::try_from(code).unwrap_or(FAILED)).await,
                Err(e) => fail(&out, &e.to_string(), FAILED).await,
            }
        });
        let process = Self {
            stdin: Some(stdin),
            tag,
            runtime,
            container: container.to_owned(),
        };
        Ok((process, relay))
    }

    /// Ends the process and whatever it started, inside the workspace.
    pub fn hang_up(&self) {
        hangup::hang_up(
            self.runtime.clone(),
            self.container.clone(),
            &self.tag,
            WORKSPACE_USER,
        );
    }
}
