//! A byte stream into a container over one exec: what is written goes to the process's
//! stdin (shutting down writing closes it), what it prints to stdout is read. Previews and
//! the egress proxy reach a workspace this way, so no network between AiCockpit and the
//! workspace is needed at all. The process first writes one byte: 0 when the far end is
//! connected, anything else followed by why not (the holder's `tunnel` and `egress-take`).

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::{Buf, Bytes};
use futures::stream::BoxStream;
use futures::StreamExt;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::PollSender;

use super::{ContainerRuntime, ExecChunk, ExecSpec, RuntimeError};

/// Why a channel did not open.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    /// The runtime could not start the process (the container stopped, the engine is gone).
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// The process started but has nothing to connect to; its reason.
    #[error("{0}")]
    Refused(String),
}

pub struct ExecChannel {
    output: BoxStream<'static, Result<ExecChunk, RuntimeError>>,
    /// Output read from the process and not yet from the channel.
    pending: Bytes,
    input: PollSender<io::Result<Bytes>>,
}

/// Starts `spec` in `container` and waits for its first byte.
pub async fn open(
    runtime: &dyn ContainerRuntime,
    container: &str,
    spec: &ExecSpec,
) -> Result<ExecChannel, ChannelError> {
    let (input, stdin) = mpsc::channel::<io::Result<Bytes>>(16);
    let process = runtime
        .exec(container, spec, Some(ReceiverStream::new(stdin).boxed()))
        .await?;
    let mut output = process.output;
    let mut said = Vec::new();
    let mut errors = Vec::new();
    while let Some(chunk) = output.next().await {
        match chunk? {
            ExecChunk::Stdout(bytes) if said.is_empty() && bytes.first() == Some(&0) => {
                return Ok(ExecChannel {
                    output,
                    pending: bytes.slice(1..),
                    input: PollSender::new(input),
                });
            }
            ExecChunk::Stdout(bytes) => said.extend_from_slice(&bytes),
            ExecChunk::Stderr(bytes) => errors.extend_from_slice(&bytes),
        }
    }
    // Refused: the reason follows the first byte; a process that could not even start
    // says why on stderr.
    let reason = match said.split_first() {
        Some((_, reason)) => String::from_utf8_lossy(reason).into_owned(),
        None => String::from_utf8_lossy(&errors).trim().to_owned(),
    };
    Err(ChannelError::Refused(if reason.is_empty() {
        "the connection ended before it began".into()
    } else {
        reason
    }))
}

impl AsyncRead for ExecChannel {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            if !self.pending.is_empty() {
                let n = self.pending.len().min(buf.remaining());
                buf.put_slice(&self.pending[..n]);
                self.pending.advance(n);
                if self.pending.is_empty() {
                    // An emptied slice still holds its whole chunk: let the chunk go.
                    self.pending = Bytes::new();
                }
                return Poll::Ready(Ok(()));
            }
            match ready!(self.output.poll_next_unpin(cx)) {
                Some(Ok(ExecChunk::Stdout(bytes))) => self.pending = bytes,
                // The holder says nothing there once connected; nothing to pass on.
                Some(Ok(ExecChunk::Stderr(_))) => {}
                Some(Err(e)) => return Poll::Ready(Err(io::Error::other(e.to_string()))),
                None => return Poll::Ready(Ok(())),
            }
        }
    }
}

impl AsyncWrite for ExecChannel {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let closed = || io::Error::new(io::ErrorKind::BrokenPipe, "the exec's input is closed");
        if ready!(self.input.poll_reserve(cx)).is_err() {
            return Poll::Ready(Err(closed()));
        }
        match self.input.send_item(Ok(Bytes::copy_from_slice(buf))) {
            Ok(()) => Poll::Ready(Ok(buf.len())),
            Err(_) => Poll::Ready(Err(closed())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Closes the process's stdin: it sees end-of-file.
    fn poll_shutdown(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.input.close();
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::memory::MemoryRuntime;
    use crate::runtime::{labels, ContainerSpec, NetworkMode};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn running(answer: Box<crate::runtime::memory::ExecAnswer>) -> (MemoryRuntime, String) {
        let runtime = MemoryRuntime::answering(&["img"], answer);
        let spec = ContainerSpec {
            name: "c".into(),
            image: "img".into(),
            volume: "v".into(),
            mount_path: "/workspace".into(),
            user: "1000:1000".into(),
            command: Vec::new(),
            env: Vec::new(),
            labels: [(labels::MANAGED.to_owned(), "true".to_owned())].into(),
            limits: app::model::Limits::DEFAULT,
            capabilities: Vec::new(),
            new_privileges: false,
            network: NetworkMode::Isolated,
        };
        let id = runtime.create_container(&spec).await.unwrap();
        runtime.start_container(&id).await.unwrap();
        (runtime, id)
    }

    fn spec() -> ExecSpec {
        ExecSpec {
            command: vec!["holder".into()],
            user: "1000:1000".into(),
            working_dir: "/".into(),
            env: Vec::new(),
        }
    }

    #[tokio::test]
    async fn a_connected_channel_reads_what_follows_the_first_byte_and_writes_to_stdin() {
        let (runtime, id) = running(Box::new(|_| (b"\0hello".to_vec(), 0))).await;
        let mut channel = open(&runtime, &id, &spec()).await.unwrap();
        let mut read = String::new();
        channel.read_to_string(&mut read).await.unwrap();
        assert_eq!(read, "hello");
        channel.write_all(b"to stdin").await.unwrap();
        channel.shutdown().await.unwrap();
    }

    #[tokio::test]
    async fn a_refusal_carries_its_reason() {
        let (runtime, id) = running(Box::new(|_| {
            (b"\x01nothing answers on port 8000".to_vec(), 1)
        }))
        .await;
        match open(&runtime, &id, &spec()).await {
            Err(ChannelError::Refused(reason)) => {
                assert_eq!(reason, "nothing answers on port 8000")
            }
            other => panic!("{:?}", other.map(|_| ())),
        }
        let (runtime, id) = running(Box::new(|_| (Vec::new(), 127))).await;
        assert!(matches!(
            open(&runtime, &id, &spec()).await,
            Err(ChannelError::Refused(_))
        ));
    }
}
