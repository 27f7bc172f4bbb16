//! Interactive TTY processes on Docker: the bare engine mechanism, which the IDE benchmark
//! measures AiCockpit's terminals against (those run in the terminal holder, over a plain
//! exec). The exec is created through bollard, but its stream is hijacked here (`POST /exec/{id}/start` with `Upgrade: tcp`) and handed over as
//! raw bytes: bollard's output decoder takes TTY chunks that start with 0x00–0x02 for
//! multiplexed-stream headers, which corrupts output and can freeze a session.

use std::time::Duration;

use bollard::exec::{CreateExecOptions, ResizeExecOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};

use super::{answer, refused, refused_as_such, timed_out, unreachable_at, DockerRuntime};
use crate::runtime::{ExecSpec, ExitStatus, RuntimeError};

/// A bidirectional byte stream: what a TTY process reads and writes.
pub trait AsyncReadWrite: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin> AsyncReadWrite for T {}
pub type TtyIo = Box<dyn AsyncReadWrite>;

/// A running TTY process: raw terminal bytes both ways, never demultiplexed; its size, and
/// its exit status once the stream has ended.
pub struct TtySession {
    pub io: TtyIo,
    pub size: TtySize,
    pub exit: ExitStatus,
}

/// Changes the size of one TTY process's terminal.
pub struct TtySize {
    docker: bollard::Docker,
    address: String,
    timeout: Duration,
    exec_id: String,
}

impl TtySize {
    pub async fn resize(&self, rows: u16, cols: u16) -> Result<(), RuntimeError> {
        let size = ResizeExecOptions {
            height: rows,
            width: cols,
        };
        answer(
            &self.address,
            "resize exec",
            self.timeout,
            self.docker.resize_exec(&self.exec_id, size),
            refused_as_such,
        )
        .await
    }
}

/// Response heads are a few hundred bytes; anything longer is not Docker.
const MAX_RESPONSE_HEAD: usize = 16 * 1024;

impl DockerRuntime {
    /// Starts `spec` with a terminal in the container.
    pub async fn open_tty(
        &self,
        container: &str,
        spec: &ExecSpec,
    ) -> Result<TtySession, RuntimeError> {
        let docker = self.client()?;
        let options = CreateExecOptions {
            attach_stdin: Some(true),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(true),
            cmd: Some(spec.command.clone()),
            user: Some(spec.user.clone()),
            working_dir: Some(spec.working_dir.clone()),
            env: Some(spec.env.clone()),
            ..Default::default()
        };
        let exec = self.create_exec(&docker, container, options).await?;
        let io = match tokio::time::timeout(self.timeout, self.hijack(&exec.id)).await {
            Ok(io) => io?,
            Err(_) => return Err(timed_out("start exec", self.timeout)),
        };
        Ok(TtySession {
            io,
            exit: self.exit_status(docker.clone(), exec.id.clone()),
            size: TtySize {
                docker,
                address: self.address.clone(),
                timeout: self.timeout,
                exec_id: exec.id,
            },
        })
    }

    /// Opens a fresh connection to the engine, starts the exec on it and returns the
    /// connection once Docker has switched it to the raw stream.
    async fn hijack(&self, exec_id: &str) -> Result<TtyIo, RuntimeError> {
        let unavailable = unreachable_at::<std::io::Error>(&self.address);
        let mut io: TtyIo = match self.address.strip_prefix("unix://") {
            Some(path) => Box::new(UnixStream::connect(path).await.map_err(&unavailable)?),
            None => {
                let host = self
                    .address
                    .trim_start_matches("tcp://")
                    .trim_start_matches("http://");
                Box::new(TcpStream::connect(host).await.map_err(&unavailable)?)
            }
        };
        let body = r#"{"Detach":false,"Tty":true}"#;
        let request = format!(
            "POST /exec/{exec_id}/start HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n\
             Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        io.write_all(request.as_bytes())
            .await
            .map_err(&unavailable)?;
        let head = read_response_head(&mut io).await.map_err(&unavailable)?;
        match status_code(&head) {
            Some(101 | 200) => Ok(io),
            Some(404) => Err(RuntimeError::NotFound(format!("exec {exec_id}"))),
            Some(409) => Err(RuntimeError::NotRunning(head)),
            _ => Err(refused(head)),
        }
    }
}

/// Reads up to and including the blank line that ends the HTTP response head, one byte at
/// a time so that no byte of the terminal stream after it is consumed.
async fn read_response_head(io: &mut TtyIo) -> std::io::Result<String> {
    let mut head = Vec::with_capacity(256);
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= MAX_RESPONSE_HEAD {
            return Err(std::io::Error::other("response head too long"));
        }
        head.push(io.read_u8().await?);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// `HTTP/1.1 101 UPGRADED` → 101.
fn status_code(head: &str) -> Option<u16> {
    head.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_status_codes() {
        assert_eq!(status_code("HTTP/1.1 101 UPGRADED\r\n\r\n"), Some(101));
        assert_eq!(status_code("HTTP/1.1 404 Not Found\r\n"), Some(404));
        assert_eq!(status_code("garbage"), None);
    }

    #[tokio::test]
    async fn the_stream_after_the_head_is_left_untouched() {
        let (client, mut server) = tokio::io::duplex(64);
        server
            .write_all(b"HTTP/1.1 101 UPGRADED\r\nContent-Type: x\r\n\r\n\x00\x01\x02rest")
            .await
            .unwrap();
        let mut io: TtyIo = Box::new(client);
        let head = read_response_head(&mut io).await.unwrap();
        assert!(head.starts_with("HTTP/1.1 101"));
        let mut rest = [0u8; 7];
        io.read_exact(&mut rest).await.unwrap();
        assert_eq!(&rest, b"\x00\x01\x02rest");
    }
}
